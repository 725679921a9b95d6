"""Quarter review: scores, judged ratings, ratings and pay.

Measured attainment is reported output over target (a shared key result is
graded on both owners' results); the formula score is the bonus curve of it —
of one's own attainment, the team's, or one's band among peers under a
forced distribution, plus any credit the formula gives for the target stated
against the manager's estimate.  Judgment is the manager's view of the quarter: true
contribution seen through observation noise, help given, raised blockers and
bad news, ambition against the manager's estimate, reported attainment as
context, and inflation caught by audits.  The rating blends the two by the
coupling weight; annual reviews settle on the year's mean of both.

docs/ODD.md §7.8 (quarter review).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from okrsim import portable
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Figure, Organisation, PublicFigures, as_figure
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array
from okrsim.policies.rating import (
    forced_distribution,
    judged_reach,
    rank_bands,
    rating,
    relative_to_mean,
)


@dataclass
class YearBook:
    """Scores and judgments awaiting an annual settlement, and the rating in force."""

    last_rating: Array
    scores: list[Array] = field(default_factory=list)
    judged: list[Array] = field(default_factory=list)

    def forget(self, seats: Array, org: Organisation) -> None:
        """A newcomer takes these seats: it starts on the average rating, with no record."""
        average = np.broadcast_to(org.overall(np.mean, self.last_rating), seats.shape)
        self.last_rating[seats] = average[seats]
        for quarter in (*self.scores, *self.judged):
            quarter[seats] = np.nan


@dataclass(frozen=True)
class Review:
    """One quarter's review: what was measured, judged and rated, per employee."""

    measured: Array  # measured attainment per key result, shape (n, k)
    true_attainment: Array  # true attainment per key result, shape (n, k)
    score: Array  # formula score
    judgment: Judgment  # judged rating and how judgment worked
    ratings: Array  # the rating in force after this review
    settled: bool  # whether this review settled ratings and pay
    settled_score: Array  # the score the rating settled on (the year's mean if annual)


def stated_ambition(wf: Workforce, manager_view: Array) -> Array:
    """Each employee's targets against the manager's estimate of its output,
    ``τ̂``, the mean over its key results (1 where no target is set)."""
    return np.nan_to_num(wf.target * wf.par / manager_view, nan=1.0).mean(axis=1)


def measured_scores(
    wf: Workforce, org: Organisation, policy: InForce, manager_view: Array
) -> tuple[Array, Array, Array]:
    """Measured and true attainment per key result and each employee's formula score.

    The score is the curve's, plus the formula's credit for the target
    stated, ``κ·(τ̂ − 1)`` (``comp.target_credit``; 0 by default).
    """
    p = policy.payoff
    if not policy.scenario.okr.enabled:
        nan = np.full((wf.n, org.krs), np.nan)
        return nan, nan, np.zeros(wf.n)
    target = wf.target * wf.par
    measured = wf.reported / target
    true_att = wf.produced / target
    team_measured = org.team_total(measured.mean(axis=1)) / org.team_size
    shared_partner = team_measured[np.maximum(org.upstream[org.team], 0)]
    # A shared key result is graded on both owners' results.
    graded = np.where(org.shared, 0.5 * measured + 0.5 * shared_partner[:, None], measured)
    own_score = policy.absolute_curve(graded).mean(axis=1)
    team_score = policy.absolute_curve(org.team_mean(graded.mean(axis=1)))
    if p.rank_weight > 0:
        bands = rank_bands(policy.scenario.comp)
        score = forced_distribution(graded.mean(axis=1), wf.team, bands=bands)
    elif p.team_weight > 0:
        score = team_score
    else:
        score = own_score
    score = score + p.target_credit * (stated_ambition(wf, manager_view) - 1.0)
    return measured, true_att, score


@dataclass(frozen=True)
class Judgment:
    """The quarter's judged ratings, and how judgment was seen to work."""

    judged: Array  # judged rating per employee (rating units)
    seen_weight: Figure  # share of a contribution difference reaching ratings by observation
    reported_weight: Figure  # ... by reported OKR results
    judged_sd: Figure  # sd of judged ratings around contribution (rating units)


