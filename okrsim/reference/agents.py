"""Employees and managers of the reference model, one Mesa agent each.

Every ``Employee`` holds its own traits, beliefs, habits and key results and
makes its choices in small verb methods — ``set_target``, ``plan``,
``surface``, ``allocate``, ``work``, ``book``, ``report``, ``ask_revision``,
``learn`` — that the model calls through
``AgentSet.do`` in the order of docs/ODD.md §3.  Each method is the ODD's
rule for one person, written with scalars; the section it follows is named
in its docstring.  A ``Manager`` sets its team's targets, shares help,
audits reports and judges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa

from okrsim.params import LEAST_EXPECTED
from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.reference import payoffs as pay
from okrsim.reference.evidence import Evidence

if TYPE_CHECKING:
    from okrsim.reference.model import ReferenceModel
    from okrsim.reference.terms import Terms

#: The five activities a week is split between (ODD §7.5).
KR, BAU, HELP, EXPLORE, VISIBLE = range(5)


@dataclass
class Tally:
    """What one employee did and met this quarter (ODD §7.12)."""

    hours: float = 0.0
    kr_time: float = 0.0
    effort: list[float] = field(default_factory=lambda: [0.0] * 5)
    visible_time: float = 0.0
    explore_time: float = 0.0
    kr_own: float = 0.0
    kr_stalled: float = 0.0
    kr_effort: float = 0.0
    value: float = 0.0
    contribution: float = 0.0
    seen_contribution: float = 0.0
    weeks_present: float = 0.0
    help_given: float = 0.0
    help_received: float = 0.0
    raises: int = 0
    revision_requests: int = 0
    revisions: int = 0
    red_reports: int = 0
    audits: int = 0
    reports: int = 0
    caught: float = 0.0
    bias: float = 0.0
    latencies: list[float] = field(default_factory=list)


class Employee(mesa.Agent):
    """One person in one seat: traits drawn once, beliefs learned, choices made each week."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, seat: int, team: int, traits: dict[str, float]):
        super().__init__(model)
        self.seat, self.team = seat, team
        k = model.terms.krs
        # the seat's key results (ODD §2.2), kept when its holder changes
        self.target = [1.0] * k  # T (nominal); T̃ = par·T
        self.par = [1.0] * k
        self.expected = [1.0] * k
        self.offer = [1.0] * k
        self.ask = [1.0] * k
        self.target_set = [1.0] * k
        self.progress = [0.0] * k  # booked
        self.produced = [0.0] * k  # the truth
        self.reported = [0.0] * k
        self.shading = [0.0] * k
        self.report_gain = [0.0] * k
        self.blocked = [False] * k
        self.raised = [False] * k
        self.exposed = [False] * k
        self.onset_week = [0] * k
        self.carry = [0.0] * k
        self.per_output = [0.0] * k
        self.outlook: list[tuple[float, float]] = [(1.0, 1.0)] * k
        self.effort = [0.2] * 5
        self.backlog = 0.0
        self.revision_time = 0.0  # share of next week a revision asked for takes
        self.supplier: Employee | None = None  # the upstream colleague one's first KR waits on
        self.shared = [False] * k  # key results shared with the upstream team
        self.tenure_weeks = 52.0
        self.availability = 1.0
        self.tally = Tally()
        # this week's work, between its two halves (before and after help is shared)
        self.time = [0.0] * 5  # weeks of each activity
        self.productivity = self.errors = self.ramp = self.present = self.help_out = 0.0
        self.waiting = [False] * k  # key results held up by the supplier's blocker
        self.perceived = [0.0] * k  # this week's perceived progress
        self.arrive(traits)

    # -- who sits here ---------------------------------------------------------------
    def arrive(self, traits: dict[str, float]) -> None:
        """A person takes the seat: its traits, beliefs at the market's priors (ODD §2.2, §7.9).

        The market's priors are those of the scenario as given, before any
        scheduled change: the market does not know this organisation's schedule.
        """
        market = self.model.base
        b, env, j, a = market.behaviour, market.env, market.judgment, market.assumptions
        self.capability = traits["capability"]
        self.perception = traits["perception"]  # ψ: lasting misjudgement of one's progress
        self.risk_aversion = traits["risk_aversion"]
        self.honesty_trait = traits["honesty_trait"]
        self.intrinsic = traits["intrinsic"]
        self.prosociality = traits["prosociality"]
        self.mum_cost = traits["mum_cost"]
        self.effort_cost = traits["effort_cost"]
        self.present_bias = traits["present_bias"]
        regressed = math.pow(self.capability, 1.0 - b.self_assessment_regression)
        self.capability_belief = regressed * math.exp(traits["knowledge_error"])
        self.honesty = self.honesty_trait
        self.audit_belief, self.bad_news_belief = b.audit_prior, b.bad_news_prior
        self.ratchet_belief, self.pull_belief, self.ask_belief = 0.0, 0.0, 1.0
        self.agree_belief = a.agree_prior
        self.coupling_belief, self.credibility = b.coupling_prior, b.credibility_prior
        self.coupling_anchor, self.bad_news_anchor = b.coupling_prior, b.bad_news_prior
        self.evidence, self.standing = Evidence(), Evidence()
        self.unsettled_news = self.unsettled_work = self.unsettled_quarters = 0.0
        self.kr_plan, self.help_belief, self.usual_hours = a.kr_plan_prior, a.help_prior, 1.0
        resolve = env.blocker_rate + env.raised_resolve_rate + j.coach_help
        self.blocked_loss_belief = env.blocker_severity * env.blocker_rate / resolve
        self.intensity = self.planned_intensity = 1.0
        self.stress = 0.0
        self.value_of_time = 0.0
        self.last_tau = math.nan
        self.habitual = False

    # -- what this person believes -------------------------------------------------------
    @property
    def terms(self) -> Terms:
        return self.model.terms

    @property
    def believed_coupling(self) -> float:
        """c̃: the coupling every choice weighs (0 without OKRs: no score)."""
        return self.coupling_belief if self.terms.okrs else 0.0

    @property
    def honesty_cost(self) -> float:
        """h: the cost of a misstatement per squared unit (the honesty habit)."""
        return self.honesty

    def weekly_forecast(self, hours: float) -> float:
        """q(ξ): own expected output of one key result in a week at ξ hours (ODD §4.6)."""
        t = self.terms
        own = self.capability_belief * hours * self.kr_plan * (1.0 - t.overhead) * t.focus
        own *= (1.0 - self.blocked_loss_belief) * self.availability
        return (own + self.help_belief) / t.krs

    def forecast(self, k: int, weeks_left: int) -> tuple[float, float]:
        """(μ, σ): key result k's final attainment as perceived, at the hours planned (§4.6)."""
        weekly = self.weekly_forecast(self.planned_intensity)
        goal = self.target[k] * self.par[k]
        mu = (self.progress[k] * self.perception + weekly * weeks_left) / goal
        sd = self.terms.uncertainty[weeks_left] * weekly * weeks_left / goal
        return mu, max(sd, 0.02)

    def claw_back(self) -> float:
        """ϑ·f′_{σ_Q}(1): next quarter's score lost per unit reported now (ODD §4.6)."""
        next_sd = self.terms.uncertainty[W]
        return self.ratchet_belief * self.terms.curve.marginal(1.0, next_sd)

    def weekly_habit(self) -> float:
        """a_W (1 for a first week in the seat: no habit yet)."""
        return (
            pay.habit_share(1.0, self.model.in_force.behaviour.habit_weeks)
            if self.habitual
            else 1.0
        )

    # -- quarter start (ODD §7.3) -----------------------------------------------------
    def expect_quarter(self, aspirational: list[bool]) -> None:
        """Pars, and E = W·q(ξ̄): the output one expects at one's usual hours."""
        s = self.model.in_force
        self.availability = pay.availability(
            self.tenure_weeks, s.env.ramp_weeks, s.assumptions.ramp_start
        )
        self.par = [s.okr.aspirational_par if a else 1.0 for a in aspirational]
        self.planned_intensity = self.usual_hours
        # at least LEAST_EXPECTED (ODD §7.3): what is weighed per unit stays finite
        expected = max(W * self.weekly_forecast(self.usual_hours), LEAST_EXPECTED)
        self.expected = [expected] * self.terms.krs

    def target_utility(self, tau: float, offer: float, rel_sd: float, honesty: float) -> float:
        """U(τ) of ODD §7.3: the certainty-equivalent score, ambition, and the cost of the offer.

        ``honesty``: the cost of stating an offer one does not believe, per squared unit.
        """
        t, s = self.terms, self.model.in_force
        c = self.believed_coupling
        attainments = [(1.0 + rel_sd * z) / tau for z in pay.NODES]
        scores = [t.curve(a) for a in attainments]
        mean = sum(scores) / len(scores)
        var = sum((x - mean) ** 2 for x in scores) / len(scores)
        shortfall = sum(max(1.0 - a, 0.0) for a in attainments) / len(attainments)
        share = c * t.own_share  # the formula's part of the rating is c·o·f
        formula = mean - 0.5 * self.risk_aversion / t.settlement_quarters * share * var
        tolerance = s.judgment.failure_tolerance
        ambition = t.ambition_weight * ((tau - 1.0) - (1.0 - tolerance) * shortfall)
        credit = c * t.target_credit * (tau - 1.0)  # the formula's, for the target stated
        extrinsic = share * formula + credit + (1.0 - c) * (t.judged_reach * ambition)
        return s.behaviour.extrinsic_weight * extrinsic - honesty * (offer - 1.0) ** 2

    def set_target(self) -> None:
        """Offer τ·E: best for the target it leads to under the pull believed; a habit (§7.3)."""
        rel_sd = self.terms.uncertainty[W]
        cost = self.honesty * self.model.in_force.behaviour.target_scrutiny
        offers = pay.target_offers(self.model.in_force.assumptions)
        utilities = [
            self.target_utility(o + self.pull_belief * (self.ask_belief - o), o, rel_sd, cost)
            for o in offers
        ]
        best = offers[utilities.index(max(utilities))]
        if math.isfinite(self.last_tau):
            share = pay.habit_share(W, self.model.in_force.behaviour.habit_weeks)
            best = self.last_tau + share * (best - self.last_tau)
        self.last_tau = best
        self.offer = [best * e for e in self.expected]

    # -- the week ----------------------------------------------------------------------
    def meet_blockers(self) -> None:
        """Blockers strike key results not already blocked (ODD §7.4)."""
        onset = self.model.draws["onset"][self.seat]
        for k in range(self.terms.krs):
            if not self.blocked[k] and onset[k] < self.model.in_force.env.blocker_rate:
                self.blocked[k], self.raised[k] = True, False
                self.onset_week[k] = self.model.week

    def plan(self) -> None:
        """The outlook at the plan held: each key result's final attainment (ODD §7.5, §4.6)."""
        weeks_left = W - self.model.week_in_quarter
        if self.terms.okrs:
            self.outlook = [self.forecast(k, weeks_left) for k in range(self.terms.krs)]

    def price_output(self) -> None:
        """The value of a unit of each key result's output this week (ODD §7.5)."""
        self.per_output = [self.value_per_output(k) for k in range(self.terms.krs)]

    def graded_outlook(self) -> float:
        """mean_k (μ + s): the attainment one's plan and shading would have graded."""
        graded = [mu + s_ for (mu, _), s_ in zip(self.outlook, self.shading, strict=True)]
        return sum(graded) / len(graded)

    def team_outlook(self) -> float:
        """μ̄_team: the team's mean of its members' graded outlooks (known under team evaluation)."""
        members = self.model.managers[self.team].members
        return sum(e.graded_outlook() for e in members) / len(members)

    def value_per_output(self, k: int) -> float:
        """v_ik: formula, judgment's credit, intrinsic value and the goal's pull per unit output."""
        s, t, public = self.model.in_force, self.terms, self.model.public
        x, c, align = s.behaviour.extrinsic_weight, self.believed_coupling, s.env.alignment
        credit = public.seen_weight + public.reported_weight
        judged = (1.0 - c) * s.judgment.contribution_weight * credit * align / public.value_scale
        intrinsic = self.intrinsic * align / public.value_scale
        if not t.okrs:
            return x * judged + intrinsic
        mu, sd = self.outlook[k]
        goal = self.target[k] * self.par[k]
        size = s.org.team_size
        formula = (1.0 - t.team_scored) * t.curve.marginal(mu + self.shading[k], sd)
        if t.team_scored:  # one's attainment moves the team's mean by 1/N
            formula += t.curve.marginal(self.team_outlook(), sd / math.sqrt(size)) / size
        formula -= t.own_share * self.claw_back()
        extrinsic = c * formula / (t.krs * goal) + judged
        pull = pay.goal_pull(mu, sd, s.behaviour.loss_aversion, s.assumptions.goal_reach)
        pull *= s.behaviour.goal_pull
        pull *= self.intrinsic * self.par[k] / (t.krs * self.expected[k])
        return x * extrinsic + intrinsic + pull

    def surface(self) -> None:
        """Raise each hidden blocker now, or wait, or never (ODD §7.4)."""
        s, t = self.model.in_force, self.terms
        env, n = s.env, W - self.model.week_in_quarter
        # the manager's coaching as one expects it: at the judged share one believes
        raised_rate = min(1.0, env.raised_resolve_rate + t.coaching_at(self.believed_coupling))
        saved = pay.blocked_weeks(env.self_resolve_rate, n) - pay.blocked_weeks(raised_rate, n)
        weekly = self.capability_belief * self.effort[KR] * self.intensity
        weekly *= (1.0 - t.overhead) * t.focus / t.krs
        credit = -s.behaviour.extrinsic_weight * self.bad_news_belief
        delay = pay.delay_weeks(env.self_resolve_rate, raised_rate, n)
        for k in range(t.krs):
            if not self.blocked[k] or self.raised[k]:
                continue
            worth = env.blocker_severity * weekly * self.per_output[k]
            gain = saved * worth + credit - self.report_gain[k] - self.mum_cost
            cost = self.report_gain[k] + self.mum_cost - credit
            if gain > 0 and env.self_resolve_rate * cost - delay * worth < 0:
                self.raised[k] = True
                self.tally.raises += 1
                self.tally.latencies.append(float(self.model.week - self.onset_week[k]))

    def week_options(self) -> tuple[float, list[float], list[float]]:
        """Weights of key-result work and of the four saturating activities, and their scales."""
        s, t, public = self.model.in_force, self.terms, self.model.public
        env, j, x = s.env, s.judgment, s.behaviour.extrinsic_weight
        c = self.believed_coupling
        c_hat = self.capability_belief * t.focus
        stalls = [1.0 - env.blocker_severity * b for b in self.blocked]
        w_kr = c_hat * sum(v * st for v, st in zip(self.per_output, stalls, strict=True)) / t.krs
        judged_per_value = (
            (1.0 - c) * j.contribution_weight * public.seen_weight / public.value_scale
        )
        motive = x * judged_per_value + self.intrinsic / public.value_scale
        w_bau = motive * c_hat * (env.bau_value + env.incident_cost)
        # help and a breakthrough are goal-directed value, at the stated alignment
        w_help = (motive + self.prosociality / public.value_scale) * c_hat
        w_help *= env.help_value * env.alignment
        w_help += x * (1.0 - c) * (j.help_weight * t.judged_reach) * c_hat / public.help_scale
        w_help += x * c * self.formula_value_of_help()
        explored = self.effort[EXPLORE] * self.intensity * (1.0 - t.overhead)
        hazard = env.breakthrough_rate * -math.expm1(-explored / env.exploration_scale)
        exposure = judged_per_value * (1.0 - j.failure_tolerance)
        value = env.breakthrough_value * env.alignment
        premium = x * 0.5 * self.risk_aversion / t.settlement_quarters * exposure**2
        premium *= value * (1.0 - 2.0 * hazard)
        rate = env.breakthrough_rate * value / env.exploration_scale
        w_explore = max(rate * (motive - premium), 0.0)
        w_visible = x * (1.0 - c) * j.contribution_weight * t.judged_reach
        w_visible *= j.influence_return / public.value_scale
        weights = [w_bau, w_help, w_explore, w_visible]
        scales = [
            (env.bau_demand + self.backlog) / c_hat,
            env.help_saturation,
            env.exploration_scale,
            j.influence_saturation,
        ]
        return w_kr, weights, scales

    def formula_value_of_help(self) -> float:
        """Hf: the formula score a unit of help gains (team evaluation) or loses (ranking) (§7.5).

        A colleague's attainment rises by L = ĉ·F·v_h/(K·mean_k T̃) per unit of help.
        """
        t, env = self.terms, self.model.in_force.env
        if not t.okrs or not (t.team_scored or t.ranked):
            return 0.0
        size = self.model.in_force.org.team_size
        goal = sum(g * p for g, p in zip(self.target, self.par, strict=True)) / t.krs
        lift = self.capability_belief * t.focus * env.help_value / (t.krs * goal)
        spread = sum(sd for _, sd in self.outlook) / t.krs
        if t.team_scored:  # lifting a colleague lifts the team's mean
            return t.curve.marginal(self.team_outlook(), spread / math.sqrt(size)) * lift / size
        # lifting a colleague moves the peers one is ranked against
        return -t.curve.marginal(self.graded_outlook(), spread) * lift / (size - 1)

    def allocate(self) -> None:
        """This week's hours, the later weeks' plan, then the split, each a habit (ODD §7.5)."""
        s, t = self.model.in_force, self.terms
        b = s.behaviour
        w_kr, weights, scales = self.week_options()
        _, value = pay.water_fill(w_kr, weights, scales)
        ceiling = 1.0 + (b.max_intensity - 1.0) * (1.0 - s.env.stress_capacity * self.stress)
        worth, floor = value * (1.0 - t.overhead), s.assumptions.intensity_floor
        later = pay.effort_intensity(worth, self.effort_cost, b.hours_elasticity, ceiling, floor)
        now = pay.effort_intensity(
            self.present_bias * worth, self.effort_cost, b.hours_elasticity, ceiling, floor
        )
        self.planned_intensity, self.value_of_time = later, value
        a = self.weekly_habit()
        habit = self.intensity + a * (now - self.intensity)
        self.intensity = min(habit, max(ceiling, floor))
        # saturating needs take the same time however long the week
        best, _ = pay.water_fill(w_kr, weights, [sc / self.intensity for sc in scales])
        self.effort = [e + a * (e_star - e) for e, e_star in zip(self.effort, best, strict=True)]

    def work(self) -> None:
        """Hours, productivity and the help given; output waits for the team's help (ODD §7.6)."""
        s, t, tally = self.model.in_force, self.terms, self.tally
        env, wiq = s.env, self.model.week_in_quarter
        # status work, target negotiation and a revision asked for last week
        overhead = t.overhead + t.negotiation_hours(wiq) + self.revision_time
        self.revision_time = 0.0
        # the first key result (and shared ones) waits while the supplier's first is blocked
        supplier_blocked = self.supplier is not None and self.supplier.blocked[0]
        self.waiting = [supplier_blocked and (k == 0 or self.shared[k]) for k in range(t.krs)]
        present = 1.0 if self.tenure_weeks >= 0 else 0.0
        hours = self.intensity * present
        tally.hours += hours
        tally.kr_time += self.effort[KR] * hours
        for a in range(5):
            tally.effort[a] += self.effort[a]
        self.time = [e * (1.0 - overhead) * hours for e in self.effort]
        tally.visible_time += self.time[VISIBLE]
        tally.explore_time += self.time[EXPLORE]
        self.errors = 1.0 - env.stress_error * self.stress
        self.ramp = pay.seat_factor(self.tenure_weeks, env.ramp_weeks, s.assumptions.ramp_start)
        luck = self.model.draws["luck"][self.seat]
        self.productivity = self.capability * luck * t.focus * self.errors * self.ramp
        if env.shock_quarter == self.model.quarter:
            self.productivity *= 1.0 - env.shock_size
        self.help_out = self.productivity * self.time[HELP]
        self.present = present

    def finish_work(self, received: float, credit_rate: float) -> None:
        """Output, non-OKR work, exploration, blockers clearing, value and contribution (ODD §7.6).

        ``received``: help received from teammates; ``credit_rate``: the value
        the team's help created per unit given (help is credited to helpers pro rata).
        """
        m, s, t, tally = self.model, self.model.in_force, self.terms, self.tally
        env, wiq = s.env, m.week_in_quarter
        boost = env.help_value * env.help_saturation * -math.expm1(-received / env.help_saturation)
        own = self.productivity * self.time[KR]
        tally.kr_own += own
        tally.kr_effort += self.time[KR] * t.focus * self.errors * self.ramp
        kr_out = []
        for k in range(t.krs):
            held = self.blocked[k] or self.waiting[k]
            stalled = own / t.krs * (1.0 - env.blocker_severity * held)
            tally.kr_stalled += stalled
            kr_out.append(stalled + boost / t.krs)
            self.progress[k] += kr_out[k]
            self.produced[k] += kr_out[k]
        need = env.bau_demand + self.backlog
        done = self.productivity * self.time[BAU]
        met = need * -math.expm1(-done / max(need, 1e-9))
        self.backlog = (need - met) * (1.0 - env.backlog_decay)
        incidents = env.incident_cost * self.backlog
        hazard = env.breakthrough_rate * -math.expm1(-self.time[EXPLORE] / env.exploration_scale)
        breakthrough = m.draws["breakthrough"][self.seat] < hazard
        resolve = m.draws["resolve"][self.seat]
        for k in range(t.krs):
            if not self.blocked[k]:
                continue
            if self.raised[k]:
                rate = env.raised_resolve_rate + t.coaching + min(received, 1.0)
            else:
                rate = env.self_resolve_rate
                m.hidden_weeks += 1
            m.blocked_weeks += 1
            if resolve[k] < rate:
                if not self.raised[k]:
                    self.tally.latencies.append(float(m.week + 1 - self.onset_week[k]))
                self.blocked[k] = self.raised[k] = False
        alignment = m.alignment[self.team]
        goal_work = sum(kr_out) + env.breakthrough_value * breakthrough
        value = alignment * goal_work + env.bau_value * met - incidents
        help_credit = self.help_out * credit_rate - boost
        promise = env.breakthrough_value * (hazard - breakthrough)
        tally.value += value
        tally.contribution += value + alignment * (help_credit + promise)
        recency = 1.0 + s.judgment.recency * (2.0 * wiq / (W - 1) - 1.0)
        seen = env.alignment * goal_work + env.bau_value * met - incidents
        seen += env.alignment * (help_credit + s.judgment.failure_tolerance * promise)
        tally.seen_contribution += recency * seen
        tally.weeks_present += self.present
        tally.help_given += self.help_out
        tally.help_received += boost
        self.tenure_weeks += 1.0

    def book(self) -> None:
        """In the last week, move output into the next quarter or pull it in (ODD §7.14)."""
        env = self.model.in_force.env
        lost = 0.0
        for k in range(self.terms.krs):
            goal = self.target[k] * self.par[k]
            bound = min(env.booking_bound * self.expected[k], max(self.progress[k], 0.0)) / goal
            moves = [g * bound for g in (0.0, -1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0)]
            values = [self.booking_utility(k, d) for d in moves]
            moved = moves[values.index(max(values))] * goal  # no move wins ties
            self.progress[k] -= moved
            self.carry[k] = moved - env.booking_loss * abs(moved)
            lost += self.model.alignment[self.team] * env.booking_loss * abs(moved)
        self.tally.value -= lost
        self.tally.contribution -= lost

    def booking_utility(self, k: int, d: float) -> float:
        """The utility of booking d (attainment units) of key result k's output next quarter.

        Both quarters' scores, the ratchet's claw-back, judgment's credit for
        reported output and its mark for a shortfall in each quarter, and the
        value a moved unit loses (ODD §7.14).
        """
        s, t, public = self.model.in_force, self.terms, self.model.public
        x, env, j = s.behaviour.extrinsic_weight, s.env, s.judgment
        c = self.believed_coupling
        goal = self.target[k] * self.par[k]
        mu, sd = self.forecast(k, 0)
        mu_next = self.expected[k] / goal  # next quarter as this one looked at its start
        sd_next = self.terms.uncertainty[W] * mu_next
        per_value = env.alignment * goal / public.value_scale
        d_next = d - env.booking_loss * abs(d)
        score = t.curve.expected(mu - d, sd) + t.curve.expected(mu_next + d_next, sd_next)
        score += self.claw_back() * d
        short = pay.SHORTFALL.expected(mu - d, sd) + pay.SHORTFALL.expected(
            mu_next + d_next, sd_next
        )
        reported = (1.0 - c) * j.contribution_weight * public.reported_weight * per_value
        reported *= 1.0 - 1.0 / s.org.team_size  # one's own report is in the team mean too
        marked = (1.0 - c) * (t.ambition_weight * t.judged_reach) * (1.0 - j.failure_tolerance)
        marked /= t.krs
        extrinsic = c * t.own_share / t.krs * score + reported * (d_next - d) - marked * short
        # the value a moved unit loses is one's own loss: the manager saw it when made
        return x * extrinsic - self.intrinsic * per_value * (d - d_next)

    def feel_stress(self) -> None:
        """Stress from strain, pay uncertainty and overhead, kept with memory m (ODD §7.6).

        m is ``assumptions.stress_memory`` (about 1/(1 − m) weeks).
        """
        s, t, m = self.model.in_force, self.terms, self.model
        c = self.believed_coupling
        hours = self.intensity if self.tenure_weeks >= 1 else 1.0  # a vacant seat works none
        strain = max(hours - 1.0, 0.0) / max(s.behaviour.max_intensity - 1.0, 1e-9)
        score_sd = 0.0
        if t.okrs and c != 0:
            weeks_left = W - m.week_in_quarter - 1
            outlook = [self.forecast(k, weeks_left) for k in range(t.krs)]
            if t.team_scored:  # scored on the team's mean: its spread is one's own over √N
                members = m.managers[self.team].members
                team_mu = sum(
                    sum(e.forecast(k, weeks_left)[0] for k in range(t.krs)) / t.krs for e in members
                ) / len(members)
                spread = sum(sd for _, sd in outlook) / t.krs / math.sqrt(s.org.team_size)
                outlook = [(team_mu, spread)]
            means = [
                sum(t.curve(mu + sd * z) for mu, sd in outlook) / len(outlook) for z in pay.NODES
            ]
            centre = sum(means) / len(means)
            score_sd = math.sqrt(sum((v - centre) ** 2 for v in means) / len(means))
        rating_sd = math.hypot(c * score_sd, (1.0 - c) * m.public.judged_sd)
        rating_sd /= math.sqrt(t.settlement_quarters)
        overhead = t.overhead + t.negotiation_hours(m.week_in_quarter)
        pressure = strain + (1.0 + self.risk_aversion) / 2.0 * rating_sd + overhead
        memory = s.assumptions.stress_memory
        self.stress = memory * self.stress + (1.0 - memory) * min(max(pressure, 0.0), 1.0)

    def perceive(self, k: int) -> float:
        """P̂ = ψ·P·exp(σ_p·√(n/W)·z): one's progress as seen at this check-in (ODD §7.7)."""
        m = self.model
        visible = math.sqrt((W - m.week_in_quarter) / W)
        z = m.draws["misperception"][self.seat][k]
        noise = m.in_force.behaviour.progress_noise_sd * visible * z
        return self.progress[k] * self.perception * math.exp(noise)

    def report_utility(
        self, k: int, s_: float, perceived: float, outlook: tuple[float, float]
    ) -> float:
        """U(s) of ODD §7.7 for shading key result k by s, at its post-work outlook (μ, σ)."""
        m, sc, t = self.model, self.model.in_force, self.terms
        b, j, public = sc.behaviour, sc.judgment, m.public
        c, wiq = self.believed_coupling, m.week_in_quarter
        mu, sd = outlook
        goal = self.target[k] * self.par[k]
        pace = (wiq + 1) / W
        catch_pace, catch_sd = self.audit_view(k, perceived)
        found, excess = pay.audit_found(s_, catch_pace, j.audit_tolerance, catch_sd)
        checks = pay.audit_checks(self.audit_belief, W - wiq, found)
        per_attainment = (1.0 - c) * j.contribution_weight * public.reported_weight
        per_attainment *= sc.env.alignment * goal / public.value_scale
        per_attainment *= 1.0 - 1.0 / sc.org.team_size  # one's own report is in the team mean
        weight = b.goal_pull * self.intrinsic * self.par[k] * goal / (t.krs * self.expected[k])

        def bought(shade: float) -> float:
            """What the final report buys: score, credit, ratchet, the goal's self-image."""
            paid = c * t.own_share / t.krs * t.curve.expected(mu + shade, sd)
            paid += per_attainment * shade
            paid -= c * t.own_share * self.claw_back() / t.krs * (mu + shade)
            reach = sc.assumptions.goal_reach
            shown = weight * pay.goal_excess(mu + shade, sd, b.loss_aversion, reach)
            return b.extrinsic_weight * paid + shown

        # an overstatement caught is corrected to the books: what it bought is lost
        kept = 1.0 - checks * found if s_ > 0.0 else 1.0
        honest = bought(0.0)
        extrinsic = -checks * (1.0 - c) * (j.inflation_penalty * t.judged_reach) * excess
        if s_ < sc.okr.red_pace - perceived / (goal * pace):
            extrinsic -= self.bad_news_belief / W
        utility = b.extrinsic_weight * extrinsic - self.honesty_cost * s_**2
        return utility + kept * (bought(s_) - honest) + honest

    def audit_view(self, k: int, perceived: float) -> tuple[float, float]:
        """The pace and the misjudgement at which key result k's audits left are weighed (§7.7)."""
        m = self.model
        pace = (m.week_in_quarter + 1) / W
        seen = perceived / (self.target[k] * self.par[k] * pace)
        b, a = m.in_force.behaviour, m.in_force.assumptions
        lasting = a.perception_share * b.self_knowledge_sd
        return pay.audit_outlook(seen, b.progress_noise_sd, lasting, m.week_in_quarter)

    def misjudged_audit(self, k: int, perceived: float) -> bool:
        """Whether an audit may catch this key result's report even if honest (§7.7)."""
        return self.audit_belief * self.audit_view(k, perceived)[1] > 0.0

    def rewards_understatement(self) -> bool:
        """Whether reporting less could pay: a believed ratchet, or negative credit for reports."""
        s = self.model.in_force
        c = self.believed_coupling
        credit = (1.0 - c) * s.judgment.contribution_weight * self.model.public.reported_weight
        return c * self.claw_back() > 0 or credit * s.env.alignment < 0

    def choose_shading(self, k: int, perceived: float) -> tuple[float, float]:
        """The best shading — every third grid point, then the best one's neighbours — and its gain.

        The grid runs over the assumptions' shading extent; its negative half
        is weighed only where something rewards understatement (ODD §7.7).
        """
        grid = pay.shadings(self.model.in_force.assumptions)
        if not (self.rewards_understatement() or self.misjudged_audit(k, perceived)):
            grid = tuple(g for g in grid if g >= 0.0)
        zero = grid.index(0.0)
        coarse = grid[zero % 3 :: 3]
        outlook = self.forecast(k, W - self.model.week_in_quarter - 1)
        values = {s_: self.report_utility(k, s_, perceived, outlook) for s_ in coarse}
        best = max(coarse, key=lambda s_: values[s_])  # the first of equals
        u_best = values[best]
        below = round(min(max(best - pay.SHADING_STEP, grid[0]), grid[-1]), 2)
        above = round(min(max(best + pay.SHADING_STEP, grid[0]), grid[-1]), 2)
        u_below = self.report_utility(k, below, perceived, outlook)
        u_above = self.report_utility(k, above, perceived, outlook)
        nearer, u_near = (above, u_above) if u_above > u_below else (below, u_below)
        choice = nearer if u_near > u_best else best
        return choice, max(u_near, u_best) - values[0.0]

    def report(self) -> None:
        """The weekly check-in: each key result as perceived, shaded by a habit (ODD §7.7)."""
        t = self.terms
        self.perceived = [self.perceive(k) for k in range(t.krs)]
        if not t.okrs:
            self.reported = list(self.perceived)
            return
        a = self.weekly_habit()
        pace = (self.model.week_in_quarter + 1) / W
        for k in range(t.krs):
            if self.raised[k] or self.exposed[k]:  # on the record: the books
                self.shading[k], self.report_gain[k] = 0.0, 0.0
                self.reported[k] = self.progress[k]
                continue
            best, gain = self.choose_shading(k, self.perceived[k])
            self.shading[k] += a * (best - self.shading[k])
            self.report_gain[k] = gain
            slant = self.shading[k] * self.target[k] * self.par[k] * pace
            self.reported[k] = max(self.perceived[k] + slant, 0.0)

    def close_check_in(self) -> None:
        """Statuses, red reports and the bias of this week's reports, as tallied (ODD §7.7)."""
        t, tally = self.terms, self.tally
        tally.reports += t.krs
        if t.okrs:
            pace = (self.model.week_in_quarter + 1) / W
            red = self.model.in_force.okr.red_pace
            bias = 0.0
            for k in range(t.krs):
                goal = self.target[k] * self.par[k]
                if pay.status(self.reported[k] / (goal * pace), red) == "off_track":
                    tally.red_reports += 1
                bias += (self.reported[k] - self.produced[k]) / goal
            tally.bias += bias / t.krs
        if self.tenure_weeks >= 1:
            self.habitual = True

    def ask_revision(self, view: float) -> None:
        """Mid-quarter: re-state each target if the believed gain beats the time (ODD §7.3).

        The manager (``view``: its estimate of one KR's quarterly output)
        agrees only to a move towards the target it would ask for now, and no
        further; the time asked is taken from next week.
        """
        s, t = self.model.in_force, self.terms
        weeks_left = W - 7  # after the seventh week's check-in
        rel_sd = self.terms.uncertainty[weeks_left]
        cost = self.honesty * s.behaviour.target_scrutiny
        offers = pay.target_offers(s.assumptions)
        utilities = [self.target_utility(tau, tau, rel_sd, cost) for tau in offers]
        best = offers[utilities.index(max(utilities))]
        asked = 0
        for k in range(t.krs):
            done = self.reported[k]  # both sides see the reported progress
            expected = done + self.expected[k] * weeks_left / W
            current = self.target[k] * self.par[k]
            # the target in force was stated already: keeping it costs no new statement
            tau_now = current / max(expected, 1e-9)
            keeping = self.target_utility(tau_now, tau_now, rel_sd, 0.0)
            gain = (max(utilities) - keeping) / t.krs
            if gain * self.agree_belief <= s.okr.revision_hours * self.value_of_time:
                continue
            asked += 1
            self.tally.revision_requests += 1
            proposed = best * expected
            # the target the rule would set from the manager's forecast (§7.3)
            forecast = done + view * weeks_left / W
            ask = s.okr.assigned_stretch * forecast
            reference = forecast + t.manager_pull * (ask - forecast)
            if abs(reference - current) <= 1e-9 * abs(current):
                reference = current  # equal up to rounding: no reason to move
            if (proposed - current) * (reference - current) > 0:
                revised = min(max(proposed, min(current, reference)), max(current, reference))
                self.target[k] = max(revised / self.par[k], 1e-6)
                self.tally.revisions += 1
        self.revision_time = s.okr.revision_hours * asked

    # -- quarter end ----------------------------------------------------------------------
    def learn(self) -> None:
        """Beliefs about audits, targets and one's work move η towards what was seen (§7.10).

        What the team showed of the audit rate, the manager's pull, the
        ratchet and revision agreement, each with whether it could be seen,
        is in the model's ``observations``.
        """
        s, tally = self.model.in_force, self.tally
        b = s.behaviour
        seen = self.model.observations[self.seat]
        eta = b.learning_rate

        def toward(name: str, value: float, where: bool = True) -> None:
            if where:
                setattr(self, name, (1.0 - eta) * getattr(self, name) + eta * value)

        toward("audit_belief", *seen["audit_belief"])
        if self.terms.okrs:
            toward("pull_belief", *seen["pull_belief"])
            self.pull_belief = min(max(self.pull_belief, 0.0), 1.0)
            if self.model.last_reported is not None:
                toward("ratchet_belief", *seen["ratchet_belief"])
                self.ratchet_belief = min(max(self.ratchet_belief, 0.0), 1.0)
            asks = [a / e for a, e in zip(self.ask, self.expected, strict=True)]
            self.ask_belief = sum(asks) / len(asks)
        toward("agree_belief", *seen["agree_belief"])
        toward("kr_plan", tally.kr_time / max(tally.hours, 1e-9), tally.hours > 0)
        toward("usual_hours", tally.hours / max(tally.weeks_present, 1.0), tally.weeks_present > 0)
        toward("help_belief", tally.help_received / W)
        toward(
            "blocked_loss_belief",
            1.0 - tally.kr_stalled / max(tally.kr_own, 1e-9),
            tally.kr_own > 0,
        )
        observed = tally.kr_own / max(tally.kr_effort, 1e-9)
        regressed = math.pow(max(observed, 1e-9), 1.0 - b.self_assessment_regression)
        enough = tally.kr_effort > s.assumptions.capability_evidence_weeks
        toward("capability_belief", regressed, enough)

    def hear(self, statement: dict[str, float], changed: set[str]) -> None:
        """Each stated value moves its belief (and its anchor) by credibility κ (ODD §7.13)."""
        anchors = {"coupling_belief": "coupling_anchor", "bad_news_belief": "bad_news_anchor"}
        for name in changed:
            stated = statement[name]
            for belief in (name, anchors.get(name)):
                if belief is not None:
                    now = getattr(self, belief)
                    setattr(self, belief, now + self.credibility * (stated - now))
            if name == "coupling_belief":
                self.evidence.scale(1.0 - self.credibility)
                self.standing.scale(1.0 - self.credibility)

    def develop(self) -> None:
        """Capability grows with exploration and erodes under stress (ODD §7.11)."""
        env = self.model.in_force.env
        growth = env.capability_growth * self.tally.effort[EXPLORE] / W
        growth -= env.pressure_erosion * self.stress
        self.capability *= 1.0 + growth
        self.capability_belief *= 1.0 + growth


