"""PRIM scenario discovery: which region of the swept inputs produces a condition.

The Patient Rule Induction Method (Friedman & Fisher 1999), as used for
scenario discovery (Bryant & Lempert 2010; Kwakkel & Jaxa-Rozen 2016),
describes the cases of interest — design points where, say,
``true_value < 0.9`` — by a box: a range per numeric input and a set of
categories per categorical one.  Starting from the box holding every point,
each step *peels* off a small slice (the share ``alpha`` at one end of one
numeric input, or one category of a categorical input) choosing the peel
that leaves the densest box, until the box holds fewer than ``min_mass`` of
the points.  The trajectory of boxes trades

* **coverage** — the share of all cases of interest inside the box — against
* **density** — the share of the points inside the box that are of interest;

``mass`` is the share of all points inside.  Only peeling is done (no
pasting); the analyst picks a box from the trajectory, and
:func:`select_box` offers the densest one that keeps a minimum coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Box:
    """One box of the peeling trajectory.

    ``limits`` maps each input to ``(low, high)`` (numeric) or a tuple of the
    categories kept; ``restricted`` names the inputs narrower than their full
    range.
    """

    step: int
    limits: dict[str, Any]
    restricted: tuple[str, ...]
    coverage: float
    density: float
    mass: float
    n_points: int

    def describe(self) -> str:
        """The restricted limits as text, e.g. ``comp.coupling ∈ [0.6, 1]``."""
        if not self.restricted:
            return "(no restriction)"
        parts = []
        for key in self.restricted:
            lim = self.limits[key]
            if (
                isinstance(lim, tuple)
                and len(lim) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in lim)
            ):
                parts.append(f"{key} ∈ [{lim[0]:.4g}, {lim[1]:.4g}]")
            else:
                parts.append(f"{key} ∈ {{{', '.join(map(str, lim))}}}")
        return "; ".join(parts)


def prim(
    inputs: pd.DataFrame, interest: Any, *, alpha: float = 0.05, min_mass: float = 0.05
) -> list[Box]:
    """Peel boxes around the cases of interest.

    Parameters
    ----------
    inputs
        One row per case, one column per input; numeric columns are peeled by
        quantile, other columns (strings, booleans) one category at a time.
    interest
        Boolean per case: whether the condition holds.
    alpha
        Share of the box's points peeled from one end per step (Friedman &
        Fisher suggest 0.05–0.10).
    min_mass
        Peeling stops before the box would hold fewer than this share of
        all points.

    Returns
    -------
    list of Box
        The trajectory, from the full box (step 0) to the last peel.
    """
    y = np.asarray(interest, dtype=bool)
    n = len(y)
    if n != len(inputs):
        raise ValueError("inputs and interest must have the same length")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    numeric = {
        c: pd.api.types.is_numeric_dtype(inputs[c]) and not pd.api.types.is_bool_dtype(inputs[c])
        for c in inputs.columns
    }
    columns = {c: inputs[c].to_numpy() for c in inputs.columns}
    everything = np.ones(n, dtype=bool)
    full = {c: _limits(columns[c], everything, numeric[c]) for c in inputs.columns}
    limits = dict(full)
    total = int(y.sum())
    inside = everything
    boxes = [_box(0, inside, y, total, dict(limits), full)]
    min_points = max(1, int(np.ceil(min_mass * n)))
    while total and boxes[-1].density < 1.0:
        best: tuple[float, int, np.ndarray, str, str] | None = None
        for c in inputs.columns:
            for side, removed in _peels(columns[c], inside, alpha, numeric[c]):
                kept = inside & ~removed
                kept_n = int(kept.sum())
                if kept_n < min_points or kept_n == int(inside.sum()):
                    continue
                density = float(y[kept].mean())
                if best is None or (density, kept_n) > (best[0], best[1]):
                    best = (density, kept_n, kept, c, side)
        if best is None:
            break
        _, _, inside, peeled, side = best
        # Only the peeled end of the peeled input moves; the box stays the
        # conjunction of its limits.
        now = _limits(columns[peeled], inside, numeric[peeled])
        if side == "low":
            limits[peeled] = (now[0], limits[peeled][1])
        elif side == "high":
            limits[peeled] = (limits[peeled][0], now[1])
        else:
            limits[peeled] = now
        boxes.append(_box(len(boxes), inside, y, total, dict(limits), full))
    return boxes


def trajectory_frame(boxes: list[Box]) -> pd.DataFrame:
    """The trajectory as a table: step, coverage, density, mass, restricted limits."""
    rows = []
    for box in boxes:
        row: dict[str, Any] = {
            "step": box.step,
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "n_points": box.n_points,
            "n_restricted": len(box.restricted),
            "box": box.describe(),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def limits_frame(box: Box) -> pd.DataFrame:
    """One row per input of a box: low/high or the categories kept, and whether restricted."""
    rows = []
    for key, lim in box.limits.items():
        is_range = (
            isinstance(lim, tuple)
            and len(lim) == 2
            and not any(isinstance(v, (str, bool, np.bool_)) for v in lim)
        )
        rows.append(
            {
                "input": key,
                "restricted": key in box.restricted,
                "low": lim[0] if is_range else None,
                "high": lim[1] if is_range else None,
                "categories": None if is_range else ", ".join(map(str, lim)),
            }
        )
    return pd.DataFrame(rows)


def select_box(boxes: list[Box], *, min_coverage: float = 0.5) -> Box:
    """The densest box whose coverage is at least ``min_coverage`` (ties: more coverage)."""
    eligible = [b for b in boxes if b.coverage >= min_coverage] or boxes[:1]
    return max(eligible, key=lambda b: (b.density, b.coverage))


def _peels(
    x: np.ndarray, inside: np.ndarray, alpha: float, numeric: bool
) -> list[tuple[str, np.ndarray]]:
    """Candidate removals within the box: the low and high ``alpha`` tails, or one category."""
    values = x[inside]
    out: list[tuple[str, np.ndarray]] = []
    if numeric:
        lo, hi = values.min(), values.max()
        if lo == hi:
            return out
        q_lo, q_hi = np.quantile(values, [alpha, 1 - alpha])
        low = inside & (x < q_lo)
        if not low.any():  # ties at the minimum (grids): peel the lowest level
            low = inside & (x <= lo)
        high = inside & (x > q_hi)
        if not high.any():
            high = inside & (x >= hi)
        out.extend([("low", low), ("high", high)])
    else:
        present = list(dict.fromkeys(values.tolist()))
        if len(present) > 1:
            out.extend(("category", inside & (x == c)) for c in present)
    return out


def _limits(x: np.ndarray, inside: np.ndarray, numeric: bool) -> Any:
    values = x[inside]
    if numeric:
        return (float(values.min()), float(values.max()))
    return tuple(sorted(dict.fromkeys(values.tolist()), key=str))


def _box(
    step: int,
    inside: np.ndarray,
    y: np.ndarray,
    total: int,
    limits: dict[str, Any],
    full: dict[str, Any],
) -> Box:
    restricted = tuple(c for c in limits if limits[c] != full[c])
    hits = int((y & inside).sum())
    n_in = int(inside.sum())
    return Box(
        step=step,
        limits=limits,
        restricted=restricted,
        coverage=hits / total if total else float("nan"),
        density=hits / n_in if n_in else float("nan"),
        mass=n_in / len(y),
        n_points=n_in,
    )
