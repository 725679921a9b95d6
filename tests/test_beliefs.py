"""Beliefs about the policy are learned from what each person sees, and from what is stated.

At the decision level: the fit each employee makes of ratings against scores,
bad news and work (exact on clean data, misled by confounded data, one's own
experience weighing more); statements moving beliefs by credibility; and
credibility following whether statements hold.  Then the same people in a
run: beliefs differ across them, and after a decoupling the belief falls by
what people believe of the announcement and what they see, not at once.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_levers import mid_quarter, scenario

from okrsim.model import OKRModel, rating_evidence, stacking
from okrsim.model import policy_beliefs as pb
from okrsim.model.effort_allocation import allocate_effort, value_per_output
from okrsim.model.learning import Seen, seen_with_own
from okrsim.model.outlook import attainment_outlook
from okrsim.model.quarter_review import Judgment, Review
from okrsim.model.rating_evidence import bad_news, seen_work
from okrsim.model.target_setting import set_targets
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies.choices import payoff_for
from okrsim.reference.evidence import Evidence, precision_weighted
from okrsim.seeding import replication_seeds
from okrsim.simulation import run
from okrsim.stats import paired_difference

SCENARIOS = "scenarios"


def one_observer(rating, score, news, work, weight=None):
    """The fit of one observer who sees these members (arrays of shape (m,))."""
    regressors = np.stack([score, news, work], axis=-1)[None]
    w = np.ones((1, len(rating))) if weight is None else weight[None]
    rating_seen = np.asarray(rating)[None]
    beta, variance, identified = rating_evidence.fit_ratings(rating_seen, regressors, w)
    return beta[0], variance[0], identified[0]


# -- the fit ------------------------------------------------------------------------
def test_the_fit_recovers_the_coupling_and_the_mark_for_bad_news_from_clean_ratings():
    rng = np.random.default_rng(1)
    score, work = rng.uniform(0.6, 1.2, 40), rng.normal(1.0, 0.3, 40)
    news = rng.poisson(0.5, 40).astype(float)
    rating = 0.2 + 0.6 * score - 0.1 * news + 0.9 * work
    beta, variance, identified = one_observer(rating, score, news, work)
    np.testing.assert_allclose(beta, [0.6, -0.1, 0.9], atol=1e-9)
    assert identified.all()
    assert np.all(variance < 1e-12)  # clean data: nothing left to doubt
    assert np.all(rating_evidence.reliability(variance, 1 / 12) > 0.999)


def test_regressors_that_move_together_are_not_identified_and_leave_no_nan():
    """The fit inverts X'WX from its LDLᵀ factors: where the regressors move
    exactly together it cannot tell them apart, says so, and gives finite numbers."""
    rng = np.random.default_rng(5)
    work = rng.normal(1.0, 0.3, 30)
    for score, news in ((work.copy(), rng.poisson(0.5, 30).astype(float)), (work, 2.0 * work)):
        beta, variance, identified = one_observer(work + 0.1, score, news, work)
        assert not identified[0]
        assert not identified[2]
        assert np.all(np.isfinite(beta))
        assert not np.any(np.isnan(variance))


def test_one_review_of_a_team_of_two_identifies_nothing():
    """Centred on the review, two members' regressors lie on one line: whatever
    the ratings, no coefficient can be told apart (the pivots are the ridge's
    size, not rounding noise)."""
    rng = np.random.default_rng(11)
    for _ in range(500):
        rating, score, news, work = (rng.normal(size=2) for _ in range(4))
        _, variance, identified = one_observer(rating, score, news, work)
        assert not identified.any()
        assert not np.any(np.isnan(variance))


def test_a_pivot_rounded_below_its_ridge_is_raised_to_it():
    """X'WX a hair from singular can come out indefinite after rounding (here
    exactly: score and bad news at a correlation above 1).  Those two are not
    told apart, the third regressor still is, and nothing is NaN."""
    evidence = np.zeros((1, rating_evidence.EVIDENCE_SIZE))
    evidence[0, :9] = [1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    evidence[0, 9:12] = [0.0, 0.0, 0.5]  # Σw·xy: ratings move with work alone
    evidence[0, 12:] = [1.0, 40.0, 40.0, 1.0]  # Σw·y², Σw, observations, reviews
    beta, variance, identified = rating_evidence.fit_evidence(evidence)
    np.testing.assert_array_equal(identified[0], [False, False, True])
    assert beta[0, 2] == pytest.approx(0.5)
    assert np.all(np.isfinite(variance))


def test_a_review_remembered_with_gain_one_is_that_review_to_the_bit():
    rng = np.random.default_rng(2)
    old, seen = rng.normal(size=(2, 50, rating_evidence.EVIDENCE_SIZE)) * 1e3
    np.testing.assert_array_equal(rating_evidence.remember(old, seen, 1.0), seen)
    np.testing.assert_array_equal(rating_evidence.remember(old, seen, 0.0), old)


def test_the_reference_models_fit_is_the_models_to_the_bit():
    """The same sums, fitted by the vectorised model and by the per-agent
    reference (okrsim.reference.evidence), regressors collinear or not."""
    rng = np.random.default_rng(4)
    for size in (2, 3, 8):
        rating, score, news, work = rng.normal(size=(4, size))
        for news_seen in (news, 2.0 * score):
            regressors = np.stack([score, news_seen, work], axis=-1)
            weight = rng.uniform(0.5, 3.0, size)
            evidence = rating_evidence.team_evidence(rating[None], regressors[None], weight[None])
            model = rating_evidence.fit_evidence(evidence)
            e = evidence[0].tolist()
            reference = Evidence([e[0:3], e[3:6], e[6:9]], e[9:12], *e[12:16])
            for ours, theirs in zip(model, reference.fit(1.0), strict=True):
                np.testing.assert_array_equal(ours[0], np.asarray(theirs))


def test_scores_that_track_unseen_work_read_as_coupling():
    """Ratings follow work only; scores follow work too: a blurred view of work
    leaves the score standing in for it (confounding), a clear view does not."""
    rng = np.random.default_rng(2)
    work = rng.normal(1.0, 0.3, 400)
    score = work + rng.normal(0.0, 0.1, 400)
    rating = work.copy()  # coupling 0: the score itself moves nothing
    news = np.zeros(400)
    clear, _, _ = one_observer(rating, score, news, work)
    blurred, _, _ = one_observer(rating, score, news, work + rng.normal(0.0, 0.3, 400))
    assert abs(clear[0]) < 1e-9
    assert blurred[0] > 0.5


def test_what_does_not_vary_cannot_be_learned():
    rng = np.random.default_rng(3)
    work = rng.normal(1.0, 0.3, 8)
    _, _, identified = one_observer(work, np.full(8, 0.9), np.zeros(8), work)
    assert not identified[0]  # everyone scored the same
    assert not identified[1]  # nobody brought bad news
    assert identified[2]


def test_ones_own_experience_weighs_more_than_a_teammates():
    """Teammates' ratings ignore scores; one's own, at the highest score, was raised."""
    rng = np.random.default_rng(4)
    score, work = rng.uniform(0.6, 1.0, 8), rng.normal(1.0, 0.3, 8)
    score[0], work[0] = 1.3, work[1:].mean()
    rating = work.copy()
    rating[0] += 0.5
    fitted = []
    for own in (1.0, 3.0, 10.0):
        weight = np.ones(8)
        weight[0] = own
        fitted.append(one_observer(rating, score, np.zeros(8), work, weight)[0][0])
    assert 0 < fitted[0] < fitted[1] < fitted[2]


def test_audits_seen_weigh_ones_own_more():
    s = scenario()
    model = mid_quarter(s, weeks=2)
    audits = np.zeros(model.workforce.n)
    audits[0] = 3.0
    plain = seen_with_own(model.workforce, model.org, audits, 1.0)
    own = seen_with_own(model.workforce, model.org, audits, 4.0)
    assert own[0] == 12.0
    assert plain[0] == 3.0
    np.testing.assert_array_equal(own[1:], plain[1:])  # a teammate's audit counts once


def review_of(
    model: OKRModel, ratings: np.ndarray, score: np.ndarray, *, settled: bool = True
) -> Review:
    """A review (settled unless told) of the model's workforce with these ratings and scores."""
    n, k = model.workforce.n, model.workforce.k
    judged = Judgment(judged=ratings, seen_weight=1.0, reported_weight=0.0, judged_sd=0.0)
    nan = np.full((n, k), np.nan)
    return Review(nan, nan, score, judged, ratings, settled, score)


