"""Exploration as a bet that can fail, and targets negotiated and revised strategically.

Decision-level checks: the same agents in the same state (a real
:class:`OKRModel` stepped some weeks) face one moved lever, and the
submodel's own function is called again.  Exploration: failure tolerance
reaches the split of the week through the judged rating's exposure to the
bet, priced by risk aversion; judgment marks a failed bet below a successful
one only where it does not tolerate failure.  Negotiation: offers anticipate
the pull of the manager's ask; revisions happen only when both sides agree,
and cost time.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_levers import mid_quarter, scenario

from okrsim.model import OKRModel
from okrsim.model.effort_allocation import allocate_effort, value_per_output
from okrsim.model.in_force import InForce
from okrsim.model.learning import targets_seen
from okrsim.model.outlook import attainment_outlook
from okrsim.model.quarter_review import judge, measured_scores
from okrsim.model.target_setting import REVISION_WEEK, revise_targets, set_targets
from okrsim.model.work import work
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices
from okrsim.simulation import run

PACKAGE = Path(__file__).resolve().parents[1] / "okrsim"


def exploration(model: OKRModel, s: Scenario, risk_aversion: float | None = None) -> np.ndarray:
    """The exploration share a copy of the model's agents would choose under ``s``."""
    m = copy.deepcopy(model)
    wf = m.workforce
    if risk_aversion is not None:
        wf.risk_aversion[:] = risk_aversion
    policy = InForce.read(s, peer_attainment=m.public.peer_attainment)
    outlook = attainment_outlook(wf, policy, m.week_in_quarter)
    per_output = value_per_output(wf, m.org, policy, outlook, m.public)
    allocate_effort(wf, m.org, policy, outlook, per_output, m.public)
    return wf.effort[:, 3].copy()


def work_a_week(model: OKRModel, draws: dict[str, np.ndarray]) -> None:
    """The model's week of work with the given draws, into its own state and tally."""
    work(
        model.workforce,
        model.org,
        model.policy,
        draws,
        model.tally,
        alignment=model.alignment[model.org.team],
        quarter=model.quarter,
        week=model.week,
        week_in_quarter=model.week_in_quarter,
    )


def tolerance(s: Scenario, phi: float) -> Scenario:
    return s.with_overrides({"judgment.failure_tolerance": phi})


# -- exploration ----------------------------------------------------------------------
def test_lower_failure_tolerance_lowers_exploration_more_for_the_more_risk_averse():
    s = scenario()
    model = mid_quarter(s)
    model.workforce.coupling_belief[:] = s.comp.coupling  # who know how ratings are made
    drops = []
    for rho in (0.5, 3.0):
        tolerant = exploration(model, tolerance(s, 1.0), rho)
        harsh = exploration(model, tolerance(s, 0.0), rho)
        explorers = tolerant > 0
        assert explorers.any()
        assert np.all(harsh[explorers] < tolerant[explorers])
        drops.append(tolerant - harsh)
    assert np.all(drops[1][drops[0] > 0] > drops[0][drops[0] > 0])


def test_a_tolerant_manager_leaves_exploration_free_of_risk():
    """At full tolerance a failed bet costs nothing: risk aversion does not move exploration."""
    s = tolerance(scenario(), 1.0)
    model = mid_quarter(s)
    np.testing.assert_allclose(exploration(model, s, 0.2), exploration(model, s, 5.0))


def test_failure_tolerance_does_not_move_exploration_when_judgment_decides_nothing():
    """With the whole rating formulaic only intrinsic motivation explores: at the expected value."""
    s = scenario(comp__coupling=1.0)
    model = mid_quarter(s)
    model.workforce.coupling_belief[:] = 1.0  # and everyone believes it
    tolerant = exploration(model, tolerance(s, 1.0), 3.0)
    np.testing.assert_array_equal(tolerant, exploration(model, tolerance(s, 0.0), 3.0))
    np.testing.assert_array_equal(tolerant, exploration(model, tolerance(s, 0.0), 0.1))


