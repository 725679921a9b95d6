"""Effort allocation: how hard to work, and how to split the week.

An activity's weight is its believed marginal utility at the agent's own
productivity: extrinsic (formula and judgment, as the policy defines them and
as judgment was seen to work at the last review, times
``behaviour.extrinsic_weight``) plus intrinsic (the true value it creates;
for help also the prosocial value).  Key-result work is linear; the others —
non-OKR work, helping, exploring and making one's work visible to the
manager (an influence activity that creates no value; Milgrom 1988) —
saturate, so the split is found by water-filling
(:func:`okrsim.policies.choices.effort_split`), which also gives the marginal
value of an hour.  Intensity (how hard, 1 = a normal week) is planned for the
rest of the quarter (:func:`plan_quarter`): this week's and each later week's,
each equating that value with the convex personal cost of effort, with the
value weighed at the end-of-quarter attainment the plan itself produces, and
this week's value discounted by the employee's present bias
(:func:`okrsim.policies.choices.plan_intensity`); stress lowers the ceiling.
Both are habits: each week's intensity and split move part of the way from
last week's to these best responses (:func:`okrsim.policies.choices.habitual`).
The value of one more unit of key-result output (:func:`value_per_output`) is
also what a blocker's delay costs in :mod:`okrsim.model.blocker_surfacing`.

docs/ODD.md §7.5 (effort allocation).
"""

from __future__ import annotations

import numpy as np

from okrsim import portable, rows
from okrsim.model import decision_rules
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures, by_key_result
from okrsim.model.outlook import Outlook, attainment_outlook, ratchet_claw_back
from okrsim.model.workforce import Workforce
from okrsim.policies import choices, rules
from okrsim.policies.curves import Array