def okr_measure(reported: Array, org: Organisation, alignment: float, seen: Array) -> Array:
    """Each employee's contribution as reported results tell it: its reported
    key-result output at the strategy's stated alignment, and the rest at its
    team's mean of what the manager saw beyond reported output.

    One's own report is in that team mean too, so a unit of it moves one's
    measure by ``alignment·(1 − 1/N)``: what the report choice and booking
    expect judgment's reading of reports to credit (:mod:`okrsim.model.check_in`,
    :mod:`okrsim.model.booking`).
    """
    reported_value = alignment * reported.sum(axis=1)
    return reported_value + org.team_mean(seen - reported_value)


def own_report_share(team_size: int) -> float:
    """How much of a unit of one's own reported value reaches one's own
    :func:`okr_measure`: ``1 − 1/N``."""
    return 1.0 - 1.0 / team_size


def okr_signal(
    wf: Workforce, org: Organisation, policy: InForce, seen: Array, noise_var: Figure
) -> tuple[Array, Figure, Figure, Figure]:
    """Observation and reported OKR results combined as two signals of contribution.

    Reported key-result output, valued at the strategy's alignment, is the
    key-result part of contribution; the rest is taken at the team's mean of
    what the manager saw beyond it.  How informative reports are is judged
    from how far they disagree with observation across the organisation:
    ``var(okr − seen) − var(noise)`` is the reports' own error.  The two are
    combined with inverse-variance weights (the manager as a Bayesian;
    Baker, Gibbons & Murphy 1994's objective and subjective measures as
    complements).  Returns the combined signal, its noise variance and the
    two weights.
    """
    okr = okr_measure(wf.reported, org, policy.scenario.env.alignment, seen)
    okr_var = np.maximum(org.overall(np.var, okr - seen) - noise_var, 1e-9)
    precision_seen, precision_okr = 1.0 / np.maximum(noise_var, 1e-9), 1.0 / okr_var
    w_seen = precision_seen / (precision_seen + precision_okr)
    combined = w_seen * seen + (1.0 - w_seen) * okr
    return combined, 1.0 / (precision_seen + precision_okr), w_seen, 1.0 - w_seen


def judge(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    measured: Array,
    *,
    manager_view: Array,
    leniency: Array,
    seen_noise: Array,
) -> Judgment:
    """Each manager's judged rating of each report for the quarter.

    The manager sees the quarter's contribution as the organisation can value
    it — goal-directed work at the strategy's stated alignment, since no one
    sees a team's priority error; exploration by its promise and its outcome
    as far as ``judgment.failure_tolerance`` forgives a failed bet (work.py) —
    its last weeks weighing more (recency), through noise of sd
    ``observation_noise·(1 − accuracy)`` a week in output units, per week the
    seat was filled (a newcomer is judged on its own weeks);
    under ``use_okr_context`` reported results are a second signal.  It
    shrinks what it saw towards the mean as far as the noise makes it doubt it
    (``var(true)/(var(true) + var(noise))``).  Time spent making work visible
    adds to the impression unshrunk (a halo; Milgrom 1988's influence).
    Rater effects: each manager's lasting leniency and a pull towards the
    team's mean (centrality); idiosyncratic rater effects are the largest part
    of rating variance (Scullen, Mount & Goff 2000; the sizes are
    assumptions).
    """
    s, p, j, krs = policy.scenario, policy.payoff, policy.scenario.judgment, policy.krs
    t = tally
    weekly_noise = policy.value("judgment.observation_noise") * (
        1.0 - policy.value("judgment.accuracy")
    )
    noise_sd = weekly_noise * np.sqrt(WEEKS_PER_QUARTER)  # over a full quarter
    # a quarter's worth of what the manager saw while the seat was filled
    # (a newcomer is judged on its own weeks, not on the vacancy before it)
    present = np.maximum(t.weeks_present, 1.0)
    seen_sum = t.seen_contribution + weekly_noise * np.sqrt(present) * seen_noise
    seen = seen_sum * (WEEKS_PER_QUARTER / present)
    # the yardstick: what a typical seat was seen to contribute, while it stands
    # out of the spread of what seats were seen to contribute (and is at least 1,
    # like the public value scale); else differences in units of that spread
    seen_mean = org.overall(np.mean, seen)
    seen_spread = np.maximum(org.overall(np.std, seen), 1.0)
    mean_contribution = np.maximum(seen_mean, seen_spread)
    noise_var: Figure = noise_sd * noise_sd
    w_seen: Figure = 1.0
    w_reported: Figure = 0.0
    if j.use_okr_context and s.okr.enabled:
        seen, noise_var, w_seen, w_reported = okr_signal(wf, org, policy, seen, noise_var)
    true_var = np.maximum(org.overall(np.var, seen) - noise_var, 1e-9)
    shrink = true_var / (true_var + noise_var)
    centre = org.overall(np.mean, seen)
    estimate = centre + shrink * (seen - centre)
    registered = WEEKS_PER_QUARTER * policy.value("judgment.influence_saturation")
    halo = (
        policy.value("judgment.influence_return")
        * registered
        * -portable.expm1(-t.visible_time / registered)
    )
    mean_help = np.maximum(org.overall(np.mean, t.help_given), 1e-9)
    # ambition as the manager sees it: the target against the manager's estimate
    tau = stated_ambition(wf, manager_view)
    shortfall = np.nan_to_num(np.maximum(1.0 - measured, 0.0)).mean(axis=1)
    bad_news = t.raises + t.red_reports / WEEKS_PER_QUARTER
    judged = (
        relative_to_mean(estimate + halo, seen_mean, seen_spread, weight=p.contribution_weight)
        + p.each("help_weight") * t.help_given / mean_help
        + (
            policy.value("judgment.risk_weight") * t.raises
            - policy.value("judgment.blocker_penalty") * bad_news
        )
        / krs
        + p.each("ambition_weight")
        * ((tau - 1.0) - (1.0 - p.each("failure_tolerance")) * shortfall)
        - p.each("inflation_penalty") * t.caught  # the judged part bears it
    )
    team_mean = org.team_mean(judged)
    central = policy.value("judgment.centrality")
    judged = team_mean + (1.0 - central) * (judged - team_mean) + leniency[org.team]
    # what reaches one's own rating of a change in one's own judged score; a
    # report alone moves no team's mean of the OKR measure (okr_measure: one's
    # own up by (1 - 1/N) of it, each teammate's down by 1/N), so the pull
    # passes 1 - centrality of it
    reach = judged_reach(central, org.team_size)
    weight = p.contribution_weight * shrink * reach / mean_contribution
    return Judgment(
        judged=judged,
        seen_weight=as_figure(shrink * w_seen * reach),
        reported_weight=as_figure(shrink * w_reported * (1.0 - central)),
        # a manager's leniency lasts: after the first review it is no uncertainty
        judged_sd=as_figure(weight * np.sqrt(noise_var)),
    )


