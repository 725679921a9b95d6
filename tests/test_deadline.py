"""The quarter's deadline: effort planned over the weeks left, present bias, booking.

Decision level, in the style of tests/test_mechanisms.py: the same agents in
the same state face one changed input and the submodel's own function is
called again.  Cramming and booking across the quarter's end must follow from
the payoff's shape, and not appear where the payoff is linear.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_levers import mid_quarter
from test_levers import scenario as levers_scenario

from okrsim.model import OKRModel
from okrsim.model.booking import LAST_WEEK, book, open_quarter, stakes
from okrsim.model.effort_allocation import allocate_effort, plan_quarter, value_per_output
from okrsim.model.in_force import InForce
from okrsim.model.outlook import attainment_outlook
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices


def scenario(**overrides: object) -> Scenario:
    """A small scenario whose weekly choices are best responses.

    Habits (tests/test_habits.py) would move this week's hours only part of
    the way to the plan; here the plan itself is under test.
    """
    return levers_scenario(**{"behaviour__habit_weeks": 0.0, **overrides})


#: A payoff linear in output: the score far from its cap, and no goal to pull.
#: (Targets are held near one's expected output by a high scrutiny of stated
#: targets: a believed linear score rewards the lowest target, whose attainment
#: would reach the cap.)
LINEAR = {"comp__cap": 3.0, "behaviour__goal_pull": 0.0, "behaviour__target_scrutiny": 50.0}


def replan(model: OKRModel, s: Scenario) -> None:
    """This week's plan and choice of the same agents under scenario ``s``."""
    wf, org = model.workforce, model.org
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    outlook = plan_quarter(wf, policy, model.week_in_quarter)
    per_output = value_per_output(wf, org, policy, outlook, model.public)
    allocate_effort(wf, org, policy, outlook, per_output, model.public)


# -- the plan: β–δ over the weeks left --------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.01, 5.0),
    cost=st.floats(0.05, 5.0),
    beta=st.floats(0.3, 1.0),
    elasticity=st.floats(0.0, 3.0),
    ceiling=st.floats(1.0, 2.0),
)
def test_this_week_is_never_above_the_plan_and_equal_to_it_without_present_bias(
    lam: float, cost: float, beta: float, elasticity: float, ceiling: float
) -> None:
    def plan(b: float) -> tuple[float, float]:
        now, later = choices.plan_intensity(
            lam, cost, present_bias=b, elasticity=elasticity, ceiling=ceiling
        )
        return float(now), float(later)

    now, later = plan(beta)
    assert now <= later + 1e-12
    assert later == float(choices.intensity(lam, cost, elasticity=elasticity, ceiling=ceiling))
    flat_now, flat_later = plan(1.0)
    assert flat_now == flat_later == later


def test_inside_the_bounds_this_week_is_beta_to_the_elasticity_of_the_plan():
    now, later = choices.plan_intensity(
        0.3, 0.3, present_bias=np.array([1.0, 0.9, 0.7]), elasticity=0.5, ceiling=2.0
    )
    np.testing.assert_allclose(now / later, np.sqrt([1.0, 0.9, 0.7]))


def test_without_present_bias_the_plan_is_flat_and_followed():
    s = scenario(**LINEAR)
    model = mid_quarter(s)
    wf = model.workforce
    wf.present_bias[:] = 1.0
    replan(model, s)
    np.testing.assert_array_equal(wf.intensity, wf.planned_intensity)


def test_with_present_bias_this_weeks_hours_fall_below_those_planned_for_later():
    s = scenario(**LINEAR, behaviour__max_intensity=2.0)
    model = mid_quarter(s)
    wf = model.workforce
    wf.present_bias[:] = 0.8
    replan(model, s)
    free = (wf.planned_intensity > 0.5 / np.sqrt(0.8) + 1e-9) & (wf.planned_intensity < 1.9)
    assert free.sum() > wf.n // 2
    np.testing.assert_allclose(
        wf.intensity[free] / wf.planned_intensity[free], np.sqrt(0.8), rtol=1e-12
    )


def test_nobody_is_present_biased_at_a_zero_share_and_the_plan_is_followed_all_quarter():
    s = scenario(behaviour__present_biased_share=0.0)
    model = OKRModel(s, 4)
    assert np.all(model.workforce.present_bias == 1.0)
    for _ in range(WEEKS_PER_QUARTER + 3):
        model.step()
        np.testing.assert_array_equal(model.workforce.intensity, model.workforce.planned_intensity)


