"""Pure policy maths: score curves, ratings and the agents' choice functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okrsim import portable
from okrsim.params import Comp, Scenario
from okrsim.policies import choices
from okrsim.policies.choices import Payoff
from okrsim.policies.curves import curve_for
from okrsim.policies.rating import (
    RANK_BANDS,
    band_of_percentile,
    forced_distribution,
    rank_curve,
    rating,
)

CURVES = ["linear", "step", "floor_cap", "none"]
attainments = st.floats(min_value=0.0, max_value=4.0, allow_nan=False)  # never negative


def payoff(**changes: object) -> Payoff:
    """The payoff of a scenario with ``comp.coupling`` 0.5 and the given overrides."""
    keys = {"comp.coupling": 0.5} | {k.replace("__", "."): v for k, v in changes.items()}
    return choices.payoff_for(Scenario().with_overrides(keys))


@pytest.mark.parametrize("name", CURVES)
@given(a=attainments, b=attainments)
def test_pay_never_falls_as_attainment_rises(name, a, b):
    curve = curve_for(Comp(bonus_curve=name))
    lo, hi = sorted((a, b))
    assert curve(hi) >= curve(lo) - 1e-12


@pytest.mark.parametrize("name", CURVES)
@given(a=attainments)
def test_score_is_bounded_by_the_cap(name, a):
    comp = Comp(bonus_curve=name)
    value = float(curve_for(comp)(a))
    assert 0.0 <= value <= max(comp.cap, 1.0) + 1e-12


@pytest.mark.parametrize("name", CURVES)
@settings(max_examples=25, deadline=None)
@given(mu=st.floats(0.0, 2.5), sigma=st.floats(0.02, 0.6))
def test_expected_score_matches_monte_carlo(name, mu, sigma):
    curve = curve_for(Comp(bonus_curve=name))
    draws = np.random.default_rng(0).normal(mu, sigma, 200_000)
    assert float(curve.expected(mu, sigma)) == pytest.approx(curve(draws).mean(), abs=6e-3)


@pytest.mark.parametrize("name", CURVES)
@settings(max_examples=25, deadline=None)
@given(mu=st.floats(0.0, 2.5), sigma=st.floats(0.05, 0.6))
def test_marginal_is_the_derivative_of_the_expectation(name, mu, sigma):
    curve = curve_for(Comp(bonus_curve=name))
    h = 1e-5
    numeric = (curve.expected(mu + h, sigma) - curve.expected(mu - h, sigma)) / (2 * h)
    assert float(curve.marginal(mu, sigma)) == pytest.approx(float(numeric), abs=1e-4)
    assert float(curve.marginal(mu, sigma)) >= 0.0


def test_rating_blends_formula_and_judgment():
    assert rating(1.2, 0.8, coupling=0.0) == pytest.approx(0.8)
    assert rating(1.2, 0.8, coupling=1.0) == pytest.approx(1.2)
    assert rating(1.2, 0.8, coupling=0.25) == pytest.approx(0.9)


@settings(max_examples=30, deadline=None)
@given(rho=st.floats(0.0, 5.0), h=st.floats(0.1, 10.0), sd=st.floats(0.05, 0.5))
def test_with_coupling_zero_the_target_does_not_depend_on_the_bonus_curve(rho, h, sd):
    taus = {
        name: choices.choose_target(
            sd,
            payoff=payoff(comp__coupling=0.0, comp__bonus_curve=name),
            extrinsic=1.5,
            risk_aversion=rho,
            honesty_cost=h,
        )[0]
        for name in CURVES
    }
    assert len({float(t) for t in taus.values()}) == 1


def test_with_nothing_to_gain_the_target_is_the_honest_forecast():
    tau, _ = choices.choose_target(
        0.2,
        payoff=payoff(comp__coupling=0.0, judgment__ambition_weight=0.0),
        extrinsic=1.5,
        risk_aversion=np.array([0.5, 2.0]),
        honesty_cost=np.array([0.5, 5.0]),
    )
    np.testing.assert_array_equal(tau, [1.0, 1.0])


def test_coupling_lowers_the_chosen_target():
    kw = dict(extrinsic=1.5, risk_aversion=1.0, honesty_cost=4.0)
    low = [
        float(choices.choose_target(0.2, payoff=payoff(comp__coupling=c), **kw)[0])
        for c in (0, 0.5, 1)
    ]
    assert low[0] > low[1] > low[2]


@pytest.mark.parametrize("name", ["linear", "floor_cap", "none"])
def test_a_formula_that_pays_for_the_target_makes_coupling_raise_it(name):
    """The same agents, one lever moved: with no credit for the target stated
    coupling lowers the target chosen; with a credit that outweighs what a
    higher target costs in attainment it raises it.  (A step at target costs
    far more per unit of target, ``φ(0)/σ ≈ 2`` at σ = 0.2, and a credit of
    1.5 only slows its fall.)"""
    kw = dict(extrinsic=1.5, risk_aversion=1.0, honesty_cost=4.0)

    def offered(coupling: float, credit: float) -> float:
        pay = payoff(comp__coupling=coupling, comp__target_credit=credit, comp__bonus_curve=name)
        return float(choices.choose_target(0.2, payoff=pay, **kw)[0])

    couplings = (0.0, 0.5, 1.0)
    without = [offered(c, 0.0) for c in couplings]
    with_credit = [offered(c, 1.5) for c in couplings]
    assert without[0] >= without[1] >= without[2]
    assert with_credit[0] < with_credit[1] < with_credit[2]
    # at each coupling a larger credit never lowers the target
    for c in couplings:
        offers = [offered(c, k) for k in (0.0, 0.5, 1.0, 1.5, 2.0)]
        assert offers == sorted(offers)


def test_more_honest_agents_sandbag_less_under_coupling():
    tau, _ = choices.choose_target(
        0.2,
        payoff=payoff(comp__coupling=1.0),
        extrinsic=1.5,
        risk_aversion=1.0,
        honesty_cost=np.array([1.0, 4.0, 16.0]),
    )
    assert tau[0] < tau[1] < tau[2] <= 1.0


@settings(max_examples=50, deadline=None)
@given(
    w0=st.floats(0.01, 10.0),
    w=st.lists(st.floats(0.001, 20.0), min_size=3, max_size=3),
    s=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
)
def test_effort_shares_are_a_partition_of_the_week(w0, w, s):
    shares = choices.effort_shares(w0, np.array(w), np.array(s))
    assert shares.shape == (4,)
    assert np.all(shares >= -1e-9)
    assert shares.sum() == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(w0=st.floats(0.05, 5.0), w=st.lists(st.floats(0.05, 5.0), min_size=3, max_size=3))
def test_a_higher_payoff_on_measured_work_never_raises_unmeasured_work(w0, w):
    s = np.array([0.2, 0.15, 0.1])
    before = choices.effort_shares(w0, np.array(w), s)
    after = choices.effort_shares(w0 * 1.5, np.array(w), s)
    assert np.all(after[1:] <= before[1:] + 1e-9)
    assert after[0] >= before[0] - 1e-9


def test_goal_pull_rises_with_difficulty_then_fades_out_of_reach():
    reach = choices.GOAL_REACH
    mus = np.array([2.0, 1.2, 1.0, 1.0 - reach / 2])
    pull = choices.goal_pull(mus, 0.02, loss_aversion=2.25)
    assert np.all(np.diff(pull) >= 0)  # harder (lower expected attainment) pulls more ...
    assert pull[-1] == pytest.approx(1.25, abs=1e-3)  # λ − 1 just short of it
    assert pull[0] == 0.0  # a goal sure to be met adds nothing
    hopeless = choices.goal_pull(1.0 - 2 * reach, 0.02, loss_aversion=2.25)
    assert hopeless == pytest.approx(0.0, abs=1e-3)  # ... nor one out of reach
    assert np.all(choices.goal_pull(mus, 0.02, loss_aversion=1.0) == 0.0)  # no loss aversion


def test_expected_blocked_weeks_shrinks_with_resolution_rate():
    slow = choices.expected_blocked_weeks(0.1, 10)
    fast = choices.expected_blocked_weeks(0.5, 10)
    assert slow > fast > 0
    assert choices.expected_blocked_weeks(1.0, 10) == pytest.approx(1.0)


def test_raising_pays_when_saved_output_outweighs_the_lost_option():
    gain = choices.raise_gain(
        np.array([1.0, 1.0]),
        0.1,
        judged_credit=0.0,
        inflation_option=np.array([0.05, 0.2]),
        mum_cost=0.0,
    )
    assert gain[0] > 0 > gain[1]


def stakes(**changes: object) -> choices.ReportStakes:
    """Stakes of a report with nothing riding on it but the given changes."""
    base: dict[str, object] = dict(
        formula_share=0.0,
        judged_per_attainment=0.0,
        audit_rate=0.0,
        ratchet_per_attainment=0.0,
        extrinsic=1.5,
        honesty_cost=1.0,
    )
    return choices.ReportStakes(**(base | changes))  # type: ignore[arg-type]


def test_no_payoff_from_a_report_means_an_honest_report():
    shading, gain = choices.choose_shading(
        np.array([0.6, 1.0]),
        0.1,
        payoff=payoff(comp__coupling=0.0),
        stakes=stakes(audit_rate=0.1),
    )
    np.testing.assert_array_equal(shading, 0.0)
    np.testing.assert_array_equal(gain, 0.0)


def test_a_formula_paying_on_reports_invites_inflation_that_honesty_cost_limits():
    shading, _ = choices.choose_shading(
        np.full(3, 0.9),
        0.1,
        payoff=payoff(comp__coupling=1.0),
        stakes=stakes(formula_share=0.5, honesty_cost=np.array([0.5, 2, 20])),
    )
    assert shading[0] > shading[1] > shading[2] >= 0


def test_a_ratchet_makes_under_reporting_pay():
    shading, _ = choices.choose_shading(
        np.array([1.3]),
        0.1,
        payoff=payoff(comp__coupling=1.0),
        stakes=stakes(ratchet_per_attainment=0.5),
    )
    assert shading[0] < 0


def test_audits_deter_inflation_where_judgment_counts():
    p = payoff(comp__coupling=0.5, judgment__inflation_penalty=2.0)
    free, _ = choices.choose_shading(
        np.array([0.9]), 0.1, payoff=p, stakes=stakes(formula_share=0.5)
    )
    watched, _ = choices.choose_shading(
        np.array([0.9]), 0.1, payoff=p, stakes=stakes(formula_share=0.5, audit_rate=0.5)
    )
    assert watched[0] < free[0]


def test_an_audit_tolerance_one_knows_invites_overstatement_up_to_it():
    """The same employees, the same audits and pay; only the tolerance moves."""
    p = payoff(comp__coupling=0.5, judgment__inflation_penalty=2.0)
    mu = np.full(3, 0.9)

    def shading(tolerance: float) -> np.ndarray:
        k = stakes(formula_share=0.5, audit_rate=0.6, audit_tolerance=tolerance)
        return choices.choose_shading(mu, 0.1, payoff=p, stakes=k)[0]

    strict, lenient = shading(0.0), shading(0.15)
    assert np.all(lenient > strict)
    # an overstatement within the tolerance is never caught, so it is weighed
    # as if there were no audit at all
    free = choices.choose_shading(mu, 0.1, payoff=p, stakes=stakes(formula_share=0.5))[0]
    assert np.all(lenient >= np.minimum(free, 0.15))


def test_audits_that_may_catch_a_misjudged_report_make_reporting_below_it_pay():
    """Nothing but an audit rides on the report: with one's progress taken as the
    books an honest report is safe; with it misjudged, a lower report is safer."""
    p = payoff(comp__coupling=0.0, judgment__inflation_penalty=2.0)
    mu = np.full(2, 0.9)

    def shading(sd: float) -> np.ndarray:
        k = stakes(audit_rate=0.5, audit_tolerance=0.05, catch_pace=0.5, catch_sd=sd)
        return choices.choose_shading(mu, 0.1, payoff=p, stakes=k)[0]

    np.testing.assert_array_equal(shading(0.0), 0.0)
    assert np.all(shading(0.15) < 0)
    assert np.all(shading(0.3) <= shading(0.15))


def test_with_the_books_known_and_no_tolerance_an_audit_catches_any_overstatement():
    """catch_sd = 0, τ = 0, pace 1: the audit's terms are a certain catch of s > 0."""
    p = payoff(comp__coupling=0.5, judgment__inflation_penalty=1.5)
    s = choices.SHADING_GRID
    found, excess = choices.audit_found(s, 1.0, 0.0, 0.0)
    np.testing.assert_array_equal(found, (s > 0).astype(float))
    np.testing.assert_array_equal(excess, np.maximum(s, 0.0))
    catch = 0.3
    k = stakes(formula_share=0.4, audit_rate=catch)
    u = choices.report_utility(s, 0.9, 0.1, payoff=p, stakes=k)
    # what the report buys, without the cost of misstating (h = 1) or the audit
    free = stakes(formula_share=0.4, honesty_cost=0.0)
    bought = choices.report_utility(s, 0.9, 0.1, payoff=p, stakes=free)
    penalty = 1.5 * float(np.asarray(p.judged_reach)) * 0.5 * catch * np.maximum(s, 0.0)
    honest = bought[s == 0.0]
    expected = np.where(s > 0, (1 - catch) * (bought - honest) + honest, bought)
    np.testing.assert_allclose(u, expected - 1.5 * penalty - s**2, atol=1e-12)


