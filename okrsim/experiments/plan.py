"""The run plan: every run of a sweep, its scenario and its seed, fixed before dispatch.

A sweep of ``P`` design points × ``R`` replications has runs ``0 … P·R − 1``;
run ``i`` is design point ``i // R``, replication ``i % R``.  Its seed is a
child of the experiment's root ``SeedSequence``, keyed by index:

* ``crn = true`` — spawn key ``(RUN_STREAM, r)``: every design point's
  replication ``r`` faces the same workforce and shocks (common random
  numbers), so differences between points are the policy's effect;
* ``crn = false`` — spawn key ``(RUN_STREAM, i)``: every run is independent.

The key equals ``SeedSequence(root).spawn(…)[RUN_STREAM].spawn(…)[k]``.  Because
seeds depend only on the run index — not on the executor, the number of
workers, the chunking or the order in which runs finish — a sweep gives the
same rows however it is run, and any row can be rebuilt from its recorded
``seed_entropy`` and ``spawn_key`` (Axelrod's practice of planning seeds
before parallel dispatch; Knight et al. 2016).

Every design point is validated as a :class:`~okrsim.params.Scenario` here,
before any run starts.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from okrsim.experiments.design import Design, build_design, design_size
from okrsim.experiments.spec import Experiment, load_experiment
from okrsim.params import Scenario, ScenarioError
from okrsim.seeding import RunSeed

#: Spawn key of the runs' seeds under the root seed (the design uses 1).
RUN_STREAM = 0
#: The function a run calls: ``module:function(scenario, seed, **runner_args) -> RunResult``.
DEFAULT_RUNNER = "okrsim.simulation:run"
#: Runners with a form that takes many runs at once, ``module:function(scenarios,
#: seeds, **runner_args) -> [result, ...]``, giving each run's result bit for bit
#: (an ensemble, :mod:`okrsim.model.ensemble`); a worker hands it its chunk's runs.
BATCH_RUNNERS = {
    DEFAULT_RUNNER: "okrsim.simulation:run_many",
    "okrsim.experiments.effects:paired_effect": "okrsim.experiments.effects:paired_effects",
}
#: Bumped when the meaning of a stored sweep changes; part of the design hash.
FORMAT = "okrsim-sweep/1"
#: Most runs (design points × replications) a plan accepts unless told otherwise;
#: a sweep's ``--max-runs`` raises it.  Also caps the design points, which are
#: never more than the runs.
DEFAULT_MAX_RUNS = 100_000
#: How many invalid design points an error message lists before summarising.
_MAX_LISTED = 5


@dataclass(frozen=True)
class RunTask:
    """One planned run: identity, seed and the swept values of its design point."""

    run_id: int
    point_id: int
    replication: int
    seed_entropy: int
    spawn_key: tuple[int, ...]
    point: dict[str, Any]

    @property
    def seed(self) -> RunSeed:
        return RunSeed(self.seed_entropy, self.spawn_key)

    def ids(self) -> dict[str, Any]:
        """The identifying columns every stored row starts with."""
        return {
            "run_id": self.run_id,
            "point_id": self.point_id,
            "replication": self.replication,
            "seed_entropy": self.seed_entropy,
            "spawn_key": spawn_key_text(self.spawn_key),
        }


@dataclass(frozen=True)
class Chunk:
    """Runs sent to a worker together, with what the worker needs to run them.

    Plain data only (the base scenario as a JSON-ready dict), so a chunk
    pickles cheaply to a process pool or a Dask worker.
    """

    base: dict[str, Any]
    metrics: tuple[str, ...]
    statistic: str
    series: bool
    runner: str
    tasks: tuple[RunTask, ...]
    #: Keyword arguments of the runner, JSON-ready (empty for :data:`DEFAULT_RUNNER`).
    runner_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A validated experiment, its design points and its seeds.

    ``points`` hold each point's swept values as the scenario stores them
    (``comp.coupling = 0`` in a file becomes ``0.0``); ``design_hash``
    identifies everything that determines the sweep's rows.  ``runner_args``
    are keyword arguments every run passes to the runner (a paired runner's
    two arms, say); they are part of the hash when given.
    """

    experiment: Experiment
    design: Design
    points: list[dict[str, Any]]
    runner: str
    design_hash: str
    runner_args: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def replications(self) -> int:
        return self.experiment.replications

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    @property
    def keys(self) -> tuple[str, ...]:
        return self.design.keys

    def task(self, run_id: int) -> RunTask:
        """The planned run ``run_id``."""
        if not 0 <= run_id < self.n_runs:
            raise IndexError(f"run_id {run_id} is outside 0 … {self.n_runs - 1}")
        point_id, replication = divmod(run_id, self.replications)
        key = spawn_key_for(run_id, replication, crn=self.experiment.crn)
        return RunTask(
            run_id, point_id, replication, self.experiment.seed, key, self.points[point_id]
        )

    def chunk(self, run_ids: Iterable[int]) -> Chunk:
        """The planned runs ``run_ids`` as one chunk of work."""
        out = self.experiment.outcomes
        return Chunk(
            self._base,
            self.experiment.metrics,
            out.statistic,
            out.series,
            self.runner,
            tuple(self.task(i) for i in run_ids),
            self.runner_args,
        )

    def chunks(self, run_ids: Iterable[int], size: int) -> Iterator[Chunk]:
        """Consecutive runs from ``run_ids`` grouped ``size`` at a time, built lazily."""
        ids = iter(run_ids)
        while batch := list(itertools.islice(ids, size)):
            yield self.chunk(batch)

    @functools.cached_property
    def _base(self) -> dict[str, Any]:
        return self.experiment.base.model_dump(mode="json")

    def describe(self) -> dict[str, Any]:
        """Everything that determines the rows, JSON-ready; hashed into ``design_hash``."""
        exp = self.experiment
        described = {
            "format": FORMAT,
            "name": exp.name,
            "design": self.design.kind,
            "design_settings": self.design.settings,
            "axes": [a.describe() for a in self.design.axes],
            "points": self.points,
            "replications": exp.replications,
            "seed": exp.seed,
            "crn": exp.crn,
            "metrics": list(exp.metrics),
            "statistic": exp.outcomes.statistic,
            "series": exp.outcomes.series,
            "runner": self.runner,
            "base_scenario": exp.base.model_dump(mode="json"),
        }
        # Only when given, so the hashes of plain sweeps stay what they were.
        if self.runner_args:
            described["runner_args"] = self.runner_args
        return described


