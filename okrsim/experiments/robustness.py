"""Robustness of the policy effects: screen every assumption, then resolve the few that matter.

A robustness file (``experiments/robustness.toml``) names a *contrast* — two
policies, e.g. ``comp.coupling = 1`` (coupled) against ``0`` (decoupled) — and
the plausible range of every parameter of the world (behaviour, judgment,
environment, assumptions).  Each design point's outcome is the paired
effect treated − control of a few metrics (:mod:`okrsim.experiments.effects`),
so the question asked of every parameter is not "does it move true value?"
but "does it change what coupling does to true value?".

Two stages, each an ordinary resumable sweep (:mod:`okrsim.experiments.sweep`)
in its own store under the output directory:

1. **screen** — Morris elementary effects over every parameter and the
   decision rule (Morris 1991; Campolongo, Cariboni & Saltelli 2007): cheap,
   ``trajectories · (D + 1)`` points, ranks inputs by μ*.
2. **resolve** — Sobol' first-order and total indices (Saltelli 2002;
   Saltelli et al. 2010) over the inputs the screen ranks as mattering
   (:func:`select_inputs`: the ``top_k`` by μ* for each effect, their union,
   plus the rule factor), the others held at the base scenario's values.

Then :func:`analyze_robustness` writes the indices with bootstrap CIs and
PRIM boxes (Friedman & Fisher 1999; Bryant & Lempert 2010) for two
conclusions — "coupling raises true value" and "coupling does not raise
sandbagging" — over the resolve stage's points.  ``okrsim robustness`` runs
all of it; ``okrsim analyze`` and ``okrsim report`` read it again.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from okrsim import params
from okrsim.experiments import analysis as analysis_mod
from okrsim.experiments import prim as prim_mod
from okrsim.experiments.effects import PAIRED_RUNNER
from okrsim.experiments.executors import Backend
from okrsim.experiments.plan import Plan, canonical_json, plan_experiment
from okrsim.experiments.spec import _flatten_keys, _Strict, experiment_from_mapping
from okrsim.experiments.sweep import SweepInterrupted, SweepSummary, run_sweep
from okrsim.experiments.sweep_store import Store
from okrsim.params import Scenario, ScenarioError, shown
from okrsim.seeding import MAX_SEED

#: Bumped when the meaning of a robustness directory changes.
FORMAT = "okrsim-robustness/1"
#: The robustness directory's own record (the sweeps have their manifests).
MANIFEST = "robustness.json"
STAGES = ("screen", "resolve")
#: The two conclusions PRIM describes, as conditions on a design point's mean effects.
CONCLUSIONS: dict[str, tuple[str, str]] = {
    "coupling_raises_true_value": ("true_value > 0", "coupling raises true value"),
    "coupling_does_not_raise_sandbagging": (
        "sandbagging_index <= 0",
        "coupling does not raise sandbagging",
    ),
}
#: Share of design points with one sign from which an effect's sign counts as robust.
ROBUST_SHARE = 0.95
#: PRIM: the box reported is the densest keeping at least this share of the cases.
PRIM_MIN_COVERAGE = 0.5


class RobustnessTable(_Strict):
    """``[robustness]``: what is asked, of which base scenario, with which seed."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str | None = None
    seed: int = Field(ge=0, le=MAX_SEED)
    effects: tuple[str, ...] = Field(min_length=1, strict=False)
    statistic: Literal["final", "mean"] = "mean"
    groups: tuple[str, ...] = Field(
        (),
        strict=False,
        description="Scenario groups whose every numeric field must be a parameter or excluded",
    )


class ContrastTable(_Strict):
    """``[contrast]``: the two policies whose paired difference is the effect."""

    treated: dict[str, Any] = Field(min_length=1)
    control: dict[str, Any] = Field(min_length=1)


class ScreenTable(_Strict):
    """``[screen]``: the Morris design."""

    trajectories: int = Field(ge=2, le=10_000)
    levels: int = Field(4, ge=2, le=100)
    replications: int = Field(1, ge=1, le=1000)


class ResolveTable(_Strict):
    """``[resolve]``: the Sobol' design and the rule picking its inputs."""

    samples: int = Field(
        ge=2, le=1_048_576, description="Sobol' base sample N, a power of 2 (Saltelli sampling)"
    )
    replications: int = Field(1, ge=1, le=1000)
    top_k: int = Field(ge=1, le=1000, description="Inputs kept per effect, by Morris μ*")