def test_more_audits_never_invite_more_overstatement():
    """The same employees at the same week; only the believed audit rate moves
    (0 to every report checked): the best shading never rises with it.  (Where
    a red status costs something, more audits can tip someone behind pace out
    of an understatement into the green: docs/ODD.md §7.7.)"""
    p = payoff(comp__coupling=0.5, judgment__inflation_penalty=1.0)
    mu = np.linspace(0.6, 1.2, 7)
    shadings = []
    for rate in (0.0, 0.02, 0.1, 0.3, 0.6, 1.0):
        k = stakes(
            formula_share=0.5,
            audit_rate=rate,
            audits_left=13,
            audit_tolerance=0.05,
            catch_pace=0.54,
            catch_sd=0.08,
            goal_weight=0.3,
            loss_aversion=2.0,
        )
        shadings.append(choices.choose_shading(mu, 0.1, payoff=p, stakes=k)[0])
    steps = np.diff(np.array(shadings), axis=0)
    assert np.all(steps <= 0.0)
    assert np.all(shadings[-1] < shadings[0])


def test_a_red_status_that_costs_something_is_avoided_by_shading_up():
    shading, _ = choices.choose_shading(
        np.array([0.8, 0.8]),
        0.1,
        payoff=payoff(comp__coupling=0.0),
        stakes=stakes(red_below=np.array([0.1, 0.1]), red_penalty=np.array([0.0, 0.2])),
    )
    assert shading[0] == 0.0
    assert shading[1] >= 0.1


