"""Results in a reader's words: levels in plain units, changes with both levels, paired counts.

A report for leadership says "blockers stay hidden 0.19 → 0.39 weeks (about
one working day more)", not "+102 %": every change is shown with the two
absolute levels it lies between, a relative change only where the reference
level makes it meaningful, and how consistently it held ("higher in 20 of 20
paired runs") instead of a bare Cohen's d.  The functions here are pure: numbers
and frames in, strings and records out; the templates lay them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from okrsim.data_dictionary import metric_title, metric_tooltip
from okrsim.report.figures import SHARE_OF, percent, relative_base

#: Hours in a normal week, used only to put working time in words.
NORMAL_WEEK_HOURS: Final = 40.0
#: Quarters in a year, to turn a quarterly quit rate into people a year.
QUARTERS_PER_YEAR: Final = 4
#: Metrics that are correlations: their changes read on the −1 … 1 scale itself.
CORRELATIONS: Final = frozenset({"goodhart_corr", "rating_accuracy"})
#: A relative change this large (either way) is flagged: read its absolute levels.
LARGE_RELATIVE: Final = 0.5

#: Metrics the headline sentences speak about, with the words for "up" and "down".
HEADLINES: Final[dict[str, tuple[str, str]]] = {
    "sandbagging_index": (
        "targets were set further below what people expected to deliver",
        "targets came closer to what people expected to deliver",
    ),
    "attainment": ("reported OKR attainment rose", "reported OKR attainment fell"),
    "true_value": ("true value delivered rose", "true value delivered fell"),
    "reporting_bias": (
        "progress reports overstated the truth more",
        "progress reports overstated the truth less",
    ),
    "blocker_latency_weeks": ("blockers stayed hidden longer", "blockers were raised sooner"),
    "hidden_blocker_share": (
        "more blocked key results were kept hidden",
        "fewer blocked key results were kept hidden",
    ),
    "help_share": ("people helped colleagues more", "people helped colleagues less"),
    "bau_share": ("more time went to non-OKR work", "less time went to non-OKR work"),
    "exploration_share": ("more time went to exploration", "less time went to exploration"),
    "goodhart_corr": (
        "the OKR score tracked true contribution better",
        "the OKR score tracked true contribution worse",
    ),
    "rating_accuracy": (
        "ratings tracked true contribution better",
        "ratings tracked true contribution worse",
    ),
    "watermelon_share": (
        "more key results were reported green while truly red",
        "fewer key results were reported green while truly red",
    ),
    "stress": ("stress rose", "stress fell"),
    "intensity": ("people worked longer hours", "people worked shorter hours"),
    "quit_rate": ("more people left", "fewer people left"),
    "leaver_capability_ratio": (
        "those who left were more capable, relative to those who stayed",
        "those who left were less capable, relative to those who stayed",
    ),
}

#: Shares of the working week, put in hours as well.
_WEEK_SHARES: Final = frozenset({"help_share", "bau_share", "exploration_share"})


def level(metric: str, value: float) -> str:
    """One level of ``metric`` in plain units (``"0.39 weeks"``, ``"12 % of key results"``)."""
    if not np.isfinite(value):
        return "—"
    if metric in _WEEK_SHARES:
        return f"{percent(value)} of the week ({value * NORMAL_WEEK_HOURS:.1f} h)"
    if metric in SHARE_OF:
        return f"{percent(value)} {SHARE_OF[metric]}"
    if metric == "blocker_latency_weeks":
        return f"{value:.2f} weeks"
    if metric == "true_value":
        return f"{value:.3g} value units per person-week"
    if metric in CORRELATIONS:
        return f"correlation {value:.2f}"
    if metric in ("stress", "wellbeing"):
        return f"{value:.2f} on a 0–1 scale"
    if metric == "intensity":
        return f"{value * NORMAL_WEEK_HOURS:.1f} hours a week"
    if metric == "quit_rate":
        return f"{percent(value)} of people a quarter"
    if metric == "leaver_capability_ratio":
        return f"{value:.2f}× the capability of those who stay"
    return f"{value:.3g}"


def _bare(metric: str, value: float) -> str:
    """A level without its unit words, for the left side of "a → b unit"."""
    if metric in SHARE_OF or metric == "quit_rate":
        return percent(value)
    if metric == "intensity":
        return f"{value * NORMAL_WEEK_HOURS:.1f}"
    if metric == "true_value":
        return f"{value:.3g}"
    return f"{value:.2f}"


def levels(metric: str, a: float, b: float) -> str:
    """Both levels, the unit said once: ``"0.19 → 0.39 weeks"``."""
    if metric in CORRELATIONS:
        return f"correlation {a:.2f} → {b:.2f}"
    text = level(metric, b)
    bare = _bare(metric, b)
    if metric not in _WEEK_SHARES and text.startswith(bare):
        return f"{_bare(metric, a)} → {text}"
    return f"{level(metric, a)} → {text}"


def relative(metric: str, a: float, b: float) -> str | None:
    """The change relative to the reference level, where that reads meaningfully.

    Levels (value, attainment, time shares, weeks) read relative to the
    reference; shares of something else read in percentage points; a
    reference near zero gives no relative change (:func:`~okrsim.report.figures.relative_base`).
    """
    base = relative_base(metric, a, [b - a])
    if base is not None:
        sign = "+" if b >= a else "−"
        return f"{sign}{percent(abs(b - a) / base)}"
    if metric in SHARE_OF:
        points = f"{abs(b - a) * 100:.2g}"
        return f"{'+' if b >= a else '−'}{points} point{'' if points == '1' else 's'}"
    return None


def change(metric: str, a: float, b: float) -> str:
    """Absolute levels beside the relative change: ``"0.19 → 0.39 weeks (+102 %)"``."""
    rel = relative(metric, a, b)
    return levels(metric, a, b) + (f" ({rel})" if rel else "")


def size(metric: str, a: float, b: float) -> float:
    """How large a change is, comparable across metrics, for ranking findings.

    The change as a share of the larger of the two levels, so a share that
    goes from 0.19 to 0.39 counts 0.51 and one from 0.95 to 1.0 counts 0.05;
    correlations are already on a common −1 … 1 scale, so their change counts
    as it is.
    """
    if metric in CORRELATIONS:
        return abs(b - a)
    scale = max(abs(a), abs(b))
    return abs(b - a) / scale if scale > 1e-12 else 0.0


def paired_counts(runs: pd.DataFrame, metric: str, a: str, b: str) -> tuple[int, int, int]:
    """In how many paired runs ``b`` was above and below ``a``, and how many pairs there were.

    ``runs`` has ``scenario``, ``replication`` and ``metric``; replication
    ``r`` of every scenario met the same workforce and shocks, so each
    replication is one pair.
    """
    if metric not in runs.columns:
        return 0, 0, 0
    wide = runs.pivot_table(index="replication", columns="scenario", values=metric)
    if a not in wide.columns or b not in wide.columns:
        return 0, 0, 0
    diff = (wide[b] - wide[a]).dropna()
    return int((diff > 0).sum()), int((diff < 0).sum()), len(diff)


def agreement(diff: float, counts: tuple[int, int, int]) -> str:
    """``"higher in 20 of 20 paired runs"``: how consistently a change held.

    When the pairs do not all go the way of the mean difference, both counts
    are given (``"higher in 14, lower in 6 of 20 paired runs"``).
    """
    higher, lower, n = counts
    if n == 0:
        return ""
    same = n - higher - lower
    if same == n:
        return f"the same in all {n} paired runs"
    if diff >= 0 and higher == n:
        return f"higher in {higher} of {n} paired runs"
    if diff < 0 and lower == n:
        return f"lower in {lower} of {n} paired runs"
    parts = [f"higher in {higher}", f"lower in {lower}"] + ([f"the same in {same}"] if same else [])
    return ", ".join(parts) + f" of {n} paired runs"


@dataclass(frozen=True)
class Change:
    """A metric's move from level ``mean_a`` to ``mean_b``, with the 95 % interval of ``diff``."""

    metric: str
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float

    @property
    def title(self) -> str:
        return metric_title(self.metric)

    @property
    def tooltip(self) -> str:
        return metric_tooltip(self.metric)

    @property
    def clear(self) -> bool:
        """The 95 % interval of the difference excludes zero."""
        return bool(self.ci_low > 0 or self.ci_high < 0)

    @property
    def size(self) -> float:
        return size(self.metric, self.mean_a, self.mean_b)

    @property
    def level_a(self) -> str:
        return level(self.metric, self.mean_a)

    @property
    def level_b(self) -> str:
        return level(self.metric, self.mean_b)

    @property
    def change(self) -> str:
        return change(self.metric, self.mean_a, self.mean_b)

    @property
    def interval(self) -> str:
        """The 95 % interval of the difference, in the metric's units."""
        lo, hi = self.ci_low, self.ci_high
        if self.metric in SHARE_OF or self.metric == "quit_rate":
            return f"{lo * 100:+.2g} to {hi * 100:+.2g} points"
        if self.metric == "intensity":
            return f"{lo * NORMAL_WEEK_HOURS:+.2g} to {hi * NORMAL_WEEK_HOURS:+.2g} hours"
        return f"{lo:+.2g} to {hi:+.2g}"

    @property
    def words(self) -> str:
        """What happened, in a clause: "blockers stayed hidden longer"."""
        up, down = HEADLINES.get(self.metric, (f"{self.title} rose", f"{self.title} fell"))
        return up if self.diff > 0 else down


