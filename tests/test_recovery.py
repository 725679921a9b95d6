"""How long a scheduled policy change takes to show: the halfway figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from okrsim.comparison import compare
from okrsim.metrics import RUN_METRICS, halfway_quarters, recovery
from okrsim.params import Scenario
from okrsim.simulation import run


def test_an_instant_move_takes_half_a_quarter() -> None:
    # before the change (quarter 3) at 1, from then on at 0
    assert halfway_quarters([1, 1, 0, 0, 0], [1, 2, 3, 4, 5], change=3) == 0.5


def test_a_gradual_move_is_interpolated() -> None:
    # 1 → 0.8 → 0.4 → 0: half the way (0.5) is crossed between the 2nd and 3rd quarter
    value = halfway_quarters([1.0, 0.8, 0.4, 0.0], [1, 2, 3, 4], change=2)
    assert value == pytest.approx(1.75)


def test_a_gap_closing_towards_zero_uses_the_settled_level() -> None:
    # the gap to a reference scenario: 0.2 before the change, closing to 0.05
    gap = [0.2, 0.2, 0.15, 0.08, 0.05]
    assert halfway_quarters(gap, [1, 2, 3, 4, 5], change=3, settled=0.0) == pytest.approx(
        1 + (0.5 - 0.25) / (0.6 - 0.25)
    )


@pytest.mark.parametrize(
    ("values", "change"),
    [
        ([1.0, 1.0, 1.0], 2),  # nothing moves
        ([1.0, 0.9, 0.8], 1),  # no quarter before the change
    ],
)
def test_undefined_moves_are_nan(values: list[float], change: int) -> None:
    assert math.isnan(halfway_quarters(values, range(1, len(values) + 1), change=change))


def test_a_series_that_first_moves_away_counts_from_its_crossing() -> None:
    # 1 → 1.2 → 0: a fifth of the way backwards, then all the way
    value = halfway_quarters([1.0, 1.2, 0.0], [1, 2, 3], change=2)
    assert value == pytest.approx(1 + 0.7 / 1.2)


def test_a_run_without_a_schedule_has_no_recovery() -> None:
    quarterly = pd.DataFrame({"quarter": [1, 2], "sandbagging_index": [0.1, 0.1]})
    assert all(math.isnan(v) for v in recovery(quarterly, None).values())


def test_a_scheduled_run_reports_its_recovery_and_compare_pairs_it_by_quarter() -> None:
    small = {"org.n_teams": 3, "org.team_size": 4, "horizon.quarters": 4}
    switched = (
        Scenario()
        .with_overrides({**small, "comp.coupling": 0.8}, source="test")
        .model_copy(update={"schedule": ()})
    )
    switched = Scenario.model_validate(
        {
            **switched.model_dump(mode="python"),
            "schedule": [{"quarter": 3, "set": {"comp.coupling": 0.0}}],
        }
    )
    assert switched.last_change == 3
    result = run(switched, 1)
    assert set(RUN_METRICS) <= set(result.summary)
    always = Scenario().with_overrides({**small, "comp.coupling": 0.0}, source="test")
    comparison = compare({"always": always, "switched": switched}, reps=3, seed=5)
    by_quarter = comparison.by_quarter
    assert sorted(by_quarter["quarter"].unique()) == [1, 2, 3, 4]
    sandbag = by_quarter[by_quarter["metric"] == "sandbagging_index"].set_index("quarter")
    # the same people, the same seeds: the gap opens under coupling
    assert np.all(sandbag.loc[[1, 2], "diff"] > 0)
    figure = comparison.gap_recovery("sandbagging_index", "switched", change=3)
    assert math.isnan(figure) or figure > 0
    assert set(RUN_METRICS) <= set(comparison.table["metric"])
