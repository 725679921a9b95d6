"""The organisation as a Mesa model: one step is one week, 13 weeks a quarter.

Weekly, in this order (see ``docs/ODD.md`` for every rule's source):

1. at a quarter's start: the policy in force is read (schedule applied),
   targets are set under the target rule, the quarter's tallies reset;
2. exogenous blockers appear (environment stream, fixed shapes);
3. employees decide whether to raise each hidden blocker;
4. employees split the week between key results, non-OKR work, helping and
   exploration;
5. work happens: true output, help, non-OKR backlog, breakthroughs, blocker
   clearing — the ground truth;
6. employees report progress at the check-in; managers audit some reports;
7. at a quarter's end: scores, judged ratings, pay; ratchets; learning and
   imitation; capability growth and erosion.

The organisation inside the model acts only on what it measures (reports,
scores, judged observations); the model logs the ground truth beside it.
"""

from __future__ import annotations

from functools import partial

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from scipy.special import ndtr

from okrsim import metrics
from okrsim.agents import Employee, Manager, Workforce, regressive
from okrsim.params import WEEKS_PER_QUARTER, Scenario, bounds
from okrsim.policies import choices
from okrsim.policies.choices import Payoff
from okrsim.policies.curves import Array, curve_for
from okrsim.policies.rating import forced_distribution, rating
from okrsim.seeding import RunSeed, streams

#: Planned key-result share of the week before an employee has any history
#: (assumption: 60 %, near what people settle at; learned from then on).
INITIAL_KR_PLAN = 0.6
#: Help an employee expects to receive per week before any history (assumption).
INITIAL_HELP = 0.1
#: Overstatement (share of target) beyond which an audit counts a report as inflated.
AUDIT_TOLERANCE = 0.05
#: Misstatement (share of true progress) beyond which a check-in counts as biased,
#: the threshold behind Snow, Keil & Wallace (2007)'s "biased" reports (assumption: 10 %).
BIAS_TOLERANCE = 0.1
#: Weekly stress carry-over (an exponential average over ~12 weeks; assumption).
STRESS_MEMORY = 0.92
#: Key-result draws are made for the most key results a person can own and cut to
#: size, so organisations with different numbers of key results share their luck.
MAX_KRS = int(bounds("okr.krs_per_person")[1] or 8)
#: First week (0-based) of a quarter's last four, where late-quarter behaviour is read.
LATE_WEEK = 9
#: Week of the quarter at which targets may be revised, when revision is allowed.
REVISION_WEEK = 6


#: Weekly model-level series (DataCollector reporters), in column order.
WEEKLY_SERIES = (
    "week",
    "quarter",
    "sandbagging_index",
    "true_value",
    "reported_progress",
    "true_progress",
    "expected_progress",
    "kr_share",
    "help_share",
    "bau_share",
    "exploration_share",
    "blocked_share",
    "hidden_blocker_share",
    "watermelon_share",
    "stress",
    "incident_backlog",
)


def _nanmean(x: Array) -> float:
    """Mean of the finite entries; NaN when there are none (no targets without OKRs)."""
    finite = np.isfinite(x)
    return float(x[finite].mean()) if finite.any() else float("nan")


