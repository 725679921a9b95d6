"""Check-in: each employee reports its progress; managers audit some reports.

An employee sees its own progress through a lasting bias of its own and this
week's misjudgement, so even an honest report can be off either way; a
deliberate shading comes on top, chosen by weighing the formula's and
judgment's reward for reported attainment against the honesty cost, the
chance of an audit, under a ratchet next quarter's target, and the goal as
a reference point for the attainment the report shows
(:func:`okrsim.policies.choices.choose_shading`); the shading is a habit,
moving part of the way from last week's.  A checked report that
overstates the truth is corrected and marked.  Each report's status against
pace (green, amber, red) is recorded beside the true status.

docs/ODD.md §7.7 (check-in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from okrsim import metrics, portable, rows
from okrsim.model import decision_rules
from okrsim.model.in_force import InForce
from okrsim.model.organisation import PublicFigures, by_key_result
from okrsim.model.outlook import Outlook, ratchet_claw_back
from okrsim.model.quarter_review import own_report_share
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies import choices
from okrsim.policies.curves import Array

#: Misstatement (share of true progress) beyond which a check-in counts as biased,
#: the threshold behind Snow, Keil & Wallace (2007)'s "biased" reports (assumption: 10 %).
BIAS_TOLERANCE = 0.1
#: First week (0-based) of a quarter's last four, where late-quarter behaviour is read.
LATE_WEEK = 9
#: The report shadings' extent (:func:`~okrsim.policies.choices.shading_grid`).
SHADING_EXTENT = ("assumptions.max_shading_down", "assumptions.max_shading_up")
#: The mid-quarter check-in (0-based: week 7), where falling behind is read for
#: ``effort_cut_behind``; the weeks up to it and after it are compared.
MIDPOINT_WEEK = 6


def perceived_progress(
    wf: Workforce, policy: InForce, misperception: Array, week_in_quarter: int
) -> Array:
    """Progress as the employee sees it.

    The misjudgement (log-sd ``behaviour.progress_noise_sd`` at the start)
    shrinks as the work nears its end and becomes visible,
    ``√(weeks left / 13)`` (assumption).
    """
    visible = np.sqrt((WEEKS_PER_QUARTER - week_in_quarter) / WEEKS_PER_QUARTER)
    noise = (
        policy.value("behaviour.progress_noise_sd", per_key_result=True) * visible * misperception
    )
    return wf.progress * wf.perception[:, None] * portable.exp(noise)


def audit_outlook(
    pace_seen: Array, noise_sd: float | Array, lasting_sd: float | Array, week_in_quarter: int
) -> tuple[float, Array]:
    """The pace and the misjudgement at which the employee expects audits to read its report.

    The audits left this quarter (this week's, which checks the report about
    to be made, and each later week's) are weighed at the share of the target
    due in the middle of them, ``catch_pace``, and at how far one's perceived
    progress may then be from the books, in shares of the target,
    ``catch_sd``: progress seen at that pace (``pace_seen`` of it, as now)
    misjudged as :func:`perceived_progress` misjudges it then, log-sd
    ``σ_p·√(weeks left then / W)``, and by one's lasting bias, whose spread
    ``lasting_sd`` one knows but not its value (linearised).  Returns
    ``(catch_pace, catch_sd)``.
    """
    catch_pace = (week_in_quarter + 1 + WEEKS_PER_QUARTER) / (2 * WEEKS_PER_QUARTER)
    weekly = noise_sd * noise_sd * (1.0 + 1.0 / WEEKS_PER_QUARTER - catch_pace)
    return catch_pace, pace_seen * catch_pace * np.sqrt(weekly + lasting_sd * lasting_sd)


@dataclass(frozen=True)
class Reporting:
    """The week's check-in up to the choice of shading.

    ``question`` is the choice each employee weighs (None when there is none
    to make: no OKRs, or a decision rule's shading for the quarter); the
    answer is :meth:`~okrsim.policies.choices.ShadingQuestion.answer`'s, for
    one organisation or, in an ensemble, for several at once.
    """

    perceived: Array
    target: Array
    pace_share: float
    question: choices.ShadingQuestion | None


def reporting(
    wf: Workforce,
    policy: InForce,
    outlook: Outlook,
    public: PublicFigures,
    draws: dict[str, Array],
    *,
    week_in_quarter: int,
) -> Reporting:
    """Progress as each employee sees it, and the report choice it faces.

    ``draws`` holds the week's misjudgements of progress (``misperception``).
    """
    s, krs = policy.scenario, policy.krs
    perceived = perceived_progress(wf, policy, draws["misperception"], week_in_quarter)
    target = wf.target * wf.par
    pace_share = (week_in_quarter + 1) / WEEKS_PER_QUARTER
    if not s.okr.enabled or decision_rules.by_rule(s):
        return Reporting(perceived, target, pace_share, None)
    p = policy.believed(wf.coupling_belief)
    mu, sd = outlook
    pace_share_seen = perceived / (target * pace_share)
    lasting_sd = policy.value("assumptions.perception_share", per_key_result=True) * policy.value(
        "behaviour.self_knowledge_sd", per_key_result=True
    )
    catch_pace, catch_sd = audit_outlook(
        pace_share_seen,
        policy.value("behaviour.progress_noise_sd", per_key_result=True),
        lasting_sd,
        week_in_quarter,
    )
    formula_share = p.coupling * p.own_share / krs
    # judgment that reads reported results credits a unit of reported
    # attainment on a key result as that much of its target's value, less the
    # part its own report adds to the team mean the measure takes off it
    judged_per_attainment = (
        p.judged
        * p.contribution_weight
        * by_key_result(public.reported_weight)
        * (s.env.alignment * own_report_share(s.org.team_size))
        * target
        / by_key_result(public.value_scale)
    )
    ratchet = p.coupling * p.own_share * ratchet_claw_back(wf, policy) / krs
    # A red status is bad news: the shading below which this week's report
    # shows red, and what the employee believes red costs in judgment.
    red_below = s.okr.red_pace - pace_share_seen
    # (a key result red all quarter is one piece of bad news)
    red_penalty = wf.bad_news_belief[:, None] / WEEKS_PER_QUARTER
    stakes = choices.ReportStakes(
        formula_share=formula_share,
        judged_per_attainment=judged_per_attainment,
        audit_rate=wf.audit_belief[:, None],
        audits_left=WEEKS_PER_QUARTER - week_in_quarter,
        ratchet_per_attainment=ratchet,
        extrinsic=policy.value("behaviour.extrinsic_weight", per_key_result=True),
        honesty_cost=wf.honesty[:, None],
        red_below=red_below,
        red_penalty=red_penalty,
        goal_weight=goal_weight(wf, policy),
        loss_aversion=policy.value("behaviour.loss_aversion", per_key_result=True),
        goal_reach=policy.value("assumptions.goal_reach", per_key_result=True),
        audit_tolerance=policy.value("judgment.audit_tolerance", per_key_result=True),
        catch_pace=catch_pace,
        catch_sd=catch_sd,
    )
    options = choices.shading_grid(s.assumptions.max_shading_down, s.assumptions.max_shading_up)
    by_run = policy.each_run(SHADING_EXTENT, choices.shading_grid) or []
    question = choices.ShadingQuestion(
        mu, sd, payoff=p, stakes=stakes, options=options, options_by_run=tuple(by_run)
    )
    return Reporting(perceived, target, pace_share, question)


def check_in(
    wf: Workforce,
    policy: InForce,
    tally: Tally,
    draws: dict[str, Array],
    asked: Reporting,
    answer: choices.ShadingAnswer | None,
    *,
    week_in_quarter: int,
) -> None:
    """The weekly check-in: reports, audits, statuses and their tallies.

    ``asked`` is the week's :func:`reporting` and ``answer`` its question's
    answer, ``(shading, gain)`` (None when there was no question).  Under a
    decision rule other than optimise, the shading is the rule's option for
    the quarter (:mod:`okrsim.model.decision_rules`).  ``draws`` holds the
    audits' uniforms (``audit``).
    """
    s, krs = policy.scenario, policy.krs
    audit_u = draws["audit"]
    perceived, target, pace_share = asked.perceived, asked.target, asked.pace_share
    # key-result effort (share × intensity) before and after the mid-quarter check-in
    drive = wf.effort[:, 0] * wf.intensity
    if week_in_quarter <= MIDPOINT_WEEK:
        tally.kr_drive_first += drive
    else:
        tally.kr_drive_rest += drive
    if not s.okr.enabled:
        wf.reported[:] = perceived
        wf.shading[:] = 0.0
        wf.report_gain[:] = 0.0
        wf.reported_status[:] = metrics.NO_TARGET
        wf.true_status[:] = metrics.NO_TARGET
        tally.reports += krs
        form_habits(wf)
        return
    if answer is None:  # the rule's shading for the quarter, its own habit
        best, gain = decision_rules.option(wf, "shading", policy)[:, None], np.zeros((wf.n, 1))
        adjust = np.ones((wf.n, 1))
    else:
        best, gain = answer
        adjust = wf.weekly_adjustment(policy.habit_adjustment(1.0))[:, None]
    # Habit: last week's shading moves part of the way to this week's best; a
    # key result on the record is reported truthfully and its habit restarts at 0.
    on_record = wf.raised | wf.exposed
    wf.shading[:] = np.where(on_record, 0.0, choices.habitual(wf.shading, best, adjust))
    wf.report_gain[:] = np.where(on_record, 0.0, gain)
    slant = wf.shading * target * pace_share
    wf.reported[:] = np.where(on_record, wf.progress, np.maximum(perceived + slant, 0.0))
    # Audits: a checked report that overstates the books (what is booked, the
    # organisation's record) is corrected and marked.
    audited = audit_u < policy.value("judgment.audit_probability", per_key_result=True)
    tally.audits += rows.total(audited)
    tolerated = policy.value("judgment.audit_tolerance", per_key_result=True) * target
    caught = audited & (wf.reported - wf.progress > tolerated)
    if caught.any():
        excess = np.where(caught, (wf.reported - wf.progress) / target, 0.0)
        tally.caught += rows.total(excess)
        wf.exposed |= caught
        wf.reported[:] = np.where(caught, wf.progress, wf.reported)
    # Statuses against pace: reported vs true, for watermelons and bias.
    pace = target * (week_in_quarter + 1) / WEEKS_PER_QUARTER
    true_ratio = wf.produced / pace
    rep_ratio = wf.reported / pace
    wf.reported_status[:] = metrics.status_codes(rep_ratio, red=s.okr.red_pace)
    wf.true_status[:] = metrics.status_codes(true_ratio, red=s.okr.red_pace)
    tally.red_reports += rows.total(wf.reported_status == metrics.OFF_TRACK)
    if week_in_quarter == MIDPOINT_WEEK:
        tally.behind_mid[:] = rows.any_(metrics.behind_pace(wf.true_status))
    if week_in_quarter >= LATE_WEEK:
        # effort once a target is met (the ratchet's restraint), and how hidden
        # blockers look in reports against the truth (the 90 % syndrome)
        ahead = rows.all_(wf.reported >= target)
        tally.late_ahead_kr += np.where(ahead, wf.effort[:, 0], 0.0)
        tally.late_ahead_weeks += ahead
        hidden = wf.blocked & ~wf.raised
        tally.add_total("hidden_reported", wf.reported / target, hidden)
        tally.add_total("hidden_true", wf.produced / target, hidden)
        tally.add_total("hidden_seen", hidden)
    bias = (wf.reported - wf.produced) / target
    tally.bias += rows.mean(bias)
    biased = np.abs(wf.reported - wf.produced) > BIAS_TOLERANCE * np.maximum(wf.produced, 1e-9)
    # Snow & Keil (2002) separate *error* (misjudging one's status) from *bias*
    # (slanting the status one perceives): a slant is a report that departs
    # from the employee's own perception by more than the same tolerance.
    slanted = np.abs(slant) > BIAS_TOLERANCE * np.maximum(perceived, 1e-9)
    tally.slanted_reports += rows.total(slanted)
    tally.biased_reports += rows.total(biased)
    tally.optimistic_reports += rows.total(biased & (wf.reported > wf.produced))
    tally.reports += krs
    form_habits(wf)


def goal_weight(wf: Workforce, policy: InForce) -> Array:
    """Weight on each key result's goal as a reference point for the attainment reported.

    The same goal as in effort (:func:`okrsim.model.effort_allocation.value_per_output`'s
    pull, ``γ·m_i·p/(K·E)`` per unit of output) over a report: a unit of
    attainment is ``T̃`` units of output, so ``γ·m_i·p·T̃/(K·E)``.  It is
    self-image — it does not scale with how much judgment reads reports
    (Schweitzer, Ordóñez & Douma 2004: goals without pay also raised
    overstatement).
    """
    pull = policy.value("behaviour.goal_pull", per_key_result=True)
    target = wf.target * wf.par
    return pull * wf.intrinsic[:, None] * wf.par * target / (policy.krs * wf.expected)


def form_habits(wf: Workforce) -> None:
    """The week's last choice is made: from now on, those present have habits."""
    wf.habitual |= wf.tenure_weeks >= 1
