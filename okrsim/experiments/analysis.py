"""Analysis of a stored sweep: point means with CIs, Sobol', Morris, PRIM; CSV + HTML.

It only reads the store ("run, save, then analyse"):

* **Per-design-point means** over replications with two-sided 95 % Student-t
  confidence intervals (``mean ± t₀.₉₇₅,ₙ₋₁ · s/√n``), for every design.
* **Sobol' indices** (first order ``S1`` and total ``ST``, with bootstrap
  confidence intervals) for ``sobol`` designs, by
  :func:`SALib.analyze.sobol.analyze` (Saltelli 2002; Saltelli et al. 2010).
  Replications are averaged per point first, so the indices apportion the
  variance of the expected outcome rather than of the noise.
* **Morris screening** (``μ*``, the mean absolute elementary effect, and
  ``σ``, their spread, signalling interaction or non-linearity) for
  ``morris`` designs, by :func:`SALib.analyze.morris.analyze` (Morris 1991;
  Campolongo et al. 2007).  Effects are per unit of the normalised range.
* **PRIM scenario discovery** for a ``--where`` condition on the point means,
  for any design (:mod:`okrsim.experiments.prim`).

Everything lands in ``DIR/analysis/*.csv`` and a self-contained
``DIR/analysis.html`` (plotly, with plotly.js embedded so it opens offline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots
from scipy import stats

from okrsim.experiments import prim as prim_mod
from okrsim.experiments.design import salib_problem
from okrsim.experiments.spec import Axis
from okrsim.experiments.sweep_store import Store
from okrsim.params import ScenarioError
from okrsim.report.palette import DASHES, SYMBOLS, policy_colour

CONF = 0.95
#: Below this base sample, Sobol' estimates are too noisy to rank inputs with
#: confidence (Saltelli et al. 2008 work with N in the thousands; 512 is a floor).
SOBOL_MIN_BASE = 512
#: Most groups a point-means chart draws as separate lines.
_MAX_LINES = 12


@dataclass
class Analysis:
    """What :func:`analyze` computed and where it wrote it."""

    html: Path
    csvs: dict[str, Path]
    point_means: pd.DataFrame
    sobol: pd.DataFrame | None = None
    sobol_second_order: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    prim_trajectory: pd.DataFrame | None = None
    prim_box: prim_mod.Box | None = None
    warnings: list[str] = field(default_factory=list)


# -- statistics -------------------------------------------------------------


def mean_ci(values: Any, conf: float = CONF) -> tuple[int, float, float, float, float]:
    """``(n, mean, sd, ci_low, ci_high)`` of the finite values, t-based.

    With fewer than two values the interval is undefined (NaN).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + conf / 2, n - 1)) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def point_means(
    runs: pd.DataFrame,
    design: pd.DataFrame,
    keys: list[str],
    metrics: list[str],
    conf: float = CONF,
) -> pd.DataFrame:
    """One row per design point and metric: ``n, mean, sd, ci_low, ci_high``.

    The same statistics as :func:`mean_ci`, computed for all points at once.
    Non-finite values are left out of ``n``; points with no stored run (all
    failed) appear with ``n = 0``.
    """
    values = runs[["point_id", *metrics]].melt(
        id_vars="point_id", var_name="metric", value_name="value"
    )
    values = values[np.isfinite(values["value"].to_numpy(dtype=float))]
    stats_ = values.groupby(["point_id", "metric"])["value"].agg(["count", "mean", "std"])
    index = pd.MultiIndex.from_product(
        [design["point_id"].to_numpy(), metrics], names=["point_id", "metric"]
    )
    stats_ = stats_.reindex(index)
    n = stats_["count"].fillna(0).astype(int).to_numpy()
    mean = stats_["mean"].to_numpy(dtype=float)
    sd = np.where(n >= 2, stats_["std"].to_numpy(dtype=float), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + conf / 2, np.where(n >= 2, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
    out = pd.DataFrame(
        {
            "point_id": index.get_level_values("point_id"),
            "metric": index.get_level_values("metric"),
            "n": n,
            "mean": mean,
            "sd": sd,
            "ci_low": mean - half,
            "ci_high": mean + half,
        }
    )
    out = design[["point_id", *keys]].merge(out, on="point_id", how="right")
    return out[["point_id", *keys, "metric", "n", "mean", "sd", "ci_low", "ci_high"]]


def wide_means(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Point means as one row per point, one column per metric."""
    wide = long.pivot(index="point_id", columns="metric", values="mean")
    wide.columns.name = None
    firsts = long.drop_duplicates("point_id").set_index("point_id")[keys]
    return firsts.join(wide).reset_index()


def sobol_table(
    axes: tuple[Axis, ...],
    outputs: dict[str, np.ndarray],
    *,
    second_order: bool = False,
    seed: int = 0,
    conf: float = CONF,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First-order and total Sobol' indices per output and input, with CIs.

    ``outputs`` maps an output's name to its values in Saltelli-sample order.
    Returns ``(indices, second_order_indices)``; the second is empty unless
    ``second_order``.  ``*_conf`` columns are half-widths of the ``conf``
    bootstrap intervals.
    """
    from SALib.analyze import sobol

    problem = salib_problem(axes)
    rows, rows2 = [], []
    for name, y in outputs.items():
        si = sobol.analyze(
            problem,
            np.asarray(y, dtype=float),
            calc_second_order=second_order,
            conf_level=conf,
            seed=seed,
        )
        for j, axis in enumerate(axes):
            rows.append(
                {
                    "metric": name,
                    "input": axis.key,
                    "S1": si["S1"][j],
                    "S1_conf": si["S1_conf"][j],
                    "ST": si["ST"][j],
                    "ST_conf": si["ST_conf"][j],
                }
            )
        if second_order:
            for j in range(len(axes)):
                for k in range(j + 1, len(axes)):
                    rows2.append(
                        {
                            "metric": name,
                            "input": axes[j].key,
                            "input_2": axes[k].key,
                            "S2": si["S2"][j, k],
                            "S2_conf": si["S2_conf"][j, k],
                        }
                    )
    return pd.DataFrame(rows), pd.DataFrame(rows2)


def morris_table(
    axes: tuple[Axis, ...],
    sample: np.ndarray,
    outputs: dict[str, np.ndarray],
    *,
    levels: int = 4,
    seed: int = 0,
    conf: float = CONF,
) -> pd.DataFrame:
    """Morris ``μ``, ``μ*`` (with CI half-width) and ``σ`` per output and input."""
    from SALib.analyze import morris

    problem = salib_problem(axes)
    rows = []
    for name, y in outputs.items():
        si = morris.analyze(
            problem,
            np.asarray(sample, dtype=float),
            np.asarray(y, dtype=float),
            num_levels=levels,
            conf_level=conf,
            seed=seed,
        )
        for j, axis in enumerate(axes):
            rows.append(
                {
                    "metric": name,
                    "input": axis.key,
                    "mu": float(si["mu"][j]),
                    "mu_star": float(si["mu_star"][j]),
                    "mu_star_conf": float(si["mu_star_conf"][j]),
                    "sigma": float(si["sigma"][j]),
                }
            )
    return pd.DataFrame(rows)


# -- the whole analysis -----------------------------------------------------


def analyze(
    root: str | Path,
    *,
    metrics: list[str] | None = None,
    where: str | None = None,
    min_coverage: float = 0.5,
    peel_alpha: float = 0.05,
    min_mass: float = 0.05,
) -> Analysis:
    """Analyse the sweep in ``root``; write CSVs and ``analysis.html``.

    Raises
    ------
    ScenarioError
        If ``root`` is not a sweep, a metric is unknown, or ``where`` cannot
        be evaluated on the point means.
    """
    store = Store.open(root)
    manifest = store.manifest
    plan = manifest["plan"]
    axes = tuple(Axis.from_description(a) for a in plan["axes"])
    keys = [a.key for a in axes]
    stored = list(plan["metrics"])
    chosen = metrics or stored
    unknown = [m for m in chosen if m not in stored]
    if unknown:
        raise ScenarioError(
            f"{store.root}: unknown metric {', '.join(map(repr, unknown))}; "
            f"this sweep recorded {', '.join(stored)}"
        )
    runs = store.read_runs(["run_id", "point_id", *chosen])
    design = store.read_design()
    n_failed = len(store.read_failures())
    warnings: list[str] = []
    if runs.empty:
        warnings.append("no stored runs: nothing to analyse")
    if n_failed:
        warnings.append(
            f"{n_failed} runs failed; their points are averaged over fewer replications"
        )

    out_dir = store.root / "analysis"
    out_dir.mkdir(exist_ok=True)
    csvs: dict[str, Path] = {}
    long = point_means(runs, design, keys, chosen)
    csvs["point_means"] = _csv(long, out_dir / "point_means.csv")
    wide = wide_means(long, keys)
    result = Analysis(
        html=store.root / "analysis.html", csvs=csvs, point_means=long, warnings=warnings
    )

    kind = plan["design"]
    settings = plan.get("design_settings", {})
    outputs = {}
    if kind in {"sobol", "morris"}:
        for m in chosen:
            y = wide[m].to_numpy(dtype=float)
            if not np.all(np.isfinite(y)):
                warnings.append(
                    f"{kind}: skipped {m}: {int((~np.isfinite(y)).sum())} design "
                    "points have no finite mean (failed runs or undefined metric)"
                )
            elif np.ptp(y) <= np.finfo(float).eps:
                warnings.append(f"{kind}: skipped {m}: constant over the design")
            else:
                outputs[m] = y
    if kind == "sobol" and outputs:
        base = int(settings.get("samples", 0))
        if base < SOBOL_MIN_BASE:
            warnings.append(
                f"sobol: the base sample N = {base} is small (< {SOBOL_MIN_BASE}); the indices' "
                "confidence intervals are wide and their ranking is unreliable"
            )
        second = bool(settings.get("second_order", False))
        first_total, pairs = sobol_table(axes, outputs, second_order=second, seed=plan["seed"])
        first_total.insert(2, "replications_averaged", plan["replications"])
        result.sobol = first_total
        csvs["sobol"] = _csv(first_total, out_dir / "sobol.csv")
        if second:
            result.sobol_second_order = pairs
            csvs["sobol_second_order"] = _csv(pairs, out_dir / "sobol_second_order.csv")
    if kind == "morris" and outputs:
        sample = design[[f"sample:{k}" for k in keys]].to_numpy(dtype=float)
        table = morris_table(
            axes, sample, outputs, levels=int(settings.get("levels", 4)), seed=plan["seed"]
        )
        result.morris = table
        csvs["morris"] = _csv(table, out_dir / "morris.csv")

    if where:
        _prim(result, wide, keys, where, store.root, min_coverage, peel_alpha, min_mass, out_dir)

    write_html(result, manifest, axes, n_runs=len(runs), n_failed=n_failed, state=store.state)
    return result


def _prim(
    result: Analysis,
    wide: pd.DataFrame,
    keys: list[str],
    where: str,
    root: Path,
    min_coverage: float,
    alpha: float,
    min_mass: float,
    out_dir: Path,
) -> None:
    if not keys:
        result.warnings.append("prim: the design sweeps no keys; nothing to discover")
        return
    try:
        mask = wide.eval(where)
    except Exception as exc:
        raise ScenarioError(
            f"{root}: --where {where!r} cannot be evaluated on the point means: {exc}. "
            f"Use metric names ({', '.join(c for c in wide.columns if c not in keys)}) and "
            "backquoted keys, e.g. `comp.coupling` > 0.5"
        ) from None
    if not (isinstance(mask, pd.Series) and pd.api.types.is_bool_dtype(mask)):
        raise ScenarioError(f"{root}: --where {where!r} is not a true/false condition")
    valid = wide[keys].notna().all(axis=1)
    inputs = wide.loc[valid, keys].reset_index(drop=True)
    interest = mask[valid].to_numpy(dtype=bool)
    hits = int(interest.sum())
    if hits == 0 or hits == len(interest):
        result.warnings.append(
            f"prim: {where!r} holds at {hits} of {len(interest)} design points; "
            "no box can separate them"
        )
    boxes = prim_mod.prim(inputs, interest, alpha=alpha, min_mass=min_mass)
    traj = prim_mod.trajectory_frame(boxes)
    traj.insert(0, "where", where)
    chosen = prim_mod.select_box(boxes, min_coverage=min_coverage)
    result.prim_trajectory = traj
    result.prim_box = chosen
    result.csvs["prim_trajectory"] = _csv(traj, out_dir / "prim_trajectory.csv")
    limits = prim_mod.limits_frame(chosen)
    limits.insert(0, "step", chosen.step)
    result.csvs["prim_box"] = _csv(limits, out_dir / "prim_box.csv")


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


# -- HTML -------------------------------------------------------------------


def write_html(
    result: Analysis,
    manifest: dict[str, Any],
    axes: tuple[Axis, ...],
    *,
    n_runs: int,
    n_failed: int,
    state: str,
) -> Path:
    """One self-contained page: summary, warnings, then a section per analysis.

    ``state`` is the sweep's (:attr:`Store.state`), which may differ from the
    manifest's when a driver died without updating it.
    """
    plan = manifest["plan"]
    figures: list[tuple[str, str, go.Figure | None, pd.DataFrame | None]] = []
    figures.append(
        (
            "Design-point means",
            f"Mean over replications with {CONF:.0%} t-intervals. Choose the metric in the menu.",
            _fig_point_means(result.point_means, axes, plan["design"]),
            None,
        )
    )
    if result.sobol is not None:
        figures.append(
            (
                "Sobol indices",
                "First-order (S1) and total (ST) indices with bootstrap "
                f"{CONF:.0%} intervals; replications averaged per point first.",
                sobol_figure(result.sobol),
                result.sobol,
            )
        )
    if result.morris is not None:
        figures.append(
            (
                "Morris screening",
                "μ* (mean |elementary effect|, importance) against σ (interaction or "
                "non-linearity), per unit of each input's normalised range.",
                _fig_morris(result.morris),
                result.morris,
            )
        )
    if result.prim_trajectory is not None and result.prim_box is not None:
        box = result.prim_box
        where = result.prim_trajectory["where"].iloc[0]
        figures.append(
            (
                f"Scenario discovery (PRIM): {where}",
                "Peeling trajectory from the full box (coverage 1) towards denser, smaller "
                f"boxes. Selected: step {box.step}, "
                f"coverage {box.coverage:.2f}, density {box.density:.2f} — {box.describe()}",
                prim_figure(result.prim_trajectory, box),
                prim_mod.limits_frame(box),
            )
        )

    # The page is laid out by the reports' templates and style, so every okrsim page
    # reads alike; they depend on nothing above this layer (Jinja2 and plotly only).
    from okrsim.report.figures import style
    from okrsim.report.render import chart, render

    parts = []
    for title, note, fig, table in figures:
        parts.append(
            {
                "heading": title,
                "note": note,
                "chart": chart(style(fig)) if fig is not None else None,
                "table": Markup(
                    table.to_html(
                        index=False,
                        float_format=lambda v: f"{v:.4g}",
                        classes="data",
                        border=0,
                        na_rep="",
                    )
                )
                if table is not None
                else None,
            }
        )
    facts = {
        "experiment": manifest.get("experiment_file"),
        "design": f"{plan['design']} — {manifest.get('n_points')} points × "
        f"{plan['replications']} replications (crn = {str(plan['crn']).lower()})",
        "runs stored": f"{n_runs} of {manifest.get('n_runs')} ({n_failed} failed)",
        "seed": plan["seed"],
        "design hash": manifest.get("design_hash", "")[:16],
        "status": state,
        "created": manifest.get("created"),
    }
    description = manifest.get("experiment", {}).get("experiment", {}).get("description", "")
    page = render(
        "analysis.html.j2",
        title=f"okrsim sweep: {plan['name']}",
        seed=f"root seed {plan['seed']}",
        question=description,
        facts=[(k, str(v)) for k, v in facts.items()],
        warnings=list(result.warnings),
        parts=parts,
    )
    result.html.write_text(page, encoding="utf-8")
    return result.html


def _dropdown(fig: go.Figure, metrics: list[str]) -> None:
    """A menu that shows one metric's traces at a time (trace ``meta`` = metric)."""
    if len(metrics) < 2:
        return
    buttons = [
        {
            "label": m,
            "method": "update",
            "args": [{"visible": [t.meta == m for t in fig.data]}, {"title.text": m}],
        }
        for m in metrics
    ]
    fig.update_layout(
        updatemenus=[
            {"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.12, "yanchor": "bottom"}
        ]
    )


def _ci_error(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "type": "data",
        "symmetric": False,
        "array": (frame["ci_high"] - frame["mean"]).to_numpy(),
        "arrayminus": (frame["mean"] - frame["ci_low"]).to_numpy(),
    }


def _fig_point_means(long: pd.DataFrame, axes: tuple[Axis, ...], design: str) -> go.Figure:
    metrics = list(dict.fromkeys(long["metric"]))
    if not metrics:
        return go.Figure()
    first = metrics[0]
    if not axes:
        fig = go.Figure(go.Bar(x=long["metric"], y=long["mean"], error_y=_ci_error(long)))
        fig.update_layout(title="means over replications", height=450)
        return fig
    numeric = [a for a in axes if a.kind in {"float", "int"}]
    x_axis = numeric[0] if numeric else axes[0]
    others = [a.key for a in axes if a.key != x_axis.key]
    groups = long.drop_duplicates(others)[others] if others else pd.DataFrame(index=[0])
    if design in {"grid", "table"} and len(groups) <= _MAX_LINES:
        fig = go.Figure()
        for metric in metrics:
            sub = long[long["metric"] == metric]
            parts = sub.groupby(others, sort=True) if others else [((), sub)]
            for i, (_, part) in enumerate(parts):
                label = ", ".join(f"{k}={part[k].iloc[0]}" for k in others) or metric
                part = part.sort_values(x_axis.key)
                # lines that coincide (two bonus curves that agree) stay visible:
                # each has its own colour, dash and marker
                fig.add_trace(
                    go.Scatter(
                        x=part[x_axis.key],
                        y=part["mean"],
                        error_y=_ci_error(part),
                        mode="lines+markers",
                        name=label,
                        meta=metric,
                        visible=metric == first,
                        line={"color": policy_colour(i), "dash": DASHES[i % len(DASHES)]},
                        marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 8},
                    )
                )
        fig.update_layout(title=first, xaxis_title=x_axis.key, height=500)
    else:
        fig = make_subplots(
            rows=1, cols=len(axes), shared_yaxes=True, subplot_titles=[a.key for a in axes]
        )
        for metric in metrics:
            sub = long[long["metric"] == metric]
            for j, axis in enumerate(axes, start=1):
                fig.add_trace(
                    go.Scatter(
                        x=sub[axis.key],
                        y=sub["mean"],
                        error_y=_ci_error(sub),
                        mode="markers",
                        marker={"size": 5, "opacity": 0.7},
                        name=metric,
                        meta=metric,
                        showlegend=False,
                        visible=metric == first,
                    ),
                    row=1,
                    col=j,
                )
        fig.update_layout(title=first, height=450)
    _dropdown(fig, metrics)
    return fig


def sobol_figure(table: pd.DataFrame) -> go.Figure:
    metrics = list(dict.fromkeys(table["metric"]))
    fig = go.Figure()
    for metric in metrics:
        sub = table[table["metric"] == metric]
        for index in ("S1", "ST"):
            fig.add_trace(
                go.Bar(
                    x=sub["input"],
                    y=sub[index],
                    name=index,
                    meta=metric,
                    error_y={"type": "data", "array": sub[f"{index}_conf"].to_numpy()},
                    visible=metric == metrics[0],
                )
            )
    fig.update_layout(barmode="group", title=metrics[0], yaxis_title="index", height=450)
    _dropdown(fig, metrics)
    return fig


def _fig_morris(table: pd.DataFrame) -> go.Figure:
    metrics = list(dict.fromkeys(table["metric"]))
    fig = go.Figure()
    for metric in metrics:
        sub = table[table["metric"] == metric]
        fig.add_trace(
            go.Scatter(
                x=sub["mu_star"],
                y=sub["sigma"],
                text=sub["input"],
                mode="markers+text",
                textposition="top center",
                meta=metric,
                name=metric,
                error_x={"type": "data", "array": sub["mu_star_conf"].to_numpy()},
                visible=metric == metrics[0],
            )
        )
    fig.update_layout(title=metrics[0], xaxis_title="μ*", yaxis_title="σ", height=450)
    _dropdown(fig, metrics)
    return fig


def prim_figure(traj: pd.DataFrame, box: prim_mod.Box) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=traj["coverage"],
            y=traj["density"],
            mode="markers+lines",
            marker={
                "color": traj["n_restricted"],
                "colorscale": "Viridis",
                "size": 9,
                "colorbar": {"title": "inputs restricted"},
            },
            text=[
                f"step {s}: {b}<br>mass {m:.2f}"
                for s, b, m in zip(traj["step"], traj["box"], traj["mass"], strict=True)
            ],
            hoverinfo="text",
            name="peeling trajectory",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[box.coverage],
            y=[box.density],
            mode="markers",
            name=f"selected (step {box.step})",
            marker={"symbol": "star", "size": 18, "color": "crimson"},
        )
    )
    fig.update_layout(
        xaxis_title="coverage",
        yaxis_title="density",
        height=450,
        xaxis={"range": [-0.03, 1.03]},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
