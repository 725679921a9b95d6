"""Metrics, named once and used everywhere (columns, CLI tables, charts).

Each quarter yields one row of model-level metrics, computed from the
per-employee quarter table, which holds the ground truth and what the
organisation measured side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from okrsim import rows
from okrsim.params import Okr
from okrsim.policies.curves import Array

#: The canonical metrics, with what each one means.
METRICS: Final[dict[str, str]] = {
    "sandbagging_index": "1 − target / own expected output (> 0 = targets set low)",
    "attainment": "measured (reported) attainment, reported output / target",
    "true_attainment": "true output / target",
    "true_value": "true value delivered per employee-week",
    "reporting_bias": "reported − true progress at check-ins, as a share of target",
    "biased_report_share": "share of check-ins whose report misstates true progress by > 10 %",
    "slanted_report_share": "share of check-ins deliberately reported > 10 % away from perception",
    "optimistic_report_ratio": "optimistic / pessimistic biased check-ins",
    "blocker_latency_weeks": "weeks from a blocker's onset until it is raised (or clears unraised)",
    "hidden_blocker_share": "share of blocked key-result weeks with the blocker hidden",
    "kr_share": "share of working time on key-result (goal-directed) work",
    "help_share": "share of working time spent helping colleagues",
    "bau_share": "share of working time on non-OKR (business-as-usual) work",
    "exploration_share": "share of working time on exploration",
    "visibility_share": "share of working time making one's work visible to the manager",
    "intensity": "hours worked as a multiple of a normal week (1 = a normal week)",
    "quit_rate": "share of employees leaving at a review, per quarter",
    "leaver_capability_ratio": "mean capability of leavers / mean capability of stayers",
    "alignment": "mean strategic alignment of goal-directed work (1 = aimed exactly)",
    "incident_backlog": "neglected non-OKR work outstanding per employee",
    "breakthrough_rate": "exploration breakthroughs per employee-quarter",
    "goodhart_corr": "correlation across employees of measured OKR score with true contribution",
    "rating_accuracy": "correlation across employees of rating with true contribution",
    "watermelon_share": "share of key-result check-ins reported green while truly red",
    "stress": "mean stress (0–1)",
    "wellbeing": "1 − stress",
    "overhead_share": "share of time on negotiation and status work",
    "target_revisions": "mid-quarter target revisions per employee-quarter",
    "failed_bets": "share of employees whose exploration in the quarter brought no breakthrough",
    "revision_requests": "mid-quarter target revisions asked for per employee-quarter",
    "dependency_delay_weeks": "weeks a key result stalls on an upstream colleague, per KR-quarter",
    "capability": "mean true capability",
    "kr_output": "true key-result output per employee-week",
    "aligned_output": "key-result output times its strategic alignment, per employee-week",
    "kr_share_when_ahead": "key-result share late in a quarter once reports meet every target",
    "target_error": "|measured attainment − 1|: how far recorded results land from targets",
    "just_met_share": "share of key results recorded just above target (1.0 to 1.1)",
    "hidden_reported_progress": "reported progress / target on late-quarter hidden-blocked KRs",
    "hidden_true_progress": "true progress / target on late-quarter hidden-blocked KRs",
    "late_share": "share of the quarter's key-result output produced in its last three weeks",
    "booked_elsewhere": "key-result output booked in another quarter than it was produced in, "
    "as a share of key-result output",
    "met_while_short": "share of key results reported met at the quarter's end while truly < 80 %",
    "effort_cut_behind": "share of employees that fell behind by week 7, then cut key-result work",
    "coupling_belief": "mean believed share of the rating the OKR score decides",
    "coupling_belief_sd": "sd across employees of the believed coupling",
    "bad_news_belief": "mean rating mark expected per piece of bad news (< 0: a credit)",
    "bad_news_belief_sd": "sd across employees of the bad-news belief",
    "ratchet_belief": "mean believed share by which next target follows reported output",
    "ratchet_belief_sd": "sd across employees of the ratchet belief",
    "audit_belief": "mean believed weekly chance a report is audited",
    "audit_belief_sd": "sd across employees of the audit belief",
    "credibility": "mean share of the way beliefs move towards what the organisation states",
    "credibility_sd": "sd across employees of credibility",
}

#: Figures of a whole run read off its quarterly series: how long a scheduled
#: policy change takes to show, with the quarterly metric each one follows.
RECOVERY: Final[dict[str, str]] = {
    "sandbagging_recovery": "sandbagging_index",
    "reporting_bias_recovery": "reporting_bias",
}
RUN_METRICS: Final[dict[str, str]] = {
    name: (
        f"quarters after the last scheduled policy change until {metric} has moved half the "
        "way from its level in the quarter before the change to its level in the run's last "
        "quarter (0.5 = within the first quarter; NaN without a change)"
    )
    for name, metric in RECOVERY.items()
}


def halfway_quarters(
    values: ArrayLike, quarters: ArrayLike, change: int, settled: float | None = None
) -> float:
    """Quarters from a change until a series has moved half the way to where it settles.

    ``values`` by ``quarters`` (1-based); the change holds from quarter
    ``change``.  The series starts at its value in the quarter before the
    change (time 0) and quarter ``change + t − 1`` ends at time ``t``; the
    crossing of the halfway mark between ``start`` and ``settled`` (default:
    the last value; 0 for the gap between two paired policies) is
    interpolated linearly, so a series that moves fully within the first
    quarter takes 0.5.  NaN when there is no quarter before the change, no
    move to make, or the series never gets half the way.
    """
    v = pd.Series(np.asarray(values, dtype=float), index=np.asarray(quarters, dtype=int))
    if change - 1 not in v.index or not np.isfinite(v.get(change - 1, np.nan)):
        return float("nan")
    start = float(v[change - 1])
    after = v[v.index >= change].sort_index()
    end = float(after.iloc[-1]) if settled is None and len(after) else settled
    if end is None or not np.isfinite(end) or abs(end - start) < 1e-12:
        return float("nan")
    # share of the way from start to end, at times 0, 1, 2, ...
    way = np.concatenate([[0.0], (after.to_numpy() - start) / (end - start)])
    crossed = np.flatnonzero(way >= 0.5)
    if crossed.size == 0:
        return float("nan")
    t = int(crossed[0])
    before, at = way[t - 1], way[t]
    return float(t - 1 + (0.5 - before) / (at - before)) if at != before else float(t)


def recovery(quarterly: pd.DataFrame, change: int | None) -> dict[str, float]:
    """Each :data:`RUN_METRICS` figure of one run (NaN without a scheduled change)."""
    out = {}
    for name, metric in RECOVERY.items():
        if change is None or metric not in quarterly.columns:
            out[name] = float("nan")
        else:
            out[name] = halfway_quarters(quarterly[metric], quarterly["quarter"], change)
    return out


#: Traffic-light status of a key result's progress against pace: on track at
#: ≥ GREEN of the progress due by now, off track below RED, at risk between
#: (a common status convention; the thresholds are assumptions).  RED is the
#: default of ``okr.red_pace``, the threshold a run's check-ins use.
GREEN, RED = 0.9, Okr().red_pace
ON_TRACK, AT_RISK, OFF_TRACK, NO_TARGET = 0, 1, 2, 3
#: Each status code's name in the written results.
STATUS_NAMES: Final[dict[int, str]] = {
    ON_TRACK: "on_track",
    AT_RISK: "at_risk",
    OFF_TRACK: "off_track",
    NO_TARGET: "no_target",
}


def status_codes(pace_ratio: Array, *, green: float = GREEN, red: float = RED) -> Array:
    """Status of each key result from progress / progress due; no target where undefined."""
    codes = np.where(pace_ratio >= green, ON_TRACK, np.where(pace_ratio < red, OFF_TRACK, AT_RISK))
    return np.where(np.isfinite(pace_ratio), codes, NO_TARGET).astype(np.int8)


def behind_pace(status: Array) -> Array:
    """Key results behind pace: at risk or off track (not those without a target)."""
    return (status == AT_RISK) | (status == OFF_TRACK)


def met_while_short(reported: Array, true: Array, target: Array, *, short: float = 0.8) -> Array:
    """Each employee's share of key results reported met while truly below ``short`` of target.

    Shape (n, k) in, (n,) out; NaN without targets.
    """
    with np.errstate(invalid="ignore"):
        claimed = np.where(
            np.isfinite(target), (reported >= target) & (true < short * target), np.nan
        )
    return claimed.mean(axis=1)


def sandbagging(target: Array, expected: Array) -> Array:
    """Each employee's ``1 − Σ target / Σ own expected output`` (NaN without targets)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - rows.total(target) / rows.total(expected)


