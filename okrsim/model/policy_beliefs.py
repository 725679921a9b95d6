"""Beliefs about the policy: fitted from ratings seen, moved by what is stated.

Nobody in the organisation is told how ratings really work.  Each employee
believes a coupling c̃ (how much the OKR score moves its rating) and a mark
b^N per piece of bad news.  What it believed before any evidence is its
*anchor*; at every settled review it fits ratings to what it saw — its own
and its teammates' formula scores, bad news and ratings, with an impression
of each one's work beside them, and the same of the organisation's teams,
each team's means as one observation (:mod:`okrsim.model.rating_evidence`) —
and believes the two fits, weighed by their precision, as far as they are
reliable, the anchor for the rest.  The organisation
*states* its policy — the coupling, how targets are set, a commitment not to
ratchet, its audit rate — at the first quarter, whenever a stated value
changes, and to each newcomer on arrival (:func:`announce`); each employee
moves its beliefs towards a statement by its credibility κ, and κ moves
towards how well past statements matched what it saw
(:func:`update_credibility`).

docs/ODD.md §7.13 (beliefs about the policy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.learning import Seen
from okrsim.model.organisation import Organisation
from okrsim.model.quarter_review import Review
from okrsim.model.rating_evidence import (
    bad_news,
    believed_fit,
    reliability,
    remember,
    seen_work,
    standing_seen,
    team_evidence,
)
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import Scenario
from okrsim.policies import choices
from okrsim.policies.curves import Array

#: The range each belief is clipped to: a share for the coupling, a rating
#: mark per piece of bad news that may be a credit (negative).
COUPLING_RANGE, BAD_NEWS_RANGE = (0.0, 1.0), (-1.0, 1.0)
#: Beliefs with an anchor (``Workforce``): a statement moves belief and anchor alike.
ANCHORS = {"coupling_belief": "coupling_anchor", "bad_news_belief": "bad_news_anchor"}
#: The belief the ratings seen speak to: a statement that changes it makes
#: the evidence gathered before it less relevant.
EVIDENCE_OF = "coupling_belief"


#: What is stated of a value a cohort's runs may differ in (:data:`~.each_run.EACH_RUN`):
#: Statement field → scenario key.  In a cohort each employee hears its own run's.
STATED_EACH_RUN = {"audit_belief": "judgment.audit_probability"}


@dataclass(frozen=True)
class Statement:
    """What the organisation says of its policy (NaN: nothing said).

    Each field is named after the ``Workforce`` belief it speaks to.  In a
    cohort of runs, a field of :data:`STATED_EACH_RUN` in which the runs
    differ holds each employee's run's, shape (n,).
    """

    coupling_belief: float
    ratchet_belief: float
    audit_belief: float | Array
    pull_belief: float
    ask_belief: float

    @classmethod
    def of(cls, scenario: Scenario) -> Statement:
        """The statement of the scenario in force.

        The stated coupling is ``comp.stated_coupling``, or the coupling in
        force where that is −1 (0 without OKRs: no score counts); a
        no-ratchet commitment states a ratchet of 0 (whether or not managers
        keep it; without a commitment nothing is said); the audit rate stated
        is the rate in force.  How targets are set is stated with OKRs: the
        pull of the manager's ask under the target rule and the stretch the
        manager asks for (without OKRs no targets are set: nothing said).
        """
        comp, okr = scenario.comp, scenario.okr
        in_force = comp.coupling * float(okr.enabled)
        targets = 1.0 if okr.enabled else math.nan  # NaN: nothing said
        return cls(
            coupling_belief=comp.stated_coupling if comp.stated_coupling >= 0 else in_force,
            ratchet_belief=0.0 if okr.no_ratchet_commitment else math.nan,
            audit_belief=scenario.judgment.audit_probability,
            pull_belief=targets * choices.payoff_for(scenario).manager_pull,
            ask_belief=targets * okr.assigned_stretch,
        )

    @classmethod
    def in_force(cls, policy: InForce) -> Statement:
        """The statement of the policy in force (:meth:`of`), each employee's run's
        where a cohort's runs differ in what is stated."""
        own: dict[str, Any] = {field: policy.value(key) for field, key in STATED_EACH_RUN.items()}
        return replace(cls.of(policy.scenario), **own)


