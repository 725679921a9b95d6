"""Staying or leaving: people quit for a better outside option or from stress, and are replaced.

At each review every employee weighs staying against the market.  Its
outside option grows with its capability as it sees it (a market pays for
what one can do; relative to the organisation's mean), its pay here is its
rating (relative to the mean rating), and stress pushes it out:

``logit P(quit) = logit(q₀) + β_pay·(ĉ/mean ĉ − r/mean r) + β_stress·stress``

(the form is an assumption; ``q₀`` sets voluntary turnover of a content,
fairly paid person so that the default organisation loses about 13 % a year —
calibrated to an assumed typical rate, see the ODD's calibration).
Leavers' seats are filled from the labour market, drawn from the
organisation's own trait distributions (the ``labour`` stream); a seat stays
empty for ``env.vacancy_weeks`` and the newcomer ramps up from half
productivity over ``env.ramp_weeks``, starting with the organisation's
priors, not experience.  Who the policy keeps — its most or least capable —
emerges from whose rating falls short of what they could get elsewhere.

docs/ODD.md §7.9 (staying or leaving).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.work import seat_factor
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array
from okrsim.policies.rating import relative_to_mean


def quit_probability(wf: Workforce, org: Organisation, policy: InForce, ratings: Array) -> Array:
    """Each employee's chance of leaving at this review."""
    worth = wf.capability_belief / np.maximum(org.overall(np.mean, wf.capability_belief), 1e-9)
    pay = relative_to_mean(
        ratings, org.overall(np.mean, ratings), np.maximum(org.overall(np.std, ratings), 1e-9)
    )
    base = logit(np.clip(policy.value("behaviour.quit_base_rate"), 1e-6, 1.0 - 1e-6))
    to_pay = policy.value("behaviour.quit_pay_sensitivity")
    to_stress = policy.value("behaviour.quit_stress_sensitivity")
    return expit(base + to_pay * (worth - pay) + to_stress * wf.stress)


def decide_quits(
    wf: Workforce, org: Organisation, policy: InForce, ratings: Array, *, quit_u: Array
) -> Array:
    """Who leaves at this review: exogenous uniforms against each one's chance."""
    # a newcomer weighs leaving only after a full quarter in the seat
    settled_in = wf.tenure_weeks >= WEEKS_PER_QUARTER
    return settled_in & (quit_u < quit_probability(wf, org, policy, ratings))


def hire(wf: Workforce, policy: InForce, left: Array, newcomers: Workforce) -> None:
    """Newcomers from the labour market take the leavers' seats after a vacancy."""
    if left.any():
        wf.hire(left, newcomers)
        vacancy = np.asarray(policy.value("env.vacancy_weeks"), dtype=float)
        wf.tenure_weeks[:] = np.where(left, -vacancy, wf.tenure_weeks)


def availability(
    tenure_weeks: Array, ramp_weeks: float | Array, start: float | Array, *, weeks: int
) -> Array:
    """Share of the coming ``weeks`` each seat is expected to be productive (its ramp:
    ``env.ramp_weeks`` from ``assumptions.ramp_start``, a number or (n, 1) per seat)."""
    ahead = tenure_weeks[:, None] + np.arange(weeks)[None, :]
    return seat_factor(ahead, ramp_weeks, start).mean(axis=1)
