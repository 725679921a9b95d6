"""The model's mechanisms, each checked at the decision level.

The same agents in the same state (a real :class:`OKRModel` stepped some
weeks) face one changed input, and the submodel's own function is called
again: what moves, and which way, is the mechanism.  Pure functions get
property tests.  Sections follow the mechanisms: effort as a choice, people
coming and going, judgment as a process, and the effects that used to be
imposed (alignment, focus, annual settlement, target rules).
"""

from __future__ import annotations

import copy
import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_exploration_negotiation import work_a_week
from test_levers import mid_quarter, reweigh, scenario

from okrsim.model import OKRModel
from okrsim.model.alignment import drift
from okrsim.model.blocker_surfacing import believed_clearing
from okrsim.model.check_in import reporting
from okrsim.model.effort_allocation import allocate_effort, value_per_output
from okrsim.model.in_force import InForce
from okrsim.model.learning import ratchet_seen
from okrsim.model.outlook import attainment_outlook, ratchet_claw_back, weekly_forecast
from okrsim.model.quarter_review import Judgment, judge, measured_scores
from okrsim.model.target_setting import set_targets
from okrsim.model.turnover import availability, decide_quits, hire, quit_probability
from okrsim.model.work import seat_factor, update_stress, work
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices
from okrsim.policies.rating import relative_to_mean

PACKAGE = Path(__file__).resolve().parents[1] / "okrsim"
#: 8 teams of 8: enough people that a correlation is not one person's luck.
WIDE = {"org__n_teams": 8, "org__team_size": 8}


def at_review(s: Scenario, seed: int = 3) -> OKRModel:
    """A model at its first review: the quarter's tallies complete, not yet reset."""
    model = OKRModel(s, seed)
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    return model


def judged_under(model: OKRModel, s: Scenario, leniency: np.ndarray | None = None) -> Judgment:
    """How the same quarter would be judged under scenario ``s`` (same observation draws)."""
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    measured, _, _ = measured_scores(model.workforce, model.org, policy, model.manager_view)
    return judge(
        model.workforce,
        model.org,
        policy,
        model.tally,
        measured,
        manager_view=model.manager_view,
        leniency=np.zeros(s.org.n_teams) if leniency is None else leniency,
        seen_noise=np.random.default_rng(7).standard_normal(model.workforce.n),
    )


# -- 1. effort is a choice ------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.01, 5.0),
    cost=st.floats(0.05, 5.0),
    factor=st.floats(1.0, 4.0),
    elasticity=st.floats(0.0, 3.0),
    ceiling=st.floats(1.0, 2.0),
)
def test_intensity_rises_with_its_value_falls_with_its_cost_and_stays_within_bounds(
    lam: float, cost: float, factor: float, elasticity: float, ceiling: float
) -> None:
    def h(value: float, kappa: float) -> float:
        return float(choices.intensity(value, kappa, elasticity=elasticity, ceiling=ceiling))

    base = h(lam, cost)
    assert 0.5 <= base <= ceiling
    assert h(lam * factor, cost) >= base
    assert h(lam, cost / factor) >= base
    assert h(lam * factor, cost) <= ceiling


def test_intensity_is_value_over_cost_to_the_elasticity_inside_the_bounds():
    h = choices.intensity(0.36, 0.4, elasticity=0.5, ceiling=2.0)
    np.testing.assert_allclose(h, 0.9**0.5)


def test_the_same_people_work_harder_when_key_result_output_is_worth_more():
    s = scenario(behaviour__max_intensity=2.0)
    model = mid_quarter(s)
    wf = model.workforce
    reweigh(model, s)
    before = wf.intensity.copy()
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    per_output = value_per_output(wf, model.org, policy, outlook, model.public)
    allocate_effort(wf, model.org, policy, outlook, 3.0 * per_output, model.public)
    assert np.all(wf.intensity >= before - 1e-12)
    assert wf.intensity.mean() > before.mean()


def test_a_goal_adds_value_to_output_only_where_it_may_be_missed():
    """The same agents in the same state, the goal's pull on and off: an easy
    target (sure to be met) or one far out of reach adds nothing to a unit of
    key-result output; one just within reach adds the most."""
    s = scenario()
    model = mid_quarter(s, weeks=6)
    wf = model.workforce
    with_pull = InForce.read(s, peer_attainment=model.public.peer_attainment)
    without = InForce.read(
        s.with_overrides({"behaviour.goal_pull": 0.0}), peer_attainment=model.public.peer_attainment
    )

    def value(policy: InForce, mu: float) -> np.ndarray:
        outlook = (np.full_like(wf.target, mu), np.full_like(wf.target, 0.05))
        return value_per_output(wf, model.org, policy, outlook, model.public)

    for sure_or_hopeless in (2.0, 0.2):
        np.testing.assert_allclose(
            value(with_pull, sure_or_hopeless), value(without, sure_or_hopeless), rtol=1e-12
        )
    within_reach = value(with_pull, 0.9) - value(without, 0.9)
    assert np.all(within_reach > 0)