class RangeSpec(_Strict):
    """One parameter's plausible range and where it comes from."""

    low: float
    high: float
    source: str = Field(min_length=1)


class RobustnessFile(_Strict):
    """The whole file, before its keys are checked against the scenario schema."""

    robustness: RobustnessTable
    contrast: ContrastTable
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    screen: ScreenTable
    resolve: ResolveTable
    rule: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any]
    excluded: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Robustness:
    """A loaded, checked robustness file."""

    path: str
    root: Path
    raw: dict[str, Any]
    spec: RobustnessFile
    treated: dict[str, Any]
    control: dict[str, Any]
    fixed: dict[str, Any]
    ranges: dict[str, RangeSpec]
    rule: tuple[str, tuple[Any, ...]] | None
    excluded: dict[str, str]

    @property
    def name(self) -> str:
        return self.spec.robustness.name

    @property
    def effects(self) -> tuple[str, ...]:
        return self.spec.robustness.effects

    @property
    def runner_args(self) -> dict[str, Any]:
        return {"treated": self.treated, "control": self.control}

    def inputs(self) -> list[str]:
        """Every screened input: the parameters, then the rule factor."""
        return [*self.ranges, *([self.rule[0]] if self.rule else [])]

    def stage_mapping(self, stage: str, keys: list[str] | None = None) -> dict[str, Any]:
        """The experiment (as a TOML-like mapping) of a stage over ``keys`` (default: all)."""
        head = self.spec.robustness
        chosen = self.inputs() if keys is None else keys
        axes: dict[str, Any] = {}
        for key in chosen:
            if self.rule and key == self.rule[0]:
                axes[key] = list(self.rule[1])
            else:
                r = self.ranges[key]
                axes[key] = {"low": r.low, "high": r.high}
        experiment: dict[str, Any] = {
            "name": f"{head.name}-{stage}",
            "description": head.description,
            "seed": head.seed,
            "crn": True,
        }
        if head.base is not None:
            experiment["base"] = head.base
        if stage == "screen":
            s = self.spec.screen
            experiment |= {
                "design": "morris",
                "samples": s.trajectories,
                "levels": s.levels,
                "replications": s.replications,
            }
        else:
            experiment |= {
                "design": "sobol",
                "samples": self.spec.resolve.samples,
                "replications": self.spec.resolve.replications,
            }
        return {
            "experiment": experiment,
            "set": dict(self.fixed),
            "axes": axes,
            "outcomes": {"metrics": list(self.effects), "statistic": head.statistic},
        }

    def stage_plan(self, stage: str, keys: list[str] | None = None) -> Plan:
        """A stage's validated sweep plan, with the paired runner and this contrast."""
        experiment = experiment_from_mapping(
            self.stage_mapping(stage, keys), source=self.path, root=self.root
        )
        return plan_experiment(experiment, runner=PAIRED_RUNNER, runner_args=self.runner_args)


def numeric_fields(group: str) -> list[str]:
    """The dotted keys of a scenario group's int and float fields (none if no such group)."""
    model = Scenario.model_fields.get(group)
    if model is None or not isinstance(model.annotation, type):
        return []
    return [
        f"{group}.{name}"
        for name, info in model.annotation.model_fields.items()
        if info.annotation in (int, float)
    ]