def learn_at_review(model: OKRModel, review: Review, rng: np.random.Generator) -> None:
    """The model's people learn from ``review`` (nothing else seen; teammates seen
    through ``rng``'s noise)."""
    wf = model.workforce
    noise = rng.standard_normal((2, wf.n, model.org.team_size))
    team_noise = rng.standard_normal((2, model.org.n_teams))
    seen = nothing_seen(wf.n)
    pb.learn(
        wf,
        model.org,
        model.policy,
        model.tally,
        review,
        seen,
        peer_noise=noise,
        team_noise=team_noise,
    )


def nothing_seen(n: int) -> Seen:
    none = np.zeros(n, dtype=bool)
    return Seen(np.zeros(n), none, np.zeros(n), none, np.zeros(n), none)


def test_with_no_bad_news_in_sight_the_fear_stays_while_the_coupling_is_learned():
    s = scenario(behaviour__peer_noise=0.0)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    wf, tally = model.workforce, model.tally
    tally.raises[:] = 0
    tally.red_reports[:] = 0
    rng = np.random.default_rng(5)
    score = rng.uniform(0.6, 1.2, wf.n)
    ratings = 0.9 * score + 0.5 * seen_work(tally, model.org)  # a coupling of 0.9, seen clearly
    before_news = wf.bad_news_belief.copy()
    review = review_of(model, ratings, score)
    learn_at_review(model, review, rng)
    np.testing.assert_array_equal(wf.bad_news_belief, before_news)  # Tesser & Rosen's MUM
    np.testing.assert_allclose(wf.coupling_belief, 0.9, atol=1e-6)


