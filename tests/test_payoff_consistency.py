"""Decisions weigh what the payoffs really are, no more and no less.

Decision-level checks, each with one lever moved for the same agents in the
same state: a report that an audit catches is corrected to the books, so
what it bought is lost (not only a penalty paid); the catch chance counts the
audit of the report being made; moving output across the quarter's end costs
no judged credit, because the manager saw the output when it was made; the
risk of a target's score is priced on the formula's share of the rating,
squared, as CARA utility prices it; and help and exploration are goal-directed
value, worth the strategy's alignment a unit, as key-result work is.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_levers import mid_quarter, scenario

from okrsim import portable
from okrsim.model import booking
from okrsim.model.check_in import audit_outlook, reporting
from okrsim.model.effort_allocation import value_per_output, week_options
from okrsim.model.in_force import InForce
from okrsim.model.outlook import attainment_outlook
from okrsim.model.quarter_review import okr_measure
from okrsim.model.work import update_stress
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies import choices


# -- a caught report ------------------------------------------------------------------
def shading_at(catch: float) -> tuple[np.ndarray, np.ndarray]:
    """The best shading and its gain just short of a step bonus, with no penalty for
    being caught: only the loss of what the report buys can deter."""
    payoff = dataclasses.replace(
        choices.payoff_for(scenario(comp__bonus_curve="step", comp__coupling=0.8)),
        inflation_penalty=0.0,
    )
    stakes = choices.ReportStakes(
        formula_share=0.2,
        judged_per_attainment=0.0,
        audit_rate=np.array([catch]),
        ratchet_per_attainment=0.0,
        extrinsic=1.0,
        honesty_cost=np.array([0.5]),
    )
    return choices.choose_shading(np.array([0.9]), np.array([0.08]), payoff=payoff, stakes=stakes)


def test_a_report_sure_to_be_caught_buys_nothing_and_a_likelier_catch_deters_more():
    shading = {c: shading_at(c) for c in (0.0, 0.5, 1.0)}
    assert shading[0.0][0][0] > shading[0.5][0][0] > shading[1.0][0][0] == 0.0
    assert shading[0.0][1][0] > shading[0.5][1][0] > shading[1.0][1][0] == 0.0


def test_the_report_utility_keeps_what_an_overstatement_buys_only_if_it_is_not_caught():
    payoff = choices.payoff_for(scenario(comp__coupling=0.5))
    stakes = dict(
        formula_share=0.125,
        judged_per_attainment=0.05,
        ratchet_per_attainment=0.02,
        extrinsic=1.5,
        honesty_cost=0.8,
        goal_weight=0.1,
        loss_aversion=2.0,
    )
    s = np.array([-0.1, 0.0, 0.15])

    def utility(catch: float) -> np.ndarray:
        k = choices.ReportStakes(audit_rate=catch, **stakes)
        return choices.report_utility(s, 0.85, 0.1, payoff=payoff, stakes=k)

    never, half = utility(0.0), utility(0.5)
    # an understatement is never caught; half the gain of an overstatement is kept,
    # and half of the audit's penalty on it is paid, as far as it reaches the rating
    penalty = payoff.judged * payoff.inflation_penalty * payoff.judged_reach * 0.15 * 1.5
    honesty = 0.8 * 0.15**2
    assert never[0] == half[0]
    assert never[1] == half[1]
    np.testing.assert_allclose(
        half[2] - half[1], 0.5 * (never[2] - never[1] + honesty) - honesty - 0.5 * penalty
    )


def test_the_chance_of_being_caught_counts_this_weeks_audit_and_each_later_one():
    s = scenario(judgment__audit_probability=0.1)
    model = mid_quarter(s, weeks=3)
    wf, policy = model.workforce, model.policy
    believed = wf.audit_belief[:, None]
    for week in (0, 6, WEEKS_PER_QUARTER - 1):
        outlook = attainment_outlook(wf, policy, week)
        asked = reporting(wf, policy, outlook, model.public, model.draws, week_in_quarter=week)
        assert asked.question is not None
        k = asked.question.stakes
        audits = WEEKS_PER_QUARTER - week
        np.testing.assert_array_equal(k.audit_rate, believed)
        assert k.audits_left == audits
        # a report any audit would catch is caught unless every audit left misses it
        catch = choices.audit_checks(k.audit_rate, k.audits_left, 1.0)
        np.testing.assert_allclose(catch, 1.0 - portable.power(1.0 - believed, audits))
    np.testing.assert_allclose(catch, believed, rtol=1e-12)  # the last week: its own audit


@pytest.mark.parametrize("week", [0, 6, 11])
def test_the_audits_one_expects_are_the_worlds_audits_of_a_misjudged_report(week: int) -> None:
    """The chance that an audit catches a report shaded by ``s`` for the rest of the
    quarter, and the overstatement it then counts, as the employee weighs them
    (:func:`check_in.audit_outlook`, :func:`choices.audit_found`,
    :func:`choices.audit_checks`), against the world's rule simulated week by
    week: each week's audit with chance â, this week's misjudgement of progress
    (:func:`check_in.perceived_progress`) on top of a lasting bias, caught iff
    reported − books > τ·T.  Where audits are rare, as at the defaults, the
    two agree closely; where every week is audited the employee's single
    representative week overstates the catch a little (it errs towards
    caution), and the catch rises with the audit rate in both."""
    W, sigma_p, lasting, tolerance = WEEKS_PER_QUARTER, 0.25, 0.06, 0.05
    rng = np.random.default_rng(week)
    n = 60_000
    pace, sd = audit_outlook(np.array([1.0]), sigma_p, lasting, week)
    for rate, close in ((0.02, 0.015), (0.3, 0.1), (1.0, 0.15)):
        for s in (-0.1, 0.0, 0.1, 0.2):
            bias = rng.normal(0.0, lasting, n)
            caught, counted = np.zeros(n, dtype=bool), np.zeros(n)
            for v in range(week, W):
                due = (v + 1) / W
                noise = sigma_p * np.sqrt((W - v) / W) * rng.standard_normal(n)
                over = due * (np.exp(noise + bias) - 1.0) + s * due
                new = (rng.random(n) < rate) & ~caught & (over > tolerance)
                counted[new], caught = over[new], caught | new
            found, excess = choices.audit_found(s, pace, tolerance, sd)
            checks = choices.audit_checks(rate, W - week, found)
            assert float(np.ravel(checks * found)[0]) == pytest.approx(caught.mean(), abs=close)
            expected = float(np.ravel(checks * excess)[0])
            assert expected == pytest.approx(counted.mean(), rel=0.6, abs=0.005)
            if rate == 0.02:
                assert expected == pytest.approx(counted.mean(), rel=0.2, abs=0.001)


# -- what reaches one's rating of one's judged score -------------------------------------
def test_judged_credit_and_penalties_are_weighed_as_far_as_they_reach_ones_rating():
    """The same choices under managers who differ only in their pull to the team's
    mean: ambition's credit (targets, booking) and an audit's penalty (reports)
    are weighed at 1 − κ_c·(1 − 1/N) a unit, what the review pays."""
    s = scenario(comp__coupling=0.0)
    n = s.org.team_size
    tau = np.linspace(0.8, 1.4, 7)
    seen = {}
    for centrality in (0.0, 0.6):
        payoff = dataclasses.replace(choices.payoff_for(s), centrality=centrality)
        target = choices.target_utility(
            tau, 0.2, payoff=payoff, extrinsic=1.0, risk_aversion=0.5, honesty_cost=0.0
        )
        k = choices.ReportStakes(
            formula_share=0.0,
            judged_per_attainment=0.0,
            audit_rate=0.4,
            ratchet_per_attainment=0.0,
            extrinsic=1.0,
            honesty_cost=0.0,
        )
        report = choices.report_utility(np.array([0.2]), 0.9, 0.1, payoff=payoff, stakes=k)
        seen[centrality] = (target, report)
    reach = 1.0 - 0.6 * (1.0 - 1.0 / n)
    for central, free in zip(seen[0.6], seen[0.0], strict=True):
        np.testing.assert_allclose(central, reach * free, rtol=1e-12)
    assert np.all(seen[0.0][1] < 0.0)  # the penalty is all a report weighs here
    model = mid_quarter(scenario(judgment__centrality=0.6), weeks=12)
    wf, policy, public = model.workforce, model.policy, model.public
    central = booking.stakes(wf, policy, public).shortfall_weight
    free = booking.stakes(
        wf,
        dataclasses.replace(policy, payoff=dataclasses.replace(policy.payoff, centrality=0.0)),
        public,
    ).shortfall_weight
    np.testing.assert_allclose(central, reach * free, rtol=1e-12)


# -- booking across the quarter's end ------------------------------------------------------
def test_moving_output_across_the_quarters_end_costs_no_judged_credit_for_value_seen():
    s = scenario(comp__coupling=0.3)
    model = mid_quarter(s, weeks=12)
    wf, policy, public = model.workforce, model.policy, model.public
    seen_more = dataclasses.replace(public, seen_weight=2.0 * public.seen_weight + 0.5)
    reported_more = dataclasses.replace(public, reported_weight=2.0 * public.reported_weight + 0.5)
    base = booking.stakes(wf, policy, public)
    np.testing.assert_array_equal(
        booking.stakes(wf, policy, seen_more).value_credit, base.value_credit
    )
    # what the books report is credited in the quarter that books it
    assert not np.array_equal(
        booking.stakes(wf, policy, reported_more).reported_credit, base.reported_credit
    )


# -- a target's risk ---------------------------------------------------------------------
def test_a_targets_risk_is_priced_on_the_formulas_share_of_the_rating_squared():
    tau = choices.TARGET_GRID

    def premium(coupling: float) -> np.ndarray:
        payoff = choices.payoff_for(scenario(comp__coupling=coupling, comp__bonus_curve="step"))
        common = dict(payoff=payoff, extrinsic=1.0, honesty_cost=0.0)
        safe = choices.target_utility(tau, 0.2, risk_aversion=0.0, **common)
        risky = choices.target_utility(tau, 0.2, risk_aversion=2.0, **common)
        return safe - risky

    np.testing.assert_allclose(premium(0.6), 4.0 * premium(0.3), rtol=1e-12)
    assert np.all(premium(0.3) >= 0.0)
    assert np.any(premium(0.3) > 0.0)


# -- help and exploration at the strategy's alignment -------------------------------------
def weights_at(alignment: float) -> tuple[np.ndarray, np.ndarray]:
    """Key-result work's weight and the four others' for the same agents, at ``alignment``,
    with the rating and the goal's pull out of it: what is left is the value work creates."""
    s = scenario(behaviour__extrinsic_weight=0.0, behaviour__goal_pull=0.0)
    model = mid_quarter(s, weeks=5)
    moved = s.with_overrides({"env.alignment": alignment})
    policy = InForce.read(moved, peer_attainment=model.public.peer_attainment)
    wf = model.workforce
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    per_output = value_per_output(wf, model.org, policy, outlook, model.public)
    w_kr, weights, _ = week_options(wf, model.org, policy, outlook, per_output, model.public)
    return w_kr, weights