def test_the_same_people_work_harder_when_effort_costs_them_less():
    s = scenario(behaviour__max_intensity=2.0)
    model = mid_quarter(s)
    wf = model.workforce
    reweigh(model, s)
    before = wf.intensity.copy()
    wf.effort_cost[:] *= 0.5
    reweigh(model, s)
    assert np.all(wf.intensity >= before - 1e-12)
    assert wf.intensity.mean() > before.mean()


def test_stress_lowers_the_ceiling_and_nobody_works_above_it():
    s = scenario(behaviour__max_intensity=1.6, behaviour__effort_cost_mean=0.02)
    model = mid_quarter(s)
    wf = model.workforce
    wf.stress[:] = 0.0
    reweigh(model, s)
    calm = wf.intensity.copy()
    assert np.all(calm <= 1.6 + 1e-12)
    assert np.isclose(calm, 1.6).any()  # the cheap effort makes the ceiling bind
    wf.stress[:] = 1.0
    reweigh(model, s)
    stressed_ceiling = 1.0 + 0.6 * (1.0 - s.env.stress_capacity)
    assert np.all(wf.intensity <= stressed_ceiling + 1e-12)
    assert np.all(wf.intensity <= calm + 1e-12)
    assert wf.intensity.mean() < calm.mean()


def test_more_judged_credit_raises_total_effort_not_only_its_split():
    s = scenario(behaviour__max_intensity=2.0)
    model = mid_quarter(s)
    model.workforce.coupling_belief[:] = s.comp.coupling  # who know how ratings are made
    reweigh(model, s)
    before = model.workforce.intensity.copy()
    reweigh(model, s.with_overrides({"judgment.contribution_weight": 2.0}))
    assert np.all(model.workforce.intensity >= before - 1e-12)
    assert model.workforce.intensity.mean() > before.mean() * 1.01


def test_more_intrinsically_motivated_people_work_harder():
    s = scenario(behaviour__max_intensity=2.0)
    model = mid_quarter(s)
    wf = model.workforce
    reweigh(model, s)
    before = wf.intensity.copy()
    wf.intrinsic[:] *= 2.0
    reweigh(model, s)
    assert np.all(wf.intensity >= before - 1e-12)
    assert wf.intensity.mean() > before.mean() * 1.01


def test_people_spend_more_time_on_visibility_when_their_manager_sees_less():
    # at the default return the halo is worth less than an hour of real work
    s = scenario(judgment__influence_return=5.0)
    model = mid_quarter(s)
    wf = model.workforce
    model.public.seen_weight = 0.9
    reweigh(model, s)
    visible_clear, halo_clear, kr_clear = (
        wf.effort[:, 4].copy(),
        wf.weights[:, 4].copy(),
        wf.weights[:, 0].copy(),
    )
    model.public.seen_weight = 0.3
    reweigh(model, s)
    # accuracy lowers the judged credit of real work, not the halo
    np.testing.assert_allclose(wf.weights[:, 4], halo_clear)
    assert np.all(wf.weights[:, 0] <= kr_clear + 1e-12)
    assert np.all(wf.effort[:, 4] >= visible_clear - 1e-12)
    assert wf.effort[:, 4].mean() > visible_clear.mean()


def test_a_central_manager_compresses_the_halo_as_it_compresses_real_work():
    """``judge`` pulls the whole judged rating, halo included, towards the team's mean:
    one's own halo reaches one's rating by 1 − κ_c·(1 − 1/N), as the rest does."""
    spread = scenario(judgment__influence_return=5.0, judgment__centrality=0.0)
    central = spread.with_overrides({"judgment.centrality": 0.5})
    model = mid_quarter(spread)
    model.public.seen_weight = 0.8  # what the last review showed, the same for both
    reweigh(model, spread)
    halo_spread = model.workforce.weights[:, 4].copy()
    reweigh(model, central)
    reach = 1.0 - 0.5 * (1.0 - 1.0 / spread.org.team_size)
    np.testing.assert_allclose(model.workforce.weights[:, 4], reach * halo_spread)


def test_nobody_spends_time_on_visibility_when_it_registers_nothing():
    s = scenario(judgment__influence_return=0.0)
    model = mid_quarter(s)
    reweigh(model, s)
    assert np.all(model.workforce.effort[:, 4] == 0.0)
    assert np.all(model.tally.visible_time == 0.0)


# -- 3. judgment is a process ---------------------------------------------------------
def test_a_perfectly_accurate_manager_does_not_shrink_what_it_sees():
    s = scenario(**WIDE, judgment__accuracy=1.0, judgment__centrality=0.0)
    judgment = judged_under(at_review(s), s)
    assert judgment.seen_weight == pytest.approx(1.0, abs=1e-9)
    assert judgment.reported_weight == 0.0


