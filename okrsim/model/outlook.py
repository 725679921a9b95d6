"""What employees expect: their quarter's attainment and its uncertainty.

Every weekly choice weighs the same forecast: each key result's expected final
attainment and its spread, as the employee perceives them (own forecast of
weekly output at a normal week's hours, learned from past quarters, times the
hours it plans for the weeks left; progress so far as perceived).
The ratchet's claw-back — next quarter's score lost per unit reported now —
is weighed with a whole quarter's uncertainty.

docs/ODD.md §4.6 (prediction).
"""

from __future__ import annotations

import functools

import numpy as np

from okrsim.model.each_run import PARTS, SPREAD_KEYS
from okrsim.model.in_force import InForce
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import choices
from okrsim.policies.curves import Array, Curve

#: Each key result's expected final attainment and its sd, shape (n, k) each.
Outlook = tuple[Array, Array]


def relative_sd(scenario: Scenario, weeks_left: int) -> float:
    """An employee's uncertainty about its quarter's output, relative to the mean.

    Weekly luck averages out over the weeks left; one's own capability
    estimate does not (its error is the self-knowledge sd); blockers add a
    spread of their own, ``b·severity·√(rate·weeks)/weeks`` with ``b``
    ``assumptions.blocker_spread`` (the form is an assumption).
    """
    s = scenario
    values = (getattr(getattr(s, PARTS[key][0]), PARTS[key][1]) for key in SPREAD_KEYS)
    return _relative_sd(*values, weeks_left=weeks_left)


def policy_sd(policy: InForce, weeks_left: int, *, per_key_result: bool = False) -> float | Array:
    """:func:`relative_sd` under the policy in force: in a cohort whose runs differ
    in what it is made of, each run's (worked out once a run, as alone), per employee.
    Kept for the quarter: the weeks left are all it varies with."""
    return policy.kept(
        f"relative_sd {weeks_left} {per_key_result}",
        lambda: policy.per_run(
            SPREAD_KEYS,
            lambda *values: _relative_sd(*values, weeks_left=weeks_left),
            per_key_result=per_key_result,
        ),
    )


def _relative_sd(
    luck_sd: float,
    self_knowledge_sd: float,
    severity: float,
    rate: float,
    spread: float,
    *,
    weeks_left: int,
) -> float:
    weeks = max(weeks_left, 1)
    luck = luck_sd / np.sqrt(weeks)
    blockers = severity * np.sqrt(rate * weeks) / weeks * spread
    return float(np.sqrt(luck**2 + self_knowledge_sd**2 + blockers**2))


def weekly_forecast(wf: Workforce, policy: InForce, intensity: Array | float = 1.0) -> Array:
    """Each employee's own forecast of a key result's weekly output, shape (n, 1).

    ``ĉ × h × planned key-result time × (1 − overhead) × focus / K`` at the
    hours planned ``h`` (``intensity``, 1 = a normal week), less the share of
    output its blockers usually cost, plus the help it usually receives — all
    three learned from its own quarters — with the planned time scaled by the
    share of the quarter it expects to be in its seat and up to speed
    (newcomers).
    """
    own = wf.capability_belief * intensity * wf.kr_plan * (1.0 - policy.overhead) * policy.focus
    own = own * (1.0 - wf.blocked_loss_belief) * wf.availability
    return ((own + wf.help_belief) / wf.k)[:, None]


def attainment_outlook(
    wf: Workforce,
    policy: InForce,
    week_in_quarter: int,
    *,
    worked: bool = False,
    intensity: Array | None = None,
) -> Outlook:
    """Each employee's expected final attainment per key result and its sd (as perceived).

    ``worked``: this week's work is done and counts as progress, not outlook.
    ``intensity``: the mean intensity planned over the weeks left, shape (n,);
    by default the plan for the quarter's later weeks
    (``wf.planned_intensity``, :mod:`okrsim.model.effort_allocation`).
    """
    weeks_left = WEEKS_PER_QUARTER - week_in_quarter - int(worked)
    planned = wf.planned_intensity if intensity is None else intensity
    weekly = weekly_forecast(wf, policy, planned)
    target = wf.target * wf.par
    mu = (wf.progress * wf.perception[:, None] + weekly * weeks_left) / target
    sd = policy_sd(policy, weeks_left, per_key_result=True) * weekly * weeks_left / target
    return mu, np.maximum(sd, 0.02)


def ratchet_claw_back(wf: Workforce, policy: InForce) -> Array:
    """Next quarter's formula score lost per unit of attainment reported now, shape (n, 1).

    An employee who believes next quarter's target moves by ``α̂`` of what is
    reported (its ratchet belief, learned from targets seen) expects each
    unit reported to cost ``α̂·f'`` at next quarter's target, weighed with a
    whole quarter's uncertainty.
    """
    return wf.ratchet_belief[:, None] * policy.kept("claw_back", lambda: _slope_at_target(policy))


def _slope_at_target(policy: InForce) -> float | Array:
    """The score's slope at attainment 1, next quarter's uncertainty: a number, or in
    a cohort whose runs' curves or uncertainties differ, each run's, (n, 1)."""
    next_sd = policy_sd(policy, WEEKS_PER_QUARTER)
    curve = policy.payoff.curve
    if not curve.per_row and np.ndim(next_sd) == 0:
        return _marginal_at_target(curve, float(next_sd))
    slopes = [
        np.full(part.stop - part.start, _marginal_at_target(own, sd))
        for part, own, sd in curve.pieces(next_sd)
    ]
    return np.concatenate(slopes)[:, None]


@functools.lru_cache(maxsize=choices.CURVES_CACHED)
def _marginal_at_target(curve: Curve, sd: float) -> float:
    """The score's slope at attainment 1 with spread ``sd``: fixed for a quarter's policy,
    read every week."""
    return float(choices.formula_marginal(curve, 1.0, sd))
