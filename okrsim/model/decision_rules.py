"""Decision rules: optimise, learn from realised payoffs, or satisfice.

``behaviour.decision_rule`` is a property of the world, the same for every
decision.  Under ``optimise`` (the default) each submodel's agents choose by
expected utility under their beliefs, as their modules describe.  Under
``learn`` and ``satisfice`` they do not know the payoff function: each
employee picks, once a decision period, one option per decision from a small menu
(:func:`okrsim.policies.rules.menu`: the target offered, intensity, key-result
share of the hours, the split of the rest, report shading, weeks a blocker
waits before it is raised, booking across the quarter's end, asking to
revise) and the submodels apply it through the period.  The decision period
is the settlement period (a quarter, or a year under annual reviews): the
options are chosen at the first quarter after a settlement, the payoff felt
is summed over the period, and at the settled review the employee feels the
period's payoff (:func:`realised_payoff`) and sees its teammates' options
and, through noise, their ratings:

* ``learn`` moves its options' attractions (EWA; Camerer & Ho 1999) and picks
  next quarter's options by logit;
* ``satisfice`` keeps its options while the payoff meets its aspiration and
  searches otherwise; the aspiration adapts (Simon 1955; Cyert & March 1963).

The policy reaches these agents only through realised ratings and pay and
through what they experienced (the targets they were set, the hours they
worked).  All
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
from okrsim.params import WEEKS_PER_QUARTER, Scenario
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


def choose(wf: Workforce, policy: InForce, draws: RuleDraws) -> None:
    """Each employee's options for the period starting now, from the quarter's ``draws``.

    A period starts where the last one was settled (``period_quarters`` 0)
    or for a newcomer (no option yet); otherwise the options stand.
    ``learn``: a logit over attractions.  ``satisfice``: the habit, as the
    last settled review left it; one who has none yet (a newcomer) picks as
    a learner would with equal attractions — uniformly.  ``optimise``:
    nothing (the submodels optimise).  The draws (:func:`draw`) are made
    every quarter whatever the rule and whether a period starts.
    """
    b = policy.scenario.behaviour
    fresh = ((wf.period_quarters == 0) | np.any(wf.rule_option < 0, axis=1))[:, None]
    if b.decision_rule == "learn":
        sensitivity = np.asarray(policy.value("behaviour.choice_sensitivity"))
        if sensitivity.ndim:  # each employee's run's, against its (D, options) attractions
            sensitivity = sensitivity[:, None, None]
        picked = rules.logit_choice(wf.attraction, sensitivity, draws.choice)
        wf.rule_option[:] = np.where(fresh, picked, wf.rule_option)
    elif b.decision_rule == "satisfice":
        uniform = rules.logit_choice(np.zeros_like(wf.attraction), 0.0, draws.choice)
        wf.rule_option[:] = np.where(wf.rule_option < 0, uniform, wf.rule_option)


def option(wf: Workforce, name: str, policy: InForce) -> Array:
    """The value of each employee's chosen option for decision ``name``, shape (n,),
    on the menu the scenario's assumptions set (:func:`okrsim.policies.rules.menu`;
    in a cohort, each employee's run's: :meth:`InForce.option_values`)."""
    chosen = wf.rule_option[:, rules.decision(name)]
    if np.any(chosen < 0):
        raise ValueError(f"decision {name!r} applied before an option was chosen")
    return policy.option_values(name, chosen)


def felt_payoff(wf: Workforce, policy: InForce, tally: Tally, public: PublicFigures) -> Array:
    """The quarter's payoff as each employee felt it, less its rating, in rating units.

    ``(m·C/V̄ + p·h_v·H/V̄) + γ·m·Σ_k ℓ_k/K − Σ_weeks κ·C(h̄)
    − h·(s² + σ_T·(τ − 1)²) − β_S/β_pay·L``: the value it intrinsically cares
    about — its own contribution as it sees it (at the strategy's stated
    alignment, exploration at its expected value, no rater's recency:
    ``Tally.own_contribution``; the optimiser's intrinsic motive) relative
    to the mean contribution, and the value of the help it gave to those it
    cared for; what the goal adds, the kink the optimiser's pull and reports
    weigh (Heath, Larrick & Wu 1999): a shortfall of its output Y below its
    effective target T̃ = π·T, in units of its expected output E, felt λ − 1
    more than the output itself, within the goal's reach r and no further
    (commitment to a goal out of reach falls),
    ``ℓ_k = (λ − 1)·π_k·clip(Y_k − T̃_k, −r·T̃_k, 0)/E_k``;
    less the cost of the hours it worked (at the quarter's average
    intensity), the honesty cost of the target it offered and of the
    shading of its last check-in (weekly statements before it are free),
    and the load it felt — strain above a normal week and overhead (stress
    without its pay-uncertainty part, which is a reading of the policy, not
    an experience), priced by the trade-off that drives quitting
    (``quit_stress_sensitivity`` over ``quit_pay_sensitivity``).  Nothing in
    it asks what the policy is.
    """
    value = (
        wf.intrinsic * tally.own_contribution
        + wf.prosociality * policy.value("env.help_value") * tally.help_given
    ) / public.value_scale
    goal_set = wf.target * wf.par
    reach = policy.value("assumptions.goal_reach", per_key_result=True)
    shortfall = np.clip(wf.progress - goal_set, -reach * goal_set, 0.0)
    loss_aversion = policy.value("behaviour.loss_aversion", per_key_result=True)
    felt_gap = (loss_aversion - 1.0) * wf.par * shortfall / wf.expected
    goal = policy.value("behaviour.goal_pull") * wf.intrinsic * np.nan_to_num(felt_gap).mean(axis=1)
    weeks = np.maximum(tally.weeks_present, 1.0)
    hours = tally.hours / weeks
    effort = weeks * rules.effort_cost(
        hours, wf.effort_cost, elasticity=policy.number("behaviour.hours_elasticity")
    )
    # what it stated: the offer (as a multiple of its expected output) and its
    # last check-in's shading (0 where nothing was stated or it was on the record)
    offered = wf.offer / wf.expected
    offered = np.where(np.isfinite(offered), offered, 1.0).mean(axis=1)
    scrutiny = policy.value("behaviour.target_scrutiny")
    stated = (wf.shading**2).mean(axis=1) + scrutiny * (offered - 1.0) ** 2
    honesty = wf.honesty * stated
    strain = np.maximum(hours - 1.0, 0.0) / np.maximum(
        policy.value("behaviour.max_intensity") - 1.0, 1e-9
    )
    load = np.clip(strain + tally.overhead / WEEKS_PER_QUARTER, 0.0, 1.0)
    to_pay = policy.value("behaviour.quit_pay_sensitivity")
    to_stress = policy.value("behaviour.quit_stress_sensitivity")
    priced = np.greater(to_pay, 0.0)
    stress_price = np.where(priced, to_stress / np.where(priced, to_pay, 1.0), 0.0)
    return value + goal - effort - honesty - stress_price * load


def realised_payoff(wf: Workforce, policy: InForce, ratings: Array, felt: Array) -> Array:
    """``X·R + F``: the rating in force weighted by the extrinsic weight, plus what was felt."""
    return policy.value("behaviour.extrinsic_weight") * ratings + felt


def teammates(wf: Workforce, org: Organisation) -> Array:
    """Each employee's teammates' rows, shape (n, team size − 1) (teams are filled in order)."""
    size = org.team_size
    position = np.arange(wf.n) % size
    offset = np.arange(1, size)
    return wf.team[:, None] * size + (position[:, None] + offset) % size


def seen_payoffs(
    policy: InForce, payoff: Array, ratings: Array, peers: Array, noise: Array
) -> Array:
    """What each employee would have had with each teammate's options: ``π + X·(R̃_j − R)``.

    Only a teammate's rating can be seen (through noise of sd
    ``behaviour.peer_noise``), not its private costs and motives, so the
    foregone payoff is one's own with the teammate's rating in place of
    one's own — social learning from observables, not Camerer & Ho's
    foregone payoff.  Shape (n, team size − 1).
    """
    seen_rating = ratings[peers] + policy.value("behaviour.peer_noise", per_key_result=True) * noise
    extrinsic = policy.value("behaviour.extrinsic_weight", per_key_result=True)
    return payoff[:, None] + extrinsic * (seen_rating - ratings[:, None])


def update(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    tally: Tally,
    public: PublicFigures,
    ratings: Array,
    draws: RuleDraws,
    settled: bool,
) -> Array:
    """At the review: the period's payoff is summed; at a settlement the rule moves.

    Under ``learn`` and ``satisfice`` the quarter's felt payoff is added to
    the period's; at a settled review the period's payoff — the settled
    rating plus the felt payoff's per-quarter mean — moves the attractions
    (learn) or the habit (satisfice), each judged against the employee's
    reference point, which then adapts to it; the period starts afresh.
    The first reference point is what one saw one's teammates get (a social
    aspiration).  Returns the quarter's realised payoffs (computed under
    every rule; the optimiser's state is untouched).
    """
    s = policy.scenario
    b = s.behaviour
    felt = felt_payoff(wf, policy, tally, public)
    if not by_rule(s):
        return realised_payoff(wf, policy, ratings, felt)
    wf.period_payoff += felt
    wf.period_quarters += 1.0
    if not settled:
        return realised_payoff(wf, policy, ratings, felt)
    payoff = realised_payoff(wf, policy, ratings, wf.period_payoff / wf.period_quarters)
    peers = teammates(wf, org)
    seen = seen_payoffs(policy, payoff, ratings, peers, draws.peer_noise)
    reference = np.where(np.isnan(wf.aspiration), seen.mean(axis=1), wf.aspiration)
    if b.decision_rule == "learn":
        foregone, foregone_seen = rules.peer_payoffs(wf.rule_option[peers], seen)
        wf.attraction[:], wf.experience[:] = rules.update_attractions(
            wf.attraction,
            wf.experience,
            wf.rule_option,
            payoff,
            foregone,
            foregone_seen,
            reference,
            decay=policy.value("behaviour.attraction_decay"),
            foregone_weight=policy.value("behaviour.foregone_weight"),
        )
    else:
        wf.rule_option[:] = rules.satisfice(
            wf.rule_option,
            payoff,
            reference,
            draws.search,
            np.asarray(policy.value("behaviour.search_size")).astype(np.int64),
        )
    speed = policy.value("behaviour.aspiration_speed")
    wf.aspiration[:] = rules.update_aspiration(reference, payoff, speed)
    wf.period_payoff[:] = 0.0
    wf.period_quarters[:] = 0.0
    return payoff