def test_a_less_accurate_manager_gives_less_weight_and_tracks_contribution_less():
    sharp = scenario(**WIDE, judgment__accuracy=0.9, judgment__leniency_sd=0.0)
    blurred = sharp.with_overrides({"judgment.accuracy": 0.2})
    model = at_review(sharp)
    contribution = model.tally.contribution
    a, b = judged_under(model, sharp), judged_under(model, blurred)
    assert b.seen_weight < a.seen_weight
    assert b.judged_sd > a.judged_sd
    corr_sharp = np.corrcoef(a.judged, contribution)[0, 1]
    corr_blurred = np.corrcoef(b.judged, contribution)[0, 1]
    assert corr_blurred < corr_sharp


def test_a_lenient_manager_shifts_its_whole_team_and_no_one_else():
    s = scenario(**WIDE)
    model = at_review(s)
    leniency = np.zeros(s.org.n_teams)
    base = judged_under(model, s, leniency).judged
    leniency[2] = 0.4
    shifted = judged_under(model, s, leniency).judged
    team = model.workforce.team
    np.testing.assert_allclose(shifted[team == 2] - base[team == 2], 0.4)
    np.testing.assert_allclose(shifted[team != 2], base[team != 2])


def test_a_quarter_of_losses_keeps_judged_ratings_level_and_their_spread_bounded():
    """Where every seat's work is worth less than nothing, judged ratings stay around the
    same level with a spread like a healthy quarter's: contributions are read as
    differences from the mean in units of their spread, not as shares of a mean that is
    negative (which would sink every rating below zero) or of a floor (which would
    spread ratings over tens of units)."""
    s = scenario(**WIDE, judgment__accuracy=1.0, judgment__centrality=0.0)
    model = at_review(s)
    t = model.tally
    healthy = judged_under(model, s).judged
    # the same quarter with every seat's work worth 30 units less
    t.seen_contribution -= 30.0 * np.maximum(t.weeks_present, 1.0) / WEEKS_PER_QUARTER
    losses = judged_under(model, s).judged
    seen = t.seen_contribution * WEEKS_PER_QUARTER / np.maximum(t.weeks_present, 1.0)
    assert seen.mean() < -10.0
    w = s.judgment.contribution_weight
    assert abs(losses.mean() - healthy.mean()) < 0.25 * w
    assert losses.std() < 1.5 * w
    assert np.polyfit(seen, losses, 1)[0] > 0  # the larger contribution still rated higher


def test_centrality_compresses_each_team_around_its_mean():
    spread = scenario(**WIDE, judgment__centrality=0.0)
    central = spread.with_overrides({"judgment.centrality": 0.5})
    model = at_review(spread)
    org = model.org
    a, b = judged_under(model, spread), judged_under(model, central)
    np.testing.assert_allclose(org.team_mean(b.judged), org.team_mean(a.judged))
    np.testing.assert_allclose(
        b.judged - org.team_mean(b.judged), 0.5 * (a.judged - org.team_mean(a.judged))
    )
    # one's own contribution is in the team's mean it is pulled towards
    reach = 1.0 - 0.5 * (1.0 - 1.0 / spread.org.team_size)
    assert b.seen_weight == pytest.approx(reach * a.seen_weight)


@pytest.mark.parametrize("centrality", [0.0, 0.2, 0.7])
def test_what_judgment_adds_to_ones_score_reaches_ones_rating_by_the_judged_reach(centrality):
    """The same people at the same review, one employee's inflation caught moved:
    its judged rating falls by the penalty times ``Payoff.judged_reach``, the
    share the choices weigh it at (the others' by the rest, through the mean)."""
    s = scenario(**WIDE, judgment__centrality=centrality)
    model = at_review(s)
    before = judged_under(model, s)
    model.tally.caught[0] += 0.1
    after = judged_under(model, s)
    payoff = choices.payoff_for(s)
    assert before.judged[0] - after.judged[0] == pytest.approx(
        0.1 * s.judgment.inflation_penalty * payoff.judged_reach, rel=1e-9
    )


def test_a_report_alone_reaches_ones_rating_by_what_the_pull_passes():
    """One report raised at the review moves no team's mean of the OKR measure (one's
    own up, each teammate's down), so a central manager passes 1 − κ_c of it, and
    publishes the weight of reported results so."""
    s = scenario(**WIDE, judgment__use_okr_context=True, judgment__accuracy=0.2)
    model = at_review(s)
    moved = {}
    for centrality in (0.0, 0.5):
        s_c = s.with_overrides({"judgment.centrality": centrality})
        before = judged_under(model, s_c)
        model.workforce.reported[0, 0] += 0.05
        after = judged_under(model, s_c)
        model.workforce.reported[0, 0] -= 0.05
        moved[centrality] = (after.judged[0] - before.judged[0], before.reported_weight)
    assert moved[0.0][0] > 0.0
    assert moved[0.5][0] == pytest.approx(0.5 * moved[0.0][0], rel=1e-3)
    assert moved[0.5][1] == pytest.approx(0.5 * moved[0.0][1], rel=1e-12)


