"""Employees and managers: Mesa agents viewing their rows of the workforce.

The model makes every week's choices for all employees at once, from the
arrays of :class:`~okrsim.model.workforce.Workforce`; an :class:`Employee` is
how one employee is inspected (dashboard, notebooks, Mesa's DataCollector)
and explained.  The model makes and registers these views the first time
they are read (:meth:`~okrsim.model.model.OKRModel.employees`).  docs/ODD.md §2.1.
"""

from __future__ import annotations

from typing import Any

import mesa

from okrsim.model.organisation import Organisation
from okrsim.model.workforce import Workforce
from okrsim.policies import choices


class Employee(mesa.Agent):
    """One employee: a view on row ``index`` of the :class:`Workforce`."""

    def __init__(self, model: mesa.Model, workforce: Workforce, index: int) -> None:
        super().__init__(model)
        self.workforce = workforce
        self.index = index

    @property
    def team(self) -> int:
        return int(self.workforce.team[self.index])

    # -- per-employee series (Mesa agent reporters) -----------------------------
    @property
    def kr_share(self) -> float:
        return float(self.workforce.effort[self.index, 0])

    @property
    def stress(self) -> float:
        return float(self.workforce.stress[self.index])

    @property
    def reported_progress(self) -> float:
        """Reported output so far over the quarter's targets."""
        w, i = self.workforce, self.index
        return float(w.reported[i].sum() / (w.target[i] * w.par[i]).sum())

    @property
    def true_progress(self) -> float:
        """True output so far over the quarter's targets."""
        w, i = self.workforce, self.index
        return float(w.produced[i].sum() / (w.target[i] * w.par[i]).sum())

    @property
    def hidden_blockers(self) -> int:
        w, i = self.workforce, self.index
        return int((w.blocked[i] & ~w.raised[i]).sum())

    # -- inspection ----------------------------------------------------------------
    def traits(self) -> dict[str, float]:
        w, i = self.workforce, self.index
        return {
            "capability": float(w.capability[i]),
            "risk_aversion": float(w.risk_aversion[i]),
            "honesty_cost": float(w.honesty_trait[i]),
            "intrinsic_motivation": float(w.intrinsic[i]),
            "prosociality": float(w.prosociality[i]),
            "mum_cost": float(w.mum_cost[i]),
            "present_bias": float(w.present_bias[i]),
        }

    def beliefs(self) -> dict[str, float]:
        w, i = self.workforce, self.index
        return {
            "capability_belief": float(w.capability_belief[i]),
            "honesty_habit": float(w.honesty[i]),
            "audit_belief": float(w.audit_belief[i]),
            "bad_news_belief": float(w.bad_news_belief[i]),
            "ratchet_belief": float(w.ratchet_belief[i]),
            "coupling_belief": float(w.coupling_belief[i]),
            "credibility": float(w.credibility[i]),
        }

    def key_results(self) -> list[dict[str, Any]]:
        w, i = self.workforce, self.index
        return [
            {
                "kr": j,
                "target": float(w.target[i, j]),
                "expected": float(w.expected[i, j]),
                "true_progress": float(w.produced[i, j]),
                "reported_progress": float(w.reported[i, j]),
                "blocked": bool(w.blocked[i, j]),
                "raised": bool(w.raised[i, j]),
            }
            for j in range(w.k)
        ]

    def explain(self) -> dict[str, Any]:
        """Why this employee chose what it chose: the options and their payoffs."""
        w, i = self.workforce, self.index
        return {
            "target_options": dict(
                zip(
                    self.model.policy.target_offers.round(3).tolist(),
                    w.target_utilities[i].tolist(),
                    strict=True,
                )
            ),
            "effort_weights": dict(zip(choices.ACTIVITIES, w.weights[i].tolist(), strict=True)),
            "effort_shares": dict(zip(choices.ACTIVITIES, w.effort[i].tolist(), strict=True)),
            # this week's hours against those planned for each later week (present bias)
            "intensity": float(w.intensity[i]),
            "planned_intensity": float(w.planned_intensity[i]),
            "carry": w.carry[i].tolist(),
            "raise_gain": w.raise_gain[i].tolist(),
            "report_shading": w.shading[i].tolist(),
            "report_gain": w.report_gain[i].tolist(),
        }


class Manager(mesa.Agent):
    """A team's manager.

    Managers are alike: their judging, negotiating, auditing and response to
    bad news are the policy's (``judgment.*``, ``okr.*``) and are computed for
    all teams at once; what differs between teams is whom they manage and the
    noise in what they see.
    """

    def __init__(self, model: mesa.Model, team: int) -> None:
        super().__init__(model)
        self.team = team


class AgentViews(mesa.Model):
    """A Mesa model whose agents are views on its workforce's rows, made on first use.

    The model decides for every employee at once on the workforce's arrays;
    an :class:`Employee` or :class:`Manager` agent is a view to inspect one of
    them.  The views are made and registered with Mesa on first use (a reader
    of the agents, the agent reporters), not at construction: a run that never
    reads them makes none, and a large organisation costs no Python object per
    employee.  Hires take a leaver's row, so the views, once made, stay valid.
    """

    workforce: Workforce
    org: Organisation
    _views: tuple[list[Employee], list[Manager]] | None = None

    def _agent_views(self) -> tuple[list[Employee], list[Manager]]:
        """Every employee's and manager's view, registered with Mesa the first time.

        Employees are registered first, in row order, then managers by team,
        so ``unique_id`` is the row + 1 for an employee.
        """
        if self._views is None:
            wf = self.workforce
            employees = [Employee(self, wf, i) for i in range(wf.n)]
            managers = [Manager(self, t) for t in range(self.org.n_teams)]
            self._views = employees, managers
        return self._views

    @property
    def employees(self) -> list[Employee]:
        """Each employee's agent, by row of the workforce."""
        return self._agent_views()[0]

    @property
    def managers(self) -> list[Manager]:
        """Each team's manager agent, by team."""
        return self._agent_views()[1]

    @property
    def agents(self) -> Any:
        """Mesa's set of every agent (the views made on first use)."""
        self._agent_views()
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        """Mesa's agent sets by type (the views made on first use)."""
        self._agent_views()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types, ``[Employee, Manager]`` (the views made on first use)."""
        self._agent_views()
        return super().agent_types