@settings(max_examples=60, deadline=None)
@given(
    phi=st.floats(0.0, 1.0),
    rho=st.floats(0.0, 10.0),
    judged=st.floats(0.0, 0.5),
    hazard=st.floats(0.0, 0.3),
)
def test_the_exploration_weight_falls_with_intolerance_and_risk_aversion(phi, rho, judged, hazard):
    def weight(phi: float, rho: float) -> float:
        return float(
            choices.exploration_weight(
                0.2,
                breakthrough_rate=0.12,
                breakthrough_value=6.0,
                scale=0.1,
                hazard=hazard,
                judged_per_value=judged,
                failure_tolerance=phi,
                extrinsic=1.0,
                risk_aversion=rho,
                settlement_quarters=1,
            )
        )

    w = weight(phi, rho)
    assert 0.0 <= w <= weight(1.0, rho) == pytest.approx(0.12 * 6.0 / 0.1 * 0.2)
    assert weight(phi, rho + 1.0) <= w
    assert weight(max(phi - 0.2, 0.0), rho) <= w


def judged_after_a_week(phi: float, breakthrough_draw: float) -> tuple[np.ndarray, np.ndarray]:
    """One employee's bet succeeds (draw 0) or fails (draw 1); judged ratings and contributions."""
    s = tolerance(scenario(), phi)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 3)
    wf, tally = model.workforce, model.tally
    draws = model.draw_week()
    explorer = int(np.argmax(wf.effort[:, 3]))
    draws["breakthrough"][explorer] = breakthrough_draw
    work_a_week(model, draws)
    measured, _, _ = measured_scores(wf, model.org, model.policy, model.manager_view)
    judgment = judge(
        wf,
        model.org,
        model.policy,
        tally,
        measured,
        manager_view=model.manager_view,
        leniency=np.zeros(s.org.n_teams),
        seen_noise=np.random.default_rng(7).standard_normal(model.workforce.n),
    )
    return judgment.judged[explorer], tally.contribution[explorer]


@pytest.mark.parametrize("phi", [0.0, 0.5])
def test_judgment_marks_a_failed_bet_below_a_successful_one_when_it_is_intolerant(phi):
    success, contribution_success = judged_after_a_week(phi, 0.0)
    failure, contribution_failure = judged_after_a_week(phi, 1.0)
    assert failure < success
    # the truth credits the bet at its promise either way: luck is not contribution
    assert contribution_failure == pytest.approx(contribution_success, rel=1e-12)


def test_a_fully_tolerant_manager_judges_a_failed_bet_like_a_successful_one():
    success, _ = judged_after_a_week(1.0, 0.0)
    failure, _ = judged_after_a_week(1.0, 1.0)
    assert failure == pytest.approx(success, rel=1e-9)


def test_a_failed_bet_is_exploration_with_no_breakthrough_in_the_quarter():
    base = scenario(horizon__quarters=2)
    result = run(base, 3)
    failed = result.quarterly["failed_bets"]
    assert ((failed > 0) & (failed < 1)).all()
    employees = result.employees
    explored = employees["exploration_share"] > 0
    expected = (explored & (employees["breakthroughs"] == 0)).astype(float)
    np.testing.assert_array_equal(employees["failed_bet"].to_numpy(), expected.to_numpy())


# -- negotiation ----------------------------------------------------------------------
#: Three people who care little about stating a target they do not believe.
KW = dict(extrinsic=1.5, risk_aversion=np.array([0.5, 1.5, 4.0]), honesty_cost=0.1)


def coupled_payoff(coupling: float = 0.3) -> choices.Payoff:
    return choices.payoff_for(scenario(comp__coupling=coupling))


