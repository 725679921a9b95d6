"""The empirical patterns okrsim is validated against, and how each is tested.

Pattern-oriented validation (Grimm et al. 2005): one set of documented
defaults must reproduce several independent patterns found in research on
targets and incentives, not only the effects the model was built around.
Each pattern names its source and finding, the sweeps that test it (design
points run with paired replications and common random numbers, through
:mod:`okrsim.experiments`), and the checks that compare the measured values
with the finding.  No check sets a constant for its experiment: every point
differs from the baseline only in policy levers or the world, as a scenario
file would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from okrsim.stats import mean_ci, paired_difference

#: One sweep's stored rows (``runs/`` of its store) by sweep name.
Runs = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Check:
    """One measured comparison and whether it agrees with the finding."""

    pattern: str
    metric: str
    expected: str
    measured: float
    ci_low: float
    ci_high: float
    cohens_d: float
    passed: bool
    detail: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "metric": self.metric,
            "expected": self.expected,
            "measured": self.measured,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "cohens_d": self.cohens_d,
            "pass": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Pattern:
    """A finding from the literature and the sweeps and checks that test it."""

    id: str
    title: str
    source: str
    finding: str
    sweeps: Mapping[str, Mapping[str, Any]]  # name → experiment (axes and fixed keys)
    check: Callable[[Runs], list[Check]]
    figure: tuple[str, str, str]  # (sweep, axis key, metric) for the chart


# -- selection and comparison helpers ---------------------------------------------------
def at(runs: pd.DataFrame, **where: Any) -> pd.DataFrame:
    """Rows of one design point (``key=value`` with dots written as ``__``)."""
    mask = np.ones(len(runs), dtype=bool)
    for key, value in where.items():
        column = runs[key.replace("__", ".")]
        mask &= np.isclose(column, value) if isinstance(value, float) else column == value
    return runs[mask]


def contrast(
    pattern: str, metric: str, a: pd.DataFrame, b: pd.DataFrame, sign: int, label: str
) -> Check:
    """``b − a`` paired by replication; passes if its 95 % CI lies on ``sign``'s side of 0."""
    left = a.set_index("replication")[metric]
    right = b.set_index("replication")[metric].reindex(left.index)
    d = paired_difference(left.to_numpy(float), right.to_numpy(float))
    passed = bool(d.ci_low > 0) if sign > 0 else bool(d.ci_high < 0)
    expected = f"{label}: {'>' if sign > 0 else '<'} 0"
    return Check(pattern, metric, expected, d.diff, d.ci_low, d.ci_high, d.cohens_d, passed)


def within(
    pattern: str, metric: str, rows: pd.DataFrame, low: float, high: float, label: str
) -> Check:
    """A level whose mean (95 % CI over replications) should fall in ``[low, high]``."""
    m, lo, hi = mean_ci(rows[metric])
    return Check(
        pattern,
        metric,
        f"{label} in [{low:g}, {high:g}]",
        m,
        lo,
        hi,
        float("nan"),
        bool(low <= m <= high),
    )


def monotone(
    pattern: str, metric: str, runs: pd.DataFrame, key: str, values: list[float], sign: int
) -> list[Check]:
    """Each step along ``values`` moves ``metric`` in ``sign``'s direction (paired CIs)."""
    return [
        contrast(
            pattern,
            metric,
            at(runs, **{key.replace(".", "__"): lo}),
            at(runs, **{key.replace(".", "__"): hi}),
            sign,
            f"{key} {lo:g} → {hi:g}",
        )
        for lo, hi in pairwise(values)
    ]


