"""Shared fixtures: small scenarios and paired comparisons used by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from okrsim.comparison import Comparison, compare
from okrsim.params import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return Scenario.from_toml(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="session")
def small_comparison() -> Comparison:
    """Decoupled vs coupled pay in a small organisation: 3 paired replications."""
    base = Scenario().with_overrides({"org.n_teams": 3, "horizon.quarters": 2})
    policies = {
        "decoupled": base.with_overrides({"comp.coupling": 0.0}),
        "coupled": base.with_overrides({"comp.coupling": 0.8}),
    }
    return compare(policies, reps=3, seed=2)


@pytest.fixture
def small() -> Scenario:
    """A small, quick organisation: 3 teams of 5 for 2 quarters."""
    return Scenario().with_overrides({"org.n_teams": 3, "org.team_size": 5, "horizon.quarters": 2})