class Manager(mesa.Agent):
    """One team's manager: its members, its lasting leniency, its estimates and audits."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, team: int, leniency: float) -> None:
        super().__init__(model)
        self.team, self.leniency = team, leniency
        self.members: list[Employee] = []
        self.priority_error = 0.0
        self.upstream: int | None = None  # the team this one's work depends on

    def estimate(self, employee: Employee, noise: float) -> float:
        """M: the manager's estimate of a report's quarterly output per key result (ODD §7.3)."""
        t = self.model.terms
        seen = employee.capability * math.exp(noise)
        own = seen * employee.usual_hours * employee.kr_plan * (1.0 - t.overhead) * t.focus
        own *= employee.availability
        weekly = (own * (1.0 - employee.blocked_loss_belief) + employee.help_belief) / t.krs
        return max(weekly * W, LEAST_EXPECTED)

    def set_targets(self, view: dict[int, float]) -> None:
        """T̃ = O + π_m·(σ_s·M − O) + α_r·(R − O): the target rule moves each offer (ODD §7.3)."""
        m, t = self.model, self.model.terms
        stretch = m.in_force.okr.assigned_stretch
        for e in self.members:
            for k in range(t.krs):
                own = e.offer[k]
                e.ask[k] = stretch * view[e.seat]
                goal = own + t.manager_pull * (e.ask[k] - own)
                if m.last_reported is not None:
                    last = m.last_reported[e.seat][k]
                    goal += t.ratchet_pull * ((last if math.isfinite(last) else own) - own)
                e.target[k] = max(goal / e.par[k], 1e-6)
                e.target_set[k] = e.target[k] * e.par[k]

    def hear_revisions(self) -> None:
        """Mid-quarter, each member may ask to revise its targets against this manager's view."""
        for e in self.members:
            e.ask_revision(self.model.view[e.seat])

    def share_help(self) -> None:
        """Each in a seat gets an equal part of the others' help, a vacant seat none;
        helpers are credited pro rata (§7.6)."""
        s = self.model.in_force
        env = s.env
        seated = [e.tenure_weeks >= 0 for e in self.members]
        others = max(sum(seated) - 1, 1)
        given = sum(e.help_out for e in self.members)
        received = [
            (given - e.help_out) / others if here else 0.0
            for e, here in zip(self.members, seated, strict=True)
        ]
        boosts = [
            env.help_value * env.help_saturation * -math.expm1(-r / env.help_saturation)
            for r in received
        ]
        rate = sum(boosts) / given if given > 0 else 0.0
        for e, r in zip(self.members, received, strict=True):
            e.finish_work(r, rate)

    def audit(self) -> None:
        """Each report is checked with chance a_p; inflation over the tolerance is caught (§7.7).

        The tolerance is ``judgment.audit_tolerance``, a share of the target.
        """
        m = self.model
        tolerance = m.in_force.judgment.audit_tolerance
        for e in self.members:
            if not m.terms.okrs:
                continue
            for k in range(m.terms.krs):
                if m.draws["audit"][e.seat][k] >= m.in_force.judgment.audit_probability:
                    continue
                e.tally.audits += 1
                goal = e.target[k] * e.par[k]
                if e.reported[k] - e.progress[k] > tolerance * goal:
                    e.tally.caught += (e.reported[k] - e.progress[k]) / goal
                    e.exposed[k] = True
                    e.reported[k] = e.progress[k]