def trend(
    pattern: str, metric: str, runs: pd.DataFrame, key: str, values: list[float], sign: int
) -> Check:
    """``metric`` moves in ``sign``'s direction along ``values``.

    Passes when the mean never steps the other way and the end-to-end paired
    difference's 95 % CI lies on ``sign``'s side of zero.
    """
    column = key.replace(".", "__")
    means = [at(runs, **{column: v})[metric].mean() for v in values]
    steps = np.diff(means) * sign
    ends = contrast(
        pattern,
        metric,
        at(runs, **{column: values[0]}),
        at(runs, **{column: values[-1]}),
        sign,
        f"{key} {values[0]:g} → {values[-1]:g}",
    )
    word = "rises" if sign > 0 else "falls"
    return Check(
        pattern,
        metric,
        f"{word} along {key} (no step back; end-to-end CI {ends.expected[-3:]})",
        ends.measured,
        ends.ci_low,
        ends.ci_high,
        ends.cohens_d,
        bool(ends.passed and np.all(steps >= 0)),
        "means: " + ", ".join(f"{m:.4f}" for m in means),
    )


# -- the patterns ------------------------------------------------------------------------
COUPLED = {"comp.coupling": 0.8}
AUDITOR = {
    "judgment.blocker_penalty": 0.4,
    "judgment.coach_help": 0.0,
    "judgment.audit_probability": 0.04,
    "judgment.inflation_penalty": 1.0,
}
COACH = {
    "judgment.blocker_penalty": 0.0,
    "judgment.coach_help": 0.5,
    "judgment.risk_weight": 0.3,
    "judgment.audit_probability": 0.01,
}
ALPHAS = [0.0, 0.5, 1.0]
COUPLINGS = [0.0, 0.25, 0.5, 0.75, 1.0]
STRETCHES = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
#: Sweeps that more than one pattern reads (run once, checked by each).
COUPLING_SWEEP = {"axes": {"comp.coupling": COUPLINGS}}
AUDITOR_SWEEP = {"set": AUDITOR, "axes": {"comp.coupling": [0.8]}}
COACH_SWEEP = {"set": COACH, "axes": {"comp.coupling": [0.0]}}


def _ratchet(runs: Runs) -> list[Check]:
    r = runs["ratchet"]
    key = "okr__ratchet_strength"
    return [
        contrast(
            "ratchet",
            "kr_share_when_ahead",
            at(r, **{key: 0.0}),
            at(r, **{key: 1.0}),
            -1,
            "ahead of target late in the quarter, key-result effort: ratchet 1 − none",
        ),
        *monotone("ratchet", "sandbagging_index", r, "okr.ratchet_strength", ALPHAS, +1),
    ]


def _meet_not_beat(runs: Runs) -> list[Check]:
    before, after = runs["goals_before_plan"], runs["goals_under_plan"]
    label = "under the plan − before (assigned goals, no bonus)"
    return [
        contrast("meet_not_beat", "sandbagging_index", before, after, +1, label),
        contrast("meet_not_beat", "target_error", before, after, -1, label),
        contrast("meet_not_beat", "just_met_share", before, after, +1, label),
    ]


def _goal_difficulty(runs: Runs) -> list[Check]:
    r = runs["goal_difficulty"]
    key = "okr__assigned_stretch"
    out = [
        contrast(
            "goal_difficulty",
            "aligned_output",
            at(r, **{key: 0.5}),
            at(r, **{key: 1.0}),
            +1,
            "assigned 1.0× − 0.5× capability",
        ),
    ]
    means = {s: at(r, **{key: s})["aligned_output"].mean() for s in STRETCHES}
    rise = (means[1.0] - means[0.5]) / 0.5
    beyond = (means[2.0] - means[1.0]) / 1.0
    out.append(
        Check(
            "goal_difficulty",
            "aligned_output",
            "slope beyond 1× < half the slope below",
            beyond,
            float("nan"),
            float("nan"),
            float("nan"),
            bool(beyond < 0.5 * rise),
            f"slope 0.5→1×: {rise:.3f} per ×; 1→2×: {beyond:.3f} per ×",
        )
    )
    n = runs["no_targets"]
    out.append(
        contrast(
            "goal_difficulty",
            "aligned_output",
            at(n, okr__enabled=True),
            at(n, okr__enabled=False),
            -1,
            "no targets (OKRs absent) − assigned 1.0×",
        )
    )
    return out


