"""Runs stepped together, week by week, their report choices made as one array program.

An ensemble holds independent runs (replications, or design points of any
size): each keeps its own scenario, seed streams, state and records, and
steps exactly as it would alone.  Only the week's report choice — the
costliest decision in a week — is taken for all of them at once: the
questions of runs that share a code path (:meth:`ShadingQuestion.branches`
and every scalar the choice reads) are stacked along the employee axis,
answered in one :func:`~okrsim.policies.choices.choose_shading` call, and
split back.  Every element is computed by the same operations on the same
numbers as alone, so each run's results are bit-identical to its run alone
(a test holds every output table to it).

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from okrsim.model.model import OKRModel
from okrsim.policies.choices import Payoff, ReportStakes, ShadingAnswer, ShadingQuestion
from okrsim.policies.curves import Curve

#: Most employees (summed over runs) stepped together.  Beyond a few thousand
#: the week's fixed costs are already shared and an ensemble only holds more
#: state at once (assumption, from benchmarks/bench_sweep.py's ensembles).
MAX_EMPLOYEES = 4096


def batches[T](items: Sequence[T], employees: int, *, at_least: int = 1) -> list[list[T]]:
    """Consecutive ``items`` (runs of ``employees`` each) in ensembles of at most
    :data:`MAX_EMPLOYEES` employees, and in at least ``at_least`` ensembles where
    there are enough runs (one per worker)."""
    size = max(1, MAX_EMPLOYEES // max(employees, 1))
    size = min(size, max(1, math.ceil(len(items) / max(at_least, 1))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Ensemble:
    """Runs stepped in lockstep; a run whose horizon ends drops out."""

    def __init__(self, models: Sequence[OKRModel]) -> None:
        self.models = list(models)

    def run(self) -> None:
        """Run every member over its whole horizon."""
        active = [m for m in self.models if m.running]
        while active:
            asked = [m.work_week() for m in active]
            answers = answer_together([a.question for a in asked])
            for model, question, answer in zip(active, asked, answers, strict=True):
                model.report_week(question, answer)
            active = [m for m in active if m.running]


def answer_together(questions: Sequence[ShadingQuestion | None]) -> list[ShadingAnswer | None]:
    """Each question's :meth:`~ShadingQuestion.answer`, stacked where they share a code path."""
    groups: dict[Hashable, list[int]] = {}
    for i, question in enumerate(questions):
        if question is not None:
            groups.setdefault(_path(question), []).append(i)
    answers: list[ShadingAnswer | None] = [None] * len(questions)
    for members in groups.values():
        if len(members) == 1:
            answers[members[0]] = questions[members[0]].answer()  # type: ignore[union-attr]
            continue
        group = [q for i, q in enumerate(questions) if i in members and q is not None]
        shading, gain = _stack(group).answer()
        ends = np.cumsum([len(q.mu_attainment) for q in group])[:-1]
        for i, s, g in zip(members, np.split(shading, ends), np.split(gain, ends), strict=True):
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
        return value
    array = np.asarray(value)
    if _stacked(array, rows):
        return ("stacked", array.shape[1])
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