def test_help_and_exploration_are_worth_the_alignment_a_unit_as_key_result_work_is():
    w_kr, weights = weights_at(1.0)
    half_kr, half = weights_at(0.5)
    np.testing.assert_allclose(half_kr, 0.5 * w_kr, rtol=1e-12)
    np.testing.assert_allclose(half[:, 1:3], 0.5 * weights[:, 1:3], rtol=1e-12)  # help, explore
    np.testing.assert_array_equal(half[:, 0], weights[:, 0])  # non-OKR work is not aimed
    assert np.all(weights[:, 1:3] > 0.0)


# -- pay uncertainty under team evaluation ----------------------------------------------
def pay_uncertainty(evaluation: str) -> np.ndarray:
    """The score's spread each employee's stress weighs, everyone's outlook the same and
    inside the linear curve's range: rating = score (c = 1), no strain."""
    s = scenario(comp__evaluation=evaluation, comp__coupling=1.0, comp__bonus_curve="linear")
    model = mid_quarter(s, weeks=3)
    wf, org, policy = model.workforce, model.org, model.policy
    wf.coupling_belief[:] = 1.0
    wf.intensity[:] = 1.0
    memory = policy.value("assumptions.stress_memory")
    pressure = []
    for spread in (0.0, 0.15):
        wf.stress[:] = 0.0
        outlook = (np.full((wf.n, org.krs), 0.6), np.full((wf.n, org.krs), spread))
        update_stress(wf, org, policy, outlook, model.public, week_in_quarter=5)
        pressure.append(wf.stress / (1.0 - memory))
    return (pressure[1] - pressure[0]) * 2.0 / (1.0 + wf.risk_aversion)