def test_recency_weighs_the_quarters_last_weeks_more():
    r = 0.3
    # priorities aimed exactly, exploration credited by its promise (full
    # failure tolerance) and no value lost to output booked across the
    # quarter's end (which no one sees): what the manager can see is the whole
    # contribution
    exact = {
        "env__priority_drift": 0.0,
        "judgment__failure_tolerance": 1.0,
        "env__booking_loss": 0.0,
    }
    model = OKRModel(scenario(judgment__recency=r, **exact), 5)
    model.step()  # the quarter starts and its tallies reset
    ratios = []
    for _ in range(WEEKS_PER_QUARTER - 1):
        contribution = model.tally.contribution.copy()
        recent = model.tally.seen_contribution.copy()
        week = model.week_in_quarter
        model.step()
        gained = model.tally.contribution - contribution
        weighted = model.tally.seen_contribution - recent
        expected = 1.0 + r * (2.0 * week / (WEEKS_PER_QUARTER - 1) - 1.0)
        np.testing.assert_allclose(weighted, expected * gained, atol=1e-12)
        ratios.append(expected)
    assert ratios == sorted(ratios)
    assert ratios[-1] == pytest.approx(1.0 + r)
    flat = OKRModel(scenario(judgment__recency=0.0, **exact), 5)
    for _ in range(WEEKS_PER_QUARTER):
        flat.step()
    np.testing.assert_allclose(flat.tally.seen_contribution, flat.tally.contribution)


def test_reported_results_weigh_more_when_they_track_contribution():
    s = scenario(**WIDE, judgment__use_okr_context=True, judgment__accuracy=0.2)
    model = at_review(s)
    wf = model.workforce
    wf.reported[:] = wf.progress  # reports track what was done
    honest = judged_under(model, s)
    inflation = np.exp(np.random.default_rng(8).normal(0.0, 0.6, wf.reported.shape))
    wf.reported[:] = wf.progress * inflation  # the same work, reported inflated
    inflated = judged_under(model, s)
    k = 1.0 - s.judgment.centrality * (1.0 - 1.0 / s.org.team_size)
    assert honest.reported_weight > honest.seen_weight
    assert inflated.reported_weight < honest.reported_weight
    assert inflated.seen_weight > honest.seen_weight
    without = judged_under(model, s.with_overrides({"judgment.use_okr_context": False}))
    assert without.reported_weight == 0.0
    # the second signal lets the manager trust its combined view more
    assert honest.seen_weight + honest.reported_weight > without.seen_weight
    assert honest.seen_weight + honest.reported_weight <= k + 1e-12


def test_coaching_falls_with_team_size_and_with_the_judged_share():
    def coaching(**overrides: object) -> float:
        return float(InForce.read(scenario(**overrides), peer_attainment=(1.0, 0.15)).coaching())

    assert coaching(org__team_size=12) < coaching(org__team_size=4)
    assert coaching(comp__coupling=1.0) > coaching(comp__coupling=0.0)
    s = scenario()
    assert coaching(comp__coupling=1.0) == pytest.approx(s.judgment.coach_help)
    assert coaching(comp__coupling=0.0) == pytest.approx(
        s.judgment.coach_help * (1 - s.judgment.review_hours * s.org.team_size)
    )


def test_who_raises_a_blocker_expects_the_coaching_of_the_coupling_it_believes():
    """The same agents under the same true policy, only their belief moved: the
    believed judged share sets the coaching they expect; the true rate clears."""
    s = scenario(comp__coupling=0.0)
    model = mid_quarter(s)
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    wf = copy.deepcopy(model.workforce)
    wf.coupling_belief[:] = 0.0
    as_stated = believed_clearing(wf, policy)
    np.testing.assert_allclose(as_stated, s.env.raised_resolve_rate + policy.coaching())
    wf.coupling_belief[:] = 1.0  # believed: no manager time goes to judging
    assert np.all(believed_clearing(wf, policy) > as_stated)
    np.testing.assert_allclose(
        believed_clearing(wf, policy), s.env.raised_resolve_rate + s.judgment.coach_help
    )


def test_the_formula_credits_the_target_stated_against_the_managers_estimate():
    """The same quarter scored with and without a credit for the target: the score
    moves by exactly ``κ·mean_k (T_k − M_k)/M_k`` (T the target, aspirational ones at
    their par, M the manager's estimate), and judgment does not move."""
    s = scenario(**WIDE, comp__coupling=0.8, okr__aspirational_share=0.5)
    model = at_review(s)
    wf = model.workforce
    scored, judged = {}, {}
    for credit in (0.0, 1.5):
        credited = s.with_overrides({"comp.target_credit": credit})
        policy = InForce.read(credited, peer_attainment=model.public.peer_attainment)
        scored[credit] = measured_scores(wf, model.org, policy, model.manager_view)[2]
        judged[credit] = judged_under(model, credited).judged
    target, view = wf.target * wf.par, model.manager_view
    expected = 1.5 * ((target - view) / view).mean(axis=1)
    assert np.ptp(expected) > 0.05
    assert np.any(wf.par != 1.0)  # aspirational key results are graded at their par
    np.testing.assert_allclose(scored[1.5] - scored[0.0], expected, atol=1e-12)
    np.testing.assert_array_equal(judged[1.5], judged[0.0])


