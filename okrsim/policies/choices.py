"""The four weekly and quarterly choices, as expected-utility maximisation.

Each function is one agent's decision written with numpy broadcasting, so the
same code answers for one employee (the dashboard's inspector asks "why?") and
for the whole workforce at once (the model's weekly step).  Nothing here knows
a policy's name: the policy arrives only as numbers — the coupling weight, the
score curve, what judgment values — and the agent weighs the payoffs they
define against its own traits and beliefs.

Units: utilities are in *rating units* (a typical quarterly rating is about 1);
effort is a share of the working week; output is in capability units (an
average employee produces 1 per full week).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from okrsim import portable, rows
from okrsim.blocks import PerBlock, each_block
from okrsim.params import Assumptions, Scenario
from okrsim.policies.curves import Array, Curve, curve_for, quantile_nodes
from okrsim.policies.rating import judged_reach, rank_bands, rank_curve

#: How many target multiples an employee weighs (search precision).
TARGET_OFFERS = 23


def target_grid(lowest: float, highest: float) -> Array:
    """Target multiples an employee weighs (target / own expected output).

    :data:`TARGET_OFFERS` evenly spaced from ``assumptions.min_target_offer``
    to ``assumptions.max_target_offer``.
    """
    return np.linspace(lowest, highest, TARGET_OFFERS)


#: The target multiples weighed at the defaults of ``assumptions``.
TARGET_GRID = target_grid(Assumptions().min_target_offer, Assumptions().max_target_offer)
#: Step between the report shadings an employee weighs (search precision).
SHADING_STEP = 0.05


@functools.cache
def shading_grid(most_down: float, most_up: float) -> Array:
    """Report shadings an employee weighs: ``−most_down … most_up`` by :data:`SHADING_STEP`.

    Shadings are reported − perceived, in units of on-pace progress.  The
    extent (``assumptions.max_shading_down``, ``assumptions.max_shading_up``)
    is taken to the nearest step, so that 0, an honest report, is always an
    option.  Built once per extent and read-only: it is read every week.
    """
    down = SHADING_STEP * round(most_down / SHADING_STEP)
    up = SHADING_STEP * round(most_up / SHADING_STEP)
    grid = np.round(np.arange(-down, up + SHADING_STEP / 2, SHADING_STEP), 2)
    grid.setflags(write=False)
    return grid


#: The report shadings weighed at the defaults of ``assumptions``.
SHADING_GRID = shading_grid(Assumptions().max_shading_down, Assumptions().max_shading_up)
#: Activities a week is split between, in this order everywhere.
ACTIVITIES = ("kr", "bau", "help", "explore", "visible")

_NODES = quantile_nodes(12)


@dataclass(frozen=True)
class Payoff:
    """The payoff a policy defines, as numbers an agent can weigh.

    Built once per quarter from the scenario in force; the agents never see the
    scenario itself.
    """

    curve: Curve
    # share of rating from the curve of attainment: the policy's number, or each
    # employee's belief of it as an (n, 1) array (see InForce.believed)
    coupling: float | Array
    rank_weight: float  # 1 = the formula scores one's band among peers (curve is the rank's)
    team_weight: float  # 1 = the formula scores the team's attainment
    team_size: int  # colleagues one's own result is averaged with under team evaluation
    contribution_weight: float
    # judgment's weights (JUDGMENT_WEIGHTS): numbers, or each employee's run's as
    # (n, 1) arrays in a cohort whose runs differ in them (InForce.stacked)
    help_weight: float | Array
    ambition_weight: float | Array
    failure_tolerance: float | Array
    inflation_penalty: float | Array
    settlement_quarters: int  # quarters whose scores are averaged into one rating (1 or 4)
    manager_pull: float  # how far the target moves from one's offer to the manager's ask
    ratchet_pull: float  # how far it moves to last quarter's reported output (the ratchet)
    # the manager's pull towards the team's mean (a judgment weight, as those above)
    centrality: float | Array
    # the formula's score per unit of one's target above the manager's estimate
    # (comp.target_credit; 0 without OKRs)
    target_credit: float = 0.0

    @property
    def judged(self) -> float | Array:
        """Share of the rating that comes from judgment."""
        return 1.0 - self.coupling

    def each(self, name: str) -> float | Array:
        """Field ``name`` for employees along one axis: the number, or each
        employee's run's, (n,), where it is held as (n, 1)."""
        value: Any = getattr(self, name)
        return value[:, 0] if np.ndim(value) == 2 else value

    @property
    def judged_reach(self) -> Array:
        """Share of what judgment adds to one's own score that reaches one's judged
        rating, ``1 − κ_c·(1 − 1/N)`` (:func:`~okrsim.policies.rating.judged_reach`)."""
        return judged_reach(self.centrality, self.team_size)

    @property
    def caught_penalty(self) -> Array:
        """Judged score lost per unit of inflation an audit catches, as far as it
        reaches one's own judged rating: ``inflation_penalty·ρ_J``."""
        return self.inflation_penalty * self.judged_reach

    @property
    def own_share(self) -> float:
        """How much of the formula's score one's own result moves (1/n of a team's mean)."""
        return 1.0 - self.team_weight * (1.0 - 1.0 / self.team_size)


def payoff_for(scenario: Scenario, *, peer_attainment: tuple[float, float] | None = None) -> Payoff:
    """The payoffs a scenario's policy defines, as the agents can weigh them.

    Without OKRs nothing is coupled, ambitious or ratcheted.  Under relative
    evaluation the score is one's band in the team's forced distribution,
    weighed as a step curve whose steps sit at the peers' results at the band
    edges (:func:`~okrsim.policies.rating.rank_curve`), from last quarter's
    mean and spread of employees' reported attainment (public knowledge;
    before any quarter, attainment at target with the spread
    ``assumptions.peer_attainment_sd_prior``).
    """
    s, j = scenario, scenario.judgment
    if peer_attainment is None:
        peer_attainment = (1.0, s.assumptions.peer_attainment_sd_prior)
    okrs = s.okr.enabled
    relative = s.comp.evaluation == "relative"
    # The target rule as numbers: how far the organisation moves an offer.
    rule = s.okr.target_rule
    manager_pull = {"negotiated": s.okr.negotiation_pressure, "assigned": 1.0}.get(rule, 0.0)
    # a commitment not to ratchet switches the ratchet off only where it is kept
    ratcheted = rule == "ratchet" and not (s.okr.no_ratchet_commitment and s.okr.commitment_kept)
    return Payoff(
        curve=(
            rank_curve(
                *peer_attainment,
                edge_uncertainty=s.assumptions.edge_uncertainty,
                bands=rank_bands(s.comp),
            )
            if relative
            else curve_for(s.comp)
        ),
        coupling=s.comp.coupling if okrs else 0.0,
        rank_weight=float(relative),
        team_weight=float(s.comp.evaluation == "team"),
        team_size=s.org.team_size,
        contribution_weight=j.contribution_weight,
        help_weight=j.help_weight,
        ambition_weight=j.ambition_weight if okrs else 0.0,
        failure_tolerance=j.failure_tolerance,
        inflation_penalty=j.inflation_penalty,
        settlement_quarters=4 if s.comp.review_cadence == "annual" else 1,
        manager_pull=manager_pull if okrs else 0.0,
        ratchet_pull=s.okr.ratchet_strength if (ratcheted and okrs) else 0.0,
        centrality=j.centrality,
        target_credit=s.comp.target_credit if okrs else 0.0,
    )


