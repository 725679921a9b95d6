"""The reference model: docs/ODD.md's organisation, one Mesa agent per person.

``ReferenceModel.step`` is one week in the order of ODD §3; each phase is a
verb that every employee (or manager) carries out through ``AgentSet.do``.
It is written for reading, straight from the ODD, and is docked against the
vectorised model (:mod:`okrsim.model`) in tests/test_docking.py (docs/ODD.md
§12, "Verification: docking").  Small organisations only: it loops over people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mesa
import networkx as nx
import numpy as np
from scipy.special import expit, logit

from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.params import Assumptions, Scenario, ScenarioError
from okrsim.reference import payoffs as pay
from okrsim.reference.agents import Employee, Manager
from okrsim.reference.evidence import Evidence, reliability
from okrsim.reference.terms import Terms
from okrsim.seeding import SeedLike, streams

#: Most employees the reference model runs: it is for reading and docking, not for speed.
MAX_EMPLOYEES = 200
#: Key results per person drawn for, whatever K (ODD §4.9).
MAX_KRS = 8
#: The week (0-based) after whose check-in targets may be revised (ODD §7.3).
REVISION_WEEK = 6


@dataclass
class Public:
    """Figures everyone knows, refreshed at each review (ODD §2.2, §7.8)."""

    value_scale: float
    help_scale: float
    peers: tuple[float, float]  # mean and sd of measured attainment (rank curve)
    seen_weight: float = 1.0
    reported_weight: float = 0.0
    judged_sd: float = 0.0

    @classmethod
    def prior(cls, a: Assumptions) -> Public:
        """Before the first review: the assumptions' typical contribution and help per week,
        and peers at target with the assumed spread (ODD §5)."""
        return cls(
            value_scale=W * a.value_scale_prior,
            help_scale=W * a.help_scale_prior,
            peers=(1.0, a.peer_attainment_sd_prior),
        )


def refuse(scenario: Scenario) -> None:
    """Stop, naming the keys, where a scenario is beyond what the reference implements.

    It runs at most :data:`MAX_EMPLOYEES` people, and only the optimising
    decision rule (ODD §7.15): learning and satisficing are docked elsewhere
    or not at all (ODD §12).
    """
    s = scenario
    n = s.org.n_teams * s.org.team_size
    if n > MAX_EMPLOYEES:
        raise ScenarioError(
            f"reference: org.n_teams × org.team_size = {n}: the reference model runs at most "
            f"{MAX_EMPLOYEES} employees"
        )
    rule = s.behaviour.decision_rule
    if rule != "optimise":
        raise ScenarioError(
            f"reference: behaviour.decision_rule = {rule!r}: the reference model implements "
            "only 'optimise'"
        )


class ReferenceModel(mesa.Model):
    """An organisation running OKRs, one ``Employee`` agent per seat (docs/ODD.md).

    ``employee_type`` lets a test run a deliberately altered employee (docking).
    """

    def __init__(
        self, scenario: Scenario, seed: SeedLike = 0, *, employee_type: type[Employee] = Employee
    ) -> None:
        refuse(scenario)
        self.streams = streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self.base = scenario
        self.in_force = scenario.at_quarter(1)
        self.public = Public.prior(scenario.assumptions)
        self.terms = Terms.read(self.in_force, self.public.peers)
        s, n_t, size = scenario, scenario.org.n_teams, scenario.org.team_size
        n = n_t * size
        people = self.draw_people(self.streams["workforce"], n)
        env = self.streams["environment"]
        # which team depends on which: each dependent team relies on one upstream team
        graph = nx.fast_gnp_random_graph(n_t, s.org.dependency_density, directed=True, seed=env)
        upstream: list[int | None] = []
        for t in range(n_t):
            ups = sorted(graph.predecessors(t))
            upstream.append(ups[int(env.integers(len(ups)))] if ups else None)
        shared = env.random((n, MAX_KRS))[:, : self.terms.krs] < s.org.shared_kr_share
        aspirational = env.random((n, MAX_KRS))[:, : self.terms.krs] < s.okr.aspirational_share
        errors = env.normal(0.0, 1.0, n_t) * s.env.priority_drift
        leniency = self.streams["audit"].normal(0.0, s.judgment.leniency_sd, n_t)
        self.managers = [Manager(self, t, float(leniency[t])) for t in range(n_t)]
        self.employees: list[Employee] = []
        for seat in range(n):
            e = employee_type(self, seat, seat // size, people[seat])
            self.employees.append(e)
            self.managers[seat // size].members.append(e)
        for manager, error in zip(self.managers, errors, strict=True):
            manager.priority_error = float(error)
            manager.upstream = upstream[manager.team]
        for e in self.employees:
            up = upstream[e.team]
            if up is not None:  # the colleague in the same position upstream
                e.supplier = self.employees[up * size + e.seat % size]
                e.shared = [bool(x) for x in shared[e.seat]]
        self.aspirational = aspirational.tolist()
        self.employee_type = employee_type
        self.week = self.quarter = 0
        self.statement: dict[str, float] | None = None
        self.last_reported: list[list[float]] | None = None
        self.last_rating = [1.0] * n
        self.scores: list[list[float]] = []
        self.judged: list[list[float]] = []
        self.alignment = [0.0] * n_t
        self.draws: dict[str, Any] = {}
        # what each saw in its team at the last quarter's end, by seat
        self.observations: dict[int, dict[str, tuple[float, bool]]] = {}
        self.quarter_rows: list[dict[str, float]] = []

    @property
    def week_in_quarter(self) -> int:
        return self.week % W

    def staff(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[self.employee_type]

    # -- the schedule (ODD §3) --------------------------------------------------------------
    def step(self) -> None:
        """One week."""
        staff, managers = self.staff(), self.agents_by_type[Manager]
        if self.week_in_quarter == 0:
            self.start_quarter()
        self.draw_week()
        self.hidden_weeks = self.blocked_weeks = 0
        staff.do("meet_blockers")
        staff.do("plan")
        staff.do("price_output")
        staff.do("surface")
        staff.do("allocate")
        staff.do("work")
        managers.do("share_help")
        if self.terms.okrs and self.week_in_quarter == W - 1:
            staff.do("book")
        staff.do("feel_stress")
        staff.do("report")
        managers.do("audit")
        staff.do("close_check_in")
        if self.in_force.okr.revision_allowed and self.week_in_quarter == REVISION_WEEK:
            managers.do("hear_revisions")
        self.quarter_hidden += self.hidden_weeks
        self.quarter_blocked += self.blocked_weeks
        self.week += 1
        if self.week_in_quarter == 0:
            self.end_quarter()
            if self.quarter >= self.base.horizon.quarters:
                self.running = False

    def run(self) -> list[dict[str, float]]:
        """The whole horizon; returns one row of outcomes per quarter."""
        while self.running:
            self.step()
        return self.quarter_rows

    def draw_week(self) -> None:
        """The week's exogenous draws, in fixed shapes whatever anyone chooses (ODD §4.9)."""
        env, audit = self.streams["environment"], self.streams["audit"]
        n, k = len(self.employees), self.terms.krs
        luck = np.maximum(env.normal(1.0, self.in_force.behaviour.luck_sd, n), 0.0)
        self.draws = {
            "luck": luck.tolist(),
            "onset": env.random((n, MAX_KRS))[:, :k].tolist(),
            "resolve": env.random((n, MAX_KRS))[:, :k].tolist(),
            "breakthrough": env.random(n).tolist(),
            "audit": audit.random((n, MAX_KRS))[:, :k].tolist(),
            "misperception": env.standard_normal((n, MAX_KRS))[:, :k].tolist(),
        }

    def draw_people(self, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
        """n people's traits, in the order of ODD §4.9's workforce stream (§2.2's distributions)."""
        b, a = self.base.behaviour, self.base.assumptions

        def lognormal(mean: float, log_sd: float) -> np.ndarray:
            return mean * np.exp(rng.normal(-0.5 * log_sd**2, log_sd, n))

        columns = {
            "capability": lognormal(1.0, b.capability_sd),
            "knowledge_error": rng.normal(0.0, b.self_knowledge_sd, n),
            "perception": np.exp(rng.normal(0.0, a.perception_share * b.self_knowledge_sd, n)),
            "risk_aversion": lognormal(b.risk_aversion_mean, a.risk_aversion_log_sd),
            "honesty_trait": lognormal(b.honesty_cost_mean, a.honesty_cost_log_sd),
            "intrinsic": lognormal(b.intrinsic_motivation_mean, a.intrinsic_motivation_log_sd),
            "prosociality": lognormal(b.prosociality_mean, a.prosociality_log_sd),
            "mum_cost": lognormal(b.mum_cost_mean, a.mum_cost_log_sd),
            "effort_cost": lognormal(b.effort_cost_mean, a.effort_cost_log_sd),
        }
        biased = rng.random(n) < b.present_biased_share
        beta = np.minimum(lognormal(b.present_bias_beta, a.present_bias_log_sd), 1.0)
        columns["present_bias"] = np.where(biased, beta, 1.0)
        return [{name: float(v[i]) for name, v in columns.items()} for i in range(n)]

    # -- quarter start (ODD §3 step 1) --------------------------------------------------------
    def start_quarter(self) -> None:
        self.quarter += 1
        self.in_force = s = self.base.at_quarter(self.quarter)
        self.terms = Terms.read(s, self.public.peers)
        self.announce(self.employees)
        for e in self.employees:
            e.progress, e.carry = list(e.carry), [0.0] * self.terms.krs
            e.produced = [0.0] * self.terms.krs
            e.reported = [0.0] * self.terms.krs
            e.exposed = [False] * self.terms.krs
            e.raised = [r and b for r, b in zip(e.raised, e.blocked, strict=True)]
            e.tally = type(e.tally)()
        self.quarter_hidden = self.quarter_blocked = 0
        shocks = self.streams["environment"].standard_normal(len(self.managers))
        env = s.env
        seen = env.strategy_visibility + env.okr_visibility * float(s.okr.enabled)
        for manager, z in zip(self.managers, shocks, strict=True):
            manager.priority_error = (1.0 - min(seen, 1.0)) * manager.priority_error
            manager.priority_error += env.priority_drift * float(z)
            self.alignment[manager.team] = env.alignment * math.exp(
                -0.5 * manager.priority_error**2
            )
        for e in self.employees:
            e.expect_quarter(self.aspirational[e.seat])
        noise_sd = s.assumptions.manager_estimate_noise * (1.0 - s.judgment.accuracy)
        noise = self.streams["audit"].normal(0.0, noise_sd, len(self.employees))
        self.view = {
            e.seat: self.managers[e.team].estimate(e, float(noise[e.seat])) for e in self.employees
        }
        if s.okr.enabled:
            self.staff().do("set_target")
            self.agents_by_type[Manager].do("set_targets", self.view)
        else:
            for e in self.employees:
                nan = [math.nan] * self.terms.krs
                e.target, e.target_set, e.offer = list(nan), list(nan), list(nan)

    def announce(self, listeners: list[Employee], *, arriving: bool = False) -> None:
        """The policy is stated: heard when new or changed, and by newcomers (ODD §7.13)."""
        statement = self.terms.statement()
        heard = {
            name
            for name, value in statement.items()
            if not math.isnan(value)
            and (arriving or self.statement is None or not _same(value, self.statement[name]))
        }
        for e in listeners:
            e.hear(statement, heard)
        if not arriving:
            self.statement = statement

    # -- quarter end (ODD §3 step 13) -----------------------------------------------------------
    def end_quarter(self) -> None:
        ratings, settled, settled_score, judgment = self.review()
        labour = self.streams["labour"]
        quit_u = labour.random(len(self.employees))
        candidates = self.draw_people(labour, len(self.employees))
        left = self.decide_quits(ratings, quit_u)
        self.record_quarter(left)
        self.observations = seen = self.team_observations()
        self.staff().do("learn")
        self.learn_policy(ratings, settled, settled_score, seen)
        self.last_reported = [list(e.reported) for e in self.employees]
        self.imitate(ratings, settled)
        self.staff().do("develop")
        leavers = [e for e in self.employees if left[e.seat]]
        for e in leavers:
            e.arrive(candidates[e.seat])
            e.tenure_weeks = -float(self.in_force.env.vacancy_weeks)
        self.announce(leavers, arriving=True)
        if leavers:
            mean_rating = sum(self.last_rating) / len(self.last_rating)
            for e in leavers:
                self.last_reported[e.seat] = [math.nan] * self.terms.krs
                self.last_rating[e.seat] = mean_rating
                for quarter in (*self.scores, *self.judged):
                    quarter[e.seat] = math.nan
        tallies = [e.tally for e in self.employees]
        self.public.value_scale = max(sum(t.contribution for t in tallies) / len(tallies), 1.0)
        self.public.help_scale = max(sum(t.help_given for t in tallies) / len(tallies), 0.05)
        self.public.seen_weight, self.public.reported_weight, self.public.judged_sd = judgment
        if self.terms.okrs:  # what ranks are formed on: each one's mean measured attainment
            per_person = [sum(row) / self.terms.krs for row in self.measured]
            centre = sum(per_person) / len(per_person)
            spread = math.sqrt(sum((a - centre) ** 2 for a in per_person) / len(per_person))
            self.public.peers = (centre, max(spread, 0.02))

    def review(self) -> tuple[list[float], bool, list[float], tuple[float, float, float]]:
        """Scores, judged ratings and, at a settlement, ratings (ODD §7.8)."""
        s, t = self.in_force, self.terms
        j, es = s.judgment, self.employees
        n = len(es)
        measured = [[e.reported[k] / (e.target[k] * e.par[k]) for k in range(t.krs)] for e in es]
        self.measured = measured
        scores = self.scores_of(measured)
        weekly_noise = j.observation_noise * (1.0 - j.accuracy)
        noise_var = (weekly_noise * math.sqrt(W)) ** 2
        z = self.streams["audit"].standard_normal(n)
        seen = []
        for e, zi in zip(es, z, strict=True):
            present = max(e.tally.weeks_present, 1.0)
            total = e.tally.seen_contribution + weekly_noise * math.sqrt(present) * float(zi)
            seen.append(total * W / present)
        yardstick = max(sum(seen) / n, 1.0)
        w_seen, w_reported = 1.0, 0.0
        if j.use_okr_context and t.okrs:
            seen, noise_var, w_seen = self.read_reports(seen, noise_var)
            w_reported = 1.0 - w_seen
        centre = sum(seen) / n
        true_var = max(sum((v - centre) ** 2 for v in seen) / n - noise_var, 1e-9)
        shrink = true_var / (true_var + noise_var)
        registered = W * j.influence_saturation
        mean_help = max(sum(e.tally.help_given for e in es) / n, 1e-9)
        raw = []
        for e, v, row in zip(es, seen, measured, strict=True):
            estimate = centre + shrink * (v - centre)
            halo = j.influence_return * registered * -math.expm1(-e.tally.visible_time / registered)
            if t.okrs:
                tau = sum(e.target[k] * e.par[k] / self.view[e.seat] for k in range(t.krs)) / t.krs
                shortfall = sum(max(1.0 - a, 0.0) for a in row) / t.krs
            else:
                tau, shortfall = 1.0, 0.0
            bad_news = e.tally.raises + e.tally.red_reports / W
            value = j.contribution_weight * (estimate + halo) / yardstick
            value += j.help_weight * e.tally.help_given / mean_help
            value += (j.risk_weight * e.tally.raises - j.blocker_penalty * bad_news) / t.krs
            value += t.ambition_weight * ((tau - 1.0) - (1.0 - j.failure_tolerance) * shortfall)
            value -= j.inflation_penalty * e.tally.caught
            raw.append(value)
        judged = [0.0] * n
        for m in self.managers:
            team_mean = sum(raw[e.seat] for e in m.members) / len(m.members)
            for e in m.members:
                judged[e.seat] = team_mean + (1.0 - j.centrality) * (raw[e.seat] - team_mean)
                judged[e.seat] += m.leniency
        weight = j.contribution_weight * shrink * (1.0 - j.centrality) / yardstick
        judgment = (
            shrink * w_seen * (1.0 - j.centrality),
            shrink * w_reported * (1.0 - j.centrality),
            weight * math.sqrt(noise_var),
        )
        self.scores.append(scores)
        self.judged.append(judged)
        settled = (
            self.quarter % t.settlement_quarters == 0 or self.quarter == self.base.horizon.quarters
        )
        settled_score = scores
        if settled:
            settled_score = [_nanmean([q[i] for q in self.scores]) for i in range(n)]
            judged_mean = [_nanmean([q[i] for q in self.judged]) for i in range(n)]
            c = t.coupling
            self.last_rating = [
                c * sc + (1.0 - c) * jd for sc, jd in zip(settled_score, judged_mean, strict=True)
            ]
            self.scores, self.judged = [], []
        return list(self.last_rating), settled, settled_score, judgment

    def scores_of(self, measured: list[list[float]]) -> list[float]:
        """Formula scores: of own, ranked or team attainment, shared KRs graded on both teams'."""
        t, es = self.terms, self.employees
        if not t.okrs:
            return [0.0] * len(es)
        means = [sum(row) / t.krs for row in measured]
        team_measured = [
            sum(means[e.seat] for e in m.members) / len(m.members) for m in self.managers
        ]
        graded = []
        for e, row in zip(es, measured, strict=True):
            up = self.managers[e.team].upstream
            partner = team_measured[up if up is not None else 0]
            graded.append(
                [0.5 * a + 0.5 * partner if sh else a for a, sh in zip(row, e.shared, strict=True)]
            )
        mean_graded = [sum(row) / t.krs for row in graded]
        if t.ranked:  # one's band by rank within the team (ties by seat)
            scores = [0.0] * len(es)
            for m in self.managers:
                order = sorted(m.members, key=lambda e: mean_graded[e.seat])
                for rank, e in enumerate(order):
                    scores[e.seat] = pay.band((rank + 0.5) / len(order), t.bands)
            return scores
        if t.team_scored:
            return [
                t.grade(
                    sum(mean_graded[j.seat] for j in self.managers[e.team].members)
                    / len(self.managers[e.team].members)
                )
                for e in es
            ]
        return [sum(t.grade(a) for a in row) / t.krs for row in graded]

    def read_reports(self, seen: list[float], noise_var: float) -> tuple[list[float], float, float]:
        """Reported results as a second signal of contribution, by inverse variance (§7.8)."""
        align, n = self.in_force.env.alignment, len(seen)
        reported = [align * sum(e.reported) for e in self.employees]
        okr = [0.0] * n
        for m in self.managers:
            beyond = sum(seen[e.seat] - reported[e.seat] for e in m.members) / len(m.members)
            for e in m.members:
                okr[e.seat] = reported[e.seat] + beyond
        gaps = [o - v for o, v in zip(okr, seen, strict=True)]
        mean_gap = sum(gaps) / n
        okr_var = max(sum((g - mean_gap) ** 2 for g in gaps) / n - noise_var, 1e-9)
        p_seen, p_okr = 1.0 / max(noise_var, 1e-9), 1.0 / okr_var
        w_seen = p_seen / (p_seen + p_okr)
        combined = [w_seen * v + (1.0 - w_seen) * o for v, o in zip(seen, okr, strict=True)]
        return combined, 1.0 / (p_seen + p_okr), w_seen

    def decide_quits(self, ratings: list[float], quit_u: np.ndarray) -> list[bool]:
        """Who leaves: a logistic chance against the quit uniform, after a full quarter (§7.9)."""
        b, es = self.in_force.behaviour, self.employees
        worth_scale = max(sum(e.capability_belief for e in es) / len(es), 1e-9)
        mean_rating = sum(ratings) / len(ratings)
        base = float(logit(min(max(b.quit_base_rate, 1e-6), 1.0 - 1e-6)))
        left = []
        for e, u in zip(es, quit_u, strict=True):
            pay = ratings[e.seat] / mean_rating if abs(mean_rating) > 1e-9 else 1.0
            odds = base + b.quit_pay_sensitivity * (e.capability_belief / worth_scale - pay)
            odds += b.quit_stress_sensitivity * e.stress
            left.append(e.tenure_weeks >= W and float(u) < float(expit(odds)))
        return left

    def team_observations(self) -> dict[int, dict[str, tuple[float, bool]]]:
        """What each saw in its team this quarter: audits, the pull and the ratchet (ODD §7.10)."""
        own = self.in_force.behaviour.own_experience_weight
        seen: dict[int, dict[str, tuple[float, bool]]] = {}
        for m in self.managers:
            for i in m.members:
                weight = {e.seat: own if e is i else 1.0 for e in m.members}
                audits = sum(weight[e.seat] * e.tally.audits for e in m.members)
                reports = sum(weight[e.seat] * e.tally.reports for e in m.members)
                pull, ratchet, usable = self.targets_seen(m.members, weight)
                asked = sum(e.tally.revision_requests for e in m.members)
                agreed = sum(e.tally.revisions for e in m.members)
                seen[i.seat] = {
                    "agree_belief": (agreed / max(asked, 1.0), asked > 0),
                    "audit_belief": (audits / max(reports, 1.0), reports > 0),
                    "pull_belief": (pull, usable),
                    "ratchet_belief": (ratchet, usable and self.last_reported is not None),
                }
        return seen

    def targets_seen(
        self, members: list[Employee], weight: dict[int, float]
    ) -> tuple[float, float, bool]:
        """The fit of T̃ − O = a·(ask − O) + b·(R − O) over the team's key results (ODD §7.10)."""
        s11 = s22 = s12 = s1y = s2y = 0.0
        for e in members:
            for k in range(self.terms.krs):
                last = e.offer[k] if self.last_reported is None else self.last_reported[e.seat][k]
                dy, d1, d2 = e.target_set[k] - e.offer[k], e.ask[k] - e.offer[k], last - e.offer[k]
                if not all(math.isfinite(v) for v in (dy, d1, d2)):
                    continue
                w = weight[e.seat]
                s11, s22, s12 = s11 + w * d1 * d1, s22 + w * d2 * d2, s12 + w * d1 * d2
                s1y, s2y = s1y + w * d1 * dy, s2y + w * d2 * dy
        if self.last_reported is None:
            usable = s11 > 1e-12
            return (s1y / s11 if usable else 0.0), 0.0, usable
        det = s11 * s22 - s12**2
        if det <= 1e-6 * max(s11 * s22, 1e-300):
            return 0.0, 0.0, False
        return (s22 * s1y - s12 * s2y) / det, (s11 * s2y - s12 * s1y) / det, True

    def learn_policy(
        self,
        ratings: list[float],
        settled: bool,
        settled_score: list[float],
        seen: dict[int, dict[str, tuple[float, bool]]],
    ) -> None:
        """Ratings fitted to scores, bad news and work at a settlement; credibility (§7.13)."""
        b, es = self.in_force.behaviour, self.employees
        size = self.in_force.org.team_size
        noise = b.peer_noise * self.streams["beliefs"].standard_normal((2, len(es), size))
        per_week = [e.tally.seen_contribution / max(e.tally.weeks_present, 1.0) for e in es]
        scale = max(sum(per_week) / len(es), 1e-9)
        for e, work in zip(es, per_week, strict=True):
            e.unsettled_news += e.tally.raises + e.tally.red_reports / W
            e.unsettled_work += work / scale
            e.unsettled_quarters += 1.0
        fitted: dict[int, tuple[float, float]] = {}
        if settled:
            observed = {
                e.seat: (
                    e.unsettled_news / max(e.unsettled_quarters, 1.0),
                    e.unsettled_work / max(e.unsettled_quarters, 1.0),
                )
                for e in es
            }
            for e in es:
                e.unsettled_news = e.unsettled_work = e.unsettled_quarters = 0.0
            for i in es:
                fitted[i.seat] = self.read_ratings(i, ratings, settled_score, observed, noise)
        eta, far = b.learning_rate, self.in_force.assumptions.statement_far
        for e in es:
            checked = {name: (v, float(ok)) for name, (v, ok) in seen[e.seat].items()}
            if e.seat in fitted:
                checked["coupling_belief"] = fitted[e.seat]
            least, checks = 1.0, 0.0
            for name, (value, worth) in checked.items():
                stated = self.statement.get(name, math.nan) if self.statement else math.nan
                if math.isnan(stated):
                    continue
                agreement = min(max(1.0 - abs(value - stated) / far, 0.0), 1.0)
                least = min(least, 1.0 - worth * (1.0 - agreement))
                checks = max(checks, worth)
            e.credibility += eta * checks * (least - e.credibility)

    def read_ratings(
        self,
        i: Employee,
        ratings: list[float],
        settled_score: list[float],
        observed: dict[int, tuple[float, float]],
        noise: np.ndarray,
    ) -> tuple[float, float]:
        """Observer i's fit of its team's ratings; beliefs move from their anchors by reliability.

        Returns the fitted coupling and what it is worth (its reliability).
        """
        b, m = self.in_force.behaviour, self.managers[i.team]
        ys, xs, ws = [], [], []
        for pos, j in enumerate(m.members):
            blur = (
                (0.0, 0.0)
                if j is i
                else (float(noise[0, i.seat, pos]), float(noise[1, i.seat, pos]))
            )
            news, work = observed[j.seat]
            ys.append(ratings[j.seat] + blur[0])
            xs.append([settled_score[j.seat], news, work + blur[1]])
            present = 1.0 if j.tally.weeks_present > 0 else 0.0
            ws.append((b.own_experience_weight if j is i else 1.0) * present)
        if i.tally.weeks_present <= 0:
            return 0.0, 0.0
        i.evidence.move_towards(Evidence.of_review(ys, xs, ws), b.learning_rate)
        beta, sampling, identified = i.evidence.fit(b.learning_rate)
        worths = []
        for name, anchor_name, j_, sign, (low, high) in (
            ("coupling_belief", "coupling_anchor", 0, 1.0, (0.0, 1.0)),
            ("bad_news_belief", "bad_news_anchor", 1, -1.0, (-1.0, 1.0)),
        ):
            anchor = getattr(i, anchor_name)
            worth = reliability(sampling[j_], (high - low) ** 2 / 12) if identified[j_] else 0.0
            target = sign * beta[j_] if identified[j_] else anchor
            setattr(i, name, min(max(anchor + worth * (target - anchor), low), high))
            worths.append(worth)
        return beta[0], worths[0]

    def imitate(self, ratings: list[float], settled: bool) -> None:
        """At a settlement some copy a better-rated teammate's honesty and beliefs (ODD §7.10)."""
        rng, size = self.streams["decisions"], self.in_force.org.team_size
        u = rng.random(len(self.employees))
        offset = rng.integers(1, size, len(self.employees))
        if not settled:
            return
        copied = (
            "honesty",
            "audit_belief",
            "bad_news_belief",
            "coupling_belief",
            "bad_news_anchor",
            "coupling_anchor",
            "credibility",
        )
        before = {e.seat: {name: getattr(e, name) for name in copied} for e in self.employees}
        p = self.in_force.behaviour.imitation_probability
        for e in self.employees:
            peer = self.managers[e.team].members[(e.seat % size + int(offset[e.seat])) % size]
            if float(u[e.seat]) < p and ratings[peer.seat] > ratings[e.seat]:
                for name in copied:
                    setattr(e, name, before[peer.seat][name])

    # -- outcomes (ODD §4.11) ---------------------------------------------------------------------
    def record_quarter(self, left: list[bool]) -> None:
        es, t = self.employees, self.terms
        n = len(es)
        latencies = [x for e in es for x in e.tally.latencies]
        sandbagging = [
            1.0 - sum(e.target[k] * e.par[k] for k in range(t.krs)) / sum(e.expected) for e in es
        ]
        self.quarter_rows.append(
            {
                "quarter": float(self.quarter),
                "sandbagging_index": _nanmean(sandbagging),
                "attainment": _nanmean([sum(row) / t.krs for row in self.measured]),
                "true_value": sum(e.tally.value for e in es) / (n * W),
                "reporting_bias": sum(e.tally.bias / W for e in es) / n,
                "blocker_latency_weeks": sum(latencies) / len(latencies) if latencies else 0.0,
                "hidden_blocker_share": self.quarter_hidden / self.quarter_blocked
                if self.quarter_blocked
                else 0.0,
                "help_share": sum(e.tally.effort[2] / W for e in es) / n,
                "intensity": _nanmean(
                    [
                        e.tally.hours / e.tally.weeks_present
                        if e.tally.weeks_present > 0
                        else math.nan
                        for e in es
                    ]
                ),
                "quit_rate": sum(left) / n,
                "stress": sum(e.stress for e in es) / n,
                "coupling_belief": sum(e.coupling_belief for e in es) / n,
            }
        )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def run_reference(
    scenario: Scenario, seed: SeedLike = 0, *, employee_type: type[Employee] = Employee
) -> dict[str, float]:
    """Run the reference model over its horizon: each outcome's mean over the quarters."""
    rows = ReferenceModel(scenario, seed, employee_type=employee_type).run()
    return {name: _nanmean([r[name] for r in rows]) for name in rows[0] if name != "quarter"}
