"""Reading ratings: each observer's evidence of how ratings moved, and its fit.

An employee who wants to know how its rating is made can only read the
ratings it sees against what it sees beside them — formula scores, bad
news, an impression of the work — in its own team and in the teams'
standing.  This module says what is seen, keeps it as weighted
least-squares sums per observer, fits it, and says how far a fit is worth
believing; :mod:`okrsim.model.policy_beliefs` turns the fits into
beliefs.

docs/ODD.md §7.13 (beliefs about the policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array
from okrsim.policies.rating import relative_to_mean

if TYPE_CHECKING:  # they import the workforce, which imports this module's layout
    from okrsim.model.organisation import Organisation
    from okrsim.model.quarter_review import Review
    from okrsim.model.tally import Tally

#: What ratings are read against: score, bad news, work.
RATING_REGRESSORS = 3
#: Evidence kept per employee (averages of Σw·xxᵀ, Σw·xy, Σw·y², Σw, observations, reviews).
EVIDENCE_SIZE = RATING_REGRESSORS**2 + RATING_REGRESSORS + 4

P = RATING_REGRESSORS
#: Layout of ``Workforce.rating_evidence`` and ``standing_evidence``:
#: Σw·xxᵀ, Σw·xy, Σw·y², Σw, observations (members or teams seen, unweighted), reviews.
_XX, _XY, _YY = slice(0, P * P), slice(P * P, P * P + P), P * P + P
_W, _N, _Q = P * P + P + 1, P * P + P + 2, -1


def team_evidence(rating: Array, regressors: Array, weight: Array) -> Array:
    """One review's evidence per observer, shape (n, :data:`EVIDENCE_SIZE`).

    ``rating`` (n, m): the ratings observer i saw of the m members of its
    team (or, for the teams' standing, one row per organisation and one
    column per team); ``regressors`` (n, m, P): what it saw beside them;
    ``weight`` (n, m), how much each counts (one's own more; read as precisions,
    :func:`fit_evidence`), and counted as one observation each.  Both sides are
    centred on the review's weighted means (an intercept per review absorbs
    the team's level that quarter: leniency, the rating scale).
    """
    total = weight.sum(axis=1)
    w = weight / np.maximum(total, 1e-300)[:, None]
    # sums written out, not einsum or BLAS, whose order of adding depends on the CPU
    x = regressors - (w[:, :, None] * regressors).sum(axis=1)[:, None, :]
    y = rating - (w * rating).sum(axis=1, keepdims=True)
    wx = weight[:, :, None] * x
    return np.column_stack(
        [
            (wx[:, :, :, None] * x[:, :, None, :]).sum(axis=1).reshape(len(y), P * P),
            (wx * y[:, :, None]).sum(axis=1),
            (weight * y * y).sum(axis=1),
            total,
            (weight > 0).sum(axis=1).astype(float),
            (total > 0).astype(float),
        ]
    )


def bad_news(tally: Tally) -> Array:
    """Pieces of bad news each brought this quarter: raised blockers, plus red
    reports counted so that a key result red all quarter is one piece."""
    return tally.raises + tally.red_reports / WEEKS_PER_QUARTER


def seen_work(tally: Tally, org: Organisation) -> Array:
    """The impression of each one's work a colleague can form: what it was seen
    to contribute per week in its seat (at the strategy's stated alignment,
    recent weeks weighing more, as a manager sees it), over the organisation's mean."""
    per_week = tally.seen_contribution / np.maximum(tally.weeks_present, 1.0)
    return relative_to_mean(
        per_week, org.overall(np.mean, per_week), np.maximum(org.overall(np.std, per_week), 1e-9)
    )


