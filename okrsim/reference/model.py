"""The reference model: docs/ODD.md's organisation, one Mesa agent per person.

``ReferenceModel.step`` is one week in the order of ODD §3; each phase is a
verb that every employee (or manager) carries out through ``AgentSet.do``.
It is written for reading, straight from the ODD, and is docked against the
vectorised model (:mod:`okrsim.model`) in tests/test_docking.py (docs/ODD.md
§12, "Verification: docking").  Small organisations only: it loops over people.
What the organisation does at a review is in :mod:`okrsim.reference.review`,
what people learn from it in :mod:`okrsim.reference.learning`.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import networkx as nx
import numpy as np

from okrsim import portable
from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.params import Scenario, ScenarioError
from okrsim.reference import learning, review
from okrsim.reference.agents import Employee, Manager
from okrsim.reference.terms import Terms
from okrsim.seeding import SeedLike, streams

#: Most employees the reference model runs: it is for reading and docking, not for speed.
MAX_EMPLOYEES = 200
#: Key results per person drawn for, whatever K (ODD §4.9).
MAX_KRS = 8
#: The week (0-based) after whose check-in targets may be revised (ODD §7.3).
REVISION_WEEK = 6


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
        self.public = review.Public.prior(scenario.assumptions)
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
            return mean * portable.exp(rng.normal(-0.5 * log_sd**2, log_sd, n))

        columns = {
            "capability": lognormal(1.0, b.capability_sd),
            "knowledge_error": rng.normal(0.0, b.self_knowledge_sd, n),
            "perception": portable.exp(
                rng.normal(0.0, a.perception_share * b.self_knowledge_sd, n)
            ),
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
        ratings, settled, settled_score, judgment = review.review(self)
        labour = self.streams["labour"]
        quit_u = labour.random(len(self.employees))
        candidates = self.draw_people(labour, len(self.employees))
        left = review.decide_quits(self, ratings, quit_u)
        review.record_quarter(self, left)
        self.observations = seen = learning.team_observations(self)
        self.staff().do("learn")
        learning.learn_policy(self, ratings, settled, settled_score, seen)
        self.last_reported = [list(e.reported) for e in self.employees]
        learning.imitate(self, ratings, settled)
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
        seen_mean = sum(t.seen_contribution for t in tallies) / len(tallies)
        self.public.value_scale = max(seen_mean, 1.0)
        self.public.help_scale = max(sum(t.help_given for t in tallies) / len(tallies), 0.05)
        self.public.seen_weight, self.public.reported_weight, self.public.judged_sd = judgment
        if self.terms.okrs:  # what ranks are formed on: each one's mean measured attainment
            per_person = [sum(row) / self.terms.krs for row in self.measured]
            centre = sum(per_person) / len(per_person)
            spread = math.sqrt(sum((a - centre) ** 2 for a in per_person) / len(per_person))
            self.public.peers = (centre, max(spread, 0.02))


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def run_reference(
    scenario: Scenario, seed: SeedLike = 0, *, employee_type: type[Employee] = Employee
) -> dict[str, float]:
    """Run the reference model over its horizon: each outcome's mean over the quarters."""
    rows = ReferenceModel(scenario, seed, employee_type=employee_type).run()
    return {name: review.nanmean([r[name] for r in rows]) for name in rows[0] if name != "quarter"}
