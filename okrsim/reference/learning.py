"""The reference model's learning: what each person reads from the ratings and targets it sees.

Organisation-level code of :class:`~okrsim.reference.model.ReferenceModel`
(ODD §7.10, §7.13), kept apart so that the model reads as its schedule.
Written from docs/ODD.md, like the rest of the reference.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.reference import payoffs as pay
from okrsim.reference.agents import Employee
from okrsim.reference.evidence import Evidence, precision_weighted, reliability, spare_freedom

if TYPE_CHECKING:
    from okrsim.reference.model import ReferenceModel


def team_observations(model: ReferenceModel) -> dict[int, dict[str, tuple[float, bool]]]:
    """What each saw in its team this quarter: audits, the pull and the ratchet (ODD §7.10)."""
    own = model.in_force.behaviour.own_experience_weight
    seen: dict[int, dict[str, tuple[float, bool]]] = {}
    for m in model.managers:
        for i in m.members:
            weight = {e.seat: own if e is i else 1.0 for e in m.members}
            audits = sum(weight[e.seat] * e.tally.audits for e in m.members)
            reports = sum(weight[e.seat] * e.tally.reports for e in m.members)
            pull, ratchet, usable = targets_seen(model, m.members, weight)
            asked = sum(e.tally.revision_requests for e in m.members)
            agreed = sum(e.tally.revisions for e in m.members)
            seen[i.seat] = {
                "agree_belief": (agreed / max(asked, 1.0), asked > 0),
                "audit_belief": (audits / max(reports, 1.0), reports > 0),
                "pull_belief": (pull, usable),
                "ratchet_belief": (ratchet, usable and model.last_reported is not None),
            }
    return seen


def targets_seen(
    model: ReferenceModel, members: list[Employee], weight: dict[int, float]
) -> tuple[float, float, bool]:
    """The fit of T̃ − O = a·(ask − O) + b·(R − O) over the team's key results (ODD §7.10)."""
    s11 = s22 = s12 = s1y = s2y = 0.0
    for e in members:
        for k in range(model.terms.krs):
            last = e.offer[k] if model.last_reported is None else model.last_reported[e.seat][k]
            dy, d1, d2 = e.target_set[k] - e.offer[k], e.ask[k] - e.offer[k], last - e.offer[k]
            if not all(math.isfinite(v) for v in (dy, d1, d2)):
                continue
            w = weight[e.seat]
            s11, s22, s12 = s11 + w * d1 * d1, s22 + w * d2 * d2, s12 + w * d1 * d2
            s1y, s2y = s1y + w * d1 * dy, s2y + w * d2 * dy
    if model.last_reported is None:
        usable = s11 > 1e-12
        return (s1y / s11 if usable else 0.0), 0.0, usable
    det = s11 * s22 - s12**2
    if det <= 1e-6 * max(s11 * s22, 1e-300):
        return 0.0, 0.0, False
    return (s22 * s1y - s12 * s2y) / det, (s11 * s2y - s12 * s1y) / det, True


def learn_policy(
    model: ReferenceModel,
    ratings: list[float],
    settled: bool,
    settled_score: list[float],
    seen: dict[int, dict[str, tuple[float, bool]]],
) -> None:
    """Ratings fitted to scores, bad news and work at a settlement; credibility (§7.13)."""
    b, es = model.in_force.behaviour, model.employees
    size = model.in_force.org.team_size
    noise = b.peer_noise * model.streams["beliefs"].standard_normal((2, len(es), size))
    team_noise = model.streams["standing"].standard_normal((2, len(model.managers)))
    per_week = [e.tally.seen_contribution / max(e.tally.weeks_present, 1.0) for e in es]
    mean_work, work_spread = sum(per_week) / len(es), pay.spread(per_week, 1e-9)
    for e, work in zip(es, per_week, strict=True):
        e.unsettled_news += e.tally.raises + e.tally.red_reports / W
        e.unsettled_work += pay.relative(work, mean_work, work_spread)
        e.unsettled_quarters += 1.0
    fitted: dict[int, tuple[float, float]] = {}
    if settled:
        observed = {
            e.seat: (
                e.unsettled_news / max(e.unsettled_quarters, 1.0),
                e.unsettled_work / max(e.unsettled_quarters, 1.0),
            )
            for e in es
        }
        for e in es:
            e.unsettled_news = e.unsettled_work = e.unsettled_quarters = 0.0
        heard = Evidence.of_review(
            *standing_heard(model, ratings, settled_score, observed, team_noise)
        )
        for i in es:
            fitted[i.seat] = read_ratings(model, i, ratings, settled_score, observed, noise, heard)
    eta, far = b.learning_rate, model.in_force.assumptions.statement_far
    for e in es:
        checked = {name: (v, float(ok)) for name, (v, ok) in seen[e.seat].items()}
        if e.seat in fitted:
            checked["coupling_belief"] = fitted[e.seat]
        least, checks = 1.0, 0.0
        for name, (value, worth) in checked.items():
            stated = model.statement.get(name, math.nan) if model.statement else math.nan
            if math.isnan(stated):
                continue
            agreement = min(max(1.0 - abs(value - stated) / far, 0.0), 1.0)
            least = min(least, 1.0 - worth * (1.0 - agreement))
            checks = max(checks, worth)
        e.credibility += eta * checks * (least - e.credibility)


