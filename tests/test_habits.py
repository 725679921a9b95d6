"""Habits, and reports with the goal as a reference point, at the decision level.

The same agents in the same state (a real :class:`OKRModel` stepped some
weeks) meet a changed best response: their choice moves part of the way,
further with a shorter ``behaviour.habit_weeks``, fully for a newcomer.
Reports weigh the goal as a reference point (most just short of it) and are
shaded down when a ratchet is believed.  The last section checks the two
metrics this adds against hand-made cases and a run.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_levers import mid_quarter, scenario

from okrsim import metrics
from okrsim.model import OKRModel
from okrsim.model.effort_allocation import allocate_effort, value_per_output
from okrsim.model.in_force import InForce
from okrsim.model.outlook import attainment_outlook
from okrsim.model.target_setting import set_targets
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices
from okrsim.policies.curves import curve_for


# -- 1. the habit's pace -------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(habit_weeks=st.floats(13.0, 104.0), weeks_between=st.sampled_from([1.0, 13.0]))
def test_a_changed_choice_is_95_percent_habitual_after_habit_weeks(habit_weeks, weeks_between):
    a = choices.habit_adjustment(weeks_between, habit_weeks)
    assert 0.0 < a <= 1.0
    # repeated every weeks_between weeks, the gap left after habit_weeks is 5 %
    np.testing.assert_allclose((1.0 - a) ** (habit_weeks / weeks_between), 0.05)
    assert choices.habit_adjustment(weeks_between, habit_weeks / 2) > a


def test_no_habit_is_a_best_response_every_time():
    assert choices.habit_adjustment(1.0, 0.0) == 1.0
    np.testing.assert_allclose(choices.habitual([0.2, 0.8], [0.6, 0.1], 1.0), [0.6, 0.1])


def test_the_default_pace_is_lally_et_als_median_in_calendar_weeks():
    # 66 days to 95 % of asymptotic automaticity (Lally et al. 2010)
    assert abs(Scenario().behaviour.habit_weeks - 66 / 7) < 0.05


# -- 2. effort: intensity and split --------------------------------------------------
def rechoose(model: OKRModel, s: Scenario, *, value_factor: float) -> None:
    """The same agents choose this week's effort again with key-result output worth more."""
    wf, org = model.workforce, model.org
    policy = InForce.read(s, peer_attainment=model.public.peer_attainment)
    outlook = attainment_outlook(wf, policy, model.week_in_quarter)
    per_output = value_per_output(wf, org, policy, outlook, model.public)
    allocate_effort(wf, org, policy, outlook, value_factor * per_output, model.public)


def effort_after(
    model: OKRModel, habit_weeks: float, *, newcomer: bool = False, max_intensity: float = 2.0
):
    copied = copy.deepcopy(model)
    if newcomer:
        copied.workforce.habitual[:] = False
    s = scenario(behaviour__habit_weeks=habit_weeks, behaviour__max_intensity=max_intensity)
    rechoose(copied, s, value_factor=3.0)
    return copied.workforce.intensity.copy(), copied.workforce.effort.copy()


def test_effort_moves_part_of_the_way_to_a_changed_best_response():
    model = mid_quarter(scenario(behaviour__max_intensity=2.0))
    wf = model.workforce
    assert wf.habitual.all()
    before_h, before_e = wf.intensity.copy(), wf.effort.copy()
    best_h, best_e = effort_after(model, 9.4, newcomer=True)
    slow_h, slow_e = effort_after(model, 9.4)
    fast_h, fast_e = effort_after(model, 3.0)
    a = choices.habit_adjustment(1.0, 9.4)
    np.testing.assert_allclose(slow_h, before_h + a * (best_h - before_h))
    moved = np.abs(best_h - before_h) > 1e-6
    assert moved.mean() > 0.5
    # part of the way, further with a shorter habit
    assert np.all(np.abs(slow_h - before_h)[moved] < np.abs(best_h - before_h)[moved])
    assert np.all(np.abs(fast_h - before_h)[moved] > np.abs(slow_h - before_h)[moved])
    # the split stays a split, and its key-result share lags the best response too
    for split in (slow_e, fast_e):
        np.testing.assert_allclose(split.sum(axis=1), 1.0)
        assert np.all(split >= 0.0)
    best_gap = np.abs(best_e[:, 0] - before_e[:, 0])
    assert np.abs(slow_e[:, 0] - before_e[:, 0]).mean() < 0.5 * best_gap.mean()
    assert (
        np.abs(fast_e[:, 0] - before_e[:, 0]).mean() > np.abs(slow_e[:, 0] - before_e[:, 0]).mean()
    )


