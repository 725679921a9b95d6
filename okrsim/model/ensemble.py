"""Runs stepped together, week by week: each cohort of one policy as one organisation.

An ensemble holds independent runs (replications, or design points of any
size): each keeps its own scenario, seed streams, draws, state, quarter
reviews and records, and steps exactly as it would alone.  At each quarter's
start the runs under the same policy in force (but for values each employee
reads as its run's, :data:`~okrsim.model.each_run.EACH_RUN`) form a
:class:`Cohort`, whose employees, teams and key results are stacked end to
end (:mod:`okrsim.model.stacking`), and the quarter's start, the week's
submodels and the quarter's end (:mod:`okrsim.model.quarter_start`,
:mod:`~okrsim.model.week`, :mod:`~okrsim.model.quarter_end`) run once for
the cohort; the report choices of all cohorts are then answered together
where they can be (:mod:`okrsim.model.stacked_choice`).  No submodel reads
the organisations as a whole (organisation-wide figures are each one's
own), so every element is computed by the same operations on the same
numbers as alone: each run's results are bit-identical to its run alone
(tests/test_ensemble.py holds every output table to it).

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from okrsim.model import quarter_end, quarter_start, records, stacking, week, weekly_records
from okrsim.model.decision_rules import RuleDraws
from okrsim.model.in_force import InForce, cohort_key
from okrsim.model.model import OKRModel
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.outlook import Outlook
from okrsim.model.policy_beliefs import Statement, same_statement
from okrsim.model.quarter_review import Review, YearBook
from okrsim.model.quarter_start import QuarterStartDraws
from okrsim.model.stacked_choice import answer_runs
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.policies.curves import Array

#: Most employees (summed over runs) stepped together.  Beyond a few thousand
#: the week's fixed costs are already shared and an ensemble only holds more
#: state at once: the default scenario ran 10.7 runs/s per core in ensembles
#: of 384 employees, 16.5 of 1,536, 18.4 of 4,032 and 18.8 of 8,064
#: (measured, 30 November 2026; execution, not behaviour).
MAX_EMPLOYEES = 4096


def batches[T](items: Sequence[T], employees: int, *, at_least: int = 1) -> list[list[T]]:
    """Consecutive ``items`` (runs of ``employees`` each) in ensembles of at most
    :data:`MAX_EMPLOYEES` employees, and in at least ``at_least`` ensembles where
    there are enough runs (one per worker)."""
    size = max(1, MAX_EMPLOYEES // max(employees, 1))
    size = min(size, max(1, math.ceil(len(items) / max(at_least, 1))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Ensemble:
    """Runs stepped in lockstep, a cohort of each policy as one organisation.

    At each quarter's start each run reads its policy and draws, and the runs
    are grouped (:func:`cohorts`); a cohort of several runs steps as one
    :class:`Cohort`, the others alone.  Draws and records stay each run's
    own.  A run whose horizon ends drops out.
    """

    def __init__(self, models: Sequence[OKRModel]) -> None:
        self.models = list(models)

    def run(self) -> None:
        """Run every member over its whole horizon."""
        active = [m for m in self.models if m.running]
        groups: list[Cohort | OKRModel] = []
        while active:
            assert len({m.week for m in active}) == 1, "an ensemble steps in lockstep"
            opening = active[0].week_in_quarter == 0  # policies change at a quarter's start
            starts = {id(m): m.read_quarter() for m in active} if opening else {}
            if opening or not groups:
                groups = cohorts(active, opening=opening)
            for group in groups if opening else ():
                group.open_quarter([starts[id(m)] for m in _members(group)])
            for model in active:
                model.draws = model.draw_week()
            for group in groups:
                if isinstance(group, Cohort):
                    group.draw()
            reportings = [week.until_reports(group) for group in groups]
            asked = [(r.question, _runs(g)) for r, g in zip(reportings, groups, strict=True)]
            answers = answer_runs(asked)
            for group, reporting, answer in zip(groups, reportings, answers, strict=True):
                week.from_reports(group, reporting, answer)
                if isinstance(group, Cohort):
                    group.scatter()
            rows = {id(m): row for g in groups if isinstance(g, Cohort) for m, row in g.week_rows()}
            for model in active:
                model.count_week(rows.get(id(model)))
            if active[0].week_in_quarter == 0:  # the quarter's last week is done
                for group in groups:
                    group.end_quarter()
            active = [m for m in active if m.running]


def cohorts(models: Sequence[OKRModel], *, opening: bool = False) -> list[Cohort | OKRModel]:
    """The runs grouped by the policy in force (:func:`~.in_force.cohort_key`):
    a :class:`Cohort` of each group of two or more, a run alone otherwise.

    Runs whose schedules meet in one policy may not be in step: a cohort's
    runs also have as many quarters awaiting settlement, a ratchet's record
    or none, and have heard the same statements.  ``opening``: gathered at a
    quarter's start, which makes its own state anew (:meth:`Cohort.open_quarter`).
    """
    groups: list[list[OKRModel]] = []  # in the order of their first run
    by_policy: dict[Hashable, list[list[OKRModel]]] = {}
    for model in models:
        same = by_policy.setdefault(cohort_key(model.policy), [])
        group = next((g for g in same if _in_step(g[0], model)), None)
        if group is None:
            same.append(group := [])
            groups.append(group)
        group.append(model)
    return [Cohort.gather(g, opening=opening) if len(g) > 1 else g[0] for g in groups]


def _in_step(a: OKRModel, b: OKRModel) -> bool:
    """Whether two runs under one policy have their reviews and statements in step."""
    reviews = len(a.year.scores) == len(b.year.scores)
    ratchet = (a.last_reported is None) == (b.last_reported is None)
    return reviews and ratchet and same_statement(a.statement, b.statement)


def _stackable(a: OKRModel, b: OKRModel) -> bool:
    """Whether two runs can step as one: in step, of one size and horizon
    (organisation-wide figures and records are taken row by row of equal runs)."""
    same = (a.workforce.n, a.org.krs, a.n_quarters) == (b.workforce.n, b.org.krs, b.n_quarters)
    return same and _in_step(a, b)


def _members(group: Cohort | OKRModel) -> list[OKRModel]:
    return group.members if isinstance(group, Cohort) else [group]


def _runs(group: Cohort | OKRModel) -> list[slice]:
    """The rows of each run of a group: a cohort's runs, or the run alone."""
    return group.rows if isinstance(group, Cohort) else [slice(0, group.workforce.n)]


