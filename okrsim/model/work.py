"""Work: the week's ground truth, and the stress it leaves.

Output on key results (capability × luck × focus, stalled by blockers and by
upstream colleagues' blockers, lifted by help received), non-OKR work against
a backlog whose neglect causes incidents (Holmström & Milgrom 1991's
unmeasured task), help given and its saturating value, exploration's
breakthroughs, and blockers clearing (raised ones faster).  The value created
and each employee's contribution to it are logged beside what is reported;
the organisation inside the model never sees them.

docs/ODD.md §7.5 (work: the ground truth).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.outlook import Outlook
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.policies.curves import Array

#: Weekly stress carry-over (an exponential average over ~12 weeks; assumption).
STRESS_MEMORY = 0.92


def work(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    draws: dict[str, Array],
    tally: Tally,
    *,
    quarter: int,
    week: int,
    week_in_quarter: int,
) -> Array:
    """Do the week's work; returns the value each employee's work created this week."""
    s, env, krs = policy.scenario, policy.scenario.env, policy.krs
    overhead = policy.overhead + policy.negotiation_hours(week_in_quarter)
    tally.overhead += overhead
    tally.effort += wf.effort
    k, bau, help_, explore = (wf.effort * (1.0 - overhead)).T
    productivity = wf.capability * draws["luck"] * policy.focus
    if env.shock_quarter == quarter:
        productivity = productivity * (1.0 - env.shock_size)
    # A KR that needs an upstream team's result stalls while that team is behind.
    dep_blocked = org.dependency_blocked(wf.blocked)
    tally.dependency_weeks += dep_blocked.sum(axis=1)
    stall = 1.0 - env.blocker_severity * np.maximum(wf.blocked, dep_blocked)
    # Help: each teammate receives an equal part of the team's help; its value
    # saturates (help_value·sat·(1 − e^{−r/sat})).
    help_out = productivity * help_
    received = (org.team_mean(help_out) * org.team_size - help_out) / (org.team_size - 1)
    boost = env.help_value * env.help_saturation * -np.expm1(-received / env.help_saturation)
    own_kr = productivity * k
    tally.kr_own += own_kr
    tally.kr_effort += k * policy.focus
    kr_out = (own_kr / krs)[:, None] * stall
    tally.kr_stalled += kr_out.sum(axis=1)
    kr_out = kr_out + (boost / krs)[:, None]
    wf.progress += kr_out
    tally.kr_output_by_third[:, :, tally.third(week_in_quarter)] += kr_out
    # Non-OKR work meets the most urgent needs first; the rest becomes backlog,
    # and backlog causes incidents (Holmström & Milgrom's unmeasured task).
    need = env.bau_demand + wf.backlog
    done = productivity * bau
    wf.bau_done[:] = done
    met = need * -np.expm1(-done / np.maximum(need, 1e-9))
    wf.backlog[:] = (need - met) * (1.0 - env.backlog_decay)
    incidents = env.incident_cost * wf.backlog
    # Exploration: an exogenous uniform against a choice-driven hazard.
    hazard = env.breakthrough_rate * -np.expm1(-explore / env.exploration_scale)
    breakthrough = draws["breakthrough"] < hazard
    # Blockers clear: raised ones faster (the manager's coaching, colleagues' help).
    rate = np.where(
        wf.raised,
        env.raised_resolve_rate + s.judgment.coach_help + np.minimum(received, 1.0)[:, None],
        env.self_resolve_rate,
    )
    cleared = wf.blocked & (draws["resolve"] < rate)
    never_raised = cleared & ~wf.raised
    if never_raised.any():
        tally.latencies.append((week + 1 - wf.onset_week[never_raised]).astype(float))
    tally.hidden_weeks += (wf.blocked & ~wf.raised).sum()
    tally.blocked_weeks += wf.blocked.sum()
    wf.blocked &= ~cleared
    wf.raised &= wf.blocked
    # Value created this week, and each employee's own contribution to it
    # (help is credited to the helpers, pro rata within the team).
    align = policy.alignment
    value = (
        align * kr_out.sum(axis=1)
        + env.bau_value * met
        - incidents
        + align * env.breakthrough_value * breakthrough
    )
    # A breakthrough is luck; the contribution is the exploration's expected value.
    contribution = (
        value
        - align * boost
        + align * org.share_back(help_out, boost)
        + align * env.breakthrough_value * (hazard - breakthrough)
    )
    tally.kr_output += kr_out.sum(axis=1)
    tally.value += value
    tally.contribution += contribution
    tally.help_given += help_out
    tally.help_received += boost
    tally.incidents += incidents
    tally.breakthroughs += breakthrough
    return value


def update_stress(
    wf: Workforce, policy: InForce, outlook: Outlook, *, week_in_quarter: int
) -> None:
    """Stress: pay at risk times the chance of missing, plus overhead (assumption)."""
    overhead = policy.overhead + policy.negotiation_hours(week_in_quarter)
    if policy.scenario.okr.enabled:
        mu, sd = outlook
        miss = ndtr((1.0 - mu) / sd).mean(axis=1)  # the chance of missing the target
    else:
        miss = np.zeros(wf.n)
    pressure = policy.payoff.coupling * miss * (1.0 + wf.risk_aversion) / 2.0 + overhead
    wf.stress[:] = STRESS_MEMORY * wf.stress + (1.0 - STRESS_MEMORY) * np.clip(pressure, 0.0, 1.0)
