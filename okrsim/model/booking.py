"""Booking across the quarter's end: hold a finished result back, or pull the next one in.

In the quarter's last week, once its work is done and before the check-in,
each employee may book part of a key result's output in the next quarter
(hold back a nearly finished result: sign it off after the review) or book
next quarter's output now (pull in: close it early).  Either way a share
``env.booking_loss`` of what is moved is lost (a result that waits loses
value; one rushed loses quality — assumption), and at most
``env.booking_bound`` of the key result's expected quarterly output can move
(assumption), and no more than is booked so far.  The employee weighs this
quarter's believed score against next quarter's and judgment's reading of
reports (:func:`okrsim.policies.choices.choose_booking`).

The output is in the truth when it was produced (:mod:`okrsim.model.work`);
the booked progress is what the organisation measures.  What is moved is
carried on the workforce and starts the next quarter's progress; it stays
with the seat, so a newcomer inherits it (the key result is the seat's).
The value lost is taken from the quarter's true value when it is moved.

docs/ODD.md §7.14 (booking).
"""

from __future__ import annotations

import numpy as np

from okrsim.model import decision_rules
from okrsim.model.in_force import InForce
from okrsim.model.organisation import PublicFigures, by_key_result
from okrsim.model.outlook import attainment_outlook, policy_sd, ratchet_claw_back
from okrsim.model.quarter_review import own_report_share
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies import choices
from okrsim.policies.curves import Array

#: The week of the quarter (0-based) whose check-in closes the quarter.
LAST_WEEK = WEEKS_PER_QUARTER - 1


def open_quarter(wf: Workforce) -> None:
    """A quarter's progress starts at what was booked into it across its start.

    Nothing of it was produced in the quarter: the truth starts at 0.
    """
    wf.progress[:] = wf.carry
    wf.produced[:] = 0.0
    wf.carry[:] = 0.0


def stakes(wf: Workforce, policy: InForce, public: PublicFigures) -> choices.BookingStakes:
    """What rides on each key result's booking, per unit of this quarter's attainment.

    The formula's and judgment's shares of the rating are as the employee
    believes them; judgment's credit for reported output is as it was seen to
    work at the last review; a ratchet as believed; next quarter's target is
    taken to be this quarter's (assumption).  The value a moved unit loses
    costs the employee only its intrinsic value: the manager saw the output
    when it was produced, whichever quarter books it, so judgment's credit
    for contribution seen does not move with the booking.
    """
    s, p, krs = policy.scenario, policy.believed(wf.coupling_belief), policy.krs
    target = wf.target * wf.par
    align = s.env.alignment
    # value units of one unit of attainment
    per_value = align * target / by_key_result(public.value_scale)
    reported = (
        p.judged
        * p.contribution_weight
        * by_key_result(public.reported_weight)
        * own_report_share(s.org.team_size)  # one's own report is in the team mean too
    )
    x = policy.value("behaviour.extrinsic_weight", per_key_result=True)
    return choices.BookingStakes(
        formula_share=p.coupling * p.own_share / krs,
        claw_back=ratchet_claw_back(wf, policy),
        reported_credit=reported * per_value,
        shortfall_weight=p.judged
        * (p.ambition_weight * p.judged_reach)
        * (1.0 - p.failure_tolerance)
        / krs,
        value_credit=wf.intrinsic[:, None] * per_value,
        loss=policy.value("env.booking_loss", per_key_result=True),
        extrinsic=x,
    )


def book(
    wf: Workforce, policy: InForce, public: PublicFigures, tally: Tally, *, alignment: Array
) -> Array:
    """Each employee books its key results' output in this quarter or the next.

    ``alignment`` is the strategic value of a unit of each employee's
    goal-directed work (its team's), for the value a move loses.  Returns
    the value each employee's moves lost (taken from the week's value).
    Under a decision rule other than optimise, the move is the rule's option,
    a share of the bound (:mod:`okrsim.model.decision_rules`).
    """
    s = policy.scenario
    if not s.okr.enabled:
        return np.zeros(wf.n)  # no key results, nothing booked against them
    target = wf.target * wf.par
    now = attainment_outlook(wf, policy, LAST_WEEK, worked=True)
    # next quarter as this one looked at its start: expected output over target
    mu_next = wf.expected / target
    later = (mu_next, policy_sd(policy, WEEKS_PER_QUARTER, per_key_result=True) * mu_next)
    booked = np.maximum(wf.progress, 0.0) / target
    most = policy.value("env.booking_bound", per_key_result=True)
    bound = np.minimum(most * wf.expected / target, booked)
    if decision_rules.by_rule(s):  # the rule's option: a share of the bound, either way
        move = decision_rules.option(wf, "booking", policy)[:, None] * bound
    else:
        move = choices.choose_booking(
            bound, now, later, curve=policy.payoff.curve, stakes=stakes(wf, policy, public)
        )
    output = move * target
    moved = np.abs(output)
    wf.progress -= output
    wf.carry[:] = output - policy.value("env.booking_loss", per_key_result=True) * moved
    tally.booked_elsewhere += moved.sum(axis=1)
    lost = alignment * policy.value("env.booking_loss") * moved.sum(axis=1)
    tally.value -= lost
    tally.contribution -= lost
    return lost
