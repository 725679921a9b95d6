"""Organisations end to end: what an ensemble's cohort is gathered from and given back.

Each run's arrays are stacked along the employee (or team) axis in the
runs' order; where a run keeps the array as state, its own becomes a view of
its rows, so what is done to the cohort is done to each run.  Team and
colleague numbers move past the runs before; organisation-wide figures
that differ become each employee's own organisation's; what a cohort's
quarter end rebinds is handed back run by run.

docs/ODD.md §3 (process overview and scheduling: runs stepped together).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from okrsim.model.decision_rules import RuleDraws
from okrsim.model.organisation import Figure, Organisation, PublicFigures
from okrsim.model.policy_beliefs import STATED_EACH_RUN, Statement, same
from okrsim.model.quarter_end import QuarterDraws
from okrsim.model.quarter_review import YearBook
from okrsim.model.quarter_start import QuarterStartDraws, QuarterStartState
from okrsim.model.tally import Tally
from okrsim.policies.curves import Array


def end_to_end(sizes: Sequence[int]) -> list[slice]:
    """Consecutive slices of the given sizes: each run's rows (or teams)."""
    ends = np.cumsum(sizes)
    return [slice(int(end - size), int(end)) for end, size in zip(ends, sizes, strict=True)]


def arrays(holders: Sequence[Any], name: str, rows: Sequence[slice]) -> Array:
    """``name`` of every holder end to end; each holder's becomes a view of its rows."""
    stacked = np.concatenate([getattr(h, name) for h in holders])
    for holder, part in zip(holders, rows, strict=True):
        setattr(holder, name, stacked[part])
    return stacked


def fields(
    holders: Sequence[Any], rows: Sequence[slice], *, team: Array | None = None, views: bool = True
) -> Any:
    """A copy of the first holder with every array field stacked (:func:`arrays`;
    the holders keep their own arrays unless ``views``) and ``n`` the total; a
    ``team`` field, the same for every run, is ``team``."""
    stacked = copy.copy(holders[0])
    for f in dataclasses.fields(holders[0]):
        first = getattr(holders[0], f.name)
        if f.name == "team" and team is not None:
            stacked.team = team
        elif isinstance(first, np.ndarray) and views:
            setattr(stacked, f.name, arrays(holders, f.name, rows))
        elif isinstance(first, np.ndarray):
            setattr(stacked, f.name, np.concatenate([getattr(h, f.name) for h in holders]))
    stacked.n = rows[-1].stop
    return stacked


def parts(holder: Any, rows: Sequence[slice]) -> list[Any]:
    """Each run's rows of a stacked holder (the inverse of :func:`fields`): a copy
    whose array fields are views of its rows, its lists new and ``n`` its size."""
    out = []
    for part in rows:
        own = copy.copy(holder)
        for f in dataclasses.fields(holder):
            value = getattr(holder, f.name)
            if isinstance(value, np.ndarray):
                setattr(own, f.name, value[part])
            elif isinstance(value, list):
                setattr(own, f.name, [])
        own.n = part.stop - part.start
        out.append(own)
    return out


def organisations(
    orgs: Sequence[Organisation], rows: Sequence[slice], teams: Sequence[int], team: Array
) -> Organisation:
    """The organisations as one: teams and colleagues numbered past those before
    (``teams``: each organisation's first team; ``team``: each employee's).

    The dependency graph is the first's: the week reads suppliers, not the graph.
    """

    def moved(values: list[Array], by: Sequence[int] | Array) -> Array:
        return np.concatenate(
            [np.where(v >= 0, v + b, -1) for v, b in zip(values, by, strict=True)]
        )

    return dataclasses.replace(
        orgs[0],
        n_teams=int(sum(o.n_teams for o in orgs)),
        team=team,
        upstream=moved([o.upstream for o in orgs], teams),
        supplier=moved([o.supplier for o in orgs], [r.start for r in rows]),
        shared=np.concatenate([o.shared for o in orgs]),
        aspirational=np.concatenate([o.aspirational for o in orgs]),
        runs=len(orgs),
    )