# -- 2. people come and go -------------------------------------------------------------
def test_quitting_rises_with_stress_and_with_pay_below_perceived_worth():
    s = scenario()
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER)
    wf, policy = model.workforce, model.policy
    ratings = np.ones(wf.n)
    wf.stress[:] = 0.1
    calm = quit_probability(wf, model.org, policy, ratings)
    wf.stress[:] = 0.8
    stressed = quit_probability(wf, model.org, policy, ratings)
    assert np.all(stressed > calm)
    wf.stress[:] = 0.1
    underpaid = ratings.copy()
    underpaid[0] = 0.6  # rated below the rest, the same perceived worth
    p = quit_probability(wf, model.org, policy, underpaid)
    assert p[0] > calm[0]
    wf.capability_belief[1] *= 1.5  # thinks itself worth more, paid the same
    assert quit_probability(wf, model.org, policy, ratings)[1] > calm[1]


@pytest.mark.parametrize("shift", [0.0, -1.0, -1.3, -5.0])
def test_the_better_paid_are_the_less_likely_to_leave_whatever_the_mean_rating(shift):
    """Pay is read against the mean rating; where that mean is near zero or negative
    (an organisation whose work is worth nothing) the reading must not invert."""
    s = scenario()
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER)
    wf, policy = model.workforce, model.policy
    wf.stress[:] = 0.2
    wf.capability_belief[:] = 1.0  # the same perceived worth: only pay differs
    ratings = np.linspace(0.6, 1.8, wf.n) + shift  # the same spread, moved down
    p = quit_probability(wf, model.org, policy, ratings)
    assert np.all(np.diff(p) < 0), f"mean rating {ratings.mean():.2f}: quits not falling with pay"


def test_values_are_shares_of_the_mean_while_it_stands_out_of_their_spread_else_z_scores():
    values = np.array([0.5, 1.0, 2.5])
    np.testing.assert_array_equal(relative_to_mean(values, 1.25, 0.8), values / 1.25)
    losses = values - 1.2
    mean, spread = float(losses.mean()), float(losses.std())
    below = relative_to_mean(losses, mean, spread)
    np.testing.assert_allclose(below, 1.0 + (losses - mean) / spread)
    assert below.mean() == pytest.approx(1.0)
    assert below.std() == pytest.approx(1.0)
    assert np.all(np.diff(below) > 0)
    # the two readings meet where the mean equals the spread
    np.testing.assert_allclose(
        relative_to_mean(values, 0.8 - 1e-12, 0.8), relative_to_mean(values, 0.8, 0.8)
    )


def test_a_hire_brings_the_newcomers_traits_and_priors_and_keeps_the_seats_work():
    s = scenario()
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 5)
    wf = model.workforce
    newcomers = Workforce.from_market(np.random.default_rng(9), s)
    left = np.zeros(wf.n, dtype=bool)
    left[[0, 7]] = True
    # every drawn trait and learned belief is the person's, not the seat's
    personal = [f.name for f in fields(Workforce) if f.init and f.name not in ("n", "k", "team")]
    before = {name: getattr(wf, name).copy() for name in personal}
    seat = {name: getattr(wf, name).copy() for name in ("backlog", "progress", "target")}
    hire(wf, model.policy, left, newcomers)
    for name in personal:
        np.testing.assert_array_equal(getattr(wf, name)[left], getattr(newcomers, name)[left])
        np.testing.assert_array_equal(getattr(wf, name)[~left], before[name][~left])
    assert np.all(wf.ratchet_belief[left] == 0.0)
    assert np.all(wf.kr_plan[left] == s.assumptions.kr_plan_prior)
    assert np.all(wf.audit_belief[left] == s.behaviour.audit_prior)  # the market's, until told
    for name, kept in seat.items():
        np.testing.assert_array_equal(getattr(wf, name), kept)
    np.testing.assert_array_equal(wf.tenure_weeks[left], -float(s.env.vacancy_weeks))


def test_a_vacant_seat_produces_nothing_and_a_newcomer_ramps_up():
    np.testing.assert_allclose(
        seat_factor(np.array([-3.0, 0.0, 6.5, 13.0, 40.0]), 13, 0.5), [0, 0.5, 0.75, 1, 1]
    )
    model = mid_quarter(scenario())
    wf, tally = model.workforce, model.tally
    wf.tenure_weeks[0] = -3.0
    own, helped, hours = tally.kr_own.copy(), tally.help_given.copy(), tally.hours.copy()
    model.step()
    assert tally.hours[0] == hours[0]
    assert tally.kr_own[0] == own[0]
    assert tally.help_given[0] == helped[0]
    assert wf.bau_done[0] == 0.0
    assert np.all(tally.hours[1:] > hours[1:])
    assert tally.kr_own[1:].sum() > own[1:].sum()