# -- target setting ------------------------------------------------------------
def target_utility(
    tau: ArrayLike,
    rel_sd: float | Array,
    *,
    payoff: Payoff,
    extrinsic: ArrayLike,
    risk_aversion: ArrayLike,
    honesty_cost: ArrayLike,
    offer: ArrayLike | None = None,
) -> Array:
    """Expected utility of a target ``tau`` × one's expected output, stated as ``offer``.

    .. math::

        U(τ) = X\\,[CE_ρ(c\\,o\\,f(A)) + c\\,κ\\,(τ-1)
               + (1-c)\\,ρ_J\\,ω_{amb}((τ-1) - (1-φ)E(1-A)^+)]
               - h\\,(τ_o-1)^2,\\qquad A = Y/T \\sim (1 + σ z)/τ

    with ``c`` the coupling, ``o`` the share of the score one's own result
    moves (1, or 1/n under team evaluation), ``f`` the score curve, ``κ`` the
    formula's credit per unit of the target stated above the manager's
    estimate (``comp.target_credit``: the formula's counterpart of judgment's
    ambition credit, the credit half of Weitzman 1976's and Gonik 1978's
    forecast schemes without their charge for shortfall; the manager's
    estimate taken as one's own expected output, as for judgment's
    ambition, its noise not weighed), ``CE_ρ``
    the certainty equivalent of the formula's part of the rating,
    ``c·o·E f − ρ/(2n)·(c·o)²·Var f`` (CARA utility over the rating with normal
    noise; the form Holmström & Milgrom 1991 use; ``n`` the quarters whose
    scores are averaged into one settled rating, so a quarter's own risk in
    an annual settlement is a quarter of its variance over four quarters'
    pay),
    ``ρ_J`` the share of judgment's credit that reaches one's own rating
    (:attr:`Payoff.judged_reach`), ``φ`` the failure tolerance and ``h`` the
    honesty cost of stating an
    offer ``τ_o`` one does not believe (a forecast is a statement; assumption
    after Gneezy 2005's cost of lying); the offer is the target itself
    unless a rule moves it (``offer`` not given).  Goals are weighed as the
    agent expects to report them (honestly); effort responds to the target
    later.  ``tau`` broadcasts against the other arguments (append an axis to
    score a grid).
    """
    tau = np.asarray(tau, dtype=float)
    stated = tau if offer is None else np.asarray(offer, dtype=float)
    mean_score, var_score, shortfall = target_moments(tau, rel_sd, payoff)
    risk = 0.5 * np.asarray(risk_aversion, dtype=float) / payoff.settlement_quarters
    # the formula's part of the rating is c·o·f: its variance is (c·o)²·Var f
    share = payoff.coupling * payoff.own_share
    formula = mean_score - risk * share * var_score
    ambition = payoff.ambition_weight * ((tau - 1.0) - (1.0 - payoff.failure_tolerance) * shortfall)
    # what judgment adds to one's score reaches one's rating by judged_reach
    # the formula's credit for the target stated is one's own, whatever the evaluation
    credit = payoff.coupling * payoff.target_credit * (tau - 1.0)
    extrinsic_u = share * formula + credit + payoff.judged * (payoff.judged_reach * ambition)
    return np.asarray(extrinsic) * extrinsic_u - np.asarray(honesty_cost) * (stated - 1.0) ** 2


def target_moments(tau: Array, rel_sd: float | Array, payoff: Payoff) -> tuple[Array, Array, Array]:
    """Mean and variance of the score and expected shortfall for targets ``tau``.

    They depend only on the target multiple and the relative uncertainty, not
    on who weighs them, so they are computed once per grid and shared.  For
    targets that differ by agent (each weighs its offers' *resulting*
    targets) they are read off a table over :data:`TAU_TABLE`, linearly
    interpolated: a table step of 0.0025 is a fiftieth of the offer grid's.
    Under a curve whose numbers, or an uncertainty that, are each employee's
    run's (:attr:`Curve.per_row`; ``rel_sd`` per employee), each run's rows
    get its own run's, per employee (targets along the leading axis or shared).
    """
    if payoff.curve.per_row or np.ndim(rel_sd):
        return _moments_by_run(tau, rel_sd, payoff)
    rel_sd = float(rel_sd)
    if tau.ndim <= 1:
        return _moments(tau, rel_sd, payoff.curve)
    flat = tau.ravel()
    mean, var, shortfall = (
        np.interp(flat, TAU_TABLE, column).reshape(tau.shape)
        for column in _moment_table(payoff.curve, rel_sd)
    )
    return mean, var, shortfall


def _moments_by_run(
    tau: Array, rel_sd: float | Array, payoff: Payoff
) -> tuple[Array, Array, Array]:
    """:func:`target_moments` of each run's rows under its own curve and uncertainty."""
    parts = []
    for part, curve, sd in payoff.curve.pieces(rel_sd, tau.shape[0] if tau.ndim > 1 else None):
        own = target_moments(tau[part] if tau.ndim > 1 else tau, sd, replace(payoff, curve=curve))
        count = part.stop - part.start
        parts.append([m if tau.ndim > 1 else np.broadcast_to(m, (count, *m.shape)) for m in own])
    mean, var, shortfall = (np.concatenate(column) for column in zip(*parts, strict=True))
    return mean, var, shortfall


#: Target multiples the moments are tabulated over for agent-specific targets.
TAU_TABLE = np.linspace(0.05, 5.0, 1981)
#: How many (curve, uncertainty) tables a process keeps: a quarter's curve
#: repeats within a run and across a sweep's runs, and memory stays bounded.
CURVES_CACHED = 32


@functools.lru_cache(maxsize=CURVES_CACHED)
def _moment_table(curve: Curve, rel_sd: float) -> tuple[Array, Array, Array]:
    """:func:`_moments` over :data:`TAU_TABLE`, read-only.

    Built once per curve and uncertainty: every target setting and revision
    under the same curve reads the same table.
    """
    table = _moments(TAU_TABLE, rel_sd, curve)
    for column in table:
        column.flags.writeable = False
    return table


def _moments(tau: Array, rel_sd: float, curve: Curve) -> tuple[Array, Array, Array]:
    attainment = (1.0 + rel_sd * _NODES) / tau[..., None]
    score = curve(attainment)
    return (
        score.mean(axis=-1),
        score.var(axis=-1),
        np.maximum(1.0 - attainment, 0.0).mean(axis=-1),
    )


def choose_target(
    rel_sd: float | Array,
    *,
    payoff: Payoff,
    extrinsic: ArrayLike,
    risk_aversion: ArrayLike,
    honesty_cost: ArrayLike,
    pull: ArrayLike = 0.0,
    ask: ArrayLike = 1.0,
    offers: Array = TARGET_GRID,
) -> tuple[Array, Array]:
    """The utility-maximising offer (a target multiple) and the utilities of every option.

    The target that results from an offer ``τ_o`` is ``τ_o + π·(a − τ_o)``:
    the offer moved by the pull ``π`` the agent expects towards the ask
    ``a`` it expects (both as multiples of its own expected output; 0 and
    anything for a target it sets itself).  The agent weighs the resulting
    target's payoff against the honesty cost of the offer it states
    (:func:`target_utility`), so where it expects a pull it shades its offer
    away from the ask — Fisher, Frederickson & Peffer (2000)'s "political"
    budget negotiation — and where it expects none the same code gives its
    honest choice.  Returns ``(offer, utilities)`` where ``utilities[..., g]``
    is the expected utility of offering ``offers[g]`` (:func:`target_grid`; agents along the
    leading axes of ``risk_aversion``, ``honesty_cost``, ``pull`` and
    ``ask``).  Under a forced distribution the curve is the rank's step
    curve: a lower target still lifts one's attainment past peers.
    """
    pull = np.asarray(pull, dtype=float)[..., None]
    # where nobody expects a pull every agent weighs the same grid of targets, and
    # the score's moments are computed once for it (a speed short-cut)
    targets = (
        offers + pull * (np.asarray(ask, dtype=float)[..., None] - offers)
        if np.any(pull)
        else offers
    )
    utilities = target_utility(
        targets,
        rel_sd,
        payoff=payoff,
        extrinsic=np.asarray(extrinsic, dtype=float)[..., None],
        risk_aversion=np.asarray(risk_aversion, dtype=float)[..., None],
        honesty_cost=np.asarray(honesty_cost, dtype=float)[..., None],
        offer=offers,
    )
    return offers[np.argmax(utilities, axis=-1)], utilities