def offer(pull: float, ask: float, **kw: object) -> np.ndarray:
    people = {**KW, **kw}
    return choices.choose_target(
        0.2, payoff=coupled_payoff(), pull=np.full(3, pull), ask=np.full(3, ask), **people
    )[0]


@pytest.mark.parametrize("ask", [0.6, 1.0, 1.4])
def test_with_no_pull_expected_the_offer_is_the_honest_choice(ask):
    payoff = coupled_payoff()
    honest, utilities = choices.choose_target(0.2, payoff=payoff, **KW)
    no_pull, _ = choices.choose_target(
        0.2, payoff=payoff, pull=np.zeros(3), ask=np.full(3, ask), **KW
    )
    np.testing.assert_array_equal(no_pull, honest)
    # the honest choice: the best target stated as it is, the ask nowhere in it
    own = choices.target_utility(
        choices.TARGET_GRID,
        0.2,
        payoff=payoff,
        extrinsic=1.5,
        risk_aversion=KW["risk_aversion"][:, None],
        honesty_cost=0.1,
    )
    np.testing.assert_array_equal(utilities, own)


@pytest.mark.parametrize("ask", [1.0, 1.4])
@pytest.mark.parametrize("pull", [0.2, 0.4])
def test_an_expected_pull_moves_the_offer_further_from_the_ask(ask, pull):
    """Fisher, Frederickson & Peffer (2000)'s political offer: shade to land the target."""
    honest = offer(0.0, ask)
    political = offer(pull, ask)
    assert np.all(political <= honest)
    assert np.all(political < honest)
    # and the target it leads to lands nearer the honest choice than the plain blend
    target = political + pull * (ask - political)
    assert np.all(np.abs(target - honest) < np.abs(pull * (ask - honest)))


def test_an_offer_shades_only_as_far_as_it_still_moves_the_target():
    """Where the manager decides nearly all, lying buys little: the offer drifts back to honest."""
    moderate, overwhelming = offer(0.4, 1.4), offer(0.8, 1.4)
    assert np.all(overwhelming > moderate)
    # the same holds for people who mind stating what they do not believe
    assert np.all(offer(0.8, 1.4, honesty_cost=1.0) >= offer(0.0, 1.4, honesty_cost=1.0))


def test_the_model_offers_on_the_pull_and_ask_each_employee_believes():
    s = scenario(okr__target_rule="negotiated", comp__coupling=0.6)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 2)
    wf, policy = model.workforce, model.policy
    wf.honesty[:] = 0.1 / s.behaviour.target_scrutiny
    offers = {}
    for pull in (0.0, 0.3):
        wf.pull_belief[:] = pull
        wf.ask_belief[:] = 1.4
        set_targets(wf, policy, manager_view=model.manager_view, last_reported=None)
        offers[pull] = (wf.offer / wf.expected).mean(axis=1)
        # the rule moves the offer by the real pull towards the real ask
        p = policy.payoff.manager_pull
        np.testing.assert_allclose(wf.target * wf.par, wf.offer + p * (wf.ask - wf.offer))
    assert np.all(offers[0.3] <= offers[0.0])
    assert offers[0.3].mean() < offers[0.0].mean()


@pytest.mark.parametrize(
    ("rule", "pull"), [("self_set", 0.0), ("negotiated", 0.5), ("assigned", 1.0)]
)
def test_the_pull_is_learned_from_the_targets_seen(rule, pull):
    s = scenario(okr__target_rule=rule, okr__negotiation_pressure=0.5, comp__coupling=0.5)
    model = mid_quarter(s, weeks=2)
    seen_pull, _, seen = targets_seen(model.workforce, model.org, None)
    assert seen.all()
    np.testing.assert_allclose(seen_pull, pull, atol=1e-9)