def effort_cut_behind(
    behind: Array, drive_first: Array, drive_rest: Array, *, weeks_first: int, weeks_rest: int
) -> Array:
    """Whether each employee fell behind mid-quarter and then cut its key-result effort.

    ``behind``: truly behind pace on some key result at the mid-quarter
    check-in; ``drive_*``: key-result share of effort × intensity summed over
    the weeks up to it and after it.  1 if behind and the mean after is lower.
    """
    cut = drive_rest / weeks_rest < drive_first / weeks_first
    return (behind.astype(bool) & cut).astype(float)


def watermelons(reported_status: Array, true_status: Array) -> Array:
    """Key results reported on track while truly off track: green outside, red inside."""
    return (reported_status == ON_TRACK) & (true_status == OFF_TRACK)


def corr(x: Array, y: Array) -> float:
    """Pearson correlation, NaN when either side has no variance or data."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    xs, ys = x[ok], y[ok]
    if xs.std() < 1e-12 or ys.std() < 1e-12:
        return float("nan")
    return float(np.corrcoef(xs, ys)[0, 1])


def employee_quarter(quarter: int, columns: Mapping[str, Array | float]) -> dict[str, Array]:
    """The columns of one row per employee: true values and measured values side by side.

    ``columns`` maps column names to per-employee arrays (scalars broadcast);
    ``quarter`` and ``employee`` columns come first.  Some columns are the
    workforce's state arrays, which change later: copy before keeping them.
    """
    n = len(np.asarray(columns["team"]))
    return {"quarter": np.full(n, quarter), "employee": np.arange(n)} | {
        name: np.full(n, v) if np.ndim(v) == 0 else np.asarray(v) for name, v in columns.items()
    }


def quarter_metrics(
    employees: Mapping[str, Array],
    *,
    weekly: Sequence[Mapping[str, Array]],
    latencies: Sequence[Array],
    hidden_weeks: Sequence[float],
    blocked_weeks: Sequence[float],
    krs: int,
    hidden_reported: Sequence[float],
    hidden_true: Sequence[float],
) -> list[dict[str, float]]:
    """The canonical metrics of a quarter for each of one or more runs of one size.

    ``employees``: the columns of the employee table (:func:`employee_quarter`),
    each shaped (runs, employees), a run's table per row; the other arguments
    one per run.  Every figure is reduced along each run's row alone (the
    same pairwise sums as the run's own table), so each run's metrics are
    those of its table, bit for bit, in a cohort or alone.
    """
    e = {name: np.asarray(values) for name, values in employees.items()}
    n = e["quarter"].shape[-1]
    biased = e["biased_reports"].sum(axis=-1).astype(float)
    optimistic = e["optimistic_reports"].sum(axis=-1).astype(float)
    reports = np.maximum(e["reports"].sum(axis=-1).astype(float), 1.0)
    weeks = np.array([max(len(w["week"]), 1) for w in weekly])

    def per_week(name: str) -> Array:
        return e[name].sum(axis=-1) / (n * weeks)

    columns: dict[str, Array | list[float]] = {
        "sandbagging_index": _mean(e["sandbagging_index"]),
        "attainment": _mean(e["attainment"]),
        "true_attainment": _mean(e["true_attainment"]),
        "true_value": per_week("value_delivered"),
        "reporting_bias": _mean(e["reporting_bias"]),
        "biased_report_share": biased / reports,
        "optimistic_report_ratio": optimistic / np.maximum(biased - optimistic, 1.0),
        "slanted_report_share": e["slanted_reports"].sum(axis=-1).astype(float) / reports,
        "blocker_latency_weeks": [float(x.mean()) if x.size else 0.0 for x in latencies],
        "hidden_blocker_share": [
            h / b if b else 0.0 for h, b in zip(hidden_weeks, blocked_weeks, strict=True)
        ],
        "kr_share": _mean(e["kr_share"]),
        "help_share": _mean(e["help_share"]),
        "bau_share": _mean(e["bau_share"]),
        "exploration_share": _mean(e["exploration_share"]),
        "visibility_share": _mean(e["visibility_share"]),
        "intensity": _mean(e["intensity"]),
        "quit_rate": _mean(e["left"].astype(float)),
        "leaver_capability_ratio": [
            _leaver_ratio(left, capability)
            for left, capability in zip(e["left"], e["capability"], strict=True)
        ],
        "alignment": _mean(e["alignment"]),
        "incident_backlog": [float(np.mean(w["incident_backlog"])) for w in weekly],
        "breakthrough_rate": _mean(e["breakthroughs"]),
        "goodhart_corr": _corr_by_run(e["score"], e["true_contribution"]),
        "rating_accuracy": _corr_by_run(e["rating"], e["true_contribution"]),
        "watermelon_share": [float(np.mean(w["watermelon_share"])) for w in weekly],
        "stress": _mean(e["stress"]),
        "wellbeing": 1.0 - _mean(e["stress"]),
        "overhead_share": _mean(e["overhead_share"]),
        "target_revisions": _mean(e["target_revisions"]),
        "failed_bets": _mean(e["failed_bet"]),
        "revision_requests": _mean(e["revision_requests"]),
        "dependency_delay_weeks": e["dependency_delay_weeks"].sum(axis=-1) / (n * krs),
        "capability": _mean(e["capability"]),
        "kr_output": per_week("kr_output"),
        "aligned_output": per_week("aligned_output"),
        "kr_share_when_ahead": _mean(e["kr_share_when_ahead"]),
        "target_error": _mean(e["target_error"]),
        "just_met_share": _mean(e["just_met_share"]),
        "hidden_reported_progress": list(hidden_reported),
        "hidden_true_progress": list(hidden_true),
        "late_share": output_share(e["late_kr_output"], e["kr_output"]),
        "booked_elsewhere": output_share(e["booked_elsewhere_output"], e["kr_output"]),
        "met_while_short": _mean(e["met_while_short"]),
        "effort_cut_behind": _mean(e["effort_cut_behind"]),
    } | belief_spread(e)
    quarters = e["quarter"][:, 0]
    return [
        {"quarter": int(quarter)} | {name: float(values[r]) for name, values in columns.items()}
        for r, quarter in enumerate(quarters)
    ]


#: The beliefs about the policy recorded per employee, and their mean and sd per quarter.
BELIEFS = ("coupling_belief", "bad_news_belief", "ratchet_belief", "audit_belief", "credibility")


def belief_spread(employees: Mapping[str, Array]) -> dict[str, Array]:
    """Each belief's mean across employees and its sd (``<belief>_sd``): how far people differ.

    Along the last axis: one figure per run where runs are rows.
    """
    row: dict[str, Array] = {}
    for name in BELIEFS:
        values = np.asarray(employees[name], dtype=float)
        row[name] = values.mean(axis=-1)
        row[f"{name}_sd"] = values.std(axis=-1)
    return row


def output_share(part: ArrayLike, output: ArrayLike) -> Array:
    """A part of the quarter's key-result output over all of it (NaN if there was none).

    ``late_share``: output produced in the quarter's last three weeks (weeks
    11–13) — work piling up before the deadline.  ``booked_elsewhere``: output
    held back into the next quarter or pulled in from it, both counted at the
    quarter's end they cross.  Along the last axis: one share per run where
    runs are rows.
    """
    total = np.asarray(output, dtype=float).sum(axis=-1)
    part_total = np.asarray(part, dtype=float).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, part_total / total, np.nan)


def failed_bets(explore_time: Array, breakthroughs: Array) -> Array:
    """1 where an employee explored in the quarter and no breakthrough came, else 0.

    Exploration is a bet that visibly fails: time spent on it with nothing
    to show at the quarter's end.
    """
    return ((np.asarray(explore_time) > 0) & (np.asarray(breakthroughs) == 0)).astype(float)


def nanmeans(values: ArrayLike) -> Array:
    """``np.nanmean`` along the last axis, bit for bit, without its dispatch.

    NaNs are summed as zeros in the same pairwise sum, over the count of the
    rest; a row of NaNs gives NaN.  One mean per row.
    """
    x = np.asarray(values, dtype=float)
    missing = np.isnan(x)
    count = x.shape[-1] - np.count_nonzero(missing, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.add.reduce(np.where(missing, 0.0, x), axis=-1) / count


def _mean(col: ArrayLike) -> Array:
    """Mean over employees (the last axis), NaNs left out; NaN when no value is
    finite (:func:`nanmeans`; dispatch dominated a quarter's metrics)."""
    values = np.asarray(col, dtype=float)
    return np.where(np.isfinite(values).any(axis=-1), nanmeans(values), np.nan)


def _corr_by_run(x: Array, y: Array) -> list[float]:
    """:func:`corr` of each run's row (a run's own, as its table gives it)."""
    return [corr(a.astype(float), b.astype(float)) for a, b in zip(x, y, strict=True)]


def _leaver_ratio(left: Array, capability: Array) -> float:
    """Mean capability of those who left over that of those who stayed (NaN if none left)."""
    gone = np.asarray(left, dtype=bool)
    if not gone.any() or gone.all():
        return float("nan")
    kept = np.asarray(capability, dtype=float)
    return float(kept[gone].mean() / kept[~gone].mean())