@dataclass
class Cohort:
    """Runs under one policy as one organisation: their employees end to end.

    A state of the week, the quarter's start and its end (:mod:`~.week`,
    :mod:`~.quarter_start`, :mod:`~.quarter_end`).  Gathered at a quarter's
    start (:mod:`okrsim.model.stacking`): every array of each run's state is
    stacked, and the run's own becomes a view of its rows, so what is done to
    the cohort is done to each run.  Team and colleague numbers move past the
    runs before; public figures that differ become each employee's own
    organisation's; organisation-wide counts go to each run's tally
    (``Tally.parts``) and organisation-wide figures are each organisation's
    (``Organisation.overall``).
    """

    members: list[OKRModel]
    rows: list[slice]
    teams: list[slice]  # each run's teams
    workforce: Workforce
    org: Organisation
    policy: InForce
    public: PublicFigures
    tally: Tally
    alignment: Array
    priority_error: Array
    manager_view: Array
    year: YearBook
    leniency: Array
    last_reported: Array | None
    rule_draws: RuleDraws
    statement: Statement | None
    n_quarters: int
    draws: dict[str, Array] = field(default_factory=dict)
    outlook: Outlook = field(default=(np.empty(0), np.empty(0)))
    per_output: Array = field(default_factory=lambda: np.empty(0))
    week_value: Array = field(default_factory=lambda: np.empty(0))

    @property
    def week(self) -> int:
        return self.members[0].week

    @property
    def quarter(self) -> int:
        return self.members[0].quarter

    @property
    def week_in_quarter(self) -> int:
        return self.members[0].week_in_quarter

    @classmethod
    def gather(cls, members: Sequence[OKRModel], *, opening: bool = False) -> Cohort:
        """The runs as one; ``opening``: at a quarter's start, before its own state
        (tally, alignment, manager's view, rules' draws) is made (:meth:`open_quarter`)."""
        if not all(_stackable(members[0], m) for m in members[1:]):
            raise ValueError("a cohort's runs are of one size and horizon, their reviews in step")
        sizes = [m.workforce.n for m in members]
        rows = stacking.end_to_end(sizes)
        teams = stacking.end_to_end([m.org.n_teams for m in members])
        starts = [part.start for part in teams]
        # each run's teams numbered past those of the runs before
        team = np.concatenate([m.org.team + s for m, s in zip(members, starts, strict=True)])
        first = members[0]
        own = stacking.quarter_own(members, rows, teams, opening=opening)
        return cls(
            members=list(members),
            rows=rows,
            teams=teams,
            workforce=stacking.fields([m.workforce for m in members], rows, team=team),
            org=stacking.organisations([m.org for m in members], rows, starts, team),
            policy=first.policy.stacked([m.policy for m in members], sizes),
            public=stacking.public_figures([m.public for m in members], rows),
            priority_error=stacking.arrays(members, "priority_error", teams),
            year=stacking.year_books([m.year for m in members]),
            leniency=np.concatenate([m.leniency for m in members]),
            last_reported=stacking.last_reported([m.last_reported for m in members]),
            statement=stacking.statements([m.statement for m in members], sizes),
            n_quarters=first.n_quarters,
            tally=own.tally,
            alignment=own.alignment,
            manager_view=own.manager_view,
            rule_draws=own.rule_draws,
        )

    def open_quarter(self, draws: Sequence[QuarterStartDraws]) -> None:
        """The quarter's start for every run at once, from each run's own ``draws``;
        what it makes anew is handed to each run as its rows."""
        quarter_start.open_quarter(self, stacking.quarter_start_draws(draws))
        stacking.give_quarter_start(self, self.members, self.rows, self.teams)

    def draw(self) -> None:
        """The week's draws, each run's from its own streams, end to end."""
        first = self.members[0].draws
        self.draws = {k: np.concatenate([m.draws[k] for m in self.members]) for k in first}

    def week_rows(self) -> list[tuple[OKRModel, dict[str, float]]]:
        """Each run's series of the week just ended, taken at once (the runs are of one size).

        Labelled as :meth:`OKRModel.end_week` labels them: the week counted.
        """
        first = self.members[0]
        counted = first.week + 1
        rows = weekly_records.week_rows(
            self.workforce,
            self.week_value,
            len(self.members),
            week=counted,
            quarter=first.quarter,
            week_in_quarter=counted % WEEKS_PER_QUARTER,
        )
        return list(zip(self.members, rows, strict=True))

    def end_quarter(self) -> None:
        """The quarter's end for every run at once, from each run's own draws; what
        it rebinds (year book, the ratchet's record, public figures) goes back to each."""
        draws = stacking.quarter_draws(
            [m.draw_quarter() for m in self.members], self.rows, self.workforce.team
        )
        review, left = quarter_end.review(self, draws)
        self.record_quarter(review, left)
        quarter_end.renew(self, review, left, draws)
        assert self.last_reported is not None  # kept at every quarter's end
        for model, rows in zip(self.members, self.rows, strict=True):
            model.year = stacking.give_year_book(self.year, rows)
            model.last_reported = self.last_reported[rows]
            model.public = stacking.give_public_figures(self.public, rows)
            model.close_quarter()

    def record_quarter(self, review: Review, left: Array) -> None:
        """Each run's quarter records and metrics, worked out for the cohort at once."""
        wf, k = self.workforce, self.org.krs
        columns = records.employee_columns(
            self.quarter, wf, self.policy, self.tally, review, left=left, alignment=self.alignment
        )
        key_results = records.key_result_columns(self.quarter, wf, self.org, self.tally, review)
        rows = records.quarter_rows(
            columns, [m.weekly for m in self.members], [m.tally for m in self.members], krs=k
        )
        for model, part, row in zip(self.members, self.rows, rows, strict=True):
            own = stacking.records_of(columns, key_results, part, model.workforce.team, k)
            records.keep_quarter(*own, stream=model.stream, held=model.held)
            model.quarter_rows.append(row)

    def scatter(self) -> None:
        """The week's outlook, value of output and value created, to each run."""
        mu, sd = self.outlook
        for model, rows in zip(self.members, self.rows, strict=True):
            model.outlook = (mu[rows], sd[rows])
            model.per_output = self.per_output[rows]
            model.week_value = self.week_value[rows]
