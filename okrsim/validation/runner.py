"""``validate``: run every pattern's sweeps, check them, write CSV and HTML.

Every sweep runs through the experiments layer (seeds planned up front, common
random numbers across design points, Parquet store), so a validation run can
be resumed, rerun point by point, and read with pandas or DuckDB like any
other sweep.  ``quick`` runs a smaller organisation, fewer quarters and fewer
replications, for the test suite; the directions must hold there too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from okrsim.cli import VALIDATION_SWEEP_PREFIX
from okrsim.experiments.executors import make_backend
from okrsim.experiments.plan import plan_experiment
from okrsim.experiments.spec import experiment_from_mapping
from okrsim.experiments.sweep import run_sweep
from okrsim.experiments.sweep_store import ResumeMismatch, Store
from okrsim.metrics import METRICS
from okrsim.params import ScenarioError
from okrsim.report import figures
from okrsim.report.render import page, write
from okrsim.run_store import write_csv
from okrsim.validation.patterns import PATTERNS, Pattern, Runs

#: Replications, organisation and horizon of a full and a quick validation run.
FULL = {"replications": 20, "set": {}}
QUICK = {"replications": 12, "set": {"org.n_teams": 6, "horizon.quarters": 4}}
SEED = 20261122
COLUMNS = ("pattern", "metric", "expected", "measured", "ci_low", "ci_high", "cohens_d", "pass")


@dataclass(frozen=True)
class Validation:
    """The checks of every pattern (one row each) and where they were written."""

    table: pd.DataFrame
    csv: Path
    html: Path

    @property
    def passed(self) -> dict[str, bool]:
        """Whether every check of each pattern passed."""
        verdicts = self.table.groupby("pattern", sort=False)["pass"].all()
        return {str(k): bool(v) for k, v in verdicts.items()}


def sweeps_of(patterns: Iterable[Pattern]) -> dict[str, dict[str, Any]]:
    """Every distinct sweep the patterns need (patterns may share one)."""
    out: dict[str, dict[str, Any]] = {}
    for pattern in patterns:
        for name, spec in pattern.sweeps.items():
            if name in out and out[name] != dict(spec):
                raise ValueError(f"sweep {name!r} is defined twice, differently")
            out[name] = dict(spec)
    return out


def experiment_mapping(
    name: str, spec: dict[str, Any], *, reps: int, quick: bool
) -> dict[str, Any]:
    """The experiment file, as a mapping, that runs one validation sweep."""
    size = QUICK if quick else FULL
    return {
        "experiment": {
            "name": f"{VALIDATION_SWEEP_PREFIX}{name}",
            "description": f"okrsim validate: sweep {name}",
            "design": "grid",
            "replications": reps,
            "seed": SEED,
            "crn": True,
        },
        "set": {**size["set"], **spec.get("set", {})},  # type: ignore[dict-item]
        "axes": spec["axes"],
        "outcomes": {"metrics": list(METRICS), "statistic": "mean"},
    }


def validate(
    out: str | Path,
    *,
    quick: bool = False,
    reps: int | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> Validation:
    """Run all patterns; write ``out/validation.csv`` and ``out/validation.html``."""
    root = Path(out)
    reps = reps or int(QUICK["replications"] if quick else FULL["replications"])  # type: ignore[call-overload]
    backend = make_backend("local" if (workers or 2) > 1 else "serial", workers=workers)
    runs: dict[str, pd.DataFrame] = {}
    for name, spec in sweeps_of(PATTERNS).items():
        mapping = experiment_mapping(name, spec, reps=reps, quick=quick)
        experiment = experiment_from_mapping(mapping, source=f"validation sweep {name}")
        store_dir = root / "sweeps" / name
        try:
            run_sweep(
                plan_experiment(experiment),
                store_dir,
                backend,
                resume=store_dir.exists(),
                progress=progress,
            )
        except ResumeMismatch as exc:
            raise ScenarioError(_other_settings(root, exc)) from None
        runs[name] = Store(store_dir).read_runs()
    table = check_all(runs)
    root.mkdir(parents=True, exist_ok=True)
    csv = write_csv(table, root / "validation.csv")
    html = write(validation_report(table, runs, reps=reps, quick=quick), root / "validation.html")
    return Validation(table=table, csv=csv, html=html)


def _other_settings(root: Path, exc: ResumeMismatch) -> str:
    """Why ``root`` cannot be resumed, with advice in ``validate``'s flags.

    The stored sweep's experiment is :func:`experiment_mapping`'s, so its
    replications are ``--reps`` and its organisation says whether it was
    ``--quick``; runs of other okrsim code are resumed by no flag.
    """
    if not exc.changed:
        return f"{root}: cannot resume: {exc.reason}; give a new --out"
    raw = exc.manifest.get("experiment")
    raw = raw if isinstance(raw, dict) else {}
    head = raw.get("experiment")
    reps = head.get("replications") if isinstance(head, dict) else None
    settings = raw.get("set")
    quick = isinstance(settings, dict) and all(
        settings.get(k) == v
        for k, v in QUICK["set"].items()  # type: ignore[attr-defined]
    )
    made = " ".join([f"--reps {reps}"] if isinstance(reps, int) else []) + (
        " --quick" if quick else ""
    )
    return (
        f"{root}: cannot resume: it holds a validation run made with other flags "
        f"(changed: {', '.join(exc.changed)}); run validate with the flags it was made with "
        f"({made.strip() or 'the same --reps and --quick'}), or give a new --out"
    )


def check_all(runs: Runs) -> pd.DataFrame:
    """One row per check of every pattern (columns :data:`COLUMNS` and ``detail``)."""
    rows = [c.row() for pattern in PATTERNS for c in pattern.check(runs)]
    return pd.DataFrame(rows, columns=[*COLUMNS, "detail"])


def pattern_figure(pattern: Pattern, runs: Runs) -> go.Figure:
    """The pattern's metric across its design points, mean and 95 % CI over replications."""
    sweep, key, metric = pattern.figure
    if sweep:
        frame = runs[sweep]
        groups = frame.groupby(key, sort=True)[metric]
        labels = [f"{key} = {v}" for v in groups.groups]
    else:  # one point per sweep: compare the sweeps
        names = list(pattern.sweeps)
        frame = pd.concat([runs[n].assign(_sweep=n) for n in names], ignore_index=True)
        groups = frame.groupby("_sweep", sort=False)[metric]
        labels = [str(name) for name in groups.groups]
    stats = groups.agg(["mean", "sem"])
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=stats["mean"],
            error_y={"type": "data", "array": 1.96 * stats["sem"].fillna(0.0)},
            marker_color=[figures.colour(i) for i in range(len(labels))],
        )
    )
    fig.update_yaxes(title=metric)
    return figures.layout(fig, f"{pattern.title}: {METRICS.get(metric, metric)}")


