"""Work: the week's ground truth, and the stress it leaves.

Hours worked are the week's time × intensity; output on key results is
capability × luck × focus × (1 − errors under stress) × a newcomer's ramp,
stalled by blockers and by upstream colleagues' blockers and lifted by help
received; non-OKR work meets a backlog whose neglect causes incidents
(Holmström & Milgrom 1991's unmeasured task); help given has a saturating
value; exploration brings breakthroughs; time spent making work visible
creates nothing; blockers clear (raised ones faster).  The value created —
goal-directed work at its team's alignment (:mod:`okrsim.model.alignment`) —
and each employee's contribution to it are logged beside what is reported;
the organisation inside the model never sees them.

Stress is what the week leaves: strain from working above a normal week,
the perceived uncertainty of one's rating (pay), and status overhead.

docs/ODD.md §7.6 (work: the ground truth).
"""

from __future__ import annotations

import numpy as np

from okrsim import portable, rows
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.outlook import Outlook
from okrsim.model.tally import LATE_START, Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array, Curve, quantile_nodes

#: Standard-normal quantile nodes for the spread of a score.
NODES = quantile_nodes(12)


def seat_factor(tenure_weeks: Array, ramp_weeks: float | Array, start: float | Array) -> Array:
    """Productivity of a seat: 0 while vacant, then from ``start`` to full over the ramp.

    ``start`` is ``assumptions.ramp_start`` (a newcomer's first week).
    """
    ramp = np.minimum(1.0, start + (1.0 - start) * tenure_weeks / ramp_weeks)
    return np.where(tenure_weeks < 0, 0.0, ramp)


def work(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    draws: dict[str, Array],
    tally: Tally,
    *,
    alignment: Array,
    quarter: int,
    week: int,
    week_in_quarter: int,
) -> Array:
    """Do the week's work; returns the value each employee's work created this week.

    ``alignment`` is the strategic value of a unit of each employee's
    goal-directed work (its team's).
    """
    env, krs = policy.scenario.env, policy.krs
    # status work, target negotiation and any revision asked for last week
    overhead = policy.overhead + policy.negotiation_hours(week_in_quarter) + wf.revision_time
    wf.revision_time[:] = 0.0
    present = (wf.tenure_weeks >= 0).astype(float)
    hours = wf.intensity * present
    tally.overhead += overhead
    tally.effort += wf.effort
    tally.hours += hours
    tally.kr_time += wf.effort[:, 0] * hours
    k, bau, help_, explore, visible = (wf.effort * ((1.0 - overhead) * hours)[:, None]).T
    tally.visible_time += visible
    tally.explore_time += explore
    errors = 1.0 - policy.value("env.stress_error") * wf.stress
    ramp = seat_factor(
        wf.tenure_weeks, policy.value("env.ramp_weeks"), policy.value("assumptions.ramp_start")
    )
    productivity = wf.capability * draws["luck"] * policy.focus * errors * ramp
    if env.shock_quarter == quarter:
        productivity = productivity * (1.0 - env.shock_size)
    # A KR that needs an upstream team's result stalls while that team is behind.
    dep_blocked = org.dependency_blocked(wf.blocked)
    tally.dependency_weeks += rows.total(dep_blocked)
    severity = policy.value("env.blocker_severity", per_key_result=True)
    stall = 1.0 - severity * np.maximum(wf.blocked, dep_blocked)
    # Help: each teammate in a seat receives an equal part of the team's help (a
    # vacant seat, which produces nothing, receives none); its value saturates
    # (help_value·sat·(1 − e^{−r/sat})).
    help_out = productivity * help_
    others = org.team_mean(present) * org.team_size - present
    given = org.team_mean(help_out) * org.team_size - help_out
    received = present * given / np.maximum(others, 1.0)
    saturation = policy.value("env.help_saturation")
    boost = policy.value("env.help_value") * saturation * -portable.expm1(-received / saturation)
    own_kr = productivity * k
    tally.kr_own += own_kr
    tally.kr_effort += k * policy.focus * errors * ramp
    kr_out = (own_kr / krs)[:, None] * stall
    tally.kr_stalled += rows.total(kr_out)
    kr_out = kr_out + (boost / krs)[:, None]
    wf.progress += kr_out
    wf.produced += kr_out
    tally.kr_output_by_third[:, :, tally.third(week_in_quarter)] += kr_out
    # Non-OKR work meets the most urgent needs first; the rest becomes backlog,
    # and backlog causes incidents (Holmström & Milgrom's unmeasured task).
    need = policy.value("env.bau_demand") + wf.backlog
    done = productivity * bau
    wf.bau_done[:] = done
    met = need * -portable.expm1(-done / np.maximum(need, 1e-9))
    wf.backlog[:] = (need - met) * (1.0 - policy.value("env.backlog_decay"))
    incidents = policy.value("env.incident_cost") * wf.backlog
    # Exploration: an exogenous uniform against a choice-driven hazard.
    hazard = policy.value("env.breakthrough_rate") * -portable.expm1(
        -explore / policy.value("env.exploration_scale")
    )
    breakthrough = draws["breakthrough"] < hazard
    # Blockers clear: raised ones faster (the manager's coaching, colleagues' help).
    rate = np.where(
        wf.raised,
        policy.value("env.raised_resolve_rate", per_key_result=True)
        + policy.coaching(per_key_result=True)
        + np.minimum(received, 1.0)[:, None],
        policy.value("env.self_resolve_rate", per_key_result=True),
    )
    cleared = wf.blocked & (draws["resolve"] < rate)
    never_raised = cleared & ~wf.raised
    tally.add_latencies(week + 1 - wf.onset_week, never_raised)
    tally.add_total("hidden_weeks", wf.blocked & ~wf.raised)
    tally.add_total("blocked_weeks", wf.blocked)
    wf.blocked &= ~cleared
    wf.raised &= wf.blocked
    # Value created this week, and each employee's own contribution to it
    # (help is credited to the helpers, pro rata within the team).  Nobody in
    # the organisation sees a team's priority error: what a manager can see is
    # the contribution as if the work were aimed right (``env.alignment``).
    kr_total = rows.total(kr_out)
    goal_work = kr_total + policy.value("env.breakthrough_value") * breakthrough
    bau_value = policy.value("env.bau_value")
    value = alignment * goal_work + bau_value * met - incidents
    # A breakthrough is luck; the contribution is the exploration's expected
    # value (its promise), which judgment credits only as far as it tolerates
    # failure: φ·promise + (1 − φ)·outcome.
    help_credit = org.share_back(help_out, boost) - boost
    promise = policy.value("env.breakthrough_value") * (hazard - breakthrough)
    contribution = value + alignment * (help_credit + promise)
    visible_value = env.alignment * goal_work + bau_value * met - incidents
    tally.kr_output += kr_total
    if week_in_quarter >= LATE_START:
        tally.kr_output_late += kr_total
    tally.aligned_output += alignment * kr_total
    tally.value += value
    tally.contribution += contribution
    # judgment remembers the quarter's last weeks best (recency)
    later = 2.0 * week_in_quarter / (WEEKS_PER_QUARTER - 1) - 1.0
    recency = 1.0 + policy.value("judgment.recency") * later
    seen_credit = help_credit + policy.payoff.each("failure_tolerance") * promise
    tally.seen_contribution += recency * (visible_value + env.alignment * seen_credit)
    tally.own_contribution += visible_value + env.alignment * (help_credit + promise)
    tally.weeks_present += present
    tally.incidents += incidents
    tally.breakthroughs += breakthrough
    tally.help_given += help_out
    tally.help_received += boost
    wf.tenure_weeks += 1.0
    return value