def test_forced_distribution_fills_the_bands_within_each_group():
    scores = np.arange(20.0)
    groups = np.repeat([0, 1], 10)
    bands = forced_distribution(scores, groups)
    for g in (0, 1):
        got = np.sort(bands[groups == g])
        assert list(got) == [0.5] + [1.0] * 7 + [1.25] * 2
    assert sum(share for share, _ in RANK_BANDS) == pytest.approx(1.0)


def test_rank_curve_is_the_forced_distribution_seen_from_one_employee():
    curve = rank_curve(1.0, 0.2)
    # far below every peer: bottom band; far above: top band
    assert float(curve(-5.0)) == pytest.approx(0.5)
    assert float(curve(5.0)) == pytest.approx(1.25)
    assert float(curve(1.0)) == pytest.approx(1.0)  # the median peer is in the middle band
    # one's expected band rises with one's own result ...
    assert curve.marginal(1.1, 0.1) > 0
    # ... and falls when peers do better (the curve's steps move right)
    assert rank_curve(1.1, 0.2).expected(1.2, 0.1) < curve.expected(1.2, 0.1)
    assert band_of_percentile(np.array([0.05, 0.5, 0.95])).tolist() == [0.5, 1.0, 1.25]


@pytest.mark.parametrize("curve", ["linear", "step", "floor_cap", "none"])
def test_the_weekly_search_weighs_the_report_utility_itself(curve: str) -> None:
    """``shading_gains`` is ``report_utility`` up to a constant per key result."""
    rng = np.random.default_rng(11)
    n = 40
    mu, sd = rng.uniform(0.3, 1.6, (n, 2)), rng.uniform(0.02, 0.4, (n, 2))
    p = payoff(comp__coupling=0.6, comp__bonus_curve=curve, judgment__inflation_penalty=1.5)
    k = stakes(
        formula_share=rng.uniform(0, 0.5, (n, 2)),
        judged_per_attainment=rng.uniform(-0.1, 0.2, (n, 2)),
        audit_rate=rng.uniform(0, 0.5, (n, 2)),
        ratchet_per_attainment=rng.uniform(0, 0.3, (n, 2)),
        honesty_cost=rng.uniform(0.3, 3, (n, 1)),
        red_below=rng.uniform(-0.2, 0.3, (n, 2)),
        red_penalty=rng.uniform(0, 0.2, (n, 1)),
        goal_weight=rng.uniform(0, 1, (n, 1)),
        loss_aversion=2.25,
        audit_tolerance=rng.uniform(0, 0.1, (n, 1)),
        catch_pace=rng.uniform(0.1, 1, (n, 1)),
        catch_sd=np.where(rng.random((n, 2)) < 0.2, 0.0, rng.uniform(0, 0.2, (n, 2))),
    )
    options = choices.SHADING_GRID.reshape(-1, 1, 1)
    full = choices.report_utility(options, mu, sd, payoff=p, stakes=k)
    fast = choices.shading_gains(options, mu, sd, payoff=p, stakes=k)
    np.testing.assert_allclose(full - full[0], fast - fast[0], atol=1e-12)