def test_present_bias_is_drawn_last_for_the_share_of_people_and_shifts_no_other_trait():
    s = Scenario().with_overrides({"org.n_teams": 50, "org.team_size": 20})
    none = s.with_overrides({"behaviour.present_biased_share": 0.0})
    a = Workforce.from_market(np.random.default_rng(5), s)
    b = Workforce.from_market(np.random.default_rng(5), none)
    for name in ("capability", "risk_aversion", "honesty_trait", "intrinsic", "effort_cost"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    biased = a.present_bias < 1.0
    assert biased.mean() == pytest.approx(s.behaviour.present_biased_share, abs=0.04)
    assert a.present_bias[biased].mean() == pytest.approx(s.behaviour.present_bias_beta, abs=0.01)
    assert np.all(b.present_bias == 1.0)


def test_the_outlook_counts_the_hours_planned():
    model = mid_quarter(scenario())
    wf, policy, wiq = model.workforce, model.policy, model.week_in_quarter
    wf.help_belief[:] = 0.0  # help received comes whatever one's own hours
    normal, _ = attainment_outlook(wf, policy, wiq, intensity=np.ones(wf.n))
    longer, _ = attainment_outlook(wf, policy, wiq, intensity=np.full(wf.n, 1.2))
    done = wf.progress * wf.perception[:, None] / (wf.target * wf.par)
    # the part still to come scales with the hours planned for it
    np.testing.assert_allclose(longer - done, 1.2 * (normal - done))
    assert np.all(longer > normal)


def falling_behind(s: Scenario, behind: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """This week's intensity of the same agents late in a quarter, on pace and behind it."""
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER + 9)
    model.workforce.present_bias[:] = 1.0
    replan(model, s)
    on_pace = model.workforce.intensity.copy()
    model.workforce.progress[:] *= 1.0 - behind
    replan(model, s)
    return on_pace, model.workforce.intensity.copy()


def test_falling_behind_before_the_deadline_raises_effort_only_where_the_payoff_bends():
    on_pace, behind = falling_behind(scenario(behaviour__goal_pull=2.0))
    assert behind.mean() > on_pace.mean()
    on_pace, behind = falling_behind(scenario(**LINEAR))
    np.testing.assert_allclose(behind, on_pace, atol=1e-6)


def ramp(s: Scenario, beta: float, seed: int) -> float:
    """Mean intensity of a quarter's last three weeks less its first four, everyone at ``beta``."""
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER, seed=seed)
    model.workforce.present_bias[:] = beta
    weeks = []
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
        weeks.append(model.workforce.intensity.mean())
    return float(np.mean(weeks[-3:]) - np.mean(weeks[:4]))


@pytest.mark.parametrize(
    ("overrides", "piles_up"),
    [({}, True), (LINEAR, False)],
    ids=["goal-and-cap", "linear"],
)
def test_present_bias_piles_work_up_before_the_deadline_where_the_payoff_bends(
    overrides: dict[str, object], piles_up: bool
) -> None:
    """(Under an all-or-nothing step it goes either way: some push, some give up.)"""
    s = scenario(**overrides)
    extra = np.array([ramp(s, 0.8, seed) - ramp(s, 1.0, seed) for seed in range(1, 7)])
    if piles_up:
        assert np.all(extra > 0)
    else:
        assert abs(extra.mean()) < 2.0 * extra.std(ddof=1) / np.sqrt(extra.size)
        assert abs(extra.mean()) < 0.01


# -- booking across the quarter's end --------------------------------------------------
def at_last_week(s: Scenario, seed: int = 2) -> OKRModel:
    """A model whose next step is its first quarter's last week."""
    model = OKRModel(s, seed)
    for _ in range(LAST_WEEK):
        model.step()
    assert model.week_in_quarter == LAST_WEEK
    return model


def moves(model: OKRModel, s: Scenario, mu: float, mu_next: float = 1.0) -> np.ndarray:
    """What the same agents book across the quarter's end at attainment ``mu`` under ``s``."""
    wf = model.workforce
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    shape = wf.progress.shape
    return choices.choose_booking(
        np.full(shape, 0.1),
        (np.full(shape, mu), np.full(shape, 0.02)),
        (np.full(shape, mu_next), np.full(shape, 0.15)),
        curve=policy.payoff.curve,
        stakes=stakes(wf, policy, model.public),
    )


def test_above_the_cap_output_is_held_back_for_next_quarter():
    s = scenario(comp__coupling=0.5)
    model = at_last_week(s)
    assert np.all(moves(model, s, mu=1.35) > 0)
    assert np.all(moves(model, s, mu=1.0) == 0)  # linear here: a move only loses


