"""Decision rules that do not know the payoff function: learning and satisficing.

Pure functions over numbers and numpy arrays, no Mesa.  An agent following
one of these rules chooses each decision from a small menu of options once a
quarter (a disposition for the quarter) and judges its choices only by the
payoff it realised and by what it saw of its teammates' choices and payoffs:

* **learn** — experience-weighted attraction (Camerer & Ho 1999), which
  nests reinforcement learning (Erev & Roth 1998; foregone weight δ = 0)
  and weighted fictitious play (δ = 1): each option's attraction moves with
  the payoff it brought, and a logit over attractions picks the option;
* **satisfice** — an aspiration that adapts to outcomes (Simon 1955; Cyert &
  March 1963): the habit is kept while the outcome meets the aspiration,
  and a local search moves one of its choices otherwise.

Both judge a payoff against a reference point that adapts to outcomes (the
learner's reinforcement is payoff minus reference, Erev & Roth 1998; the
satisficer's reference is its aspiration), so neither depends on where the
payoff's zero lies.

docs/ODD.md §7.15 (decision rules).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from okrsim import portable
from okrsim.blocks import PerBlock, each_block, each_row
from okrsim.params import WEEKS_PER_QUARTER, Assumptions
from okrsim.policies.curves import Array

#: The decisions a rule makes, in the order of the menu's rows.
DECISIONS = (
    "offer",  # target offered, as a multiple of one's expected output
    "intensity",  # how hard to work (1 = a normal week)
    "kr_share",  # share of the hours worked on key results
    "side",  # how the rest is split: a row of side_splits()
    "shading",  # report shading, in units of on-pace progress
    "raise_wait",  # weeks a blocker stays hidden before it is raised
    "booking",  # share of the movable output booked in the next quarter (< 0: pulled in)
    "revise",  # ask to re-state targets mid-quarter (1) or not (0)
)
#: Most options of a decision (the menu's resolution); shorter menus are padded with NaN.
OPTIONS = 5
#: How long a blocker may stay hidden before it is raised: at once, after 1, 2
#: or 4 weeks, or not this quarter — the whole range from "at once" to "never",
#: the points between being the menu's resolution.
RAISE_WAITS = (0.0, 1.0, 2.0, 4.0, float(WEEKS_PER_QUARTER))
#: Least elasticity of hours used for the curvature of the realised cost of
#: effort: at ε = 0 an optimiser never moves its hours, but a learner's
#: chosen hours still need a finite cost (a numerical floor).
MIN_COST_ELASTICITY = 0.1


def _even(centre: float, spread: float, low: float = -np.inf, high: float = np.inf) -> Array:
    """:data:`OPTIONS` options from ``centre − spread`` to ``centre + spread``, within bounds."""
    return np.clip(np.linspace(centre - spread, centre + spread, OPTIONS), low, high)


@functools.cache
def menu(a: Assumptions | None = None) -> Array:
    """Each decision's options, rows in the order of :data:`DECISIONS`; NaN pads a short menu.

    Read-only and built once per set of assumptions (the submodels read it
    every week under a rule).

    The extents are the ``assumptions.rule_*`` fields.  The offer and
    shading menus are symmetric around an honest statement (1, 0) and by
    default wider than what optimisers chose in coupled runs (offer p5 0.75,
    shading p95 0.25), so a menu does not cap an effect the optimiser would
    show.
    """
    a = a if a is not None else Assumptions()
    rows = {
        "offer": _even(1.0, a.rule_offer_spread),
        "intensity": _even(1.0, a.rule_intensity_spread, low=0.0),
        "kr_share": _even(a.kr_plan_prior, a.rule_kr_share_spread, low=0.0, high=1.0),
        "side": np.arange(float(OPTIONS)),
        "shading": _even(0.0, a.rule_shading_spread),
        "raise_wait": np.array(RAISE_WAITS),
        "booking": _even(0.0, a.rule_booking_spread),
        "revise": np.array([0.0, 1.0]),
    }
    table = np.array(
        [np.concatenate([rows[d], np.full(OPTIONS - len(rows[d]), np.nan)]) for d in DECISIONS]
    )
    table.flags.writeable = False
    return table


#: The activities besides key results a week's other hours go to (order of the split).
SIDE_ACTIVITIES = ("bau", "help", "explore", "visible")
#: The menu at the assumptions' defaults.
MENU = menu()
#: Which entries of a menu are options (the same for every menu).
AVAILABLE = np.isfinite(MENU)


def side_splits(lean: float) -> Array:
    """Splits of the hours not on key results over non-OKR work, help, exploration and
    visibility: even, or leaning on one of them with share ``lean`` (rows as the "side"
    options)."""
    others = len(SIDE_ACTIVITIES)
    leaning = np.full((others, others), (1.0 - lean) / (others - 1))
    np.fill_diagonal(leaning, lean)
    return np.vstack([np.full((1, others), 1.0 / others), leaning])


def initial_state(n: int, attraction: float) -> dict[str, Array]:
    """A newcomer's rule state: no option chosen yet (−1), every option's attraction
    at ``attraction`` (n, D, OPTIONS), EWA's experience weight 1, no reference
    point or aspiration (NaN), and nothing felt yet in the current decision period."""
    return {
        "rule_option": np.full((n, len(DECISIONS)), -1, dtype=np.int64),
        "attraction": np.full((n, len(DECISIONS), OPTIONS), attraction),
        "experience": np.ones(n),
        "aspiration": np.full(n, np.nan),
        "period_payoff": np.zeros(n),
        "period_quarters": np.zeros(n),
    }


def decision(name: str) -> int:
    """The row of decision ``name`` in a menu (:func:`menu`)."""
    return DECISIONS.index(name)


def chosen_values(option: ArrayLike) -> Array:
    """The value of each chosen option, shape (n, D), from option indices (n, D)."""
    idx = np.asarray(option, dtype=np.int64)
    if np.any(idx < 0):
        raise ValueError("an option is read before it was chosen (rule_option −1)")
    return MENU[np.arange(len(DECISIONS)), idx]


def effort_split(kr_share: ArrayLike, side_split: ArrayLike) -> Array:
    """Shares of the hours over (kr, bau, help, explore, visible), shape (n, 5), from
    the share on key results and each one's split of the rest (rows of :func:`side_splits`)."""
    kr = np.asarray(kr_share, dtype=float)
    rest = np.asarray(side_split, dtype=float) * (1.0 - kr)[:, None]
    return np.column_stack([kr, rest])


