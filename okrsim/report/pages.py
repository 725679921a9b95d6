"""The leadership report: one self-contained HTML file, charts embedded.

The report reads results; it runs nothing.  plotly.js is inlined once, so the
file opens offline and makes no network requests.  It reads three kinds of
results: a :class:`~okrsim.comparison.Comparison` in memory (``okrsim compare``,
``okrsim report A.toml B.toml``), the directory ``okrsim compare --out`` wrote
(:func:`read_comparison`), and a sweep directory (:func:`read_sweep`,
:func:`sweep_report`).
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from okrsim.cli import HEADLINE_METRICS
from okrsim.comparison import Comparison, quarter_table
from okrsim.experiments.sweep_store import Store
from okrsim.metrics import METRICS
from okrsim.params import Scenario, ScenarioError, field_info
from okrsim.report import figures, glossary, palette, render, wording
from okrsim.report.render import page as page
from okrsim.report.render import write as write

#: What a comparison charts over time: beliefs about the policy and the behaviour they move.
TRUST_METRICS = ("coupling_belief", "credibility", "sandbagging_index", "slanted_report_share")


def shown_metrics(available: Iterable[str]) -> list[str]:
    """The metrics a report shows: every one the console shows, in the console's order."""
    present = set(available)
    return [m for m in HEADLINE_METRICS if m in present]


def comparison_figures(comparison: Comparison) -> list[go.Figure]:
    """The charts of a comparison report."""
    table = comparison.table
    metrics = shown_metrics(table["metric"])
    figs = [
        figures.difference_figure(table, metrics, order=comparison.names),
        figures.progress_figure(comparison.weekly, order=comparison.names),
        figures.effort_figure(comparison.runs, order=comparison.names),
    ]
    figs += [
        figures.metric_bars(comparison.runs, m, order=comparison.names)
        for m in ("true_value", "sandbagging_index")
    ]
    if not comparison.quarterly.empty:
        quarterly = comparison.quarterly
        figs.append(
            figures.trajectory_figure(
                quarterly, ["attainment", "true_value"], order=comparison.names
            )
        )
        # trust and what follows from it: how long a policy change takes to show
        over_time = [m for m in TRUST_METRICS if m in quarterly.columns]
        figs.append(
            figures.trajectory_figure(
                quarterly,
                over_time,
                title="Quarter by quarter: what people believe of the policy, and what they do",
                order=comparison.names,
            )
        )
    return figs


@dataclass(frozen=True)
class Summary:
    """The executive summary and the full table of one policy against the reference."""

    a: str
    b: str
    settings: list[tuple[str, str, str, str]]
    findings: list[wording.Finding]
    top: list[wording.Finding]
    plain: list[str]
    watch: list[str]
    disagreement: list[str]


def summarise(comparison: Comparison, b: str, metrics: Sequence[str]) -> Summary:
    """Policy ``b`` against the reference: what changes, what matters most, what to watch."""
    a = comparison.names[0]
    found = wording.findings(comparison.table, comparison.runs, a, b, metrics)
    sa, sb = comparison.scenarios.get(a), comparison.scenarios.get(b)
    settings = []
    if sa is not None and sb is not None:
        settings = [
            (key, _setting_words(key), va, vb)
            for key, va, vb in wording.setting_changes(sa.flat(), sb.flat())
        ]
        if sa.schedule != sb.schedule:
            settings.append(("schedule", "scheduled policy changes", _schedule(sa), _schedule(sb)))
    by = {f.metric: f for f in found}
    coupling_differs = (
        sa is None
        or sb is None
        or (sa.comp.coupling, sa.comp.bonus_curve) != (sb.comp.coupling, sb.comp.bonus_curve)
    )
    return Summary(
        a=a,
        b=b,
        settings=settings,
        findings=found,
        top=wording.ranked(found),
        plain=plain_units(by, sb),
        watch=wording.watch_outs(found),
        disagreement=accuracy_in_comparison(by, sb) if coupling_differs else [],
    )


