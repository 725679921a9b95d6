"""The organisation's structure and what everyone knows about it.

Teams of equal size under one manager each; a directed dependency network
between teams (Erdős–Rényi, ``org.dependency_density``); for each dependent
team one upstream team, whose member in the same position is each employee's
supplier; key results shared with the upstream team and aspirational key
results drawn per employee.  All drawn once from the ``environment`` stream.

:class:`PublicFigures` are the organisation-wide means every employee knows and
weighs its choices against, refreshed at each quarter's review.

docs/ODD.md §2.1 (entities) and §4.8 (interaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np

from okrsim.params import WEEKS_PER_QUARTER, Assumptions, Scenario, bounds
from okrsim.policies.curves import Array

#: Key-result draws are made for the most key results a person can own and cut to
#: size, so organisations with different numbers of key results share their luck.
MAX_KRS = int(bounds("okr.krs_per_person")[1] or 8)

#: An organisation-wide figure: a number, or per employee where several
#: organisations step together (each employee's own organisation's).
Figure = float | Array


@dataclass(frozen=True)
class Organisation:
    """Teams, the dependency network, suppliers, shared and aspirational key results."""

    n_teams: int
    team_size: int
    krs: int
    team: Array  # each employee's team, shape (n,)
    dependencies: nx.DiGraph
    upstream: Array  # each team's upstream team, -1 for none, shape (n_teams,)
    supplier: Array  # each employee's upstream colleague, -1 for none, shape (n,)
    shared: Array  # key results shared with the upstream team, shape (n, k)
    aspirational: Array  # aspirational key results, shape (n, k)
    #: organisations of one size stacked end to end (an ensemble's cohort)
    runs: int = 1

    @property
    def n(self) -> int:
        return self.n_teams * self.team_size

    def overall(self, statistic: Callable[..., Array], values: Array) -> Figure:
        """``statistic`` (``np.mean``, ``np.std``, ``np.var``) of per-employee ``values``.

        A number for one organisation; for organisations stacked end to end
        (:mod:`okrsim.model.ensemble`) each one's own, per employee — the same
        pairwise sums over the same numbers, row by row.
        """
        if self.runs == 1:
            return float(statistic(values))
        each = statistic(values.reshape(self.runs, -1), axis=1)
        return np.repeat(each, len(values) // self.runs)

    @classmethod
    def draw(cls, rng: np.random.Generator, scenario: Scenario) -> Organisation:
        """The structure, drawn from the environment stream in a fixed order."""
        org, krs = scenario.org, scenario.okr.krs_per_person
        n = org.n_teams * org.team_size
        team = np.repeat(np.arange(org.n_teams), org.team_size)
        dependencies = nx.fast_gnp_random_graph(
            org.n_teams, org.dependency_density, directed=True, seed=rng
        )
        upstream = np.full(org.n_teams, -1)
        for t in range(org.n_teams):
            ups = sorted(dependencies.predecessors(t))
            if ups:
                upstream[t] = ups[int(rng.integers(len(ups)))]
        up = upstream[team]
        position = np.arange(n) % org.team_size
        supplier = np.where(up >= 0, up * org.team_size + position, -1)
        shared_draw = rng.random((n, MAX_KRS))[:, :krs] < org.shared_kr_share
        aspirational_u = rng.random((n, MAX_KRS))[:, :krs]
        return cls(
            n_teams=org.n_teams,
            team_size=org.team_size,
            krs=krs,
            team=team,
            dependencies=dependencies,
            upstream=upstream,
            supplier=supplier,
            shared=shared_draw & (up >= 0)[:, None],
            aspirational=aspirational_u < scenario.okr.aspirational_share,
        )

    def team_mean(self, x: Array) -> Array:
        """Each employee's team's mean of ``x``, shape (n,)."""
        sums = np.bincount(self.team, weights=x, minlength=self.n_teams)
        return (sums / self.team_size)[self.team]

    def team_total(self, x: Array) -> Array:
        """Each team's total of ``x``, shape (n_teams,)."""
        return np.bincount(self.team, weights=x, minlength=self.n_teams)

    def share_back(self, given: Array, received_value: Array) -> Array:
        """Credit each helper with the value its help created, pro rata within its team."""
        total_given = self.team_total(given)
        total_value = self.team_total(received_value)
        rate = np.divide(
            total_value, total_given, out=np.zeros(self.n_teams), where=total_given > 0
        )
        return given * rate[self.team]

    def dependency_blocked(self, blocked: Array) -> Array:
        """Key results stalled this week because the colleague they depend on is blocked.

        Each employee of a dependent team relies on the colleague in the same
        position of the upstream team: its first key result (and any key result
        shared with that team) stalls while that colleague's first key result is
        blocked — hidden blockers upstream spread delay downstream.
        """
        out = np.zeros((self.n, self.krs), dtype=bool)
        has = self.supplier >= 0
        if not has.any():
            return out
        upstream_blocked = np.where(has, blocked[np.maximum(self.supplier, 0), 0], False)
        out[:, 0] = upstream_blocked
        return out | (self.shared & upstream_blocked[:, None])


def as_figure(value: float | Array) -> Figure:
    """A figure worked out per organisation: a number for one, per employee for several."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


def by_key_result(figure: float | Array) -> float | Array:
    """A public figure as it meets (employees, key results) arrays.

    In one organisation a figure is a number; where several organisations
    step together (:mod:`okrsim.model.ensemble`) it is each employee's own
    organisation's, shape (n,), and becomes a column.
    """
    return np.asarray(figure)[:, None] if np.ndim(figure) else figure


@dataclass
class PublicFigures:
    """Organisation-wide figures every employee knows, refreshed at each review.

    ``value_scale`` and ``help_scale`` are last quarter's mean contribution and
    help given (what a typical quarter's work is worth, the yardstick judgment
    uses); ``peer_attainment`` is the mean and spread of employees' measured
    attainment, against which a relative ranking places one.  How judgment
    worked at the last review is seen in how ratings followed work:
    ``seen_weight`` is the share of a difference in true contribution that
    reached the judged rating through the manager's observation,
    ``reported_weight`` the share that reached it through reported OKR
    results, and ``judged_sd`` the spread of judged ratings around
    contribution (rating units) — the risk judgment puts on pay.  Where
    organisations step together the figures are per employee
    (:func:`by_key_result`).
    """

    value_scale: Figure
    help_scale: Figure
    peer_attainment: tuple[Figure, Figure]
    seen_weight: Figure = 1.0
    reported_weight: Figure = 0.0
    judged_sd: Figure = 0.0

    @property
    def peers(self) -> tuple[float, float]:
        """``peer_attainment`` of one organisation, as numbers."""
        mean, spread = self.peer_attainment
        return float(mean), float(spread)

    @classmethod
    def prior(cls, assumptions: Assumptions) -> PublicFigures:
        """The figures everyone takes as typical before the first review.

        A quarter of ``assumptions.value_scale_prior`` and
        ``assumptions.help_scale_prior`` per week, peers' attainment at
        target with spread ``assumptions.peer_attainment_sd_prior``; judgment
        as if it saw contribution exactly.
        """
        a = assumptions
        return cls(
            value_scale=WEEKS_PER_QUARTER * a.value_scale_prior,
            help_scale=WEEKS_PER_QUARTER * a.help_scale_prior,
            peer_attainment=(1.0, a.peer_attainment_sd_prior),
        )