def test_under_team_evaluation_pay_uncertainty_is_the_team_means_not_a_share_of_ones_own():
    """Scored on the team's mean, a member's score spreads as the mean of N outlooks,
    1/√N of its own: not 1/N of it, as if teammates' results carried no risk."""
    own, team = pay_uncertainty("absolute"), pay_uncertainty("team")
    size = scenario().org.team_size
    assert np.all(own > 0.0)
    np.testing.assert_allclose(team, own / np.sqrt(size), rtol=1e-9)


# -- judgment's credit for a report ---------------------------------------------------------
def test_a_report_is_credited_as_far_as_it_moves_the_managers_okr_measure():
    """Judgment reads one's reported value beside one's team's mean of what it saw
    beyond reports, and one's own report is in that mean: a unit of it moves one's
    measure by α(1 − 1/N), and that is the credit the report choice expects."""
    s = scenario(judgment__use_okr_context=True, comp__coupling=0.3)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 5)  # a review has been seen
    wf, org, policy, public = model.workforce, model.org, model.policy, model.public
    assert np.all(np.asarray(public.reported_weight) > 0.0)
    seen = np.linspace(0.5, 1.5, wf.n)
    base = okr_measure(wf.reported, org, s.env.alignment, seen)
    bumped = wf.reported.copy()
    bumped[0, 0] += 0.01
    slope = (okr_measure(bumped, org, s.env.alignment, seen)[0] - base[0]) / 0.01
    np.testing.assert_allclose(slope, s.env.alignment * (1.0 - 1.0 / org.team_size), rtol=1e-9)
    outlook = attainment_outlook(wf, policy, 5)
    asked = reporting(wf, policy, outlook, public, model.draws, week_in_quarter=5)
    assert asked.question is not None
    p = policy.believed(wf.coupling_belief)
    credit = (
        p.judged
        * p.contribution_weight
        * np.asarray(public.reported_weight)
        * slope
        * (wf.target * wf.par)
        / np.asarray(public.value_scale)
    )
    np.testing.assert_allclose(asked.question.stakes.judged_per_attainment, credit, rtol=1e-9)
