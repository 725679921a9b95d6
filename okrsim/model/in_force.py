"""The policy in force: the quarter's scenario and the payoffs it defines.

At each quarter's start the schedule is applied (:meth:`Scenario.at_quarter`)
and the scenario in force is turned into numbers the agents weigh
(:func:`okrsim.policies.choices.payoff_for`), together with what the OKR
process costs everyone's week.  Nothing downstream asks which policy this is.

docs/ODD.md §7.1 (policy in force and schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

from okrsim.params import Scenario
from okrsim.policies import choices
from okrsim.policies.choices import Payoff
from okrsim.policies.curves import Curve, curve_for


@dataclass(frozen=True)
class InForce:
    """The scenario in force this quarter and what follows from it.

    Attributes
    ----------
    scenario
        The scenario in force (the base scenario with the schedule applied).
    payoff
        The payoffs it defines, as agents weigh them.
    absolute_curve
        The bonus curve on one's own attainment (the grade on record).
    focus
        Output efficiency when attention is split across K key results,
        ``1 / (1 + switching_cost·(K − 1))`` (1 without OKRs).
    overhead
        Share of every week spent on status reporting (0 without OKRs).
    """

    scenario: Scenario
    payoff: Payoff
    absolute_curve: Curve
    focus: float
    overhead: float

    @classmethod
    def read(cls, scenario: Scenario, *, peer_attainment: tuple[float, float]) -> InForce:
        okr = scenario.okr
        return cls(
            scenario=scenario,
            payoff=choices.payoff_for(scenario, peer_attainment=peer_attainment),
            absolute_curve=curve_for(scenario.comp),
            focus=1.0 / (1.0 + okr.switching_cost * (okr.krs_per_person - 1))
            if okr.enabled
            else 1.0,
            overhead=okr.status_hours if okr.enabled else 0.0,
        )

    @property
    def krs(self) -> int:
        return self.scenario.okr.krs_per_person

    @property
    def alignment(self) -> float:
        """Strategic alignment of key-result work's true value."""
        s = self.scenario
        return s.env.alignment if s.okr.enabled else s.env.unaligned_alignment

    def negotiation_hours(self, week_in_quarter: int) -> float:
        """Share of this week spent negotiating targets (first week of a negotiated quarter)."""
        okr = self.scenario.okr
        if okr.enabled and okr.target_rule == "negotiated" and week_in_quarter == 0:
            return min(okr.negotiation_hours * okr.krs_per_person, 0.9)
        return 0.0