def load_robustness(path: str | Path) -> Robustness:
    """Read and check a robustness file; every problem is one line naming the key.

    Raises
    ------
    ScenarioError
        For malformed TOML, unknown keys, ranges outside a key's bounds or
        inverted, an unknown effect, a contrast that does not validate or that
        a parameter would override, and a numeric field of a covered group
        that is neither a parameter nor excluded.
    """
    source = str(path)
    raw = params.read_toml(path)
    try:
        spec = RobustnessFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(params.describe_validation_error(exc, source)) from None
    problems: list[str] = []
    root = Path(path).parent
    head = spec.robustness
    n = spec.resolve.samples
    if n & (n - 1):
        problems.append(f"{source}: resolve.samples = {n} must be a power of 2 (Saltelli sampling)")
    if head.base is not None and not params.name_exists(root / head.base):
        raise ScenarioError(f"{source}: robustness.base = {shown(head.base)}: no such file")
    base = Scenario() if head.base is None else Scenario.from_toml(root / head.base)

    from okrsim.metrics import METRICS

    for m in head.effects:
        if m not in METRICS:
            problems.append(f"{source}: robustness.effects: unknown metric {shown(m)}")
    treated = _flatten_keys(spec.contrast.treated, "contrast.treated", problems, source)
    control = _flatten_keys(spec.contrast.control, "contrast.control", problems, source)
    fixed = _flatten_keys(spec.fixed, "set", problems, source)
    excluded = _flatten_keys(spec.excluded, "excluded", problems, source)
    raw_ranges = _flatten_keys(spec.parameters, "parameters", problems, source)
    raw_rule = _flatten_keys(spec.rule, "rule", problems, source)
    if problems:
        raise ScenarioError("\n".join(problems))
    for arm, overrides in (("treated", treated), ("control", control)):
        try:
            base.with_overrides({**fixed, **overrides}, source=f"{source}: contrast.{arm}")
        except ScenarioError as exc:
            problems.append(str(exc))
    if set(treated) != set(control):
        problems.append(f"{source}: contrast: treated and control must set the same keys")
    for key in sorted(set(treated) & set(fixed)):
        problems.append(f"{source}: set.{key}: also set by the contrast; keep it in one place")

    ranges: dict[str, RangeSpec] = {}
    for key, value in raw_ranges.items():
        where = f"{source}: parameters.{key}"
        if not _numeric_key(key):
            problems.append(f"{where}: not a numeric scenario key")
            continue
        try:
            r = RangeSpec.model_validate(dict(value) if isinstance(value, Mapping) else value)
        except ValidationError as exc:
            problems.append(
                params.describe_validation_error(exc, source, prefix=f"parameters.{key}.")
            )
            continue
        lo, hi = params.bounds(key)
        if (lo is not None and r.low < lo) or (hi is not None and r.high > hi):
            problems.append(f"{where}: [{r.low}, {r.high}] is outside the key's range [{lo}, {hi}]")
        elif r.low >= r.high:
            problems.append(f"{where}: low = {r.low} must be below high = {r.high}")
        ranges[key] = r
    rule: tuple[str, tuple[Any, ...]] | None = None
    if len(raw_rule) > 1:
        problems.append(f"{source}: rule: one categorical key, got {', '.join(raw_rule)}")
    for key, values in raw_rule.items():
        if not _categorical_key(key):
            problems.append(f"{source}: rule.{key}: not a categorical scenario key")
        elif not isinstance(values, list) or len(values) < 2:
            problems.append(f"{source}: rule.{key}: expected a list of two or more values")
        else:
            choices = typing.get_args(params.field_info(key).annotation)
            bad = [v for v in values if v not in choices]
            if bad:
                problems.append(
                    f"{source}: rule.{key}: {shown(bad[0])} is not one of "
                    f"{', '.join(map(repr, choices))}"
                )
            rule = (key, tuple(values))
    for key, reason in excluded.items():
        if not _numeric_key(key):
            problems.append(f"{source}: excluded.{key}: not a numeric scenario key")
        elif not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{source}: excluded.{key}: expected the reason, as text")
        elif key in ranges:
            problems.append(f"{source}: excluded.{key}: also a parameter; keep it in one place")
    for key in [*ranges, *([rule[0]] if rule else [])]:
        if key in treated or key in fixed:
            problems.append(
                f"{source}: parameters.{key}: also set by the contrast or [set]; "
                "a swept key cannot be fixed"
            )
    for group in head.groups:
        for key in numeric_fields(group):
            if key not in ranges and key not in excluded:
                problems.append(
                    f"{source}: parameters.{key}: missing; give its plausible range "
                    "{low, high, source} or list it under [excluded] with the reason"
                )
    if problems:
        raise ScenarioError("\n".join(problems))
    robustness = Robustness(
        path=source,
        root=root,
        raw=dict(raw),
        spec=spec,
        treated=treated,
        control=control,
        fixed=fixed,
        ranges=ranges,
        rule=rule,
        excluded={k: str(v) for k, v in excluded.items()},
    )
    robustness.stage_plan("screen")  # every screen point validates before anything runs
    return robustness