def public_figures(figures: Sequence[PublicFigures], rows: Sequence[slice]) -> PublicFigures:
    """Figures all runs share stay numbers; the others become each employee's own."""
    sizes = [r.stop - r.start for r in rows]

    def per_employee(values: list[float]) -> Figure:
        # the same number, sign of zero included (−0.0 == 0.0, but not in every use)
        if len({np.float64(v).tobytes() for v in values}) > 1:
            return np.repeat(np.array(values, dtype=float), sizes)
        return values[0]

    changes: dict[str, Any] = {}
    for f in dataclasses.fields(figures[0]):
        values = [getattr(p, f.name) for p in figures]
        if isinstance(values[0], tuple):
            changes[f.name] = tuple(per_employee(list(v)) for v in zip(*values, strict=True))
        else:
            changes[f.name] = per_employee(values)
    return dataclasses.replace(figures[0], **changes)


def figure_of(figure: Figure, rows: slice) -> float:
    """A run's own value of a figure worked out per organisation."""
    return float(np.asarray(figure)[rows.start]) if np.ndim(figure) else float(figure)


def give_public_figures(public: PublicFigures, rows: slice) -> PublicFigures:
    """A run's own public figures from a cohort's."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(public):
        value = getattr(public, f.name)
        if isinstance(value, tuple):
            changes[f.name] = tuple(figure_of(v, rows) for v in value)
        else:
            changes[f.name] = figure_of(value, rows)
    return dataclasses.replace(public, **changes)


def year_books(years: Sequence[YearBook]) -> YearBook:
    """The runs' year books end to end (their reviews in step: :meth:`Cohort.gather`)."""
    return YearBook(
        last_rating=np.concatenate([y.last_rating for y in years]),
        scores=[np.concatenate(q) for q in zip(*(y.scores for y in years), strict=True)],
        judged=[np.concatenate(q) for q in zip(*(y.judged for y in years), strict=True)],
    )


def give_year_book(year: YearBook, rows: slice) -> YearBook:
    """A run's own rows of a cohort's year book."""
    return YearBook(
        last_rating=year.last_rating[rows],
        scores=[q[rows] for q in year.scores],
        judged=[q[rows] for q in year.judged],
    )


def last_reported(reported: Sequence[Array | None]) -> Array | None:
    """The reported output the ratchet reads, end to end (none before the first review)."""
    kept = [r for r in reported if r is not None]
    return np.concatenate(kept) if kept else None


def rule_draws(draws: Sequence[RuleDraws]) -> RuleDraws:
    """The quarter's decision-rule draws, end to end."""
    return RuleDraws(*(np.concatenate(each) for each in zip(*draws, strict=True)))


class QuarterOwn(NamedTuple):
    """A cohort's state of the quarter in progress, which its start makes anew."""

    tally: Tally
    alignment: Array  # per team
    manager_view: Array
    rule_draws: RuleDraws


def statements(held: Sequence[Statement | None], sizes: Sequence[int]) -> Statement | None:
    """The statements each of a cohort's runs last heard (None: nothing yet), as one:
    a field in which they differ holds each employee's run's (only
    :data:`~.policy_beliefs.STATED_EACH_RUN` may; :func:`~.policy_beliefs.same_statement`)."""
    first, own = held[0], dict[str, Any]()
    if first is None:
        return None
    for name in STATED_EACH_RUN:
        values = [getattr(statement, name) for statement in held]
        if not all(same(v, values[0]) for v in values[1:]):
            own[name] = np.repeat(np.asarray(values, dtype=float), sizes)
    return dataclasses.replace(first, **own)