def plain_units(by: Mapping[str, wording.Finding], b: Scenario | None) -> list[str]:
    """The changes a reader asks about first, in weeks, % of value and people."""
    out = []
    value = by.get("true_value")
    if value is not None and value.clear and abs(value.mean_a) > 1e-12:
        sign = "+" if value.diff >= 0 else "−"
        out.append(
            f"{sign}{figures.percent(abs(value.diff) / abs(value.mean_a))} of the value "
            f"delivered ({wording.levels('true_value', value.mean_a, value.mean_b)})"
        )
    weeks = by.get("blocker_latency_weeks")
    if weeks is not None and weeks.clear:
        out.append(
            "a blocker is raised after " + wording.levels(weeks.metric, weeks.mean_a, weeks.mean_b)
        )
    quits = by.get("quit_rate")
    if quits is not None and b is not None:
        people = wording.people_a_year(quits, b.org.n_teams * b.org.team_size)
        if people:
            out.append(people)
    return out


def accuracy_in_comparison(by: Mapping[str, wording.Finding], b: Scenario | None) -> list[str]:
    """Why rating accuracy here can differ in sign from a coupling sweep's, with these numbers.

    A rating under coupling ``w`` is ``w`` × the OKR score + (1 − ``w``) × the
    manager's judgment; how well it tracks true contribution depends on how
    well each signal does and on ``w``, so it need not move the same way at
    every coupling level.
    """
    accuracy, score = by.get("rating_accuracy"), by.get("goodhart_corr")
    if accuracy is None or score is None:
        return []
    weight = (
        f" With {figures.percent(b.comp.coupling)} of the rating taken from the score, the "
        "rating's accuracy lies between the two signals' and is pulled towards the score's."
        if b is not None
        else ""
    )
    return [
        f"Here rating accuracy goes {accuracy.change} ({accuracy.agreement}). A rating under "
        "coupling mixes two signals: the manager's judgment, and the OKR score, which tracks "
        f"true contribution with {wording.level('goodhart_corr', score.mean_b)} under "
        f"{accuracy.b} ({wording.level('goodhart_corr', score.mean_a)} under {accuracy.a})."
        + weight,
        "How the mix comes out depends on the coupling level and on the bonus curve, so one "
        "comparison and a sweep can disagree. The coupling sweep "
        "(experiments/coupling_sweep.toml) fits one straight line from coupling 0 to 1, over "
        "three bonus curves, in the final quarter: at coupling 1 the rating is the OKR score "
        "alone, so its accuracy falls to the score's own, and the step curve turns attainment "
        "into pass or fail and loses more; that end of the range dominates the line. At a "
        "moderate coupling, where the score adds information judgment lacks, accuracy can "
        "hold or rise. Compare like with like: the sweep's chart of rating accuracy at each "
        "coupling level, at this comparison's coupling and curve.",
    ]


def _setting_words(key: str) -> str:
    """A setting's plain title (or its description) from the scenario schema."""
    try:
        info = field_info(key)
    except (KeyError, AttributeError):
        return key
    return str(getattr(info, "title", None) or info.description or key)


def _schedule(scenario: Scenario) -> str:
    if not scenario.schedule:
        return "none"
    return "; ".join(
        f"from quarter {c.quarter}: " + ", ".join(f"{k} = {v}" for k, v in c.set.items())
        for c in scenario.schedule
    )


def comparison_report(comparison: Comparison, *, question: str | None = None) -> str:
    """The HTML of a comparison report."""
    names = comparison.names
    question = question or (
        "What happens to ambition, honesty and the value really delivered when the "
        f"organisation moves from {names[0]} to {' or '.join(names[1:])}?"
    )
    metrics = shown_metrics(comparison.table["metric"])
    policies = [
        {
            "name": n,
            "description": (
                describe_policy(comparison.scenarios[n]) if n in comparison.scenarios else ""
            ),
        }
        for n in names
    ]
    seed = f"root seed {comparison.seed}" if comparison.seed >= 0 else "one seed per replication"
    method = (
        f"{comparison.reps} paired replications per policy with common random numbers "
        f"({seed}): every policy met the same workforce and the same shocks, so the "
        "differences are the policies' effects, not noise. Each metric is a run's mean over "
        "its quarters; intervals are 95 % t-intervals over the paired differences, and "
        "“higher in k of n paired runs” counts the pairs in which the policy's value was "
        "the higher. The model, its rules and the sources behind them are described in "
        "docs/ODD.md."
    )
    return render.render(
        "comparison.html.j2",
        title="okrsim — policy comparison",
        seed=f"{seed} · {comparison.reps} paired runs",
        figs=comparison_figures(comparison),
        question=question,
        colours=palette.policy_colours(names),
        policies=policies,
        summaries=[summarise(comparison, b, metrics) for b in names[1:]],
        glossary=glossary.glossary(metrics),
        about=about(comparison.scenarios.get(names[0])),
        method=method,
    )