def test_a_vacant_seat_receives_no_help():
    """Same team and state, a seat filled and then vacant: the vacant seat's key
    results gain nothing from its teammates' help (the team's help is divided
    among the seats still filled), and other teams are untouched."""
    base = mid_quarter(scenario(), weeks=5)
    team = base.org.team == base.org.team[0]
    boosts = {}
    for vacant in (False, True):
        model = copy.deepcopy(base)
        wf = model.workforce
        if vacant:
            wf.tenure_weeks[0] = -3.0
        before = wf.produced.copy()
        model.begin_week()
        work_a_week(model, model.draws)
        boosts[vacant] = (wf.produced - before).sum(axis=1)
    assert boosts[True][0] == 0.0
    assert boosts[False][0] > 0.0
    np.testing.assert_array_equal(boosts[True][~team], boosts[False][~team])


@pytest.mark.parametrize("vacant", [-3.0, 0.0])
def test_a_vacant_seat_feels_no_strain_whatever_intensity_its_newcomer_to_be_chose(vacant):
    """Same seat and state, occupied and vacant: the hours chosen strain only
    the one who works them; pay uncertainty and overhead stay.  Stress comes
    after the week's work has counted the week, so a seat vacant this week
    shows at most 0 (it was −1 when the week began)."""
    s = scenario()
    model = mid_quarter(s)
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    outlook = attainment_outlook(model.workforce, policy, model.week_in_quarter)
    stress = {}
    for tenure in (10.0, vacant):
        wf = copy.deepcopy(model.workforce)
        wf.intensity[0], wf.stress[0], wf.tenure_weeks[0] = 1.15, 0.0, tenure
        update_stress(
            wf, model.org, policy, outlook, model.public, week_in_quarter=model.week_in_quarter
        )
        stress[tenure] = wf.stress[0]
    memory = s.assumptions.stress_memory
    strain = 0.15 / (s.behaviour.max_intensity - 1.0)
    assert stress[10.0] - stress[vacant] == pytest.approx((1.0 - memory) * strain)
    assert stress[vacant] > 0.0  # overhead and pay uncertainty remain


def test_a_seat_vacant_when_the_week_began_feels_no_strain_at_its_end():
    """Through a whole step: the seat's tenure is −1 at the week's start."""
    s = scenario()
    model = mid_quarter(s)
    twins = [copy.deepcopy(model) for _ in range(2)]
    for twin, tenure in zip(twins, (-1.0, -2.0), strict=True):
        twin.workforce.tenure_weeks[0] = tenure
        twin.workforce.stress[0] = 0.0
    for twin in twins:
        twin.step()
    # vacant for the whole week either way: the same stress, with no strain in it
    assert twins[0].workforce.stress[0] == twins[1].workforce.stress[0]
    assert twins[0].workforce.tenure_weeks[0] == 0.0


def test_the_public_value_scale_is_the_contribution_judgment_saw_not_the_truth():
    """The same quarter's end three times: the true contribution moved, or what
    judgment could see of it; only the second moves V̄."""
    model = mid_quarter(scenario(), weeks=WEEKS_PER_QUARTER - 1)
    ends = {}
    for moved in ("nothing", "contribution", "seen_contribution"):
        twin = copy.deepcopy(model)
        if moved != "nothing":
            getattr(twin.tally, moved)[:] *= 5.0
        twin.step()
        ends[moved] = np.asarray(twin.public.value_scale)
    np.testing.assert_array_equal(ends["contribution"], ends["nothing"])
    assert np.all(ends["seen_contribution"] > ends["nothing"])


def test_a_newcomers_forecast_counts_the_weeks_it_will_not_be_productive():
    s = scenario()
    model = mid_quarter(s)
    wf, policy = model.workforce, model.policy
    tenure = np.array([-6.0, 0.0, 52.0])
    seats = availability(
        tenure, s.env.ramp_weeks, s.assumptions.ramp_start, weeks=WEEKS_PER_QUARTER
    )
    assert seats[0] < seats[1] < seats[2] == 1.0
    wf.availability[:] = 1.0
    veteran = weekly_forecast(wf, policy)
    wf.availability[0] = seats[0]
    newcomer = weekly_forecast(wf, policy)
    assert newcomer[0, 0] < veteran[0, 0]
    np.testing.assert_array_equal(newcomer[1:], veteran[1:])


# -- 4. imposed effects became mechanisms ---------------------------------------------
def test_stress_costs_output_through_errors():
    s = scenario()
    model = mid_quarter(s)
    draws = model.draw_week()
    own = []
    for stress in (0.0, 1.0):
        wf, tally = copy.deepcopy(model.workforce), copy.deepcopy(model.tally)
        wf.stress[:] = stress
        work(
            wf,
            model.org,
            model.policy,
            draws,
            tally,
            alignment=model.alignment[model.org.team],
            quarter=model.quarter,
            week=model.week,
            week_in_quarter=model.week_in_quarter,
        )
        own.append(tally.kr_own - model.tally.kr_own)
    # (atol: someone who did next to no key-result work this week differs by rounding)
    np.testing.assert_allclose(own[1], (1.0 - s.env.stress_error) * own[0], atol=1e-12)