def _water_filling_every_round(w0: np.ndarray, w: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The log of λ by water-filling run for all J rounds, for rows the saturating work fills."""
    log_w = portable.log(w)
    active = np.ones(w.shape, dtype=bool)
    for _ in range(w.shape[-1]):
        weight = np.where(active, s, 0.0)
        log_lam = ((weight * log_w).sum(axis=-1) - 1.0) / weight.sum(axis=-1)
        active = log_w > log_lam[:, None]
    return log_lam


def random_weeks(seed: int) -> tuple[np.ndarray, ...]:
    """2,000 random weeks' weights and scales, and which of them the saturating work
    alone would fill at λ = w0 (both regimes are exercised)."""
    rng = np.random.default_rng(seed)
    w0 = rng.lognormal(-1.0, 1.0, 2000)
    w = rng.lognormal(0.0, 1.5, (2000, 4))
    s = rng.uniform(0.05, 0.6, (2000, 4))
    filled = (s * np.maximum(portable.log(w) - portable.log(w0)[:, None], 0.0)).sum(axis=1) > 1.0
    assert 100 < filled.sum() < 1900
    return w0, w, s, filled


def test_water_filling_stops_only_where_another_round_would_change_nothing():
    w0, w, s, filled = random_weeks(11)
    _, value_of_time = choices.effort_split(w0, w, s)
    expected = portable.exp(_water_filling_every_round(w0[filled], w[filled], s[filled]))
    assert np.array_equal(value_of_time[filled], expected)


def test_where_the_saturating_work_fills_the_week_key_results_get_exactly_nothing():
    """Not the rounding of 1 − Σ others, which falls either side of 0 and made a
    choice that reads ``kr_own > 0`` differ between two exact implementations."""
    w0, w, s, filled = random_weeks(12)
    shares, _ = choices.effort_split(w0, w, s)
    assert np.all(shares[filled, 0] == 0.0)
    assert np.all(shares[~filled, 0] > 0.0)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=0.0, atol=1e-12)


def test_a_knot_without_blur_is_met_at_the_sigma_hypot_would_give():
    sigma = np.concatenate(
        [np.random.default_rng(5).lognormal(-2.0, 3.0, 10_000), [0.0, -0.0, 5e-324, -2.5, np.inf]]
    )
    assert np.array_equal(np.hypot(sigma, 0.0), np.abs(sigma))


def test_agent_targets_read_the_moments_table_interpolated_and_the_table_is_read_only():
    p = payoff(comp__evaluation="relative")
    tau = np.random.default_rng(3).uniform(0.3, 3.0, (40, choices.TARGET_OFFERS))
    table = choices._moments(choices.TAU_TABLE, 0.2, p.curve)
    for got, column in zip(choices.target_moments(tau, 0.2, p), table, strict=True):
        plain = np.interp(tau.ravel(), choices.TAU_TABLE, column).reshape(tau.shape)
        assert np.array_equal(got, plain)
    with pytest.raises(ValueError, match="read-only"):
        choices._moment_table(p.curve, 0.2)[0][0] = 1.0