# -- the anchor: a belief is the anchor shrunk towards the fit by its reliability -----
def settle_once(s: Scenario, anchor: float, ratings_of, *, seed: int = 5) -> Workforce:
    """The same people at the same review, their coupling anchor set to ``anchor``."""
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    wf, tally = model.workforce, model.tally
    wf.coupling_anchor[:] = anchor
    wf.rating_evidence[:] = 0.0
    wf.standing_evidence[:] = 0.0
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.6, 1.2, wf.n)
    review = review_of(model, ratings_of(score, seen_work(tally, model.org), rng), score)
    learn_at_review(model, review, rng)
    return wf


@pytest.mark.parametrize("loss", [0.0, 1.0, 5.0])
def test_an_impression_of_work_keeps_its_order_when_the_work_is_worth_less_than_nothing(loss):
    """Colleagues read each one's work against the organisation's mean; where that mean
    is near zero or negative the better worker must still look better (shares of a
    negative mean would make it look worse)."""
    s = scenario()
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    tally = model.tally
    present = np.maximum(tally.weeks_present, 1.0)
    tally.seen_contribution -= loss * present  # every week worth ``loss`` less, for everyone
    per_week = tally.seen_contribution / present
    seen = seen_work(tally, model.org)
    order = np.argsort(per_week, kind="stable")
    assert np.all(np.diff(seen[order]) >= 0)
    assert seen.mean() == pytest.approx(1.0)


@pytest.mark.parametrize("anchor", [0.0, 0.5, 1.0])
def test_with_reliable_evidence_the_belief_is_the_fit_whatever_the_anchor(anchor):
    s = scenario(behaviour__peer_noise=0.0)
    wf = settle_once(s, anchor, lambda score, work, rng: 0.3 * score + 0.5 * work)
    np.testing.assert_allclose(wf.coupling_belief, 0.3, atol=1e-6)


def test_with_nothing_to_tell_scores_apart_the_belief_is_the_anchor():
    """Everyone scored the same: the coupling cannot be seen, whatever the ratings."""
    s = scenario(behaviour__peer_noise=0.0)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    wf, tally = model.workforce, model.tally
    wf.coupling_anchor[:] = 0.35
    wf.coupling_belief[:] = 0.8  # whatever it believed before
    score = np.full(wf.n, 0.9)
    review = review_of(model, 0.5 * seen_work(tally, model.org), score)
    rng = np.random.default_rng(5)
    learn_at_review(model, review, rng)
    np.testing.assert_array_equal(wf.coupling_belief, 0.35)


def team_scores(model: OKRModel, rng: np.random.Generator) -> np.ndarray:
    """A score per team, the same for each of its members (team evaluation)."""
    return rng.uniform(0.6, 1.2, model.org.n_teams)[model.workforce.team]


@pytest.mark.parametrize("coupling", [0.2, 0.7])
def test_under_team_evaluation_the_coupling_is_read_from_the_teams_standing(coupling):
    """Everyone in a team has the team's score, so one's own team says nothing of
    the coupling; the teams' published standing does, and the belief is the fit."""
    s = scenario(behaviour__peer_noise=0.0, comp__evaluation="team", org__n_teams=12)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    wf, tally = model.workforce, model.tally
    wf.coupling_anchor[:] = 0.5
    rng = np.random.default_rng(6)
    score = team_scores(model, rng)
    ratings = coupling * score + 0.5 * seen_work(tally, model.org)
    learn_at_review(model, review_of(model, ratings, score), rng)
    np.testing.assert_allclose(wf.coupling_belief, coupling, atol=1e-6)


def test_under_team_evaluation_the_same_people_believe_what_the_standing_shows():
    """The same people at the same review, the teams' ratings following their
    scores by more or less (seen through the usual noise): the belief follows."""
    s = scenario(comp__evaluation="team", org__n_teams=12)
    believed = []
    for coupling in (0.0, 0.4, 0.8):
        model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
        rng = np.random.default_rng(7)
        score = team_scores(model, rng)
        ratings = coupling * score + 0.5 * seen_work(model.tally, model.org)
        ratings = ratings + rng.normal(0.0, 0.3, len(score))
        learn_at_review(model, review_of(model, ratings, score), rng)
        believed.append(model.workforce.coupling_belief.copy())
    assert np.all(believed[0] < believed[1])
    assert np.all(believed[1] < believed[2])


