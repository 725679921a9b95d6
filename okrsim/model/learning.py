"""Learning and imitation: beliefs and habits move with what each employee saw.

At each review every employee moves its beliefs a step ``behaviour.learning_rate``
towards what it saw this quarter; some copy the habits and beliefs of a
better-rated teammate (Braganza 2022's selection on the proxy), so culture
drifts towards what the rating rewards.

docs/ODD.md §7.10 (learning and imitation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce, regressive
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array


class Seen(NamedTuple):
    """What each saw of the audits, the ratchet and the pull this quarter, shape (n,) each."""

    audit_rate: Array
    audits_seen: Array  # whether anything was seen to learn from
    ratchet: Array
    ratchet_seen: Array
    pull: Array
    pull_seen: Array


def seen_with_own(wf: Workforce, org: Organisation, x: Array, own_weight: float | Array) -> Array:
    """What each employee saw of ``x`` in its team, its own counted ``own_weight`` times.

    People weigh their own experience more than what they see of others'
    (``behaviour.own_experience_weight``; docs/ODD.md §7.13).
    """
    return org.team_total(x)[wf.team] + (own_weight - 1.0) * x


def targets_seen(
    wf: Workforce,
    org: Organisation,
    last_reported: Array | None,
    *,
    own_weight: float | Array = 1.0,
) -> tuple[Array, Array, Array]:
    """How far each employee saw its team's targets follow the manager's ask and last reports.

    Each employee knows, for every key result in its team, the owner's offer,
    the manager's ask (said in the target conversation), the target set at
    the quarter's start (before any revision) and last quarter's reported
    output.  Targets moved from offers towards the ask, the reports, or
    both: a least-squares fit over the team's key results (one's own
    weighted ``own_weight`` times) of
    ``T − offer = a·(ask − offer) + b·(reported − offer)`` separates the two
    (without reports, ``b = 0``).  Returns the pull seen ``a`` and the
    ratchet seen ``b`` (unclipped: beliefs are clipped, not what is seen),
    and whether the team's key results let them be told apart (else nothing
    is seen).
    """
    target = wf.target_set
    reported = wf.offer if last_reported is None else last_reported
    dy, d1, d2 = target - wf.offer, wf.ask - wf.offer, reported - wf.offer
    ok = np.isfinite(dy) & np.isfinite(d1) & np.isfinite(d2)
    dy, d1, d2 = (np.where(ok, v, 0.0) for v in (dy, d1, d2))

    def seen(x: Array) -> Array:
        return seen_with_own(wf, org, x.sum(axis=1), own_weight)

    s11, s22, s12 = seen(d1 * d1), seen(d2 * d2), seen(d1 * d2)
    s1y, s2y = seen(d1 * dy), seen(d2 * dy)
    if last_reported is None:
        usable = s11 > 1e-12
        pull = np.where(usable, s1y / np.where(usable, s11, 1.0), 0.0)
        return pull, np.zeros_like(pull), usable
    det = s11 * s22 - s12**2
    scale = np.maximum(s11 * s22, 1e-300)
    usable = det > 1e-6 * scale
    safe = np.where(usable, det, 1.0)
    pull = np.where(usable, (s22 * s1y - s12 * s2y) / safe, 0.0)
    ratchet = np.where(usable, (s11 * s2y - s12 * s1y) / safe, 0.0)
    return pull, ratchet, usable


def ratchet_seen(
    wf: Workforce, org: Organisation, last_reported: Array, *, own_weight: float = 1.0
) -> tuple[Array, Array]:
    """The ratchet seen (``b`` of :func:`targets_seen`), and whether it could be seen."""
    _, ratchet, usable = targets_seen(wf, org, last_reported, own_weight=own_weight)
    return ratchet, usable


def learn(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    *,
    last_reported: Array | None,
) -> Seen:
    """Beliefs move towards what each employee saw this quarter.

    * audit belief → the share of the team's reports the manager checked
      (one's own weighing more);
    * ratchet and pull beliefs → how far the team's targets were seen to
      move from their owners' offers towards last quarter's reported output
      and towards the manager's ask (clipped to [0, 1]); the ask expected →
      the one heard;
    * agreement belief → the share of the team's asked-for revisions the
      manager agreed to, seen only when someone asked;
    * own work → planned key-result time, help received, output lost to
      blockers, and capability (seen regressively, Moore & Healy 2008; only
      after more key-result effort than ``assumptions.capability_evidence_weeks``).

    The coupling and bad-news beliefs are fitted from ratings seen
    (:mod:`okrsim.model.policy_beliefs`).  Returns what was seen of the
    audits, the ratchet and the pull, which the statements are checked against.
    """
    s = policy.scenario
    eta = policy.value("behaviour.learning_rate")
    own = policy.value("behaviour.own_experience_weight")
    t = tally

    def toward(belief: Array, seen: Array | float, where: Array | bool = True) -> None:
        belief[:] = np.where(where, (1 - eta) * belief + eta * seen, belief)

    audits, reports = seen_with_own(wf, org, t.audits, own), seen_with_own(wf, org, t.reports, own)
    audit_rate, audits_seen = audits / np.maximum(reports, 1.0), reports > 0
    toward(wf.audit_belief, audit_rate, audits_seen)
    ratchet, ratcheted = np.zeros(wf.n), np.zeros(wf.n, dtype=bool)
    pull, pulled = np.zeros(wf.n), np.zeros(wf.n, dtype=bool)
    if s.okr.enabled:  # targets were set: there is something to see
        seen_pull, seen_ratchet, seen = targets_seen(wf, org, last_reported, own_weight=own)
        pull, pulled = seen_pull, seen
        toward(wf.pull_belief, seen_pull, seen)
        np.clip(wf.pull_belief, 0.0, 1.0, out=wf.pull_belief)
        if last_reported is not None:
            ratchet, ratcheted = seen_ratchet, seen
            toward(wf.ratchet_belief, ratchet, ratcheted)
            np.clip(wf.ratchet_belief, 0.0, 1.0, out=wf.ratchet_belief)
        # the ask heard this quarter, as a multiple of one's own expected output
        wf.ask_belief[:] = np.nanmean(wf.ask / wf.expected, axis=1)
    # revisions agreed among those the team asked for
    team_asked = org.team_total(t.revision_requests)[wf.team]
    team_agreed = org.team_total(t.revisions)[wf.team]
    toward(wf.agree_belief, team_agreed / np.maximum(team_asked, 1.0), team_asked > 0)
    # the share of the hours worked that went to key results (the hours are planned anew)
    toward(wf.kr_plan, t.kr_time / np.maximum(t.hours, 1e-9), t.hours > 0)
    # the hours usually worked, per week in the seat (what next quarter is planned from)
    toward(wf.usual_hours, t.hours / np.maximum(t.weeks_present, 1.0), t.weeks_present > 0)
    toward(wf.help_belief, t.help_received / WEEKS_PER_QUARTER)
    loss = 1.0 - t.kr_stalled / np.maximum(t.kr_own, 1e-9)
    toward(wf.blocked_loss_belief, loss, t.kr_own > 0)
    observed = t.kr_own / np.maximum(t.kr_effort, 1e-9)
    seen = regressive(observed, policy.number("behaviour.self_assessment_regression"))
    enough = t.kr_effort > policy.value("assumptions.capability_evidence_weeks")
    toward(wf.capability_belief, seen, enough)
    return Seen(audit_rate, audits_seen, ratchet, ratcheted, pull, pulled)


def imitate(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    ratings: Array,
    *,
    settled: bool,
    imitate_u: Array,
    offset: Array,
) -> None:
    """Some copy a better-rated teammate's habits.

    With probability ``imitation_probability`` an employee looks at a random
    teammate and, if that teammate was rated higher at the last review,
    copies its honesty habit, its beliefs about the coupling, audits and bad
    news (with what it believed of them before evidence, their anchors), and
    how far it believes what the organisation states.
    ``imitate_u`` (uniforms) and ``offset`` (the teammate looked at, 1 to
    team size − 1 places on) are drawn every quarter (fixed shapes,
    ``decisions`` stream) and used at reviews.
    """
    if not settled:
        return
    position = (np.arange(wf.n) % org.team_size + offset) % org.team_size
    peer = wf.team * org.team_size + position
    copy = (imitate_u < policy.value("behaviour.imitation_probability")) & (ratings[peer] > ratings)
    copied = (
        wf.honesty,
        wf.audit_belief,
        wf.bad_news_belief,
        wf.coupling_belief,
        wf.bad_news_anchor,
        wf.coupling_anchor,
        wf.credibility,
    )
    for arr in copied:
        arr[:] = np.where(copy, arr[peer], arr)
