"""Alignment: each team's estimate of what matters drifts, and shared objectives pull it back.

Every team aims its goal-directed work at its own estimate of the strategy.
The estimate's error ``e`` drifts each quarter and part of it is corrected by
what the team can see of the strategy:

``e ← (1 − v)·e + N(0, d)``, ``v = strategy_visibility + okr_visibility·[OKRs run]``

with ``d`` = ``env.priority_drift``.  Shared OKRs make priorities visible
(the practitioner claim that without them work is "motion without outcomes";
Doerr 2018); how much value is lost without them is an outcome of the drift
and the two visibilities, all assumptions.  The true value of a unit of
goal-directed work is ``alignment·exp(−e²/2)``.  Employees do not see their
team's error: they value their work as if it were aimed right.

docs/ODD.md §7.2 (alignment).
"""

from __future__ import annotations

import numpy as np

from okrsim import portable
from okrsim.model.each_run import DRIFT_KEYS
from okrsim.model.in_force import InForce
from okrsim.params import Scenario
from okrsim.policies.curves import Array


def initial_error(rng: np.random.Generator, scenario: Scenario, n_teams: int) -> Array:
    """Each team's priority error at the start: one quarter's drift."""
    return rng.normal(0.0, 1.0, n_teams) * scenario.env.priority_drift


def drift(error: Array, policy: InForce, shock: Array) -> Array:
    """Next quarter's priority errors, given this quarter's standard-normal draws
    (in a cohort, each team at its own run's numbers)."""
    okrs = float(policy.scenario.okr.enabled)

    def kept(strategy: float, okr: float) -> float:
        return 1.0 - min(strategy + okr * okrs, 1.0)

    visibility, size = DRIFT_KEYS[:2], DRIFT_KEYS[2:]
    teams = len(error)
    return (
        policy.per_run(visibility, kept, along=teams) * error
        + policy.per_run(size, float, along=teams) * shock
    )


def team_alignment(error: Array, scenario: Scenario) -> Array:
    """Strategic value per unit of each team's goal-directed work."""
    return scenario.env.alignment * portable.exp(-0.5 * error**2)