def test_each_coefficient_weighs_the_two_comparisons_by_their_precision():
    """One's own team and the teams' standing are not pooled into one regression:
    each coefficient is the precision-weighted mean of the fits that identify it
    (the score here from the standing alone, bad news from both, work from both
    with an exact estimate taken alone); the reference gives the same."""
    own = (
        np.array([[0.0, -0.2, 0.5]]),
        np.array([[np.inf, 0.01, 0.0]]),
        np.array([[False, True, True]]),
    )
    teams = (
        np.array([[0.6, -0.8, 0.1]]),
        np.array([[0.05, 0.03, 0.02]]),
        np.array([[True, True, True]]),
    )
    beta, sampling, identified = rating_evidence.precision_weighted((own, teams))
    # bad news: (−0.2/0.01 − 0.8/0.03)/(1/0.01 + 1/0.03) = −0.35, variance 1/(100 + 33.3)
    np.testing.assert_allclose(beta, [[0.6, -0.35, 0.5]])
    np.testing.assert_allclose(sampling, [[0.05, 0.0075, 0.0]])
    assert identified.all()
    reference = precision_weighted(
        [tuple(part[0].tolist() for part in fit) for fit in (own, teams)]
    )
    for ours, theirs in zip((beta, sampling, identified), reference, strict=True):
        np.testing.assert_array_equal(ours[0], theirs)


def test_four_observations_fit_their_points_and_say_nothing_however_weighted():
    """Four teams, or a team of four with one's own weight 3: one intercept and
    three coefficients pass through the points, so the residual says nothing of
    the noise and the fit is not believed; five leave one to spare."""
    rng = np.random.default_rng(8)
    for seen, spare in ((4, False), (5, True)):
        for own in (1.0, 3.0):
            weight = np.ones((1, seen))
            weight[0, 0] = own
            evidence = rating_evidence.team_evidence(
                rng.normal(size=(1, seen)), rng.normal(size=(1, seen, 3)), weight
            )
            assert rating_evidence.spare_freedom(evidence)[0] == spare


@pytest.mark.parametrize("own", [1.0, 3.0])
def test_the_fits_noise_counts_members_not_their_weight(own):
    """The same team of eight seen with one's own rating weighing 1 or 3: the
    sampling variance is a weighted least-squares fit's, s²·(X′WX)⁻¹_jj, with s²
    the weighted residual sum of squares over 8 − 3 − 1 (members, coefficients,
    the review's intercept) however much one's own rating weighs, by hand."""
    rng = np.random.default_rng(31)
    members = 8
    rating, x = rng.normal(size=members), rng.normal(size=(members, 3))
    w = np.ones(members)
    w[0] = own
    beta, variance, identified = one_observer(rating, *x.T, weight=w)
    design = np.column_stack([np.ones(members), x])
    root = np.sqrt(w)[:, None]
    coefficients = np.linalg.lstsq(design * root, rating * root[:, 0], rcond=None)[0]
    residual = rating - design @ coefficients
    s2 = (w * residual**2).sum() / (members - 3 - 1)
    centred = x - (w[:, None] * x).sum(axis=0) / w.sum()
    spread = np.diag(np.linalg.inv(centred.T @ (w[:, None] * centred)))
    assert identified.all()
    np.testing.assert_allclose(beta, coefficients[1:], rtol=1e-10)
    np.testing.assert_allclose(variance, s2 * spread, rtol=1e-10)


def test_under_individual_evaluation_ones_own_team_still_sets_beliefs_apart(monkeypatch):
    """The same people at the same review, with and without what is heard of the
    teams: the standing, heard alike by all, moves beliefs towards its reading,
    and what each sees of its own team keeps them apart."""
    s = scenario(org__n_teams=12)
    nothing = np.zeros((s.org.n_teams * s.org.team_size, rating_evidence.EVIDENCE_SIZE))
    beliefs = {}
    for heard in (True, False):
        if not heard:
            monkeypatch.setattr(pb, "standing_seen", lambda *_, **__: nothing)
        model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
        wf, tally = model.workforce, model.tally
        wf.coupling_anchor[:] = 0.0
        rng = np.random.default_rng(9)
        score = rng.uniform(0.6, 1.2, wf.n)
        ratings = 0.6 * score + 0.5 * seen_work(tally, model.org) + rng.normal(0, 0.2, wf.n)
        learn_at_review(model, review_of(model, ratings, score), rng)
        assert wf.standing_evidence.any() == heard
        beliefs[heard] = wf.coupling_belief.copy()
    assert beliefs[True].std() > 0.01
    # more evidence: further from the anchor (0), towards the coupling (0.6)
    assert beliefs[True].mean() > beliefs[False].mean()


