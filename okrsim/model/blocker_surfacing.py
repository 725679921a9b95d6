"""Blockers: they appear, and each employee decides whether to raise them.

Blockers strike key results from the environment stream at
``env.blocker_rate`` a week.  Raising one brings the manager's coaching and
colleagues' help (it clears faster) but puts bad news on the record; an
employee weighs the output saved and the judged credit for raising against
the option to keep reporting progress and its own fear of bad news (Tesser &
Rosen 1975's MUM effect), and may wait a week when bad news may pass
(:func:`okrsim.policies.choices.raise_gain`, :func:`~okrsim.policies.choices.raise_now`).

docs/ODD.md §7.4 (blocker surfacing).
"""

from __future__ import annotations

import numpy as np

from okrsim import rows
from okrsim.model import decision_rules
from okrsim.model.in_force import InForce
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies import choices
from okrsim.policies.curves import Array


def blockers_appear(wf: Workforce, policy: InForce, onset_u: Array, week: int) -> None:
    """New blockers strike unblocked key results; their onset week is kept."""
    new = ~wf.blocked & (onset_u < policy.value("env.blocker_rate", per_key_result=True))
    wf.blocked |= new
    wf.raised &= ~new
    wf.onset_week[new] = week


def surface_blockers(
    wf: Workforce,
    policy: InForce,
    per_output: Array,
    tally: Tally,
    *,
    week: int,
    week_in_quarter: int,
) -> None:
    """Each employee weighs raising each hidden blocker (expected-utility choice).

    Under a decision rule other than optimise, a blocker is raised once it has
    been hidden as many weeks as the rule's option says.
    """
    s, krs = policy.scenario, policy.krs
    hidden = wf.blocked & ~wf.raised
    wf.raise_gain[:] = 0.0
    if not hidden.any():
        return
    if decision_rules.by_rule(s):  # the rule's option: weeks a blocker waits
        wait = decision_rules.option(wf, "raise_wait", policy)[:, None]
        _raise(wf, tally, hidden & (week - wf.onset_week >= wait), week, week_in_quarter)
        return
    weeks_left = WEEKS_PER_QUARTER - week_in_quarter
    # each run's numbers as alone (a power of the clearing rate), per employee
    self_weeks = policy.kept(
        f"self-cleared weeks {weeks_left}",
        lambda: policy.per_run(
            ("env.self_resolve_rate",),
            lambda rate: float(choices.expected_blocked_weeks(rate, weeks_left)),
            per_key_result=True,
        ),
    )
    raised_rate = believed_clearing(wf, policy)
    saved_weeks = self_weeks - choices.expected_blocked_weeks(raised_rate, weeks_left)
    weekly_output = (
        wf.capability_belief
        * wf.effort[:, 0]
        * wf.intensity
        * (1.0 - policy.overhead)
        * policy.focus
        / krs
    )[:, None]
    severity = policy.value("env.blocker_severity", per_key_result=True)
    output_saved = saved_weeks * severity * weekly_output
    # the rating mark expected for one more piece of bad news, net of any credit
    credit = -policy.value("behaviour.extrinsic_weight") * wf.bad_news_belief
    gain = choices.raise_gain(
        output_saved,
        per_output,
        judged_credit=credit[:, None],
        inflation_option=wf.report_gain,
        mum_cost=wf.mum_cost[:, None],
    )
    wf.raise_gain[:] = np.where(hidden, gain, 0.0)
    self_rate = policy.value("env.self_resolve_rate", per_key_result=True)
    delay = choices.delay_cost_weeks(self_rate, raised_rate, weeks_left)
    now = hidden & choices.raise_now(
        gain,
        cost=wf.report_gain + wf.mum_cost[:, None] - credit[:, None],
        delay_loss=delay * severity * weekly_output * per_output,
        self_rate=self_rate,
    )
    _raise(wf, tally, now, week, week_in_quarter)


def believed_clearing(wf: Workforce, policy: InForce) -> Array:
    """A raised blocker's weekly clearing chance as each employee expects it, (n, 1).

    ``env.raised_resolve_rate`` plus the manager's coaching, less the time
    judging takes from it (:func:`~okrsim.policies.choices.coaching_left`) at the
    judged share the employee believes, ``1 − c̃_i``; at most 1.  The true
    rate, at the judged share in force, is what clears blockers
    (:func:`okrsim.model.work.work`).
    """
    coaching = choices.coaching_left(
        policy.value("judgment.coach_help", per_key_result=True),
        policy.value("judgment.review_hours", per_key_result=True),
        policy.believed(wf.coupling_belief).judged,
        policy.scenario.org.team_size,
    )
    raised = policy.value("env.raised_resolve_rate", per_key_result=True)
    return np.minimum(1.0, raised + coaching)


def _raise(wf: Workforce, tally: Tally, now: Array, week: int, week_in_quarter: int) -> None:
    """The blockers ``now`` are raised: on the record, and tallied with their latency."""
    if now.any():
        wf.raised |= now
        tally.add_latencies(week - wf.onset_week, now)
        tally.raises += rows.total(now)
        tally.raise_week[now & (tally.raise_week < 0)] = week_in_quarter