def test_negotiation_time_is_a_number_of_the_pull_not_the_rules_name():
    hours = {}
    for rule in ("self_set", "negotiated", "assigned"):
        s = scenario(okr__target_rule=rule, okr__negotiation_pressure=0.5)
        hours[rule] = InForce.read(s, peer_attainment=(1.0, 0.15)).negotiation_hours(0)
    assert hours["self_set"] == hours["assigned"] == 0.0
    assert hours["negotiated"] == pytest.approx(0.04 * 2)
    source = (PACKAGE / "model" / "in_force.py").read_text()
    assert not re.search(r"target_rule", source)


# -- revision -------------------------------------------------------------------------
def at_revision(coupling: float, rule: str = "negotiated") -> OKRModel:
    s = scenario(comp__coupling=coupling, okr__revision_allowed=True, okr__target_rule=rule)
    return mid_quarter(s, weeks=WEEKS_PER_QUARTER + REVISION_WEEK)


def revise(model: OKRModel, view_scale: float = 1.0) -> tuple[OKRModel, np.ndarray, np.ndarray]:
    m = copy.deepcopy(model)
    asked, agreed = revise_targets(m.workforce, m.policy, manager_view=m.manager_view * view_scale)
    return m, asked, agreed


@settings(max_examples=80, deadline=None)
@given(current=st.floats(0.1, 5.0), proposed=st.floats(0.1, 5.0), reference=st.floats(0.1, 5.0))
def test_a_manager_agrees_only_to_move_towards_its_own_expectation(current, proposed, reference):
    agreed = bool(choices.manager_agrees(current, proposed, reference))
    assert agreed == ((proposed - current) * (reference - current) > 0)
    if agreed:
        moved = float(choices.agreed_target(current, proposed, reference))
        assert abs(reference - moved) < abs(reference - current)
        assert min(current, reference) <= moved <= max(current, reference)


def test_a_manager_agrees_to_the_target_its_rule_would_set_from_its_own_forecast():
    """The same requests, heard by managers whose rules differ only in their pull:
    where employees set targets (π_m = 0) the manager's reference is its own
    forecast, where it assigns them (π_m = 1) its stretched ask, so the same
    requests to lower a target are agreed more often under the first; and an
    agreed target never goes past the reference."""
    model = at_revision(0.8, "self_set")
    s = model.policy.scenario
    weeks_left = WEEKS_PER_QUARTER - (REVISION_WEEK + 1)
    outcome = {}
    for rule in ("self_set", "assigned"):
        m = copy.deepcopy(model)
        policy = InForce.read(
            s.with_overrides({"okr.target_rule": rule}), peer_attainment=m.public.peer_attainment
        )
        wf = m.workforce
        before = wf.target * wf.par
        forecast = wf.reported + m.manager_view * weeks_left / WEEKS_PER_QUARTER
        asked, agreed = revise_targets(wf, policy, manager_view=m.manager_view)
        outcome[rule] = (asked, agreed.sum())
        if rule == "self_set":
            moved = wf.target * wf.par != before
            assert moved.any()
            low, high = np.minimum(before, forecast), np.maximum(before, forecast)
            after = (wf.target * wf.par)[moved]
            assert np.all((after >= low[moved] - 1e-12) & (after <= high[moved] + 1e-12))
    np.testing.assert_array_equal(outcome["self_set"][0], outcome["assigned"][0])
    assert outcome["self_set"][1] > outcome["assigned"][1]


def test_a_revision_happens_only_when_both_sides_agree_and_costs_time():
    model = at_revision(0.8)
    before = model.workforce.target.copy()
    m, asked, agreed = revise(model)
    moved = (m.workforce.target != before).sum(axis=1)
    assert asked.sum() > agreed.sum() > 0
    np.testing.assert_array_equal(moved, agreed)
    assert np.all(agreed <= asked)
    s = m.policy.scenario
    np.testing.assert_allclose(m.workforce.revision_time, s.okr.revision_hours * asked)
    # the time asked is taken from next week's work
    draws = m.draw_week()
    overheads = []
    for revision_time in (m.workforce.revision_time.copy(), np.zeros(m.workforce.n)):
        mm = copy.deepcopy(m)
        mm.workforce.revision_time[:] = revision_time
        before_overhead = mm.tally.overhead.copy()
        work_a_week(mm, draws)
        overheads.append(mm.tally.overhead - before_overhead)
        assert np.all(mm.workforce.revision_time == 0)
    np.testing.assert_allclose(overheads[0] - overheads[1], s.okr.revision_hours * asked)