def _numeric_key(key: str) -> bool:
    try:
        return params.field_info(key).annotation in (int, float)
    except (KeyError, AttributeError):
        return False


def _categorical_key(key: str) -> bool:
    try:
        return typing.get_origin(params.field_info(key).annotation) is Literal
    except (KeyError, AttributeError):
        return False


# -- the selection rule ----------------------------------------------------------


def select_inputs(morris: pd.DataFrame, top_k: int, always: list[str]) -> pd.DataFrame:
    """Which inputs the Sobol' stage resolves: the ``top_k`` by μ* per effect, their union.

    μ* is per unit of each input's normalised range, so inputs compare within
    an effect; ties break by name.  ``always`` (the rule factor) is kept
    whatever its rank.  Returns one row per screened input: ``input``,
    ``selected``, ``why`` (the effects that ranked it, or "always"), and its
    best rank.
    """
    ranks: dict[str, list[tuple[int, str]]] = {}
    for metric, sub in morris.groupby("metric", sort=False):
        ordered = sub.sort_values(["mu_star", "input"], ascending=[False, True])
        for rank, key in enumerate(ordered["input"], start=1):
            ranks.setdefault(str(key), []).append((rank, str(metric)))
    rows = []
    for key, entries in ranks.items():
        top = [m for r, m in entries if r <= top_k]
        rows.append(
            {
                "input": key,
                "selected": bool(top) or key in always,
                "why": ", ".join(top) if top else ("always" if key in always else ""),
                "best_rank": min(r for r, _ in entries),
            }
        )
    for key in always:
        if key not in ranks:
            rows.append({"input": key, "selected": True, "why": "always", "best_rank": 0})
    return pd.DataFrame(rows).sort_values(["best_rank", "input"]).reset_index(drop=True)


# -- the robustness directory ------------------------------------------------------