def spawn_key_for(run_id: int, replication: int, *, crn: bool) -> tuple[int, ...]:
    """A run's spawn key under the root seed (see the module docstring)."""
    return (RUN_STREAM, replication if crn else run_id)


def spawn_key_text(key: tuple[int, ...]) -> str:
    """``(0, 17)`` as ``"0/17"``, the form stored in the ``spawn_key`` column."""
    return "/".join(str(k) for k in key)


def parse_spawn_key(text: str) -> tuple[int, ...]:
    """Inverse of :func:`spawn_key_text`."""
    return tuple(int(k) for k in text.split("/")) if text else ()


def plan_sweep(
    path: str | Path, *, runner: str = DEFAULT_RUNNER, max_runs: int = DEFAULT_MAX_RUNS
) -> Plan:
    """Load an experiment file, build its design and validate every point.

    Raises
    ------
    ScenarioError
        If the file is invalid, the plan has more than ``max_runs`` runs, or
        any design point is not a valid scenario; nothing has run yet when
        this is raised.
    """
    return plan_experiment(load_experiment(path), runner=runner, max_runs=max_runs)


def plan_experiment(
    experiment: Experiment,
    *,
    runner: str = DEFAULT_RUNNER,
    max_runs: int = DEFAULT_MAX_RUNS,
    runner_args: dict[str, Any] | None = None,
) -> Plan:
    """Build and validate the design of an already-loaded experiment.

    The plan's size is checked against ``max_runs`` first, so a design of
    10¹⁰ points is refused with its size instead of filling the memory.
    ``runner_args`` (JSON-ready) are passed to the runner by every run.
    """
    n_points = design_size(experiment)
    n_runs = n_points * experiment.replications
    if n_runs > max_runs:
        raise ScenarioError(
            f"{experiment.path}: experiment: {n_points:,} design points × "
            f"{experiment.replications:,} replications = {n_runs:,} runs is over the cap of "
            f"{max_runs:,} runs; give --max-runs {n_runs} to plan it anyway"
        )
    design = build_design(experiment)
    points = validate_points(experiment.base, design, source=experiment.path)
    args = dict(runner_args or {})
    plan = Plan(experiment, design, points, runner, "", args)
    digest = hashlib.sha256(canonical_json(plan.describe()).encode()).hexdigest()
    return Plan(experiment, design, points, runner, digest, args)


def validate_points(base: Scenario, design: Design, *, source: str) -> list[dict[str, Any]]:
    """Each point as a validated scenario; its swept values as the scenario holds them.

    Cross-field rules (``comp.floor`` below ``comp.cap``) are checked here
    too, so a sampled corner that breaks one is reported before any run.
    """
    points: list[dict[str, Any]] = []
    problems: list[str] = []
    for point_id, point in enumerate(design.points):
        try:
            scenario = base.with_overrides(point, source=f"{source}: design point {point_id}")
        except ScenarioError as exc:
            problems.append(str(exc))
            continue
        points.append({key: _value(scenario, key) for key in point})
    if problems:
        shown = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            more = len(problems) - _MAX_LISTED
            shown.append(f"{source}: … and {more} more invalid design points")
        raise ScenarioError("\n".join(shown))
    return points


def canonical_json(data: Any) -> str:
    """Sorted, compact JSON: equal data give equal text (and equal hashes)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _value(scenario: Scenario, key: str) -> Any:
    group, _, name = key.partition(".")
    return getattr(getattr(scenario, group), name)