@dataclass(frozen=True)
class Finding(Change):
    """One metric compared between the reference ``a`` and a policy ``b`` over paired runs."""

    a: str = ""
    b: str = ""
    counts: tuple[int, int, int] = (0, 0, 0)

    @property
    def agreement(self) -> str:
        return agreement(self.diff, self.counts)

    @property
    def unanimous(self) -> bool:
        higher, lower, n = self.counts
        return n > 0 and (higher == n if self.diff >= 0 else lower == n)


def findings(
    table: pd.DataFrame, runs: pd.DataFrame, a: str, b: str, metrics: Sequence[str]
) -> list[Finding]:
    """The comparison of ``b`` with ``a`` on each of ``metrics``, in the order given.

    ``table`` is a comparison's paired table (``metric``, ``scenario_a``,
    ``scenario_b``, ``mean_a``, ``mean_b``, ``diff``, ``ci_low``, ``ci_high``).
    """
    pair = table[(table["scenario_a"] == a) & (table["scenario_b"] == b)]
    rows = {str(r["metric"]): r for r in pair.to_dict("records")}
    out = []
    for metric in metrics:
        if metric not in rows:
            continue
        r = rows[metric]
        out.append(
            Finding(
                metric=metric,
                a=a,
                b=b,
                mean_a=float(r["mean_a"]),
                mean_b=float(r["mean_b"]),
                diff=float(r["diff"]),
                ci_low=float(r["ci_low"]),
                ci_high=float(r["ci_high"]),
                counts=paired_counts(runs, metric, a, b),
            )
        )
    return out