def give_statement(statement: Statement | None, rows: slice) -> Statement | None:
    """What the run whose employees are ``rows`` of a cohort last heard, as alone."""
    if statement is None:
        return None
    each: dict[str, Any] = {
        f.name: float(value[rows.start])
        for f in dataclasses.fields(statement)
        if isinstance(value := getattr(statement, f.name), np.ndarray)
    }
    return dataclasses.replace(statement, **each)


def quarter_own(
    runs: Sequence[Any], rows: Sequence[slice], teams: Sequence[slice], *, opening: bool
) -> QuarterOwn:
    """The runs' state of the quarter in progress, end to end; empty when
    ``opening`` a quarter, whose start makes it (``Cohort.open_quarter``)."""
    if opening:
        k, none = runs[0].org.krs, np.empty((0, 0))
        return QuarterOwn(Tally(0, k), np.empty(0), np.empty((0, k)), RuleDraws(none, none, none))
    tally = fields([r.tally for r in runs], rows)
    tally.parts = [(part, r.tally) for part, r in zip(rows, runs, strict=True)]
    return QuarterOwn(
        tally=tally,
        alignment=arrays(runs, "alignment", teams),
        manager_view=arrays(runs, "manager_view", rows),
        rule_draws=rule_draws([r.rule_draws for r in runs]),
    )


def give_quarter_start(
    state: QuarterStartState, runs: Sequence[Any], rows: Sequence[slice], teams: Sequence[slice]
) -> None:
    """What a cohort's quarter's start made, handed to each run as its rows
    (the runs' tallies become the cohort's tally's parts)."""
    tallies = parts(state.tally, rows)
    state.tally.parts = list(zip(rows, tallies, strict=True))
    for run, own, team, tally in zip(runs, rows, teams, tallies, strict=True):
        run.statement = give_statement(state.statement, own)
        run.tally = tally
        run.priority_error = state.priority_error[team]
        run.alignment = state.alignment[team]
        run.manager_view = state.manager_view[own]
        run.rule_draws = RuleDraws(*(draw[own] for draw in state.rule_draws))


def quarter_start_draws(draws: Sequence[QuarterStartDraws]) -> QuarterStartDraws:
    """Each run's quarter's-start draws, from its own streams, end to end."""
    return QuarterStartDraws(
        drift=np.concatenate([d.drift for d in draws]),
        rules=rule_draws([d.rules for d in draws]),
        estimate_noise=np.concatenate([d.estimate_noise for d in draws]),
    )


def quarter_draws(
    draws: Sequence[QuarterDraws], rows: Sequence[slice], team: Array
) -> QuarterDraws:
    """Each run's quarter's-end draws, from its own streams, end to end."""
    return QuarterDraws(
        seen_noise=np.concatenate([d.seen_noise for d in draws]),
        quit_u=np.concatenate([d.quit_u for d in draws]),
        newcomers=fields([d.newcomers for d in draws], rows, team=team, views=False),
        peer_noise=np.concatenate([d.peer_noise for d in draws], axis=1),
        team_noise=np.concatenate([d.team_noise for d in draws], axis=1),
        imitate_u=np.concatenate([d.imitate_u for d in draws]),
        imitate_offset=np.concatenate([d.imitate_offset for d in draws]),
    )


def records_of(
    employees: dict[str, Array],
    key_results: dict[str, Array],
    rows: slice,
    team: Array,
    krs: int,
) -> tuple[dict[str, Array], dict[str, Array]]:
    """A run's own rows of a cohort's quarter records, its employees and teams
    numbered as its own (``team``: the run's own team of each employee)."""
    n = rows.stop - rows.start
    by_kr = slice(rows.start * krs, rows.stop * krs)
    own = {name: values[rows] for name, values in employees.items()}
    own_krs = {name: values[by_kr] for name, values in key_results.items()}
    own["employee"], own["team"] = np.arange(n), team.copy()
    own_krs["employee"], own_krs["team"] = np.repeat(np.arange(n), krs), np.repeat(team, krs)
    return own, own_krs
