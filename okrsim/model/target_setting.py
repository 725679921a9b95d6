"""Target setting: each employee's offer, the rule that turns it into a target, revisions.

At a quarter's start every employee offers a target multiple ``τ`` of its own
expected output by certainty equivalent under its beliefs
(:func:`okrsim.policies.choices.choose_target`), anticipating how far it
believes the manager's ask will pull the offer (Fisher, Frederickson &
Peffer 2000), moving part of the way from the multiple it offered last (a
habit, :func:`okrsim.policies.choices.habitual`).  The target rule in force
then moves the offer, as numbers the policy defines: towards the manager's
ask by the manager's pull (0 self-set, the negotiation pressure when
negotiated, 1 when assigned) and towards last quarter's reported output by
the ratchet's pull (Weitzman 1980).
Mid-quarter, where revision is allowed, employees may ask to re-state a
target at a cost in time; the manager agrees only to a move towards what it
itself would ask for now.

The manager's estimate of each report's output (the basis of the ask, and
of how ambition is judged) comes from what the manager sees of the work.

docs/ODD.md §7.3 (target setting).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from okrsim import portable
from okrsim.model import decision_rules
from okrsim.model.in_force import InForce
from okrsim.model.outlook import policy_sd, weekly_forecast
from okrsim.model.stacked_choice import own_rows
from okrsim.model.workforce import Workforce
from okrsim.params import LEAST_EXPECTED, WEEKS_PER_QUARTER
from okrsim.policies import choices
from okrsim.policies.curves import Array

#: Week of the quarter (0-based) at which targets may be revised, when revision is allowed.
REVISION_WEEK = 6


def quarter_expectations(wf: Workforce, policy: InForce, aspirational: Array) -> None:
    """Each key result's expected output and par for the quarter starting now.

    Output is expected at the hours one usually works (learned from one's
    quarters), and the quarter's plan starts from them.  One who expects to
    produce nothing (all of its time blocked, or none of it up to speed)
    expects :data:`~okrsim.params.LEAST_EXPECTED`: what is weighed per unit of expected
    output stays finite.
    """
    s = policy.scenario
    wf.par[:] = np.where(aspirational, s.okr.aspirational_par, 1.0)
    wf.planned_intensity[:] = wf.usual_hours
    wf.expected[:] = np.maximum(
        weekly_forecast(wf, policy, wf.usual_hours) * WEEKS_PER_QUARTER, LEAST_EXPECTED
    )


def estimate_noise_sd(policy: InForce) -> float:
    """The sd of a manager's log-noise on capability:
    ``assumptions.manager_estimate_noise·(1 − judgment.accuracy)``."""
    s = policy.scenario
    return s.assumptions.manager_estimate_noise * (1.0 - s.judgment.accuracy)


def manager_estimate(wf: Workforce, policy: InForce, noise: Array) -> Array:
    """A manager's estimate of each report's quarterly output per KR, shape (n, k).

    The manager knows what the employee knows of the past quarters (hours
    worked, time on key results, help received, output lost to blockers) but judges
    capability from what it sees of the work: the truth with log-noise
    ``noise`` (normal, sd :func:`estimate_noise_sd`; audit stream) instead
    of the employee's self-assessment.  Like the employee's, it is at least
    :data:`~okrsim.params.LEAST_EXPECTED`.
    """
    krs = policy.krs
    seen = wf.capability * portable.exp(noise)
    own = seen * wf.usual_hours * wf.kr_plan * (1.0 - policy.overhead) * policy.focus
    own = own * wf.availability
    weekly = (own * (1.0 - wf.blocked_loss_belief) + wf.help_belief) / krs
    quarterly = np.maximum(weekly * WEEKS_PER_QUARTER, LEAST_EXPECTED)
    return quarterly[:, None] * np.ones((1, krs))


def set_targets(
    wf: Workforce,
    policy: InForce,
    *,
    manager_view: Array,
    last_reported: Array | None,
) -> None:
    """Offers, and the targets the rule in force makes of them.

    Each employee offers the target multiple whose *resulting* target is
    best for it, expecting its offer to be moved by the pull it believes the
    manager's ask has towards the ask it heard last (:attr:`Workforce.pull_belief`,
    :attr:`Workforce.ask_belief`); where it expects no pull the offer is its
    honest choice.  The rule then moves the offer by the real pull towards
    the manager's real ask, and by the ratchet's pull towards
    ``last_reported``, last quarter's reported output (``None`` in the first
    quarter).  Under a decision rule other than optimise, the offer is the
    rule's option (:mod:`okrsim.model.decision_rules`).
    """
    s, p = policy.scenario, policy.payoff
    if decision_rules.by_rule(s):
        offer = decision_rules.option(wf, "offer", policy)  # the rule's option is its own habit
    else:
        best, utilities = _best_offers(wf, policy)
        wf.target_utilities[:] = utilities
        # Habit: the offer moves part of the way from the multiple offered a
        # quarter ago; one who has offered none yet offers its best response.
        had = np.isfinite(wf.last_tau)
        adjust = np.where(had, policy.habit_adjustment(WEEKS_PER_QUARTER), 1.0)
        offer = choices.habitual(np.where(had, wf.last_tau, best), best, adjust)
    wf.last_tau[:] = offer
    own = offer[:, None] * wf.expected
    forecast = manager_forecast(manager_view, done=np.zeros_like(own), weeks_left=WEEKS_PER_QUARTER)
    ask = manager_ask(policy, forecast)
    target = ruled_target(policy, own, ask)
    wf.ask[:] = ask
    if last_reported is not None:
        # a newcomer has no report of its own to ratchet on (NaN)
        anchor = np.where(np.isfinite(last_reported), last_reported, own)
        target = target + p.ratchet_pull * (anchor - own)
    wf.offer[:] = own
    wf.target[:] = np.maximum(target / wf.par, 1e-6)
    wf.target_set[:] = wf.target * wf.par


def _best_offers(wf: Workforce, policy: InForce) -> tuple[Array, Array]:
    """Each employee's best offer and every offer's utility (:func:`~.choices.choose_target`).

    Whether anyone expects a pull picks how the targets' score moments are
    worked out (exactly on the offer grid, or from a table), so in a cohort
    whose runs differ in it each run chooses on its own rows, as it would
    alone (:attr:`InForce.runs`).
    """
    payoff = policy.believed(wf.coupling_belief)
    each = {
        "extrinsic": policy.value("behaviour.extrinsic_weight"),
        "risk_aversion": wf.risk_aversion,
        "honesty_cost": wf.honesty * policy.value("behaviour.target_scrutiny"),
        "pull": wf.pull_belief,
        "ask": wf.ask_belief,
    }
    pulled = wf.pull_belief.reshape(policy.runs, -1).any(axis=1)
    split = bool(pulled.any() and not pulled.all())
    return _choose_by_run(wf, policy, payoff, WEEKS_PER_QUARTER, each, split=split)


#: The target multiples' extent (:func:`~okrsim.policies.choices.target_grid`).
OFFER_EXTENT = ("assumptions.min_target_offer", "assumptions.max_target_offer")


def _choose_by_run(
    wf: Workforce,
    policy: InForce,
    payoff: choices.Payoff,
    weeks_left: int,
    each: dict[str, Any],
    *,
    split: bool,
) -> tuple[Array, Array]:
    """:func:`~.choices.choose_target` with ``weeks_left``'s uncertainty and the
    per-employee arguments ``each``: in a cohort, run by run where ``split`` or
    where its runs weigh different offers (each its own), as each would alone."""
    rel_sd = policy_sd(policy, weeks_left)
    grids = policy.each_run(OFFER_EXTENT, choices.target_grid)
    runs = policy.runs if split or grids is not None else 1
    parts = [slice(r * wf.n // runs, (r + 1) * wf.n // runs) for r in range(runs)]
    chosen = [
        choices.choose_target(
            rel_sd[part] if isinstance(rel_sd, np.ndarray) else rel_sd,
            payoff=own_rows(payoff, part, wf.n),
            **{k: v[part] if isinstance(v, np.ndarray) else v for k, v in each.items()},
            offers=grids[r] if grids is not None else policy.target_offers,
        )
        for r, part in enumerate(parts)
    ]
    return np.concatenate([b for b, _ in chosen]), np.concatenate([u for _, u in chosen])


def manager_forecast(manager_view: Array, *, done: Array, weeks_left: int) -> Array:
    """A manager's forecast of a quarter's output: ``done + view·weeks_left/13``, what
    is reported done so far and its estimate of the rest of the quarter."""
    return done + manager_view * (weeks_left / WEEKS_PER_QUARTER)


def manager_ask(policy: InForce, forecast: Array) -> Array:
    """The target a manager asks for: its stretch on its own forecast of the output."""
    return policy.scenario.okr.assigned_stretch * forecast


def ruled_target(policy: InForce, own: Array, ask: Array) -> Array:
    """The target the rule in force makes of ``own``: moved by its pull towards ``ask``."""
    return own + policy.payoff.manager_pull * (ask - own)


def revise_targets(wf: Workforce, policy: InForce, *, manager_view: Array) -> tuple[Array, Array]:
    """Mid-quarter: employees may ask to re-state a target; managers agree or refuse.

    Each employee re-chooses each key result's target from its reported
    progress (the target it would now state, at the honesty cost of the new
    statement) and asks for it when the believed gain — the change in its
    target utility, times its belief that the manager agrees — beats the
    time asking costs (``okr.revision_hours`` of a week per key result, at
    its marginal value of time).  The manager agrees only to move a target
    towards the one the rule in force would set now from the manager's side
    — its forecast from the reported progress and its own view, moved by the
    rule's pull towards its ask (:func:`manager_ask`), as a quarter's target
    is moved from the offer — and no further.  The time asked is
    taken from next week.  Under a decision rule other than optimise, whether
    to ask and the multiple asked for are the rule's options
    (:mod:`okrsim.model.decision_rules`).  Returns each employee's numbers of
    key results asked for and revised.
    """
    s, p = policy.scenario, policy.believed(wf.coupling_belief)
    weeks_left = WEEKS_PER_QUARTER - (REVISION_WEEK + 1)
    # both sides see the reported progress, not the truth
    done = wf.reported.copy()
    expected = done + wf.expected * weeks_left / WEEKS_PER_QUARTER
    current = wf.target * wf.par
    if decision_rules.by_rule(s):
        # the rule's option: ask or not, for the multiple it offers
        asked = np.broadcast_to(
            decision_rules.option(wf, "revise", policy)[:, None] > 0, current.shape
        )
        proposed = decision_rules.option(wf, "offer", policy)[:, None] * expected
    else:
        asked, proposed = _revision_asked(wf, policy, p, expected, current)
    # the target the rule would set from the manager's own forecast: its ask
    # where it sets targets, its forecast where employees do, a blend between
    forecast = manager_forecast(manager_view, done=done, weeks_left=weeks_left)
    reference = ruled_target(policy, forecast, manager_ask(policy, forecast))
    # a reference equal to the target up to rounding is no reason to move it
    reference = np.where(np.isclose(reference, current, rtol=1e-9, atol=0.0), current, reference)
    agreed = asked & choices.manager_agrees(current, proposed, reference)
    revised = choices.agreed_target(current, proposed, reference)
    wf.target[:] = np.where(agreed, np.maximum(revised / wf.par, 1e-6), wf.target)
    wf.revision_time[:] = s.okr.revision_hours * asked.sum(axis=1)
    return asked.sum(axis=1), agreed.sum(axis=1)


def _revision_asked(
    wf: Workforce, policy: InForce, p: choices.Payoff, expected: Array, current: Array
) -> tuple[Array, Array]:
    """Which key results an optimiser asks to revise, and the targets it proposes."""
    s = policy.scenario
    weeks_left = WEEKS_PER_QUARTER - (REVISION_WEEK + 1)
    x, rel_sd = policy.value("behaviour.extrinsic_weight"), policy_sd(policy, weeks_left)
    each = {
        "extrinsic": x,
        "risk_aversion": wf.risk_aversion,
        "honesty_cost": wf.honesty * policy.value("behaviour.target_scrutiny"),
    }
    tau, utilities = _choose_by_run(wf, policy, p, weeks_left, each, split=False)
    # the target in force was stated already: keeping it costs no new statement
    u_now = choices.target_utility(
        current / np.maximum(expected, 1e-9),
        rel_sd,
        payoff=p,
        extrinsic=policy.value("behaviour.extrinsic_weight", per_key_result=True),
        risk_aversion=wf.risk_aversion[:, None],
        honesty_cost=0.0,
    )
    # each key result is one of K in the score
    gain = (utilities.max(axis=1)[:, None] - u_now) / policy.krs
    proposed = tau[:, None] * expected
    time_cost = s.okr.revision_hours * wf.value_of_time
    asked = choices.ask_to_revise(
        gain, agree_belief=wf.agree_belief[:, None], time_cost=time_cost[:, None]
    )
    return asked, proposed
