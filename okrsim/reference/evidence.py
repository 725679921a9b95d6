"""Reading ratings: one observer's least-squares evidence and its fit (ODD §7.13).

An observer sees, for each member of its team, a rating beside three things
(score, bad news, an impression of the work), and the same of each team of
its organisation.  It keeps weighted
least-squares sums, averaged over reviews with a constant gain, and fits
``rating = a_review + β·x`` from them; a coefficient is believed as far as
the fit is reliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: What ratings are read against: score, bad news, work.
P = 3


@dataclass
class Evidence:
    """Σw·xxᵀ, Σw·xy, Σw·y², Σw, the observations (unweighted) and the reviews seen,
    each a constant-gain average."""

    xx: list[list[float]] = field(default_factory=lambda: [[0.0] * P for _ in range(P)])
    xy: list[float] = field(default_factory=lambda: [0.0] * P)
    yy: float = 0.0
    total: float = 0.0
    observations: float = 0.0
    reviews: float = 0.0

    @classmethod
    def of_review(
        cls, ratings: list[float], regressors: list[list[float]], weights: list[float]
    ) -> Evidence:
        """One review's sums, both sides centred on the review's weighted means."""
        total = sum(weights)
        share = [w / total if total > 0 else 0.0 for w in weights]
        x_mean = [sum(s * x[j] for s, x in zip(share, regressors, strict=True)) for j in range(P)]
        y_mean = sum(s * y for s, y in zip(share, ratings, strict=True))
        xs = [[x[j] - x_mean[j] for j in range(P)] for x in regressors]
        ys = [y - y_mean for y in ratings]
        e = cls(
            total=total,
            observations=float(sum(1 for w in weights if w > 0)),
            reviews=1.0 if total > 0 else 0.0,
        )
        for w, x, y in zip(weights, xs, ys, strict=True):
            for a in range(P):
                e.xy[a] += w * x[a] * y
                for b in range(P):
                    e.xx[a][b] += w * x[a] * x[b]
            e.yy += w * y * y
        return e

    def move_towards(self, seen: Evidence, gain: float) -> None:
        """E ← (1 − η)·E + η·seen: constant-gain least squares (Evans & Honkapohja 2001)."""

        def mixed(old: float, new: float) -> float:
            return (1.0 - gain) * old + gain * new

        for a in range(P):
            self.xy[a] = mixed(self.xy[a], seen.xy[a])
            for b in range(P):
                self.xx[a][b] = mixed(self.xx[a][b], seen.xx[a][b])
        self.yy = mixed(self.yy, seen.yy)
        self.total = mixed(self.total, seen.total)
        self.observations = mixed(self.observations, seen.observations)
        self.reviews = mixed(self.reviews, seen.reviews)

    def scale(self, factor: float) -> None:
        """Old evidence counts less (a statement of the coupling makes it less relevant)."""
        self.xx = [[factor * v for v in row] for row in self.xx]
        self.xy = [factor * v for v in self.xy]
        self.yy *= factor
        self.total *= factor
        self.observations *= factor
        self.reviews *= factor

    def fit(self, gain: float) -> tuple[list[float], list[float], list[bool]]:
        """β, each coefficient's sampling variance s²·(X′WX)⁻¹_jj, and whether it is identified.

        The sums over the gain count the observations memory holds (about 1/η
        reviews).  A regressor whose weighted variance is ≤ 10⁻¹⁰ is left out;
        one whose variance beyond the others', 1/(X′WX)⁻¹_jj, is ≤ 10⁻⁶ of its
        own is not identified.  s² is the residual sum of squares over
        observations − P − reviews (at least 1): one's own review, however
        weighted, is one draw of the noise.
        """
        g = max(gain, 1e-12)
        xx = [[v / g for v in row] for row in self.xx]
        xy = [v / g for v in self.xy]
        yy, total, reviews = self.yy / g, self.total / g, self.reviews / g
        observations = self.observations / g
        variance = [xx[j][j] / max(total, 1e-300) for j in range(P)]
        varies = [v > 1e-10 for v in variance]
        m = [
            [xx[a][b] if varies[a] and varies[b] else float(a == b) for b in range(P)]
            for a in range(P)
        ]
        rhs = [xy[j] if varies[j] else 0.0 for j in range(P)]
        ridge = [1e-12 * m[j][j] for j in range(P)]
        inverse = _inverse(
            [[m[a][b] + (ridge[a] if a == b else 0.0) for b in range(P)] for a in range(P)], ridge
        )
        if inverse is None:  # nothing can be told apart
            return [0.0] * P, [math.inf] * P, [False] * P
        beta = [_in_order([inverse[a][b] * rhs[b] for b in range(P)]) for a in range(P)]
        spread = [inverse[j][j] for j in range(P)]
        identified = [
            varies[j] and 1.0 / max(spread[j], 1e-300) > 1e-6 * total * variance[j]
            for j in range(P)
        ]
        rss = max(yy - _in_order([b * v for b, v in zip(beta, rhs, strict=True)]), 0.0)
        noise = rss / max(observations - P - reviews, 1.0)
        return beta, [noise * s for s in spread], identified


def spare_freedom(evidence: Evidence, gain: float) -> bool:
    """Whether evidence has a residual degree of freedom to spare: observations
    (unweighted) − P − reviews ≥ 1 over what memory holds."""
    g = max(gain, 1e-12)
    return evidence.observations / g - P - evidence.reviews / g >= 1.0


def precision_weighted(
    fits: list[tuple[list[float], list[float], list[bool]]],
) -> tuple[list[float], list[float], list[bool]]:
    """Each coefficient as the mean of the fits that identify it, weighted by
    1/v, its sampling variance 1/Σ(1/v) (ODD §7.13); one identifying fit, or an
    exact one (v = 0): that fit's; none: the first fit's, unidentified."""
    beta, sampling, identified = [], [], []
    for j in range(P):
        known = [f for f in fits if f[2][j]]
        exact = [f for f in known if f[1][j] <= 0.0]
        if exact or len(known) < 2:
            chosen = (exact or known or [fits[0]])[0]
            beta.append(chosen[0][j])
            sampling.append(chosen[1][j])
        else:
            precision = [1.0 / f[1][j] for f in known]
            total = max(_in_order(precision), 1e-300)
            beta.append(
                _in_order([p * f[0][j] for p, f in zip(precision, known, strict=True)]) / total
            )
            sampling.append(1.0 / total)
        identified.append(bool(known))
    return beta, sampling, identified


def reliability(sampling_variance: float, belief_variance: float) -> float:
    """ρ = τ²/(τ² + v): how far a fitted coefficient is believed (ODD §7.13)."""
    return belief_variance / (belief_variance + sampling_variance)


def _inverse(m: list[list[float]], ridge: list[float]) -> list[list[float]] | None:
    """The inverse of a 3 × 3 matrix, positive semi-definite plus ``ridge`` on
    its diagonal, from its LDLᵀ factors, each pivot at least its ridge; None
    if a pivot is not above 0 (as the model's ``rating_evidence._inverse``)."""
    d1 = max(m[0][0], ridge[0])
    if not d1 > 0.0:
        return None
    l21, l31 = m[1][0] / d1, m[2][0] / d1
    d2 = max(m[1][1] - l21 * m[1][0], ridge[1])
    if not d2 > 0.0:
        return None
    e32 = m[2][1] - l31 * m[1][0]
    l32 = e32 / d2
    d3 = max(m[2][2] - l31 * m[2][0] - l32 * e32, ridge[2])
    if not d3 > 0.0:
        return None
    # the rows of L⁻¹, each with its pivot: A⁻¹ = Σ_k m_k·m_kᵀ / d_k
    rows = (([1.0, 0.0, 0.0], d1), ([-l21, 1.0, 0.0], d2), ([l21 * l32 - l31, -l32, 1.0], d3))
    return [[_in_order([r[a] * r[b] / d for r, d in rows]) for b in range(P)] for a in range(P)]


def _in_order(terms: list[float]) -> float:
    """The terms added first to last, as the model adds them (Python's ``sum``
    compensates for rounding since 3.12, and would differ in the last bits)."""
    total = terms[0]
    for term in terms[1:]:
        total += term
    return total