def test_a_newcomers_first_week_is_its_best_response_and_then_a_habit():
    s = scenario(behaviour__habit_weeks=9.4, env__vacancy_weeks=0)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER)
    wf = model.workforce
    seats = np.zeros(wf.n, dtype=bool)
    seats[:3] = True
    newcomers = copy.deepcopy(wf)
    newcomers.habitual[:] = False
    newcomers.last_tau[:] = np.nan
    wf.hire(seats, newcomers)
    assert not wf.habitual[seats].any()
    assert np.isnan(wf.last_tau[seats]).all()
    assert wf.habitual[~seats].all()
    best_h, _ = effort_after(model, 9.4, newcomer=True, max_intensity=s.behaviour.max_intensity)
    rechoose(model, s, value_factor=3.0)
    np.testing.assert_allclose(wf.intensity[seats], best_h[seats])
    assert not np.allclose(wf.intensity[~seats], best_h[~seats])


# -- 3. the target offer -----------------------------------------------------------
def offer_after(model: OKRModel, s: Scenario) -> np.ndarray:
    copied = copy.deepcopy(model)
    policy = InForce.read(s, peer_attainment=copied.public.peer_attainment)
    set_targets(copied.workforce, policy, manager_view=copied.manager_view, last_reported=None)
    return copied.workforce.last_tau.copy()


def test_the_target_offer_moves_part_of_the_way_from_last_quarters():
    # decoupled last quarter; coupling now makes a lower target the best response
    model = mid_quarter(scenario(comp__coupling=0.0), weeks=WEEKS_PER_QUARTER)
    last = model.workforce.last_tau.copy()
    assert np.isfinite(last).all()
    coupled = {"comp__coupling": 0.8}
    model.workforce.coupling_belief[:] = 0.8  # who have heard the coupling, and believe it
    fresh = copy.deepcopy(model)
    fresh.workforce.last_tau[:] = np.nan
    policy = InForce.read(scenario(**coupled), peer_attainment=fresh.public.peer_attainment)
    set_targets(fresh.workforce, policy, manager_view=fresh.manager_view, last_reported=None)
    best = fresh.workforce.last_tau
    assert np.mean(best) < np.mean(last)  # a newcomer offers its best response
    slow = offer_after(model, scenario(**coupled, behaviour__habit_weeks=52.0))
    fast = offer_after(model, scenario(**coupled, behaviour__habit_weeks=13.0))
    a = choices.habit_adjustment(WEEKS_PER_QUARTER, 52.0)
    np.testing.assert_allclose(slow, last + a * (best - last))
    moved = np.abs(best - last) > 1e-9
    assert moved.any()
    assert np.all(np.abs(slow - last)[moved] < np.abs(best - last)[moved])
    assert np.all(np.abs(fast - last)[moved] > np.abs(slow - last)[moved])


# -- 4. reports: the goal as a reference point, and shading down -----------------
PAYOFF = choices.payoff_for(Scenario())
MUS = np.array([0.2, 0.4, 0.8, 0.9, 0.97, 1.2, 1.5])


def goal_stakes(loss_aversion: float, **changes: object) -> choices.ReportStakes:
    base: dict[str, object] = {
        "formula_share": 0.0,
        "judged_per_attainment": 0.0,
        "audit_rate": 0.0,
        "ratchet_per_attainment": 0.0,
        "extrinsic": 1.5,
        "honesty_cost": 1.2,
        "goal_weight": 0.264,  # alone, s* = 0.264/(2·1.2) = 0.11: 0.10 on the grid
        "loss_aversion": loss_aversion,
    }
    return choices.ReportStakes(**(base | changes))  # type: ignore[arg-type]