def standing_seen(
    org: Organisation,
    review: Review,
    news: Array,
    work: Array,
    present: Array,
    *,
    noise: Array,
    peer_sd: float | Array,
) -> Array:
    """One review's evidence of the teams' standing, per employee: each team of
    its organisation as one observation (:func:`team_evidence`'s layout).

    Each team's mean score (the score its ratings settled on) is public, as
    OKR tools show it, and the bad news its members brought is on record;
    its mean rating and the mean impression of its work are heard as the
    mean of its members', each heard as a teammate's: through noise of sd
    ``peer_sd``/√k over its k members present (assumptions).  What is heard
    of a team is heard alike across the organisation (``noise``, 2 × teams
    standard normals: rating, then work).  ``news`` and ``work`` are per
    employee, averaged over the quarters the review settles; a team none of
    whom was present weighs 0.
    """
    m, teams = org.team_size, org.n_teams // org.runs
    here = present.astype(float)
    count = org.team_total(here)

    def mean(x: Array) -> Array:
        return org.team_total(x * here) / np.maximum(count, 1.0)

    # each team's members share a run, and so its peer noise
    blur = np.broadcast_to(peer_sd, (org.n, 1))[::m, 0] / np.sqrt(np.maximum(count, 1.0))
    rating = mean(review.ratings) + blur * noise[0]
    regressors = np.stack(
        [mean(review.settled_score), mean(news), mean(work) + blur * noise[1]], axis=-1
    )
    weight = (count > 0).astype(float)
    # one observer per organisation (organisations stacked end to end), its evidence everyone's
    by_run = team_evidence(
        rating.reshape(org.runs, teams),
        regressors.reshape(org.runs, teams, -1),
        weight.reshape(org.runs, teams),
    )
    return by_run[org.team // teams]


def remember(evidence: Array, seen: Array, gain: ArrayLike) -> Array:
    """Evidence after a review: ``(1 − η)·E + η·seen``, constant-gain least
    squares (Evans & Honkapohja 2001); at ``η = 1`` exactly this review's."""
    return (1.0 - np.asarray(gain)) * evidence + np.asarray(gain) * seen


def fit_evidence(evidence: Array) -> tuple[Array, Array, Array]:
    """Each observer's weighted least-squares fit of ratings on what it saw.

    Fits ``rating = a_q + Σ β_j x_j`` (an intercept per review) to the
    evidence.  Returns ``β`` (n, P), each coefficient's sampling variance
    ``s²·(X'WX)⁻¹_jj`` (s² the residual variance: how much the evidence can
    say), and whether each coefficient could be told apart: a regressor that
    never varied, or moved exactly with the others, is not identified.

    The weights are read as precisions, so s² is the weighted residual sum
    of squares over observations − P − reviews, the observations counted
    unweighted: one's own rating, however much it counts, is one draw of
    the noise.
    """
    n = len(evidence)
    xtx = evidence[:, _XX].reshape(n, P, P)
    xty, yty, total = evidence[:, _XY], evidence[:, _YY], evidence[:, _W]
    variance = np.diagonal(xtx, axis1=1, axis2=2) / np.maximum(total, 1e-300)[:, None]
    varies = variance > 1e-10
    # a regressor that does not vary is left out (its row and column replaced)
    eye = np.eye(P, dtype=bool)[None]
    both = varies[:, :, None] & varies[:, None, :]
    xtx = np.where(both, xtx, np.where(eye, 1.0, 0.0))
    xty = np.where(varies, xty, 0.0)
    # a ridge of 10⁻¹² of each regressor's own Σw·x²: whether a regressor is
    # told apart from the others does not depend on the units of another
    ridge = 1e-12 * np.diagonal(xtx, axis1=1, axis2=2)
    inverse, invertible = _inverse(xtx + ridge[:, :, None] * eye, ridge)
    beta = _in_order(inverse * xty[:, None, :])
    spread = np.diagonal(inverse, axis1=1, axis2=2)  # 0 where not invertible
    # the variance a regressor has beyond what the others explain, 1/(X'WX)⁻¹_jj
    beyond = 1.0 / np.maximum(spread, 1e-300)
    identified = varies & invertible[:, None] & (beyond > 1e-6 * total[:, None] * variance)
    rss = np.maximum(yty - _in_order(beta * xty), 0.0)
    noise = rss / np.maximum(evidence[:, _N] - P - evidence[:, _Q], 1.0)
    return beta, np.where(invertible[:, None], noise[:, None] * spread, np.inf), identified


def believed_fit(*parts: Array) -> tuple[Array, Array, Array]:
    """The fit of ratings an observer believes, from independent parts of its
    evidence (its own team's, the teams' standing): each part fitted
    (:func:`fit_evidence`), believed only with a residual degree of freedom
    to spare (:func:`spare_freedom`), and the parts weighed by their
    precision (:func:`precision_weighted`)."""
    fits = []
    for evidence in parts:
        beta, sampling, identified = fit_evidence(evidence)
        fits.append((beta, sampling, identified & spare_freedom(evidence)[:, None]))
    return precision_weighted(tuple(fits))


def spare_freedom(evidence: Array) -> Array:
    """Whether evidence has a residual degree of freedom to spare: observations
    (members or teams seen, however weighted) − P − reviews ≥ 1 over what
    memory holds.  A review with no more observations than coefficients and
    an intercept passes through its points, and its residual says nothing
    of the noise; over several reviews the count is of discounted
    observations (four pass from their second review on at η ≤ 2/3)."""
    return evidence[:, _N] - P - evidence[:, _Q] >= 1.0


def precision_weighted(
    fits: tuple[tuple[Array, Array, Array], ...],
) -> tuple[Array, Array, Array]:
    """Each coefficient as the precision-weighted mean of the fits that identify it.

    ``fits`` are :func:`fit_evidence`'s answers from independent comparisons
    (one's own team, the teams' standing), each its own regression with its
    own controls.  Coefficient by coefficient, the estimates are averaged
    with weights 1/v (v the sampling variance), and the average's sampling
    variance is 1/Σ(1/v): two independent estimates of one quantity combined
    as a Bayesian would.  The fits are not pooled into one regression, which
    would read one rule into both where judgment's pull towards a team's mean
    makes the coefficients on work differ within and between teams.  A
    coefficient only one fit identifies is that fit's; an estimate with no
    sampling variance is taken alone; one no fit identifies keeps the first
    fit's numbers, marked not identified.
    """
    betas = np.stack([np.asarray(f[0], dtype=float) for f in fits])
    variances = np.stack([np.asarray(f[1], dtype=float) for f in fits])
    known = np.stack([np.asarray(f[2], dtype=bool) for f in fits])
    counted = known.sum(axis=0)
    exact = known & (variances <= 0.0)
    # the first exact estimate, else the first identified one, else the first fit's
    first = np.argmax(np.where(exact.any(axis=0), exact, known), axis=0)
    beta = np.take_along_axis(betas, first[None], axis=0)[0]
    sampling = np.take_along_axis(variances, first[None], axis=0)[0]
    blend = (counted > 1) & ~exact.any(axis=0)
    precision = np.where(known & blend, 1.0 / np.where(known & blend, variances, 1.0), 0.0)
    total = np.maximum(_in_order(np.moveaxis(precision, 0, -1)), 1e-300)
    mean = _in_order(np.moveaxis(precision * betas, 0, -1)) / total
    return (
        np.where(blend, mean, beta),
        np.where(blend, 1.0 / total, sampling),
        counted > 0,
    )


def _in_order(terms: Array) -> Array:
    """Sums over the last axis, added first to last (as the reference model
    adds them; numpy's reduction may pair them otherwise)."""
    total = terms[..., 0]
    for j in range(1, terms.shape[-1]):
        total = total + terms[..., j]
    return total


def _inverse(matrices: Array, ridge: Array) -> tuple[Array, Array]:
    """Inverses of 3×3 matrices (n, 3, 3) that are positive semi-definite
    plus ``ridge`` (n, 3) on the diagonal, from their LDLᵀ factors, and which
    could be inverted (every pivot above 0, false only for a NaN; the others'
    inverses are 0).

    ``A = L·D·Lᵀ``, ``L`` unit lower triangular, so ``A⁻¹ = Σ_k m_k·m_kᵀ / d_k``
    with ``m_k`` the rows of ``L⁻¹``.  A pivot ``d_k`` is the variance of
    regressor k beyond what the ones before it explain (plus its ridge),
    found to about the rounding of the matrix's entries (the factorisation is
    backward stable for such matrices without pivoting), so regressors that
    move together leave a pivot of the ridge's size and a huge inverse, as
    LAPACK's would; a determinant from cofactors is lost in rounding there.
    In exact arithmetic no pivot is below its ridge, so one that rounding
    took below it (evidence a hair from singular) is raised to it.  Written
    out so that every CPU gives the same bits (LAPACK's kernels are chosen by
    the CPU); ``RATING_REGRESSORS`` is 3.
    """
    a = matrices
    # every pivot is at least its ridge (> 0), so only a NaN can leave one at 0 or below
    d1 = np.maximum(a[:, 0, 0], ridge[:, 0])
    l21, l31 = a[:, 1, 0] / d1, a[:, 2, 0] / d1
    d2 = np.maximum(a[:, 1, 1] - l21 * a[:, 1, 0], ridge[:, 1])
    e32 = a[:, 2, 1] - l31 * a[:, 1, 0]
    l32 = e32 / d2
    d3 = np.maximum(a[:, 2, 2] - l31 * a[:, 2, 0] - l32 * e32, ridge[:, 2])
    invertible = (d1 > 0.0) & (d2 > 0.0) & (d3 > 0.0)
    zero, one = np.zeros_like(d1), np.ones_like(d1)
    rows = (
        (np.stack([one, zero, zero], axis=1), d1),
        (np.stack([-l21, one, zero], axis=1), d2),
        (np.stack([l21 * l32 - l31, -l32, one], axis=1), d3),
    )
    (m1, p1), (m2, p2), (m3, p3) = (
        (m[:, :, None] * m[:, None, :], pivot[:, None, None]) for m, pivot in rows
    )
    inverse = m1 / p1 + m2 / p2 + m3 / p3
    return np.where(invertible[:, None, None], inverse, 0.0), invertible


def fit_ratings(rating: Array, regressors: Array, weight: Array) -> tuple[Array, Array, Array]:
    """:func:`fit_evidence` of one review's :func:`team_evidence`."""
    return fit_evidence(team_evidence(rating, regressors, weight))


def reliability(sampling_variance: Array, belief_variance: float) -> Array:
    """How far a fit is worth believing: ``τ²/(τ² + v)``.

    The Kalman gain of a belief held with variance ``τ²`` (here the spread of
    a belief with no information, even over its range: ``range²/12``) seeing
    an estimate of sampling variance ``v``: a clean fit counts fully, a
    handful of noisy observations little (the Bayesian observer; assumption).
    """
    return belief_variance / (belief_variance + sampling_variance)
