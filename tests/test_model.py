"""The Mesa model: structure, records, and mechanisms that need no statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_ensemble_design_points import design_point

from okrsim.metrics import METRICS
from okrsim.model import WEEKLY_SERIES, Employee, Manager, OKRModel
from okrsim.model.check_in import goal_weight
from okrsim.model.outlook import ratchet_claw_back
from okrsim.model.target_setting import manager_estimate, quarter_expectations
from okrsim.params import LEAST_EXPECTED, WEEKS_PER_QUARTER, Scenario
from okrsim.simulation import run


def test_model_has_mesa_agents_and_runs_its_horizon(small):
    model = OKRModel(small, 1)
    assert len(model.agents_by_type[Employee]) == small.n_employees
    assert len(model.agents_by_type[Manager]) == small.org.n_teams
    model.run()
    assert model.week == small.horizon.quarters * WEEKS_PER_QUARTER
    assert not model.running


def test_a_run_that_never_reads_its_agents_makes_none(small):
    """The Mesa agents are views made on first use, not one object per employee at construction."""
    model = OKRModel(small, 1)
    model.run()
    assert model.agent_id_counter == 1  # Mesa's next id: nothing was registered


def test_asking_for_the_agents_registers_each_view_once_on_its_row(small):
    model = OKRModel(small, 1)
    for _ in range(3):
        model.step()
    assert model.agent_id_counter == 1
    n, teams = small.n_employees, small.org.n_teams
    assert len(model.agents) == n + teams
    employees, managers = model.agents_by_type[Employee], model.agents_by_type[Manager]
    assert model.agent_types == [Employee, Manager]
    assert (len(employees), len(managers)) == (n, teams)
    wf = model.workforce
    for i, employee in enumerate(employees):
        assert employee is model.employees[i]
        assert employee.unique_id == i + 1
        assert employee.team == wf.team[i]
        assert employee.stress == wf.stress[i]
        assert employee.traits()["capability"] == wf.capability[i]
    assert [m.team for m in managers] == list(range(teams))
    assert [m.unique_id for m in model.managers] == list(range(n + 1, n + teams + 1))
    model.step()
    assert model.agent_id_counter == n + teams + 1  # made once, kept as the run goes on


def test_agent_reporters_read_every_employees_view(small):
    model = OKRModel(small, 1, agent_reporters=True)
    model.step()
    frame = model.datacollector.get_agenttype_vars_dataframe(Employee)
    assert len(frame) == small.n_employees
    np.testing.assert_array_equal(frame["stress"].to_numpy(), model.workforce.stress)


def test_results_hold_truth_and_measure_side_by_side(small):
    result = run(small, 3)
    assert list(result.weekly.columns) == list(WEEKLY_SERIES)
    assert len(result.weekly) == small.horizon.quarters * WEEKS_PER_QUARTER
    assert len(result.quarterly) == small.horizon.quarters
    assert len(result.employees) == small.horizon.quarters * small.n_employees
    for column in (
        "true_output",
        "reported_output",
        "attainment",
        "true_attainment",
        "rating",
        "true_contribution",
    ):
        assert column in result.employees
    for metric in METRICS:
        assert metric in result.quarterly
    assert np.isfinite(result.summary["true_value"])


#: Everyone believes what the organisation states and learns nothing more: the policy as
#: known.  With learned beliefs a decoupled organisation is still believed to pay for
#: scores in part (tests/test_beliefs.py), so the design's "no sandbagging at coupling 0"
#: holds where the decoupling is believed.
KNOWN = {"behaviour.credibility_prior": 1.0, "behaviour.learning_rate": 0.0}


def test_sandbagging_index_is_zero_when_nothing_rewards_a_target(small):
    neutral = small.with_overrides(
        {
            "comp.coupling": 0.0,
            "judgment.ambition_weight": 0.0,
            "judgment.use_okr_context": False,
            **KNOWN,
        }
    )
    result = run(neutral, 2)
    assert result.employees["sandbagging_index"].abs().max() < 1e-9


def test_a_neutral_policy_leaves_reports_unshaded(small):
    neutral = small.with_overrides(
        {
            "comp.coupling": 0.0,
            "judgment.use_okr_context": False,
            "behaviour.bad_news_prior": 0.0,  # nothing to fear from a red report either
            "behaviour.goal_pull": 0.0,  # nor to gain in self-image from showing a goal met
            "judgment.audit_probability": 0.0,  # nor to fear an audit of a misjudged report
            **KNOWN,
        }
    )
    model = OKRModel(neutral, 2)
    model.run()
    assert np.all(model.workforce.shading == 0.0)


def test_slanted_reports_are_counted_apart_from_honest_error(small):
    """Misjudgement alone misstates reports; only a paid-for slant counts as slanted."""
    # the goal's self-image slants reports under any policy (ODD §7.7); here only pay does
    small = small.with_overrides({"behaviour.goal_pull": 0.0})
    neutral = run(
        small.with_overrides({"comp.coupling": 0.0, "judgment.blocker_penalty": 0.0, **KNOWN}), 2
    )
    assert neutral.summary["biased_report_share"] > 0.2
    assert neutral.summary["slanted_report_share"] == 0.0
    coupled = run(small.with_overrides({"comp.coupling": 0.8}), 2)
    assert 0.0 < coupled.summary["slanted_report_share"] < coupled.summary["biased_report_share"]


def test_ratchet_claw_back_is_weighed_with_next_quarters_uncertainty(small):
    """Under a step curve the claw-back must not grow as this quarter's uncertainty shrinks."""
    ratchet = small.with_overrides(
        {"comp.coupling": 0.8, "comp.bonus_curve": "step", "okr.target_rule": "ratchet"}
    )
    model = OKRModel(ratchet, 2)
    model.workforce.ratchet_belief[:] = 1.0  # believes targets follow reports fully
    early = None
    for week in range(WEEKS_PER_QUARTER - 1):  # within one quarter
        model.step()
        if week == 0:
            early = ratchet_claw_back(model.workforce, model.policy).copy()
    assert early is not None
    assert np.all(early > 0)
    np.testing.assert_allclose(ratchet_claw_back(model.workforce, model.policy), early)