def test_an_annual_settlement_halves_the_stress_of_pay_uncertainty():
    """A rating settled on four quarters' mean carries 1/√4 of a quarter's spread."""
    quarterly = scenario(comp__coupling=0.5)
    annual = quarterly.with_overrides({"comp.review_cadence": "annual"})
    model = mid_quarter(quarterly)
    model.public.judged_sd = 0.3
    wf = model.workforce
    wf.intensity[:] = 1.0  # no strain: only pay uncertainty and overhead
    added = []
    for s in (quarterly, annual):
        policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
        wf.stress[:] = 0.0
        update_stress(wf, model.org, policy, model.outlook, model.public, week_in_quarter=5)
        added.append(wf.stress / (1.0 - s.assumptions.stress_memory) - policy.overhead)
    assert np.all(added[0] > 0.0)
    np.testing.assert_allclose(added[1], 0.5 * added[0])


def test_focus_is_the_same_with_or_without_okrs():
    with_okrs = scenario(okr__krs_per_person=3)
    without = with_okrs.with_overrides({"okr.enabled": False})
    a = InForce.read(with_okrs, peer_attainment=(1.0, 0.15))
    b = InForce.read(without, peer_attainment=(1.0, 0.15))
    assert a.focus == b.focus < 1.0


@settings(max_examples=40, deadline=None)
@given(
    risk_aversion=st.floats(0.0, 8.0),
    honesty=st.floats(0.0, 5.0),
    rel_sd=st.floats(0.02, 0.6),
    coupling=st.floats(0.0, 1.0),
)
def test_an_annual_settlement_is_a_quarter_of_the_risk_aversion(
    risk_aversion: float, honesty: float, rel_sd: float, coupling: float
) -> None:
    quarterly = scenario(comp__coupling=coupling)
    annual = quarterly.with_overrides({"comp.review_cadence": "annual"})
    pq, pa = choices.payoff_for(quarterly), choices.payoff_for(annual)
    assert pa.settlement_quarters == 4
    tau_a, u_a = choices.choose_target(
        rel_sd, payoff=pa, extrinsic=1.5, risk_aversion=risk_aversion, honesty_cost=honesty
    )
    tau_q, u_q = choices.choose_target(
        rel_sd, payoff=pq, extrinsic=1.5, risk_aversion=risk_aversion / 4, honesty_cost=honesty
    )
    np.testing.assert_allclose(u_a, u_q, rtol=1e-12, atol=1e-12)
    assert tau_a == tau_q


def test_only_payoff_for_reads_the_review_cadence():
    """Annual reviews act through ``Payoff.settlement_quarters``, not a branch on the cadence."""
    readers = []
    for path in sorted([*PACKAGE.glob("model/*.py"), *PACKAGE.glob("policies/*.py")]):
        function = "<module>"
        for number, line in enumerate(path.read_text().splitlines(), 1):
            header = re.match(r"\s*def (\w+)", line)
            if header:
                function = header.group(1)
            if "review_cadence" in line:
                readers.append((path.relative_to(PACKAGE).as_posix(), function, number))
    assert [(p, f) for p, f, _ in readers] == [("policies/choices.py", "payoff_for")], readers


@pytest.mark.parametrize(
    ("rule", "pull"),
    [("self_set", 0.0), ("negotiated", 0.4), ("assigned", 1.0), ("ratchet", 0.6)],
)
def test_every_target_rule_is_the_same_formula_with_its_own_numbers(rule, pull):
    s = scenario(
        okr__target_rule=rule,
        okr__negotiation_pressure=0.4,
        okr__ratchet_strength=0.6,
        okr__assigned_stretch=1.3,
        comp__coupling=0.5,
    )
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 2)
    wf = model.workforce
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    p = policy.payoff
    assert (p.manager_pull, p.ratchet_pull) == ((0.0, pull) if rule == "ratchet" else (pull, 0.0))
    last = wf.reported * np.exp(np.random.default_rng(4).normal(0.0, 0.3, wf.reported.shape))
    set_targets(wf, policy, manager_view=model.manager_view, last_reported=last)
    own, ask = wf.offer, s.okr.assigned_stretch * model.manager_view
    expected = own + p.manager_pull * (ask - own) + p.ratchet_pull * (last - own)
    np.testing.assert_allclose(wf.target * wf.par, expected, rtol=1e-12)
    if rule == "ratchet":
        pull_seen, seen = ratchet_seen(wf, model.org, last)
        assert seen.all()
        np.testing.assert_allclose(pull_seen, pull, rtol=1e-9)


@pytest.mark.parametrize("rule", ["self_set", "negotiated", "assigned"])
def test_no_ratchet_is_seen_where_targets_do_not_follow_reports(rule):
    """Under these rules next quarter's target does not depend on what was reported."""
    s = scenario(okr__target_rule=rule, comp__coupling=0.5)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 2)
    wf = model.workforce
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    assert policy.payoff.ratchet_pull == 0.0
    habit = wf.last_tau.copy()  # both from the same last offer
    set_targets(wf, policy, manager_view=model.manager_view, last_reported=model.last_reported)
    targets = wf.target.copy()
    wf.last_tau[:] = habit
    set_targets(wf, policy, manager_view=model.manager_view, last_reported=2 * model.last_reported)
    np.testing.assert_allclose(wf.target, targets)  # reports do not move targets ...
    pull_seen, _ = ratchet_seen(wf, model.org, model.last_reported)
    np.testing.assert_allclose(pull_seen, 0.0, atol=0.05)  # ... so no ratchet is learned