def validation_report(table: pd.DataFrame, runs: Runs, *, reps: int, quick: bool) -> str:
    """The HTML page: a verdict table per pattern and one chart each."""
    sections = []
    for pattern in PATTERNS:
        rows = table[table["pattern"] == pattern.id]
        verdict = (
            "reproduced"
            if rows["pass"].all()
            else "partly reproduced"
            if rows["pass"].any()
            else "not reproduced"
        )
        body = "".join(
            f"<tr><td>{r.metric}</td><td>{r.expected}</td><td>{r.measured:.3g}</td>"
            f"<td>[{r.ci_low:.3g}, {r.ci_high:.3g}]</td>"
            f"<td>{'pass' if r.pass_ else 'FAIL'}</td></tr>"
            for r in rows.rename(columns={"pass": "pass_"}).itertuples()
        )
        sections.append(
            (
                f"{pattern.title} — {verdict}",
                f"<p><i>{pattern.source}.</i> {pattern.finding}</p><table><tr><th>metric</th>"
                f"<th>expected</th><th>measured</th><th>95 % CI</th><th></th></tr>{body}</table>",
            )
        )
    scale = "quick (6 teams, 4 quarters)" if quick else "full (12 teams of 8, 8 quarters)"
    method = (
        f"{reps} paired replications per design point with common random numbers, {scale}; "
        "each sweep is stored under sweeps/ as Parquet and can be rerun run by run. "
        "See docs/VALIDATION.md and docs/ODD.md."
    )
    return page(
        "okrsim — validation against the evidence",
        "Does the model, with one set of documented defaults, reproduce independent patterns "
        "found in research on targets and incentives?",
        sections=sections,
        figs=[pattern_figure(p, runs) for p in PATTERNS],
        method=method,
    )