def standing_heard(
    model: ReferenceModel,
    ratings: list[float],
    settled_score: list[float],
    observed: dict[int, tuple[float, float]],
    noise: np.ndarray,
) -> tuple[list[float], list[list[float]], list[float]]:
    """Each team's standing as the organisation hears it (ODD §7.13): its mean
    rating, and beside it its mean score, bad news and work over its members
    present, the rating and work through noise of sd peer_noise/√k; weight 0
    for a team none of whom was present."""
    b = model.in_force.behaviour
    ys, xs, ws = [], [], []
    for t, m in enumerate(model.managers):
        here = [j for j in m.members if j.tally.weeks_present > 0]
        count = max(float(len(here)), 1.0)

        def mean(values: list[float], count: float = count) -> float:
            total = 0.0
            for value in values:
                total += value
            return total / count

        blur = b.peer_noise / math.sqrt(count)
        ys.append(mean([ratings[j.seat] for j in here]) + blur * float(noise[0, t]))
        xs.append(
            [
                mean([settled_score[j.seat] for j in here]),
                mean([observed[j.seat][0] for j in here]),
                mean([observed[j.seat][1] for j in here]) + blur * float(noise[1, t]),
            ]
        )
        ws.append(1.0 if here else 0.0)
    return ys, xs, ws


def read_ratings(
    model: ReferenceModel,
    i: Employee,
    ratings: list[float],
    settled_score: list[float],
    observed: dict[int, tuple[float, float]],
    noise: np.ndarray,
    heard: Evidence,
) -> tuple[float, float]:
    """Observer i's fit of its team's ratings and of the teams' standing
    (``heard``, this review's), each coefficient the two fits' estimates
    weighed by their precision; beliefs move from their anchors by reliability.

    Returns the fitted coupling and what it is worth (its reliability).
    """
    b, m = model.in_force.behaviour, model.managers[i.team]
    ys, xs, ws = [], [], []
    for pos, j in enumerate(m.members):
        blur = (
            (0.0, 0.0) if j is i else (float(noise[0, i.seat, pos]), float(noise[1, i.seat, pos]))
        )
        news, work = observed[j.seat]
        ys.append(ratings[j.seat] + blur[0])
        xs.append([settled_score[j.seat], news, work + blur[1]])
        present = 1.0 if j.tally.weeks_present > 0 else 0.0
        ws.append((b.own_experience_weight if j is i else 1.0) * present)
    if i.tally.weeks_present <= 0:
        return 0.0, 0.0
    i.evidence.move_towards(Evidence.of_review(ys, xs, ws), b.learning_rate)
    i.standing.move_towards(heard, b.learning_rate)
    fits = []
    for evidence in (i.evidence, i.standing):
        fitted, variance, told = evidence.fit(b.learning_rate)
        spare = spare_freedom(evidence, b.learning_rate)
        fits.append((fitted, variance, [known and spare for known in told]))
    beta, sampling, identified = precision_weighted(fits)
    worths = []
    for name, anchor_name, j_, sign, (low, high) in (
        ("coupling_belief", "coupling_anchor", 0, 1.0, (0.0, 1.0)),
        ("bad_news_belief", "bad_news_anchor", 1, -1.0, (-1.0, 1.0)),
    ):
        anchor = getattr(i, anchor_name)
        worth = reliability(sampling[j_], (high - low) ** 2 / 12) if identified[j_] else 0.0
        target = sign * beta[j_] if identified[j_] else anchor
        setattr(i, name, min(max(anchor + worth * (target - anchor), low), high))
        worths.append(worth)
    return beta[0], worths[0]


def imitate(model: ReferenceModel, ratings: list[float], settled: bool) -> None:
    """At a settlement some copy a better-rated teammate's honesty and beliefs (ODD §7.10)."""
    rng, size = model.streams["decisions"], model.in_force.org.team_size
    u = rng.random(len(model.employees))
    offset = rng.integers(1, size, len(model.employees))
    if not settled:
        return
    copied = (
        "honesty",
        "audit_belief",
        "bad_news_belief",
        "coupling_belief",
        "bad_news_anchor",
        "coupling_anchor",
        "credibility",
    )
    before = {e.seat: {name: getattr(e, name) for name in copied} for e in model.employees}
    p = model.in_force.behaviour.imitation_probability
    for e in model.employees:
        peer = model.managers[e.team].members[(e.seat % size + int(offset[e.seat])) % size]
        if float(u[e.seat]) < p and ratings[peer.seat] > ratings[e.seat]:
            for name in copied:
                setattr(e, name, before[peer.seat][name])


# -- outcomes (ODD §4.11) ---------------------------------------------------------------------