def about(scenario: Scenario | None) -> dict[str, Any]:
    """The "what this is and is not" note, with the organisation simulated if known."""
    return {
        "is_not": glossary.IS_NOT,
        "organisation": glossary.organisation_words(scenario) if scenario is not None else "",
        "assumptions": glossary.ASSUMPTIONS,
    }


# -- policies in words ---------------------------------------------------------------
def describe_policy(scenario: Scenario) -> str:
    """A policy in one line: the main levers, then every other setting off its default."""
    s = scenario
    main = (
        f"{figures.percent(s.comp.coupling)} of the rating from the OKR score, bonus curve "
        f"{s.comp.bonus_curve}, evaluation {s.comp.evaluation}, target rule "
        f"{s.okr.target_rule}, OKRs {'on' if s.okr.enabled else 'off'}"
    )
    shown = {
        "comp.coupling",
        "comp.bonus_curve",
        "comp.evaluation",
        "okr.target_rule",
        "okr.enabled",
    }
    defaults = Scenario().flat()
    other = [
        f"{key} = {value}"
        for key, value in s.flat().items()
        if key not in shown and defaults.get(key) != value
    ]
    other += [
        f"from quarter {c.quarter}: "
        + ", ".join(f"{key} = {value}" for key, value in c.set.items())
        for c in s.schedule
    ]
    return main + (f"; also {'; '.join(other)}" if other else "")


# -- a comparison read back from disk ----------------------------------------------------
#: Files ``okrsim compare --out DIR`` writes, all needed to rebuild its report.
COMPARE_FILES = ("comparison.csv", "runs.parquet", "quarterly.parquet", "weekly.parquet")
#: Optional: each scenario's settings, ``{name: Scenario.model_dump(mode="json")}``.
SCENARIOS_FILE = "scenarios.json"


def is_comparison_dir(path: str | Path) -> bool:
    return all((Path(path) / name).is_file() for name in COMPARE_FILES)


def read_comparison(path: str | Path) -> Comparison:
    """The comparison in an ``okrsim compare --out`` directory.

    The reference scenario is the table's ``scenario_a``; replications and the
    root seed come from ``runs.parquet`` (every replication's seed is spawned
    from the root, so its entropy is the root seed).  Scenario settings are read
    from ``scenarios.json`` when the directory has one.

    Raises
    ------
    ScenarioError
        If a file is missing or unreadable.
    """
    root = Path(path)
    missing = [name for name in COMPARE_FILES if not (root / name).is_file()]
    if missing:
        raise ScenarioError(f"{root}: not a comparison directory (missing {', '.join(missing)})")
    try:
        table = pd.read_csv(root / "comparison.csv")
        runs = pd.read_parquet(root / "runs.parquet")
        quarterly = pd.read_parquet(root / "quarterly.parquet")
        weekly = pd.read_parquet(root / "weekly.parquet")
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{root}: unreadable comparison: {exc}") from None
    if table.empty or runs.empty:
        raise ScenarioError(f"{root}: the comparison holds no results")
    names = tuple(
        dict.fromkeys([*table["scenario_a"].astype(str), *table["scenario_b"].astype(str)])
    )
    scenarios: dict[str, Scenario] = {}
    if (root / SCENARIOS_FILE).is_file():
        raw = json.loads((root / SCENARIOS_FILE).read_text())
        scenarios = {
            name: Scenario.from_mapping(data, source=f"{root / SCENARIOS_FILE}: {name}")
            for name, data in raw.items()
        }
    # every replication's seed is spawned from the root, so its entropy is the root seed
    seeds: list[int] = (
        sorted(runs["seed_entropy"].unique().tolist()) if "seed_entropy" in runs else []
    )
    return Comparison(
        names=names,
        reps=int(runs["replication"].nunique()),
        seed=int(seeds[0]) if len(seeds) == 1 else -1,
        scenarios=scenarios,
        runs=runs,
        quarterly=quarterly,
        weekly=weekly,
        table=table,
        by_quarter=quarter_table(quarterly, names),
    )