def is_robustness_dir(path: str | Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The robustness directory's record.

    Raises
    ------
    ScenarioError
        If it is missing or unreadable.
    """
    path = Path(root) / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: not a robustness directory ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScenarioError(f"{path}: not a {FORMAT} record")
    return data


def prepare_dir(robustness: Robustness, out: Path) -> dict[str, Any]:
    """A new robustness directory, or the one in ``out`` if it is of the same file.

    Raises
    ------
    ScenarioError
        If ``out`` holds another robustness experiment or other files.
    """
    spec = json.loads(canonical_json(robustness.raw))
    if is_robustness_dir(out):
        record = read_manifest(out)
        if canonical_json(record.get("spec")) != canonical_json(spec):
            raise ScenarioError(
                f"{out}: holds a robustness run of a different file; give another --out, "
                "or the file it was made from"
            )
        return record
    if out.exists() and any(out.iterdir()):
        raise ScenarioError(f"{out}: exists and is not a robustness directory; give a new --out")
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "format": FORMAT,
        "file": robustness.path,
        "name": robustness.name,
        "spec": spec,
        "effects": list(robustness.effects),
        "contrast": robustness.runner_args,
        "inputs": robustness.inputs(),
        "rule": None if robustness.rule is None else robustness.rule[0],
        "excluded": robustness.excluded,
        "sources": {k: r.source for k, r in robustness.ranges.items()},
        "stages": {},
    }
    write_manifest(out, record)
    return record


def write_manifest(out: Path, record: dict[str, Any]) -> None:
    tmp = out / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")
    tmp.replace(out / MANIFEST)


# -- analysis -----------------------------------------------------------------------


@dataclass
class RobustnessAnalysis:
    """The screen's Morris table and selection, the Sobol' table, PRIM and sign summaries."""

    root: Path
    record: dict[str, Any]
    morris: pd.DataFrame
    selection: pd.DataFrame
    sobol: pd.DataFrame | None
    signs: pd.DataFrame
    prim: dict[str, tuple[pd.DataFrame, prim_mod.Box]]
    points: pd.DataFrame
    csvs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def analyze_screen(root: Path) -> tuple[pd.DataFrame, list[str]]:
    """Morris μ*, σ per effect and input of the screen stage (writes its CSV and HTML)."""
    result = analysis_mod.analyze(root / "screen")
    if result.morris is None or result.morris.empty:
        raise ScenarioError(f"{root}/screen: no effect varies over the screen; nothing to rank")
    return result.morris, result.warnings


def analyze_robustness(root: str | Path) -> RobustnessAnalysis:
    """Analyse a robustness directory: Morris, selection, Sobol', signs and PRIM; CSVs.

    Needs at least the screen stage; without the resolve stage the Sobol'
    table is missing and signs and PRIM use the screen's points.

    Raises
    ------
    ScenarioError
        If ``root`` is not a robustness directory or holds no screen.
    """
    root = Path(root)
    record = read_manifest(root)
    if not (root / "screen" / "manifest.json").is_file():
        raise ScenarioError(f"{root}: the screen stage has not run yet")
    morris, warnings = analyze_screen(root)
    effects = list(record["effects"])
    rule = record.get("rule")
    top_k = int(record["spec"]["resolve"]["top_k"])
    selection = select_inputs(morris, top_k, [rule] if rule else [])
    sobol = None
    stage = "screen"
    if (root / "resolve" / "manifest.json").is_file():
        resolved = analysis_mod.analyze(root / "resolve")
        warnings += resolved.warnings
        sobol = resolved.sobol
        stage = "resolve"
    keys, points = stage_points(root / stage, effects)
    # The screen varies every input, the Sobol' stage only the selected ones (more
    # densely): a conclusion that holds over both holds across the whole space.
    signs = [sign_table(points, effects, rule).assign(stage=stage)]
    if stage == "resolve":
        _, screened = stage_points(root / "screen", effects)
        signs.insert(0, sign_table(screened, effects, rule).assign(stage="screen"))
    result = RobustnessAnalysis(
        root=root,
        record=record,
        morris=morris,
        selection=selection,
        sobol=sobol,
        signs=pd.concat(signs, ignore_index=True),
        prim={},
        points=points,
        warnings=warnings,
    )
    trajectories = []
    boxes = []
    for name, (where, _) in CONCLUSIONS.items():
        metric = where.split()[0]
        if metric not in points.columns:
            warnings.append(f"prim: {name}: the effect {metric} was not recorded")
            continue
        valid = points[keys].notna().all(axis=1) & np.isfinite(points[metric])
        interest = points.loc[valid].eval(where).to_numpy(dtype=bool)
        path = prim_mod.prim(points.loc[valid, keys].reset_index(drop=True), interest)
        box = prim_mod.select_box(path, min_coverage=PRIM_MIN_COVERAGE)
        traj = prim_mod.trajectory_frame(path)
        traj.insert(0, "conclusion", name)
        result.prim[name] = (traj, box)
        trajectories.append(traj)
        limits = prim_mod.limits_frame(box)
        limits.insert(0, "conclusion", name)
        limits.insert(1, "step", box.step)
        boxes.append(limits)
    out = root / "analysis"
    out.mkdir(exist_ok=True)
    tables: dict[str, pd.DataFrame | None] = {
        "morris": morris,
        "selection": selection,
        "signs": result.signs,
        "prim_trajectory": pd.concat(trajectories) if trajectories else None,
        "prim_box": pd.concat(boxes) if boxes else None,
        "sobol": sobol,
    }
    for label, table in tables.items():
        csv = out / f"{label}.csv"
        if table is None:
            csv.unlink(missing_ok=True)  # not one left from an earlier analysis
            continue
        table.to_csv(csv, index=False)
        result.csvs[label] = csv
    return result


def stage_points(store_root: Path, effects: list[str]) -> tuple[list[str], pd.DataFrame]:
    """A stage's swept keys and its design points with each effect's mean over replications."""
    store = Store.open(store_root)
    keys = [a["key"] for a in store.manifest["plan"]["axes"]]
    runs = store.read_runs(["run_id", "point_id", *effects])
    long = analysis_mod.point_means(runs, store.read_design(), keys, effects)
    return keys, analysis_mod.wide_means(long, keys)


def sign_table(points: pd.DataFrame, effects: list[str], rule: str | None) -> pd.DataFrame:
    """Per effect (and per rule value): mean effect, its 95 % CI over points, shares by sign.

    ``robust_sign`` is ``+``, ``−`` or ``0`` when that sign holds at
    ≥ :data:`ROBUST_SHARE` of the design points (replications averaged per
    point first), else ``mixed``.
    """
    groups: list[tuple[str, pd.DataFrame]] = [("all", points)]
    if rule and rule in points.columns:
        groups += [(str(v), sub) for v, sub in points.groupby(rule, sort=True)]
    rows = []
    for effect in effects:
        for label, sub in groups:
            y = sub[effect].to_numpy(dtype=float)
            y = y[np.isfinite(y)]
            n, mean, _, lo, hi = analysis_mod.mean_ci(y)
            up = float((y > 0).mean()) if n else float("nan")
            down = float((y < 0).mean()) if n else float("nan")
            none = float((y == 0).mean()) if n else float("nan")
            sign = (
                "+"
                if up >= ROBUST_SHARE
                else "−"
                if down >= ROBUST_SHARE
                else "0"
                if none >= ROBUST_SHARE
                else "mixed"
            )
            rows.append(
                {
                    "effect": effect,
                    "rule": label,
                    "points": n,
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "share_positive": up,
                    "share_negative": down,
                    "robust_sign": sign,
                }
            )
    return pd.DataFrame(rows)


# -- the end-to-end run ---------------------------------------------------------------


def run_robustness(
    robustness: Robustness,
    out: str | Path,
    backend: Backend,
    *,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> RobustnessAnalysis:
    """Screen, select, resolve and analyse, resuming whatever ``out`` already holds.

    Each stage is a sweep store under ``out`` run with ``resume``, so running
    the same file into the same directory again continues where it stopped:
    stored runs are neither run again nor stored twice.  The selection is a
    function of the complete screen, so a resumed resolve stage plans the
    same design (its store refuses any other).

    Raises
    ------
    SweepInterrupted
        On Ctrl-C or SIGTERM, after storing what finished.
    ScenarioError
        If ``out`` holds something else.
    """
    root = Path(out)
    record = prepare_dir(robustness, root)
    screen = robustness.stage_plan("screen")
    say(
        f"stage 1/2 screen: morris, {screen.n_points} points × {screen.replications} "
        f"replications = {screen.n_runs} paired runs over {len(screen.keys)} inputs"
    )
    rate = _run_stage(root, "screen", screen, backend, record, progress, say)
    morris, _ = analyze_screen(root)
    rule = robustness.rule[0] if robustness.rule else None
    selection = select_inputs(morris, robustness.spec.resolve.top_k, [rule] if rule else [])
    chosen = set(selection.loc[selection["selected"], "input"])
    keys = [k for k in robustness.inputs() if k in chosen]
    record["selected"] = keys
    write_manifest(root, record)
    resolve = robustness.stage_plan("resolve", keys)
    eta = f"; about {_duration(resolve.n_runs / rate)} at the screen's pace" if rate else ""
    say(
        f"stage 2/2 resolve: sobol over {len(keys)} inputs ({', '.join(keys)}), "
        f"{resolve.n_points} points × {resolve.replications} replications = "
        f"{resolve.n_runs} paired runs{eta}"
    )
    _run_stage(root, "resolve", resolve, backend, record, progress, say)
    return analyze_robustness(root)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _run_stage(
    root: Path,
    stage: str,
    plan: Plan,
    backend: Backend,
    record: dict[str, Any],
    progress: bool,
    say: Callable[[str], None],
) -> float:
    """Run (or resume) one stage's sweep; record its wall time; return runs per second."""
    try:
        summary = run_sweep(plan, root / stage, backend, resume=True, progress=progress)
    except SweepInterrupted as stop:
        _record_stage(root, stage, stop.summary, plan, record)
        raise
    _record_stage(root, stage, summary, plan, record)
    say(summary.line())
    return summary.rate if summary.done + summary.failed else 0.0


def _record_stage(
    root: Path, stage: str, summary: SweepSummary, plan: Plan, record: dict[str, Any]
) -> None:
    entry = record["stages"].setdefault(stage, {"seconds": 0.0, "sessions": 0})
    entry["seconds"] = round(float(entry["seconds"]) + summary.seconds, 3)
    entry["sessions"] = int(entry["sessions"]) + 1
    entry |= {
        "runs": plan.n_runs,
        "points": plan.n_points,
        "replications": plan.replications,
        "inputs": list(plan.keys),
        "executor": summary.executor,
        "workers": summary.workers,
        "complete": summary.complete and not summary.interrupted,
    }
    write_manifest(root, record)
