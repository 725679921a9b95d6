"""Learning and imitation: beliefs and habits move with what each employee saw.

At each review every employee moves its beliefs a step ``behaviour.learning_rate``
towards what it saw this quarter; some copy the habits and beliefs of a
better-rated teammate (Braganza 2022's selection on the proxy), so culture
drifts towards what the rating rewards.

docs/ODD.md §7.10 (learning and imitation).
"""

from __future__ import annotations

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce, regressive
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array


def targets_seen(
    wf: Workforce, org: Organisation, last_reported: Array | None
) -> tuple[Array, Array, Array]:
    """How far the team's targets were seen to follow the manager's ask and last quarter's reports.

    Each employee knows, for every key result in its team, the owner's offer,
    the manager's ask (said in the target conversation), the target set at
    the quarter's start (before any revision) and last quarter's reported
    output.  Targets moved from offers towards the
    ask, the reports, or both: the team's least-squares fit of
    ``T − offer = a·(ask − offer) + b·(reported − offer)`` separates the two
    (without reports, ``b = 0``).  Returns the pull seen ``a`` and the
    ratchet seen ``b`` (each clipped to [0, 1]), and whether the team's key
    results let them be told apart (else nothing is seen).
    """
    target = wf.target_set
    reported = wf.offer if last_reported is None else last_reported
    dy, d1, d2 = target - wf.offer, wf.ask - wf.offer, reported - wf.offer
    ok = np.isfinite(dy) & np.isfinite(d1) & np.isfinite(d2)
    dy, d1, d2 = (np.where(ok, v, 0.0) for v in (dy, d1, d2))

    def team_sum(x: Array) -> Array:
        return org.team_total(x.sum(axis=1))

    s11, s22, s12 = team_sum(d1 * d1), team_sum(d2 * d2), team_sum(d1 * d2)
    s1y, s2y = team_sum(d1 * dy), team_sum(d2 * dy)
    if last_reported is None:
        usable = s11 > 1e-12
        pull = np.where(usable, s1y / np.where(usable, s11, 1.0), 0.0)
        ratchet = np.zeros_like(pull)
    else:
        det = s11 * s22 - s12**2
        scale = np.maximum(s11 * s22, 1e-300)
        usable = det > 1e-6 * scale
        safe = np.where(usable, det, 1.0)
        pull = np.where(usable, (s22 * s1y - s12 * s2y) / safe, 0.0)
        ratchet = np.where(usable, (s11 * s2y - s12 * s1y) / safe, 0.0)
    team = wf.team
    return np.clip(pull, 0.0, 1.0)[team], np.clip(ratchet, 0.0, 1.0)[team], usable[team]


def ratchet_seen(wf: Workforce, org: Organisation, last_reported: Array) -> tuple[Array, Array]:
    """The ratchet seen (``b`` of :func:`targets_seen`), and whether it could be seen."""
    _, ratchet, usable = targets_seen(wf, org, last_reported)
    return ratchet, usable


def learn(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    *,
    last_reported: Array | None,
) -> None:
    """Beliefs move towards what each employee saw this quarter.

    * audit belief → the share of the team's reports the manager checked;
    * bad news → the mark the manager put on the team's raised blockers and
      red reports, seen only when a teammate brought bad news (if nobody
      does, the fear stays: Tesser & Rosen 1975's MUM effect feeds itself);
    * ratchet and pull beliefs → how far the team's targets were seen to
      move from their owners' offers towards last quarter's reported output
      and towards the manager's ask; the ask expected → the one heard;
    * agreement belief → the share of the team's asked-for revisions the
      manager agreed to, seen only when someone asked;
    * own work → planned key-result time, help received, output lost to
      blockers, and capability (seen regressively, Moore & Healy 2008).
    """
    s = policy.scenario
    eta = s.behaviour.learning_rate
    t = tally

    def toward(belief: Array, seen: Array | float, where: Array | bool = True) -> None:
        belief[:] = np.where(where, (1 - eta) * belief + eta * seen, belief)

    news = t.raises + t.red_reports
    team_news = org.team_total(news)[wf.team]
    toward(wf.bad_news_belief, s.judgment.blocker_penalty, team_news > 0)
    team_audits = org.team_total(t.audits)
    team_reports = org.team_total(t.reports)
    seen_rate = (team_audits / np.maximum(team_reports, 1.0))[wf.team]
    toward(wf.audit_belief, seen_rate, team_reports[wf.team] > 0)
    if s.okr.enabled:
        seen_pull, seen_ratchet, seen = targets_seen(wf, org, last_reported)
        toward(wf.pull_belief, seen_pull, seen)
        if last_reported is not None:
            toward(wf.ratchet_belief, seen_ratchet, seen)
        # the ask heard this quarter, as a multiple of one's own expected output
        wf.ask_belief[:] = np.nanmean(wf.ask / np.maximum(wf.expected, 1e-9), axis=1)
    # revisions agreed among those the team asked for
    team_asked = org.team_total(t.revision_requests)[wf.team]
    team_agreed = org.team_total(t.revisions)[wf.team]
    toward(wf.agree_belief, team_agreed / np.maximum(team_asked, 1.0), team_asked > 0)
    # time on key results per week in the seat (a newcomer's vacancy is not a habit)
    toward(wf.kr_plan, t.kr_time / np.maximum(t.weeks_present, 1.0), t.weeks_present > 0)
    toward(wf.help_belief, t.help_received / WEEKS_PER_QUARTER)
    loss = 1.0 - t.kr_stalled / np.maximum(t.kr_own, 1e-9)
    toward(wf.blocked_loss_belief, loss, t.kr_own > 0)
    observed = t.kr_own / np.maximum(t.kr_effort, 1e-9)
    seen = regressive(observed, s.behaviour.self_assessment_regression)
    toward(wf.capability_belief, seen, t.kr_effort > 0.5)


def imitate(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    ratings: Array,
    *,
    settled: bool,
    rng: np.random.Generator,
) -> None:
    """Some copy a better-rated teammate's habits.

    With probability ``imitation_probability`` an employee looks at a random
    teammate and, if that teammate was rated higher at the last review,
    copies its honesty habit and its beliefs about audits and bad news.
    The draws are made every quarter (fixed shapes) and used at reviews.
    """
    imitate_u = rng.random(wf.n)
    offset = rng.integers(1, org.team_size, wf.n)
    if not settled:
        return
    position = (np.arange(wf.n) % org.team_size + offset) % org.team_size
    peer = wf.team * org.team_size + position
    copy = (imitate_u < policy.scenario.behaviour.imitation_probability) & (ratings[peer] > ratings)
    for arr in (wf.honesty, wf.audit_belief, wf.bad_news_belief):
        arr[:] = np.where(copy, arr[peer], arr)
