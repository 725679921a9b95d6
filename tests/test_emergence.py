"""Emergent effects of coupling pay to OKR attainment: mechanisms, not a required answer.

Coupled and decoupled organisations meet the same workforce and the same
shocks (common random numbers).  Nothing in the agents' code refers to either
policy: the effects come from the payoffs, and they can go either way.  The
tests here check that each effect follows its mechanism — it appears where
the payoff that drives it is present and vanishes where it is not — and that
the sign of coupling's effect on true value is set by the organisation's
features, not by the model's structure.  Which effects hold for the default
organisation, and how large they are, is reported in README.md and
docs/VALIDATION.md, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from okrsim.comparison import compare
from okrsim.params import Scenario
from okrsim.seeding import replication_seeds
from okrsim.simulation import run
from okrsim.stats import mean_ci

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REPS = 12
COUPLED, DECOUPLED = {"comp.coupling": 0.8}, {"comp.coupling": 0.0}


@pytest.fixture(scope="module")
def coupled_vs_decoupled():
    scenarios = {
        name: Scenario.from_toml(SCENARIOS / f"{name}.toml") for name in ("decoupled", "coupled")
    }
    return compare(scenarios, reps=REPS, seed=20261122).table.set_index("metric")


@pytest.mark.slow
def test_nothing_rewards_a_low_target_without_coupling(coupled_vs_decoupled):
    """Sandbagging needs a formula that pays for attainment, or the belief that one does.

    At coupling 0 what remains comes from people's learned belief that the
    score still counts (ratings follow good work, and good work scores well:
    docs/ODD.md §7.13); where the decoupling is believed there is none
    (tests/test_model.py).
    """
    row = coupled_vs_decoupled.loc["sandbagging_index"]
    assert row["mean_a"] < 0.5 * row["mean_b"]
    assert row["ci_low"] > 0


@pytest.mark.slow
def test_inflated_reports_follow_the_pay_for_reported_attainment(coupled_vs_decoupled):
    """Paid-for inflation is deliberate slant: reports moved away from what one perceives.

    (Reporting bias against the truth also carries output booked across a
    quarter's ends, which moves both ways, and honest misjudgement.)
    """
    assert coupled_vs_decoupled.loc["slanted_report_share", "ci_low"] > 0
    assert coupled_vs_decoupled.loc["attainment", "ci_low"] > 0


@pytest.mark.slow
def test_coupling_lowers_sandbagging_where_the_formula_pays_for_the_target():
    """The sign of coupling's effect on sandbagging is the payoff's, not the model's.

    Under a score that pays for attainment alone a lower target always
    scores better, so coupling raises sandbagging; a formula that also
    credits the target stated (``comp.target_credit``) by more than a higher
    target costs in attainment turns it round.
    """
    base = Scenario.from_toml(SCENARIOS / "decoupled.toml").with_overrides({"horizon.quarters": 4})
    plain = coupling_effect(base, "sandbagging_index", 10, 2026)
    credited = coupling_effect(
        base.with_overrides({"comp.target_credit": 1.5}), "sandbagging_index", 10, 2026
    )
    assert mean_ci(plain)[1] > 0
    assert mean_ci(credited)[2] < 0


def coupling_effect(base: Scenario, metric: str, reps: int, seed: int) -> np.ndarray:
    """Per replication: metric under coupling minus under decoupling (common random numbers)."""
    seeds = replication_seeds(seed, reps)
    return np.array(
        [
            run(base.with_overrides(COUPLED), s).summary[metric]
            - run(base.with_overrides(DECOUPLED), s).summary[metric]
            for s in seeds
        ]
    )


@pytest.mark.slow
def test_the_sign_of_couplings_value_effect_is_set_by_the_organisation():
    """Measurable work, poor judgment and pay-driven people move the effect towards coupling.

    The sales desk (routine, counted work; a manager of twelve who sees
    little; people in it for the pay) and the product team (interdependent,
    creative work; close managers; people who care) meet the same seeds.
    Coupling must do better, relative to decoupling, at the desk than in the
    product team: a difference of differences with a paired 95 % CI.
    """
    desk = Scenario.from_toml(SCENARIOS / "sales_desk.toml")
    team = Scenario.from_toml(SCENARIOS / "product_team.toml")
    at_desk = coupling_effect(desk, "true_value", REPS, 2026)
    in_team = coupling_effect(team, "true_value", REPS, 2026)
    assert mean_ci(at_desk - in_team)[1] > 0, (at_desk.mean(), in_team.mean())


@pytest.mark.slow
def test_poorer_judgment_moves_couplings_value_effect_towards_coupling(baseline):
    """The same organisation, only judgment's accuracy lowered: coupling looks better."""
    sharp = baseline.with_overrides({"judgment.accuracy": 0.9, "horizon.quarters": 4})
    blunt = sharp.with_overrides({"judgment.accuracy": 0.1})
    difference = coupling_effect(blunt, "true_value", REPS, 7) - coupling_effect(
        sharp, "true_value", REPS, 7
    )
    assert mean_ci(difference)[1] > 0