def test_just_below_a_step_next_quarters_output_is_pulled_in():
    s = scenario(comp__coupling=0.5, comp__bonus_curve="step")
    model = at_last_week(s)
    assert np.all(moves(model, s, mu=0.97) < 0)
    # out of reach this quarter, output is worth more towards next quarter's step
    assert np.all(moves(model, s, mu=0.6) > 0)
    # well past it, the surplus earns nothing now and is held back
    assert np.all(moves(model, s, mu=1.3) > 0)


def test_a_cheaper_move_is_made_where_a_dearer_one_is_not():
    s = scenario(comp__coupling=0.5)
    dear = s.with_overrides({"env.booking_loss": 0.9})
    model = at_last_week(s)
    assert np.all(moves(model, s, mu=1.3) > 0)
    assert np.all(moves(model, dear, mu=1.3) == 0)


def test_the_review_cadence_does_not_enter_the_booking_choice():
    """Annual settlement rates the year's mean score: each quarter's score counts alike."""
    s = scenario(comp__coupling=0.5)
    annual = s.with_overrides({"comp.review_cadence": "annual"})
    model = at_last_week(s)
    for mu in (0.8, 1.0, 1.35):
        np.testing.assert_array_equal(moves(model, s, mu), moves(model, annual, mu))
    # within the cap the score is linear: under either cadence nothing is moved
    assert np.all(moves(model, annual, mu=1.0) == 0)


def test_under_decoupled_pay_only_what_judgment_reads_moves_output():
    unread = scenario(comp__coupling=0.0, judgment__ambition_weight=0.0)
    model = at_last_week(unread)
    # people who believe the decoupling (beliefs are learned: tests/test_beliefs.py)
    model.workforce.coupling_belief[:] = 0.0
    # no score at stake and nothing kinked in what judgment reads: a move only loses
    for mu in (0.6, 0.97, 1.35):
        assert np.all(moves(model, unread, mu) == 0)
    # a judgment that marks every shortfall below target: just below it output
    # is pulled in, and a surplus is held back against next quarter's shortfall
    marked = unread.with_overrides(
        {"judgment.ambition_weight": 1.0, "judgment.failure_tolerance": 0.0}
    )
    assert np.all(moves(model, marked, mu=0.97) < 0)
    assert np.all(moves(model, marked, mu=1.35) > 0)


def test_booking_moves_the_measure_not_the_truth_and_the_carry_starts_next_quarter():
    s = scenario(comp__coupling=0.5, comp__bonus_curve="step")
    model = at_last_week(s)
    model.step()  # the last week, booked
    assert model.week_in_quarter == 0
    assert model.tally.booked_elsewhere.sum() > 0
    again = at_last_week(s)
    wf, tally = again.workforce, again.tally
    before = wf.progress.copy(), tally.kr_output.copy(), tally.value.copy()
    book(wf, again.policy, again.public, tally, alignment=again.alignment[again.org.team])
    moved = before[0] - wf.progress
    loss = s.env.booking_loss
    np.testing.assert_allclose(wf.carry, moved - loss * np.abs(moved))
    np.testing.assert_allclose(tally.booked_elsewhere, np.abs(moved).sum(axis=1))
    np.testing.assert_array_equal(tally.kr_output, before[1])  # the truth is as produced
    lost = again.alignment[again.org.team] * loss * np.abs(moved).sum(axis=1)
    np.testing.assert_allclose(tally.value, before[2] - lost)
    carry = wf.carry.copy()
    open_quarter(wf)
    np.testing.assert_array_equal(wf.progress, carry)
    assert np.all(wf.carry == 0.0)


def test_a_newcomer_inherits_the_seats_carry():
    s = scenario()
    model = at_last_week(s)
    wf = model.workforce
    wf.carry[:] = 0.3
    seats = np.zeros(wf.n, dtype=bool)
    seats[:3] = True
    wf.hire(seats, Workforce.from_market(np.random.default_rng(1), s))
    assert np.all(wf.carry == 0.3)
    assert np.all(wf.planned_intensity[seats] == 1.0)


def test_the_quarterly_output_reports_late_and_booked_elsewhere_shares():
    model = OKRModel(scenario(comp__coupling=0.5, comp__bonus_curve="step"), 3)
    for _ in range(2 * WEEKS_PER_QUARTER):
        model.step()
    q, e = model.quarterly_frame(), model.employee_frame()
    assert q["late_share"].between(0.0, 1.0).all()
    assert q["booked_elsewhere"].between(0.0, 1.0).all()
    first = e[e["quarter"] == 1]
    assert q["late_share"].iloc[0] == pytest.approx(
        first["late_kr_output"].sum() / first["kr_output"].sum()
    )
    assert q["booked_elsewhere"].iloc[0] == pytest.approx(
        first["booked_elsewhere_output"].sum() / first["kr_output"].sum()
    )
    assert q["booked_elsewhere"].iloc[0] > 0