def manager_agrees(current: ArrayLike, proposed: ArrayLike, reference: ArrayLike) -> Array:
    """Whether a manager agrees to move a target from ``current`` to ``proposed``.

    The manager agrees only to a move towards ``reference``, the target it
    would itself ask for now (its own forecast from what it sees and the
    reported progress): a manager who set the target and still expects it
    sees no reason to change it (assumption).
    """
    current = np.asarray(current, dtype=float)
    return (np.asarray(proposed) - current) * (np.asarray(reference) - current) > 0.0


def agreed_target(current: ArrayLike, proposed: ArrayLike, reference: ArrayLike) -> Array:
    """The target after an agreed revision: the proposal, not past the manager's reference."""
    low, high = np.minimum(current, reference), np.maximum(current, reference)
    return np.clip(np.asarray(proposed, dtype=float), low, high)


def ask_to_revise(gain: ArrayLike, *, agree_belief: ArrayLike, time_cost: ArrayLike) -> Array:
    """Ask for a revision iff its expected gain beats the time it costs.

    ``gain`` is the change in the agent's believed utility if the revision
    is agreed; it happens with the agreement the agent believes likely
    (``agree_belief``), and asking takes time whatever the answer.
    """
    return np.asarray(gain) * np.asarray(agree_belief) > np.asarray(time_cost)


# -- weekly effort ---------------------------------------------------------------
def effort_split(
    linear_weight: ArrayLike, weights: ArrayLike, scales: ArrayLike
) -> tuple[Array, Array]:
    """The week split that maximises the agent's perceived payoff, and the value of time.

    Key-result work pays ``w₀`` per unit of effort (linear); every other
    activity ``j`` has diminishing returns, ``w_j·s_j·(1 − e^{−e_j/s_j})``
    (non-OKR needs get met, colleagues' needs for help saturate, exploration
    ideas run out, visibility stops registering; assumption).  Maximising the
    sum subject to ``Σ e = 1`` gives ``w_j·e^{−e_j/s_j} = λ`` for every active
    activity, so

    ``e_j = s_j·ln(w_j/λ)⁺``, with ``λ = w₀`` while key-result work takes the rest.

    If the saturating activities alone would fill the week, ``λ`` rises above
    ``w₀`` (solved exactly by water-filling) and key-result work gets nothing.  Raising the
    payoff of the measured task lowers every unmeasured one
    (Holmström & Milgrom 1991).  Returns shares ``(…, 1 + J)``, key results first,
    and ``λ``, the marginal value of an hour (in the weights' units).
    """
    log_w = portable.log(np.maximum(np.asarray(weights, dtype=float), 1e-12))
    log_lam_all = portable.log(np.maximum(np.asarray(linear_weight, dtype=float), 1e-12))
    if log_lam_all.shape != log_w.shape[:-1]:
        log_lam_all = np.broadcast_to(log_lam_all, log_w.shape[:-1])
    log_lam_all = np.array(log_lam_all, dtype=float)
    sc = np.asarray(scales, dtype=float)
    if sc.shape != log_w.shape:
        sc = np.broadcast_to(sc, log_w.shape)
    others = sc * np.maximum(log_w - log_lam_all[..., None], 0.0)
    over = rows.total(others) > 1.0
    if np.any(over):
        # Water-filling: with the active activities A, Σ_A s_j (ln w_j − ln λ) = 1
        # gives ln λ; drop those with w_j ≤ λ and repeat (at most J times; once
        # the active set holds still, another round would give the same λ).
        log_wo, so = log_w[over], sc[over]
        active = np.ones(log_wo.shape, dtype=bool)
        for _ in range(log_wo.shape[-1]):
            weight = np.where(active, so, 0.0)
            log_lam = (rows.total(weight * log_wo) - 1.0) / rows.total(weight)
            settled, active = active, log_wo > log_lam[..., None]
            if np.array_equal(active, settled):
                break
        others[over] = so * np.maximum(log_wo - log_lam[..., None], 0.0)
        log_lam_all[over] = log_lam
    # where the saturating activities fill the week, key results get nothing:
    # exactly 0, not the rounding of 1 − Σ others (which can fall either side)
    kr = np.where(over, 0.0, 1.0 - rows.total(others))
    return np.concatenate([kr[..., None], others], axis=-1), portable.exp(log_lam_all)


def effort_shares(linear_weight: ArrayLike, weights: ArrayLike, scales: ArrayLike) -> Array:
    """The week split of :func:`effort_split`, without the value of time."""
    return effort_split(linear_weight, weights, scales)[0]


def exploration_weight(
    value_motive: ArrayLike,
    *,
    breakthrough_rate: float | Array,
    breakthrough_value: float | Array,
    scale: float | Array,
    hazard: ArrayLike,
    judged_per_value: ArrayLike,
    failure_tolerance: float | Array,
    extrinsic: float | Array,
    risk_aversion: ArrayLike,
    settlement_quarters: int,
) -> Array:
    """Marginal utility of exploring (at none), the weight :func:`effort_split` takes.

    A week's exploration is a bet: a breakthrough worth ``V`` comes with
    chance ``h(e) = r·(1 − e^{−e/s})``.  The rating sees it through
    judgment, which credits the bet as ``φ·(its promise, hV) + (1 − φ)·(its
    outcome)``, so the judged rating carries ``(1 − φ)`` of the outcome's
    Bernoulli variance ``V²h(1 − h)``, in rating units per value ``j``.  The
    agent weighs it by mean-variance, like a target (CARA; Holmström &
    Milgrom 1991):

    ``U(e) = m·V·h(e) − X·ρ/(2n)·(j(1 − φ)V)²·h(e)(1 − h(e))``

    with ``m`` the value motive (the believed judged credit per value plus
    intrinsic motivation, which values the bet at its expected value), ``X``
    the extrinsic weight and ``n`` the quarters settled together.  Its
    derivative is ``(r/s)e^{−e/s}·[m·V − X·ρ/(2n)·(j(1 − φ)V)²(1 − 2h)]``:
    the bracket, times ``r/s``, is the weight, with ``h`` the bet's current
    chance (the agent's last choice).  A failed bet costs nothing where
    judgment is tolerant (``φ = 1``) or absent (``j = 0``).
    """
    exposure = np.asarray(judged_per_value, dtype=float) * (1.0 - failure_tolerance)
    h = np.asarray(hazard, dtype=float)
    premium = (
        extrinsic
        * 0.5
        * np.asarray(risk_aversion, dtype=float)
        / settlement_quarters
        * exposure**2
        * breakthrough_value
        * (1.0 - 2.0 * h)
    )
    per_value = np.asarray(value_motive, dtype=float) - premium
    return np.maximum(breakthrough_rate * breakthrough_value / scale * per_value, 0.0)


#: Least intensity: one is present for the contracted week (the default of
#: ``assumptions.intensity_floor``, for a choice weighed alone).
INTENSITY_FLOOR = Assumptions().intensity_floor


