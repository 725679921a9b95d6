"""The reference model's review: scores, judgment, ratings, quits, the quarter's record,
and the figures everyone knows from it (:class:`Public`).

Organisation-level code of :class:`~okrsim.reference.model.ReferenceModel`
(ODD §7.8, §7.9, §7.12), kept apart so that the model reads as its
schedule.  Written from docs/ODD.md, like the rest of the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, logit

from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.params import Assumptions
from okrsim.reference import payoffs as pay

if TYPE_CHECKING:
    from okrsim.reference.agents import Employee
    from okrsim.reference.model import ReferenceModel


@dataclass
class Public:
    """Figures everyone knows, refreshed at each review (ODD §2.2, §7.8)."""

    value_scale: float
    help_scale: float
    peers: tuple[float, float]  # mean and sd of measured attainment (rank curve)
    seen_weight: float = 1.0
    reported_weight: float = 0.0
    judged_sd: float = 0.0

    @classmethod
    def prior(cls, a: Assumptions) -> Public:
        """Before the first review: the assumptions' typical contribution and help per week,
        and peers at target with the assumed spread (ODD §5)."""
        return cls(
            value_scale=W * a.value_scale_prior,
            help_scale=W * a.help_scale_prior,
            peers=(1.0, a.peer_attainment_sd_prior),
        )


def nanmean(values: list[float]) -> float:
    """Mean of the finite values; NaN when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def review(
    model: ReferenceModel,
) -> tuple[list[float], bool, list[float], tuple[float, float, float]]:
    """Scores, judged ratings and, at a settlement, ratings (ODD §7.8)."""
    s, t = model.in_force, model.terms
    j, es = s.judgment, model.employees
    n = len(es)
    measured = [[e.reported[k] / (e.target[k] * e.par[k]) for k in range(t.krs)] for e in es]
    model.measured = measured
    scores = scores_of(model, measured)
    weekly_noise = j.observation_noise * (1.0 - j.accuracy)
    noise_var = (weekly_noise * math.sqrt(W)) ** 2
    z = model.streams["audit"].standard_normal(n)
    seen = []
    for e, zi in zip(es, z, strict=True):
        present = max(e.tally.weeks_present, 1.0)
        total = e.tally.seen_contribution + weekly_noise * math.sqrt(present) * float(zi)
        seen.append(total * W / present)
    seen_mean, seen_spread = sum(seen) / n, pay.spread(seen, 1.0)
    yardstick = max(seen_mean, seen_spread)
    w_seen, w_reported = 1.0, 0.0
    if j.use_okr_context and t.okrs:
        seen, noise_var, w_seen = read_reports(model, seen, noise_var)
        w_reported = 1.0 - w_seen
    centre = sum(seen) / n
    true_var = max(sum((v - centre) ** 2 for v in seen) / n - noise_var, 1e-9)
    shrink = true_var / (true_var + noise_var)
    registered = W * j.influence_saturation
    mean_help = max(sum(e.tally.help_given for e in es) / n, 1e-9)
    raw = []
    for e, v, row in zip(es, seen, measured, strict=True):
        estimate = centre + shrink * (v - centre)
        halo = j.influence_return * registered * -math.expm1(-e.tally.visible_time / registered)
        if t.okrs:
            tau = stated_ambition(model, e)
            shortfall = sum(max(1.0 - a, 0.0) for a in row) / t.krs
        else:
            tau, shortfall = 1.0, 0.0
        bad_news = e.tally.raises + e.tally.red_reports / W
        value = j.contribution_weight * pay.relative(estimate + halo, seen_mean, seen_spread)
        value += j.help_weight * e.tally.help_given / mean_help
        value += (j.risk_weight * e.tally.raises - j.blocker_penalty * bad_news) / t.krs
        value += t.ambition_weight * ((tau - 1.0) - (1.0 - j.failure_tolerance) * shortfall)
        value -= j.inflation_penalty * e.tally.caught
        raw.append(value)
    judged = [0.0] * n
    for m in model.managers:
        team_mean = sum(raw[e.seat] for e in m.members) / len(m.members)
        for e in m.members:
            judged[e.seat] = team_mean + (1.0 - j.centrality) * (raw[e.seat] - team_mean)
            judged[e.seat] += m.leniency
    # what reaches one's own rating of a change in one's own judged score
    reach = t.judged_reach
    weight = j.contribution_weight * shrink * reach / yardstick
    judgment = (
        shrink * w_seen * reach,
        shrink * w_reported * (1.0 - j.centrality),  # a report moves no team mean
        weight * math.sqrt(noise_var),
    )
    model.scores.append(scores)
    model.judged.append(judged)
    settled = (
        model.quarter % t.settlement_quarters == 0 or model.quarter == model.base.horizon.quarters
    )
    settled_score = scores
    if settled:
        settled_score = [nanmean([q[i] for q in model.scores]) for i in range(n)]
        judged_mean = [nanmean([q[i] for q in model.judged]) for i in range(n)]
        c = t.coupling
        model.last_rating = [
            c * sc + (1.0 - c) * jd for sc, jd in zip(settled_score, judged_mean, strict=True)
        ]
        model.scores, model.judged = [], []
    return list(model.last_rating), settled, settled_score, judgment


def stated_ambition(model: ReferenceModel, e: Employee) -> float:
    """τ̂: ``e``'s targets against the manager's estimate of its output, the mean over its KRs."""
    t = model.terms
    return sum(e.target[k] * e.par[k] / model.view[e.seat] for k in range(t.krs)) / t.krs


