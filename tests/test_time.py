"""A scheduled policy change unfolds over quarters: beliefs and behaviour lag it.

Decoupling pay in quarter 5 (`decouple_in_year_two`) against an organisation
that was always decoupled, paired replications under common random numbers:
the same people meet the same shocks, and only the history differs.  People
hear the announcement by their credibility and keep reading the reviews they
see beside the coupled year's ratings, so beliefs and targets move over
quarters.  With beliefs fixed to what is stated and no habits, the same
switch takes one step.
"""

from __future__ import annotations

from pathlib import Path

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
    # a belief read partly from the teams' standing, heard alike across an
    # organisation, varies more from run to run: 60 paired replications hold
    # these claims at every seed tried (13 to 15), 10 did not
    return decoupling({}, reps=60)


def switched(comparison: Comparison, metric: str) -> pd.DataFrame:
    """The decoupled-in-year-two arm's ``metric``, replications by quarters."""
    q = comparison.quarterly
    rows = q[q["scenario"] == "switched"]
    return rows.pivot(index="replication", columns="quarter", values=metric)


@pytest.mark.slow
def test_trust_moves_over_quarters_after_the_switch(lagged: Comparison) -> None:
    belief = gap(lagged, "coupling_belief")
    # a year of coupling taught people that scores decide ratings
    assert belief.loc[SWITCH - 1, "ci_low"] > 0.3
    # the announcement, heard by the credibility a coupled year earned, closes
    # most of the gap at once ...
    assert belief.loc[SWITCH, "ci_high"] < 0.2 * belief.loc[SWITCH - 1, "diff"]
    # ... and the first decoupled review is still read beside the coupled
    # year's ratings (discounted, not erased, by the announcement)
    after = switched(lagged, "coupling_belief")
    assert paired_difference(after[SWITCH], after[SWITCH + 1]).ci_low > 0


@pytest.mark.slow
def test_targets_follow_beliefs_over_quarters_after_the_switch(lagged: Comparison) -> None:
    sandbagging = gap(lagged, "sandbagging_index")
    assert sandbagging.loc[SWITCH - 1, "ci_low"] > 0
    # targets follow the announcement most of the way at once ...
    assert sandbagging.loc[SWITCH, "ci_high"] < 0.2 * sandbagging.loc[SWITCH - 1, "diff"]
    # ... and move again as the first decoupled review is read: not one step
    after = switched(lagged, "sandbagging_index")
    assert paired_difference(after[SWITCH], after[SWITCH + 1]).ci_low > 0


@pytest.mark.slow
def test_without_habits_or_learning_the_switch_takes_one_step() -> None:
    instant = decoupling(INSTANT, reps=6)
    belief, sandbagging = gap(instant, "coupling_belief"), gap(instant, "sandbagging_index")
    assert sandbagging.loc[SWITCH - 1, "ci_low"] > 0
    # everyone believes the statement at once: no overshoot, nothing to relearn
    assert belief.loc[SWITCH:, "diff"].abs().max() < 1e-12
    assert abs(sandbagging.loc[SWITCH, "diff"]) < 0.1 * sandbagging.loc[SWITCH - 1, "diff"]
    after = switched(instant, "sandbagging_index")
    assert abs(paired_difference(after[SWITCH], after[SWITCH + 1]).diff) < 0.002