def in_force(s: Scenario) -> InForce:
    return InForce.read(s, peer_attainment=(1.0, 0.15))


@pytest.mark.parametrize("evaluation", ["absolute", "team"])
def test_a_believed_ratchet_costs_as_much_of_the_score_as_ones_own_result_moves(evaluation):
    """The same agents, only their ratchet belief moved: a unit reported now
    gives back next quarter's score as far as one's own result moves it — all
    of it under one's own score, 1/N of it under the team's mean — in effort
    as in the report choice."""
    s = scenario(comp__evaluation=evaluation, comp__coupling=0.8)
    model = mid_quarter(s)
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    own_share = 1.0 if evaluation == "absolute" else 1.0 / s.org.team_size
    wf = copy.deepcopy(model.workforce)
    wf.coupling_belief[:] = 0.8
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    values, stakes = [], []
    for belief in (0.0, 0.5):
        wf.ratchet_belief[:] = belief
        values.append(value_per_output(wf, model.org, policy, outlook, model.public))
        stakes.append(reporting(wf, policy, outlook, model.public, model.draws, week_in_quarter=3))
    claw = ratchet_claw_back(wf, policy)  # at the belief 0.5
    x, krs = s.behaviour.extrinsic_weight, s.okr.krs_per_person
    per_unit = 1.0 / (krs * wf.target * wf.par)
    np.testing.assert_allclose(values[0] - values[1], x * 0.8 * own_share * claw * per_unit)
    question = stakes[1].question
    assert question is not None
    np.testing.assert_allclose(
        question.stakes.ratchet_per_attainment, 0.8 * own_share * claw / krs, rtol=1e-12
    )


def test_full_visibility_removes_a_teams_priority_error_and_none_keeps_it():
    error, shock = np.array([0.5, -1.2, 0.0]), np.zeros(3)
    seeing = scenario(env__strategy_visibility=1.0)
    blind = scenario(env__strategy_visibility=0.0, env__okr_visibility=0.0)
    np.testing.assert_array_equal(drift(error, in_force(seeing), shock), 0.0)
    np.testing.assert_array_equal(drift(error, in_force(blind), shock), error)


def test_priorities_spread_further_without_okr_visibility():
    with_okrs = scenario()
    without = with_okrs.with_overrides({"okr.enabled": False})
    rng = np.random.default_rng(12)
    shocks = rng.standard_normal((200, 4000))
    spreads = []
    for s in (with_okrs, without):
        error = np.zeros(4000)
        policy = in_force(s)
        for shock in shocks:
            error = drift(error, policy, shock)
        spreads.append(error.std())
        v = s.env.strategy_visibility + s.env.okr_visibility * s.okr.enabled
        stationary = s.env.priority_drift / np.sqrt(1.0 - (1.0 - v) ** 2)
        assert error.std() == pytest.approx(stationary, rel=0.05)
    assert spreads[1] > 1.5 * spreads[0]


# -- newcomers and bad quarters (judgment on the weeks in the seat) --------------------
def test_a_newcomer_is_judged_on_its_own_weeks_not_on_the_vacancy():
    """The same quarter's work seen over half the weeks rates the same per week."""
    s = scenario(judgment__accuracy=1.0)
    model = mid_quarter(s, weeks=2 * WEEKS_PER_QUARTER - 1)
    model.step()  # the quarter's last week: its tallies are complete
    full = judged_under(model, s).judged
    half = copy.deepcopy(model)
    half.tally.seen_contribution[0] *= 0.5  # the same pace of work, over half the weeks
    half.tally.weeks_present[0] *= 0.5
    np.testing.assert_allclose(judged_under(half, s).judged[0], full[0])


def test_nobody_quits_before_a_full_quarter_in_the_seat():
    s = scenario(behaviour__quit_base_rate=0.5)
    model = mid_quarter(s)
    wf = model.workforce
    wf.tenure_weeks[:4] = [-3.0, 0.0, 5.0, WEEKS_PER_QUARTER - 1.0]
    left = decide_quits(wf, model.org, model.policy, np.ones(wf.n), quit_u=np.zeros(wf.n))
    assert not left[:4].any()
    np.testing.assert_array_equal(left, wf.tenure_weeks >= WEEKS_PER_QUARTER)


def test_a_quarter_of_losses_cannot_invert_judgment():
    """A shock that wipes out the quarter's value leaves judged ratings on a sane scale."""
    s = scenario(env__shock_quarter=2, env__shock_size=1.0)
    model = mid_quarter(s, weeks=2 * WEEKS_PER_QUARTER)
    judged = model.held.employees[-1]["judged"]
    assert np.isfinite(judged).all()
    assert np.abs(judged).max() < 10.0
