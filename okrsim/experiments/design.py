"""Design points: which combinations of the swept keys a sweep runs.

Five designs, each returning points in the order that defines their
``point_id`` (0, 1, …):

``grid``
    full factorial over each axis's levels, the first axis varying slowest.
``lhs``
    Latin hypercube of ``samples`` points (McKay, Beckman & Conover 1979),
    from :class:`scipy.stats.qmc.LatinHypercube`.
``sobol``
    Saltelli's extension of the Sobol' sequence, ``N·(D+2)`` points (or
    ``N·(2D+2)`` with second-order indices) for Sobol' indices (Saltelli 2002;
    Saltelli et al. 2010), from :func:`SALib.sample.sobol.sample`.
``morris``
    ``samples`` one-at-a-time trajectories of ``D+1`` points on a ``levels``
    grid (Morris 1991; Campolongo, Cariboni & Saltelli 2007), from
    :func:`SALib.sample.morris.sample`.
``table``
    the rows of a CSV file, as given.

The sampling designs draw from their own child of the experiment's root
``SeedSequence`` (:data:`DESIGN_STREAM`), apart from the runs' seeds, so the
points are a pure function of the experiment file.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from okrsim.experiments.spec import Axis, Experiment

#: Spawn key of the design's random stream under the root seed; runs use
#: ``(RUN_STREAM, index)`` (see :mod:`okrsim.experiments.plan`).
DESIGN_STREAM = 1


@dataclass(frozen=True)
class Design:
    """The points of an experiment and, for sampling designs, the raw sample.

    Attributes
    ----------
    kind
        The design's name.
    axes
        The swept keys, in column order.
    points
        One ``{key: value}`` per design point; the list index is the point id.
    sample
        The sampled matrix (points × axes) in :meth:`Axis.sample_bounds`
        coordinates, which SALib's analysers need; ``None`` for grid and table.
    settings
        Design parameters the analysis needs (base sample, levels, …).
    """

    kind: str
    axes: tuple[Axis, ...]
    points: list[dict[str, Any]]
    sample: np.ndarray | None
    settings: dict[str, Any]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.axes)

    def __len__(self) -> int:
        return len(self.points)


def salib_problem(axes: tuple[Axis, ...]) -> dict[str, Any]:
    """The SALib problem dict: one variable per axis, bounded by :meth:`Axis.sample_bounds`."""
    return {
        "num_vars": len(axes),
        "names": [a.key for a in axes],
        "bounds": [list(a.sample_bounds()) for a in axes],
    }


def design_rng(seed: int) -> np.random.Generator:
    """The design's own generator: child ``(DESIGN_STREAM,)`` of the root seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DESIGN_STREAM,)))


def design_size(experiment: Experiment) -> int:
    """How many points :func:`build_design` gives, counted without building them.

    ``grid``: the product of the axes' level counts; ``lhs``: ``samples``;
    ``sobol``: ``N·(D+2)``, or ``N·(2D+2)`` with second order; ``morris``:
    ``samples·(D+1)``; ``table``: the rows.  A plan checks this against its
    cap before any point is built, so an oversized design costs no memory.
    """
    exp = experiment.spec.experiment
    d = len(experiment.axes)
    if exp.design == "grid":
        return math.prod(len(a.grid_values()) for a in experiment.axes)
    if exp.design == "table":
        return 0 if experiment.table is None else len(experiment.table)
    assert exp.samples is not None
    if exp.design == "lhs":
        return exp.samples
    if exp.design == "sobol":
        return exp.samples * ((2 * d + 2) if exp.second_order else (d + 2))
    return exp.samples * (d + 1)  # morris


def build_design(experiment: Experiment) -> Design:
    """The experiment's design points (not yet validated as scenarios)."""
    exp = experiment.spec.experiment
    axes = experiment.axes
    kind = exp.design
    if kind == "grid":
        levels = [a.grid_values() for a in axes]
        keys = tuple(a.key for a in axes)
        points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*levels)]
        return Design(kind, axes, points, None, {})
    if kind == "table":
        assert experiment.table is not None
        records = experiment.table.to_dict(orient="records")
        points = [{str(k): _python(v) for k, v in row.items()} for row in records]
        return Design(kind, axes, points, None, {})

    rng = design_rng(exp.seed)
    assert exp.samples is not None
    settings: dict[str, Any] = {"samples": exp.samples}
    if kind == "lhs":
        sample = lhs_sample(axes, exp.samples, rng)
    elif kind == "sobol":
        settings["second_order"] = bool(exp.second_order)
        sample = sobol_sample(axes, exp.samples, rng, second_order=bool(exp.second_order))
    elif kind == "morris":
        settings["levels"] = exp.levels or 4
        sample = morris_sample(axes, exp.samples, rng, levels=settings["levels"])
    else:  # pragma: no cover - the schema admits only the designs above
        raise ValueError(f"unknown design {kind!r}")
    columns = [axis.from_sample(sample[:, j]) for j, axis in enumerate(axes)]
    keys = tuple(a.key for a in axes)
    points = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    return Design(kind, axes, points, sample, settings)


def lhs_sample(axes: tuple[Axis, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` Latin-hypercube points (rows) in the axes' sample bounds."""
    from scipy.stats import qmc  # scipy.stats takes a sweep worker ~0.5 s to import

    unit = qmc.LatinHypercube(d=len(axes), rng=rng).random(n)
    lo, hi = np.array([a.sample_bounds() for a in axes], dtype=float).T
    return np.asarray(lo + unit * (hi - lo), dtype=float)


def sobol_sample(
    axes: tuple[Axis, ...], n: int, rng: np.random.Generator, *, second_order: bool = False
) -> np.ndarray:
    """Saltelli's sample for Sobol' indices: ``n·(D+2)`` rows (``n·(2D+2)`` with second order)."""
    from SALib.sample import sobol

    sample = sobol.sample(salib_problem(axes), n, calc_second_order=second_order, seed=rng)
    return np.asarray(sample, dtype=float)


def morris_sample(
    axes: tuple[Axis, ...], trajectories: int, rng: np.random.Generator, *, levels: int = 4
) -> np.ndarray:
    """``trajectories`` Morris trajectories of ``D+1`` rows on a ``levels``-level grid."""
    from SALib.sample import morris

    sample = morris.sample(salib_problem(axes), trajectories, num_levels=levels, seed=rng)
    return np.asarray(sample, dtype=float)


def _python(value: Any) -> Any:
    """numpy scalars from a CSV as plain Python values (JSON- and pydantic-friendly)."""
    return value.item() if isinstance(value, np.generic) else value
