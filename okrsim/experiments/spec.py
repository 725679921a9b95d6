"""Experiment files: what a sweep varies, how, how many times, and what it records.

An experiment file is TOML, validated by pydantic like a scenario file and
failing the same way: a :class:`~okrsim.params.ScenarioError` whose message
names the file, the dotted key and what was expected.  ::

    [experiment]
    name = "coupling_sweep"
    base = "../scenarios/baseline.toml"   # optional; relative to this file
    design = "grid"                       # grid | lhs | sobol | morris | table
    replications = 20
    seed = 20240611                       # root of every run's SeedSequence
    crn = true                            # common random numbers across points

    [set]                                 # fixed overrides of the base scenario
    horizon.quarters = 8

    [axes]                                # swept scenario keys (one name everywhere)
    comp.coupling = {low = 0, high = 1, steps = 11}
    comp.bonus_curve = ["linear", "step", "floor_cap"]

    [outcomes]
    metrics = ["sandbagging_index", "true_value"]   # default: every metric
    statistic = "final"                   # final quarter (default) or "mean"
    series = false                        # also store quarterly series

An axis is either a range ``{low, high}`` (``steps`` for a grid) over a
numeric key, or explicit ``values`` (a bare list is shorthand), which is the
only form for true/false and categorical keys.  The vocabulary follows EMA
Workbench's separation of uncertainties, levers and outcomes (Kwakkel 2017),
with the axes naming scenario keys directly so that a swept key is the same
name as the result column.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from okrsim import params
from okrsim.params import Scenario, ScenarioError, shown
from okrsim.seeding import MAX_SEED

DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris", "table")
AxisKind = Literal["float", "int", "bool", "category"]

#: Keys an axis table may hold; any table with one of them is an axis spec.
_AXIS_FIELDS = frozenset({"low", "high", "steps", "values"})
#: Longest experiment name: it names a directory, and file names stop at 255 bytes.
MAX_NAME_CHARS = 100
#: Largest design table (CSV) read, in bytes.
MAX_TABLE_BYTES = 64_000_000


class _Strict(BaseModel):
    # As for scenarios: an int may stand for a float, nothing else is coerced
    # (``replications = true`` or ``seed = "7"`` is refused), and numbers are finite.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False
    )


class ExperimentTable(_Strict):
    """The ``[experiment]`` table: design, replications and seeding."""

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Short name; the default sweep directory is named after it",
    )
    description: str = Field("", description="The question the experiment answers")
    base: str | None = Field(
        None,
        description="Base scenario file, relative to the experiment file (default: defaults)",
    )
    design: Literal["grid", "lhs", "sobol", "morris", "table"] = Field(
        "grid",
        description="How design points are chosen",
    )
    replications: int = Field(1, ge=1, le=100_000, description="Runs per design point")
    seed: int = Field(ge=0, le=MAX_SEED, description="Root of every run's SeedSequence")
    crn: bool = Field(
        True,
        description="Replication r uses the same seed at every design point",
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="lhs: points; sobol: base sample N (a power of 2); morris: trajectories",
    )
    levels: int | None = Field(None, ge=2, le=100, description="morris: grid levels (default 4)")
    second_order: bool | None = Field(
        None,
        description="sobol: also sample for second-order indices (default false)",
    )
    table: str | None = Field(None, description="table: CSV of points, one column per key")


class Outcomes(_Strict):
    """The ``[outcomes]`` table: which metrics each run row records."""

    metrics: tuple[str, ...] | None = Field(
        None,
        strict=False,  # TOML gives a list; each name must still be a string
        description="Metric names (default: all)",
    )
    statistic: Literal["final", "mean"] = Field(
        "final",
        description="final: the last quarter; mean: mean over the horizon's quarters",
    )
    series: bool = Field(False, description="Also store one row per run and quarter")


class AxisSpec(_Strict):
    """One axis as written: a range or explicit values."""

    low: float | None = None
    high: float | None = None
    steps: int | None = Field(None, ge=2, le=100_000)
    values: list[Any] | None = None


class ExperimentFile(_Strict):
    """The whole file, before the axes are checked against the scenario schema."""

    experiment: ExperimentTable
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    axes: dict[str, Any] = Field(default_factory=dict)
    outcomes: Outcomes = Outcomes()


@dataclass(frozen=True)
class Axis:
    """A swept scenario key and the values it may take.

    ``values`` is set for explicit axes (the only form for ``bool`` and
    ``category`` keys); ``low``/``high`` for ranges over ``float``/``int`` keys.
    """

    key: str
    kind: AxisKind
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    values: tuple[Any, ...] | None = None

    @property
    def is_range(self) -> bool:
        return self.values is None

    def grid_values(self) -> tuple[Any, ...]:
        """The levels a full-factorial grid uses (``steps`` evenly spaced, ints rounded)."""
        if self.values is not None:
            return self.values
        assert self.low is not None
        assert self.high is not None
        assert self.steps is not None
        levels = np.linspace(self.low, self.high, self.steps)
        if self.kind == "int":
            return tuple(dict.fromkeys(round(float(v)) for v in levels))
        return tuple(float(v) for v in levels)

    def sample_bounds(self) -> tuple[float, float]:
        """Bounds of this axis in a SALib problem or a unit-cube sample.

        Integer ranges use ``[low, high + 1)`` and are floored, so every
        integer is equally likely; explicit values use ``[0, 1)`` and pick the
        ``floor(x·k)``-th of the ``k`` values.
        """
        if self.values is not None:
            return (0.0, 1.0)
        assert self.low is not None
        assert self.high is not None
        if self.kind == "int":
            return (self.low, self.high + 1.0)
        return (self.low, self.high)

    def from_sample(self, x: np.ndarray) -> list[Any]:
        """Map sampled coordinates (in :meth:`sample_bounds`) to scenario values."""
        x = np.asarray(x, dtype=float)
        if self.values is not None:
            k = len(self.values)
            idx = np.clip(np.floor(x * k).astype(int), 0, k - 1)
            return [self.values[i] for i in idx]
        assert self.low is not None
        assert self.high is not None
        if self.kind == "int":
            return [int(v) for v in np.clip(np.floor(x), self.low, self.high)]
        return [float(v) for v in np.clip(x, self.low, self.high)]

    @classmethod
    def from_description(cls, data: Mapping[str, Any]) -> Axis:
        """Inverse of :meth:`describe` (reading a stored sweep's manifest)."""
        values = data.get("values")
        return cls(
            key=data["key"],
            kind=data["kind"],
            low=data.get("low"),
            high=data.get("high"),
            steps=data.get("steps"),
            values=None if values is None else tuple(values),
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, used in the manifest and the design hash."""
        out: dict[str, Any] = {"key": self.key, "kind": self.kind}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high, steps=self.steps)
        return out


@dataclass(frozen=True)
class Experiment:
    """A loaded, checked experiment file.

    ``base`` is the base scenario with ``[set]`` applied; ``axes`` the swept
    keys (for a ``table`` design, the CSV's columns); ``table`` the CSV's
    points.  Design points are built by :mod:`okrsim.experiments.design` and
    validated by :mod:`okrsim.experiments.plan`.
    """

    path: str
    raw: dict[str, Any]
    spec: ExperimentFile
    base: Scenario
    axes: tuple[Axis, ...]
    metrics: tuple[str, ...]
    table: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.spec.experiment.name

    @property
    def design(self) -> str:
        return self.spec.experiment.design

    @property
    def replications(self) -> int:
        return self.spec.experiment.replications

    @property
    def seed(self) -> int:
        return self.spec.experiment.seed

    @property
    def crn(self) -> bool:
        return self.spec.experiment.crn

    @property
    def outcomes(self) -> Outcomes:
        return self.spec.outcomes


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file.

    Raises
    ------
    ScenarioError
        For malformed TOML, unknown keys, axes over unknown scenario keys,
        empty axes, ``low`` above ``high``, bounds outside the scenario's
        ranges, an unknown design or settings the design does not use.
    """
    source = str(path)
    raw = params.read_toml(path)
    return experiment_from_mapping(raw, source=source, root=Path(path).parent)


def experiment_from_mapping(
    raw: Mapping[str, Any], *, source: str = "<experiment>", root: Path | None = None
) -> Experiment:
    """Check an experiment given as a nested mapping (as read from TOML).

    ``root`` is the directory that ``base`` and ``table`` paths are relative to.
    """
    root = Path(".") if root is None else root
    if "robustness" in raw and "experiment" not in raw:
        raise ScenarioError(
            f"{source}: robustness: this is a robustness file, not a sweep; "
            f"run it with okrsim robustness {source}"
        )
    try:
        spec = ExperimentFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, source)) from None
    problems: list[str] = []
    exp = spec.experiment
    _check_design_settings(exp, problems, source)

    base = _base_scenario(exp.base, root, source)
    fixed = _flatten_keys(spec.fixed, "set", problems, source)
    for key in fixed:
        if not _is_scenario_key(key):
            problems.append(f"{source}: set.{key}: unknown scenario key '{key}'")
    if problems:
        raise ScenarioError("\n".join(problems))
    base = base.with_overrides(fixed, source=f"{source}: set")

    axes: list[Axis] = []
    table: pd.DataFrame | None = None
    if exp.design == "table":
        if spec.axes:
            problems.append(
                f"{source}: axes: a table design takes its axes from the CSV's columns; "
                "remove [axes]"
            )
        elif exp.table is not None:
            table, axes = _read_table(exp.table, root, source, problems)
    else:
        raw_axes = _flatten_keys(spec.axes, "axes", problems, source)
        for key, value in raw_axes.items():
            axis = _axis(key, value, base, exp.design, source, problems)
            if axis is not None:
                if key in fixed:
                    problems.append(
                        f"{source}: axes.{key}: also fixed in [set]; keep it in one place"
                    )
                axes.append(axis)
        if not axes and exp.design != "grid":
            problems.append(f"{source}: axes: a {exp.design} design needs at least one axis")
    metrics = _metrics(spec.outcomes, source, problems)
    if problems:
        raise ScenarioError("\n".join(problems))
    return Experiment(
        path=source,
        raw=dict(raw),
        spec=spec,
        base=base,
        axes=tuple(axes),
        metrics=metrics,
        table=table,
    )


# -- checks ---------------------------------------------------------------


def _check_design_settings(exp: ExperimentTable, problems: list[str], source: str) -> None:
    """Each design's settings are required by it and refused by the others."""
    design = exp.design
    needs_samples = design in {"lhs", "sobol", "morris"}
    if needs_samples and exp.samples is None:
        what = {"lhs": "points", "sobol": "base sample N", "morris": "trajectories"}[design]
        problems.append(f"{source}: experiment.samples is required for a {design} design ({what})")
    if not needs_samples and exp.samples is not None:
        problems.append(f"{source}: experiment.samples is not used by a {design} design")
    if design == "sobol" and exp.samples is not None and exp.samples & (exp.samples - 1):
        problems.append(
            f"{source}: experiment.samples = {exp.samples} must be a power of 2 for a sobol "
            f"design (Saltelli sampling), e.g. {1 << max(exp.samples.bit_length() - 1, 0)} "
            f"or {1 << exp.samples.bit_length()}"
        )
    if design != "morris" and exp.levels is not None:
        problems.append(f"{source}: experiment.levels is only used by a morris design")
    if design != "sobol" and exp.second_order is not None:
        problems.append(f"{source}: experiment.second_order is only used by a sobol design")
    if design == "table" and exp.table is None:
        problems.append(f"{source}: experiment.table (a CSV file) is required for a table design")
    if design != "table" and exp.table is not None:
        problems.append(f"{source}: experiment.table is only used by a table design")


def _base_scenario(base: str | None, root: Path, source: str) -> Scenario:
    if base is None:
        return Scenario()
    path = (root / base) if not Path(base).is_absolute() else Path(base)
    if not params.name_exists(path):
        raise ScenarioError(f"{source}: experiment.base = {shown(base)}: no such file")
    return Scenario.from_toml(path)


def _flatten_keys(
    table: Mapping[str, Any], where: str, problems: list[str], source: str
) -> dict[str, Any]:
    """``{"comp": {"coupling": x}}`` and ``{"comp.coupling": x}`` both give ``comp.coupling``.

    Scenario keys are always ``group.field``, so the walk stops at depth two:
    TOML's dotted keys (``comp.coupling = {low = 0, high = 1}``) and quoted
    keys (``"comp.coupling" = …``) mean the same.
    """
    out: dict[str, Any] = {}

    def walk(prefix: tuple[str, ...], value: Any) -> None:
        if len(prefix) >= 2 or not isinstance(value, Mapping):
            key = ".".join(prefix)
            if len(prefix) != 2:
                problems.append(
                    f"{source}: {where}.{key}: expected a scenario key 'group.field', "
                    "e.g. comp.coupling"
                )
            elif key in out:
                problems.append(f"{source}: {where}.{key}: given twice")
            else:
                out[key] = value
            return
        for k, v in value.items():
            walk((*prefix, *str(k).split(".")), v)

    for k, v in table.items():
        walk(tuple(str(k).split(".")), v)
    return out


def _is_scenario_key(key: str) -> bool:
    """Whether ``key`` names a scalar scenario field (``group.field``)."""
    try:
        params.field_info(key)
    except (KeyError, AttributeError):
        return False
    return True


def _kind(key: str) -> tuple[AxisKind, tuple[Any, ...] | None]:
    annotation = params.field_info(key).annotation
    if typing.get_origin(annotation) is Literal:
        return "category", typing.get_args(annotation)
    if annotation is bool:
        return "bool", (False, True)
    if annotation is int:
        return "int", None
    if annotation is float:
        return "float", None
    raise TypeError(f"{key} has no sweepable type ({annotation})")


def _axis(
    key: str, value: Any, base: Scenario, design: str, source: str, problems: list[str]
) -> Axis | None:
    where = f"{source}: axes.{key}"
    if not _is_scenario_key(key):
        problems.append(f"{where}: unknown scenario key '{key}'")
        return None
    try:
        kind, choices = _kind(key)
    except TypeError:
        problems.append(f"{where}: '{key}' cannot be swept")
        return None
    if isinstance(value, list):
        value = {"values": value}
    if not isinstance(value, Mapping):
        problems.append(
            f"{where}: expected {{low = …, high = …}} or a list of values, got {shown(value)}"
        )
        return None
    try:
        spec = AxisSpec.model_validate(dict(value))
    except ValidationError as exc:
        problems.append(_describe(exc, f"{source}", prefix=f"axes.{key}."))
        return None

    if spec.values is not None:
        if spec.low is not None or spec.high is not None or spec.steps is not None:
            problems.append(f"{where}: give either values or low/high, not both")
            return None
        if not spec.values:
            problems.append(f"{where}: values is empty; an axis needs at least one value")
            return None
        coerced: list[Any] = []
        for v in spec.values:
            try:
                coerced.append(base.with_overrides({key: v}, source=where).flat()[key])
            except ScenarioError as exc:
                problems.append(str(exc))
        if len(coerced) != len(spec.values):
            return None
        if len(set(coerced)) != len(coerced):
            problems.append(f"{where}: values {shown(spec.values)} repeat a value")
            return None
        return Axis(key, kind, values=tuple(coerced))

    if kind in {"bool", "category"}:
        assert choices is not None
        problems.append(
            f"{where}: '{key}' takes one of {', '.join(repr(c) for c in choices)}; "
            "give values = [...] rather than a range"
        )
        return None
    if spec.low is None or spec.high is None:
        missing = " and ".join(k for k in ("low", "high") if getattr(spec, k) is None)
        problems.append(f"{where}: {missing} missing; a range needs low and high (or give values)")
        return None
    lo, hi = params.bounds(key)
    ok = True
    for name, v in (("low", spec.low), ("high", spec.high)):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            problems.append(f"{where}.{name} = {_num(v)} is out of range [{lo}, {hi}]")
            ok = False
        if kind == "int" and v != int(v):
            problems.append(f"{where}.{name} = {v} must be a whole number ('{key}' is an integer)")
            ok = False
    if not ok:
        return None
    if spec.low >= spec.high:
        problems.append(f"{where}: low = {_num(spec.low)} must be below high = {_num(spec.high)}")
        return None
    if design == "grid" and spec.steps is None:
        problems.append(f"{where}: a grid design needs steps (≥ 2) for a range, or values")
        return None
    if design != "grid" and spec.steps is not None:
        problems.append(f"{where}.steps is only used by a grid design ({design} samples the range)")
        return None
    if kind == "int":
        return Axis(key, kind, low=int(spec.low), high=int(spec.high), steps=spec.steps)
    return Axis(key, kind, low=float(spec.low), high=float(spec.high), steps=spec.steps)


def _read_table(
    name: str, root: Path, source: str, problems: list[str]
) -> tuple[pd.DataFrame | None, list[Axis]]:
    path = root / name if not Path(name).is_absolute() else Path(name)
    where = f"{source}: experiment.table = {shown(name)}"
    if not params.name_exists(path):
        problems.append(f"{where}: no such file")
        return None, []
    if not path.is_file():  # a FIFO would block the read forever
        problems.append(f"{where}: not a regular file; expected a CSV file")
        return None, []
    if path.stat().st_size > MAX_TABLE_BYTES:
        problems.append(f"{where}: larger than {MAX_TABLE_BYTES:,} bytes")
        return None, []
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:  # pandas' parser errors are ValueErrors
        problems.append(f"{where}: unreadable CSV: {_first_line(exc)}")
        return None, []
    if frame.empty:
        problems.append(f"{where}: the table has no rows")
        return None, []
    axes: list[Axis] = []
    for key in frame.columns:
        if not _is_scenario_key(str(key)):
            problems.append(f"{where}: column '{key}' is not a scenario key")
            continue
        kind, _ = _kind(str(key))
        values = tuple(dict.fromkeys(frame[key].tolist()))
        axes.append(Axis(str(key), kind, values=values))
    return frame, axes


def _metrics(outcomes: Outcomes, source: str, problems: list[str]) -> tuple[str, ...]:
    from okrsim.metrics import METRICS

    if outcomes.metrics is None:
        return tuple(METRICS)
    if not outcomes.metrics:
        problems.append(f"{source}: outcomes.metrics is empty; leave it out to record every metric")
    unknown = [m for m in outcomes.metrics if m not in METRICS]
    for m in unknown:
        problems.append(
            f"{source}: outcomes.metrics: unknown metric '{m}' (known: {', '.join(METRICS)})"
        )
    if len(set(outcomes.metrics)) != len(outcomes.metrics):
        problems.append(f"{source}: outcomes.metrics repeats a metric")
    return tuple(outcomes.metrics)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return params.shown(lines[0] if lines else type(exc).__name__).strip("'\"")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and math.isfinite(v) else str(v)


def _describe(exc: ValidationError, source: str, prefix: str = "") -> str:
    """One line per problem, as for scenario files (:func:`params.describe_validation_error`)."""
    return params.describe_validation_error(exc, source, prefix=prefix)