def effort_cost(intensity: ArrayLike, cost: ArrayLike, *, elasticity: PerBlock) -> Array:
    """A week's personal cost of working at ``intensity``: ``κ·h^{1+1/ε}/(1 + 1/ε)``.

    The cost whose optimum :func:`okrsim.policies.choices.intensity` finds
    (Holmström & Milgrom 1991's convex cost of effort).  ``elasticity`` may
    be one per block of rows (:mod:`okrsim.blocks`).
    """
    h = np.maximum(np.asarray(intensity, dtype=float), 0.0)
    powered = each_block(lambda x, e: portable.power(x, cost_power(e)), h, elasticity)
    return np.asarray(cost, dtype=float) * powered / each_row(cost_power, elasticity, h)


def cost_power(elasticity: float) -> float:
    """The power of intensity in a week's cost, ``1 + 1/ε``."""
    return 1.0 + 1.0 / max(elasticity, MIN_COST_ELASTICITY)


def one_hot(option: ArrayLike) -> Array:
    """Option indices (..., D) as a boolean mask (..., D, OPTIONS)."""
    return np.asarray(option)[..., None] == np.arange(OPTIONS)


def peer_payoffs(peer_option: ArrayLike, peer_payoff: ArrayLike) -> tuple[Array, Array]:
    """Mean payoff seen of each option among one's peers, and whether any peer chose it.

    ``peer_option`` (n, P, D) are the options each employee's P peers chose,
    ``peer_payoff`` (n, P) the payoff it would have had, as far as it could
    see, with each peer's options.  Returns (n, D,
    OPTIONS) arrays: the mean seen payoff of each option (0 where none was
    seen) and whether it was seen.
    """
    chose = one_hot(peer_option)  # (n, P, D, M)
    pay = np.asarray(peer_payoff, dtype=float)[:, :, None, None]
    count = chose.sum(axis=1)
    total = np.where(chose, pay, 0.0).sum(axis=1)
    seen = count > 0
    return np.where(seen, total / np.maximum(count, 1), 0.0), seen


