"""Effort allocation: each employee splits its week to maximise its perceived payoff.

An activity's weight is its believed marginal utility at the agent's own
productivity: extrinsic (formula and judgment, as the policy defines them,
times ``behaviour.extrinsic_weight``) plus intrinsic (the true value it
creates; for help also the prosocial value).  Key-result work is linear; the
others saturate, so the split is found by water-filling
(:func:`okrsim.policies.choices.effort_shares`).  The value of one more unit
of key-result output (:func:`value_per_output`) is also what a blocker's
delay costs in :mod:`okrsim.model.blocker_surfacing`.

docs/ODD.md §7.4 (effort allocation).
"""

from __future__ import annotations

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.outlook import Outlook, ratchet_claw_back
from okrsim.model.workforce import Workforce
from okrsim.policies import choices
from okrsim.policies.curves import Array


def value_per_output(
    wf: Workforce, org: Organisation, policy: InForce, outlook: Outlook, public: PublicFigures
) -> Array:
    """Rating-equivalent utility of one more unit of output on each KR, shape (n, k).

    Formula: ``c·f'(A)/(K·T)`` for one's own score; under team evaluation
    the team's mean attainment's marginal, diluted over the team; under
    relative evaluation the rank's slope; less the ratchet's claw-back of
    next quarter's score.  Judgment: the contribution share.  Intrinsic:
    the value created, plus the goal's pull (Heath, Larrick & Wu 1999).
    """
    s, p, krs = policy.scenario, policy.payoff, policy.krs
    x = s.behaviour.extrinsic_weight
    # Goal-directed work is valued as if it were aligned with strategy: without
    # shared OKRs nobody can tell which of it is (the "motion without outcomes"
    # claim; assumption), so only its true value falls.
    align = s.env.alignment
    judged = p.judged * p.contribution_weight * align / public.value_scale
    intrinsic = wf.intrinsic[:, None] * align / public.value_scale
    if not s.okr.enabled:
        return x * judged + intrinsic * np.ones((1, krs))
    mu, sd = outlook
    per_unit = 1.0 / (krs * wf.target * wf.par)
    formula = np.zeros_like(mu)
    if p.coupling > 0:
        mu_rep = mu + wf.shading
        own_weight = 1.0 - p.team_weight
        if own_weight > 0:
            formula += own_weight * choices.formula_marginal(p.curve, mu_rep, sd)
        if p.team_weight > 0:
            team_mean = org.team_mean(mu_rep.mean(axis=1))[:, None]
            team_sd = sd / np.sqrt(org.team_size)
            formula += (
                p.team_weight
                * choices.formula_marginal(p.curve, team_mean, team_sd)
                / org.team_size
            )
        if p.ratchet_strength > 0:
            formula -= ratchet_claw_back(wf, policy)
    extrinsic = (p.coupling * formula + p.judged * p.context_weight) * per_unit + judged
    # The goal's pull is over output relative to the target, Y − T (Heath,
    # Larrick & Wu 1999), in units of one's expected output: an easy target
    # does not make each unit of output count for more.
    pull = (
        s.behaviour.goal_pull
        * choices.goal_pull(mu, sd, loss_aversion=s.behaviour.loss_aversion)
        * wf.intrinsic[:, None]
        / (krs * wf.expected)
        * wf.par  # an aspirational goal pulls less: falling short is expected
    )
    return x * extrinsic + intrinsic + pull


def formula_value_of_help(
    wf: Workforce, org: Organisation, policy: InForce, outlook: Outlook
) -> Array:
    """Formula score per unit of help: team gain minus rank loss (0 for own attainment)."""
    s, p = policy.scenario, policy.payoff
    if not s.okr.enabled or p.coupling == 0 or (p.team_weight == 0 and p.rank_weight == 0):
        return np.zeros(wf.n)
    mu, sd = outlook
    mu_rep = (mu + wf.shading).mean(axis=1)
    target = (wf.target * wf.par).mean(axis=1)
    # a colleague's attainment rises by help's value over their key results' targets
    lift = wf.capability_belief * s.env.help_value / (policy.krs * target)
    spread = sd.mean(axis=1)
    # lifting a colleague moves the peers one is ranked against
    rank_loss = p.curve.marginal(mu_rep, spread) * lift / (org.team_size - 1)
    team_mean = org.team_mean(mu_rep)
    team_gain = (
        choices.formula_marginal(p.curve, team_mean, spread / np.sqrt(org.team_size))
        * lift
        / org.team_size
    )
    return p.team_weight * team_gain - p.rank_weight * rank_loss


def allocate_effort(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    outlook: Outlook,
    per_output: Array,
    public: PublicFigures,
) -> None:
    """Each employee splits its week between key results, non-OKR work, helping, exploring."""
    s, p = policy.scenario, policy.payoff
    env = s.env
    x = s.behaviour.extrinsic_weight
    # Juggling many key results costs focus on everything one does.
    c_hat = wf.capability_belief * policy.focus
    stall = 1.0 - env.blocker_severity * wf.blocked
    w_kr = c_hat * (per_output * stall).mean(axis=1)
    value_motive = x * p.judged * p.contribution_weight + wf.intrinsic
    # Non-OKR work: what is needed this week (demand + backlog) saturates it;
    # neglect turns into backlog that causes incidents.
    w_bau = value_motive * c_hat * (env.bau_value + env.incident_cost) / public.value_scale
    s_bau = (env.bau_demand + wf.backlog) / c_hat
    # Help: value to colleagues, judged credit, and the formula's view of
    # colleagues' results (a gain under team evaluation, a loss under ranking).
    w_help = (
        (value_motive + wf.prosociality) * c_hat * env.help_value / public.value_scale
        + x * p.judged * p.help_weight * c_hat / public.help_scale
        + x * p.coupling * formula_value_of_help(wf, org, policy, outlook)
    )
    s_help = np.full(wf.n, env.help_saturation)
    # Exploration: rare breakthroughs, the first ideas the most promising; risky,
    # so discounted by risk aversion (assumption).
    payoff_explore = env.breakthrough_rate * env.breakthrough_value / env.exploration_scale
    w_explore = value_motive * payoff_explore / ((1.0 + wf.risk_aversion) * public.value_scale)
    s_explore = np.full(wf.n, env.exploration_scale)
    weights = np.stack([w_bau, w_help, w_explore], axis=1)
    wf.weights[:] = np.column_stack([w_kr, weights])
    wf.effort[:] = choices.effort_shares(
        w_kr, weights, np.stack([s_bau, s_help, s_explore], axis=1)
    )