def test_employee_explains_its_choices(small):
    model = OKRModel(small, 4)
    for _ in range(3):
        model.step()
    employee = model.agents_by_type[Employee].to_list()[0]
    why = employee.explain()
    assert set(why["effort_shares"]) == {"kr", "bau", "help", "explore", "visible"}
    assert sum(why["effort_shares"].values()) == pytest.approx(1.0)
    best = max(why["target_options"], key=why["target_options"].get)
    assert employee.key_results()[0]["target"] > 0
    assert best > 0
    assert set(employee.traits()) >= {"capability", "honesty_cost"}
    assert set(employee.beliefs()) >= {"audit_belief", "ratchet_belief"}


def test_weekly_series_come_from_mesas_datacollector(small):
    model = OKRModel(small, 1)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.week
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), model.weekly_frame())


def test_true_value_is_not_what_is_reported(baseline):
    """The organisation sees reports; the model keeps the truth beside them."""
    coupled = baseline.with_overrides({"comp.coupling": 0.8, "horizon.quarters": 2})
    e = run(coupled, 1).employees
    assert (e["reported_output"] - e["true_output"]).abs().mean() > 0


def test_capability_growth_and_erosion_move_capability():
    s = Scenario().with_overrides(
        {
            "org.n_teams": 2,
            "horizon.quarters": 4,
            "env.capability_growth": 0.5,
            "env.pressure_erosion": 0.0,
            "behaviour.quit_base_rate": 0.0,  # the same people throughout
            "behaviour.quit_pay_sensitivity": 0.0,
            "behaviour.quit_stress_sensitivity": 0.0,
        }
    )
    model = OKRModel(s, 1)
    start = model.workforce.capability.copy()
    model.run()
    assert np.all(model.workforce.capability >= start)


def test_each_quarters_records_keep_that_quarters_state(small):
    """Stress and capability on record for a quarter are that quarter's, not the run's end."""
    model = OKRModel(small.with_overrides({"env.capability_growth": 0.5}), 1)
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    stress = model.workforce.stress.copy()
    first = model.held.employees[0]
    model.run()
    np.testing.assert_array_equal(first["stress"], stress)
    assert not np.array_equal(first["capability"], model.workforce.capability)


def test_one_who_expects_to_produce_nothing_expects_the_least_output_and_weighs_finite_values(
    small,
):
    """All of its time blocked: its forecast is 0, and what it weighs per unit
    of expected output (the goal's pull, the goal in a report) stays finite."""
    model = OKRModel(small, 3)
    model.step()
    wf, policy = model.workforce, model.policy
    wf.blocked_loss_belief[0] = 1.0
    wf.help_belief[0] = 0.0
    with np.errstate(divide="raise", invalid="raise"):
        quarter_expectations(wf, policy, np.zeros_like(wf.par, dtype=bool))
        view = manager_estimate(wf, policy, np.zeros(wf.n))
        weighed = goal_weight(wf, policy)
    assert np.all(wf.expected[0] == LEAST_EXPECTED)
    assert np.all(wf.expected[1:] > LEAST_EXPECTED)
    assert np.all(view[0] == LEAST_EXPECTED)
    assert np.all(np.isfinite(weighed))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_world_where_some_expect_to_produce_nothing_runs_without_a_numerical_warning():
    """Every value that may differ between stacked runs at its upper bound: some
    employees come to expect no output at all (found in the design-point test)."""
    corner = design_point(Scenario().with_overrides({"okr.revision_allowed": True}), math.inf)
    quarterly = run(corner, 500).quarterly
    shown = quarterly[["sandbagging_index", "attainment", "true_attainment"]].to_numpy()
    assert np.isfinite(shown).all()