def test_noisy_evidence_leaves_the_belief_between_anchor_and_fit():
    """Ratings noisy around a coupling of 0.3: the less reliable the fit, the
    more the anchor shows; the anchor moves the belief less than one for one."""
    s = scenario()

    def noisy(score, work, rng):
        return 0.3 * score + 0.5 * work + rng.normal(0.0, 0.5, len(score))

    low, high = (settle_once(s, anchor, noisy).coupling_belief for anchor in (0.0, 1.0))
    assert np.all(high >= low)
    assert np.all(high - low < 1.0)
    assert (high - low).mean() > 0.01


def test_a_statement_moves_belief_and_anchor_and_discounts_old_evidence():
    s = scenario(comp__coupling=0.8)
    wf = market(s)
    wf.credibility[:] = 0.4
    wf.rating_evidence[:] = 1.0
    wf.coupling_belief[:] = 0.6  # learned; the anchor is still the market's prior
    prior = s.behaviour.coupling_prior
    stated = pb.announce(wf, pb.Statement.of(s), None)
    np.testing.assert_allclose(wf.coupling_anchor, prior + 0.4 * (0.8 - prior))
    np.testing.assert_allclose(wf.coupling_belief, 0.6 + 0.4 * (0.8 - 0.6))
    np.testing.assert_allclose(wf.rating_evidence, 0.6)
    # the same statement again is no news: old evidence keeps its weight
    pb.announce(wf, pb.Statement.of(s), stated)
    np.testing.assert_allclose(wf.rating_evidence, 0.6)
    # no statement of bad news: its anchor stays the prior
    np.testing.assert_array_equal(wf.bad_news_anchor, s.behaviour.bad_news_prior)


def test_in_a_cohort_a_stated_audit_rate_is_news_only_to_the_runs_that_stated_another():
    """Two runs' employees end to end: the first heard 0.2 before, the second 0.05."""
    s = scenario(judgment__audit_probability=0.2)
    wf = market(s)
    half = wf.n // 2
    wf.credibility[:] = 0.5
    wf.audit_belief[:] = 0.1
    before = stacking.statements(
        [pb.Statement.of(s), pb.Statement.of(scenario(judgment__audit_probability=0.05))],
        [half, wf.n - half],
    )
    assert before is not None
    assert pb.same_statement(before, pb.Statement.of(s))  # each run's own rate apart
    pb.announce(wf, pb.Statement.of(s), before)
    np.testing.assert_array_equal(wf.audit_belief[:half], 0.1)
    np.testing.assert_allclose(wf.audit_belief[half:], 0.1 + 0.5 * (0.2 - 0.1))
    alone = [stacking.give_statement(before, rows) for rows in (slice(0, half), slice(half, None))]
    assert [statement.audit_belief for statement in alone if statement] == [0.2, 0.05]


# -- decisions weigh the belief, not the policy ---------------------------------------
def test_the_same_people_sandbag_as_far_as_they_believe_scores_count():
    s = scenario(comp__coupling=0.3)
    model = mid_quarter(s, weeks=2)
    wf, policy = model.workforce, model.policy
    offers = {}
    for belief in (0.0, 0.8):
        wf.coupling_belief[:] = belief
        set_targets(wf, policy, manager_view=model.manager_view, last_reported=None)
        offers[belief] = (wf.offer / wf.expected).mean()
    assert offers[0.8] < offers[0.0]


def test_believing_in_judgment_makes_visibility_worth_more():
    s = scenario(comp__coupling=0.3)
    model = mid_quarter(s, weeks=3)
    wf, org, policy = model.workforce, model.org, model.policy
    visible = {}
    for belief in (0.0, 0.8):
        wf.coupling_belief[:] = belief
        outlook = attainment_outlook(wf, policy, model.week_in_quarter)
        per_output = value_per_output(wf, org, policy, outlook, model.public)
        allocate_effort(wf, org, policy, outlook, per_output, model.public)
        visible[belief] = wf.weights[:, 4].copy()
    assert np.all(visible[0.0] > visible[0.8])


# -- statements and credibility -------------------------------------------------------
def market(s: Scenario) -> Workforce:
    return Workforce.from_market(np.random.default_rng(6), s)