def shading_at(stakes: choices.ReportStakes, mus: np.ndarray = MUS, sd: float = 0.05):
    return choices.choose_shading(mus, np.full(mus.shape, sd), payoff=PAYOFF, stakes=stakes)[0]


def test_reports_just_short_of_the_goal_are_shaded_up_most_and_more_with_loss_aversion():
    plain = shading_at(goal_stakes(1.0))
    averse = shading_at(goal_stakes(2.25))
    more_averse = shading_at(goal_stakes(4.0))
    # within reach and short of the goal by more than a shading step; far below
    # it a report would have to shade past a half of what is due to reach it
    short = (MUS > 0.75) & (MUS < 0.95)
    far, above = MUS < 0.5, MUS > 1.1
    # without loss aversion the goal is no reference point: the same shading everywhere
    assert np.ptp(plain) == 0.0
    # just short of the goal the report is shaded up more than far below or above it
    assert averse[short].min() > averse[far].max()
    assert averse[short].min() > averse[above].max()
    np.testing.assert_allclose(averse[far | above], plain[far | above])
    # and more so the more a shortfall hurts
    assert np.all(more_averse[short] >= averse[short])
    assert more_averse[short].sum() > averse[short].sum()
    assert np.all(averse >= plain)
    assert np.all(more_averse >= plain)


def test_the_reference_points_slope_is_the_goal_pull_of_effort():
    mu, sd, eps = np.linspace(0.3, 1.4, 23), 0.07, 1e-6

    def value(m: np.ndarray) -> np.ndarray:
        return choices.reference_point(m, sd, loss_aversion=2.25)[0]

    slope = (value(mu + eps) - value(mu - eps)) / (2 * eps)
    np.testing.assert_allclose(slope, choices.goal_pull(mu, sd, loss_aversion=2.25), atol=1e-5)


def test_shading_goes_negative_when_a_ratchet_is_believed_and_not_without_one():
    coupled = {"formula_share": 0.8 / 3, "goal_weight": 0.0}
    honest = shading_at(goal_stakes(2.25, **coupled), np.array([1.3, 1.5]))
    ratchet = goal_stakes(2.25, **coupled, ratchet_per_attainment=0.8 * 0.9 / 3 * 2)
    assert ratchet.rewards_understatement
    assert np.all(honest >= 0.0)
    assert np.all(shading_at(ratchet, np.array([1.3, 1.5])) < 0.0)


@settings(max_examples=80, deadline=None)
@given(
    mu=st.floats(0.2, 1.6),
    formula=st.floats(0.0, 0.5),
    credit=st.floats(0.0, 0.5),
    catch=st.floats(0.0, 1.0),
    goal=st.floats(0.0, 1.0),
    loss=st.floats(1.0, 5.0),
    red=st.floats(0.0, 0.3),
    honesty=st.floats(0.2, 5.0),
)
def test_without_a_reason_to_understate_no_report_on_the_whole_grid_is_shaded_down(
    mu, formula, credit, catch, goal, loss, red, honesty
):
    # the search skips the grid's negative half unless something rewards
    # understating: the best option on the whole grid must then be ≥ 0
    stakes = goal_stakes(
        loss,
        formula_share=formula,
        judged_per_attainment=credit,
        audit_rate=catch,
        goal_weight=goal,
        honesty_cost=honesty,
        red_below=0.7 - mu,
        red_penalty=red,
    )
    assert not stakes.rewards_understatement
    u = choices.report_utility(choices.SHADING_GRID, mu, 0.08, payoff=PAYOFF, stakes=stakes)
    assert choices.SHADING_GRID[np.argmax(u)] >= 0.0


# -- 5. a run: culture moves over weeks, not at once -------------------------------
def shading_by_week(habit_weeks: float) -> np.ndarray:
    # without the goal's pull on reports, coupling is the only reason to shade up
    # and everyone believes what is stated at once: only the habit lags
    decoupled = scenario(
        behaviour__habit_weeks=habit_weeks,
        behaviour__goal_pull=0.0,
        behaviour__credibility_prior=1.0,
        behaviour__learning_rate=0.0,
        comp__coupling=0.0,
        horizon__quarters=3,
    )
    s = Scenario.model_validate(
        decoupled.model_dump() | {"schedule": [{"quarter": 2, "set": {"comp.coupling": 0.8}}]}
    )
    assert s.comp.coupling == 0.0
    model = OKRModel(s, 5)
    weeks = []
    for _ in range(2 * WEEKS_PER_QUARTER):
        model.step()
        weeks.append(model.workforce.shading.mean())
    return np.array(weeks)


