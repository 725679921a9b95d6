"""Every policy lever acts through payoffs, beliefs or the environment.

Each lever gets a check of its mechanism at the decision level (the same
agents in the same state choose differently) or a paired comparison with
common random numbers; none relies on a per-policy behaviour constant.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from okrsim.cli import main
from okrsim.comparison import compare
from okrsim.model import OKRModel
from okrsim.model.effort_allocation import (
    allocate_effort,
    formula_value_of_help,
    value_per_output,
)
from okrsim.model.in_force import InForce
from okrsim.model.organisation import PublicFigures
from okrsim.model.outlook import attainment_outlook
from okrsim.model.target_setting import REVISION_WEEK
from okrsim.model.work import update_stress
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices
from okrsim.simulation import run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = {"org.n_teams": 4, "org.team_size": 6}


def scenario(**overrides: object) -> Scenario:
    return Scenario().with_overrides(
        {**SMALL, **{k.replace("__", "."): v for k, v in overrides.items()}}
    )


def paired(a: Scenario, b: Scenario, reps: int = 8, seed: int = 11):
    return compare({"a": a, "b": b}, reps=reps, seed=seed).table.set_index("metric")


def mid_quarter(s: Scenario, weeks: int = 20, seed: int = 1) -> OKRModel:
    model = OKRModel(s, seed)
    for _ in range(weeks):
        model.step()
    return model


#: Each model's plan for the quarter's later weeks before it was first reweighed.
_PLANS: weakref.WeakKeyDictionary[OKRModel, np.ndarray] = weakref.WeakKeyDictionary()


def reweigh(model: OKRModel, s: Scenario) -> np.ndarray:
    """The week's effort split the same agents would choose under scenario ``s``.

    Their best response: last week's habit is set aside (as for a newcomer),
    so that one lever's effect on the choice is seen whole.  Each call starts
    from the plan the agents held before the first (a choice writes the plan
    its outlook reads), so calls on one model differ only in what the test moved.
    """
    wf, org = model.workforce, model.org
    wf.habitual[:] = False
    wf.planned_intensity[:] = _PLANS.setdefault(model, wf.planned_intensity.copy())
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    per_output = value_per_output(wf, org, policy, outlook, model.public)
    allocate_effort(wf, org, policy, outlook, per_output, model.public)
    return wf.effort.copy()


def help_value(model: OKRModel) -> np.ndarray:
    """The formula's score per unit of help, as the model's agents now see it."""
    wf, policy = model.workforce, model.policy
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    return formula_value_of_help(wf, model.org, policy, outlook)


# -- 1. evaluation basis -----------------------------------------------------------
def test_under_relative_evaluation_helping_lowers_ones_expected_rank():
    model = mid_quarter(scenario(comp__coupling=0.5, comp__evaluation="relative"))
    assert np.all(help_value(model) <= 0)
    assert help_value(model).mean() < 0


def test_relative_evaluation_lowers_the_weight_the_same_people_put_on_helping():
    absolute = scenario(comp__coupling=0.5)
    relative = absolute.with_overrides({"comp.evaluation": "relative"})
    model = mid_quarter(relative)
    reweigh(model, relative)
    help_weight_relative = model.workforce.weights[:, 2].copy()
    reweigh(model, absolute)
    assert np.all(help_weight_relative <= model.workforce.weights[:, 2] + 1e-12)
    assert help_weight_relative.mean() < model.workforce.weights[:, 2].mean()


def test_people_help_less_under_stack_ranking_than_under_a_team_bonus():
    ranked = scenario(comp__coupling=0.5, comp__evaluation="relative")
    table = paired(ranked, ranked.with_overrides({"comp.evaluation": "team"}))
    assert table.loc["help_share", "ci_low"] > 0


def test_team_evaluation_rewards_helping():
    model = mid_quarter(scenario(comp__coupling=0.5, comp__evaluation="team"))
    assert help_value(model).mean() > 0
    table = paired(
        scenario(comp__coupling=0.5), scenario(comp__coupling=0.5, comp__evaluation="team")
    )
    assert table.loc["help_share", "ci_low"] > 0


# -- 2. target rules -----------------------------------------------------------------
def test_negotiated_targets_sit_between_offer_and_ask_and_cost_hours():
    s = scenario(
        okr__target_rule="negotiated", okr__negotiation_pressure=0.5, okr__assigned_stretch=1.5
    )
    model = OKRModel(s, 2)
    model.step()
    wf = model.workforce
    ask = s.okr.assigned_stretch * model.manager_view
    assert np.all(wf.target >= np.minimum(ask, wf.expected * 0.5) - 1e-9)
    assert np.all(wf.target <= np.maximum(ask, wf.expected * choices.TARGET_GRID[-1]) + 1e-9)
    table = paired(scenario(), s, reps=3)
    assert table.loc["overhead_share", "diff"] > 0


def test_assigned_stretch_targets_sit_above_what_people_expect():
    result = run(scenario(okr__target_rule="assigned", okr__assigned_stretch=1.4), 3)
    assert result.summary["sandbagging_index"] < -0.1


def test_a_full_ratchet_sets_the_next_target_at_last_reported_output():
    s = scenario(okr__target_rule="ratchet", okr__ratchet_strength=1.0, comp__coupling=0.5)
    model = OKRModel(s, 4)
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    reported = model.workforce.reported.copy()
    model.step()
    np.testing.assert_allclose(model.workforce.target * model.workforce.par, reported)


def test_a_ratchet_of_strength_zero_is_self_set_targets():
    self_set = run(scenario(comp__coupling=0.5, horizon__quarters=3), 4)
    ratchet0 = run(
        scenario(
            comp__coupling=0.5,
            horizon__quarters=3,
            okr__target_rule="ratchet",
            okr__ratchet_strength=0.0,
        ),
        4,
    )
    assert self_set.employees.equals(ratchet0.employees)


def test_ratchet_belief_makes_ahead_employees_hold_back_key_result_work():
    s = scenario(okr__target_rule="ratchet", okr__ratchet_strength=1.0, comp__coupling=0.8)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 10)
    model.workforce.ratchet_belief[:] = 1.0
    believed = reweigh(model, s)[:, 0]
    model.workforce.ratchet_belief[:] = 0.0
    unafraid = reweigh(model, s)[:, 0]
    assert believed.mean() < unafraid.mean()


def test_ratchet_beliefs_are_learned_from_the_targets_people_see():
    """A ratchet is believed as it is seen; a promise is heard, then believed as it is kept."""
    ratchet = scenario(
        okr__target_rule="ratchet",
        okr__ratchet_strength=1.0,
        comp__coupling=0.5,
        behaviour__quit_base_rate=0.0,  # the same people throughout
        behaviour__quit_pay_sensitivity=0.0,
        behaviour__quit_stress_sensitivity=0.0,
    )
    promised = ratchet.with_overrides({"okr.no_ratchet_commitment": True})
    beliefs = {}
    for name, s in (("ratchet", ratchet), ("promised", promised)):
        model = OKRModel(s, 5)
        model.workforce.ratchet_belief[:] = 0.5
        series = []
        for _ in range(4):
            for _ in range(WEEKS_PER_QUARTER):
                model.step()
            series.append(model.workforce.ratchet_belief.mean())
        beliefs[name] = series
    # the first quarter shows nothing: there was no earlier report to ratchet on; the
    # promise is heard and moves the belief towards 0 by the credibility of a newcomer
    assert beliefs["ratchet"][0] == 0.5
    assert beliefs["promised"][0] == 0.5 * (1 - ratchet.behaviour.credibility_prior)
    assert all(b1 > b0 for b0, b1 in pairwise(beliefs["ratchet"]))
    assert all(b1 < b0 for b0, b1 in pairwise(beliefs["promised"]))


# -- 3. review cadence and failure tolerance --------------------------------------------
def test_annual_reviews_settle_ratings_once_a_year():
    result = run(scenario(comp__review_cadence="annual", horizon__quarters=4), 6)
    ratings = result.employees.pivot(index="employee", columns="quarter", values="rating")
    first_three = ratings[[1, 2, 3]]
    assert (first_three.nunique(axis=1) == 1).all()
    assert not np.allclose(ratings[3], ratings[4])


def test_annual_reviews_lower_stress():
    table = paired(
        scenario(comp__coupling=0.5), scenario(comp__coupling=0.5, comp__review_cadence="annual")
    )
    assert table.loc["stress", "ci_high"] < 0


def test_failure_intolerance_lowers_ambition_where_judgment_counts():
    kw = dict(extrinsic=1.5, risk_aversion=1.0, honesty_cost=1.0)
    base = scenario(comp__coupling=0.0, judgment__ambition_weight=0.5)
    tolerant, harsh = (
        choices.choose_target(
            0.3,
            payoff=choices.payoff_for(base.with_overrides({"judgment.failure_tolerance": t})),
            **kw,
        )[0]
        for t in (1.0, 0.0)
    )
    assert harsh < tolerant


def test_an_intolerant_manager_gets_lower_targets_from_the_same_people():
    tolerant = scenario(
        comp__coupling=0.0, judgment__ambition_weight=0.5, judgment__failure_tolerance=1.0
    )
    harsh = tolerant.with_overrides({"judgment.failure_tolerance": 0.0})
    table = paired(tolerant, harsh, reps=4)
    assert table.loc["sandbagging_index", "ci_low"] > 0


# -- 4. OKR design -------------------------------------------------------------------
def test_more_key_results_cost_focus_and_value():
    table = paired(scenario(okr__krs_per_person=1), scenario(okr__krs_per_person=6))
    assert table.loc["true_value", "ci_high"] < 0


def test_aspirational_key_results_get_stretch_targets():
    model = OKRModel(scenario(okr__aspirational_share=0.5, comp__coupling=0.0), 7)
    model.step()
    wf = model.workforce
    asp = model.org.aspirational
    assert asp.any()
    assert asp.all() is np.False_ or (~asp).any()
    ratio = wf.target / wf.expected
    assert ratio[asp].mean() > ratio[~asp].mean() * 1.3


def test_revisions_happen_only_when_allowed():
    frozen = run(scenario(okr__revision_allowed=False, comp__coupling=0.5), 8)
    agile = run(scenario(okr__revision_allowed=True, comp__coupling=0.5), 8)
    assert frozen.summary["target_revisions"] == 0
    assert agile.summary["target_revisions"] > 0
    assert REVISION_WEEK < WEEKS_PER_QUARTER


@pytest.mark.slow
def test_shared_okrs_keep_teams_priorities_aligned():
    """Without shared objectives priorities drift further; the value lost is an outcome."""
    decoupled = Scenario.from_toml(SCENARIOS / "decoupled.toml")
    no_okrs = Scenario.from_toml(SCENARIOS / "no_okrs.toml")
    table = compare({"decoupled": decoupled, "no_okrs": no_okrs}, reps=10, seed=3).table
    assert table.set_index("metric").loc["alignment", "ci_high"] < 0
    # with nothing made visible by OKRs, running them or not aligns teams alike
    blind = {"env.okr_visibility": 0.0}
    table = compare(
        {"decoupled": decoupled.with_overrides(blind), "no_okrs": no_okrs.with_overrides(blind)},
        reps=4,
        seed=3,
    ).table
    assert table.set_index("metric").loc["alignment", "diff"] == 0.0


# -- 5. manager style ------------------------------------------------------------------
def test_auditor_managers_delay_the_raising_of_blockers():
    coach = scenario(comp__coupling=0.5, judgment__blocker_penalty=0.0, judgment__coach_help=0.5)
    auditor = scenario(comp__coupling=0.5, judgment__blocker_penalty=0.3, judgment__coach_help=0.0)
    table = paired(coach, auditor)
    assert table.loc["blocker_latency_weeks", "ci_low"] > 0


def test_frequent_audits_deter_inflated_reports():
    table = paired(
        scenario(comp__coupling=0.8, judgment__audit_probability=0.0),
        scenario(comp__coupling=0.8, judgment__audit_probability=0.15),
    )
    assert table.loc["reporting_bias", "ci_high"] < 0


def test_what_a_manager_does_with_bad_news_is_learned_from_peers():
    """The same people, from the same prior, learn the mark each manager style puts on bad news."""
    learned = {}
    for penalty in (0.0, 0.4):
        s = scenario(
            comp__coupling=0.5, judgment__blocker_penalty=penalty, behaviour__bad_news_prior=0.1
        )
        model = OKRModel(s, 9)
        assert np.allclose(model.workforce.bad_news_belief, 0.1)
        model.run()
        learned[penalty] = model.workforce.bad_news_belief.mean()
    # the rating mark per red piece is (1 − c)·(1 − centrality)·0.4/K ≈ 0.08; a coach's none
    assert learned[0.0] < 0.03
    assert learned[0.4] > learned[0.0] + 0.03


# -- 6. organisation and environment -------------------------------------------------
def test_dependencies_spread_delay_downstream():
    result = run(scenario(org__dependency_density=0.5, org__shared_kr_share=0.5), 10)
    assert result.summary["dependency_delay_weeks"] > 0
    assert run(scenario(), 10).summary["dependency_delay_weeks"] == 0


def test_a_market_shock_hits_its_quarter_only():
    calm = run(scenario(horizon__quarters=4), 12).quarterly.set_index("quarter")
    shocked = run(scenario(horizon__quarters=4, env__shock_quarter=2), 12).quarterly.set_index(
        "quarter"
    )
    assert shocked.loc[2, "true_value"] < calm.loc[2, "true_value"] * 0.8
    assert shocked.loc[1, "true_value"] == calm.loc[1, "true_value"]


def test_uncertain_pay_and_long_hours_raise_stress():
    """Stress comes from the week and the pay risk the same people face, not from a policy."""
    s = scenario(comp__coupling=0.3)
    model = mid_quarter(s)
    wf, policy = model.workforce, model.policy
    wf.coupling_belief[:] = 0.3  # people who know how their rating is made
    out = attainment_outlook(wf, policy, model.week_in_quarter, worked=True)

    def stress_after(public: PublicFigures, intensity: float) -> np.ndarray:
        before, hours = wf.stress.copy(), wf.intensity.copy()
        wf.intensity[:] = intensity
        update_stress(wf, model.org, policy, out, public, week_in_quarter=model.week_in_quarter)
        after = wf.stress.copy()
        wf.stress[:], wf.intensity[:] = before, hours
        return after

    calm = replace(PublicFigures.prior(s.assumptions), judged_sd=0.05)
    tense = replace(calm, judged_sd=0.4)
    assert np.all(stress_after(tense, 1.0) > stress_after(calm, 1.0))
    assert np.all(stress_after(calm, 1.25) > stress_after(calm, 1.0))


# -- 7. policy schedule -----------------------------------------------------------------
def test_schedule_applies_at_its_quarter_and_keeps_what_agents_learned():
    s = Scenario.from_mapping(
        {
            "org": {"n_teams": 4, "team_size": 6},
            "comp": {"coupling": 0.8},
            "horizon": {"quarters": 4},
            "schedule": [{"quarter": 3, "set": {"comp.coupling": 0.0}}],
        },
        source="test",
    )
    model = OKRModel(s, 13)
    couplings = []
    for quarter in range(1, 5):
        if quarter == 3:
            learned = (model.workforce.honesty.copy(), model.workforce.capability_belief.copy())
        model.step()
        couplings.append(model.policy.payoff.coupling)
        if quarter == 3:
            np.testing.assert_array_equal(model.workforce.honesty, learned[0])
            np.testing.assert_array_equal(model.workforce.capability_belief, learned[1])
        for _ in range(WEEKS_PER_QUARTER - 1):
            model.step()
    assert couplings == [0.8, 0.8, 0.0, 0.0]
    fresh = OKRModel(s.with_overrides({"comp.coupling": 0.0}), 13).workforce
    assert not np.allclose(fresh.capability_belief, model.workforce.capability_belief)


# -- the scenario library ---------------------------------------------------------------
LIBRARY = sorted(SCENARIOS.glob("*.toml"))


def test_the_library_has_every_situation_and_a_readme_line_for_each():
    names = {p.stem for p in LIBRARY}
    wanted = {
        "relative_ranking",
        "team_bonus",
        "ratchet",
        "no_ratchet_commitment",
        "assigned_stretch",
        "annual_review",
        "too_many_okrs",
        "no_okrs",
        "auditor_managers",
        "coach_managers",
        "market_shock",
        "cross_team_dependencies",
        "decouple_in_year_two",
    }
    assert wanted <= names
    readme = (SCENARIOS / "README.md").read_text()
    for name in names:
        assert f"`{name}.toml`" in readme


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_runs_8_quarters_and_round_trips_through_okrsim_run(path, tmp_path, capsys):
    loaded = Scenario.from_toml(path)
    quarters = max(8, loaded.horizon.quarters)
    code = main(
        [
            "run",
            str(path),
            "--seed",
            "1",
            "--out",
            str(tmp_path),
            "--set",
            f"horizon.quarters={quarters}",
        ]
    )
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    again = Scenario.from_mapping(manifest["scenario"], source="manifest")
    assert again == loaded.with_overrides({"horizon.quarters": quarters})
    quarterly = __import__("pandas").read_parquet(tmp_path / "quarterly.parquet")
    assert len(quarterly) == quarters
