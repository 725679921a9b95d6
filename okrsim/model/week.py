"""One week's submodels in the order of docs/ODD.md §3, for any :class:`WeekState`.

:func:`until_reports` runs a week from the blockers' appearance to the report
choice each employee then faces, which it returns; :func:`from_reports` runs
the rest from that choice's answer: check-ins and revisions.  The quarter's
start and end, the week's draws and its records are the run's own
(:class:`~okrsim.model.model.OKRModel`).  A state is one organisation (an
``OKRModel``) or a cohort of runs stepped together, their arrays end to end
(:mod:`okrsim.model.ensemble`): every submodel acts on employees, teams and
key results, never on the organisation as a whole.

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

from typing import Protocol

from okrsim.model import (
    blocker_surfacing,
    booking,
    check_in,
    effort_allocation,
    outlook,
    target_setting,
    work,
)
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.policies.choices import ShadingAnswer
from okrsim.policies.curves import Array


class WeekState(Protocol):
    """What a week reads and writes: the organisation(s), the policy, the week's draws."""

    workforce: Workforce
    org: Organisation
    policy: InForce
    public: PublicFigures
    tally: Tally
    draws: dict[str, Array]
    outlook: outlook.Outlook
    per_output: Array
    week_value: Array
    alignment: Array  # each team's alignment this quarter
    manager_view: Array

    @property
    def week(self) -> int: ...  # weeks completed

    @property
    def quarter(self) -> int: ...

    @property
    def week_in_quarter(self) -> int: ...


def until_reports(state: WeekState) -> check_in.Reporting:
    """Steps 3–10 of the week up to the report choice, which it returns."""
    wf, org, policy, tally, draws = (
        state.workforce,
        state.org,
        state.policy,
        state.tally,
        state.draws,
    )
    wiq, public = state.week_in_quarter, state.public
    blocker_surfacing.blockers_appear(wf, policy, draws["onset"], state.week)
    tally.note(tally.blocked_week, wf.blocked, wiq)
    state.outlook = effort_allocation.plan_quarter(wf, policy, wiq)
    state.per_output = effort_allocation.value_per_output(wf, org, policy, state.outlook, public)
    blocker_surfacing.surface_blockers(
        wf, policy, state.per_output, tally, week=state.week, week_in_quarter=wiq
    )
    effort_allocation.allocate_effort(wf, org, policy, state.outlook, state.per_output, public)
    team_alignment = state.alignment[org.team]
    state.week_value = work.work(
        wf,
        org,
        policy,
        draws,
        tally,
        alignment=team_alignment,
        quarter=state.quarter,
        week=state.week,
        week_in_quarter=wiq,
    )
    if wiq == booking.LAST_WEEK:
        lost = booking.book(wf, policy, public, tally, alignment=team_alignment)
        state.week_value = state.week_value - lost
    state.outlook = outlook.attainment_outlook(wf, policy, wiq, worked=True)
    work.update_stress(wf, org, policy, state.outlook, public, week_in_quarter=wiq)
    return check_in.reporting(wf, policy, state.outlook, public, draws, week_in_quarter=wiq)


def from_reports(
    state: WeekState, reporting: check_in.Reporting, answer: ShadingAnswer | None
) -> None:
    """The rest of the week from the report choice's ``answer``: check-ins, revisions."""
    wf, policy, tally, wiq = state.workforce, state.policy, state.tally, state.week_in_quarter
    check_in.check_in(wf, policy, tally, state.draws, reporting, answer, week_in_quarter=wiq)
    if policy.scenario.okr.revision_allowed and wiq == target_setting.REVISION_WEEK:
        asked, agreed = target_setting.revise_targets(wf, policy, manager_view=state.manager_view)
        tally.revision_requests += asked
        tally.revisions += agreed