def ranked(found: Sequence[Finding], *, limit: int = 3) -> list[Finding]:
    """The clear findings (95 % interval excludes zero), largest first (:func:`size`)."""
    clear = [f for f in found if f.clear]
    return sorted(clear, key=lambda f: f.size, reverse=True)[:limit]


def people_a_year(found: Finding, headcount: int) -> str | None:
    """A change in the quit rate as people a year in an organisation of ``headcount``."""
    if found.metric != "quit_rate" or headcount <= 0:
        return None
    a = found.mean_a * QUARTERS_PER_YEAR * headcount
    b = found.mean_b * QUARTERS_PER_YEAR * headcount
    return f"about {a:.0f} → {b:.0f} people leaving a year out of {headcount}"


def watch_outs(found: Sequence[Finding]) -> list[str]:
    """What a reader should be careful about in these findings, most important first."""
    by = {f.metric: f for f in found}
    out = []
    attain, value = by.get("attainment"), by.get("true_value")
    if attain and value and attain.clear and value.clear and attain.diff > 0 > value.diff:
        out.append(
            f"What the organisation measures and what it gets move apart: reported attainment "
            f"goes {attain.change} while true value goes {value.change}. The OKR dashboard "
            "would look better as the business gets worse."
        )
    big = [f for f in found if f.clear and _relative_share(f) >= LARGE_RELATIVE]
    if big:
        items = "; ".join(f"{f.title} {levels(f.metric, f.mean_a, f.mean_b)}" for f in big)
        out.append(f"Large percentages of small numbers: read the absolute levels ({items}).")
    split = [f for f in found if f.clear and not f.unanimous and f.counts[2] > 0]
    if split:
        items = "; ".join(f"{f.title}: {f.agreement}" for f in split)
        out.append(f"Not every paired run agrees on the direction of: {items}.")
    unclear = [f.title for f in found if not f.clear]
    if unclear:
        out.append(
            "No clear change (the 95 % interval includes no change) in: " + ", ".join(unclear) + "."
        )
    out.append(
        "These are a model's results, not measurements of any organisation: they show "
        "the direction and rough size of what the stated rules imply (see “What this is and "
        "is not”)."
    )
    return out


def _relative_share(found: Finding) -> float:
    base = abs(found.mean_a)
    return abs(found.diff) / base if base > 1e-12 else float("inf")


def setting_changes(a: Mapping[str, object], b: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The settings two scenarios differ in: ``(key, value in a, value in b)``."""
    return [
        (key, _setting(a.get(key)), _setting(b.get(key)))
        for key in dict.fromkeys([*a, *b])
        if a.get(key) != b.get(key)
    ]


def _setting(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
