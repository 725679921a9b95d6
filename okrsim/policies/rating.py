"""How the organisation turns what it sees into ratings and pay.

Pure functions over arrays: the formulaic score (own, ranked or team), the
manager's judged rating, and the rating that blends them.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from okrsim.policies.curves import Array

#: Forced distribution for ``comp.evaluation = "relative"``: (share, score) bands,
#: bottom first — the 10/70/20 split of "vitality curve" stack ranking
#: (Welch 2001; the bands' scores are an assumption).
RANK_BANDS: tuple[tuple[float, float], ...] = ((0.1, 0.5), (0.7, 1.0), (0.2, 1.25))


def rating(score: ArrayLike, judged: ArrayLike, *, coupling: float) -> Array:
    """Formulaic share ``coupling`` of the rating comes from the OKR score.

    ``rating = c·score + (1 − c)·judged``; pay is proportional to the rating.
    """
    return coupling * np.asarray(score, dtype=float) + (1.0 - coupling) * np.asarray(
        judged, dtype=float
    )


def forced_distribution(scores: ArrayLike, groups: ArrayLike) -> Array:
    """Band score by rank within each group (ties broken by order; stable).

    The bottom 10 % of each group get 0.5, the middle 70 % 1.0, the top 20 %
    1.25 (:data:`RANK_BANDS`); a colleague's better result can push one down
    a band, which is what makes helping costly under stack ranking.
    """
    scores = np.asarray(scores, dtype=float)
    groups = np.asarray(groups)
    out = np.empty_like(scores)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        order = idx[np.argsort(scores[idx], kind="stable")]
        pct = (np.arange(order.size) + 0.5) / order.size
        out[order] = band_of_percentile(pct)
    return out


def band_of_percentile(pct: ArrayLike) -> Array:
    """Score of the band a percentile (0 = bottom, 1 = top) falls in."""
    pct = np.asarray(pct, dtype=float)
    out = np.full_like(pct, RANK_BANDS[0][1])
    edge = 0.0
    for (share, _), (_, nxt) in pairwise(RANK_BANDS):
        edge += share
        out = np.where(pct >= edge, nxt, out)
    return out


def expected_band(own: ArrayLike, peer_mean: ArrayLike, peer_sd: ArrayLike) -> Array:
    """Expected band score when peers' results are ``Normal(peer_mean, peer_sd²)``.

    ``own``'s percentile is ``Φ((own − m)/s)``; the band is read off that
    percentile.  Smooth enough for an agent to weigh marginal changes.
    """
    pct = ndtr((np.asarray(own, dtype=float) - peer_mean) / np.maximum(peer_sd, 1e-9))
    return band_of_percentile(pct)


def rank_slope(own: ArrayLike, peer_mean: ArrayLike, peer_sd: ArrayLike) -> Array:
    """Expected band score per unit of own result, smoothed over band edges.

    ``d/dx Σ_b Δ_b·Φ((x − q_b)/s)`` where ``q_b`` are the peers' results at the
    band edges and ``Δ_b`` the jumps: positive for oneself, and by the same
    token the loss one suffers per unit that one lifts a single peer.
    """
    own = np.asarray(own, dtype=float)
    s = np.maximum(np.asarray(peer_sd, dtype=float), 1e-9)
    out = np.zeros(np.broadcast(own, peer_mean, s).shape)
    edge = 0.0
    for (share, score), (_, nxt) in pairwise(RANK_BANDS):
        edge += share
        q = np.asarray(peer_mean) + s * float(ndtri(edge))
        z = (own - q) / s
        out += (nxt - score) * np.exp(-0.5 * z * z) / (s * np.sqrt(2.0 * np.pi))
    return out