def test_after_coupling_is_switched_on_shading_rises_over_several_weeks_not_one():
    switch = WEEKS_PER_QUARTER  # the first week of quarter 2
    habit = shading_by_week(9.4)
    none = shading_by_week(0.0)
    settled_habit = habit[switch + 6 :].mean()
    settled_none = none[switch + 6 :].mean()
    for series, settled in ((habit, settled_habit), (none, settled_none)):
        assert settled > series[switch - 1] + 0.02  # coupling raises shading

    def rise(series: np.ndarray, settled: float, w: int) -> float:
        """Share of the way to the settled shading reached in week ``w`` after the switch."""
        return (series[switch + w] - series[switch - 1]) / (settled - series[switch - 1])

    # without habits the first coupled week moves most of the way, with them a part,
    # and the rest over the following weeks
    rises = [rise(habit, settled_habit, w) for w in range(4)]
    assert rise(none, settled_none, 0) > 0.55
    assert rises[0] < 0.45
    assert np.all(np.diff(rises) > 0)
    assert rises[3] > 0.6


# -- 6. the metrics ------------------------------------------------------------------
def test_met_while_short_counts_key_results_claimed_met_but_truly_far_short():
    target = np.array([[1.0, 1.0, 1.0], [np.nan, np.nan, np.nan]])
    reported = np.array([[1.0, 1.2, 0.9], [1.0, 1.0, 1.0]])
    true = np.array([[0.79, 0.8, 0.5], [0.1, 0.1, 0.1]])
    share = metrics.met_while_short(reported, true, target)
    np.testing.assert_allclose(share[0], 1 / 3)  # met and short; met, not short; short, not met
    assert np.isnan(share[1])


def test_effort_cut_behind_needs_both_falling_behind_and_less_key_result_work_after():
    behind = np.array([1.0, 1.0, 0.0])
    first = np.array([7 * 0.6, 7 * 0.6, 7 * 0.6])
    rest = np.array([6 * 0.5, 6 * 0.7, 6 * 0.5])
    cut = metrics.effort_cut_behind(behind, first, rest, weeks_first=7, weeks_rest=6)
    np.testing.assert_array_equal(cut, [1.0, 0.0, 0.0])


def test_both_metrics_are_in_the_quarterly_output_and_empty_without_okrs():
    model = OKRModel(scenario(comp__coupling=0.5, horizon__quarters=1), 2)
    model.run()
    q = model.quarterly_frame()
    for name in ("met_while_short", "effort_cut_behind"):
        assert 0.0 <= q[name].iloc[0] <= 1.0
        assert name in model.employee_frame()
    off = OKRModel(scenario(okr__enabled=False, horizon__quarters=1), 2)
    off.run()
    assert off.quarterly_frame()[["met_while_short", "effort_cut_behind"]].isna().all(axis=None)


def test_the_same_seed_gives_the_same_habits_bit_for_bit():
    runs = [OKRModel(scenario(comp__coupling=0.5, horizon__quarters=2), 9) for _ in range(2)]
    for m in runs:
        m.run()
    a, b = (m.workforce for m in runs)
    for name in ("shading", "intensity", "effort", "last_tau", "habitual"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_curves_never_fall_so_only_a_ratchet_or_negative_credit_rewards_understating():
    # the claim behind rewards_understatement: every curve's expected score is non-decreasing
    for s in (
        Scenario(),
        scenario(comp__bonus_curve="step"),
        scenario(comp__bonus_curve="floor_cap"),
    ):
        curve = curve_for(s.comp)
        expected = curve.expected(np.linspace(0.0, 2.0, 81), 0.1)
        assert np.all(np.diff(expected) >= -1e-12)