def intensity(
    marginal_value: ArrayLike,
    cost: ArrayLike,
    *,
    elasticity: PerBlock,
    ceiling: ArrayLike,
    floor: float | Array = INTENSITY_FLOOR,
) -> Array:
    """How hard to work: the intensity ``h`` (1 = a normal week) that maximises
    ``λ·h − κ·h^{1+1/ε}/(1 + 1/ε)``.

    The personal cost of effort is convex (Holmström & Milgrom 1991; effort
    responds to pay, Prendergast 1999), with constant elasticity ``ε`` of
    intensity to its marginal value ``λ``: ``h = (λ/κ)^ε``, kept between a
    floor (one is present for the contracted week; assumption: half) and a
    ceiling.  ``elasticity`` may be one per block of rows (:mod:`okrsim.blocks`).
    """
    lam = np.maximum(np.asarray(marginal_value, dtype=float), 1e-12)
    h = each_block(portable.power, lam / np.asarray(cost, dtype=float), elasticity)
    return np.clip(h, floor, np.maximum(np.asarray(ceiling, dtype=float), floor))


def plan_intensity(
    marginal_value: ArrayLike,
    cost: ArrayLike,
    *,
    present_bias: ArrayLike,
    elasticity: PerBlock,
    ceiling: ArrayLike,
    floor: float | Array = INTENSITY_FLOOR,
) -> tuple[Array, Array]:
    """This week's intensity and the intensity planned for each later week of the quarter.

    The employee maximises ``β·V(Y) − C(h₀) − β·Σ_{t≥1} C(h_t)``: the
    quarter's result ``Y`` is rewarded at the review and later weeks' costs
    are borne later, both weighed by its present bias ``β`` (β–δ discounting
    with δ = 1 within a quarter; O'Donoghue & Rabin 1999; Augenblick,
    Niederle & Sprenger 2015 find β < 1 for effort), while this week's cost
    is weighed in full.  With ``λ = V'·(output per hour)`` the first-order
    conditions give every later week ``h = (λ/κ)^ε`` — a flat plan, as the
    cost is convex and spreading work is cheaper than cramming — and this
    week ``h₀ = (βλ/κ)^ε``, less than planned for later when β < 1.  A naive
    employee believes it will follow its plan (O'Donoghue & Rabin 1999's
    naif) and re-plans next week, when next week is "this week".
    """
    lam = np.asarray(marginal_value, dtype=float)
    later = intensity(lam, cost, elasticity=elasticity, ceiling=ceiling, floor=floor)
    now = intensity(
        np.asarray(present_bias) * lam, cost, elasticity=elasticity, ceiling=ceiling, floor=floor
    )
    return now, later


def formula_marginal(curve: Curve, mu_attainment: ArrayLike, sd_attainment: ArrayLike) -> Array:
    """Expected formulaic score per unit of attainment gained, ``dE[f(A)]/dμ``."""
    return curve.marginal(mu_attainment, sd_attainment)


_SQRT_2PI = float(np.sqrt(2.0 * np.pi))

#: How far below a goal (share of the target) a shortfall still pulls effort (the
#: default of ``assumptions.goal_reach``, for a choice weighed alone).
GOAL_REACH = Assumptions().goal_reach


def reference_point(
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    loss_aversion: float | Array,
    reach: float | Array = GOAL_REACH,
) -> tuple[Array, Array]:
    """A goal as a reference point: what it adds to the value of ending at attainment A; its slope.

    A goal is a reference point (Heath, Larrick & Wu 1999): a unit of
    attainment just below it is felt ``λ`` times as much as one above it
    (λ ≈ 2.25, Tversky & Kahneman 1992).  Sensitivity diminishes with
    distance: a goal missed by more than ``reach`` (``r``,
    ``assumptions.goal_reach``) of the target weighs no more than one already
    met (commitment to a goal out of reach falls; Locke & Latham 2002; the
    reach is calibrated).  Above the goal, and below its reach, a unit of
    output is worth what it is worth without a goal (its value, intrinsic and
    judged, counted elsewhere); what the goal adds is the kink:

    ``v(a) = (λ − 1)·(clip(a, 1 − r, 1) − (1 − r))``

    and for ``A ~ N(μ, σ)``, with ``G(z) = z·Φ(z) + φ(z)`` (the integral of Φ),

    ``E v(A) = (λ − 1)·σ·[G((μ − 1 + r)/σ) − G((μ − 1)/σ)]``,
    ``dE v/dμ = (λ − 1)·P(1 − r < A < 1)``.

    So a goal sure to be met, or out of reach, adds nothing: an easy goal
    does no better than none, and a hard one within reach pulls most (Locke
    & Latham 2002).  Effort weighs the slope (:func:`goal_pull`); a report
    weighs the value of the attainment it shows (:func:`report_utility`: a
    report just short of the goal is the one most worth shading up;
    Schweitzer, Ordóñez & Douma 2004).
    """
    return (
        goal_excess(mu_attainment, sd_attainment, loss_aversion=loss_aversion, reach=reach),
        goal_pull(mu_attainment, sd_attainment, loss_aversion=loss_aversion, reach=reach),
    )


def _goal_bounds(
    mu_attainment: ArrayLike, sd_attainment: ArrayLike, reach: float | Array
) -> tuple[Array, Array, Array]:
    """``((μ − 1 + r)/σ, (μ − 1)/σ, σ)``: where the goal's reach starts and ends, in sds."""
    mu = np.asarray(mu_attainment, dtype=float)
    sd = np.maximum(np.asarray(sd_attainment, dtype=float), 1e-9)
    return (mu - 1.0 + reach) / sd, (mu - 1.0) / sd, sd


def goal_excess(
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    loss_aversion: float | Array,
    reach: float | Array = GOAL_REACH,
) -> Array:
    """``E v(A) = (λ − 1)·σ·[G(lower) − G(upper)]``: the goal's kink.

    :func:`reference_point`'s value.

    ``G(z) = z·Φ(z) + φ(z)`` is the integral of Φ.  What a report weighs
    (:func:`report_utility`).
    """
    lower, upper, sd = _goal_bounds(mu_attainment, sd_attainment, reach)
    phi_l, phi_u = ndtr(lower), ndtr(upper)
    g = (
        lower * phi_l
        - upper * phi_u
        + (portable.exp(-0.5 * lower**2) - portable.exp(-0.5 * upper**2)) / _SQRT_2PI
    )
    return (loss_aversion - 1.0) * sd * g


def goal_pull(
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    loss_aversion: float | Array,
    reach: float | Array = GOAL_REACH,
) -> Array:
    """Motivation a target adds to its work, ``(λ − 1)·P(1 − r < A < 1)``.

    The slope of :func:`reference_point`'s value: harder goals pull more
    effort, and a goal out of reach pulls no more than one sure to be met,
    which pulls nothing — so performance rises with difficulty and then
    levels off (Locke & Latham 2002).
    """
    lower, upper, _ = _goal_bounds(mu_attainment, sd_attainment, reach)
    return (loss_aversion - 1.0) * (ndtr(lower) - ndtr(upper))


# -- habits ------------------------------------------------------------------------
#: Share of the way to its asymptote at which a habit counts as formed (Lally et al. 2010).
HABIT_FORMED = 0.95


def habit_adjustment(weeks_between: float, habit_weeks: float) -> float:
    """Share of the way from the last choice to the new best response that a choice moves.

    A choice repeated every ``weeks_between`` weeks by partial adjustment,
    ``x_t = x_{t−1} + a·(x*_t − x_{t−1})``, is 95 % of the way to a changed
    best response after ``habit_weeks`` weeks when
    ``a = 1 − 0.05^(weeks_between / habit_weeks)`` (Lally, van Jaarsveld,
    Potts & Wardle 2010: automaticity approaches its asymptote exponentially,
    95 % after a median of 66 days).  ``habit_weeks = 0``: no habit, ``a = 1``.
    """
    if habit_weeks <= 0.0:
        return 1.0
    return 1.0 - math.pow(1.0 - HABIT_FORMED, weeks_between / habit_weeks)


