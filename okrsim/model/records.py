"""Records: the truth beside the measure, week by week and quarter by quarter.

At each review, one row per employee (targets,
true and reported output, scores, ratings and true contribution side by
side), one row per employee × key result (the target and the offer behind
it, expected, true and reported output, when it was blocked and raised, its
output by third of the quarter, its last statuses), and the quarter's metrics
(:mod:`okrsim.metrics`), from the week's series in
:mod:`okrsim.model.weekly_records`.  The quarters' rows are kept as arrays
and become tables once, when a run's results are asked for; or, when the
model is given a :class:`RecordStream`, each quarter's rows become a block
of the same tables at once and leave the model (a large organisation's run
then holds one quarter's records, not the run's).

docs/ODD.md §7.12 (records).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from okrsim import metrics
from okrsim.model.check_in import MIDPOINT_WEEK
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.quarter_review import Review
from okrsim.model.tally import THIRD_STARTS, Tally
from okrsim.model.weekly_records import WeeklySeries, stack
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array


class RecordStream(Protocol):
    """Where a run's per-employee tables go block by block, as the run makes them.

    ``append("employees", frame)`` adds one quarter's rows of the
    ``employees`` table (:func:`employee_frame` of that quarter alone), and
    likewise ``key_results`` and ``employee_weeks`` (a week's rows); the
    blocks in order are the table the run would otherwise hold.
    :class:`okrsim.run_store.ParquetStream` writes them to Parquet.
    """

    def append(self, name: str, frame: pd.DataFrame) -> None: ...


@dataclass(frozen=True)
class Held:
    """A run's per-employee and per-key-result columns, one dict per review,
    held for its tables (:func:`employee_frame`, :func:`key_result_frame`)."""

    employees: list[dict[str, Array]] = field(default_factory=list)
    key_results: list[dict[str, Array]] = field(default_factory=list)


def keep_quarter(
    employees: dict[str, Array],
    key_results: dict[str, Array],
    *,
    stream: RecordStream | None,
    held: Held,
) -> None:
    """One review's per-employee and per-key-result columns: streamed, or held for the run's end."""
    if stream is not None:
        stream.append("employees", employee_frame([employees]))
        stream.append("key_results", key_result_frame([key_results]))
    else:
        held.employees.append(employees)
        held.key_results.append(key_results)


def _ratio(total: float, count: float) -> float:
    """A mean from its total and count; NaN when nothing was counted."""
    return total / count if count > 0 else float("nan")


def _per(total: Array, count: Array) -> Array:
    """Each employee's mean from its total and count; NaN where nothing was counted."""
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def employee_columns(
    quarter: int,
    wf: Workforce,
    policy: InForce,
    tally: Tally,
    review: Review,
    *,
    left: Array,
    alignment: Array,
) -> dict[str, Array]:
    """One row per employee for the quarter, as columns: the truth and the measure side by side.

    ``left`` marks those who leave at this review; ``alignment`` is each
    team's strategic alignment this quarter.  Every column is a copy, as some
    are the workforce's state arrays, which change later.
    """
    t = tally
    enabled = policy.scenario.okr.enabled
    target = wf.target * wf.par
    measured, true_att = review.measured, review.true_attainment
    columns = metrics.employee_quarter(
        quarter,
        {
            "team": wf.team,
            "target": target.sum(axis=1),
            "expected_output": wf.expected.sum(axis=1),
            "sandbagging_index": metrics.sandbagging(target, wf.expected),
            "true_output": wf.produced.sum(axis=1),
            "reported_output": wf.reported.sum(axis=1),
            "attainment": np.nanmean(measured, axis=1) if enabled else measured[:, 0],
            "true_attainment": np.nanmean(true_att, axis=1) if enabled else true_att[:, 0],
            "score": review.score,
            "judged": review.judgment.judged,
            "rating": review.ratings,
            "true_contribution": t.contribution,
            "value_delivered": t.value,
            "kr_output": t.kr_output,
            "aligned_output": t.aligned_output,
            "alignment": alignment[wf.team],
            "kr_share": t.effort[:, 0] / WEEKS_PER_QUARTER,
            "bau_share": t.effort[:, 1] / WEEKS_PER_QUARTER,
            "help_share": t.effort[:, 2] / WEEKS_PER_QUARTER,
            "exploration_share": t.effort[:, 3] / WEEKS_PER_QUARTER,
            "visibility_share": t.effort[:, 4] / WEEKS_PER_QUARTER,
            "intensity": _per(t.hours, t.weeks_present),
            "tenure_weeks": wf.tenure_weeks,
            "left": left,
            "kr_share_when_ahead": _per(t.late_ahead_kr, t.late_ahead_weeks),
            "target_error": np.abs(measured - 1.0).mean(axis=1),
            "just_met_share": np.where(
                np.isfinite(measured), (measured >= 1.0) & (measured < 1.1), np.nan
            ).mean(axis=1),
            "met_while_short": metrics.met_while_short(wf.reported, wf.produced, target),
            "effort_cut_behind": metrics.effort_cut_behind(
                t.behind_mid,
                t.kr_drive_first,
                t.kr_drive_rest,
                weeks_first=MIDPOINT_WEEK + 1,
                weeks_rest=WEEKS_PER_QUARTER - MIDPOINT_WEEK - 1,
            )
            if enabled
            else np.full(wf.n, np.nan),
            "help_given": t.help_given,
            "help_received": t.help_received,
            "raises": t.raises,
            "incidents": t.incidents,
            "breakthroughs": t.breakthroughs,
            "failed_bet": metrics.failed_bets(t.explore_time, t.breakthroughs),
            "stress": wf.stress,
            "capability": wf.capability,
            # the beliefs about the policy held this quarter (before this review's learning)
            **{name: getattr(wf, name) for name in metrics.BELIEFS},
            "biased_reports": t.biased_reports,
            "optimistic_reports": t.optimistic_reports,
            "slanted_reports": t.slanted_reports,
            "reports": t.reports,
            "reporting_bias": t.bias / WEEKS_PER_QUARTER,
            "target_revisions": t.revisions,
            "revision_requests": t.revision_requests,
            "dependency_delay_weeks": t.dependency_weeks,
            "overhead_share": t.overhead / WEEKS_PER_QUARTER,
            "late_kr_output": t.kr_output_late,
            "booked_elsewhere_output": t.booked_elsewhere,
        },
    )
    return {name: np.array(values) for name, values in columns.items()}


def quarter_row(
    employees: Mapping[str, Array], series: WeeklySeries, tally: Tally, *, krs: int
) -> dict[str, float]:
    """The quarter's metrics from its employee columns and the run's weekly series so far."""
    (row,) = quarter_rows(employees, [series], [tally], krs=krs)
    return row


def quarter_rows(
    employees: Mapping[str, Array],
    serieses: Sequence[WeeklySeries],
    tallies: Sequence[Tally],
    *,
    krs: int,
) -> list[dict[str, float]]:
    """:func:`quarter_row` of runs of one size whose employee columns are end to end.

    Each run's metrics come from its own rows (:func:`metrics.quarter_metrics`),
    its weekly series and its tally.
    """
    runs = len(tallies)
    return metrics.quarter_metrics(
        {name: np.asarray(values).reshape(runs, -1) for name, values in employees.items()},
        weekly=[series.last(WEEKS_PER_QUARTER) for series in serieses],
        latencies=[t.latency_weeks() for t in tallies],
        hidden_weeks=[float(t.hidden_weeks) for t in tallies],
        blocked_weeks=[float(t.blocked_weeks) for t in tallies],
        krs=krs,
        hidden_reported=[_ratio(t.hidden_reported, t.hidden_seen) for t in tallies],
        hidden_true=[_ratio(t.hidden_true, t.hidden_seen) for t in tallies],
    )


def key_result_columns(
    quarter: int, wf: Workforce, org: Organisation, tally: Tally, review: Review
) -> dict[str, Array]:
    """One row per employee × key result for the quarter, as columns (NaN targets without OKRs).

    Every column is a copy.  ``first_blocked_week`` and ``raised_week`` are
    weeks 1–13, 0 if never; the statuses are codes (:data:`metrics.STATUS_NAMES`);
    :func:`key_result_frame` turns both into what the table shows.
    """
    n, k = wf.n, org.krs
    target = wf.target * wf.par
    columns: dict[str, Array] = {
        "quarter": np.full(n * k, quarter),
        "employee": np.repeat(np.arange(n), k),
        "team": np.repeat(wf.team, k),
        "kr": np.tile(np.arange(k), n),
        "target": target.ravel(),
        "offer": wf.offer.flatten(),
        "expected_output": wf.expected.flatten(),
        "true_output": wf.produced.flatten(),
        # carried in at the quarter's start less moved out at its end (booking)
        "booked_across": (wf.progress - wf.produced).ravel(),
        "reported_output": wf.reported.flatten(),
        "attainment": review.measured.flatten(),
        "aspirational": org.aspirational.flatten(),
        "shared": org.shared.flatten(),
        # the first key result waits on the upstream colleague, as do shared ones
        "dependent": (np.repeat(org.supplier >= 0, k) & (np.tile(np.arange(k), n) == 0))
        | org.shared.ravel(),
        "first_blocked_week": tally.blocked_week.ravel() + 1,
        "raised_week": tally.raise_week.ravel() + 1,
    }
    for third, start in enumerate(THIRD_STARTS):
        end = THIRD_STARTS[third + 1] if third + 1 < len(THIRD_STARTS) else WEEKS_PER_QUARTER
        columns[f"output_weeks_{start + 1}_{end}"] = tally.kr_output_by_third[:, :, third].flatten()
    columns["reported_status"] = wf.reported_status.flatten()
    columns["true_status"] = wf.true_status.flatten()
    return columns


def employee_frame(quarters: list[dict[str, Array]]) -> pd.DataFrame:
    """The run's employee table from each quarter's :func:`employee_columns`."""
    return pd.DataFrame(stack(quarters), copy=False) if quarters else pd.DataFrame()


def key_result_frame(quarters: list[dict[str, Array]]) -> pd.DataFrame:
    """The run's key-result table from each quarter's :func:`key_result_columns`.

    Weeks never reached are empty (a nullable integer column); statuses are named.
    """
    if not quarters:
        return pd.DataFrame()
    stacked = stack(quarters)
    columns: dict[str, Array | pd.api.extensions.ExtensionArray] = dict(stacked)
    for weeks in ("first_blocked_week", "raised_week"):
        columns[weeks] = _weeks_or_empty(stacked[weeks])
    # the names in the string type pandas gives text, taken by code (not converted one by one)
    names = pd.Series([metrics.STATUS_NAMES[code] for code in sorted(metrics.STATUS_NAMES)])
    for status in ("reported_status", "true_status"):
        columns[status] = names.array.take(stacked[status])
    return pd.DataFrame(columns, copy=False)


def _weeks_or_empty(weeks: Array) -> pd.arrays.IntegerArray:
    """Week numbers as a nullable integer column, empty where 0 (never)."""
    return pd.arrays.IntegerArray(weeks.astype(np.int64), weeks <= 0)
