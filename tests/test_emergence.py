"""Emergent effects of coupling pay to OKR attainment, with paired replications.

Coupled and decoupled organisations meet the same workforce and the same
shocks (common random numbers); each effect must show in the paired
differences with a 95 % confidence interval that excludes zero.  Nothing in
the agents' code refers to either policy: the effects come from the payoffs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from okrsim.comparison import compare
from okrsim.params import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REPS = 12

#: metric → expected sign of (coupled − decoupled)
EXPECTED = {
    "sandbagging_index": +1,
    "attainment": +1,
    "true_value": -1,
    "reporting_bias": +1,
    "blocker_latency_weeks": +1,
    "help_share": -1,
    "bau_share": -1,
    "exploration_share": -1,
    "goodhart_corr": -1,
}


@pytest.fixture(scope="module")
def coupled_vs_decoupled():
    scenarios = {
        name: Scenario.from_toml(SCENARIOS / f"{name}.toml") for name in ("decoupled", "coupled")
    }
    return compare(scenarios, reps=REPS, seed=20261122).table.set_index("metric")


@pytest.mark.slow
@pytest.mark.parametrize(("metric", "sign"), EXPECTED.items())
def test_coupling_effect_emerges(coupled_vs_decoupled, metric, sign):
    row = coupled_vs_decoupled.loc[metric]
    if sign > 0:
        assert row["ci_low"] > 0, row.to_dict()
    else:
        assert row["ci_high"] < 0, row.to_dict()


@pytest.fixture(scope="module")
def coupling_alone(baseline):
    """Only comp.coupling differs: the judgment, workforce and world are the baseline's."""
    scenarios = {f"coupling={c}": baseline.with_overrides({"comp.coupling": c}) for c in (0.0, 0.8)}
    return compare(scenarios, reps=REPS, seed=7).table.set_index("metric")


@pytest.mark.slow
@pytest.mark.parametrize(("metric", "sign"), EXPECTED.items())
def test_the_coupling_weight_alone_brings_each_effect(coupling_alone, metric, sign):
    row = coupling_alone.loc[metric]
    assert (row["ci_low"] > 0) if sign > 0 else (row["ci_high"] < 0), row.to_dict()


@pytest.mark.slow
def test_no_sandbagging_without_coupling(coupled_vs_decoupled):
    row = coupled_vs_decoupled.loc["sandbagging_index"]
    assert abs(row["mean_a"]) < 0.03