def habitual(previous: ArrayLike, best: ArrayLike, adjustment: ArrayLike) -> Array:
    """The choice made: a share ``adjustment`` of the way from ``previous`` to ``best``.

    Convex, so choices on a simplex (the week's split) stay on it.  An
    adjustment of 1 (a newcomer, who has no habit) is the best response.
    """
    prev = np.asarray(previous, dtype=float)
    return prev + np.asarray(adjustment, dtype=float) * (np.asarray(best, dtype=float) - prev)


# -- blocker surfacing -----------------------------------------------------------
def coaching_left(
    coach_help: ArrayLike, review_hours: ArrayLike, judged: ArrayLike, team_size: int
) -> Array:
    """``χ·max(0, 1 − J·t_J·N)``: the extra weekly clearing chance a raised blocker
    gets from its manager, whose time judging each of its ``N`` reports for the
    judged share ``J`` takes ``t_J`` of, from coaching ``χ``."""
    judging = np.asarray(judged, dtype=float) * review_hours * team_size
    return np.asarray(coach_help, dtype=float) * np.maximum(0.0, 1.0 - judging)


def expected_blocked_weeks(resolve_rate: ArrayLike, weeks_left: ArrayLike) -> Array:
    """Expected weeks a blocker still blocks, geometric clearing capped by the quarter.

    ``Σ_{t=0}^{n-1} (1 − r)^t = (1 − (1 − r)^n) / r``.
    """
    r = np.clip(np.asarray(resolve_rate, dtype=float), 1e-6, 1.0)
    n = np.asarray(weeks_left, dtype=float)
    return (1.0 - portable.power(1.0 - r, n)) / r


def raise_gain(
    output_saved: ArrayLike,
    value_per_output: ArrayLike,
    *,
    judged_credit: ArrayLike,
    inflation_option: ArrayLike,
    mum_cost: ArrayLike,
) -> Array:
    """Net utility of raising a blocker now rather than keeping it hidden.

    Raising clears the blocker sooner (``output_saved`` × the value of a unit
    of that key result's output) and earns whatever judgment credits or
    penalises (``judged_credit``, the agent's learned belief), but puts the
    bad news on the record: the key result must be reported truthfully from
    then on, losing the ``inflation_option``, and delivering bad news has its
    own discomfort (the MUM effect, Tesser & Rosen 1975).  Raise iff > 0.
    """
    return (
        np.asarray(output_saved) * np.asarray(value_per_output)
        + np.asarray(judged_credit)
        - np.asarray(inflation_option)
        - np.asarray(mum_cost)
    )


def delay_cost_weeks(self_rate: ArrayLike, raised_rate: ArrayLike, weeks_left: ArrayLike) -> Array:
    """Extra blocked weeks from raising a blocker a week later rather than now.

    ``1 + (1 − r_self)·W(r_raised, n − 1) − W(r_raised, n)`` with ``W`` the
    expected blocked weeks of :func:`expected_blocked_weeks`.
    """
    n = np.asarray(weeks_left, dtype=float)
    later = 1.0 + (1.0 - np.asarray(self_rate)) * expected_blocked_weeks(raised_rate, n - 1.0)
    return later - expected_blocked_weeks(raised_rate, n)


def raise_now(
    gain: ArrayLike, *, cost: ArrayLike, delay_loss: ArrayLike, self_rate: ArrayLike
) -> Array:
    """Raise this week iff raising beats never raising *and* beats waiting a week.

    Waiting a week saves the cost of raising (bad news, the lost option to
    shade the report, the discomfort) if the blocker clears by itself, with
    chance ``self_rate``, and loses a week's faster clearing (``delay_loss``).
    Hoping a problem goes away before telling anyone is the MUM effect's
    "wait and see" (Tesser & Rosen 1975; one-week look-ahead: assumption).
    """
    wait_value = np.asarray(self_rate) * np.asarray(cost) - np.asarray(delay_loss)
    return (np.asarray(gain) > 0) & (wait_value < 0)


# -- progress reporting ----------------------------------------------------------
@dataclass(frozen=True)
class ReportStakes:
    """What rides on a report, per key result (arrays broadcast over agents and KRs).

    ``formula_share``: the formula's weight on the graded attainment;
    ``judged_per_attainment``: judgment's credit per unit of reported
    attainment; ``audit_rate``: the believed chance, each week, that an audit
    checks the report, with ``audits_left`` audits to come this quarter (this
    week's among them), each of which catches the report if it then
    overstates the books by more than ``audit_tolerance`` (a share of the
    target); ``catch_pace``: the share of the target due by the week an audit
    is taken to come, so that a shading ``s`` then overstates by
    ``s·catch_pace``; ``catch_sd``: the sd, in shares of the target, of how
    far one's perceived progress may then be from the books
    (:func:`okrsim.model.check_in.audit_outlook`; 0: one's perception is taken
    as the books); ``ratchet_per_attainment``: next quarter's score
    lost per unit reported (≥ 0); ``red_below``/``red_penalty``: the shading
    below which this week's report shows red, and the mark expected for it;
    ``extrinsic``: the weight on the rating; ``honesty_cost``: the cost of
    misstating, per squared unit; ``goal_weight``: the weight on the goal as
    a reference point for the attainment a report shows
    (:func:`reference_point`), with ``loss_aversion`` its slope just short of
    the goal relative to above it and ``goal_reach`` how far below it a
    shortfall still counts.
    """

    formula_share: ArrayLike
    judged_per_attainment: ArrayLike
    audit_rate: ArrayLike
    ratchet_per_attainment: ArrayLike
    extrinsic: ArrayLike
    honesty_cost: ArrayLike
    red_below: ArrayLike = -np.inf
    red_penalty: ArrayLike = 0.0
    goal_weight: ArrayLike = 0.0
    loss_aversion: float | Array = 1.0
    goal_reach: float | Array = GOAL_REACH
    audits_left: ArrayLike = 1
    audit_tolerance: ArrayLike = 0.0
    catch_pace: ArrayLike = 1.0
    catch_sd: ArrayLike = 0.0

    def paid(self) -> tuple[ArrayLike, ...]:
        """The terms of which any non-zero makes a report pay or cost more than honesty."""
        return (
            self.formula_share,
            self.judged_per_attainment,
            self.ratchet_per_attainment,
            self.red_penalty,
            self.goal_weight,
            self.misjudged_audit(),
        )

    def misjudged_audit(self) -> Array:
        """Where an audit may catch even an honest report: one's perceived progress
        may overstate the books (``audit_rate·catch_sd > 0``)."""
        return np.asarray(self.audit_rate) * np.asarray(self.catch_sd) > 0

    def understated(self) -> tuple[Array, Array, Array]:
        """Where reporting less could pay (:attr:`rewards_understatement`): a
        ratchet believed, negative credit for reported attainment, an audit
        that may catch one's misjudged progress."""
        return (
            np.asarray(self.ratchet_per_attainment) > 0,
            np.asarray(self.judged_per_attainment) < 0,
            self.misjudged_audit(),
        )

    @property
    def anything(self) -> bool:
        """Whether any report could pay or cost anything but honesty."""
        return any(np.any(np.asarray(x) != 0) for x in self.paid())

    @property
    def rewards_understatement(self) -> bool:
        """Whether reporting less than perceived could pay.

        Of the terms of :func:`report_utility`, three fall as the report
        rises: a ratchet believed (a higher report now raises next quarter's
        target, so protecting it pays), negative credit for reported
        attainment, and an audit that may catch a report which, as perceived,
        overstates the books (a lower report is less likely to exceed the
        tolerance).  The formula's curve, the goal as a reference point (even
        one already passed: its value never falls with what is shown, as
        ``λ ≥ 1``) and a red status all reward a report that is no lower, an
        audit of a report taken to match the books catches only an
        overstatement, and misstating costs either way.
        """
        return any(bool(np.any(where)) for where in self.understated())