def _multitask(runs: Runs) -> list[Check]:
    r = runs["coupling"]
    return [
        *monotone("multitask", "bau_share", r, "comp.coupling", COUPLINGS, -1),
        contrast(
            "multitask",
            "incident_backlog",
            at(r, comp__coupling=0.0),
            at(r, comp__coupling=1.0),
            +1,
            "coupling 1 − 0",
        ),
        contrast(
            "multitask",
            "attainment",
            at(r, comp__coupling=0.0),
            at(r, comp__coupling=1.0),
            +1,
            "coupling 1 − 0 (measured output)",
        ),
    ]


def _measured_vs_real(runs: Runs) -> list[Check]:
    r = runs["coupling"]
    return [
        trend("measured_vs_real", "reporting_bias", r, "comp.coupling", COUPLINGS, +1),
        contrast(
            "measured_vs_real",
            "goodhart_corr",
            at(r, comp__coupling=0.0),
            at(r, comp__coupling=1.0),
            -1,
            "coupling 1 − 0",
        ),
    ]


def _climate(runs: Runs) -> list[Check]:
    base, tough, kind = runs["climate_baseline"], runs["climate_auditor"], runs["climate_coach"]
    return [
        # Snow et al.'s "bias" is a deliberate slant of the status one perceives
        within("climate", "slanted_report_share", base, 0.5, 0.7, "baseline (Snow et al.: ~0.6)"),
        contrast(
            "climate", "slanted_report_share", base, tough, +1, "coupled + auditor − baseline"
        ),
        contrast("climate", "slanted_report_share", base, kind, -1, "decoupled + coach − baseline"),
        # reports against the truth: honest error and slant together
        within("climate", "biased_report_share", base, 0.5, 0.7, "baseline, error + slant (~0.6)"),
        within("climate", "optimistic_report_ratio", base, 1.5, 3.0, "baseline (Snow et al.: ~2)"),
        contrast(
            "climate", "optimistic_report_ratio", base, tough, +1, "coupled + auditor − baseline"
        ),
        contrast(
            "climate", "optimistic_report_ratio", base, kind, -1, "decoupled + coach − baseline"
        ),
    ]


def _hidden_rework(runs: Runs) -> list[Check]:
    tough, kind = runs["climate_auditor"], runs["climate_coach"]
    gap = tough.assign(hidden_gap=tough["hidden_reported_progress"] - tough["hidden_true_progress"])
    zero = gap.assign(hidden_gap=0.0)
    return [
        within(
            "hidden_rework",
            "hidden_reported_progress",
            tough,
            0.75,
            1.05,
            "coupled + auditor, hidden-blocked KRs late in the quarter (~0.9)",
        ),
        contrast(
            "hidden_rework",
            "hidden_gap",
            zero,
            gap,
            +1,
            "reported − true progress on hidden-blocked KRs",
        ),
        contrast(
            "hidden_rework",
            "blocker_latency_weeks",
            kind,
            tough,
            +1,
            "coupled + auditor − decoupled + coach",
        ),
    ]


