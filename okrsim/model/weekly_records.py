"""Weekly records: the model-level series of each week, and on request each employee's.

The model-level series (:data:`WEEKLY_SERIES`) are one column a week of a
per-run array (:class:`WeeklySeries`) that Mesa's DataCollector also hands
to its readers (:class:`WeeklyCollector`); the quarter's metrics read their
last 13 weeks (:mod:`okrsim.model.records`).  On request, one row per
employee × week (:class:`WeeklyDetail`).

docs/ODD.md §7.12 (records).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from okrsim import metrics
from okrsim.model.agents import Employee
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.choices import ACTIVITIES
from okrsim.policies.curves import Array

if TYPE_CHECKING:  # records reads this module's series; the stream is only named here
    from okrsim.model.records import RecordStream

#: Weekly model-level series (DataCollector reporters), in column order.
WEEKLY_SERIES = (
    "week",
    "quarter",
    "sandbagging_index",
    "true_value",
    "reported_progress",
    "true_progress",
    "expected_progress",
    "kr_share",
    "help_share",
    "bau_share",
    "exploration_share",
    "blocked_share",
    "hidden_blocker_share",
    "watermelon_share",
    "stress",
    "incident_backlog",
)


#: Per-employee series Mesa's DataCollector gathers when agent reporters are on.
AGENT_REPORTERS = ("kr_share", "stress", "reported_progress", "true_progress", "hidden_blockers")


class WeeklySeries:
    """The run's weekly model-level series (:data:`WEEKLY_SERIES`), filled in place.

    One row per series and one column per week, preallocated for the
    horizon, so that each series' weeks lie side by side for the quarter's
    reductions (:func:`quarter_row`); it grows if the model is stepped on
    past the horizon.
    """

    def __init__(self, weeks: int) -> None:
        self.values = np.full((len(WEEKLY_SERIES), max(weeks, 1)), np.nan)
        self.weeks = 0

    def add(self, row: Mapping[str, float]) -> None:
        """Keep the week's row (:func:`week_row`)."""
        if self.weeks == self.values.shape[1]:
            self.values = np.concatenate([self.values, np.full_like(self.values, np.nan)], axis=1)
        self.values[:, self.weeks] = [row[name] for name in WEEKLY_SERIES]
        self.weeks += 1

    def last(self, weeks: int) -> dict[str, Array]:
        """Each series over the last ``weeks`` weeks recorded."""
        kept = self.values[:, max(self.weeks - weeks, 0) : self.weeks]
        return dict(zip(WEEKLY_SERIES, kept, strict=True))

    def frame(self) -> pd.DataFrame:
        """One row per week; ``week`` and ``quarter`` as integers."""
        columns = self.last(self.weeks)
        for count in ("week", "quarter"):
            columns[count] = columns[count].astype(np.int64)
        return pd.DataFrame(columns)


class WeeklyCollector(mesa.DataCollector):
    """Mesa's DataCollector of the weekly series, and of the per-employee ones if asked for.

    The model-level series are computed once a week into the model's
    ``week_row``; :meth:`collect` appends that row to ``model_vars`` (what
    ``mesa.batch_run``, Mesa's plot components and
    :meth:`get_model_vars_dataframe` read) rather than calling a reporter per
    series.  The per-employee series go through Mesa's agent-type reporters.
    """

    def __init__(self, *, agent_reporters: bool) -> None:
        super().__init__(
            agenttype_reporters={Employee: {name: name for name in AGENT_REPORTERS}}
            if agent_reporters
            else None
        )
        self.model_vars: dict[str, list[float]] = {name: [] for name in WEEKLY_SERIES}

    def collect(self, model: Any) -> None:
        # the steps mesa.batch_run looks rows up by; Mesa's collect notes them
        # only for reporters registered with it
        self._collection_steps.append(model.time)
        for name in WEEKLY_SERIES:
            self.model_vars[name].append(model.week_row[name])
        super().collect(model)  # the agent-type reporters, if any

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        return pd.DataFrame(self.model_vars)


def average(x: Array) -> float:
    """``x.mean()`` of a 1-D or contiguous array, bit for bit, without its dispatch.

    The same pairwise sum over the same count; booleans are counted (exact,
    as NumPy's float sum of zeros and ones is).
    """
    if x.dtype == np.bool_:
        return np.count_nonzero(x) / x.size
    return float(np.add.reduce(x, axis=None) / x.size)


def nanmean(x: Array) -> float:
    """Mean of the finite entries; NaN when there are none (no targets without OKRs)."""
    finite = np.isfinite(x)
    return average(x[finite]) if finite.any() else float("nan")