def report_utility(
    shading: ArrayLike,
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    payoff: Payoff,
    stakes: ReportStakes,
) -> Array:
    """Expected utility of reporting progress shaded by ``shading`` (0 = as perceived).

    Shading is in units of on-pace progress: the report claims ``s`` of the
    progress due by now more (or less) than the employee perceives, so the
    status it shows moves by ``s`` and the final report by ``s`` of the target.
    The graded attainment is what is reported, ``A + s``; the formula pays
    ``formula_share · E f(A + s)``; judgment that uses reported attainment
    credits ``judged_per_attainment · s``; an audit catches a report that
    overstates the books by more than ``audit_tolerance``, which, with one's
    view of one's progress misjudged, even an honest report may do
    (:func:`audit_found`, :func:`audit_checks`), and the overstatement caught
    costs ``(1 − c)·ρ_J·inflation_penalty`` per unit (in the judged part of the
    rating, as far as it reaches one's own: :attr:`Payoff.judged_reach`); a ratchet raises next
    quarter's target with reported output (``ratchet_per_attainment · (A + s)``);
    a report that shows red (``s < red_below``) costs ``red_penalty``, the mark
    the employee expects for bad news; the goal is a reference point for the
    attainment the report shows, ``goal_weight · E v(A + s)``:
    :func:`reference_point`'s value, the goal's kink, ``λ − 1``
    per unit shown within reach just short of the goal and nothing above it
    or out of reach — self-image, which pays whether or not anyone reads the
    report, for showing a goal met rather than missed (Schweitzer, Ordóñez &
    Douma 2004 found overstatement under mere goals concentrated just short of
    them; claiming more where the goal is met or out of reach earns only what
    the other terms pay); and misstating
    costs ``h·s²`` (Gneezy 2005's cost of lying; quadratic by assumption).
    A report that is caught is corrected to the books, and the key result is
    reported from the books for the rest of the quarter
    (:mod:`okrsim.model.check_in`): what the final report buys — the
    formula's score, judgment's credit, the ratchet, the goal's self-image —
    is then taken as what an honest report buys, so what an overstatement
    buys is kept only if no audit catches it.  An honest or understated
    report caught is weighed as kept (assumption: that the books a catch
    reveals lie below one's view of one's progress, which the final report
    would then show, is left out; weighing an understatement caught as the
    honest report would have had a catch *restore* what understating cost,
    the opposite of what the books do).  The red status is this week's and is
    weighed as reported (assumption: the chance that this week's audit
    corrects the report before its status is read is left out).
    Snow, Keil & Wallace
    (2007) found status reports biased about 60 % of the time, optimistic
    2 : 1 — the climate the defaults are calibrated to.
    """
    k = stakes
    s = np.asarray(shading, dtype=float)
    red_cost = np.asarray(k.red_penalty, dtype=float)
    found, excess = audit_found(s, k.catch_pace, k.audit_tolerance, k.catch_sd)
    checks = audit_checks(k.audit_rate, k.audits_left, found)
    extrinsic_u = -checks * payoff.judged * payoff.caught_penalty * excess
    if np.any(red_cost):
        extrinsic_u = extrinsic_u - red_cost * (s < np.asarray(k.red_below))
    utility = np.asarray(k.extrinsic) * extrinsic_u - np.asarray(k.honesty_cost) * s**2
    # what an overstatement buys is lost if it is caught: the report is then the books'
    kept = 1.0 - checks * found * (s > 0.0)
    bought = _report_paid(s, mu_attainment, sd_attainment, payoff, k)
    honest = _report_paid(np.zeros(()), mu_attainment, sd_attainment, payoff, k)
    return utility + kept * (bought - honest) + honest


def audit_found(
    shading: ArrayLike, pace: ArrayLike, tolerance: ArrayLike, sd: ArrayLike
) -> tuple[Array, Array]:
    """What an audit of a report shaded by ``shading`` finds, as the employee expects it.

    The report overstates the books by ``Y = s·pace + e``: the shading at the
    pace due when the audit comes, and ``e ~ N(0, sd²)``, how far one's
    perceived progress may be from the books, in shares of the target.  An
    audit catches it if ``Y`` exceeds the tolerance ``τ``.  Returns the chance
    it does, ``Φ(d)``, and the overstatement it then counts, in expectation,
    ``E[Y·1{Y > τ}] = m·Φ(d) + sd·φ(d)``, with ``m = s·pace`` and
    ``d = (m − τ)/sd``; with ``sd = 0``, ``1{m > τ}`` and ``m·1{m > τ}``.
    """
    m = np.asarray(shading, dtype=float) * np.asarray(pace, dtype=float)
    return _found(m, m - np.asarray(tolerance, dtype=float), _Misjudged.of(sd))


@dataclass(frozen=True)
class _Misjudged:
    """:func:`audit_found`'s terms in the misjudgement's sd, worked out once per key result."""

    inv_sd: Array  # 1/sd (1 where sd = 0)
    density: Array  # sd/√(2π)
    sure: Array | None  # where sd = 0 (None: nowhere)

    @classmethod
    def of(cls, sd: ArrayLike) -> _Misjudged:
        sd = np.asarray(sd, dtype=float)
        sure = sd <= 0.0
        inv_sd = 1.0 / np.where(sure, 1.0, sd)
        return cls(inv_sd, sd / _SQRT_2PI, sure if np.any(sure) else None)


def _found(m: Array, over: Array, e: _Misjudged) -> tuple[Array, Array]:
    """:func:`audit_found` from ``m = s·pace`` and ``over = m − τ``."""
    d = over * e.inv_sd
    if e.sure is not None:  # elsewhere d is the same whichever way this goes
        d = np.where(e.sure, np.where(over > 0.0, np.inf, -np.inf), d)
    found = ndtr(d)
    return found, m * found + e.density * portable.exp(-0.5 * d * d)


def audit_checks(rate: ArrayLike, left: ArrayLike, found: ArrayLike) -> Array:
    """The audits expected to check a report before one catches it: ``â·Σ_{j<n} (1 − â·F)^j``.

    Each of the ``left`` (``n``) audits to come checks the report with chance
    ``rate`` (``â``) and finds it over the tolerance with chance ``found``
    (``F``, :func:`audit_found`), until one does: it is then caught, with
    chance ``1 − (1 − â·F)^n``, which is this times ``F``, and the
    overstatement caught is this times what one audit counts.  With ``F = 0``
    (or ``â = 0``) every audit left checks it in vain: ``â·n``.
    """
    rate, found = np.asarray(rate, dtype=float), np.asarray(found, dtype=float)
    n = np.asarray(left, dtype=float)
    x = rate * found
    # 1 − (1 − x)^n to full precision however small x is
    some = x > 0.0
    caught = -portable.expm1(n * portable.log1p(-x))
    return rate * np.where(some, caught / np.where(some, x, 1.0), n)


def _report_paid(
    s: Array, mu_attainment: ArrayLike, sd_attainment: ArrayLike, payoff: Payoff, k: ReportStakes
) -> Array:
    """:func:`report_utility`'s terms in the final report, ``A + s``: the formula's score,
    judgment's credit, the ratchet and the goal's self-image (0 where a policy leaves them)."""
    reported_mu = np.asarray(mu_attainment, dtype=float) + s
    share, per_att, ratchet = (
        np.asarray(x, dtype=float)
        for x in (k.formula_share, k.judged_per_attainment, k.ratchet_per_attainment)
    )
    paid = np.zeros(np.broadcast_shapes(reported_mu.shape, share.shape))
    if np.any(share):
        paid = paid + share * payoff.curve.expected(reported_mu, sd_attainment)
    if np.any(per_att):
        paid = paid + per_att * s
    if np.any(ratchet):
        paid = paid - ratchet * reported_mu
    paid = np.asarray(k.extrinsic) * paid
    goal_weight = np.asarray(k.goal_weight, dtype=float)
    if np.any(goal_weight):
        # only the goal's kink: a report earns self-image by showing a goal
        # met rather than just missed, not by claiming more far from it
        shown = goal_excess(
            reported_mu, sd_attainment, loss_aversion=k.loss_aversion, reach=k.goal_reach
        )
        paid = paid + goal_weight * shown
    return paid


