"""Docking: the per-agent reference model and the vectorised model are the same model.

Axtell, Axelrod, Epstein & Cohen (1996) "dock" two implementations of a model
by running both on the same scenarios and testing whether their outcomes
could come from the same distribution.  Here the readable reference
(:mod:`okrsim.reference`, written from docs/ODD.md) and the fast model
(:mod:`okrsim.model`) each run :data:`SEEDS` independent replications of three
scenarios; for every scenario and outcome a Welch t-test compares the two
samples of run means, with a Holm correction over all of them at a
family-wise 5 %.  With :data:`SEEDS` runs per side the test detects, with
80 % power, a difference of :func:`detectable_difference` sd
(about 0.80 sd) even at the strictest Holm step.  A deliberately broken
reference (the honesty cost ignored) must be rejected by the same test.

Because the reference draws the ODD's random streams in the ODD's order, a
second, stricter check runs both on the *same* seed: the quarterly outcomes
must agree to a relative 10⁻⁹, under the three scenarios, every further
lever, every assumption moved at once and each moved alone (the moves of
tests/test_assumptions.py); that catches what is too small for the
distributions to show (a ratchet belief held at 0).  The reference implements
the optimising decision rule and refuses the others.  docs/ODD.md §12,
"Verification: docking", records the design and the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import optimize, stats
from test_assumptions import FORMER_CONSTANTS, MOVES

from okrsim.params import Scenario, ScenarioError
from okrsim.reference import ReferenceModel, run_reference
from okrsim.reference.agents import Employee
from okrsim.seeding import replication_seeds
from okrsim.simulation import run

#: A small organisation over three quarters: two teams of five.
BASE: dict[str, Any] = {"org": {"n_teams": 2, "team_size": 5}, "horizon": {"quarters": 3}}
#: Decoupled, fully coupled, and a ratchet under annual review.
SCENARIOS: dict[str, dict[str, Any]] = {
    "decoupled": {"comp": {"coupling": 0.0}},
    "coupled": {"comp": {"coupling": 1.0}},
    "ratchet_annual": {
        "comp": {"coupling": 0.5, "review_cadence": "annual"},
        "okr": {"target_rule": "ratchet"},
    },
}
#: The outcomes compared: each run's mean over its quarters.
OUTCOMES = (
    "sandbagging_index",
    "reporting_bias",
    "true_value",
    "help_share",
    "blocker_latency_weeks",
    "quit_rate",
    "attainment",
    "intensity",
)
#: Independent replications per implementation and scenario.
SEEDS = 50
#: Family-wise error rate of the Holm-corrected tests.
ALPHA = 0.05


def scenario(name: str) -> Scenario:
    groups = {g: dict(v) for g, v in BASE.items()}
    for group, values in SCENARIOS[name].items():
        groups.setdefault(group, {}).update(values)
    return Scenario.model_validate(groups)


def model_sample(s: Scenario) -> dict[str, np.ndarray]:
    """The vectorised model's run means, from its own replication seeds."""
    runs = [run(s, seed).summary for seed in replication_seeds(1, SEEDS)]
    return {o: np.array([r[o] for r in runs]) for o in OUTCOMES}


def reference_sample(
    s: Scenario, employee_type: type[Employee] = Employee
) -> dict[str, np.ndarray]:
    """The reference model's run means, from replication seeds independent of the model's."""
    runs = [
        run_reference(s, seed, employee_type=employee_type) for seed in replication_seeds(2, SEEDS)
    ]
    return {o: np.array([r[o] for r in runs]) for o in OUTCOMES}


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch t-test p-value; 1 where both samples are constant and equal."""
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if a[0] == b[0] else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def holm_rejected(p_values: dict[str, float], alpha: float = ALPHA) -> list[str]:
    """The hypotheses Holm's step-down procedure rejects at family-wise ``alpha``."""
    ordered = sorted(p_values.items(), key=lambda item: item[1])
    rejected = []
    for rank, (name, p) in enumerate(ordered):
        if p > alpha / (len(ordered) - rank):
            break
        rejected.append(name)
    return rejected