# -- a sweep read back from disk -----------------------------------------------------------
@dataclass(frozen=True)
class Sweep:
    """A stored sweep as the report needs it: what was varied, and one row per run.

    Attributes
    ----------
    axes
        The swept keys as the manifest describes them (``key``, ``kind`` and
        ``low``/``high`` or ``values``).
    runs
        One row per completed run: ids, the swept values, the outcomes.
    """

    path: Path
    name: str
    description: str
    design: str
    replications: int
    seed: int
    crn: bool
    statistic: str
    axes: tuple[Mapping[str, Any], ...]
    metrics: tuple[str, ...]
    planned_runs: int
    failed_runs: int
    runs: pd.DataFrame
    base: Mapping[str, Any]


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / "manifest.json").is_file()


def read_sweep(path: str | Path) -> Sweep:
    """A sweep directory (``manifest.json``, ``runs/part-*.parquet``), read through its store.

    Damaged parts are skipped and duplicate runs counted once, each with a
    :class:`~okrsim.experiments.sweep_store.StoreWarning`.

    Raises
    ------
    ScenarioError
        If there is no manifest, it cannot be read, or no run has completed.
    """
    root = Path(path)
    store = Store.open(root)
    manifest = store.manifest
    plan = manifest["plan"]
    runs = store.read_runs()
    if runs.empty:
        raise ScenarioError(f"{root}: the sweep has no readable completed runs yet")
    failures = len(store.read_failures())
    experiment = manifest.get("experiment", {}).get("experiment", {})
    return Sweep(
        path=root,
        name=str(plan.get("name") or experiment.get("name") or root.name),
        description=str(experiment.get("description", "")),
        design=str(plan.get("design", "?")),
        replications=int(plan.get("replications", runs["replication"].nunique())),
        seed=int(plan.get("seed", -1)),
        crn=bool(plan.get("crn", False)),
        statistic=str(plan.get("statistic", "mean")),
        axes=tuple(plan.get("axes", ())),
        metrics=tuple(m for m in plan.get("metrics", METRICS) if m in runs.columns),
        planned_runs=int(manifest.get("n_runs", len(runs))),
        failed_runs=failures,
        runs=runs,
        base=plan.get("base_scenario", {}),
    )