def update_stress(
    wf: Workforce,
    org: Organisation,
    policy: InForce,
    outlook: Outlook,
    public: PublicFigures,
    *,
    week_in_quarter: int,
) -> None:
    """Stress: strain, pay uncertainty and overhead, averaged over about a quarter.

    ``pressure = (h − 1)⁺/(h_max − 1) + (1 + ρ)/2·sd(rating) + overhead``:
    strain from working above a normal week (up to the most one can
    sustain), the uncertainty of one's rating as the employee sees it — the
    formula's share of the spread of its score (its outlook; under team
    evaluation the team's mean outlook, whose spread is one's own over √N, as
    :func:`~okrsim.model.effort_allocation.value_per_output` weighs it) and judgment's
    share of the spread judged ratings showed at the last review, less by
    √n when a rating settles on the mean of n quarters — weighed by risk
    aversion, and the week's status overhead (the form and weights are
    assumptions), averaged with the weekly carry-over
    ``assumptions.stress_memory``.
    """
    s, p = policy.scenario, policy.payoff
    coupling = wf.coupling_belief * float(s.okr.enabled)  # the share one believes in
    overhead = policy.overhead + policy.negotiation_hours(week_in_quarter)
    most = policy.value("behaviour.max_intensity")
    # a vacant seat's newcomer-to-be works no hours: no strain, whatever it chose
    # (the week's work has counted the week: a seat filled this week is ≥ 1)
    hours = np.where(wf.tenure_weeks >= 1, wf.intensity, 1.0)
    strain = np.maximum(hours - 1.0, 0.0) / np.maximum(most - 1.0, 1e-9)
    score_sd = np.zeros(wf.n)
    if s.okr.enabled and np.any(coupling):  # a speed short-cut
        mu, sd = outlook
        if p.team_weight:  # everyone is scored on the team's mean attainment
            mu = org.team_mean(rows.mean(mu))[:, None]
            sd = (rows.mean(sd) / np.sqrt(org.team_size))[:, None]
        score_sd = score_spread(p.curve.flat(), mu, sd)
    # a rating settled on the mean of n quarters carries 1/√n of a quarter's spread
    rating_sd = np.sqrt(
        (coupling * score_sd) ** 2 + ((1.0 - coupling) * public.judged_sd) ** 2
    ) / np.sqrt(p.settlement_quarters)
    pressure = strain + (1.0 + wf.risk_aversion) / 2.0 * rating_sd + overhead
    memory = policy.value("assumptions.stress_memory")
    wf.stress[:] = memory * wf.stress + (1.0 - memory) * np.clip(pressure, 0.0, 1.0)


def score_spread(curve: Curve, mu: Array, sd: Array) -> Array:
    """Sd of an employee's mean score over its key results, its outlook as perceived.

    The scores are laid out (key results, nodes, employees), so that every
    array operation runs along the employees: the mean over key results is k
    contiguous slabs added in order (the sums numpy's ``mean(axis=…)`` makes
    over that axis), and the sd is taken over each employee's nodes as before.
    A curve whose numbers are each employee's run's comes :meth:`~Curve.flat`,
    along the employees.
    """
    attainment = np.ascontiguousarray(sd.T)[:, None, :] * NODES[:, None]
    attainment += np.ascontiguousarray(mu.T)[:, None, :]
    score = curve(attainment)
    mean = score[0].copy()
    for kr in score[1:]:
        mean += kr
    mean /= len(score)
    return np.ascontiguousarray(mean.T).std(axis=-1)
