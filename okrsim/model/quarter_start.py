"""A quarter's start in the order of docs/ODD.md §3, for any :class:`QuarterStartState`.

The run reads the policy in force and draws the quarter's random numbers
from its own streams (:class:`QuarterStartDraws`); :func:`open_quarter`
then states the policy, opens the books, drifts the priorities, sets the
rules' options, the expectations, the manager's estimates and the targets.
A state is one organisation (an ``OKRModel``) or a cohort of runs stepped
together, their arrays end to end (:mod:`okrsim.model.ensemble`): every step
acts on employees and teams, never on the organisation as a whole.

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

import numpy as np

from okrsim.model import (
    alignment,
    booking,
    decision_rules,
    policy_beliefs,
    target_setting,
    turnover,
)
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array


class QuarterStartDraws(NamedTuple):
    """A quarter's start's random numbers, in fixed shapes whatever anyone chooses."""

    drift: Array  # (teams,) standard normals: the priorities' drift (environment)
    rules: decision_rules.RuleDraws  # the decision rules' draws (rules)
    estimate_noise: Array  # (n,) the manager's estimate's log-noise (audit)

    @classmethod
    def draw(
        cls, streams: Mapping[str, np.random.Generator], policy: InForce, org: Organisation
    ) -> QuarterStartDraws:
        """The draws from a run's named streams, each stream in the order it always had."""
        return cls(
            drift=streams["environment"].standard_normal(org.n_teams),
            rules=decision_rules.draw(streams["rules"], org.n, org.team_size),
            estimate_noise=streams["audit"].normal(
                0.0, target_setting.estimate_noise_sd(policy), org.n
            ),
        )


class QuarterStartState(Protocol):
    """What a quarter's start reads and writes."""

    workforce: Workforce
    org: Organisation
    policy: InForce
    statement: policy_beliefs.Statement | None
    tally: Tally
    priority_error: Array  # each team's, per team
    alignment: Array  # each team's alignment this quarter
    rule_draws: decision_rules.RuleDraws
    manager_view: Array
    last_reported: Array | None


def open_quarter(state: QuarterStartState, draws: QuarterStartDraws) -> None:
    """Step 1 of the quarter's first week, after the policy in force is read."""
    wf, policy = state.workforce, state.policy
    s = policy.scenario
    stated = policy_beliefs.Statement.in_force(policy)
    state.statement = policy_beliefs.announce(wf, stated, state.statement)
    booking.open_quarter(wf)
    wf.reported[:] = 0.0
    wf.exposed[:] = False
    wf.raised[:] = wf.raised & wf.blocked  # raised blockers stay on the record
    state.tally = Tally.start(wf.blocked, wf.raised)
    state.priority_error = alignment.drift(state.priority_error, policy, draws.drift)
    state.alignment = alignment.team_alignment(state.priority_error, s)
    wf.availability[:] = turnover.availability(
        wf.tenure_weeks,
        policy.value("env.ramp_weeks", per_key_result=True),
        policy.value("assumptions.ramp_start", per_key_result=True),
        weeks=WEEKS_PER_QUARTER,
    )
    state.rule_draws = draws.rules
    decision_rules.choose(wf, policy, draws.rules)
    target_setting.quarter_expectations(wf, policy, state.org.aspirational)
    state.manager_view = target_setting.manager_estimate(wf, policy, draws.estimate_noise)
    if s.okr.enabled:
        target_setting.set_targets(
            wf, policy, manager_view=state.manager_view, last_reported=state.last_reported
        )
    else:
        for unset in (wf.target, wf.target_set, wf.offer):
            unset[:] = np.nan
