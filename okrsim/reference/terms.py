"""The quarter's terms: what the policy in force means in numbers (ODD §7.1).

Read once per quarter from the scenario in force; no employee asks which
policy it is under.  The organisation's statement of its policy (ODD §7.13)
is read here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from okrsim.params import WEEKS_PER_QUARTER as W
from okrsim.params import Scenario
from okrsim.reference.payoffs import Bands, ScoreCurve, rank_bands, relative_sd


@dataclass(frozen=True)
class Terms:
    """The payoffs and costs of one quarter's policy (ODD §7.1)."""

    scenario: Scenario
    coupling: float  # c: the formula's share of the rating (0 without OKRs)
    curve: ScoreCurve  # f as the employees weigh it: the rank curve under relative evaluation
    bands: Bands  # the forced distribution's bands, bottom first
    grade: ScoreCurve  # the bonus curve the review grades with
    ranked: bool  # 𝟙_R: the score is one's band in the team
    team_scored: bool  # 𝟙_Q: the score is the team's
    settlement_quarters: int  # n_S
    manager_pull: float  # π_m
    ratchet_pull: float  # α_r
    ambition_weight: float  # ω_a (0 without OKRs)
    target_credit: float  # κ: the formula's credit for the target stated (0 without OKRs)
    judged_reach: float  # 1 − κ_c·(1 − 1/N): what reaches one's rating of one's judged score
    focus: float  # F
    overhead: float  # o: status hours (0 without OKRs)
    uncertainty: tuple[float, ...]  # σ_rel(n) for n = 0 … W weeks left (ODD §4.6)

    @classmethod
    def read(cls, s: Scenario, peers: tuple[float, float]) -> Terms:
        """The terms of scenario ``s``; ``peers``: last quarter's (m, s) of attainment."""
        okr = s.okr
        ranked = s.comp.evaluation == "relative"
        bands = rank_bands(s.comp)
        edge_blur = s.assumptions.edge_uncertainty
        pull = {"negotiated": okr.negotiation_pressure, "assigned": 1.0}.get(okr.target_rule, 0.0)
        kept = okr.no_ratchet_commitment and okr.commitment_kept
        ratchet = okr.ratchet_strength if okr.target_rule == "ratchet" and not kept else 0.0
        return cls(
            scenario=s,
            coupling=s.comp.coupling if okr.enabled else 0.0,
            curve=ScoreCurve.rank(*peers, bands, edge_blur) if ranked else ScoreCurve.of(s.comp),
            bands=bands,
            grade=ScoreCurve.of(s.comp),
            ranked=ranked,
            team_scored=s.comp.evaluation == "team",
            settlement_quarters=4 if s.comp.review_cadence == "annual" else 1,
            manager_pull=pull if okr.enabled else 0.0,
            ratchet_pull=ratchet if okr.enabled else 0.0,
            ambition_weight=s.judgment.ambition_weight if okr.enabled else 0.0,
            target_credit=s.comp.target_credit if okr.enabled else 0.0,
            judged_reach=1.0 - s.judgment.centrality * (1.0 - 1.0 / s.org.team_size),
            focus=1.0 / (1.0 + okr.switching_cost * (okr.krs_per_person - 1)),
            overhead=okr.status_hours if okr.enabled else 0.0,
            uncertainty=tuple(relative_sd(s, n) for n in range(W + 1)),
        )

    @property
    def okrs(self) -> bool:
        return self.scenario.okr.enabled

    @property
    def own_share(self) -> float:
        """o_N: how much of the score one's own result moves (1/N of a team's mean)."""
        return 1.0 - float(self.team_scored) * (1.0 - 1.0 / self.scenario.org.team_size)

    @property
    def krs(self) -> int:
        return self.scenario.okr.krs_per_person

    @property
    def coaching(self) -> float:
        """χ′ = χ·max(0, 1 − (1 − c)·t_J·N): coaching left after judging."""
        return self.coaching_at(self.coupling)

    def coaching_at(self, coupling: float) -> float:
        """χ′ at the coupling ``coupling`` (an employee's belief of it, 7.4)."""
        j, n = self.scenario.judgment, self.scenario.org.team_size
        return j.coach_help * max(0.0, 1.0 - (1.0 - coupling) * j.review_hours * n)

    def negotiation_hours(self, week_in_quarter: int) -> float:
        """Share of a quarter's first week spent negotiating: min(h·K, 0.9)·4π_m(1 − π_m)."""
        if week_in_quarter != 0:
            return 0.0
        hours = min(self.scenario.okr.negotiation_hours * self.krs, 0.9)
        return hours * 4.0 * self.manager_pull * (1.0 - self.manager_pull)

    def statement(self) -> dict[str, float]:
        """What the organisation states, by the belief it speaks to (NaN: nothing said)."""
        s = self.scenario
        stated_coupling = s.comp.stated_coupling
        said_targets = 1.0 if s.okr.enabled else math.nan
        return {
            "coupling_belief": stated_coupling if stated_coupling >= 0 else self.coupling,
            "ratchet_belief": 0.0 if s.okr.no_ratchet_commitment else math.nan,
            "audit_belief": s.judgment.audit_probability,
            "pull_belief": said_targets * self.stated_pull,
            "ask_belief": said_targets * s.okr.assigned_stretch,
        }

    @property
    def stated_pull(self) -> float:
        """The pull the stated target rule defines, stated whether or not OKRs run."""
        okr = self.scenario.okr
        return {"negotiated": okr.negotiation_pressure, "assigned": 1.0}.get(okr.target_rule, 0.0)
