"""okrsim's model is a Mesa model: seeded, batch-run and observed the way Mesa's are."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import mesa
import numpy as np
import pandas as pd
import pytest

from okrsim import Scenario, run
from okrsim.model import AGENT_REPORTERS, Employee, OKRModel
from okrsim.params import WEEKS_PER_QUARTER

SMALL = {"org.n_teams": 2, "org.team_size": 4, "horizon.quarters": 1}


@pytest.fixture
def keep_start_method() -> Iterator[None]:
    """``mesa.batch_run`` forces the 'spawn' start method; put back what was there."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_rng_takes_an_int_a_seed_sequence_or_none():
    s = Scenario().with_overrides(SMALL)
    by_int = OKRModel(s, rng=7)
    by_sequence = OKRModel(s, rng=np.random.SeedSequence(7))
    np.testing.assert_array_equal(by_int.workforce.capability, by_sequence.workforce.capability)
    fresh = OKRModel(s, rng=None)
    rebuilt = OKRModel(s, rng=fresh.run_seed)
    np.testing.assert_array_equal(fresh.workforce.capability, rebuilt.workforce.capability)
    assert not np.array_equal(fresh.workforce.capability, by_int.workforce.capability)


def test_dotted_keyword_arguments_are_validated_overrides():
    model = OKRModel(rng=1, **{"comp.coupling": 0.3, **SMALL})
    assert model.base_scenario.comp.coupling == 0.3
    with pytest.raises(ValueError, match=r"comp\.coupling"):
        OKRModel(rng=1, **{"comp.coupling": 3.0})


def _final_weeks(results: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(results).sort_values("RunId").reset_index(drop=True)


def test_batch_run_over_dotted_keys_matches_okrsim_run(keep_start_method):
    couplings = [0.0, 0.8]
    results = mesa.batch_run(
        OKRModel,
        parameters={"comp.coupling": couplings, **SMALL},
        rng=[5],
        max_steps=10_000,
        number_processes=1,
        display_progress=False,
    )
    rows = _final_weeks(results)
    assert list(rows["comp.coupling"]) == couplings
    for coupling, (_, row) in zip(couplings, rows.iterrows(), strict=True):
        expected = run(Scenario().with_overrides({**SMALL, "comp.coupling": coupling}), 5)
        last = expected.weekly.iloc[-1]
        assert row["week"] == WEEKS_PER_QUARTER
        for name in ("true_value", "reported_progress", "sandbagging_index", "stress"):
            assert row[name] == last[name]


def test_batch_run_takes_a_scenario_per_run(keep_start_method):
    base = Scenario().with_overrides(SMALL)
    scenarios = [base, base.with_overrides({"comp.coupling": 0.8})]
    results = mesa.batch_run(
        OKRModel,
        parameters={"scenario": scenarios},
        rng=[2],
        max_steps=10_000,
        number_processes=1,
        display_progress=False,
    )
    rows = _final_weeks(results)
    for scenario, (_, row) in zip(scenarios, rows.iterrows(), strict=True):
        assert row["true_value"] == run(scenario, 2).weekly.iloc[-1]["true_value"]


def test_agent_reporters_give_per_employee_series_and_change_nothing():
    s = Scenario().with_overrides(SMALL)
    observed = OKRModel(s, 3, agent_reporters=True)
    observed.run()
    frame = observed.datacollector.get_agenttype_vars_dataframe(Employee)
    assert list(frame.columns) == list(AGENT_REPORTERS)
    assert len(frame) == s.n_employees * WEEKS_PER_QUARTER
    plain = OKRModel(s, 3)
    plain.run()
    pd.testing.assert_frame_equal(observed.weekly_frame(), plain.weekly_frame())
    last_week = frame.xs(float(WEEKS_PER_QUARTER), level="Step")
    np.testing.assert_allclose(last_week["stress"].to_numpy(), plain.workforce.stress)


def test_agent_reporters_are_off_by_default():
    model = OKRModel(Scenario().with_overrides(SMALL), 3)
    assert model.datacollector.agenttype_reporters == {}