def same(stated: float | Array, before: float | Array) -> Array:
    """Where what is stated is what was stated before (nothing said alike), elementwise."""
    return np.asarray((stated == before) | (np.isnan(stated) & np.isnan(before)))


def same_statement(a: Statement | None, b: Statement | None) -> bool:
    """Whether two runs heard statements alike (nothing said alike), so that they
    hear the next one alike: each may have heard its own of :data:`STATED_EACH_RUN`
    (a cohort's statement holds each run's; :func:`~.stacking.statements`)."""
    if a is None or b is None:
        return a is b
    return all(
        same(getattr(a, f.name), getattr(b, f.name)).all()
        for f in fields(Statement)
        if f.name not in STATED_EACH_RUN
    )


def announce(
    wf: Workforce,
    statement: Statement,
    previous: Statement | None,
    *,
    seats: Array | None = None,
) -> Statement:
    """Each listener moves a belief towards each new part of ``statement`` by its credibility.

    ``b ← b + κ·(stated − b)``: with κ = 0 a statement changes nothing, with
    κ = 1 the belief becomes what is stated; a belief's anchor moves alike.
    A statement of the coupling also makes the ratings seen before it less
    relevant: their evidence is scaled by ``1 − κ`` (what one believes
    changed is what one no longer reads from the old ratings; assumption).
    A statement is heard when it is new (``previous`` is ``None``: the first
    quarter) or differs from the previous one; ``seats`` (a mask) limits the
    listeners to newcomers, who hear every statement in force on arrival.
    Returns ``statement``, now in force.
    """
    everyone = np.ones(wf.n, dtype=bool) if seats is None else seats
    for field in fields(Statement):
        stated = getattr(statement, field.name)
        said = ~np.isnan(stated)
        if previous is not None and seats is None:
            said = said & ~same(stated, getattr(previous, field.name))
        listeners = everyone & said
        if not listeners.any():
            continue
        for name in (field.name, ANCHORS.get(field.name)):
            if name is not None:
                belief = getattr(wf, name)
                belief[:] = np.where(listeners, belief + wf.credibility * (stated - belief), belief)
        if field.name == EVIDENCE_OF:
            kept = np.where(listeners, 1.0 - wf.credibility, 1.0)
            wf.rating_evidence *= kept[:, None]
            wf.standing_evidence *= kept[:, None]
    return statement


