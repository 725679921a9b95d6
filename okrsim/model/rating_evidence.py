"""Reading ratings: each observer's evidence of how ratings moved, and its fit.

An employee who wants to know how its rating is made can only read the
ratings it sees against what it sees beside them — formula scores, bad
news, an impression of the work.  This module keeps that evidence as
weighted least-squares sums per observer, fits it, and says how far a fit
is worth believing; :mod:`okrsim.model.policy_beliefs` turns the fits into
beliefs.

docs/ODD.md §7.13 (beliefs about the policy).
"""

from __future__ import annotations

import numpy as np

from okrsim.policies.curves import Array

#: What ratings are read against: score, bad news, work.
RATING_REGRESSORS = 3
#: Evidence kept per employee (averages of Σw·xxᵀ, Σw·xy, Σw·y², Σw, reviews).
EVIDENCE_SIZE = RATING_REGRESSORS**2 + RATING_REGRESSORS + 3

P = RATING_REGRESSORS
#: Layout of ``Workforce.rating_evidence``: Σw·xxᵀ, Σw·xy, Σw·y², Σw, reviews.
_XX, _XY, _YY, _W, _Q = slice(0, P * P), slice(P * P, P * P + P), P * P + P, P * P + P + 1, -1


def team_evidence(rating: Array, regressors: Array, weight: Array) -> Array:
    """One review's evidence per observer, shape (n, :data:`EVIDENCE_SIZE`).

    ``rating`` (n, m): the ratings observer i saw of the m members of its
    team; ``regressors`` (n, m, P): what it saw beside them; ``weight``
    (n, m), in observations (one's own counting more).  Both sides are
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
            (total > 0).astype(float),
        ]
    )


def fit_evidence(evidence: Array) -> tuple[Array, Array, Array]:
    """Each observer's weighted least-squares fit of ratings on what it saw.

    Fits ``rating = a_q + Σ β_j x_j`` (an intercept per review) to the
    evidence.  Returns ``β`` (n, P), each coefficient's sampling variance
    ``s²·(X'WX)⁻¹_jj`` (s² the residual variance: how much the evidence can
    say), and whether each coefficient could be told apart: a regressor that
    never varied, or moved exactly with the others, is not identified.
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
    ridge = 1e-12 * np.maximum(np.diagonal(xtx, axis1=1, axis2=2).max(axis=1), 1e-12)
    inverse, invertible = _inverse(xtx + ridge[:, None, None] * eye)
    beta = (inverse * xty[:, None, :]).sum(axis=2)
    spread = np.where(invertible[:, None], np.diagonal(inverse, axis1=1, axis2=2), np.inf)
    # the variance a regressor has beyond what the others explain, 1/(X'WX)⁻¹_jj
    identified = varies & (1.0 / np.maximum(spread, 1e-300) > 1e-6 * total[:, None] * variance)
    rss = np.maximum(yty - (beta * xty).sum(axis=1), 0.0)
    noise = rss / np.maximum(total - P - evidence[:, _Q], 1.0)
    return beta, noise[:, None] * spread, identified


def _inverse(matrices: Array) -> tuple[Array, Array]:
    """Inverses of 3×3 matrices (n, 3, 3) by their cofactors, and which could be
    inverted (a determinant above 0; the others' inverses are 0).

    Written out so that every CPU gives the same bits (LAPACK's kernels are
    chosen by the CPU).  The cofactor of (i, j) is the 2×2 determinant of the
    rows and columns after it, cyclically (i + 1, then i + 2 ≡ i − 1), which
    carries its sign for 3×3: ``RATING_REGRESSORS`` is 3.
    """
    after, before = np.roll(matrices, -1, axis=1), np.roll(matrices, 1, axis=1)
    cofactor = np.roll(after, -1, axis=2) * np.roll(before, 1, axis=2) - np.roll(
        after, 1, axis=2
    ) * np.roll(before, -1, axis=2)
    det = (matrices[:, 0, :] * cofactor[:, 0, :]).sum(axis=1)
    invertible = det > 0.0
    scale = np.where(invertible, det, 1.0)[:, None, None]
    inverse = np.where(invertible[:, None, None], cofactor.transpose(0, 2, 1) / scale, 0.0)
    return inverse, invertible


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