def shading_gains(
    shading: ArrayLike,
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    payoff: Payoff,
    stakes: ReportStakes,
) -> Array:
    """:func:`report_utility` up to a constant per key result, for options along the leading axis.

    The same utility, arranged for the weekly search: every term that does
    not move with the shading is dropped (it cancels between options), and
    what does not depend on the option is worked out once per key result,
    so each option costs a few passes over the key results and the normal
    CDFs it needs.  Terms a policy leaves at zero are skipped.  A test holds
    it to :func:`report_utility`.
    """
    terms = _ShadingTerms.of(mu_attainment, sd_attainment, payoff, stakes)
    s = np.asarray(shading, dtype=float)
    return terms.utility(s, terms.paid(s), terms.paid(np.zeros(())))


@dataclass(frozen=True)
class _ShadingTerms:
    """:func:`report_utility`'s terms in the shading ``s``, per key result.

    ``u(s) = k(s)·[p(s) − p(0)] + c·E·over − h·s² − red·1{s < red_below}``, with
    what the final report buys ``p(s) = s·linear + Σ ramp·G(a + s/σ_c)
    + Σ step·Φ(a + s/σ_c) + goal·[G(l + s/σ) − G(u + s/σ)]``, kept as
    ``k(s) = 1 − c·F`` for ``s > 0`` and 1 otherwise, where an audit finds
    the report over the tolerance with chance ``F`` and counts ``E`` of it
    (:func:`audit_found`), ``c``
    audits are expected to check it before one catches it (:func:`audit_checks`)
    and ``over`` is the penalty per unit caught, and
    ``G(z) = z·Φ(z) + φ(z)``, up to terms that do not move with ``s``.
    """

    rate: Array | None
    left: Array
    catch_pace: Array
    tolerance: Array
    misjudged: _Misjudged
    linear: Array
    over: Array
    honesty: Array
    red: Array | None
    red_below: Array
    inv_curve_sd: Array
    ramps: tuple[tuple[Array, Array], ...]  # (coefficient, z at s = 0)
    steps: tuple[tuple[Array, Array], ...]
    goal: Array | None
    inv_sd: Array
    goal_upper: Array
    goal_span: Array

    @classmethod
    def of(
        cls, mu_attainment: ArrayLike, sd_attainment: ArrayLike, payoff: Payoff, k: ReportStakes
    ) -> _ShadingTerms:
        mu = np.asarray(mu_attainment, dtype=float)
        sigma = np.asarray(sd_attainment, dtype=float)
        x = np.asarray(k.extrinsic, dtype=float)
        share = np.asarray(k.formula_share, dtype=float) * x
        curve = payoff.curve
        linear = (
            share * curve.slope
            + x * np.asarray(k.judged_per_attainment, dtype=float)
            - x * np.asarray(k.ratchet_per_attainment, dtype=float)
        )
        over = -x * (payoff.judged * payoff.caught_penalty)
        red_cost = np.asarray(k.red_penalty, dtype=float)
        sd_c = np.maximum(np.hypot(sigma, curve.blur), 1e-9)
        paid = bool(np.any(share))
        ramps = tuple(
            (share * slope * sd_c, (mu - knot) / sd_c) for knot, slope in curve.ramps if paid
        )
        steps = tuple((share * height, (mu - knot) / sd_c) for knot, height in curve.steps if paid)
        goal_weight = np.asarray(k.goal_weight, dtype=float)
        lower, upper, sd = _goal_bounds(mu, sigma, k.goal_reach)
        rate = np.asarray(k.audit_rate, dtype=float)
        return cls(
            rate=rate if np.any(rate) else None,
            left=np.asarray(k.audits_left, dtype=float),
            catch_pace=np.asarray(k.catch_pace, dtype=float),
            tolerance=np.asarray(k.audit_tolerance, dtype=float),
            misjudged=_Misjudged.of(k.catch_sd),
            linear=linear,
            over=over,
            honesty=np.asarray(k.honesty_cost, dtype=float),
            red=x * red_cost if np.any(red_cost) else None,
            red_below=np.asarray(k.red_below, dtype=float),
            inv_curve_sd=1.0 / sd_c,
            ramps=ramps,
            steps=steps,
            goal=goal_weight * (k.loss_aversion - 1.0) * sd if np.any(goal_weight) else None,
            inv_sd=1.0 / sd,
            goal_upper=upper,
            goal_span=lower - upper,
        )

    def utility(self, s: Array, paid: Array, honest: Array) -> Array:
        """``u(s)`` from ``paid`` = :meth:`paid` at ``s`` and ``honest`` = :meth:`paid` at 0."""
        bought = paid - honest
        u = bought - (s * s) * self.honesty
        if self.rate is not None:
            m = s * self.catch_pace
            found, excess = _found(m, m - self.tolerance, self.misjudged)
            checks = audit_checks(self.rate, self.left, found)
            u = u + checks * (excess * self.over - found * np.where(s > 0.0, bought, 0.0))
        if self.red is not None:
            u = u - self.red * (s < self.red_below)
        return u

    def paid(self, s: Array) -> Array:
        """``p(s)``: what a final report shaded by ``s`` buys, up to a constant."""
        u = s * self.linear
        if self.ramps or self.steps:
            moved = s * self.inv_curve_sd
            for coefficient, z in self.ramps:
                u = u + coefficient * _integrated_cdf(z + moved)
            for coefficient, z in self.steps:
                u = u + coefficient * ndtr(z + moved)
        if self.goal is not None:
            upper = self.goal_upper + s * self.inv_sd
            u = u + self.goal * (_integrated_cdf(upper + self.goal_span) - _integrated_cdf(upper))
        return u


def _integrated_cdf(z: Array) -> Array:
    """``G(z) = z·Φ(z) + φ(z)``, the integral of the normal CDF up to ``z``."""
    return z * ndtr(z) + portable.exp(-0.5 * z * z) / _SQRT_2PI


def choose_shading(
    mu_attainment: ArrayLike,
    sd_attainment: ArrayLike,
    *,
    payoff: Payoff,
    stakes: ReportStakes,
    options: Array = SHADING_GRID,
) -> tuple[Array, Array]:
    """The utility-maximising shading among ``options`` and its gain over none.

    ``options`` are the shadings weighed (:func:`shading_grid`; 0 among them).

    Returns ``(shading, gain)``; ``gain`` ≥ 0 is the value of the option to
    shade, which a raised blocker or a caught report takes away.

    The search scores every third point of the grid (:func:`shading_gains`),
    then the two neighbours of the best one.  Shading down can only pay
    when reported output raises future targets (a ratchet), reports lower
    pay, or an audit may catch one's misjudged progress
    (:attr:`ReportStakes.rewards_understatement`), so without those the
    negative half of the grid is skipped; with nothing riding on the report
    the answer is 0.  The habit (:func:`habitual`) applies to the choice
    returned here.
    """
    mu = np.asarray(mu_attainment, dtype=float)
    if not stakes.anything:
        return np.zeros(mu.shape), np.zeros(mu.shape)
    grid = options if stakes.rewards_understatement else options[options >= 0]
    step = float(grid[1] - grid[0])
    # options along the leading axis: reductions over them stay elementwise
    gains = _ShadingTerms.of(mu, sd_attainment, payoff, stakes)
    zero = int(np.flatnonzero(grid == 0.0)[0])
    coarse = grid[zero % 3 :: 3]
    honest = int(np.flatnonzero(coarse == 0.0)[0])
    coarse_s = coarse.reshape((-1,) + (1,) * mu.ndim)
    paid = gains.paid(coarse_s)
    paid_honest = paid[honest]
    u_coarse = gains.utility(coarse_s, paid, paid_honest)
    at = np.argmax(u_coarse, axis=0)
    best = coarse[at]
    u_best = np.take_along_axis(u_coarse, at[None], axis=0)[0]
    below = np.clip(best - step, grid[0], grid[-1])
    above = np.clip(best + step, grid[0], grid[-1])
    pair = np.stack([below, above])
    u_below, u_above = gains.utility(pair, gains.paid(pair), paid_honest)
    nearer = np.where(u_above > u_below, above, below)
    u_near = np.maximum(u_below, u_above)
    shading = np.where(u_near > u_best, nearer, best)
    gain = np.maximum(u_near, u_best) - u_coarse[honest]
    return np.round(shading, 2), gain


