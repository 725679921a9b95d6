"""How the organisation turns what it sees into ratings and pay.

Pure functions over arrays: the formulaic score (own, ranked or team), the
manager's judged rating, and the rating that blends them.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from okrsim.params import Assumptions, Comp
from okrsim.policies.curves import Array, Curve

#: (share, score) bands of a forced distribution, bottom first.
Bands = tuple[tuple[float, float], ...]


def relative_to_mean(
    values: ArrayLike, mean: float | Array, spread: float | Array, *, weight: float = 1.0
) -> Array:
    """Each ``x`` as ``weight·x/mean``, or ``weight·(1 + (x − mean)/spread)`` if ``mean < spread``.

    Contributions, ratings and impressions of work are read against the
    organisation's mean, as shares of it.  That reading holds while the mean
    stands out of the spread of the values (the mean at least their standard
    deviation, or the floor the caller puts under it); where it does not — an
    organisation whose work is worth about nothing or less, or whose mean
    rating is near zero — shares of the mean would invert the order or blow
    the spread up, so differences from the mean are read in units of the
    spread instead, as a z-score centred on 1.  The two readings meet at
    ``mean = spread``; the order of the values and their mean of 1 (×
    ``weight``) are kept either way (assumption: the form).  ``mean`` and
    ``spread`` may be per value (organisations stepped together).
    """
    x = np.asarray(values, dtype=float)
    if np.ndim(mean) == 0:
        if mean >= spread:
            return weight * x / mean
        return weight * (1.0 + (x - mean) / spread)
    # each value against its own organisation's figures (stepped together)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean >= spread, weight * x / mean, weight * (1.0 + (x - mean) / spread))


def rank_bands(comp: Comp) -> Bands:
    """The forced distribution for ``comp.evaluation = "relative"``, bottom band first.

    ``comp.rank_bottom_share`` of a team score ``comp.rank_bottom_score``,
    ``comp.rank_top_share`` score ``comp.rank_top_score`` and the rest 1 —
    by default the 10/70/20 split of "vitality curve" stack ranking
    (Welch 2001; the bands' scores are an assumption).
    """
    bottom, top = comp.rank_bottom_share, comp.rank_top_share
    return (
        (bottom, comp.rank_bottom_score),
        (1.0 - bottom - top, 1.0),
        (top, comp.rank_top_score),
    )


#: The default forced distribution (:func:`rank_bands` of the default ``comp``).
RANK_BANDS = rank_bands(Comp())


#: Uncertainty of a band edge within a small team, as a share of the peers' spread
#: (the default of ``assumptions.edge_uncertainty``).
EDGE_UNCERTAINTY = Assumptions().edge_uncertainty


def judged_reach(centrality: ArrayLike, team_size: int) -> Array:
    """Share of a change in one's own judged score that reaches one's judged rating.

    A manager pulls each judged rating towards the team's mean by the
    centrality κ_c: ``J_i = J̄ + (1 − κ_c)·(raw_i − J̄)``, and one's own raw
    score is one of the N in that mean, so ``dJ_i/d raw_i = 1 − κ_c·(1 − 1/N)``
    (:func:`okrsim.model.quarter_review.judge`).  Whatever judgment adds to
    one's raw score (credit for help or ambition, a penalty for inflation
    caught, the contribution seen, a halo) reaches one's rating by this share.
    """
    return 1.0 - np.asarray(centrality, dtype=float) * (1.0 - 1.0 / team_size)


def rating(score: ArrayLike, judged: ArrayLike, *, coupling: float | Array) -> Array:
    """Formulaic share ``coupling`` of the rating comes from the OKR score.

    ``rating = c·score + (1 − c)·judged``; pay is proportional to the rating.
    """
    return coupling * np.asarray(score, dtype=float) + (1.0 - coupling) * np.asarray(
        judged, dtype=float
    )


def forced_distribution(
    scores: ArrayLike, groups: ArrayLike, *, bands: Bands = RANK_BANDS
) -> Array:
    """Band score by rank within each group (ties broken by order; stable).

    By default the bottom 10 % of each group get 0.5, the middle 70 % 1.0,
    the top 20 % 1.25 (:func:`rank_bands`); a colleague's better result can
    push one down a band, which is what makes helping costly under stack
    ranking.
    """
    scores = np.asarray(scores, dtype=float)
    groups = np.asarray(groups)
    order = np.lexsort((scores, groups))  # by group, then score (stable)
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, sorted_groups.size])
    rank = np.arange(sorted_groups.size) - np.repeat(starts, sizes)
    out = np.empty_like(scores)
    out[order] = band_of_percentile((rank + 0.5) / np.repeat(sizes, sizes), bands=bands)
    return out


def band_of_percentile(pct: ArrayLike, *, bands: Bands = RANK_BANDS) -> Array:
    """Score of the band a percentile (0 = bottom, 1 = top) falls in."""
    pct = np.asarray(pct, dtype=float)
    out = np.full_like(pct, bands[0][1])
    edge = 0.0
    for (share, _), (_, nxt) in pairwise(bands):
        edge += share
        out = np.where(pct >= edge, nxt, out)
    return out


def rank_curve(
    peer_mean: float,
    peer_sd: float,
    *,
    edge_uncertainty: float = EDGE_UNCERTAINTY,
    bands: Bands = RANK_BANDS,
) -> Curve:
    """The forced distribution as a score curve of one's own result.

    With peers' results ``Normal(m, s²)``, one moves up a band on passing the
    peers' result at that band's edge, ``q_b = m + s·Φ⁻¹(edge_b)``: a step
    curve with steps ``Δ_b`` at ``q_b`` on top of the bottom band's score.
    In a team of a handful the band edges are themselves uncertain (where the
    second-best colleague ends up), so the steps are blurred by
    ``edge_uncertainty`` (``assumptions.edge_uncertainty``) × the peers'
    spread (assumption).
    """
    steps = []
    edge = 0.0
    for (share, score), (_, nxt) in pairwise(bands):
        edge += share
        steps.append((peer_mean + peer_sd * float(ndtri(edge)), nxt - score))
    return Curve(steps=tuple(steps), base=bands[0][1], blur=edge_uncertainty * peer_sd)