def _design_matrix(sweep: Sweep) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Columns for the linear fit: each axis over its whole range, then replication effects.

    A numeric axis is scaled so its coefficient is the change from ``low`` to
    ``high``; a boolean is 0/1; a category gets one column per level other
    than its first.  Under common random numbers each replication shares its
    workforce and shocks across points, so replication dummies take out that
    shared noise (the sweep's analogue of pairing).
    """
    runs = sweep.runs
    columns: list[np.ndarray] = [np.ones(len(runs))]
    terms: list[dict[str, Any]] = []
    for axis in sweep.axes:
        key, kind = axis["key"], axis["kind"]
        if key not in runs.columns:
            continue
        x = runs[key]
        if kind == "category":
            levels = list(axis.get("values") or pd.unique(x))
            for level in levels[1:]:
                columns.append((x.astype(str) == str(level)).to_numpy(float))
                terms.append({"axis": key, "from": levels[0], "to": level})
        elif kind == "bool":
            columns.append(x.astype(float).to_numpy())
            terms.append({"axis": key, "from": False, "to": True})
        else:
            low = float(axis.get("low", x.min()))
            high = float(axis.get("high", x.max()))
            if high <= low:
                continue
            columns.append((x.astype(float).to_numpy() - low) / (high - low))
            terms.append({"axis": key, "from": axis.get("low", low), "to": axis.get("high", high)})
    if sweep.crn and runs["replication"].nunique() > 1:
        reps = sorted(runs["replication"].unique())
        for r in reps[1:]:
            columns.append((runs["replication"] == r).to_numpy(float))
    return np.column_stack(columns), terms


def sweep_effects(sweep: Sweep, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Each swept setting's effect on each metric across its range, with a 95 % CI.

    An ordinary least-squares fit of the metric on all axes at once (plus
    replication effects under common random numbers), so each effect holds the
    other axes fixed; the interval is the coefficient's Student-t interval.  It
    is the average change over the range — the response charts show its shape.

    Returns one row per (metric, axis term): ``metric``, ``axis``, ``from``,
    ``to``, ``effect``, ``ci_low``, ``ci_high``, ``mean`` (the metric's mean
    over all runs), ``start`` and ``end`` (the level at the start and the end of
    the axis's range, :func:`_ends`: what a change is read against) and ``n``.
    """
    X, terms = _design_matrix(sweep)
    rows = []
    for metric in metrics or sweep.metrics:
        y = sweep.runs[metric].to_numpy(float)
        ok = np.isfinite(y)
        Xo, yo = X[ok], y[ok]
        n, p = Xo.shape
        if n <= p:
            continue
        beta, *_ = np.linalg.lstsq(Xo, yo, rcond=None)
        resid = yo - Xo @ beta
        dof = n - np.linalg.matrix_rank(Xo)
        sigma2 = float(resid @ resid) / max(dof, 1)
        cov = sigma2 * np.linalg.pinv(Xo.T @ Xo)
        t = float(stats.t.ppf(0.975, max(dof, 1)))
        for j, term in enumerate(terms, start=1):
            se = float(np.sqrt(max(cov[j, j], 0.0)))
            # the fitted level at the start of the range, the other axes at their average
            fitted_start = (float(yo.mean()) - float(beta[j]) * float(Xo[:, j].mean()), beta[j])
            rows.append(
                {
                    "metric": metric,
                    **term,
                    "effect": float(beta[j]),
                    "ci_low": float(beta[j]) - t * se,
                    "ci_high": float(beta[j]) + t * se,
                    "mean": float(yo.mean()),
                    **_ends(sweep.runs, term, metric, fitted_start),
                    "n": int(n),
                }
            )
    columns = [
        "metric",
        "axis",
        "from",
        "to",
        "effect",
        "ci_low",
        "ci_high",
        "mean",
        "start",
        "end",
        "n",
    ]
    return pd.DataFrame(rows, columns=columns)


def _ends(
    runs: pd.DataFrame, term: Mapping[str, Any], metric: str, fitted: tuple[float, float]
) -> dict[str, float]:
    """The metric's level at the start and at the end of an axis's range.

    The mean of the runs made at the range's first and last value (over every
    value of the other axes), where the design has runs there (a grid, a
    table); otherwise the straight-line fit's level at the start and that
    level plus the effect.  Changes are read from the start, not from the
    sweep's mean.
    """
    x = runs[term["axis"]]
    values = []
    for end in (term["from"], term["to"]):
        if _is_number(end) and pd.api.types.is_numeric_dtype(x) and not isinstance(end, bool):
            at = np.isclose(x.astype(float), float(end))
        else:
            at = (x.astype(str) == str(end)).to_numpy()
        level = runs.loc[at, metric].mean() if at.any() else np.nan
        values.append(float(level))
    start, effect = fitted
    if not all(np.isfinite(values)):
        return {"start": start, "end": start + effect}
    return {"start": values[0], "end": values[1]}


@dataclass(frozen=True)
class Effect(wording.Change):
    """One swept setting's effect on one metric across its range: ``mean_a`` at its start."""

    axis: str = ""
    start_value: Any = None
    end_value: Any = None

    @property
    def range(self) -> str:
        return f"{_value_words(self.start_value)} → {_value_words(self.end_value)}"

    @property
    def sentence(self) -> str:
        if _is_number(self.start_value):
            how = f"Raising {self.axis} from {self.range.replace(' → ', ' to ')}"
        else:
            how = f"Setting {self.axis} to {self.end_value} rather than {self.start_value}"
        return f"{how}: {self.words}, {self.change}."


def _value_words(value: Any) -> str:
    return f"{value:g}" if _is_number(value) else str(value)


def sweep_findings(effects: pd.DataFrame) -> list[Effect]:
    """Each row of :func:`sweep_effects` for the metrics a report shows, in words."""
    shown = shown_metrics(effects["metric"])
    rows = effects[effects["metric"].isin(shown)].copy()
    rows["order"] = rows["metric"].map({m: i for i, m in enumerate(shown)})
    return [
        Effect(
            metric=str(r["metric"]),
            mean_a=float(r["start"]),
            mean_b=float(r["end"]),
            diff=float(r["effect"]),
            ci_low=float(r["ci_low"]),
            ci_high=float(r["ci_high"]),
            axis=str(r["axis"]),
            start_value=r["from"],
            end_value=r["to"],
        )
        for _, r in rows.sort_values(["axis", "order"], kind="stable").iterrows()
    ]


def sweep_sentences(effects: pd.DataFrame, *, limit: int = 10) -> list[str]:
    """Plain-language findings of a sweep, largest first, where the 95 % CI excludes zero."""
    clear = [e for e in sweep_findings(effects) if e.clear]
    return [e.sentence for e in sorted(clear, key=lambda e: e.size, reverse=True)[:limit]]


def sweep_figures(sweep: Sweep) -> list[go.Figure]:
    """What each setting changes, then how the headline metrics respond to each setting."""
    preferred = ["sandbagging_index", "attainment", "true_value", "rating_accuracy"]
    shown = [m for m in preferred if m in sweep.metrics] or list(sweep.metrics)
    shown = shown[:4]
    axes = [a for a in sweep.axes if a["key"] in sweep.runs.columns][:4]
    categorical = [a["key"] for a in axes if a["kind"] == "category"]
    effects = sweep_effects(sweep, shown_metrics(sweep.metrics))
    as_table = pd.DataFrame(
        {
            "metric": effects["metric"],
            "scenario_a": "",
            "scenario_b": [
                f"{r['axis']}: {_value_words(r['from'])} → {_value_words(r['to'])}"
                for _, r in effects.iterrows()
            ],
            "mean_a": effects["start"],
            "diff": effects["effect"],
            "ci_low": effects["ci_low"],
            "ci_high": effects["ci_high"],
        }
    )
    title = "What each setting changes across its range, from the start of the range (95 % CI)"
    figs = [figures.difference_figure(as_table, title=title)] if not as_table.empty else []
    for axis in axes:
        colour_by = next((k for k in categorical if k != axis["key"]), None)
        if colour_by is not None and sweep.runs[colour_by].nunique() > 4:
            colour_by = None
        figs.append(figures.response_figure(sweep.runs, axis["key"], shown, colour_by=colour_by))
    return figs


def levels_by_setting(sweep: Sweep, axis: str, metric: str) -> pd.DataFrame:
    """The mean of ``metric`` at each value of ``axis``, one column per bonus curve if swept."""
    runs = sweep.runs
    by = (
        "comp.bonus_curve"
        if "comp.bonus_curve" in runs.columns and axis != "comp.bonus_curve"
        else None
    )
    if by is None:
        return runs.groupby(axis)[metric].mean().to_frame("all")
    return runs.pivot_table(index=axis, columns=by, values=metric, aggfunc="mean")


def accuracy_in_sweep(sweep: Sweep, effects: pd.DataFrame) -> list[str]:
    """Why the sweep's rating-accuracy effect can differ from a comparison's, with its numbers."""
    axis = "comp.coupling"
    if axis not in sweep.runs.columns or "rating_accuracy" not in sweep.runs.columns:
        return []
    row = effects[(effects["axis"] == axis) & (effects["metric"] == "rating_accuracy")]
    if row.empty or sweep.runs[axis].nunique() > 12:
        return []
    table = levels_by_setting(sweep, axis, "rating_accuracy")
    lines = []
    for curve in table.columns:
        steps = ", ".join(f"{_value_words(x)}: {v:.2f}" for x, v in table[curve].items())
        lines.append(f"{curve}: {steps}" if curve != "all" else steps)
    fit = row.iloc[0]
    return [
        "Rating accuracy (the correlation of ratings with true contribution) at each coupling "
        "level, mean over the runs: " + "; ".join(lines) + ". "
        f"The straight line fitted across the range changes it by {fit['effect']:+.2f}, "
        "but the response is not straight: a rating under coupling mixes the manager's "
        "judgment with the OKR score, and the score alone tracks contribution far less "
        "well, so the last steps of coupling, and a step bonus curve that turns attainment "
        "into pass or fail, weigh most in the line.",
        "A comparison of two policies (okrsim compare, for instance decoupled against coupled "
        "at 80 % with a linear curve, each metric averaged over all quarters) sees only the "
        "change between its two coupling levels under its own curve; where the score adds "
        "information that judgment lacks, that change can be small or point the other way. "
        "Read the two at the same coupling level and curve.",
    ]


def sweep_watch_outs(sweep: Sweep, found: Sequence[Effect]) -> list[str]:
    """What to be careful about when reading a sweep's effects."""
    out = [
        "Each effect is a straight line fitted across the whole swept range; where the "
        "response bends, the charts of each setting show its shape, and the change between "
        "two nearby settings can differ from the line's."
    ]
    big = [
        e
        for e in found
        if e.clear and abs(e.mean_a) > 1e-12 and abs(e.diff / e.mean_a) >= wording.LARGE_RELATIVE
    ]
    if big:
        items = "; ".join(
            f"{e.title} over {e.axis} {e.range}: {wording.levels(e.metric, e.mean_a, e.mean_b)}"
            for e in big[:6]
        )
        out.append(f"Large percentages of small numbers: read the absolute levels ({items}).")
    out.append(
        "These are a model's results, not measurements of any organisation: they show the "
        "direction and rough size of what the stated rules imply (see “What this is and is "
        "not”)."
    )
    return out


def sweep_report(sweep: Sweep, *, question: str | None = None) -> str:
    """The HTML of a leadership report on a sweep."""
    effects = sweep_effects(sweep)
    varied = ", ".join(_axis_words(a) for a in sweep.axes)
    question = (
        question
        or sweep.description
        or (f"How do ambition, honesty and the value really delivered respond to {varied}?")
    )
    base = Scenario.from_mapping(sweep.base, source=f"{sweep.path}/manifest.json")
    found = sweep_findings(effects)
    clear = sorted((e for e in found if e.clear), key=lambda e: e.size, reverse=True)
    done = len(sweep.runs)
    points = sweep.runs["point_id"].nunique()
    method = (
        f"Experiment '{sweep.name}': a {sweep.design} design of {points} settings × "
        f"{sweep.replications} replications ({done} of {sweep.planned_runs} runs completed"
        + (f", {sweep.failed_runs} failed" if sweep.failed_runs else "")
        + f"; root seed {sweep.seed}"
        + (
            "; common random numbers: every setting met the same workforces and shocks"
            if sweep.crn
            else ""
        )
        + f"). Outcomes are each run's {sweep.statistic} over its quarters. Each effect is "
        "the change across the swept range from a linear least-squares fit on all swept "
        "settings at once"
        + (" with replication effects" if sweep.crn else "")
        + ", with a 95 % t-interval; levels and percentages are read from the fitted level at "
        "the start of each range (the other settings at their average), not from the sweep's "
        "mean; the charts show the response setting by setting. "
        "The model, its rules and the sources behind them are described in docs/ODD.md."
    )
    return render.render(
        "sweep.html.j2",
        title=f"okrsim — sweep: {sweep.name}",
        seed=f"root seed {sweep.seed} · {sweep.replications} replications per setting",
        figs=sweep_figures(sweep),
        question=question,
        varied=varied,
        base=describe_policy(base),
        top=clear[:3],
        watch=sweep_watch_outs(sweep, found),
        effects=found,
        disagreement=accuracy_in_sweep(sweep, effects),
        glossary=glossary.glossary(shown_metrics(sweep.metrics)),
        about=about(base),
        method=method,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _axis_words(axis: Mapping[str, Any]) -> str:
    if axis.get("values") is not None:
        return f"{axis['key']} ∈ {{{', '.join(map(str, axis['values']))}}}"
    return f"{axis['key']} from {axis.get('low')} to {axis.get('high')}"