def scores_of(model: ReferenceModel, measured: list[list[float]]) -> list[float]:
    """Formula scores: the curve's, plus the credit for the target stated, κ·(τ̂ − 1)."""
    t, es = model.terms, model.employees
    if not t.okrs:
        return [0.0] * len(es)
    curve = curve_scores(model, measured)
    return [
        x + t.target_credit * (stated_ambition(model, e) - 1.0)
        for x, e in zip(curve, es, strict=True)
    ]


def curve_scores(model: ReferenceModel, measured: list[list[float]]) -> list[float]:
    """The curve's scores: of own, ranked or team attainment, shared KRs graded on both teams'."""
    t, es = model.terms, model.employees
    means = [sum(row) / t.krs for row in measured]
    team_measured = [sum(means[e.seat] for e in m.members) / len(m.members) for m in model.managers]
    graded = []
    for e, row in zip(es, measured, strict=True):
        up = model.managers[e.team].upstream
        partner = team_measured[up if up is not None else 0]
        graded.append(
            [0.5 * a + 0.5 * partner if sh else a for a, sh in zip(row, e.shared, strict=True)]
        )
    mean_graded = [sum(row) / t.krs for row in graded]
    if t.ranked:  # one's band by rank within the team (ties by seat)
        scores = [0.0] * len(es)
        for m in model.managers:
            order = sorted(m.members, key=lambda e: mean_graded[e.seat])
            for rank, e in enumerate(order):
                scores[e.seat] = pay.band((rank + 0.5) / len(order), t.bands)
        return scores
    if t.team_scored:
        return [
            t.grade(
                sum(mean_graded[j.seat] for j in model.managers[e.team].members)
                / len(model.managers[e.team].members)
            )
            for e in es
        ]
    return [sum(t.grade(a) for a in row) / t.krs for row in graded]


def read_reports(
    model: ReferenceModel, seen: list[float], noise_var: float
) -> tuple[list[float], float, float]:
    """Reported results as a second signal of contribution, by inverse variance (§7.8)."""
    align, n = model.in_force.env.alignment, len(seen)
    reported = [align * sum(e.reported) for e in model.employees]
    okr = [0.0] * n
    for m in model.managers:
        beyond = sum(seen[e.seat] - reported[e.seat] for e in m.members) / len(m.members)
        for e in m.members:
            okr[e.seat] = reported[e.seat] + beyond
    gaps = [o - v for o, v in zip(okr, seen, strict=True)]
    mean_gap = sum(gaps) / n
    okr_var = max(sum((g - mean_gap) ** 2 for g in gaps) / n - noise_var, 1e-9)
    p_seen, p_okr = 1.0 / max(noise_var, 1e-9), 1.0 / okr_var
    w_seen = p_seen / (p_seen + p_okr)
    combined = [w_seen * v + (1.0 - w_seen) * o for v, o in zip(seen, okr, strict=True)]
    return combined, 1.0 / (p_seen + p_okr), w_seen


def decide_quits(model: ReferenceModel, ratings: list[float], quit_u: np.ndarray) -> list[bool]:
    """Who leaves: a logistic chance against the quit uniform, after a full quarter (§7.9)."""
    b, es = model.in_force.behaviour, model.employees
    worth_scale = max(sum(e.capability_belief for e in es) / len(es), 1e-9)
    mean_rating, rating_spread = sum(ratings) / len(ratings), pay.spread(ratings, 1e-9)
    base = float(logit(min(max(b.quit_base_rate, 1e-6), 1.0 - 1e-6)))
    left = []
    for e, u in zip(es, quit_u, strict=True):
        paid = pay.relative(ratings[e.seat], mean_rating, rating_spread)
        odds = base + b.quit_pay_sensitivity * (e.capability_belief / worth_scale - paid)
        odds += b.quit_stress_sensitivity * e.stress
        left.append(e.tenure_weeks >= W and float(u) < float(expit(odds)))
    return left


def record_quarter(model: ReferenceModel, left: list[bool]) -> None:
    es, t = model.employees, model.terms
    n = len(es)
    latencies = [x for e in es for x in e.tally.latencies]
    sandbagging = [
        1.0 - sum(e.target[k] * e.par[k] for k in range(t.krs)) / sum(e.expected) for e in es
    ]
    model.quarter_rows.append(
        {
            "quarter": float(model.quarter),
            "sandbagging_index": nanmean(sandbagging),
            "attainment": nanmean([sum(row) / t.krs for row in model.measured]),
            "true_value": sum(e.tally.value for e in es) / (n * W),
            "reporting_bias": sum(e.tally.bias / W for e in es) / n,
            "blocker_latency_weeks": sum(latencies) / len(latencies) if latencies else 0.0,
            "hidden_blocker_share": model.quarter_hidden / model.quarter_blocked
            if model.quarter_blocked
            else 0.0,
            "help_share": sum(e.tally.effort[2] / W for e in es) / n,
            "intensity": nanmean(
                [
                    e.tally.hours / e.tally.weeks_present if e.tally.weeks_present > 0 else math.nan
                    for e in es
                ]
            ),
            "quit_rate": sum(left) / n,
            "stress": sum(e.stress for e in es) / n,
            "coupling_belief": sum(e.coupling_belief for e in es) / n,
        }
    )