def detectable_difference(n: int, alpha: float, power: float = 0.8) -> float:
    """Smallest difference in sd units a two-sided two-sample t-test with n per side
    detects with the given power at level ``alpha`` (noncentral t)."""
    df = 2 * n - 2
    critical = stats.t.ppf(1.0 - alpha / 2.0, df)

    def shortfall(d: float) -> float:
        nc = d * math.sqrt(n / 2.0)
        return float(stats.nct.sf(critical, df, nc) + stats.nct.sf(critical, df, -nc)) - power

    return float(optimize.brentq(shortfall, 1e-3, 3.0))


class Shameless(Employee):
    """A broken reference employee: misstating progress costs it nothing."""

    @property
    def honesty_cost(self) -> float:
        return 0.0


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    return {
        name: (model_sample(scenario(name)), reference_sample(scenario(name))) for name in SCENARIOS
    }


@pytest.mark.slow
def test_reference_and_model_outcomes_agree_in_distribution(samples):
    p_values = {
        f"{name}.{o}": welch_p(model[o], reference[o])
        for name, (model, reference) in samples.items()
        for o in OUTCOMES
    }
    assert holm_rejected(p_values) == [], sorted(p_values.items(), key=lambda kv: kv[1])[:5]


@pytest.mark.slow
def test_docking_rejects_a_reference_that_ignores_the_honesty_cost(samples):
    model, _ = samples["coupled"]
    broken = reference_sample(scenario("coupled"), employee_type=Shameless)
    p_values = {o: welch_p(model[o], broken[o]) for o in OUTCOMES}
    assert "reporting_bias" in holm_rejected(p_values)


def test_the_docking_detects_differences_of_under_one_sd_at_80_percent_power():
    # the strictest Holm step tests at ALPHA over every comparison made
    tests = len(SCENARIOS) * len(OUTCOMES)
    d = detectable_difference(SEEDS, ALPHA / tests)
    assert 0.75 < d < 0.85  # about 0.80 sd at 50 runs a side and 24 tests


class Unratcheted(Employee):
    """A broken reference employee: its ratchet belief stays at 0 whatever targets do."""

    def learn(self) -> None:
        super().learn()
        self.ratchet_belief = 0.0


#: How far apart the two implementations' quarterly outcomes may be: they sum
#: in different orders, so not bit for bit.
SAME_OUTCOME = {"rel": 1e-9, "abs": 1e-12}


def differing_outcomes(s: Scenario, seed: int, employee_type: type[Employee]) -> list[str]:
    """Quarter outcomes where the reference, run with the model's own seed, departs from it."""
    model = run(s, seed).quarterly
    rows = ReferenceModel(s, seed, employee_type=employee_type).run()
    return [
        f"q{q + 1}.{o}"
        for q, row in enumerate(rows)
        for o in OUTCOMES
        if row[o] != pytest.approx(model[o].iloc[q], nan_ok=True, **SAME_OUTCOME)
    ]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_with_the_same_seed_the_reference_reproduces_the_model_draw_for_draw(name):
    # the reference draws the ODD's streams in the ODD's order (§4.9), so with
    # the same seed it must give the same outcomes, not just the same distribution
    for seed in (3, 4):
        assert differing_outcomes(scenario(name), seed, Employee) == []


