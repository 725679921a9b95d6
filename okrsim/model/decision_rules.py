"""Decision rules: optimise, learn from realised payoffs, or satisfice.

``behaviour.decision_rule`` is a property of the world, the same for every
decision.  Under ``optimise`` (the default) each submodel's agents choose by
expected utility under their beliefs, as their modules describe.  Under
``learn`` and ``satisfice`` they do not know the payoff function: each
employee picks, once a quarter, one option per decision from a small menu
(:data:`okrsim.policies.rules.MENU`: the target offered, intensity, key-result
share of the hours, the split of the rest, report shading, weeks a blocker
waits before it is raised, booking across the quarter's end, asking to
revise) and the submodels apply it through the quarter.  At the review it
feels the payoff it realised (:func:`realised_payoff`) and sees its
teammates' options and, through noise, their payoffs:

* ``learn`` moves its options' attractions (EWA; Camerer & Ho 1999) and picks
  next quarter's options by logit;
* ``satisfice`` keeps its options while the payoff meets its aspiration and
  searches otherwise; the aspiration adapts (Simon 1955; Cyert & March 1963).

The policy reaches these agents only through realised ratings and pay.  All
three rules share the state, the draws and the outcome code: the ``rules``
stream's draws are made every quarter in fixed shapes under every rule.

docs/ODD.md §7.15 (decision rules).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import Scenario
from okrsim.policies import rules
from okrsim.policies.curves import Array


class RuleDraws(NamedTuple):
    """A quarter's draws for the decision rules (stream ``rules``)."""

    choice: Array  # (n, D) uniforms for the logit choice
    search: Array  # (n, D) uniforms for a satisficer's search
    peer_noise: Array  # (n, team size − 1) standard normals: impressions of teammates' payoffs


def by_rule(scenario: Scenario) -> bool:
    """Whether the agents choose from menus by a rule rather than by optimising."""
    return scenario.behaviour.decision_rule != "optimise"


def draw(rng: np.random.Generator, n: int, team_size: int) -> RuleDraws:
    """The quarter's draws, in the same shapes whatever the rule."""
    d = len(rules.DECISIONS)
    return RuleDraws(
        rng.random((n, d)), rng.random((n, d)), rng.standard_normal((n, team_size - 1))
    )


def choose(
    wf: Workforce, scenario: Scenario, rng: np.random.Generator, team_size: int
) -> RuleDraws:
    """Each employee's options for the quarter starting now; returns the quarter's draws.

    ``learn``: a logit over attractions.  ``satisfice``: the habit, as the
    last review left it; one who has none yet (a newcomer) picks as a
    learner would with equal attractions — uniformly.  ``optimise``: nothing
    (the submodels optimise).
    """
    b, draws = scenario.behaviour, draw(rng, wf.n, team_size)
    if b.decision_rule == "learn":
        wf.rule_option[:] = rules.logit_choice(wf.attraction, b.choice_sensitivity, draws.choice)
    elif b.decision_rule == "satisfice":
        uniform = rules.logit_choice(np.zeros_like(wf.attraction), 0.0, draws.choice)
        wf.rule_option[:] = np.where(wf.rule_option < 0, uniform, wf.rule_option)
    return draws


def option(wf: Workforce, name: str) -> Array:
    """The value of each employee's chosen option for decision ``name``, shape (n,)."""
    d = rules.decision(name)
    return rules.MENU[d, np.maximum(wf.rule_option[:, d], 0)]


def realised_payoff(
    wf: Workforce, policy: InForce, tally: Tally, public: PublicFigures, ratings: Array
) -> Array:
    """The quarter's payoff as each employee felt it, in rating units.

    ``X·R + m·C/V̄ + p·h_v·H/V̄ − Σ_weeks κ·C(h̄) − h·(s² + σ_T·(τ − 1)²) − β_S/β_pay·S``:
    the rating in force weighted by the extrinsic weight; the value it
    intrinsically cares about, its contribution as it could see it (at the
    strategy's stated alignment, relative to the mean contribution), and the
    value of the help it gave to those it cared for; less the cost of the
    hours it worked (at the quarter's average intensity), the honesty cost
    of the target it offered and the shading of its last check-in (the same
    costs the optimiser weighs), and its stress, converted to rating units by the
    trade-off that drives quitting (``quit_stress_sensitivity`` over
    ``quit_pay_sensitivity``).  Nothing in it asks what the policy is: the
    policy shows only in the rating.
    """
    s = policy.scenario
    b, env = s.behaviour, s.env
    value = (
        wf.intrinsic * tally.seen_contribution + wf.prosociality * env.help_value * tally.help_given
    ) / public.value_scale
    weeks = np.maximum(tally.weeks_present, 1.0)
    effort = weeks * rules.effort_cost(
        tally.hours / weeks, wf.effort_cost, elasticity=b.hours_elasticity
    )
    # what it stated: the offer (as a multiple of its expected output) and its
    # last check-in's shading (0 where nothing was stated or it was on the record)
    offered = wf.offer / np.maximum(wf.expected, 1e-9)
    offered = np.where(np.isfinite(offered), offered, 1.0).mean(axis=1)
    stated = (wf.shading**2).mean(axis=1) + b.target_scrutiny * (offered - 1.0) ** 2
    honesty = wf.honesty * stated
    stress_price = (
        b.quit_stress_sensitivity / b.quit_pay_sensitivity if b.quit_pay_sensitivity > 0 else 0.0
    )
    return b.extrinsic_weight * ratings + value - effort - honesty - stress_price * wf.stress


def teammates(wf: Workforce, org: Organisation) -> Array:
    """Each employee's teammates' rows, shape (n, team size − 1) (teams are filled in order)."""
    size = org.team_size
    position = np.arange(wf.n) % size
    offset = np.arange(1, size)
    return wf.team[:, None] * size + (position[:, None] + offset) % size


def update(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    public: PublicFigures,
    ratings: Array,
    draws: RuleDraws,
) -> Array:
    """At the review: the rule moves each employee's attractions or its habit and aspiration.

    Returns the realised payoffs (computed under every rule; used by
    ``learn`` and ``satisfice``).
    """
    s = policy.scenario
    b = s.behaviour
    payoff = realised_payoff(wf, policy, tally, public, ratings)
    if not by_rule(s):
        return payoff
    peers = teammates(wf, org)
    seen = payoff[peers] + b.peer_noise * draws.peer_noise
    if b.decision_rule == "learn":
        foregone, foregone_seen = rules.peer_payoffs(wf.rule_option[peers], seen)
        wf.attraction[:], wf.experience[:] = rules.update_attractions(
            wf.attraction,
            wf.experience,
            wf.rule_option,
            payoff,
            foregone,
            foregone_seen,
            decay=b.attraction_decay,
            foregone_weight=b.foregone_weight,
        )
        return payoff
    # a first aspiration is what one sees one's teammates get (a social aspiration)
    aspiration = np.where(np.isnan(wf.aspiration), seen.mean(axis=1), wf.aspiration)
    wf.rule_option[:] = rules.satisfice(
        wf.rule_option, payoff, aspiration, draws.search, b.search_size
    )
    wf.aspiration[:] = rules.update_aspiration(aspiration, payoff, b.aspiration_speed)
    return payoff