def test_nobody_asks_when_asking_costs_more_than_any_gain_or_agreement_is_not_expected():
    model = at_revision(0.8)
    model.workforce.agree_belief[:] = 0.0
    _, asked, agreed = revise(model)
    assert asked.sum() == agreed.sum() == 0


def test_a_believed_coupling_brings_more_requests_and_a_disagreeing_manager_agrees_to_fewer():
    # the same agents at the revision week, only their belief of the coupling moved
    coupled = at_revision(0.8)
    decoupled = copy.deepcopy(coupled)
    decoupled.workforce.coupling_belief[:] = 0.0
    coupled.workforce.coupling_belief[:] = 0.8
    _, asked_decoupled, _ = revise(decoupled)
    _, asked_coupled, agreed_expecting_less = revise(coupled, view_scale=0.7)
    assert asked_coupled.sum() > asked_decoupled.sum()
    # the same requests, to a manager who expects more than the targets: refused
    _, asked_again, agreed_expecting_more = revise(coupled, view_scale=1.5)
    np.testing.assert_array_equal(asked_again, asked_coupled)
    assert agreed_expecting_more.sum() < agreed_expecting_less.sum()


def test_a_manager_who_assigned_the_targets_agrees_to_no_change_it_did_not_expect():
    """Assigned targets are the manager's ask: on pace, no move is towards what it expects."""
    model = at_revision(0.8, rule="assigned")
    m = copy.deepcopy(model)
    wf = m.workforce
    # progress exactly as the manager foresaw: its ask now is the target it set
    wf.reported[:] = m.manager_view * (REVISION_WEEK + 1) / WEEKS_PER_QUARTER
    wf.target[:] = m.policy.scenario.okr.assigned_stretch * m.manager_view / wf.par
    asked, agreed = revise_targets(wf, m.policy, manager_view=m.manager_view)
    assert asked.sum() > 0
    assert agreed.sum() == 0


def test_the_belief_of_agreement_is_learned_from_the_teams_requests():
    s = scenario(comp__coupling=0.8, okr__revision_allowed=True, okr__target_rule="negotiated")
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER)
    t, wf, org = model.tally, model.workforce, model.org
    asked = org.team_total(t.revision_requests)
    assert asked.sum() > 0
    agreed = org.team_total(t.revisions)
    eta = s.behaviour.learning_rate
    seen = asked[wf.team] > 0
    share = agreed[wf.team] / np.maximum(asked, 1)[wf.team]
    prior = s.assumptions.agree_prior
    expected = np.where(seen, (1 - eta) * prior + eta * share, prior)
    stayed = ~model.employee_frame()["left"].to_numpy(bool)  # a newcomer brings the prior
    np.testing.assert_allclose(wf.agree_belief[stayed], expected[stayed])
    np.testing.assert_array_equal(wf.agree_belief[~stayed], prior)


def test_a_revision_agreed_mid_quarter_is_not_mistaken_for_the_managers_pull():
    """Under self-set targets the pull learned stays 0 however many revisions were agreed."""
    s = scenario(comp__coupling=0.8, okr__revision_allowed=True, okr__target_rule="self_set")
    model = mid_quarter(s, weeks=3 * WEEKS_PER_QUARTER)
    assert model.employee_frame()["target_revisions"].sum() > 0
    # newcomers start at the self-set rule's pull, 0, and learn from the same targets
    np.testing.assert_array_equal(model.workforce.pull_belief, 0.0)