def update_attractions(
    attraction: ArrayLike,
    experience: ArrayLike,
    chosen: ArrayLike,
    payoff: ArrayLike,
    foregone: ArrayLike,
    foregone_seen: ArrayLike,
    reference: ArrayLike,
    *,
    decay: float | Array,
    foregone_weight: float | Array,
) -> tuple[Array, Array]:
    """Experience-weighted attraction after one more period (Camerer & Ho 1999).

    .. math::

        N' = φN + 1,\\qquad
        A'_j = \\frac{φ N A_j + [δ + (1-δ)\\,1(j = s)]\\,(π_j - r)}{N'}

    with ``s`` the option chosen, ``π_s`` the payoff realised and ``r`` the
    agent's reference point (Erev & Roth 1998): an option is reinforced by
    how much better or worse than usual it did, so adding a constant to
    every payoff (and so to the reference) changes nothing.  For an option
    not chosen, ``π_j`` is the payoff one would have had with it as seen
    among peers (weighed by δ); an option neither chosen nor seen keeps its
    attraction — nothing was learned of it — so the initial attraction is a
    prior relative to the reference point.  The experience weight decays
    at φ too (κ = 0: attractions stay in payoff units).  Shapes:
    ``attraction`` (n, D, M), ``experience``, ``payoff`` and ``reference``
    (n,), ``chosen`` (n, D), ``foregone`` and ``foregone_seen`` (n, D, M).
    """
    a = np.asarray(attraction, dtype=float)
    n_old = np.asarray(experience, dtype=float)
    n_new = decay * n_old + 1.0
    mine = one_hot(chosen)
    seen = np.asarray(foregone_seen, dtype=bool)
    ref = np.asarray(reference, dtype=float)[:, None, None]
    weight = np.where(mine, 1.0, _per_option(foregone_weight) * seen)
    reward = np.where(mine, np.asarray(payoff, dtype=float)[:, None, None], foregone) - ref
    updated = (_per_option(decay) * n_old[:, None, None] * a + weight * reward) / n_new[
        :, None, None
    ]
    return np.where(mine | seen, updated, a), n_new


def _per_option(value: float | Array) -> float | Array:
    """A per-employee ``value`` (n,) as (n, 1, 1), against (n, D, M) options; a number as is."""
    return value[:, None, None] if isinstance(value, np.ndarray) else value


def logit_choice(attraction: ArrayLike, sensitivity: float | Array, uniform: ArrayLike) -> Array:
    """The option each employee picks for each decision by logit over attractions.

    ``P(j) ∝ exp(λ·A_j)`` over the menu's options (Camerer & Ho 1999's
    choice rule), picked by inverse CDF with ``uniform`` (n, D) draws.
    Returns option indices (n, D).
    """
    a = np.where(AVAILABLE, sensitivity * np.asarray(attraction, dtype=float), -np.inf)
    weights = portable.exp(a - a.max(axis=-1, keepdims=True))
    cdf = np.cumsum(weights, axis=-1)
    threshold = np.asarray(uniform, dtype=float)[..., None] * cdf[..., -1:]
    picked = (cdf <= threshold).sum(axis=-1)
    # the last available option takes a uniform that rounding pushes past the total
    return np.minimum(picked, AVAILABLE.sum(axis=1) - 1)


def update_aspiration(aspiration: ArrayLike, outcome: ArrayLike, speed: float | Array) -> Array:
    """``a ← a + α·(outcome − a)``: the aspiration adapts to outcomes (Cyert & March 1963)."""
    a = np.asarray(aspiration, dtype=float)
    return a + speed * (np.asarray(outcome, dtype=float) - a)


def search(option: ArrayLike, uniform: ArrayLike, size: int | Array) -> Array:
    """A local search: one decision's option moves 1 to ``size`` steps, within its menu.

    The decision is picked by ``uniform[:, 0]`` and the move by
    ``uniform[:, 1]`` (up or down, and how far); a move past a menu's end
    goes the other way instead (the menus are ordinal: no wrapping round),
    so every search tries another option.  Local search near the current
    practice, Cyert & March (1963).  ``option`` and ``uniform`` are (n, D).
    """
    opt = np.array(option, dtype=np.int64)
    u = np.asarray(uniform, dtype=float)
    n = opt.shape[0]
    d = np.minimum((u[:, 0] * len(DECISIONS)).astype(np.int64), len(DECISIONS) - 1)
    counts = AVAILABLE.sum(axis=1)[d]
    reach = np.minimum(size, counts - 1)
    step = np.floor(u[:, 1] * 2 * reach).astype(np.int64)
    offset = np.where(step < reach, step - reach, step - reach + 1)  # ±1 … ±reach
    here = opt[np.arange(n), d]
    target = here + offset
    target = np.where((target < 0) | (target >= counts), here - offset, target)
    opt[np.arange(n), d] = np.clip(target, 0, counts - 1)
    return opt


def satisfice(
    option: ArrayLike,
    outcome: ArrayLike,
    aspiration: ArrayLike,
    uniform: ArrayLike,
    size: int | Array,
) -> Array:
    """Next period's options: the habit where the outcome met the aspiration, else a search.

    Simon (1955)'s satisficer; a shortfall moves one decision at a time
    (:func:`search`), as search near the problem does (Cyert & March 1963).
    """
    met = np.asarray(outcome, dtype=float) >= np.asarray(aspiration, dtype=float)
    return np.where(met[:, None], np.asarray(option), search(option, uniform, size))
