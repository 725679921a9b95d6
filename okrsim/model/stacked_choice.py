"""The week's report choices of several runs, answered in one call where they can be.

Questions (:class:`~okrsim.policies.choices.ShadingQuestion`) that take the
same code path in :func:`~okrsim.policies.choices.choose_shading`
(:meth:`~okrsim.policies.choices.ShadingQuestion.branches`) and agree on
every scalar it reads and on the curve are stacked along the employee axis
(a cohort's curve of its runs' own numbers, :attr:`Curve.per_row`, keeps its
question apart),
answered once and split back; every element is then computed by the same
operations on the same numbers as alone.  A cohort's question is its runs'
questions already stacked: it is answered whole where every run's rows take
the same code path, and run by run otherwise (:func:`answer_runs`).  Used by
:class:`~okrsim.model.ensemble.Ensemble` across its cohorts.

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from okrsim.policies.choices import Payoff, ReportStakes, ShadingAnswer, ShadingQuestion
from okrsim.policies.curves import Curve


def answer_runs(
    asked: Sequence[tuple[ShadingQuestion | None, Sequence[slice]]],
) -> list[ShadingAnswer | None]:
    """Each state's question answered as each of its runs would answer it alone.

    ``asked``: a state's question and its runs' rows (one slice for a run
    alone, one per run for a cohort).  The code path is chosen by tests on
    whole arrays (:meth:`~ShadingQuestion.branches`), so a cohort whose runs'
    rows would take different paths alone, or whose runs weigh different
    options, is answered run by run; the pieces then stack with any question
    on their path (:func:`answer_together`).
    """
    pieces: list[ShadingQuestion] = []
    owners: list[int] = []
    for index, (question, rows) in enumerate(asked):
        if question is None:
            continue
        same_path = len(set(question.branches_by_run(len(rows)))) == 1
        if same_path and not question.options_by_run:
            parts = [question]
        else:
            parts = [_rows_of(question, r, i) for i, r in enumerate(rows)]
        pieces.extend(parts)
        owners.extend([index] * len(parts))
    answers: list[ShadingAnswer | None] = [None] * len(asked)
    given = answer_together(pieces)
    for index in dict.fromkeys(owners):
        own = [a for a, owner in zip(given, owners, strict=True) if owner == index and a]
        answers[index] = (np.concatenate([a[0] for a in own]), np.concatenate([a[1] for a in own]))
    return answers


def _rows_of(question: ShadingQuestion, rows: slice, run: int) -> ShadingQuestion:
    """The question of a cohort's ``run``: its rows of every per-employee array, and
    its own options."""
    n = len(question.mu_attainment)
    return ShadingQuestion(
        question.mu_attainment[rows],
        question.sd_attainment[rows],
        payoff=own_rows(question.payoff, rows, n),
        stakes=own_rows(question.stakes, rows, n),
        options=question.options_by_run[run] if question.options_by_run else question.options,
    )


def own_rows[H: (Payoff, ReportStakes)](holder: H, rows: slice, n: int) -> H:
    """``holder`` with each per-employee array of its ``n`` employees, (n, 1) or
    (n, k), cut to ``rows`` (one run's of a cohort), and a curve whose numbers
    are each employee's run's made that run's (:meth:`Curve.rows`); the rest
    as it is."""
    own = {}
    for f in dataclasses.fields(holder):
        value = getattr(holder, f.name)
        if _stacked(value, n):
            own[f.name] = value[rows]
        elif isinstance(value, Curve) and value.per_row:
            own[f.name] = value.rows(rows)
    return dataclasses.replace(holder, **own)


def answer_together(questions: Sequence[ShadingQuestion | None]) -> list[ShadingAnswer | None]:
    """Each question's :meth:`~ShadingQuestion.answer`, stacked where they share a code path."""
    asked = [(i, question) for i, question in enumerate(questions) if question is not None]
    groups: dict[Hashable, list[tuple[int, ShadingQuestion]]] = {}
    for i, question in asked:
        # one question is its own group: no key to work out
        groups.setdefault(_path(question) if len(asked) > 1 else i, []).append((i, question))
    answers: list[ShadingAnswer | None] = [None] * len(questions)
    for members in groups.values():
        if len(members) == 1:
            i, question = members[0]
            answers[i] = question.answer()
            continue
        group = [question for _, question in members]
        shading, gain = _stack(group).answer()
        ends = np.cumsum([len(q.mu_attainment) for q in group])[:-1]
        for (i, _), s, g in zip(
            members, np.split(shading, ends), np.split(gain, ends), strict=True
        ):
            answers[i] = (s, g)
    return answers


def _path(question: ShadingQuestion) -> Hashable:
    """What must be equal for questions to be stacked: branches, scalars and the curve."""
    rows = len(question.mu_attainment)
    scalars = [
        _scalar(value, rows)
        for holder in (question.payoff, question.stakes)
        for value in _values(holder)
    ]
    shape = question.mu_attainment.shape[1:]
    return (shape, question.branches(), question.options.tobytes(), tuple(scalars))


def _values(holder: Payoff | ReportStakes) -> list[Any]:
    return [getattr(holder, f.name) for f in dataclasses.fields(holder)]


def _stacked(value: Any, rows: int) -> bool:
    """Whether a field is per employee: (employees, 1) or (employees, key results)."""
    return not isinstance(value, Curve) and np.ndim(value) == 2 and np.shape(value)[0] == rows


def _scalar(value: Any, rows: int) -> Hashable:
    """A field's value as it enters the stacking key: per-employee arrays are stacked,
    anything else must be equal."""
    if isinstance(value, Curve):
        # a curve of each employee's run's numbers is its question's alone
        return ("per row", id(value)) if value.per_row else value
    array = np.asarray(value)
    if _stacked(array, rows):
        return ("stacked", array.shape[1])
    if array.ndim and array.shape[0] == rows:
        raise ValueError(f"a per-employee field of shape {array.shape} is not (employees, 1 or k)")
    return (array.shape, array.dtype.str, array.tobytes())


def _stack(group: Sequence[ShadingQuestion]) -> ShadingQuestion:
    """Questions of one code path as one, their per-employee arrays end to end."""
    first = group[0]

    def joined(holders: Sequence[Payoff | ReportStakes]) -> dict[str, Any]:
        changes = {}
        for f in dataclasses.fields(holders[0]):
            values = [getattr(h, f.name) for h in holders]
            if _stacked(values[0], len(first.mu_attainment)):
                changes[f.name] = np.concatenate([np.asarray(v) for v in values])
        return changes

    payoff = dataclasses.replace(first.payoff, **joined([q.payoff for q in group]))
    stakes = dataclasses.replace(first.stakes, **joined([q.stakes for q in group]))
    return ShadingQuestion(
        np.concatenate([q.mu_attainment for q in group]),
        np.concatenate([q.sd_attainment for q in group]),
        payoff=payoff,
        stakes=stakes,
        options=first.options,
    )
