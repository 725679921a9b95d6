"""Beliefs about the policy: fitted from ratings seen, moved by what is stated.

Nobody in the organisation is told how ratings really work.  Each employee
believes a coupling ĉ (how much the OKR score moves its rating) and a mark
b^N per piece of bad news, and at every settled review fits them to what it
saw: its own and its teammates' formula scores, bad news and ratings, with an
impression of each one's work beside them (:func:`fit_ratings`).  The
organisation *states* its policy — the coupling, a commitment not to ratchet,
its audit rate — at the first quarter, whenever a stated value changes, and
to each newcomer on arrival (:func:`announce`); each employee moves its
beliefs towards a statement by its credibility κ, and κ moves towards how
well past statements matched what it saw (:func:`update_credibility`).

docs/ODD.md §7.13 (beliefs about the policy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.learning import Seen
from okrsim.model.organisation import Organisation
from okrsim.model.quarter_review import Review
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies.curves import Array

#: Distance between what was stated and what was seen at which a statement is
#: judged as good as none (agreement 0).  Every stated quantity is a share in
#: [0, 1]; half that range is the farthest a seen value can be from a
#: statement at the range's middle, so a miss that large says the statement
#: carried no information (assumption).
FAR = 0.5
#: The range each belief is clipped to: a share for the coupling, a rating
#: mark per piece of bad news that may be a credit (negative).
COUPLING_RANGE, BAD_NEWS_RANGE = (0.0, 1.0), (-1.0, 1.0)
#: How firmly a belief is held when a review is read, per unit of residual
#: variance: 1/sd² of a belief spread evenly over its range (sd = range/√12),
#: for the coupling, the bad-news mark and (no prior) the work's effect.
PRIOR_PRECISION = np.array([12.0, 12.0 / 4.0, 0.0])


@dataclass(frozen=True)
class Statement:
    """What the organisation says of its policy (NaN: nothing said)."""

    coupling_belief: float
    ratchet_belief: float
    audit_belief: float

    @classmethod
    def of(cls, scenario: Scenario) -> Statement:
        """The statement of the scenario in force.

        The stated coupling is ``comp.stated_coupling``, or the coupling in
        force where that is −1 (0 without OKRs: no score counts); a
        no-ratchet commitment states a ratchet of 0 (whether or not managers
        keep it; without a commitment nothing is said); the audit rate stated
        is the rate in force.
        """
        comp, okr = scenario.comp, scenario.okr
        in_force = comp.coupling * float(okr.enabled)
        return cls(
            coupling_belief=comp.stated_coupling if comp.stated_coupling >= 0 else in_force,
            ratchet_belief=0.0 if okr.no_ratchet_commitment else math.nan,
            audit_belief=scenario.judgment.audit_probability,
        )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def announce(
    wf: Workforce,
    scenario: Scenario,
    previous: Statement | None,
    *,
    seats: Array | None = None,
) -> Statement:
    """Each listener moves a belief towards each new statement by its credibility.

    ``b ← b + κ·(stated − b)``: with κ = 0 a statement changes nothing, with
    κ = 1 the belief becomes what is stated.  A statement is heard when it is
    new (``previous`` is ``None``: the first quarter) or differs from the
    previous one; ``seats`` (a mask) limits the listeners to newcomers, who
    hear every statement in force on arrival.  Returns the statement in force.
    """
    statement = Statement.of(scenario)
    listeners = np.ones(wf.n, dtype=bool) if seats is None else seats
    for field in fields(Statement):
        stated = getattr(statement, field.name)
        new = previous is None or not _same(stated, getattr(previous, field.name))
        if math.isnan(stated) or not (new or seats is not None):
            continue
        belief = getattr(wf, field.name)
        belief[:] = np.where(listeners, belief + wf.credibility * (stated - belief), belief)
    return statement


def fit_ratings(
    rating: Array,
    regressors: Array,
    weight: Array,
    *,
    prior: Array | None = None,
    prior_precision: Array | None = None,
) -> tuple[Array, Array]:
    """Each observer's weighted least-squares fit of ratings on what it saw.

    ``rating`` (n, m): the ratings observer i saw of the m members of its
    team; ``regressors`` (n, m, p): what it saw beside them; ``weight``
    (n, m), in observations (one's own counting more).  Fits
    ``rating = a + Σ β_j x_j`` per observer (an intercept absorbs the team's
    level: leniency, the rating scale).  With a ``prior`` (n, p) and its
    ``prior_precision`` (p,) per unit of residual variance, the fit is the
    Bayesian posterior mean: a team of a handful of people says little, and
    what it says is read against what one believed (Bayesian regression with
    a normal prior; the residual variance estimated from the fit).  Returns
    ``β`` (n, p) and whether each coefficient could be told apart: a
    regressor that does not vary in the team, or moves exactly with the
    others, is not identified (its belief should not move).
    """
    total = np.maximum(weight.sum(axis=1), 1e-300)
    w = weight / total[:, None]
    x = regressors - np.einsum("nm,nmp->np", w, regressors)[:, None, :]
    y = rating - (w * rating).sum(axis=1, keepdims=True)
    xtx = np.einsum("nm,nmp,nmq->npq", weight, x, x)
    xty = np.einsum("nm,nmp,nm->np", weight, x, y)
    variance = np.diagonal(xtx, axis1=1, axis2=2) / total[:, None]
    varies = variance > 1e-10
    # a regressor that does not vary is left out (its row and column replaced)
    p = x.shape[2]
    eye = np.eye(p, dtype=bool)[None]
    both = varies[:, :, None] & varies[:, None, :]
    xtx = np.where(both, xtx, np.where(eye, 1.0, 0.0))
    xty = np.where(varies, xty, 0.0)
    ridge = 1e-12 * np.maximum(np.diagonal(xtx, axis1=1, axis2=2).max(axis=1), 1e-12)
    inverse = np.linalg.inv(xtx + ridge[:, None, None] * eye)
    beta = np.einsum("npq,nq->np", inverse, xty)
    # the variance a regressor has beyond what the others explain, 1/(X'WX)⁻¹_jj
    own_variance = 1.0 / np.maximum(np.diagonal(inverse, axis1=1, axis2=2), 1e-300)
    identified = varies & (own_variance > 1e-6 * total[:, None] * np.maximum(variance, 1e-300))
    if prior is not None and prior_precision is not None:
        residual = y - np.einsum("nmp,np->nm", x, beta)
        dof = np.maximum(total - p - 1.0, 1.0)
        noise = np.einsum("nm,nm->n", weight, residual**2) / dof
        shrink = noise[:, None] * np.where(varies, prior_precision[None, :], 0.0)
        posterior = xtx + shrink[:, :, None] * eye
        beta = np.linalg.solve(posterior, (xty + shrink * prior)[..., None])[..., 0]
    return beta, identified


def bad_news(tally: Tally) -> Array:
    """Pieces of bad news each brought this quarter: raised blockers, plus red
    reports counted so that a key result red all quarter is one piece."""
    return tally.raises + tally.red_reports / WEEKS_PER_QUARTER


def learn(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    review: Review,
    seen: Seen,
    *,
    rng: np.random.Generator,
) -> None:
    """At a settled review each employee fits how ratings moved, then rates the statements.

    Observer i sees, for each member j of its team, the score the rating
    settled on, the bad news j brought, an impression of j's work (true
    contribution over the organisation's mean) and j's rating — the last
    two through noise of sd ``behaviour.peer_noise`` for a teammate, exactly
    for itself — its own observation weighing ``own_experience_weight``
    times a teammate's.  The fitted coefficient on the score is the coupling
    seen, minus the one on bad news the mark per piece; each belief moves
    ``learning_rate`` towards it, if it was identified, and is clipped to
    its range.  Controlling for the impression of work separates the rating
    for the score from the rating for the work it reflects only as far as
    the impression is sharp: what noise leaves is confounding, as it would
    be for a person.  The draws (n × team size × 2, ``beliefs`` stream) are
    made every quarter.
    """
    b, m = policy.scenario.behaviour, org.team_size
    noise = b.peer_noise * rng.standard_normal((2, wf.n, m))
    if review.settled:
        members = wf.team[:, None] * m + np.arange(m)[None, :]
        self_seen = members == np.arange(wf.n)[:, None]
        noise = np.where(self_seen, 0.0, noise)
        work = tally.contribution / max(float(tally.contribution.mean()), 1e-9)
        regressors = np.stack(
            [
                review.settled_score[members],
                bad_news(tally)[members],
                work[members] + noise[1],
            ],
            axis=-1,
        )
        present = tally.weeks_present > 0
        weight = np.where(self_seen, b.own_experience_weight, 1.0) * present[members]
        prior = np.column_stack([wf.coupling_belief, -wf.bad_news_belief, np.zeros(wf.n)])
        beta, identified = fit_ratings(
            review.ratings[members] + noise[0],
            regressors,
            weight,
            prior=prior,
            prior_precision=PRIOR_PRECISION,
        )
        learns = identified & present[:, None]
        eta = b.learning_rate
        for belief, fitted, j, (low, high) in (
            (wf.coupling_belief, beta[:, 0], 0, COUPLING_RANGE),
            (wf.bad_news_belief, -beta[:, 1], 1, BAD_NEWS_RANGE),
        ):
            moved = np.clip((1 - eta) * belief + eta * fitted, low, high)
            belief[:] = np.where(learns[:, j], moved, belief)
        checked = {"coupling_belief": (beta[:, 0], learns[:, 0])}
    else:
        checked = {}
    checked["audit_belief"] = (seen.audit_rate, seen.audits_seen)
    checked["ratchet_belief"] = (seen.ratchet, seen.ratchet_seen)
    update_credibility(wf, Statement.of(policy.scenario), checked, eta=b.learning_rate)


def update_credibility(
    wf: Workforce,
    statement: Statement,
    checked: dict[str, tuple[Array, Array]],
    *,
    eta: float,
) -> None:
    """Credibility moves towards how well the statements in force matched what was seen.

    For each statement made and each employee that saw the quantity it is
    about (``checked`` maps a belief's name to what was seen and where),
    agreement is ``1 − |seen − stated|/FAR`` clipped to [0, 1]; credibility
    moves ``eta`` towards the mean agreement over the statements checked.
    """
    total, count = np.zeros(wf.n), np.zeros(wf.n)
    for name, (value, where) in checked.items():
        stated = getattr(statement, name)
        if math.isnan(stated):
            continue
        agreement = np.clip(1.0 - np.abs(value - stated) / FAR, 0.0, 1.0)
        total += np.where(where, agreement, 0.0)
        count += where
    agreement = total / np.maximum(count, 1.0)
    wf.credibility[:] = np.where(
        count > 0, (1 - eta) * wf.credibility + eta * agreement, wf.credibility
    )