def review(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    year: YearBook,
    *,
    manager_view: Array,
    leniency: Array,
    seen_noise: Array,
    quarter: int,
    n_quarters: int,
) -> Review:
    """Score, judge and (at a settlement) rate every employee."""
    p = policy.payoff
    measured, true_att, score = measured_scores(wf, org, policy, manager_view)
    judgment = judge(
        wf,
        org,
        policy,
        tally,
        measured,
        manager_view=manager_view,
        leniency=leniency,
        seen_noise=seen_noise,
    )
    # Annual reviews settle on the year's mean score and judgment.
    year.scores.append(score)
    year.judged.append(judgment.judged)
    settle = quarter % p.settlement_quarters == 0 or quarter == n_quarters
    settled_score = score
    if settle:
        # a seat's newcomer is settled on its own quarters (others were blanked)
        settled_score = np.nanmean(year.scores, axis=0)
        ratings = rating(settled_score, np.nanmean(year.judged, axis=0), coupling=p.coupling)
        year.scores, year.judged = [], []
        year.last_rating = ratings
    else:
        ratings = year.last_rating
    return Review(measured, true_att, score, judgment, ratings, settle, settled_score)


def refresh_public_figures(
    public: PublicFigures, review: Review, tally: Tally, org: Organisation, *, okrs_enabled: bool
) -> None:
    """The organisation-wide figures everyone weighs next quarter's choices against."""
    if okrs_enabled:
        # ranks are by each employee's mean attainment: its spread is what
        # one is ranked against
        per_person = review.measured.mean(axis=1)
        spread = np.maximum(org.overall(np.std, per_person), 0.02)
        public.peer_attainment = (org.overall(np.mean, per_person), as_figure(spread))
    # the contribution judgment saw (at the strategy's stated alignment), not
    # the true value, which no one in the organisation sees
    public.value_scale = as_figure(np.maximum(org.overall(np.mean, tally.seen_contribution), 1.0))
    public.help_scale = as_figure(np.maximum(org.overall(np.mean, tally.help_given), 0.05))
    public.seen_weight = review.judgment.seen_weight
    public.reported_weight = review.judgment.reported_weight
    public.judged_sd = review.judgment.judged_sd