def averages(x: Array, orgs: int) -> list[float]:
    """:func:`average` of each of ``orgs`` equal blocks of rows, bit for bit.

    Each block's row of the reshaped array is the pairwise sum numpy makes
    of the block alone (the same count, in the same order).
    """
    if orgs == 1:
        return [average(x)]  # one organisation: without the reshaping's cost
    size = x.size // orgs
    if x.dtype == np.bool_:
        return [c / size for c in counts(x, orgs)]
    return [float(v) for v in np.add.reduce(x.reshape(orgs, -1), axis=1) / size]


def counts(x: Array, orgs: int) -> list[int]:
    """How many entries of each of ``orgs`` equal blocks of rows of ``x`` are true."""
    if orgs == 1:
        return [int(np.count_nonzero(x))]
    return [int(c) for c in np.count_nonzero(x.reshape(orgs, -1), axis=1)]


def nanmeans(x: Array, orgs: int) -> list[float]:
    """:func:`nanmean` of each of ``orgs`` equal blocks of rows."""
    if orgs == 1:
        return [nanmean(x)]
    if np.isfinite(x).all():
        return averages(x, orgs)
    return [nanmean(block) for block in np.split(x, orgs)]


def week_rows(
    wf: Workforce,
    week_value: Array,
    orgs: int = 1,
    *,
    week: int,
    quarter: int,
    week_in_quarter: int,
) -> list[dict[str, float]]:
    """The week's model-level series (:data:`WEEKLY_SERIES`) after its check-in, for each
    of ``orgs`` organisations of equal size whose employees are stacked end to end."""
    target = wf.target * wf.par
    week_fraction = (week_in_quarter or WEEKS_PER_QUARTER) / WEEKS_PER_QUARTER
    effort = wf.effort
    hidden = counts(wf.blocked & ~wf.raised, orgs)
    blocked = counts(wf.blocked, orgs)
    columns = {
        "sandbagging_index": nanmeans(metrics.sandbagging(target, wf.expected), orgs),
        "true_value": averages(week_value, orgs),
        "reported_progress": nanmeans(wf.reported / target, orgs),
        "true_progress": nanmeans(wf.produced / target, orgs),
        "help_share": averages(effort[:, 2], orgs),
        "bau_share": averages(effort[:, 1], orgs),
        "exploration_share": averages(effort[:, 3], orgs),
        "kr_share": averages(effort[:, 0], orgs),
        "blocked_share": averages(wf.blocked, orgs),
        "hidden_blocker_share": [h / max(b, 1) for h, b in zip(hidden, blocked, strict=True)],
        "watermelon_share": averages(metrics.watermelons(wf.reported_status, wf.true_status), orgs),
        "stress": averages(wf.stress, orgs),
        "incident_backlog": averages(wf.backlog, orgs),
    }
    labels = {"week": week, "quarter": quarter, "expected_progress": week_fraction}
    return [
        {name: labels[name] if name in labels else columns[name][i] for name in WEEKLY_SERIES}
        for i in range(orgs)
    ]


def stack(rows: list[dict[str, Array]]) -> dict[str, Array]:
    """Column-wise concatenation of blocks of rows that share their column names."""
    return {name: np.concatenate([row[name] for row in rows]) for name in rows[0]}


class WeeklyDetail:
    """One row per employee × week: effort split, progress per key result, blockers.

    Kept week by week, or handed to ``stream`` (a
    :class:`~okrsim.model.records.RecordStream`) as the table's block of the
    week, ``employee_weeks``.
    """

    def __init__(self, stream: RecordStream | None = None) -> None:
        self._weeks: list[dict[str, Array]] = []
        self.stream = stream

    def record(self, wf: Workforce, *, week: int, quarter: int) -> None:
        row: dict[str, Array] = {
            "week": np.full(wf.n, week),
            "quarter": np.full(wf.n, quarter),
            "employee": np.arange(wf.n),
            "team": wf.team,
        }
        for j, activity in enumerate(ACTIVITIES):
            row[f"{activity}_share"] = wf.effort[:, j].copy()
        for j in range(wf.k):
            row[f"reported_kr{j + 1}"] = wf.reported[:, j].copy()
            row[f"true_kr{j + 1}"] = wf.produced[:, j].copy()
            row[f"blocked_kr{j + 1}"] = wf.blocked[:, j].copy()
            row[f"raised_kr{j + 1}"] = wf.raised[:, j].copy()
        if self.stream is not None:
            self.stream.append("employee_weeks", pd.DataFrame(stack([row]), copy=False))
        else:
            self._weeks.append(row)

    def frame(self) -> pd.DataFrame:
        if not self._weeks:
            return pd.DataFrame()
        return pd.DataFrame(stack(self._weeks), copy=False)
