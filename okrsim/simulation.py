"""``run(scenario, seed)``: one simulation, returned as tidy tables.

This is the entry point every front end and the sweeps layer call.  It does no
I/O; :mod:`okrsim.run_store` writes results to disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from okrsim.metrics import METRICS, nanmeans, recovery
from okrsim.model import OKRModel, records
from okrsim.model.ensemble import Ensemble
from okrsim.model.records import RecordStream
from okrsim.params import Scenario
from okrsim.seeding import RunSeed, SeedLike


@dataclass(frozen=True)
class RunResult:
    """One run's results.

    Attributes
    ----------
    weekly
        One row per week: model-level series (progress reported vs true, effort
        shares, blockers, watermelons, stress, value).
    quarterly
        One row per quarter, a ``quarter`` column and one column per metric.
    employees
        One row per employee per quarter: targets, true and reported output,
        scores, ratings and true contribution side by side.
    key_results
        One row per employee × key result × quarter: target and offer,
        expected, true and reported output, measured attainment, kind
        (aspirational, shared, dependent), when it was blocked and raised, its
        output by third of the quarter, and its last statuses.
    employee_weeks
        One row per employee × week (effort split, reported and true progress
        and blocker flags per key result); empty unless ``weekly_detail``.

    ``employees``, ``key_results`` and ``employee_weeks`` are empty when the
    run streamed them (``run(..., stream=...)``).  The first two are made
    from the run's quarterly columns when first read (``held``): a sweep
    reads only the quarterly metrics.
    seed
        The seed that rebuilds this run exactly.
    """

    scenario: Scenario
    seed: RunSeed
    weekly: pd.DataFrame
    quarterly: pd.DataFrame
    held: records.Held = field(default_factory=records.Held, repr=False, compare=False)
    employee_weeks: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, float] = field(init=False)
    final: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        q = self.quarterly
        names = [m for m in METRICS if m in q.columns]
        # one contiguous row per metric: numpy's reductions without pandas' per-column cost
        position = {name: i for i, name in enumerate(q.columns)}
        where = np.array([position[m] for m in names], dtype=np.intp)
        columns = np.ascontiguousarray(q.to_numpy(dtype=float)[:, where].T)
        summary = {m: float(v) for m, v in zip(names, nanmeans(columns), strict=True)}
        final = {m: float(v[-1]) for m, v in zip(names, columns, strict=True)}
        figures = recovery(q, self.scenario.last_change)
        summary |= figures
        final |= figures
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "final", final)

    @cached_property
    def employees(self) -> pd.DataFrame:
        return records.employee_frame(self.held.employees)

    @cached_property
    def key_results(self) -> pd.DataFrame:
        return records.key_result_frame(self.held.key_results)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by the name of the file it is written to (empty ones left out)."""
        tables = {
            "weekly": self.weekly,
            "quarterly": self.quarterly,
            "employees": self.employees,
            "key_results": self.key_results,
            "employee_weeks": self.employee_weeks,
        }
        return {name: frame for name, frame in tables.items() if not frame.empty}


def run(
    scenario: Scenario,
    seed: SeedLike = 0,
    *,
    weekly_detail: bool = False,
    stream: RecordStream | None = None,
) -> RunResult:
    """Simulate ``scenario`` over its horizon with the given seed.

    The same scenario and seed give bit-identical results in any process.
    ``summary`` holds each metric's mean over the horizon's quarters and
    ``final`` its value in the last quarter, both with the run's figures of
    :data:`~okrsim.metrics.RUN_METRICS`.  ``weekly_detail`` adds one row
    per employee × week (``employee_weeks``).  ``stream`` takes the
    per-employee tables block by block as the run makes them, so the run
    never holds them whole (:func:`okrsim.run_store.run_to`).
    """
    model = OKRModel(scenario, seed, weekly_detail=weekly_detail, stream=stream)
    model.run()
    return _result(model)


def run_many(
    scenarios: Sequence[Scenario], seeds: Sequence[SeedLike], *, weekly_detail: bool = False
) -> list[RunResult]:
    """``[run(s, seed) for s, seed in zip(scenarios, seeds)]``, bit for bit, stepped together.

    Runs under one policy step as one organisation, quarter by quarter
    (:class:`~okrsim.model.ensemble.Ensemble`), which saves most of the
    per-call cost; scenarios may differ in anything, size included.
    """
    models = [
        OKRModel(s, seed, weekly_detail=weekly_detail)
        for s, seed in zip(scenarios, seeds, strict=True)
    ]
    Ensemble(models).run()
    return [_result(model) for model in models]


def _result(model: OKRModel) -> RunResult:
    return RunResult(
        scenario=model.base_scenario,
        seed=model.run_seed,
        weekly=model.weekly_frame(),
        quarterly=model.quarterly_frame(),
        held=model.held,
        employee_weeks=model.employee_week_frame(),
    )