@pytest.mark.parametrize("credibility", [0.0, 0.4, 1.0])
def test_a_statement_moves_beliefs_by_credibility(credibility):
    s = scenario(comp__coupling=0.8, judgment__audit_probability=0.2)
    wf = market(s)
    wf.credibility[:] = credibility
    prior = s.behaviour.coupling_prior
    stated = pb.announce(wf, pb.Statement.of(s), None)
    np.testing.assert_allclose(wf.coupling_belief, prior + credibility * (0.8 - prior))
    np.testing.assert_allclose(
        wf.audit_belief, s.behaviour.audit_prior + credibility * (0.2 - s.behaviour.audit_prior)
    )
    np.testing.assert_array_equal(wf.ratchet_belief, 0.0)  # no commitment: nothing said
    # the same statement again is no news; a changed one is
    after = wf.coupling_belief.copy()
    stated = pb.announce(wf, pb.Statement.of(s), stated)
    np.testing.assert_array_equal(wf.coupling_belief, after)
    lower = s.with_overrides({"comp.coupling": 0.2})
    pb.announce(wf, pb.Statement.of(lower), stated)
    np.testing.assert_allclose(wf.coupling_belief, after + credibility * (0.2 - after))


def test_what_is_said_can_differ_from_what_is_done():
    honest = scenario(comp__coupling=0.8)
    said = honest.with_overrides({"comp.stated_coupling": 0.1})
    assert pb.Statement.of(said).coupling_belief == 0.1
    assert pb.Statement.of(honest).coupling_belief == 0.8
    promise = scenario(okr__target_rule="ratchet", okr__no_ratchet_commitment=True)
    broken = promise.with_overrides({"okr.commitment_kept": False})
    assert pb.Statement.of(promise).ratchet_belief == pb.Statement.of(broken).ratchet_belief == 0
    assert payoff_for(promise).ratchet_pull == 0.0
    assert payoff_for(broken).ratchet_pull == broken.okr.ratchet_strength


def test_newcomers_hear_what_is_stated_on_arrival():
    s = scenario(comp__coupling=0.8)
    wf = market(s)
    wf.coupling_belief[:] = 0.1  # what the people already here learned
    seats = np.zeros(wf.n, dtype=bool)
    seats[[0, 5]] = True
    wf.coupling_belief[seats] = s.behaviour.coupling_prior
    pb.announce(wf, pb.Statement.of(s), pb.Statement.of(s), seats=seats)
    cred = s.behaviour.credibility_prior
    prior = s.behaviour.coupling_prior
    np.testing.assert_allclose(wf.coupling_belief[seats], prior + cred * (0.8 - prior))
    np.testing.assert_array_equal(wf.coupling_belief[~seats], 0.1)


#: A statement, what was stated, and a value seen far from it (by more than
#: ``assumptions.statement_far``).
CHECKS = [("coupling_belief", {"comp.coupling": 0.3}, 0.3, 0.9), ("pull_belief", {}, 0.0, 1.0)]


@pytest.mark.parametrize(("name", "overrides", "held", "missed"), CHECKS)
def test_credibility_rises_when_statements_hold_and_falls_when_they_do_not(
    name, overrides, held, missed
):
    """The stated coupling against the fitted one; the stated pull (offers
    stand, self-set targets) against the pull seen in the team's targets."""
    s = scenario(**{k.replace(".", "__"): v for k, v in overrides.items()})
    stated = pb.Statement.of(s)
    assert getattr(stated, name) == held
    eta = s.behaviour.learning_rate
    result = {}
    for seen in (held, missed):
        wf = market(s)
        checked = {name: (np.full(wf.n, seen), np.ones(wf.n))}
        pb.update_credibility(wf, stated, checked, eta=eta, far=s.assumptions.statement_far)
        result[seen] = wf.credibility
    prior = s.behaviour.credibility_prior
    np.testing.assert_allclose(result[held], prior + eta * (1.0 - prior))  # agreement 1
    np.testing.assert_allclose(result[missed], prior + eta * (0.0 - prior))  # off by > FAR: 0
    # a statement one could not check moves nothing
    wf = market(s)
    unchecked = {name: (np.full(wf.n, missed), np.zeros(wf.n))}
    pb.update_credibility(wf, stated, unchecked, eta=eta, far=s.assumptions.statement_far)
    np.testing.assert_array_equal(wf.credibility, prior)


def test_credibility_checks_a_statement_only_where_it_was_made():
    """A cohort's statement may say something in one run and nothing in another:
    each employee's credibility moves as its run's alone would."""
    s = scenario()
    said, unsaid = (replace(pb.Statement.of(s), ratchet_belief=v) for v in (0.0, math.nan))
    wf = market(s)
    half = wf.n // 2
    both = replace(said, ratchet_belief=np.repeat([math.nan, 0.0], [half, wf.n - half]))
    checked = {"ratchet_belief": (np.full(wf.n, 0.9), np.ones(wf.n))}
    far, eta = s.assumptions.statement_far, s.behaviour.learning_rate
    alone = []
    for statement in (unsaid, said):
        one = market(s)
        pb.update_credibility(one, statement, checked, eta=eta, far=far)
        alone.append(one.credibility)
    pb.update_credibility(wf, both, checked, eta=eta, far=far)
    assert wf.credibility[:half].tobytes() == alone[0][:half].tobytes()
    assert wf.credibility[half:].tobytes() == alone[1][half:].tobytes()
    assert not np.array_equal(alone[0], alone[1])