def learn(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    review: Review,
    seen: Seen,
    *,
    peer_noise: Array,
    team_noise: Array,
) -> None:
    """At a settled review each employee fits how ratings moved, then rates the statements.

    Every quarter the bad news each brought and the impression of its work
    (:func:`seen_work`) are added to what awaits settlement.  At a settled
    review, observer i sees, for each member j of its team, the score the
    rating settled on, and — averaged over the same quarters — the bad news
    j brought and the impression of j's work, and j's rating; the last two
    through noise of sd ``behaviour.peer_noise`` for a teammate, exactly for
    itself; its own observation weighs ``own_experience_weight`` times a
    teammate's.  The fitted coefficient on the score is the coupling seen,
    minus the one on bad news the mark per piece; each belief becomes its
    anchor moved towards the fit by the fit's reliability ρ (0 if not
    identified), clipped to its range: ``b = anchor + ρ·(β − anchor)``.
    Controlling for the impression of work separates the rating for the
    score from the rating for the work it reflects only as far as the
    impression is sharp: what noise leaves is confounding, as it would be
    for a person.  It also reads the teams' standing (:func:`standing_seen`),
    kept alike, and weighs the two fits by their precision
    (:func:`believed_fit`): under team evaluation the score varies between
    teams, hardly within one.
    ``peer_noise`` (2 × n × team size, ``beliefs`` stream) and ``team_noise``
    (2 × teams, ``standing`` stream) are the quarter's standard normals,
    drawn every quarter.
    """
    m = org.team_size
    peer_sd = policy.value("behaviour.peer_noise", per_key_result=True)
    noise = peer_sd * peer_noise
    wf.unsettled_news += bad_news(tally)
    wf.unsettled_work += seen_work(tally, org)
    wf.unsettled_quarters += 1.0
    checked = {}
    if review.settled:
        members = wf.team[:, None] * m + np.arange(m)[None, :]
        self_seen = members == np.arange(wf.n)[:, None]
        noise = np.where(self_seen, 0.0, noise)
        quarters = np.maximum(wf.unsettled_quarters, 1.0)
        news, work = wf.unsettled_news / quarters, wf.unsettled_work / quarters
        regressors = np.stack(
            [review.settled_score[members], news[members], work[members] + noise[1]], axis=-1
        )
        for unsettled in (wf.unsettled_news, wf.unsettled_work, wf.unsettled_quarters):
            unsettled[:] = 0.0
        present = tally.weeks_present > 0
        own = policy.value("behaviour.own_experience_weight", per_key_result=True)
        weight = np.where(self_seen, own, 1.0) * present[members]
        seen_now = team_evidence(review.ratings[members] + noise[0], regressors, weight)
        standing_now = standing_seen(
            org, review, news, work, present, noise=team_noise, peer_sd=peer_sd
        )
        # constant-gain recursive least squares (Evans & Honkapohja 2001): the
        # sums move η towards this review's and old evidence fades at that
        # rate; over η they count the observations memory holds (about 1/η
        # reviews' worth), which is what the fit's reliability weighs
        rate = policy.value("behaviour.learning_rate", per_key_result=True)
        eta = np.broadcast_to(rate, (wf.n, 1))
        for evidence, now in ((wf.rating_evidence, seen_now), (wf.standing_evidence, standing_now)):
            evidence[present] = remember(evidence[present], now[present], eta[present])
        held = np.maximum(eta, 1e-12)
        beta, sampling, identified = believed_fit(
            wf.rating_evidence / held, wf.standing_evidence / held
        )
        learns = identified & present[:, None]
        worth_of = {}
        for belief, anchor, j, sign, (low, high) in (
            (wf.coupling_belief, wf.coupling_anchor, 0, 1.0, COUPLING_RANGE),
            (wf.bad_news_belief, wf.bad_news_anchor, 1, -1.0, BAD_NEWS_RANGE),
        ):
            worth = np.where(learns[:, j], reliability(sampling[:, j], (high - low) ** 2 / 12), 0.0)
            fitted = anchor + worth * (np.where(learns[:, j], sign * beta[:, j], anchor) - anchor)
            belief[:] = np.where(present, np.clip(fitted, low, high), belief)
            worth_of[j] = worth
        checked["coupling_belief"] = (beta[:, 0], worth_of[0])
    checked["audit_belief"] = (seen.audit_rate, seen.audits_seen.astype(float))
    checked["ratchet_belief"] = (seen.ratchet, seen.ratchet_seen.astype(float))
    checked["pull_belief"] = (seen.pull, seen.pull_seen.astype(float))
    far = policy.value("assumptions.statement_far")
    eta_each = policy.value("behaviour.learning_rate")
    update_credibility(wf, Statement.in_force(policy), checked, eta=eta_each, far=far)


def update_credibility(
    wf: Workforce,
    statement: Statement,
    checked: dict[str, tuple[Array, Array]],
    *,
    eta: float | Array,
    far: float | Array,
) -> None:
    """Credibility moves towards how well the statements in force held up.

    ``checked`` maps a belief's name to what each employee saw of it and how
    much that is worth (0: nothing seen, 1: seen clearly; a fit's
    reliability).  A statement's agreement is ``1 − |seen − stated|/far``
    clipped to [0, 1] (``far``, ``assumptions.statement_far``: the distance at
    which a statement is judged as good as none; every stated quantity is a
    share in [0, 1], and half that range is the farthest a seen value can be
    from a statement at the range's middle), counted ``1 − worth·(1 − agreement)`` (what one could
    barely check is not held against it); credibility moves ``eta`` × the
    largest worth towards the least of them: one statement found false costs credibility however
    many others held (trust is lost more easily than it is gained; Slovic
    1993's asymmetry, *directional*).
    """
    least, checks = np.ones(wf.n), np.zeros(wf.n)
    for name, (value, worth) in checked.items():
        stated = getattr(statement, name)
        said = ~np.isnan(stated)  # in a cohort, each employee's run's
        if not said.any():
            continue
        agreement = np.clip(1.0 - np.abs(value - stated) / far, 0.0, 1.0)
        least = np.minimum(least, np.where(said, 1.0 - worth * (1.0 - agreement), 1.0))
        checks = np.maximum(checks, np.where(said, worth, 0.0))
    # as far as anything could be checked at all
    wf.credibility[:] = wf.credibility + eta * checks * (least - wf.credibility)
