"""Quarter review: scores, judged ratings, ratings and pay.

Measured attainment is reported output over target (a shared key result is
graded on both owners' results); the formula score is the bonus curve of it —
of one's own attainment, the team's, or one's band among peers under a
forced distribution.  Judgment is the manager's view of the quarter: true
contribution seen through observation noise, help given, raised blockers and
bad news, ambition against the manager's estimate, reported attainment as
context, and inflation caught by audits.  The rating blends the two by the
coupling weight; annual reviews settle on the year's mean of both.

docs/ODD.md §7.7 (quarter review).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array
from okrsim.policies.rating import forced_distribution, rating


@dataclass
class YearBook:
    """Scores and judgments awaiting an annual settlement, and the rating in force."""

    last_rating: Array
    scores: list[Array] = field(default_factory=list)
    judged: list[Array] = field(default_factory=list)


@dataclass(frozen=True)
class Review:
    """One quarter's review: what was measured, judged and rated, per employee."""

    measured: Array  # measured attainment per key result, shape (n, k)
    true_attainment: Array  # true attainment per key result, shape (n, k)
    score: Array  # formula score
    judged: Array  # judged rating
    ratings: Array  # the rating in force after this review
    settled: bool  # whether this review settled ratings and pay


def measured_scores(
    wf: Workforce, org: Organisation, policy: InForce
) -> tuple[Array, Array, Array]:
    """Measured and true attainment per key result and each employee's formula score."""
    p = policy.payoff
    if not policy.scenario.okr.enabled:
        nan = np.full((wf.n, org.krs), np.nan)
        return nan, nan, np.zeros(wf.n)
    target = wf.target * wf.par
    measured = wf.reported / target
    true_att = wf.progress / target
    team_measured = org.team_total(measured.mean(axis=1)) / org.team_size
    shared_partner = team_measured[np.maximum(org.upstream[org.team], 0)]
    # A shared key result is graded on both owners' results.
    graded = np.where(org.shared, 0.5 * measured + 0.5 * shared_partner[:, None], measured)
    own_score = policy.absolute_curve(graded).mean(axis=1)
    team_score = policy.absolute_curve(org.team_mean(graded.mean(axis=1)))
    if p.rank_weight > 0:
        score = forced_distribution(graded.mean(axis=1), wf.team)
    elif p.team_weight > 0:
        score = team_score
    else:
        score = own_score
    return measured, true_att, score


def judge(
    wf: Workforce,
    policy: InForce,
    tally: Tally,
    measured: Array,
    *,
    manager_view: Array,
    rng: np.random.Generator,
) -> Array:
    """Each manager's judged rating of each report for the quarter.

    The manager sees true contribution (exploration by its promise, not its
    luck) through observation noise whose sd is half of (1 − accuracy) of the
    mean contribution (idiosyncratic rater effects are large; Scullen, Mount &
    Goff 2000; the scale is an assumption).
    """
    s, p, krs = policy.scenario, policy.payoff, policy.krs
    t = tally
    mean_contribution = max(float(t.contribution.mean()), 1e-9)
    noise = rng.normal(0.0, 0.5 * (1.0 - p.accuracy), wf.n)
    seen = t.contribution + noise * mean_contribution
    mean_help = max(float(t.help_given.mean()), 1e-9)
    # ambition as the manager sees it: the target against the manager's estimate
    tau = np.nan_to_num(wf.target * wf.par / manager_view, nan=1.0).mean(axis=1)
    shortfall = np.nan_to_num(np.maximum(1.0 - measured, 0.0)).mean(axis=1)
    bad_news = t.raises + t.red_reports / WEEKS_PER_QUARTER
    return (
        p.contribution_weight * seen / mean_contribution
        + p.help_weight * t.help_given / mean_help
        + (p.risk_weight * t.raises - s.judgment.blocker_penalty * bad_news) / krs
        + p.ambition_weight * ((tau - 1.0) - (1.0 - p.failure_tolerance) * shortfall)
        + p.context_weight * np.nan_to_num(measured.mean(axis=1))
        - p.inflation_penalty * t.caught  # the judged part bears it
    )


def review(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    year: YearBook,
    *,
    manager_view: Array,
    rng: np.random.Generator,
    quarter: int,
    n_quarters: int,
) -> Review:
    """Score, judge and (at a settlement) rate every employee."""
    s, p = policy.scenario, policy.payoff
    measured, true_att, score = measured_scores(wf, org, policy)
    judged = judge(wf, policy, tally, measured, manager_view=manager_view, rng=rng)
    # Annual reviews settle on the year's mean score and judgment.
    year.scores.append(score)
    year.judged.append(judged)
    settle = s.comp.review_cadence == "quarterly" or quarter % 4 == 0 or quarter == n_quarters
    if settle:
        ratings = rating(
            np.mean(year.scores, axis=0), np.mean(year.judged, axis=0), coupling=p.coupling
        )
        year.scores, year.judged = [], []
        year.last_rating = ratings
    else:
        ratings = year.last_rating
    return Review(measured, true_att, score, judged, ratings, settle)


def refresh_public_figures(
    public: PublicFigures, review: Review, tally: Tally, *, okrs_enabled: bool
) -> None:
    """The organisation-wide figures everyone weighs next quarter's choices against."""
    if okrs_enabled:
        # ranks are by each employee's mean attainment: its spread is what
        # one is ranked against
        per_person = review.measured.mean(axis=1)
        public.peer_attainment = (float(per_person.mean()), max(float(per_person.std()), 0.02))
    public.value_scale = max(float(tally.contribution.mean()), 1.0)
    public.help_scale = max(float(tally.help_given.mean()), 0.05)