#: Further levers, each run once draw for draw: every mechanism the reference has.
LEVERS: dict[str, dict[str, Any]] = {
    # six teams: enough for the teams' standing to be read (ODD §7.13), alone
    # under team evaluation, weighed with one's own team's fit otherwise
    "team_evaluation": {
        "comp": {"evaluation": "team", "coupling": 0.6},
        "org": {"n_teams": 6, "team_size": 4},
    },
    "teams_standing_beside_ones_own": {"org": {"n_teams": 6, "team_size": 5}},
    "stack_ranking": {
        "comp": {"evaluation": "relative", "bonus_curve": "step", "coupling": 1.0},
        "judgment": {"use_okr_context": True},
    },
    "revision_after_a_shock": {
        "okr": {"revision_allowed": True, "target_rule": "assigned"},
        "env": {"shock_quarter": 2},
        "comp": {"coupling": 0.7},
    },
    "dependencies": {
        "org": {"n_teams": 3, "team_size": 5, "dependency_density": 0.5, "shared_kr_share": 0.5},
        "comp": {"bonus_curve": "floor_cap"},
    },
    "no_okrs": {"okr": {"enabled": False}},
    # the formula pays for the target stated as well as for attainment: alone,
    # under a ratchet, and beside a forced ranking
    "a_credit_for_the_target": {"comp": {"coupling": 0.8, "target_credit": 1.5}},
    "a_credit_for_the_target_under_a_ratchet": {
        "comp": {"coupling": 0.8, "target_credit": 1.5},
        "okr": {"target_rule": "ratchet"},
    },
    "a_credit_for_the_target_ranked": {
        "comp": {"coupling": 0.8, "target_credit": 1.0, "evaluation": "relative"},
    },
    # work worth less than nothing on average, seen blind: contributions and
    # impressions of work are read in units of their spread (ODD §7.8, §7.13)
    "a_collapsing_organisation": {
        "env": {"incident_cost": 1.0, "backlog_decay": 0.075, "bau_demand": 0.5},
        "judgment": {"accuracy": 0.0},
    },
    "a_stated_change": {
        "comp": {"coupling": 0.0},
        "schedule": [
            {
                "quarter": 2,
                "set": {
                    "comp.coupling": 0.8,
                    "okr.target_rule": "ratchet",
                    "okr.no_ratchet_commitment": True,
                },
            }
        ],
    },
}


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_every_lever_runs_the_same_in_the_reference_draw_for_draw(name):
    groups: dict[str, Any] = {g: dict(v) for g, v in BASE.items()}
    for group, values in LEVERS[name].items():
        if group == "schedule":
            groups[group] = values
        else:
            groups.setdefault(group, {}).update(values)
    assert differing_outcomes(Scenario.model_validate(groups), 5, Employee) == []


def scenario_with(overrides: dict[str, Any]) -> Scenario:
    """The small docking organisation with dotted keys moved (validated like a file)."""
    return Scenario.model_validate(BASE).with_overrides(overrides)


#: A world in which every assumption acts: relative evaluation (the rank bands
#: and their blur), revisions (the agreement prior), assigned targets (the
#: manager's estimate), audits and bad news that cost (audit tolerance, red pace).
WHERE_ASSUMPTIONS_ACT: dict[str, Any] = {
    "comp.evaluation": "relative",
    "comp.coupling": 0.8,
    "okr.revision_allowed": True,
    "okr.target_rule": "assigned",
    "judgment.audit_probability": 0.3,
    "judgment.blocker_penalty": 0.3,
}
#: Every assumption (the ``assumptions`` group, the rank bands, red pace and the
#: audit tolerance) moved at once, each well away from its default.
MOVED_ASSUMPTIONS: dict[str, Any] = {
    "assumptions.goal_reach": 0.6,
    "assumptions.stress_memory": 0.7,
    "assumptions.risk_aversion_log_sd": 0.9,
    "assumptions.honesty_cost_log_sd": 0.3,
    "assumptions.intrinsic_motivation_log_sd": 0.7,
    "assumptions.prosociality_log_sd": 0.2,
    "assumptions.mum_cost_log_sd": 0.9,
    "assumptions.effort_cost_log_sd": 0.6,
    "assumptions.present_bias_log_sd": 0.2,
    "assumptions.perception_share": 1.2,
    "assumptions.kr_plan_prior": 0.8,
    "assumptions.help_prior": 0.3,
    "assumptions.agree_prior": 0.9,
    "assumptions.intensity_floor": 0.8,
    "assumptions.ramp_start": 0.2,
    "assumptions.manager_estimate_noise": 1.0,
    "assumptions.blocker_spread": 6.0,
    "assumptions.capability_evidence_weeks": 2.0,
    "assumptions.statement_far": 0.2,
    "assumptions.edge_uncertainty": 1.5,
    "assumptions.value_scale_prior": 2.5,
    "assumptions.help_scale_prior": 0.4,
    "assumptions.peer_attainment_sd_prior": 0.4,
    "assumptions.max_shading_down": 0.35,
    "assumptions.max_shading_up": 0.8,
    "assumptions.min_target_offer": 0.7,
    "assumptions.max_target_offer": 2.2,
    "comp.rank_bottom_share": 0.25,
    "comp.rank_bottom_score": 0.2,
    "comp.rank_top_share": 0.3,
    "comp.rank_top_score": 1.8,
    "okr.red_pace": 0.85,
    "judgment.audit_tolerance": 0.15,
}