@pytest.fixture(scope="module")
def promises():
    """A kept and a broken no-ratchet promise, the same people (3 paired seeds)."""
    kept = Scenario.from_toml(f"{SCENARIOS}/no_ratchet_commitment.toml").with_overrides(
        {"horizon.quarters": 6}
    )
    broken = kept.with_overrides({"okr.commitment_kept": False})
    seeds = replication_seeds(13, 3)
    return {
        name: [run(s, seed).quarterly.set_index("quarter") for seed in seeds]
        for name, s in (("kept", kept), ("broken", broken))
    }


def test_a_broken_promise_costs_credibility_and_a_kept_one_earns_it(promises):
    prior = Scenario().behaviour.credibility_prior
    for kept, broken in zip(promises["kept"], promises["broken"], strict=True):
        assert kept.loc[6, "credibility"] > prior > broken.loc[6, "credibility"]
        assert broken.loc[6, "ratchet_belief"] > kept.loc[6, "ratchet_belief"] + 0.2


# -- in a run ---------------------------------------------------------------------------
def test_beliefs_differ_across_people_after_a_run():
    s = scenario(okr__target_rule="ratchet", horizon__quarters=4)
    result = run(s, 3)
    last = result.employees[result.employees["quarter"] == 4]
    for name in ("coupling_belief", "bad_news_belief", "ratchet_belief", "audit_belief"):
        assert last[name].std() > 0.001, name
        assert result.quarterly.loc[3, f"{name}_sd"] > 0, name
    assert last["credibility"].std() > 0


def test_beliefs_carry_over_the_switch_and_move_by_credibility():
    s = Scenario.from_toml(f"{SCENARIOS}/decouple_in_year_two.toml")
    model = OKRModel(s, 4)
    for _ in range(4 * WEEKS_PER_QUARTER):
        model.step()
    wf = model.workforce
    before, credibility = wf.coupling_belief.copy(), wf.credibility.copy()
    assert before.std() > 0
    model.step()  # quarter 5 starts: the decoupling is announced
    np.testing.assert_allclose(wf.coupling_belief, before + credibility * (0.0 - before))


@pytest.fixture(scope="module")
def decoupling():
    """Coupling belief per quarter, 20 paired seeds: the decoupling announced, and made
    silently (a silent decoupling's fall is slow: over a quarter it is within the
    noise of 10 seeds, over eight it is within that of 10 but not of 20, at root
    seeds 21, 22 and 23)."""
    announced = Scenario.from_toml(f"{SCENARIOS}/decouple_in_year_two.toml")
    silent = announced.with_overrides({"comp.stated_coupling": 0.8})
    seeds = replication_seeds(21, 20)
    return {
        name: np.array([run(s, seed).quarterly["coupling_belief"].to_numpy() for seed in seeds])
        for name, s in (("announced", announced), ("silent", silent))
    }


def test_after_decoupling_the_belief_falls_by_what_is_believed_and_seen(decoupling):
    announced, silent = decoupling["announced"], decoupling["silent"]
    q = {quarter: quarter - 1 for quarter in range(1, 13)}  # quarter → column
    # announced: a step at the switch, by credibility (< 1): not down to 0 at once
    assert np.all(announced[:, q[5]] < announced[:, q[4]] - 0.3)
    assert np.all(announced[:, q[5]] > 0.05)
    # unannounced: only what is seen moves it, over several quarters
    mean = silent.mean(axis=0)
    assert mean[q[8]] < mean[q[5]]
    assert mean[q[12]] < mean[q[8]]
    assert paired_difference(pd.Series(silent[:, q[4]]), pd.Series(silent[:, q[12]])).ci_high < 0
    # the same people believe less in scores once told, every quarter after
    assert np.all(announced[:, q[5] :] < silent[:, q[5] :])