#: A report choice's answer per key result: ``(shading, gain)``.
ShadingAnswer = tuple[Array, Array]


@dataclass(frozen=True)
class ShadingQuestion:
    """A week's report choice, as :func:`choose_shading` takes it (per key result).

    Kept whole so that an ensemble of runs can answer the questions of
    several organisations in one call (:mod:`okrsim.model.ensemble`).
    """

    mu_attainment: Array
    sd_attainment: Array
    payoff: Payoff
    stakes: ReportStakes
    options: Array
    #: In a cohort whose runs weigh different options, each run's (its rows in
    #: order, runs of equal size); the question is then answered run by run.
    options_by_run: tuple[Array, ...] = ()

    def branches(self) -> tuple[bool, ...]:
        """The tests :func:`choose_shading` makes on whole arrays, which pick its code path.

        Questions stacked into one call must agree on every one of them, so
        that each element is computed as it would be alone.
        """
        (path,) = self.branches_by_run(1)
        return path

    def branches_by_run(self, runs: int) -> list[tuple[bool, ...]]:
        """:meth:`branches` of each of ``runs`` runs of one size whose employees
        are stacked end to end: each from its own rows, as it would be alone."""
        k, rows = self.stakes, len(self.mu_attainment)

        def each(test: ArrayLike) -> Array:
            values = np.asarray(test)
            if values.ndim and values.shape[0] == rows:  # per employee
                return values.reshape(runs, -1).any(axis=1)
            return np.full(runs, bool(np.any(values)))

        share = np.asarray(k.formula_share, dtype=float) * np.asarray(k.extrinsic, dtype=float)
        anything = np.logical_or.reduce([each(np.asarray(x) != 0) for x in k.paid()])
        tests = (
            anything,
            np.logical_or.reduce([each(where) for where in k.understated()]),
            each(np.asarray(k.audit_rate, dtype=float)),
            each(share),
            each(np.asarray(k.red_penalty, dtype=float)),
            each(np.asarray(k.goal_weight, dtype=float)),
        )
        return [tuple(bool(test[r]) for test in tests) for r in range(runs)]

    def answer(self) -> ShadingAnswer:
        """``(shading, gain)``: :func:`choose_shading`'s answer."""
        return choose_shading(
            self.mu_attainment,
            self.sd_attainment,
            payoff=self.payoff,
            stakes=self.stakes,
            options=self.options,
        )


# -- booking across the quarter's end ----------------------------------------------
#: Output moves an employee weighs, as shares of its bound (> 0: held back into
#: next quarter; < 0: pulled in from it).  No move comes first, so that when
#: nothing is gained the booking stays as produced.
MOVE_GRID = np.array([0.0, -1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0])
#: ``(1 − a)⁺``, a key result's shortfall below its target.
SHORTFALL = Curve(base=1.0, slope=-1.0, ramps=((1.0, 1.0),))


@dataclass(frozen=True)
class BookingStakes:
    """What rides on booking output this quarter or the next (arrays broadcast over agents, KRs).

    In units of this quarter's attainment (output / target):
    ``formula_share``: the formula's weight on a key result's score (coupling ×
    the share of the score one's own result moves ÷ key results);
    ``claw_back``: next quarter's score lost per unit reported now (the
    ratchet, as believed); ``reported_credit``: judgment's credit per unit of
    reported output; ``shortfall_weight``: judgment's mark per unit a key
    result falls short of its target (ambition, less the failure tolerance);
    ``value_credit``: what a unit of output is worth to the employee for the
    value it creates (intrinsic: judgment saw the output when it was made,
    whichever quarter books it); ``loss``: the share of a moved unit lost;
    ``extrinsic``: the weight on the rating.
    """

    formula_share: ArrayLike
    claw_back: ArrayLike
    reported_credit: ArrayLike
    shortfall_weight: ArrayLike
    value_credit: ArrayLike
    loss: float | Array
    extrinsic: ArrayLike


def booking_utility(
    move: ArrayLike,
    now: tuple[ArrayLike, ArrayLike],
    later: tuple[ArrayLike, ArrayLike],
    *,
    curve: Curve,
    stakes: BookingStakes,
) -> Array:
    """Utility of booking ``move`` of this quarter's output in the next quarter instead.

    ``move`` (attainment units; < 0 pulls next quarter's output in) lowers this
    quarter's booked attainment by ``d`` and raises next quarter's by
    ``d − ℓ|d|`` (a share ``ℓ`` of what is moved is lost).  ``now`` and
    ``later`` are each quarter's expected attainment and its sd as the
    employee sees them.  The formula pays ``E f`` of each quarter's
    attainment (annual settlement averages quarterly scores, so each quarter's
    score counts alike); a ratchet lowers next quarter's target by what is
    reported less now; judgment credits reported output and marks a
    shortfall below target in each quarter; the value lost costs what the
    employee values it at.  Both quarters' reviews lie ahead, so present
    bias weighs them alike and drops out.
    """
    k = stakes
    d = np.asarray(move, dtype=float)
    d_next = d - k.loss * np.abs(d)
    (mu, sd), (mu_next, sd_next) = now, later
    booked = np.asarray(mu, dtype=float) - d
    booked_next = np.asarray(mu_next, dtype=float) + d_next
    score = (
        curve.expected(booked, sd)
        + curve.expected(booked_next, sd_next)
        + np.asarray(k.claw_back) * d
    )
    shortfall = SHORTFALL.expected(booked, sd) + SHORTFALL.expected(booked_next, sd_next)
    extrinsic_u = (
        np.asarray(k.formula_share) * score
        + np.asarray(k.reported_credit) * (d_next - d)
        - np.asarray(k.shortfall_weight) * shortfall
    )
    return np.asarray(k.extrinsic) * extrinsic_u - np.asarray(k.value_credit) * (d - d_next)


def choose_booking(
    bound: ArrayLike,
    now: tuple[ArrayLike, ArrayLike],
    later: tuple[ArrayLike, ArrayLike],
    *,
    curve: Curve,
    stakes: BookingStakes,
) -> Array:
    """The utility-maximising move on :data:`MOVE_GRID` × ``bound``, in attainment units.

    ``bound`` (≥ 0) is the most that can be moved either way; a move is
    kept only if it beats booking output where it was produced.
    """
    b = np.asarray(bound, dtype=float)
    moves = MOVE_GRID.reshape((-1,) + (1,) * b.ndim) * b
    utilities = booking_utility(moves, now, later, curve=curve, stakes=stakes)
    best = np.argmax(utilities, axis=0)
    return np.take_along_axis(moves, best[None], axis=0)[0]