def value_per_output(
    wf: Workforce, org: Organisation, policy: InForce, outlook: Outlook, public: PublicFigures
) -> Array:
    """Rating-equivalent utility of one more unit of output on each KR, shape (n, k).

    Formula: ``c·f'(A)/(K·T)`` for one's own score; under team evaluation
    the team's mean attainment's marginal, diluted over the team; under
    relative evaluation the rank's slope; less the ratchet's claw-back of
    next quarter's score, as believed.  Judgment: the contribution share, as
    much of it as reached ratings at the last review (through observation and
    reported results).  Intrinsic: the value created, plus the goal's pull
    (Heath, Larrick & Wu 1999).
    """
    s, krs = policy.scenario, policy.krs
    p = policy.believed(wf.coupling_belief)
    x = policy.value("behaviour.extrinsic_weight", per_key_result=True)
    # Goal-directed work is valued as if it were aimed right: a team does not
    # see its own priority error (okrsim.model.alignment).
    align = s.env.alignment
    credit = by_key_result(public.seen_weight + public.reported_weight)
    value_scale = by_key_result(public.value_scale)
    judged = p.judged * p.contribution_weight * credit * align / value_scale
    intrinsic = wf.intrinsic[:, None] * align / value_scale
    if not s.okr.enabled:
        return x * judged + intrinsic * np.ones((1, krs))
    mu, sd = outlook
    per_unit = 1.0 / (krs * wf.target * wf.par)
    formula = np.zeros_like(mu)
    if np.any(p.coupling):  # a speed short-cut: no one weighs the formula
        mu_rep = mu + wf.shading
        own_weight = 1.0 - p.team_weight
        if own_weight > 0:
            formula += own_weight * choices.formula_marginal(p.curve, mu_rep, sd)
        if p.team_weight > 0:
            team_mean = org.team_mean(rows.mean(mu_rep))[:, None]
            team_sd = sd / np.sqrt(org.team_size)
            formula += (
                p.team_weight
                * choices.formula_marginal(p.curve, team_mean, team_sd)
                / org.team_size
            )
        # next quarter's score lost, as much of it as one's own result moves
        formula -= p.own_share * ratchet_claw_back(wf, policy)
    extrinsic = p.coupling * formula * per_unit + judged
    # The goal's pull is over output relative to the target, Y − T (Heath,
    # Larrick & Wu 1999), in units of one's expected output: its kink, so a
    # target sure to be met, or out of reach, adds nothing to a unit's value.
    pull = (
        policy.value("behaviour.goal_pull", per_key_result=True)
        * choices.goal_pull(
            mu,
            sd,
            loss_aversion=policy.value("behaviour.loss_aversion", per_key_result=True),
            reach=policy.value("assumptions.goal_reach", per_key_result=True),
        )
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
    if not s.okr.enabled or (p.team_weight == 0 and p.rank_weight == 0):
        return np.zeros(wf.n)
    mu, sd = outlook
    mu_rep = rows.mean(mu + wf.shading)
    target = rows.mean(wf.target * wf.par)
    # a colleague's attainment rises by help's value over their key results' targets
    # (an hour of help delivers ĉ·F, focus included, as at work)
    lift = (
        wf.capability_belief * policy.focus * policy.value("env.help_value") / (policy.krs * target)
    )
    spread = rows.mean(sd)
    curve = p.curve.flat()  # one number per employee, as these are
    # Only the evaluation in force weighs its term: the other's weight is 0, and
    # 0 × a finite, non-negative gain adds +0, which leaving it out gives too.
    value = np.zeros(wf.n)
    if p.team_weight:
        team_mean = org.team_mean(mu_rep)
        team_gain = (
            choices.formula_marginal(curve, team_mean, spread / np.sqrt(org.team_size))
            * lift
            / org.team_size
        )
        value = p.team_weight * team_gain
    if p.rank_weight:
        # lifting a colleague moves the peers one is ranked against
        rank_loss = curve.marginal(mu_rep, spread) * lift / (org.team_size - 1)
        value = value - p.rank_weight * rank_loss
    return value


def plan_quarter(wf: Workforce, policy: InForce, week_in_quarter: int) -> Outlook:
    """The outlook at the plan each employee holds: this week's choice weighs it.

    A naive present-biased employee believes it will follow its plan
    (O'Donoghue & Rabin 1999): it weighs the value of its time at the
    end-of-quarter attainment the plan it holds produces, every week left at
    the intensity planned for later, and :func:`allocate_effort` plans again
    from there — one fixed-point step a week.
    """
    return attainment_outlook(wf, policy, week_in_quarter, intensity=wf.planned_intensity)


def _plan(
    wf: Workforce, policy: InForce, w_kr: Array, weights: Array, scales: Array
) -> tuple[Array, Array, Array]:
    """This week's intensity, the one planned for each later week of the quarter,
    and the marginal value of a share of the week (rating units)."""
    _, value_of_time = choices.effort_split(w_kr, weights, scales)
    now, later = choices.plan_intensity(
        value_of_time * (1.0 - policy.overhead),
        wf.effort_cost,
        present_bias=wf.present_bias,
        elasticity=policy.number("behaviour.hours_elasticity"),
        ceiling=ceiling(wf, policy),
        floor=policy.value("assumptions.intensity_floor"),
    )
    return now, later, value_of_time


def ceiling(wf: Workforce, policy: InForce) -> Array:
    """The most each employee can work this week: stress takes capacity above a normal week."""
    most = policy.value("behaviour.max_intensity")
    return 1.0 + (most - 1.0) * (1.0 - policy.value("env.stress_capacity") * wf.stress)


def week_options(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    outlook: Outlook,
    per_output: Array,
    public: PublicFigures,
) -> tuple[Array, Array, Array]:
    """What an hour of each activity is worth: key-result work's linear weight, shape (n,),
    and the saturating activities' weights and scales, shape (n, 4).

    The rating's formula and judged shares are each employee's beliefs.
    """
    s, p = policy.scenario, policy.payoff
    coupling = wf.coupling_belief * float(s.okr.enabled)
    judged = 1.0 - coupling
    # what judgment adds to one's score reaches one's rating by this share
    reach = p.each("judged_reach")
    x = policy.value("behaviour.extrinsic_weight")
    # Juggling many streams of work costs focus on everything one does.
    c_hat = wf.capability_belief * policy.focus
    stall = 1.0 - policy.value("env.blocker_severity", per_key_result=True) * wf.blocked
    w_kr = c_hat * rows.mean(per_output * stall)
    # Rating units per unit of value contributed, as judgment was seen to credit it
    # (the judged share, as believed, is the one place exploration's risk reads it).
    judged_per_value = judged * p.contribution_weight * public.seen_weight / public.value_scale
    value_motive = x * judged_per_value + wf.intrinsic / public.value_scale
    # Non-OKR work: what is needed this week (demand + backlog) saturates it;
    # neglect turns into backlog that causes incidents.
    w_bau = (
        value_motive * c_hat * (policy.value("env.bau_value") + policy.value("env.incident_cost"))
    )
    s_bau = (policy.value("env.bau_demand") + wf.backlog) / c_hat
    # Help lands as colleagues' key-result output and a breakthrough as
    # goal-directed value: both are worth the strategy's stated alignment a unit,
    # as a unit of one's own key-result work is (value_per_output).
    align = s.env.alignment
    # Help: value to colleagues, judged credit, and the formula's view of
    # colleagues' results (a gain under team evaluation, a loss under ranking).
    w_help = (
        (value_motive + wf.prosociality / public.value_scale)
        * c_hat
        * (policy.value("env.help_value") * align)
        + x * judged * (p.each("help_weight") * reach) * c_hat / public.help_scale
        + x * coupling * formula_value_of_help(wf, org, policy, outlook)
    )
    s_help = np.full(wf.n, policy.value("env.help_saturation"))
    # Exploration: rare breakthroughs, the first ideas the most promising; a bet
    # whose failure judgment may hold against the rating, priced by risk aversion.
    explore_hours = wf.effort[:, 3] * wf.intensity * (1.0 - policy.overhead)
    scale = policy.value("env.exploration_scale")
    w_explore = choices.exploration_weight(
        value_motive,
        breakthrough_rate=policy.value("env.breakthrough_rate"),
        breakthrough_value=policy.value("env.breakthrough_value") * align,
        scale=scale,
        # the bet's chance at last week's hours on it, as work counts them
        hazard=policy.value("env.breakthrough_rate") * -portable.expm1(-explore_hours / scale),
        judged_per_value=judged_per_value,
        failure_tolerance=p.each("failure_tolerance"),
        extrinsic=x,
        risk_aversion=wf.risk_aversion,
        settlement_quarters=p.settlement_quarters,
    )
    s_explore = np.full(wf.n, scale)
    # Visibility: time making one's work visible adds to what the manager
    # believes it saw, unshrunk by the manager's doubt about its own view (a
    # halo; Milgrom 1988's influence activity); it creates no value.
    w_visible = (
        x
        * judged
        * p.contribution_weight
        # a central manager compresses the halo with the rest
        * reach
        * policy.value("judgment.influence_return")
        / public.value_scale
    )
    s_visible = np.full(wf.n, policy.value("judgment.influence_saturation"))
    weights = np.stack([w_bau, w_help, w_explore, w_visible], axis=1)
    scales = np.stack([s_bau, s_help, s_explore, s_visible], axis=1)
    return w_kr, weights, scales


def allocate_effort(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    outlook: Outlook,
    per_output: Array,
    public: PublicFigures,
) -> None:
    """Each employee chooses this week's intensity, plans the later weeks' and splits its time.

    How hard: the marginal value of an hour of a normal week against the
    cost of effort, this week's and the later weeks' (:func:`_plan`); stress
    takes capacity above a normal week.  Under a decision rule other than
    optimise, the rule's options for the quarter: intensity (within the
    ceiling), key-result share and the split of the rest
    (:mod:`okrsim.model.decision_rules`).
    """
    if decision_rules.by_rule(policy.scenario):
        chosen = decision_rules.option(wf, "intensity", policy)
        floor = policy.value("assumptions.intensity_floor")
        wf.intensity[:] = np.minimum(chosen, np.maximum(ceiling(wf, policy), floor))
        wf.planned_intensity[:] = chosen
        side = decision_rules.option(wf, "side", policy)  # a row of the splits
        wf.effort[:] = rules.effort_split(
            decision_rules.option(wf, "kr_share", policy), policy.side_split(side)
        )
        return
    w_kr, weights, scales = week_options(wf, org, policy, outlook, per_output, public)
    best_intensity, wf.planned_intensity[:], wf.value_of_time[:] = _plan(
        wf, policy, w_kr, weights, scales
    )
    # Habit: last week's intensity and split move part of the way to this
    # week's best responses (a newcomer's first choice is its best response).
    adjust = wf.weekly_adjustment(policy.habit_adjustment(1.0))
    # (a habit cannot carry one past what stress leaves one able to work)
    habit = choices.habitual(wf.intensity, best_intensity, adjust)
    floor = policy.value("assumptions.intensity_floor")
    wf.intensity[:] = np.minimum(habit, np.maximum(ceiling(wf, policy), floor))
    wf.weights[:] = np.column_stack([w_kr, weights])
    # The split of the hours worked: the saturating activities need the same
    # time whatever the intensity, so their scales are in shares of it.
    best_split = choices.effort_shares(w_kr, weights, scales / wf.intensity[:, None])
    wf.effort[:] = choices.habitual(wf.effort, best_split, adjust[:, None])
