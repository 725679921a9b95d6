"""The leadership report: one self-contained HTML file, charts embedded.

The report reads results; it runs nothing.  plotly.js is inlined once, so the
file opens offline and makes no network requests.  It reads three kinds of
results: a :class:`~okrsim.comparison.Comparison` in memory (``okrsim compare``,
``okrsim report A.toml B.toml``), the directory ``okrsim compare --out`` wrote
(:func:`read_comparison`), and a sweep directory (:func:`read_sweep`,
:func:`sweep_report`).
"""

from __future__ import annotations

import html
import json
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from okrsim.comparison import Comparison, quarter_table
from okrsim.experiments.sweep_store import Store
from okrsim.metrics import METRICS
from okrsim.params import Scenario, ScenarioError
from okrsim.report import figures

#: Metrics the headline sentences speak about, with the words for "up" and "down".
HEADLINES: dict[str, tuple[str, str]] = {
    "sandbagging_index": (
        "targets were set further below what people expected to deliver",
        "targets came closer to what people expected to deliver",
    ),
    "attainment": ("reported OKR attainment rose", "reported OKR attainment fell"),
    "true_value": ("true value delivered rose", "true value delivered fell"),
    "reporting_bias": (
        "progress reports overstated the truth more",
        "progress reports overstated the truth less",
    ),
    "blocker_latency_weeks": ("blockers stayed hidden longer", "blockers were raised sooner"),
    "help_share": ("people helped colleagues more", "people helped colleagues less"),
    "bau_share": ("more time went to non-OKR work", "less time went to non-OKR work"),
    "exploration_share": ("more time went to exploration", "less time went to exploration"),
    "goodhart_corr": (
        "the OKR score tracked true contribution better",
        "the OKR score tracked true contribution worse",
    ),
    "rating_accuracy": (
        "ratings tracked true contribution better",
        "ratings tracked true contribution worse",
    ),
    "intensity": ("people worked longer hours", "people worked shorter hours"),
    "quit_rate": ("more people left", "fewer people left"),
    "leaver_capability_ratio": (
        "those who left were more capable, relative to those who stayed",
        "those who left were less capable, relative to those who stayed",
    ),
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; font-size: 17px; line-height: 1.5; }
h1 { font-size: 1.8em; } h2 { margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.note { color: #555; font-size: 0.9em; }
.lead { font-size: 1.1em; background: #f3f6fa; border-left: 4px solid #0072B2; padding: 8px 12px; }
"""


def effect_size(metric: str, diff: float, low: float, high: float, reference: float) -> str:
    """A change and its 95 % CI in the words that suit the metric.

    Relative to the reference level for levels (``true value fell by 9 % [6 %, 12 %]``),
    in the metric's own units otherwise (``18 % of expected output``,
    ``0.08 weeks``), as a plain number for correlations and the like
    (:func:`okrsim.report.figures.relative_base` decides).
    """
    lo, hi = sorted((abs(low), abs(high)))
    if low < 0 < high:
        lo = 0.0
    base = figures.relative_base(metric, reference, [diff])
    if base is not None:
        pct = figures.percent
        return f"{pct(abs(diff) / base)} [{pct(lo / base)}, {pct(hi / base)}]"
    if metric in figures.SHARE_OF:
        unit = figures.SHARE_OF[metric]
        return f"{figures.percent(abs(diff))} {unit} [{figures.percent(lo)}, {figures.percent(hi)}]"
    unit = f" {figures.UNITS[metric]}" if metric in figures.UNITS else ""
    return f"{abs(diff):.2g}{unit} [{lo:.2g}, {hi:.2g}]"


def _excludes_zero(row: Any) -> bool:
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)


def headline_sentences(table: pd.DataFrame) -> list[str]:
    """Plain-language findings, one per headline metric whose 95 % CI excludes zero."""
    out = []
    for _, row in table.iterrows():
        words = HEADLINES.get(row["metric"])
        if words is None or not _excludes_zero(row):
            continue
        size = effect_size(row["metric"], row["diff"], row["ci_low"], row["ci_high"], row["mean_a"])
        up, down = words
        out.append(
            f"Under <b>{html.escape(str(row['scenario_b']))}</b> rather than "
            f"<b>{html.escape(str(row['scenario_a']))}</b>, "
            f"{up if row['diff'] > 0 else down} by {size}."
        )
    return out


def lead_sentence(table: pd.DataFrame, a: str, b: str) -> str | None:
    """The comparison in one sentence: ambition, measured success and true value.

    ``None`` when none of the three moved with 95 % confidence.
    """
    pair = table[(table["scenario_a"] == a) & (table["scenario_b"] == b)]
    rows = {str(r["metric"]): dict(r) for r in pair.to_dict("records")}
    parts = []
    for metric in ("sandbagging_index", "attainment", "true_value"):
        if metric not in rows or not _excludes_zero(rows[metric]):
            continue
        r = rows[metric]
        diff, low, high = float(r["diff"]), float(r["ci_low"]), float(r["ci_high"])
        size = effect_size(metric, diff, low, high, float(r["mean_a"]))
        up = diff > 0
        if metric == "sandbagging_index":
            parts.append(f"{'lowered' if up else 'raised'} targets by {size}")
        elif metric == "attainment":
            parts.append(f"{'raised' if up else 'lowered'} reported attainment by {size}")
        else:
            parts.append(f"true value delivered {'rose' if up else 'fell'} by {size}")
    if not parts:
        return None
    head = f"Moving from <b>{html.escape(a)}</b> to <b>{html.escape(b)}</b> "
    if len(parts) == 1:
        body = parts[0]
    elif parts[-1].startswith("true value"):
        body = " and ".join(parts[:-1]) + ", while " + parts[-1]
    else:
        body = " and ".join(parts)
    if body.startswith("true value"):
        head, body = f"Under <b>{html.escape(b)}</b> rather than <b>{html.escape(a)}</b>, ", body
    return head + body + "."


#: What a comparison charts over time: beliefs about the policy and the behaviour they move.
TRUST_METRICS = ("coupling_belief", "credibility", "sandbagging_index", "slanted_report_share")


def comparison_figures(comparison: Comparison) -> list[go.Figure]:
    """The charts of a comparison report."""
    table = comparison.table
    figs = [
        figures.difference_figure(table, [m for m in HEADLINES if m in set(table["metric"])]),
        figures.progress_figure(comparison.weekly[comparison.weekly["week"] <= 26]),
        figures.effort_figure(comparison.runs, order=comparison.names),
    ]
    figs += [
        figures.metric_bars(comparison.runs, m, order=comparison.names)
        for m in ("true_value", "sandbagging_index")
    ]
    if not comparison.quarterly.empty:
        quarterly = comparison.quarterly
        figs.append(figures.trajectory_figure(quarterly, ["attainment", "true_value"]))
        # trust and what follows from it: how long a policy change takes to show
        over_time = [m for m in TRUST_METRICS if m in quarterly.columns]
        figs.append(
            figures.trajectory_figure(
                quarterly,
                over_time,
                title="Quarter by quarter: what people believe of the policy, and what they do",
            )
        )
    return figs


def comparison_report(comparison: Comparison, *, question: str | None = None) -> str:
    """The HTML of a comparison report."""
    names = comparison.names
    question = question or (
        "What happens to ambition, honesty and the value really delivered when the "
        f"organisation moves from {names[0]} to {' or '.join(names[1:])}?"
    )
    policies = "".join(
        f"<li><b>{html.escape(n)}</b>: {html.escape(describe_policy(comparison.scenarios[n]))}</li>"
        if n in comparison.scenarios
        else f"<li><b>{html.escape(n)}</b></li>"
        for n in names
    )
    leads = [lead_sentence(comparison.table, names[0], b) for b in names[1:]]
    summary = "".join(f"<p class='lead'>{s}</p>" for s in leads if s)
    findings = "".join(f"<li>{s}</li>" for s in headline_sentences(comparison.table)) or (
        "<li>No headline metric differed with 95 % confidence.</li>"
    )
    table = comparison.table[comparison.table["metric"].isin(list(HEADLINES))]
    seed = f"root seed {comparison.seed}" if comparison.seed >= 0 else "one seed per replication"
    method = (
        f"{comparison.reps} paired replications per policy with common random numbers "
        f"({seed}): every policy met the same workforce and the same "
        "shocks, so the differences are the policies' effects, not noise. Intervals are "
        "95 % t-intervals over the paired differences; Cohen's d is the paired d_z. "
        "The model, its rules and the sources behind them are described in docs/ODD.md."
    )
    return page(
        "okrsim — policy comparison",
        question,
        sections=[
            ("Policies compared", f"<ul>{policies}</ul>"),
            ("What happened", f"{summary}<ul>{findings}</ul>"),
            ("The numbers", _table_html(table)),
        ],
        figs=comparison_figures(comparison),
        method=method,
    )


def page(
    title: str,
    question: str,
    *,
    sections: Sequence[tuple[str, str]],
    figs: Sequence[go.Figure],
    method: str,
) -> str:
    """A complete self-contained HTML page: sections, then charts, then the method note."""
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><b>The question.</b> {html.escape(question)}</p>",
    ]
    body += [f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections]
    body.append("<h2>Charts</h2>")
    for i, fig in enumerate(figs):
        body.append(
            fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        )
    body.append(f"<h2>Method</h2><p class='note'>{html.escape(method)}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def write(html_text: str, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(html_text, encoding="utf-8")
    return p


def _table_html(table: pd.DataFrame) -> str:
    cols = ["metric", "scenario_b", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "cohens_d"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = []
    for _, r in table[cols].iterrows():
        cells = [
            f"<td title='{html.escape(METRICS.get(r['metric'], ''))}'>{r['metric']}</td>",
            f"<td>{html.escape(str(r['scenario_b']))}</td>",
        ]
        cells += [f"<td>{r[c]:.3g}</td>" for c in cols[2:]]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


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
    over all runs) and ``n``.
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
            rows.append(
                {
                    "metric": metric,
                    **term,
                    "effect": float(beta[j]),
                    "ci_low": float(beta[j]) - t * se,
                    "ci_high": float(beta[j]) + t * se,
                    "mean": float(yo.mean()),
                    "n": int(n),
                }
            )
    columns = ["metric", "axis", "from", "to", "effect", "ci_low", "ci_high", "mean", "n"]
    return pd.DataFrame(rows, columns=columns)


def sweep_sentences(effects: pd.DataFrame, *, limit: int = 10) -> list[str]:
    """Plain-language findings of a sweep, strongest first, where the 95 % CI excludes zero."""
    rows = effects[
        effects["metric"].isin(list(HEADLINES))
        & ((effects["ci_low"] > 0) | (effects["ci_high"] < 0))
    ].copy()
    width = (rows["ci_high"] - rows["ci_low"]).where(lambda w: w > 0, np.nan)
    rows["strength"] = rows["effect"].abs() / width
    out = []
    for _, r in rows.sort_values("strength", ascending=False).head(limit).iterrows():
        up, down = HEADLINES[r["metric"]]
        size = effect_size(r["metric"], r["effect"], r["ci_low"], r["ci_high"], r["mean"])
        change = (
            f"raising <b>{html.escape(r['axis'])}</b> from {r['from']:g} to {r['to']:g}"
            if _is_number(r["from"])
            else f"setting <b>{html.escape(r['axis'])}</b> to {html.escape(str(r['to']))} "
            f"rather than {html.escape(str(r['from']))}"
        )
        out.append(f"Across the sweep, {change}: {up if r['effect'] > 0 else down} by {size}.")
    return out


def sweep_figures(sweep: Sweep) -> list[go.Figure]:
    """How the headline metrics respond to each swept setting (up to four of each)."""
    preferred = ["sandbagging_index", "attainment", "true_value", "reporting_bias"]
    shown = [m for m in preferred if m in sweep.metrics] or list(sweep.metrics)
    shown = shown[:4]
    axes = [a for a in sweep.axes if a["key"] in sweep.runs.columns][:4]
    categorical = [a["key"] for a in axes if a["kind"] == "category"]
    effects = sweep_effects(sweep, [m for m in HEADLINES if m in sweep.metrics])
    as_table = pd.DataFrame(
        {
            "metric": effects["metric"],
            "scenario_a": "",
            "scenario_b": [f"{r['axis']}: {r['from']} → {r['to']}" for _, r in effects.iterrows()],
            "mean_a": effects["mean"],
            "diff": effects["effect"],
            "ci_low": effects["ci_low"],
            "ci_high": effects["ci_high"],
        }
    )
    title = "What each setting changes across its range, with 95 % confidence intervals"
    figs = [figures.difference_figure(as_table, title=title)] if not as_table.empty else []
    for axis in axes:
        colour_by = next((k for k in categorical if k != axis["key"]), None)
        if colour_by is not None and sweep.runs[colour_by].nunique() > 4:
            colour_by = None
        figs.append(figures.response_figure(sweep.runs, axis["key"], shown, colour_by=colour_by))
    return figs


def sweep_report(sweep: Sweep, *, question: str | None = None) -> str:
    """The HTML of a leadership report on a sweep."""
    effects = sweep_effects(sweep)
    varied = ", ".join(_axis_words(a) for a in sweep.axes)
    question = (
        question
        or sweep.description
        or (f"How do ambition, honesty and the value really delivered respond to {varied}?")
    )
    findings = "".join(f"<li>{s}</li>" for s in sweep_sentences(effects)) or (
        "<li>No headline metric moved with 95 % confidence across the swept ranges.</li>"
    )
    base = Scenario.from_mapping(sweep.base, source=f"{sweep.path}/manifest.json")
    settings = (
        f"<p>Swept: {html.escape(varied)}.</p>"
        f"<p>Everything else as in the base scenario: {html.escape(describe_policy(base))}.</p>"
    )
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
        + ", with a 95 % t-interval; the charts show the response setting by setting. "
        "The model, its rules and the sources behind them are described in docs/ODD.md."
    )
    return page(
        f"okrsim — sweep: {sweep.name}",
        question,
        sections=[
            ("What was varied", settings),
            ("What happened", f"<ul>{findings}</ul>"),
            ("The numbers", _effects_html(effects)),
        ],
        figs=sweep_figures(sweep),
        method=method,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _axis_words(axis: Mapping[str, Any]) -> str:
    if axis.get("values") is not None:
        return f"{axis['key']} ∈ {{{', '.join(map(str, axis['values']))}}}"
    return f"{axis['key']} from {axis.get('low')} to {axis.get('high')}"


def _effects_html(effects: pd.DataFrame) -> str:
    rows = effects[effects["metric"].isin(list(HEADLINES))]
    head = "".join(
        f"<th>{c}</th>" for c in ("metric", "setting", "from → to", "effect", "95 % CI", "mean")
    )
    body = []
    for _, r in rows.iterrows():
        body.append(
            f"<tr><td title='{html.escape(METRICS.get(r['metric'], ''))}'>{r['metric']}</td>"
            f"<td>{html.escape(r['axis'])}</td>"
            f"<td>{html.escape(str(r['from']))} → {html.escape(str(r['to']))}</td>"
            f"<td>{r['effect']:+.3g}</td><td>[{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]</td>"
            f"<td>{r['mean']:.3g}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"