def _no_okrs(runs: Runs) -> list[Check]:
    r = runs["no_okrs"]
    with_okrs, without = at(r, okr__enabled=True), at(r, okr__enabled=False)
    label = "no OKRs − decoupled OKRs"
    return [
        # motion: as much of the week is worked (no OKR overhead) ...
        contrast("no_okrs", "overhead_share", with_okrs, without, -1, label + " (time lost)"),
        # ... without outcomes
        contrast("no_okrs", "aligned_output", with_okrs, without, -1, label),
        contrast("no_okrs", "true_value", with_okrs, without, -1, label),
    ]


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "ratchet",
        "Ratchet",
        "Weitzman (1980); Bouwens & Kroos (2011)",
        "Targets set from past output restrain effort: people already ahead late in the "
        "period slow down; slack rises with the ratchet's strength.",
        {
            "ratchet": {
                "set": {**COUPLED, "okr.target_rule": "ratchet"},
                "axes": {"okr.ratchet_strength": ALPHAS},
            }
        },
        _ratchet,
        ("ratchet", "okr.ratchet_strength", "sandbagging_index"),
    ),
    Pattern(
        "meet_not_beat",
        "Meet but not beat",
        "Anderson, Dekker & Sedatole (2010)",
        "A bonus plan on participatively set goals, which also drew on past results, gave "
        "lower goals that predicted results more accurately: managers met but did not beat them.",
        {
            # before the plan: the firm's goals, no bonus; under it: a step bonus on
            # goals the employee proposes and that move with past results
            "goals_before_plan": {
                "set": {"comp.bonus_curve": "step", "okr.target_rule": "assigned"},
                "axes": {"comp.coupling": [0.0]},
            },
            "goals_under_plan": {
                "set": {"comp.bonus_curve": "step", "okr.target_rule": "ratchet"},
                "axes": {"comp.coupling": [0.8]},
            },
        },
        _meet_not_beat,
        ("", "", "just_met_share"),
    ),
    Pattern(
        "goal_difficulty",
        "Goal difficulty",
        "Locke & Latham (2002)",
        "With pay decoupled, harder assigned goals raise output roughly linearly up to about "
        "capability, then level off; no goals at all gives less than moderately hard ones.",
        {
            "goal_difficulty": {
                "set": {"comp.coupling": 0.0, "okr.target_rule": "assigned"},
                "axes": {"okr.assigned_stretch": STRETCHES},
            },
            "no_targets": {
                "set": {
                    "comp.coupling": 0.0,
                    "okr.target_rule": "assigned",
                    "okr.assigned_stretch": 1.0,
                },
                "axes": {"okr.enabled": [True, False]},
            },
        },
        _goal_difficulty,
        ("goal_difficulty", "okr.assigned_stretch", "aligned_output"),
    ),
    Pattern(
        "multitask",
        "Multitask neglect",
        "Holmström & Milgrom (1991); DeHoratius & Raman (2007)",
        "Incentives on measured tasks draw effort from unmeasured ones: as coupling rises, "
        "non-OKR effort falls and its backlog grows while measured output rises.",
        {"coupling": COUPLING_SWEEP},
        _multitask,
        ("coupling", "comp.coupling", "bau_share"),
    ),
    Pattern(
        "measured_vs_real",
        "Measured vs real",
        "Bevan & Hood (2006)",
        "Under a target regime, official compliance (96 %) far exceeded what patients reported "
        "(77 %): reported attainment exceeds true attainment, more so as coupling rises, and "
        "the measure tracks the truth less well.",
        {"coupling": COUPLING_SWEEP},
        _measured_vs_real,
        ("coupling", "comp.coupling", "reporting_bias"),
    ),
    Pattern(
        "climate",
        "Status-report climate",
        "Snow, Keil & Wallace (2007)",
        "Project managers slant the status they perceive in about 60 % of reports, "
        "optimistically about 2 : 1; a punitive climate raises both, a supportive one lowers both.",
        {
            "climate_baseline": {"axes": {"comp.coupling": [0.3]}},
            "climate_auditor": AUDITOR_SWEEP,
            "climate_coach": COACH_SWEEP,
        },
        _climate,
        ("", "", "slanted_report_share"),
    ),
    Pattern(
        "hidden_rework",
        "Hidden rework and the 90 % syndrome",
        "Tesser & Rosen (1975); Ford & Sterman (2003)",
        "Bad news is withheld: while blockers are hidden, reported progress stalls near 90 % "
        "with true progress well behind; surfacing is slower under coupled pay with auditor "
        "managers than decoupled with coaches.",
        {
            "climate_auditor": AUDITOR_SWEEP,
            "climate_coach": COACH_SWEEP,
        },
        _hidden_rework,
        ("", "", "blocker_latency_weeks"),
    ),
    Pattern(
        "no_okrs",
        "Ignoring OKRs is its own failure",
        "Doerr (2018) and practitioner sources",
        "Without shared objectives there is motion without outcomes: people stay busy but "
        "deliver less aligned output and less true value than with decoupled OKRs.",
        {"no_okrs": {"set": {"comp.coupling": 0.0}, "axes": {"okr.enabled": [True, False]}}},
        _no_okrs,
        ("no_okrs", "okr.enabled", "true_value"),
    ),
)