# -- an annual settlement is read against the year it settled on -------------------
@pytest.mark.parametrize("quarters_settled", [1, 4])
def test_the_fitted_mark_for_bad_news_has_the_sign_of_the_true_one(quarters_settled):
    """Ratings settle on the mean of the quarters' judgments, each marking that
    quarter's bad news by 0.2: the fit reads the year's bad news and work
    beside the year's rating, so quarterly and annual reviews both teach 0.2."""
    s = scenario(behaviour__peer_noise=0.0)
    model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
    wf, tally = model.workforce, model.tally
    rng = np.random.default_rng(8)
    score = rng.uniform(0.6, 1.2, wf.n)
    judged = []
    for quarter in range(1, 5):
        tally.raises[:] = rng.poisson(0.8, wf.n)
        tally.red_reports[:] = 0.0
        tally.seen_contribution[:] = rng.uniform(5.0, 15.0, wf.n)
        judged.append(0.5 * seen_work(tally, model.org) - 0.2 * bad_news(tally))
        settled = quarter % quarters_settled == 0
        ratings = 0.3 * score + np.mean(judged, axis=0)
        review = review_of(model, ratings, score, settled=settled)
        learn_at_review(model, review, rng)
        if settled:
            judged = []
    np.testing.assert_allclose(wf.bad_news_belief, 0.2, atol=1e-6)
    np.testing.assert_allclose(wf.coupling_belief, 0.3, atol=1e-6)
    np.testing.assert_array_equal(wf.unsettled_quarters, 0.0)  # emptied at settlement


# -- the impression of work is what can be seen -------------------------------------
def test_what_no_one_sees_does_not_move_beliefs():
    """The true contribution (valued at the team's real alignment) changes;
    what colleagues can see of it does not: the beliefs learned are the same."""
    beliefs = []
    for truth in (1.0, 3.0):
        s = scenario()
        model = mid_quarter(s, weeks=WEEKS_PER_QUARTER - 1)
        wf, tally = model.workforce, model.tally
        tally.contribution *= truth * np.linspace(0.5, 1.5, wf.n)
        rng = np.random.default_rng(9)
        score = rng.uniform(0.6, 1.2, wf.n)
        review = review_of(model, 0.4 * score + rng.normal(0.0, 0.1, wf.n), score)
        learn_at_review(model, review, rng)
        beliefs.append((wf.coupling_belief.copy(), wf.bad_news_belief.copy()))
    np.testing.assert_array_equal(beliefs[0][0], beliefs[1][0])
    np.testing.assert_array_equal(beliefs[0][1], beliefs[1][1])


# -- how targets are set is stated, not known ---------------------------------------
def test_candidates_from_the_market_expect_their_offer_to_stand():
    assigned = scenario(okr__target_rule="assigned", okr__assigned_stretch=1.3)
    wf = market(assigned)
    np.testing.assert_array_equal(wf.pull_belief, 0.0)
    np.testing.assert_array_equal(wf.ask_belief, 1.0)


@pytest.mark.parametrize(
    ("rule", "pull"), [("self_set", 0.0), ("negotiated", 0.6), ("assigned", 1.0)]
)
def test_newcomers_hear_the_stated_pull_and_ask_by_credibility(rule, pull):
    s = scenario(okr__target_rule=rule, okr__negotiation_pressure=0.6, okr__assigned_stretch=1.3)
    stated = pb.Statement.of(s)
    assert stated.pull_belief == pull == payoff_for(s).manager_pull
    assert stated.ask_belief == 1.3
    wf = market(s)
    wf.pull_belief[:] = 0.25  # what the people already here learned
    seats = np.zeros(wf.n, dtype=bool)
    seats[[1, 7]] = True
    wf.pull_belief[seats] = 0.0  # the newcomers' market prior
    wf.ask_belief[seats] = 1.0
    pb.announce(wf, pb.Statement.of(s), stated, seats=seats)
    cred = s.behaviour.credibility_prior
    np.testing.assert_allclose(wf.pull_belief[seats], cred * pull)
    np.testing.assert_allclose(wf.ask_belief[seats], 1.0 + cred * 0.3)
    np.testing.assert_array_equal(wf.pull_belief[~seats], 0.25)


def test_a_changed_target_rule_is_heard_and_without_okrs_nothing_is_said():
    self_set = scenario(okr__target_rule="self_set")
    assigned = self_set.with_overrides({"okr.target_rule": "assigned"})
    wf = market(self_set)
    wf.credibility[:] = 0.5
    stated = pb.announce(wf, pb.Statement.of(self_set), None)
    np.testing.assert_array_equal(wf.pull_belief, 0.0)
    pb.announce(wf, pb.Statement.of(assigned), stated)
    np.testing.assert_allclose(wf.pull_belief, 0.5)
    none = pb.Statement.of(self_set.with_overrides({"okr.enabled": False}))
    assert np.isnan(none.pull_belief)
    assert np.isnan(none.ask_belief)


def test_the_first_quarters_targets_follow_the_stated_rule_as_far_as_it_is_believed():
    s = scenario(okr__target_rule="assigned", behaviour__credibility_prior=0.8)
    model = OKRModel(s, 2)
    model.step()  # the first quarter starts: the policy is stated
    np.testing.assert_allclose(model.workforce.pull_belief, 0.8)