def _sandbagging(target: Array, expected: Array) -> Array:
    """Each employee's ``1 − Σ target / Σ own expected output`` (NaN without targets)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - target.sum(axis=1) / expected.sum(axis=1)


def _ratio(total: float, count: float) -> float:
    """A mean from its total and count; NaN when nothing was counted."""
    return total / count if count > 0 else float("nan")


def _week_value(model: OKRModel, *, name: str) -> float:
    return model.week_row[name]


class OKRModel(mesa.Model):
    """An organisation running OKRs under a compensation policy.

    Parameters
    ----------
    scenario
        The validated scenario (world, policy, horizon).
    seed
        An int, a ``SeedSequence`` or a :class:`~okrsim.seeding.RunSeed`; every
        random draw of the run comes from its named streams.
    """

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence | RunSeed = 0):
        self.run_seed = RunSeed.of(seed)
        self.streams = streams(self.run_seed)
        super().__init__(rng=self.streams["mesa"])
        self.base_scenario = scenario
        self.in_force = scenario  # the scenario in force; changes with the schedule
        s = scenario
        self.n_quarters = s.horizon.quarters
        self.krs = s.okr.krs_per_person
        self.workforce = Workforce.draw(
            self.streams["workforce"],
            s.behaviour,
            n_teams=s.org.n_teams,
            team_size=s.org.team_size,
            krs=self.krs,
            kr_plan=INITIAL_KR_PLAN,
            help_prior=INITIAL_HELP,
            # output blockers take when they are raised and cleared at the usual pace
            blocked_loss_prior=s.env.blocker_severity
            * s.env.blocker_rate
            / (s.env.blocker_rate + s.env.raised_resolve_rate + s.judgment.coach_help),
        )
        wf = self.workforce
        self.employees = [Employee(self, i) for i in range(wf.n)]
        self.managers = [Manager(self, t) for t in range(s.org.n_teams)]
        self.team_size = s.org.team_size
        self.n_teams = s.org.n_teams
        # Org structure from the environment stream: dependencies and shared KRs.
        env_rng = self.streams["environment"]
        self.dependencies = nx.fast_gnp_random_graph(
            s.org.n_teams, s.org.dependency_density, directed=True, seed=env_rng
        )
        self.upstream = np.full(s.org.n_teams, -1)
        for team in range(s.org.n_teams):
            ups = sorted(self.dependencies.predecessors(team))
            if ups:
                self.upstream[team] = ups[int(env_rng.integers(len(ups)))]
        up = self.upstream[wf.team]
        position = np.arange(wf.n) % s.org.team_size
        self.supplier = np.where(up >= 0, up * s.org.team_size + position, -1)
        shared_draw = env_rng.random((wf.n, MAX_KRS))[:, : self.krs] < s.org.shared_kr_share
        self.shared = shared_draw & (up >= 0)[:, None]
        aspirational_u = env_rng.random((wf.n, MAX_KRS))[:, : self.krs]
        self.aspirational = aspirational_u < s.okr.aspirational_share
        # Priors about the organisation (then learned from what peers experience).
        wf.audit_belief[:] = s.judgment.audit_probability
        wf.ratchet_belief[:] = float(s.okr.target_rule == "ratchet")
        # Public figures every employee knows (org means), refreshed quarterly.
        self.value_scale = WEEKS_PER_QUARTER * 1.2
        self.help_scale = WEEKS_PER_QUARTER * 0.1
        self.week = 0  # weeks completed
        self.quarter = 0  # quarters started
        self.peer_attainment = (1.0, 0.15)
        self.payoff: Payoff = self._payoff(s)
        self.tally: dict[str, Array] = {}
        self.last_rating = np.ones(wf.n)
        self.year_scores: list[Array] = []
        self.year_judged: list[Array] = []
        self.week_row: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_week_value, name=name) for name in WEEKLY_SERIES}
        )
        self.quarter_rows: list[dict[str, float]] = []
        self.employee_frames: list[pd.DataFrame] = []
        # each key result's status at the last check-in: as reported, and in truth
        self.reported_status = np.full((wf.n, self.krs), metrics.NO_TARGET, dtype=np.int8)
        self.true_status = self.reported_status.copy()
        self.running = True

    # -- the policy as payoffs ---------------------------------------------
    def _payoff(self, s: Scenario) -> Payoff:
        """The payoffs the scenario in force defines (see :func:`choices.payoff_for`)."""
        self.absolute_curve = curve_for(s.comp)
        return choices.payoff_for(s, peer_attainment=self.peer_attainment)

    @property
    def week_in_quarter(self) -> int:
        return self.week % WEEKS_PER_QUARTER

    @property
    def overhead(self) -> float:
        """Share of a week spent on status reporting (no output)."""
        return self.in_force.okr.status_hours if self.in_force.okr.enabled else 0.0

    def _negotiation_hours(self) -> float:
        """Share of this week spent negotiating targets (first week of a negotiated quarter)."""
        okr = self.in_force.okr
        if okr.enabled and okr.target_rule == "negotiated" and self.week_in_quarter == 0:
            return min(okr.negotiation_hours * self.krs, 0.9)
        return 0.0

    def _weekly_forecast(self) -> Array:
        return self.workforce.weekly_forecast(focus=self.focus, overhead=self.overhead)

    @property
    def focus(self) -> float:
        """Output efficiency when attention is split across K key results."""
        okr = self.in_force.okr
        return 1.0 / (1.0 + okr.switching_cost * (self.krs - 1)) if okr.enabled else 1.0

    # -- Mesa step ------------------------------------------------------------
    def step(self) -> None:
        if self.week_in_quarter == 0:
            self.start_quarter()
        draws = self.draw_week()
        self.blockers_appear(draws["onset"])
        self.outlook = self._attainment_outlook()
        self.per_output = self._value_per_output()
        self.surface_blockers()
        self.allocate_effort()
        self.work(draws)
        self.outlook = self._attainment_outlook(worked=True)
        self.update_stress()
        self.check_in(draws["audit"], draws["misperception"])
        if self.in_force.okr.revision_allowed and self.week_in_quarter == REVISION_WEEK:
            self.revise_targets()
        self.week += 1
        self.record_week()
        if self.week_in_quarter == 0:
            self.end_quarter()
            if self.quarter >= self.n_quarters:
                self.running = False

    def run(self) -> None:
        """Run the whole horizon."""
        while self.running:
            self.step()

    # -- quarter start --------------------------------------------------------
    def start_quarter(self) -> None:
        self.quarter += 1
        s = self.in_force = self.base_scenario.at_quarter(self.quarter)
        self.payoff = self._payoff(s)
        wf = self.workforce
        self.tally = {
            name: np.zeros(wf.n)
            for name in (
                "kr_output",
                "kr_own",
                "kr_stalled",
                "kr_effort",
                "value",
                "contribution",
                "help_given",
                "help_received",
                "raises",
                "incidents",
                "breakthroughs",
                "biased_reports",
                "optimistic_reports",
                "slanted_reports",
                "reports",
                "bias",
                "dependency_weeks",
                "revisions",
                "caught",
                "red_reports",
                "audits",
                "late_ahead_kr",
                "late_ahead_weeks",
                "overhead",
            )
        }
        self.tally["effort"] = np.zeros((wf.n, len(choices.ACTIVITIES)))
        self.tally["hidden_weeks"] = np.zeros(1)
        for name in ("hidden_reported", "hidden_true", "hidden_seen"):
            self.tally[name] = np.zeros(1)
        self.tally["blocked_weeks"] = np.zeros(1)
        self.latencies: list[Array] = []
        wf.progress[:] = 0.0
        wf.reported[:] = 0.0
        wf.exposed[:] = False
        wf.raised[:] = wf.raised & wf.blocked  # raised blockers stay on the record
        wf.par[:] = np.where(self.aspirational, s.okr.aspirational_par, 1.0)
        wf.expected[:] = self._weekly_forecast() * WEEKS_PER_QUARTER
        self.manager_view = self._manager_estimate()
        if s.okr.enabled:
            self.set_targets()
        else:
            wf.target[:] = np.nan

    def set_targets(
        self, progress: Array | None = None, weeks_left: int = WEEKS_PER_QUARTER
    ) -> None:
        """Targets under the rule in force; ``progress`` given for a mid-quarter revision."""
        s, wf, p = self.in_force, self.workforce, self.payoff
        done = np.zeros_like(wf.expected) if progress is None else progress
        expected = done + wf.expected * weeks_left / WEEKS_PER_QUARTER
        rel_sd = self._relative_sd(weeks_left)
        if s.comp.review_cadence == "annual":
            rel_sd /= 2.0  # a quarter is a quarter of the settled score: √4 less risk
        tau, utilities = choices.choose_target(
            rel_sd,
            payoff=p,
            extrinsic=s.behaviour.extrinsic_weight,
            risk_aversion=wf.risk_aversion,
            honesty_cost=wf.honesty * s.behaviour.target_scrutiny,
        )
        wf.target_utilities[:] = utilities
        own = tau[:, None] * expected
        rule = s.okr.target_rule
        manager_view = self.manager_view * (weeks_left / WEEKS_PER_QUARTER) + done
        if rule == "negotiated":
            ask = s.okr.assigned_stretch * manager_view
            target = own + s.okr.negotiation_pressure * (ask - own)
        elif rule == "assigned" and progress is None:
            target = s.okr.assigned_stretch * manager_view
        elif rule == "ratchet" and progress is None and self.quarter > 1:
            if s.okr.no_ratchet_commitment:
                target = own
            else:
                # the target moves from the employee's own towards last quarter's
                # reported output (Weitzman 1980's ratchet, strength α)
                target = own + s.okr.ratchet_strength * (self.last_reported - own)
        else:
            target = own
        wf.target[:] = np.maximum(target / wf.par, 1e-6)
        if progress is None:
            wf.expected[:] = expected

    def _manager_estimate(self) -> Array:
        """A manager's estimate of each report's quarterly output per KR.

        The manager knows what the employee knows of the past quarters (time on
        key results, help received, output lost to blockers) but judges
        capability from what it sees of the work: the truth with log-noise of
        sd ``0.3·(1 − judgment.accuracy)`` instead of the employee's
        self-assessment (the scale is an assumption).
        """
        s, wf = self.in_force, self.workforce
        noise_sd = 0.3 * (1.0 - s.judgment.accuracy)
        seen = wf.capability * np.exp(self.streams["audit"].normal(0.0, noise_sd, wf.n))
        own = seen * wf.kr_plan * (1.0 - self.overhead) * self.focus
        weekly = (own * (1.0 - wf.blocked_loss_belief) + wf.help_belief) / self.krs
        return (weekly * WEEKS_PER_QUARTER)[:, None] * np.ones((1, self.krs))

    def _relative_sd(self, weeks_left: int) -> float:
        """An employee's uncertainty about its quarter's output, relative to the mean.

        Weekly luck averages out over the weeks left; one's own capability
        estimate does not (its error is the self-knowledge sd); blockers add a
        spread of their own (assumption: ``3·severity·√(rate·weeks)/weeks``).
        """
        s = self.in_force
        weeks = max(weeks_left, 1)
        luck = s.behaviour.luck_sd / np.sqrt(weeks)
        blockers = s.env.blocker_severity * np.sqrt(s.env.blocker_rate * weeks) / weeks * 3.0
        return float(np.sqrt(luck**2 + s.behaviour.self_knowledge_sd**2 + blockers**2))

    def revise_targets(self) -> None:
        """Mid-quarter: where employees set their targets, they may re-state them.

        Assigned and ratcheted targets are the organisation's and stay; a
        self-set target is re-chosen given progress so far, a negotiated one
        re-blends the new offer with the manager's ask for the rest of the quarter.
        """
        wf = self.workforce
        if self.in_force.okr.target_rule in ("assigned", "ratchet"):
            return
        before = wf.target.copy()
        weeks_left = WEEKS_PER_QUARTER - (REVISION_WEEK + 1)
        # both sides see the reported progress, not the truth
        self.set_targets(progress=wf.reported.copy(), weeks_left=weeks_left)
        changed = np.abs(wf.target - before) > 0.05 * before
        self.tally["revisions"] += changed.sum(axis=1)

    # -- weekly exogenous draws ------------------------------------------------
    def draw_week(self) -> dict[str, Array]:
        """This week's exogenous draws, in fixed shapes whatever anyone chooses."""
        env, audit = self.streams["environment"], self.streams["audit"]
        n, k = self.workforce.n, self.krs
        luck = np.maximum(env.normal(1.0, self.in_force.behaviour.luck_sd, n), 0.0)
        return {
            "luck": luck,
            "onset": env.random((n, MAX_KRS))[:, :k],
            "resolve": env.random((n, MAX_KRS))[:, :k],
            "breakthrough": env.random(n),
            "audit": audit.random((n, MAX_KRS))[:, :k],
            "misperception": env.standard_normal((n, MAX_KRS))[:, :k],
        }

    # -- blockers -------------------------------------------------------------
    def blockers_appear(self, onset_u: Array) -> None:
        wf = self.workforce
        new = ~wf.blocked & (onset_u < self.in_force.env.blocker_rate)
        wf.blocked |= new
        wf.raised &= ~new
        wf.onset_week[new] = self.week

    def surface_blockers(self) -> None:
        """Each employee weighs raising each hidden blocker (expected-utility choice)."""
        s, wf, p = self.in_force, self.workforce, self.payoff
        hidden = wf.blocked & ~wf.raised
        wf.raise_gain[:] = 0.0
        if not hidden.any():
            return
        weeks_left = WEEKS_PER_QUARTER - self.week_in_quarter
        raised_rate = min(1.0, s.env.raised_resolve_rate + s.judgment.coach_help)
        saved_weeks = choices.expected_blocked_weeks(
            s.env.self_resolve_rate, weeks_left
        ) - choices.expected_blocked_weeks(raised_rate, weeks_left)
        weekly_output = (
            wf.capability_belief * wf.effort[:, 0] * (1.0 - self.overhead) * self.focus / self.krs
        )[:, None]
        output_saved = saved_weeks * s.env.blocker_severity * weekly_output
        value = self.per_output
        credit = (
            s.behaviour.extrinsic_weight
            * p.judged
            * (s.judgment.risk_weight - wf.bad_news_belief)
            / self.krs
        )
        gain = choices.raise_gain(
            output_saved,
            value,
            judged_credit=credit[:, None],
            inflation_option=wf.report_gain,
            mum_cost=wf.mum_cost[:, None],
        )
        wf.raise_gain[:] = np.where(hidden, gain, 0.0)
        delay = choices.delay_cost_weeks(s.env.self_resolve_rate, raised_rate, weeks_left)
        now = hidden & choices.raise_now(
            gain,
            cost=wf.report_gain + wf.mum_cost[:, None] - credit[:, None],
            delay_loss=delay * s.env.blocker_severity * weekly_output * value,
            self_rate=s.env.self_resolve_rate,
        )
        if now.any():
            wf.raised |= now
            self.latencies.append((self.week - wf.onset_week[now]).astype(float))
            self.tally["raises"] += now.sum(axis=1)

    # -- effort ---------------------------------------------------------------
    def _attainment_outlook(self, *, worked: bool = False) -> tuple[Array, Array]:
        """Each employee's expected final attainment per KR and its sd (as perceived).

        ``worked``: this week's work is done and counts as progress, not outlook.
        """
        wf = self.workforce
        weeks_left = WEEKS_PER_QUARTER - self.week_in_quarter - int(worked)
        weekly = self._weekly_forecast()
        target = wf.target * wf.par
        mu = (wf.progress * wf.perception[:, None] + weekly * weeks_left) / target
        sd = self._relative_sd(weeks_left) * weekly * weeks_left / target
        return mu, np.maximum(sd, 0.02)

    def _value_per_output(self) -> Array:
        """Rating-equivalent utility of one more unit of output on each KR, shape (n, k).

        Formula: ``c·f'(A)/(K·T)`` for one's own score; under team evaluation
        the team's mean attainment's marginal, diluted over the team; under
        relative evaluation the rank's slope; less the ratchet's claw-back of
        next quarter's score.  Judgment: the contribution share.  Intrinsic:
        the value created, plus the goal's pull (Heath, Larrick & Wu 1999).
        """
        s, wf, p = self.in_force, self.workforce, self.payoff
        x = s.behaviour.extrinsic_weight
        # Goal-directed work is valued as if it were aligned with strategy: without
        # shared OKRs nobody can tell which of it is (the "motion without outcomes"
        # claim; assumption), so only its true value falls.
        align = s.env.alignment
        judged = p.judged * p.contribution_weight * align / self.value_scale
        intrinsic = wf.intrinsic[:, None] * align / self.value_scale
        if not s.okr.enabled:
            return x * judged + intrinsic * np.ones((1, self.krs))
        mu, sd = self.outlook
        per_unit = 1.0 / (self.krs * wf.target * wf.par)
        formula = np.zeros_like(mu)
        if p.coupling > 0:
            mu_rep = mu + wf.shading
            own_weight = 1.0 - p.team_weight
            if own_weight > 0:
                formula += own_weight * choices.formula_marginal(p.curve, mu_rep, sd)
            if p.team_weight > 0:
                team_mean = self._team_mean(mu_rep.mean(axis=1))[:, None]
                team_sd = sd / np.sqrt(self.team_size)
                formula += (
                    p.team_weight
                    * choices.formula_marginal(p.curve, team_mean, team_sd)
                    / self.team_size
                )
            if p.ratchet_strength > 0:
                formula -= self._ratchet_claw_back()
        extrinsic = (p.coupling * formula + p.judged * p.context_weight) * per_unit + judged
        # The goal's pull is over output relative to the target, Y − T (Heath,
        # Larrick & Wu 1999), in units of one's expected output: an easy target
        # does not make each unit of output count for more.
        pull = (
            s.behaviour.goal_pull
            * choices.goal_pull(mu, sd, loss_aversion=s.behaviour.loss_aversion)
            * wf.intrinsic[:, None]
            / (self.krs * wf.expected)
            * wf.par  # an aspirational goal pulls less: falling short is expected
        )
        return x * extrinsic + intrinsic + pull

    def _ratchet_claw_back(self) -> Array:
        """Next quarter's formula score lost per unit of attainment reported now, shape (n, 1).

        A ratchet moves next quarter's target by ``α`` of what is reported, so
        each unit reported costs ``α·f'`` at next quarter's target, weighed
        with a whole quarter's uncertainty (as believed: the ratchet belief).
        """
        p, wf = self.payoff, self.workforce
        next_sd = self._relative_sd(WEEKS_PER_QUARTER)
        marginal = choices.formula_marginal(p.curve, 1.0, next_sd)
        return p.ratchet_strength * wf.ratchet_belief[:, None] * marginal

    def allocate_effort(self) -> None:
        """Each employee splits its week to maximise its perceived payoff.

        An activity's weight is its believed marginal utility at the agent's
        own productivity: extrinsic (formula and judgment, as the policy
        defines them, times ``behaviour.extrinsic_weight``) plus intrinsic
        (the true value it creates; for help also the prosocial value).  Key-
        result work is linear; the others saturate (:func:`choices.effort_shares`).
        """
        s, wf, p = self.in_force, self.workforce, self.payoff
        env = s.env
        x = s.behaviour.extrinsic_weight
        # Juggling many key results costs focus on everything one does.
        c_hat = wf.capability_belief * self.focus
        stall = 1.0 - env.blocker_severity * wf.blocked
        w_kr = c_hat * (self.per_output * stall).mean(axis=1)
        value_motive = x * p.judged * p.contribution_weight + wf.intrinsic
        # Non-OKR work: what is needed this week (demand + backlog) saturates it;
        # neglect turns into backlog that causes incidents.
        w_bau = value_motive * c_hat * (env.bau_value + env.incident_cost) / self.value_scale
        s_bau = (env.bau_demand + wf.backlog) / c_hat
        # Help: value to colleagues, judged credit, and the formula's view of
        # colleagues' results (a gain under team evaluation, a loss under ranking).
        w_help = (
            (value_motive + wf.prosociality) * c_hat * env.help_value / self.value_scale
            + x * p.judged * p.help_weight * c_hat / self.help_scale
            + x * p.coupling * self._formula_value_of_help()
        )
        s_help = np.full(wf.n, env.help_saturation)
        # Exploration: rare breakthroughs, the first ideas the most promising; risky,
        # so discounted by risk aversion (assumption).
        payoff_explore = env.breakthrough_rate * env.breakthrough_value / env.exploration_scale
        w_explore = value_motive * payoff_explore / ((1.0 + wf.risk_aversion) * self.value_scale)
        s_explore = np.full(wf.n, env.exploration_scale)
        weights = np.stack([w_bau, w_help, w_explore], axis=1)
        wf.weights[:] = np.column_stack([w_kr, weights])
        wf.effort[:] = choices.effort_shares(
            w_kr, weights, np.stack([s_bau, s_help, s_explore], axis=1)
        )

    def _formula_value_of_help(self) -> Array:
        """Formula score per unit of help: team gain minus rank loss (0 for own attainment)."""
        s, wf, p = self.in_force, self.workforce, self.payoff
        if not s.okr.enabled or p.coupling == 0 or (p.team_weight == 0 and p.rank_weight == 0):
            return np.zeros(wf.n)
        mu, sd = self.outlook
        mu_rep = (mu + wf.shading).mean(axis=1)
        target = (wf.target * wf.par).mean(axis=1)
        # a colleague's attainment rises by help's value over their key results' targets
        lift = wf.capability_belief * s.env.help_value / (self.krs * target)
        spread = sd.mean(axis=1)
        # lifting a colleague moves the peers one is ranked against
        rank_loss = p.curve.marginal(mu_rep, spread) * lift / (self.team_size - 1)
        team_mean = self._team_mean(mu_rep)
        team_gain = (
            choices.formula_marginal(p.curve, team_mean, spread / np.sqrt(self.team_size))
            * lift
            / self.team_size
        )
        return p.team_weight * team_gain - p.rank_weight * rank_loss

    def _alignment(self) -> float:
        s = self.in_force
        return s.env.alignment if s.okr.enabled else s.env.unaligned_alignment

    def _team_mean(self, x: Array) -> Array:
        sums = np.bincount(self.workforce.team, weights=x, minlength=self.n_teams)
        return (sums / self.team_size)[self.workforce.team]

    # -- work: the ground truth ---------------------------------------------------
    def work(self, draws: dict[str, Array]) -> None:
        """The week's ground truth: output, help, non-OKR work, breakthroughs, blockers."""
        s, wf, env = self.in_force, self.workforce, self.in_force.env
        overhead = self.overhead + self._negotiation_hours()
        self.tally["overhead"] += overhead
        self.tally["effort"] += wf.effort
        k, bau, help_, explore = (wf.effort * (1.0 - overhead)).T
        productivity = wf.capability * draws["luck"] * self.focus
        if env.shock_quarter == self.quarter:
            productivity = productivity * (1.0 - env.shock_size)
        # A KR that needs an upstream team's result stalls while that team is behind.
        dep_blocked = self._dependency_blocked()
        self.tally["dependency_weeks"] += dep_blocked.sum(axis=1)
        stall = 1.0 - env.blocker_severity * np.maximum(wf.blocked, dep_blocked)
        # Help: each teammate receives an equal part of the team's help; its value
        # saturates (help_value·sat·(1 − e^{−r/sat})).
        help_out = productivity * help_
        received = (self._team_mean(help_out) * self.team_size - help_out) / (self.team_size - 1)
        boost = env.help_value * env.help_saturation * -np.expm1(-received / env.help_saturation)
        own_kr = productivity * k
        self.tally["kr_own"] += own_kr
        self.tally["kr_effort"] += k * self.focus
        kr_out = (own_kr / self.krs)[:, None] * stall
        self.tally["kr_stalled"] += kr_out.sum(axis=1)
        kr_out = kr_out + (boost / self.krs)[:, None]
        wf.progress += kr_out
        # Non-OKR work meets the most urgent needs first; the rest becomes backlog,
        # and backlog causes incidents (Holmström & Milgrom's unmeasured task).
        need = env.bau_demand + wf.backlog
        done = productivity * bau
        wf.bau_done[:] = done
        met = need * -np.expm1(-done / np.maximum(need, 1e-9))
        wf.backlog[:] = (need - met) * (1.0 - env.backlog_decay)
        incidents = env.incident_cost * wf.backlog
        # Exploration: an exogenous uniform against a choice-driven hazard.
        hazard = env.breakthrough_rate * -np.expm1(-explore / env.exploration_scale)
        breakthrough = draws["breakthrough"] < hazard
        # Blockers clear: raised ones faster (the manager's coaching, colleagues' help).
        rate = np.where(
            wf.raised,
            env.raised_resolve_rate + s.judgment.coach_help + np.minimum(received, 1.0)[:, None],
            env.self_resolve_rate,
        )
        cleared = wf.blocked & (draws["resolve"] < rate)
        never_raised = cleared & ~wf.raised
        if never_raised.any():
            self.latencies.append((self.week + 1 - wf.onset_week[never_raised]).astype(float))
        self.tally["hidden_weeks"] += (wf.blocked & ~wf.raised).sum()
        self.tally["blocked_weeks"] += wf.blocked.sum()
        wf.blocked &= ~cleared
        wf.raised &= wf.blocked
        # Value created this week, and each employee's own contribution to it
        # (help is credited to the helpers, pro rata within the team).
        align = self._alignment()
        value = (
            align * kr_out.sum(axis=1)
            + env.bau_value * met
            - incidents
            + align * env.breakthrough_value * breakthrough
        )
        # A breakthrough is luck; the contribution is the exploration's expected value.
        contribution = (
            value
            - align * boost
            + align * self._share_back(help_out, boost)
            + align * env.breakthrough_value * (hazard - breakthrough)
        )
        t = self.tally
        t["kr_output"] += kr_out.sum(axis=1)
        t["value"] += value
        t["contribution"] += contribution
        t["help_given"] += help_out
        t["help_received"] += boost
        t["incidents"] += incidents
        t["breakthroughs"] += breakthrough
        self._week_value = value

    def update_stress(self) -> None:
        """Stress: pay at risk times the chance of missing, plus overhead (assumption)."""
        wf = self.workforce
        overhead = self.overhead + self._negotiation_hours()
        if self.in_force.okr.enabled:
            mu, sd = self.outlook
            miss = ndtr((1.0 - mu) / sd).mean(axis=1)  # the chance of missing the target
        else:
            miss = np.zeros(wf.n)
        pressure = self.payoff.coupling * miss * (1.0 + wf.risk_aversion) / 2.0 + overhead
        wf.stress[:] = STRESS_MEMORY * wf.stress + (1.0 - STRESS_MEMORY) * np.clip(
            pressure, 0.0, 1.0
        )

    def _share_back(self, given: Array, received_value: Array) -> Array:
        """Credit each helper with the value its help created, pro rata within its team."""
        team = self.workforce.team
        total_given = np.bincount(team, weights=given, minlength=self.n_teams)
        total_value = np.bincount(team, weights=received_value, minlength=self.n_teams)
        rate = np.divide(
            total_value, total_given, out=np.zeros(self.n_teams), where=total_given > 0
        )
        return given * rate[team]

    def _dependency_blocked(self) -> Array:
        """Key results stalled this week because the colleague they depend on is blocked.

        Each employee of a dependent team relies on the colleague in the same
        position of the upstream team: its first key result (and any key result
        shared with that team) stalls while that colleague's first key result is
        blocked — hidden blockers upstream spread delay downstream.
        """
        wf = self.workforce
        out = np.zeros((wf.n, self.krs), dtype=bool)
        has = self.supplier >= 0
        if not has.any():
            return out
        upstream_blocked = np.where(has, wf.blocked[np.maximum(self.supplier, 0), 0], False)
        out[:, 0] = upstream_blocked
        return out | (self.shared & upstream_blocked[:, None])

    # -- check-in ---------------------------------------------------------------
    def check_in(self, audit_u: Array, misperception: Array) -> None:
        """Weekly check-in: each employee reports; managers audit some reports.

        An employee sees its own progress through a lasting bias of its own and
        this week's misjudgement, so even an honest report can be off either
        way; shading comes on top.  The misjudgement (log-sd
        ``behaviour.progress_noise_sd`` at the start) shrinks as the work nears
        its end and becomes visible, ``√(weeks left / 13)`` (assumption).
        """
        s, wf, p = self.in_force, self.workforce, self.payoff
        visible = np.sqrt((WEEKS_PER_QUARTER - self.week_in_quarter) / WEEKS_PER_QUARTER)
        noise = s.behaviour.progress_noise_sd * visible * misperception
        perceived = wf.progress * wf.perception[:, None] * np.exp(noise)
        if not s.okr.enabled:
            wf.reported[:] = perceived
            wf.shading[:] = 0.0
            wf.report_gain[:] = 0.0
            self.reported_status[:] = metrics.NO_TARGET
            self.true_status[:] = metrics.NO_TARGET
            self.tally["reports"] += self.krs
            return
        mu, sd = self.outlook
        target = wf.target * wf.par
        weeks_left = WEEKS_PER_QUARTER - self.week_in_quarter - 1
        catch = 1.0 - (1.0 - wf.audit_belief[:, None]) ** max(weeks_left, 1)
        formula_share = p.coupling * p.own_share / self.krs
        judged_per_attainment = p.judged * p.context_weight / self.krs
        ratchet: Array | float = 0.0
        if p.coupling * p.ratchet_strength > 0:
            ratchet = p.coupling * self._ratchet_claw_back() / self.krs
        # A red status is bad news: the shading below which this week's report
        # shows red, and what the employee believes red costs in judgment.
        pace_share = (self.week_in_quarter + 1) / WEEKS_PER_QUARTER
        red_below = metrics.RED - perceived / (target * pace_share)
        red_penalty = p.judged * wf.bad_news_belief[:, None] / (WEEKS_PER_QUARTER * self.krs)
        stakes = choices.ReportStakes(
            formula_share=formula_share,
            judged_per_attainment=judged_per_attainment,
            catch_probability=catch,
            ratchet_per_attainment=ratchet,
            extrinsic=s.behaviour.extrinsic_weight,
            honesty_cost=wf.honesty[:, None],
            red_below=red_below,
            red_penalty=red_penalty,
        )
        shading, gain = choices.choose_shading(mu, sd, payoff=p, stakes=stakes)
        on_record = wf.raised | wf.exposed
        wf.shading[:] = np.where(on_record, 0.0, shading)
        wf.report_gain[:] = np.where(on_record, 0.0, gain)
        slant = wf.shading * target * pace_share
        wf.reported[:] = np.where(on_record, wf.progress, np.maximum(perceived + slant, 0.0))
        # Audits: a checked report that overstates the truth is corrected and marked.
        audited = audit_u < s.judgment.audit_probability
        self.tally["audits"] += audited.sum(axis=1)
        caught = audited & (wf.reported - wf.progress > AUDIT_TOLERANCE * target)
        if caught.any():
            excess = np.where(caught, (wf.reported - wf.progress) / target, 0.0)
            self.tally["caught"] += excess.sum(axis=1)
            wf.exposed |= caught
            wf.reported[:] = np.where(caught, wf.progress, wf.reported)
        # Statuses against pace: reported vs true, for watermelons and bias.
        pace = target * (self.week_in_quarter + 1) / WEEKS_PER_QUARTER
        true_ratio = wf.progress / pace
        rep_ratio = wf.reported / pace
        self.reported_status[:] = metrics.status_codes(rep_ratio)
        self.true_status[:] = metrics.status_codes(true_ratio)
        self.tally["red_reports"] += (self.reported_status == metrics.OFF_TRACK).sum(axis=1)
        if self.week_in_quarter >= LATE_WEEK:
            # effort once a target is met (the ratchet's restraint), and how hidden
            # blockers look in reports against the truth (the 90 % syndrome)
            ahead = (wf.reported >= target).all(axis=1)
            self.tally["late_ahead_kr"] += np.where(ahead, wf.effort[:, 0], 0.0)
            self.tally["late_ahead_weeks"] += ahead
            hidden = wf.blocked & ~wf.raised
            self.tally["hidden_reported"] += (wf.reported / target)[hidden].sum()
            self.tally["hidden_true"] += (wf.progress / target)[hidden].sum()
            self.tally["hidden_seen"] += hidden.sum()
        bias = (wf.reported - wf.progress) / target
        self.tally["bias"] += bias.mean(axis=1)
        biased = np.abs(wf.reported - wf.progress) > BIAS_TOLERANCE * np.maximum(wf.progress, 1e-9)
        # Snow & Keil (2002) separate *error* (misjudging one's status) from *bias*
        # (slanting the status one perceives): a slant is a report that departs
        # from the employee's own perception by more than the same tolerance.
        slanted = np.abs(slant) > BIAS_TOLERANCE * np.maximum(perceived, 1e-9)
        self.tally["slanted_reports"] += slanted.sum(axis=1)
        self.tally["biased_reports"] += biased.sum(axis=1)
        self.tally["optimistic_reports"] += (biased & (wf.reported > wf.progress)).sum(axis=1)
        self.tally["reports"] += self.krs

    # -- quarter end --------------------------------------------------------------
    def end_quarter(self) -> None:
        s, wf, p = self.in_force, self.workforce, self.payoff
        t = self.tally
        n = wf.n
        if s.okr.enabled:
            target = wf.target * wf.par
            measured = wf.reported / target
            true_att = wf.progress / target
            team_measured = (
                np.bincount(wf.team, weights=measured.mean(axis=1), minlength=self.n_teams)
                / self.team_size
            )
            shared_partner = team_measured[np.maximum(self.upstream[wf.team], 0)]
            # A shared key result is graded on both owners' results.
            graded = np.where(self.shared, 0.5 * measured + 0.5 * shared_partner[:, None], measured)
            own_score = self.absolute_curve(graded).mean(axis=1)
            team_score = self.absolute_curve(self._team_mean(graded.mean(axis=1)))
            if p.rank_weight > 0:
                score = forced_distribution(graded.mean(axis=1), wf.team)
            elif p.team_weight > 0:
                score = team_score
            else:
                score = own_score
        else:
            measured = true_att = np.full((n, self.krs), np.nan)
            score = np.zeros(n)
        # Judgment: the manager sees true contribution (exploration by its promise,
        # not its luck) through observation noise whose sd is half of (1 − accuracy)
        # of the mean contribution (idiosyncratic rater effects are large; Scullen,
        # Mount & Goff 2000; the scale is an assumption).
        mean_contribution = max(float(t["contribution"].mean()), 1e-9)
        noise = self.streams["audit"].normal(0.0, 0.5 * (1.0 - p.accuracy), n)
        seen = t["contribution"] + noise * mean_contribution
        mean_help = max(float(t["help_given"].mean()), 1e-9)
        # ambition as the manager sees it: the target against the manager's estimate
        tau = np.nan_to_num(wf.target * wf.par / self.manager_view, nan=1.0).mean(axis=1)
        shortfall = np.nan_to_num(np.maximum(1.0 - measured, 0.0)).mean(axis=1)
        bad_news = t["raises"] + t["red_reports"] / WEEKS_PER_QUARTER
        judged = (
            p.contribution_weight * seen / mean_contribution
            + p.help_weight * t["help_given"] / mean_help
            + (p.risk_weight * t["raises"] - s.judgment.blocker_penalty * bad_news) / self.krs
            + p.ambition_weight * ((tau - 1.0) - (1.0 - p.failure_tolerance) * shortfall)
            + p.context_weight * np.nan_to_num(measured.mean(axis=1))
            - p.inflation_penalty * t["caught"]  # the judged part bears it
        )
        # Annual reviews settle on the year's mean score and judgment.
        self.year_scores.append(score)
        self.year_judged.append(judged)
        settle = (
            s.comp.review_cadence == "quarterly"
            or self.quarter % 4 == 0
            or self.quarter == self.n_quarters
        )
        if settle:
            ratings = rating(
                np.mean(self.year_scores, axis=0),
                np.mean(self.year_judged, axis=0),
                coupling=p.coupling,
            )
            self.year_scores, self.year_judged = [], []
            self.last_rating = ratings
        else:
            ratings = self.last_rating
        self.record_quarter(measured, true_att, score, judged, ratings)
        # Ratchet: the organisation keeps last quarter's reported output for the rule.
        self.last_reported = wf.reported.copy()
        self.learn()
        self.imitate(ratings, settled=settle)
        self.develop()
        # Public figures for next quarter's weighing.
        if s.okr.enabled:
            # ranks are by each employee's mean attainment: its spread is what
            # one is ranked against
            per_person = measured.mean(axis=1)
            self.peer_attainment = (float(per_person.mean()), max(float(per_person.std()), 0.02))
        self.value_scale = max(float(t["contribution"].mean()), 1.0)
        self.help_scale = max(float(t["help_given"].mean()), 0.05)

    def learn(self) -> None:
        """Beliefs move towards what each employee saw this quarter.

        * audit belief → the share of the team's reports the manager checked;
        * bad news → the mark the manager put on the team's raised blockers and
          red reports, seen only when a teammate brought bad news (if nobody
          does, the fear stays: Tesser & Rosen 1975's MUM effect feeds itself);
        * ratchet belief → whether the organisation ratcheted this quarter;
        * own work → planned key-result share, help received, output lost to
          blockers, and capability (seen regressively, Moore & Healy 2008).
        """
        s, wf = self.in_force, self.workforce
        eta = s.behaviour.learning_rate
        t = self.tally

        def toward(belief: Array, seen: Array | float, where: Array | bool = True) -> None:
            belief[:] = np.where(where, (1 - eta) * belief + eta * seen, belief)

        news = t["raises"] + t["red_reports"]
        team_news = np.bincount(wf.team, weights=news, minlength=self.n_teams)[wf.team]
        toward(wf.bad_news_belief, s.judgment.blocker_penalty, team_news > 0)
        team_audits = np.bincount(wf.team, weights=t["audits"], minlength=self.n_teams)
        team_reports = np.bincount(wf.team, weights=t["reports"], minlength=self.n_teams)
        seen_rate = (team_audits / np.maximum(team_reports, 1.0))[wf.team]
        toward(wf.audit_belief, seen_rate, team_reports[wf.team] > 0)
        ratcheted = s.okr.enabled and s.okr.target_rule == "ratchet"
        toward(wf.ratchet_belief, float(ratcheted and not s.okr.no_ratchet_commitment))
        toward(wf.kr_plan, t["effort"][:, 0] / WEEKS_PER_QUARTER)
        toward(wf.help_belief, t["help_received"] / WEEKS_PER_QUARTER)
        loss = 1.0 - t["kr_stalled"] / np.maximum(t["kr_own"], 1e-9)
        toward(wf.blocked_loss_belief, loss, t["kr_own"] > 0)
        observed = t["kr_own"] / np.maximum(t["kr_effort"], 1e-9)
        seen = regressive(observed, s.behaviour.self_assessment_regression)
        toward(wf.capability_belief, seen, t["kr_effort"] > 0.5)

    def imitate(self, ratings: Array, *, settled: bool) -> None:
        """Some copy a better-rated teammate's habits (Braganza 2022's selection on the proxy).

        With probability ``imitation_probability`` an employee looks at a random
        teammate and, if that teammate was rated higher at the last review,
        copies its honesty habit and its beliefs about audits and bad news.
        The draws are made every quarter (fixed shapes) and used at reviews.
        """
        s, wf = self.in_force, self.workforce
        rng = self.streams["decisions"]
        imitate_u = rng.random(wf.n)
        offset = rng.integers(1, self.team_size, wf.n)
        if not settled:
            return
        position = (np.arange(wf.n) % self.team_size + offset) % self.team_size
        peer = wf.team * self.team_size + position
        copy = (imitate_u < s.behaviour.imitation_probability) & (ratings[peer] > ratings)
        for arr in (wf.honesty, wf.audit_belief, wf.bad_news_belief):
            arr[:] = np.where(copy, arr[peer], arr)

    def develop(self) -> None:
        """Capability grows with exploration and erodes under sustained stress (assumption)."""
        s, wf = self.in_force, self.workforce
        explore = self.tally["effort"][:, 3] / WEEKS_PER_QUARTER
        growth = s.env.capability_growth * explore - s.env.pressure_erosion * wf.stress
        wf.capability *= 1.0 + growth
        wf.capability_belief *= 1.0 + growth

    # -- records -------------------------------------------------------------------
    def record_week(self) -> None:
        wf = self.workforce
        target = wf.target * wf.par
        week_fraction = (self.week_in_quarter or WEEKS_PER_QUARTER) / WEEKS_PER_QUARTER
        sandbagging = _sandbagging(target, wf.expected)
        row = {
            "week": self.week,
            "quarter": self.quarter,
            "sandbagging_index": _nanmean(sandbagging),
            "true_value": float(self._week_value.mean()),
            "reported_progress": _nanmean(wf.reported / target),
            "true_progress": _nanmean(wf.progress / target),
            "expected_progress": week_fraction,
            "help_share": float(wf.effort[:, 2].mean()),
            "bau_share": float(wf.effort[:, 1].mean()),
            "exploration_share": float(wf.effort[:, 3].mean()),
            "kr_share": float(wf.effort[:, 0].mean()),
            "blocked_share": float(wf.blocked.mean()),
            "hidden_blocker_share": float(
                (wf.blocked & ~wf.raised).sum() / max(wf.blocked.sum(), 1)
            ),
            "watermelon_share": float(
                metrics.watermelons(self.reported_status, self.true_status).mean()
            ),
            "stress": float(wf.stress.mean()),
            "incident_backlog": float(wf.backlog.mean()),
        }
        self.week_row = row
        self.datacollector.collect(self)

    def record_quarter(
        self, measured: Array, true_att: Array, score: Array, judged: Array, ratings: Array
    ) -> None:
        wf, t = self.workforce, self.tally
        enabled = self.in_force.okr.enabled
        target = wf.target * wf.par
        frame = metrics.employee_quarter(
            self.quarter,
            {
                "team": wf.team,
                "target": target.sum(axis=1),
                "expected_output": wf.expected.sum(axis=1),
                "sandbagging_index": _sandbagging(target, wf.expected),
                "true_output": wf.progress.sum(axis=1),
                "reported_output": wf.reported.sum(axis=1),
                "attainment": np.nanmean(measured, axis=1) if enabled else measured[:, 0],
                "true_attainment": np.nanmean(true_att, axis=1) if enabled else true_att[:, 0],
                "score": score,
                "judged": judged,
                "rating": ratings,
                "true_contribution": t["contribution"],
                "value_delivered": t["value"],
                "kr_output": t["kr_output"],
                "aligned_output": self._alignment() * t["kr_output"],
                "kr_share": t["effort"][:, 0] / WEEKS_PER_QUARTER,
                "bau_share": t["effort"][:, 1] / WEEKS_PER_QUARTER,
                "help_share": t["effort"][:, 2] / WEEKS_PER_QUARTER,
                "exploration_share": t["effort"][:, 3] / WEEKS_PER_QUARTER,
                "kr_share_when_ahead": np.divide(
                    t["late_ahead_kr"],
                    t["late_ahead_weeks"],
                    out=np.full(wf.n, np.nan),
                    where=t["late_ahead_weeks"] > 0,
                ),
                "target_error": np.abs(measured - 1.0).mean(axis=1),
                "just_met_share": np.where(
                    np.isfinite(measured), (measured >= 1.0) & (measured < 1.1), np.nan
                ).mean(axis=1),
                "help_given": t["help_given"],
                "help_received": t["help_received"],
                "raises": t["raises"],
                "incidents": t["incidents"],
                "breakthroughs": t["breakthroughs"],
                "stress": wf.stress,
                "capability": wf.capability,
                "biased_reports": t["biased_reports"],
                "optimistic_reports": t["optimistic_reports"],
                "slanted_reports": t["slanted_reports"],
                "reports": t["reports"],
                "reporting_bias": t["bias"] / WEEKS_PER_QUARTER,
                "target_revisions": t["revisions"],
                "dependency_delay_weeks": t["dependency_weeks"],
                "overhead_share": t["overhead"] / WEEKS_PER_QUARTER,
            },
        )
        self.employee_frames.append(frame)
        latencies = np.concatenate(self.latencies) if self.latencies else np.array([])
        weeks = {
            name: np.asarray(values[-WEEKS_PER_QUARTER:])
            for name, values in self.datacollector.model_vars.items()
        }
        self.quarter_rows.append(
            metrics.quarter_metrics(
                frame,
                weekly=weeks,
                latencies=latencies,
                hidden_weeks=float(t["hidden_weeks"][0]),
                blocked_weeks=float(t["blocked_weeks"][0]),
                krs=self.krs,
                hidden_reported=_ratio(t["hidden_reported"][0], t["hidden_seen"][0]),
                hidden_true=_ratio(t["hidden_true"][0], t["hidden_seen"][0]),
            )
        )

    # -- results -------------------------------------------------------------------
    def weekly_frame(self) -> pd.DataFrame:
        """The weekly model series Mesa's DataCollector gathered, one row per week."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def quarterly_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.quarter_rows)

    def employee_frame(self) -> pd.DataFrame:
        if not self.employee_frames:
            return pd.DataFrame()
        return pd.concat(self.employee_frames, ignore_index=True)
