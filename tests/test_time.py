"""A scheduled policy change unfolds over quarters: beliefs and behaviour lag it.

Decoupling pay in quarter 5 (`decouple_in_year_two`) against an organisation
that was always decoupled, paired replications under common random numbers:
the same people meet the same shocks, and only the history differs.  People
hear the announcement by their credibility, relearn what ratings follow from
the reviews they see as the coupled year's ratings fade from memory, and
their habits move part of the way each week — so behaviour's gap closes over
quarters.  With beliefs fixed to what is stated and no
habits, the same switch closes the gap within its first quarter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from okrsim.comparison import Comparison, compare
from okrsim.params import Scenario
from okrsim.stats import paired_difference

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = {"org.n_teams": 6, "horizon.quarters": 8}
#: Beliefs fixed to what is stated, and every choice a best response.
INSTANT = {
    "behaviour.habit_weeks": 0.0,
    "behaviour.credibility_prior": 1.0,
    "behaviour.learning_rate": 0.0,
}
SWITCH = 5


def decoupling(overrides: dict[str, object], reps: int, seed: int = 13) -> Comparison:
    switched = Scenario.from_toml(SCENARIOS / "decouple_in_year_two.toml")
    decoupled = Scenario.from_toml(SCENARIOS / "decoupled.toml")
    return compare(
        {
            "decoupled": decoupled.with_overrides({**SMALL, **overrides}),
            "switched": switched.with_overrides({**SMALL, **overrides}),
        },
        reps=reps,
        seed=seed,
    )


def gap(comparison: Comparison, metric: str) -> pd.DataFrame:
    """Switched − always decoupled, quarter by quarter, with the paired 95 % CI."""
    q = comparison.by_quarter
    return q[q["metric"] == metric].set_index("quarter")[["diff", "ci_low", "ci_high"]]


@pytest.fixture(scope="module")
def lagged() -> Comparison:
    return decoupling({}, reps=10)


@pytest.mark.slow
def test_trust_is_rebuilt_over_quarters_after_the_switch(lagged: Comparison) -> None:
    belief = gap(lagged, "coupling_belief")
    # a year of coupling taught people that scores decide ratings
    assert belief.loc[SWITCH - 1, "ci_low"] > 0.3
    # the announcement moves beliefs by credibility at once, below those who
    # heard the decoupling on arrival, with less credibility
    assert belief.loc[SWITCH, "ci_high"] < 0
    q = lagged.quarterly
    switched = q[q["scenario"] == "switched"].pivot(
        index="replication", columns="quarter", values="coupling_belief"
    )
    # the first decoupled review is still read beside the coupled year's
    # ratings (discounted, not erased, by the announcement) ...
    assert paired_difference(switched[SWITCH], switched[SWITCH + 1]).ci_low > 0
    # ... which fade from memory over the following quarters
    assert paired_difference(switched[SWITCH + 1], switched[8]).ci_high < 0


@pytest.mark.slow
def test_slanted_reports_and_bias_outlast_the_switch(lagged: Comparison) -> None:
    slanted = gap(lagged, "slanted_report_share")
    bias = gap(lagged, "reporting_bias")
    # in the first decoupled quarter, habits and beliefs still slant reports
    assert slanted.loc[SWITCH, "ci_low"] > 0.05
    assert bias.loc[SWITCH, "ci_low"] > 0
    # ... and the gap closes over the following quarters, not in one step
    assert slanted.loc[SWITCH + 1, "diff"] < slanted.loc[SWITCH, "diff"]
    assert slanted.loc[8, "diff"] < 0.5 * slanted.loc[SWITCH, "diff"]
    assert np.isfinite(lagged.gap_recovery("slanted_report_share", "switched", SWITCH))


@pytest.mark.slow
def test_without_habits_or_learning_the_switch_takes_one_step() -> None:
    instant = decoupling(INSTANT, reps=6)
    for metric in ("slanted_report_share", "reporting_bias", "sandbagging_index"):
        before, after = gap(instant, metric).loc[SWITCH - 1], gap(instant, metric).loc[SWITCH]
        assert before["ci_low"] > 0, metric
        # the first decoupled quarter already looks like the always-decoupled one
        # (to within output booked across the switch)
        assert abs(after["diff"]) < 0.25 * before["diff"], metric