#: Assumptions that act only under a decision rule the reference does not
#: implement (learn, satisfice: the extents of their menus).
RULE_ONLY = {key for key, _, world in MOVES if "behaviour.decision_rule" in world}
#: The moves the reference can follow: those under the optimising rule.
OPTIMISER_MOVES = [m for m in MOVES if m[0] not in RULE_ONLY]


def test_every_assumption_is_moved_at_once():
    assert set(MOVED_ASSUMPTIONS) == set(FORMER_CONSTANTS) - RULE_ONLY
    assert all(key.startswith("assumptions.rule_") for key in RULE_ONLY)


def test_the_reference_follows_the_model_with_every_assumption_moved_at_once():
    s = scenario_with({**WHERE_ASSUMPTIONS_ACT, **MOVED_ASSUMPTIONS})
    for seed in (3, 4):
        assert differing_outcomes(s, seed, Employee) == []


def test_moving_the_assumptions_moves_the_reference():
    # matching the model is worth something only if the moves change the runs
    # the docking compares (seeds 3 and 4; a small organisation's quit rate is
    # a count, which one seed may leave where it was)
    pairs = [
        pair
        for seed in (3, 4)
        for pair in zip(
            ReferenceModel(
                scenario_with({**WHERE_ASSUMPTIONS_ACT, **MOVED_ASSUMPTIONS}), seed
            ).run(),
            ReferenceModel(scenario_with(WHERE_ASSUMPTIONS_ACT), seed).run(),
            strict=True,
        )
    ]
    changed = [o for o in OUTCOMES if any(a[o] != b[o] for a, b in pairs)]
    assert changed == list(OUTCOMES)


@pytest.mark.parametrize(
    ("key", "value", "world"), OPTIMISER_MOVES, ids=[m[0] for m in OPTIMISER_MOVES]
)
def test_each_assumption_moved_alone_moves_the_reference_as_it_moves_the_model(key, value, world):
    s = scenario_with({**world, key: value})
    assert differing_outcomes(s, 5, Employee) == []


@pytest.mark.parametrize("rule", ["learn", "satisfice"])
def test_the_reference_refuses_a_decision_rule_it_does_not_implement(rule):
    s = scenario_with({"behaviour.decision_rule": rule})
    with pytest.raises(ScenarioError) as refused:
        ReferenceModel(s, 0)
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        f"reference: behaviour.decision_rule = '{rule}': the reference model implements "
        "only 'optimise'"
    )


def test_draw_for_draw_docking_catches_a_ratchet_belief_fixed_at_0():
    # too small an effect over three quarters for the distributions to show
    # (it acts from the third quarter on), but not for a run on the same draws
    assert differing_outcomes(scenario("ratchet_annual"), 3, Unratcheted) != []


def test_the_reference_refuses_an_organisation_over_200_people():
    s = Scenario.model_validate({"org": {"n_teams": 21, "team_size": 10}})
    with pytest.raises(ScenarioError, match=r"org\.n_teams × org\.team_size = 210"):
        ReferenceModel(s, 0)
