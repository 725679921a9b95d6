"""Target setting: each employee's offer, and the rule that turns it into a target.

At a quarter's start every employee chooses a target multiple ``τ`` of its own
expected output by certainty equivalent under its beliefs
(:func:`okrsim.policies.choices.choose_target`).  The target rule in force then
moves the offer, as numbers the policy defines: towards the manager's ask by
the manager's pull (0 self-set, the negotiation pressure when negotiated, 1
when assigned) and towards last quarter's reported output by the ratchet's
pull (Weitzman 1980).  Mid-quarter, where employees own their targets (no
pull), they may re-state them from the reported progress.

The manager's estimate of each report's output (the basis of the ask, and
of how ambition is judged) comes from what the manager sees of the work.

docs/ODD.md §7.3 (target setting).
"""

from __future__ import annotations

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.outlook import relative_sd, weekly_forecast
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies import choices
from okrsim.policies.curves import Array

#: Week of the quarter (0-based) at which targets may be revised, when revision is allowed.
REVISION_WEEK = 6


def quarter_expectations(wf: Workforce, policy: InForce, aspirational: Array) -> None:
    """Each key result's expected output and par for the quarter starting now."""
    s = policy.scenario
    wf.par[:] = np.where(aspirational, s.okr.aspirational_par, 1.0)
    wf.expected[:] = weekly_forecast(wf, policy) * WEEKS_PER_QUARTER


def manager_estimate(wf: Workforce, policy: InForce, rng: np.random.Generator) -> Array:
    """A manager's estimate of each report's quarterly output per KR, shape (n, k).

    The manager knows what the employee knows of the past quarters (time on
    key results, help received, output lost to blockers) but judges
    capability from what it sees of the work: the truth with log-noise of
    sd ``0.3·(1 − judgment.accuracy)`` instead of the employee's
    self-assessment (the scale is an assumption).
    """
    s, krs = policy.scenario, policy.krs
    noise_sd = 0.3 * (1.0 - s.judgment.accuracy)
    seen = wf.capability * np.exp(rng.normal(0.0, noise_sd, wf.n))
    own = seen * wf.kr_plan * (1.0 - policy.overhead) * policy.focus * wf.availability
    weekly = (own * (1.0 - wf.blocked_loss_belief) + wf.help_belief) / krs
    return (weekly * WEEKS_PER_QUARTER)[:, None] * np.ones((1, krs))


def set_targets(
    wf: Workforce,
    policy: InForce,
    *,
    manager_view: Array,
    last_reported: Array | None,
    progress: Array | None = None,
    weeks_left: int = WEEKS_PER_QUARTER,
) -> None:
    """Targets under the rule in force; ``progress`` given for a mid-quarter revision.

    ``last_reported`` is last quarter's reported output (``None`` in the first
    quarter), which a ratchet moves targets towards.
    """
    s, p = policy.scenario, policy.payoff
    done = np.zeros_like(wf.expected) if progress is None else progress
    expected = done + wf.expected * weeks_left / WEEKS_PER_QUARTER
    rel_sd = relative_sd(s, weeks_left)
    tau, utilities = choices.choose_target(
        rel_sd,
        payoff=policy.believed(wf.coupling_belief),
        extrinsic=s.behaviour.extrinsic_weight,
        risk_aversion=wf.risk_aversion,
        honesty_cost=wf.honesty * s.behaviour.target_scrutiny,
    )
    wf.target_utilities[:] = utilities
    own = tau[:, None] * expected
    ask = s.okr.assigned_stretch * (manager_view * (weeks_left / WEEKS_PER_QUARTER) + done)
    target = own + p.manager_pull * (ask - own)
    wf.ask[:] = ask
    if progress is None and last_reported is not None:
        # a newcomer has no report of its own to ratchet on (NaN)
        anchor = np.where(np.isfinite(last_reported), last_reported, own)
        target = target + p.ratchet_pull * (anchor - own)
    wf.offer[:] = own
    wf.target[:] = np.maximum(target / wf.par, 1e-6)
    if progress is None:
        wf.expected[:] = expected


def revise_targets(wf: Workforce, policy: InForce, *, manager_view: Array) -> Array:
    """Mid-quarter: where employees set their targets, they may re-state them.

    Assigned and ratcheted targets are the organisation's and stay; a
    self-set target is re-chosen given progress so far, a negotiated one
    re-blends the new offer with the manager's ask for the rest of the quarter.
    Returns each employee's number of key results whose target moved by more
    than 5 %.
    """
    p = policy.payoff
    if p.manager_pull >= 1.0 or p.ratchet_pull > 0.0:
        return np.zeros(wf.n)
    before = wf.target.copy()
    weeks_left = WEEKS_PER_QUARTER - (REVISION_WEEK + 1)
    # both sides see the reported progress, not the truth
    set_targets(
        wf,
        policy,
        manager_view=manager_view,
        last_reported=None,
        progress=wf.reported.copy(),
        weeks_left=weeks_left,
    )
    changed = np.abs(wf.target - before) > 0.05 * before
    return changed.sum(axis=1)
