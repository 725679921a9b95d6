"""Figure builders: tidy DataFrames in, plotly Figures out.

Used by the HTML reports and the dashboard alike.  Colours come from the
Okabe–Ito palette, which stays distinguishable under the common forms of
colour-blindness (Okabe & Ito 2008); every chart has a plain-words title.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from okrsim.metrics import METRICS

#: Okabe–Ito colour-blind-safe palette (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: Plain-words titles for the headline metrics.
TITLES = {
    "sandbagging_index": "Sandbagging: how far targets sit below what people expect to deliver",
    "attainment": "Reported OKR attainment",
    "true_value": "True value delivered per employee-week",
    "reporting_bias": "Reporting bias: reported minus true progress",
    "blocker_latency_weeks": "Weeks before a blocker is raised",
    "hidden_blocker_share": "Share of blocked weeks with the blocker hidden",
    "help_share": "Time spent helping colleagues",
    "bau_share": "Time on non-OKR (business-as-usual) work",
    "exploration_share": "Time on exploration",
    "goodhart_corr": "How well the OKR score tracks true contribution",
    "rating_accuracy": "How well ratings track true contribution",
    "watermelon_share": "Watermelon key results: green reported, red in truth",
    "stress": "Stress",
}


def layout(fig: go.Figure, title: str, *, height: int = 360) -> go.Figure:
    """Readable projected at 1280×720: large fonts, titled, no clipped legend."""
    fig.update_layout(
        title={"text": title, "font": {"size": 18}},
        font={"size": 14},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0},
        template="plotly_white",
    )
    return fig


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def progress_figure(weekly: pd.DataFrame, *, by: str = "scenario") -> go.Figure:
    """Reported vs true progress over the quarter: the Goodhart gap as two lines drifting apart."""
    fig = go.Figure()
    for i, (name, frame) in enumerate(weekly.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["week"],
            y=frame["reported_progress"],
            name=f"{name}: reported",
            line={"color": colour(i)},
            mode="lines",
        )
        fig.add_scatter(
            x=frame["week"],
            y=frame["true_progress"],
            name=f"{name}: true",
            line={"color": colour(i), "dash": "dot"},
            mode="lines",
        )
    fig.update_xaxes(title="week")
    fig.update_yaxes(title="progress / target")
    return layout(fig, "Reported vs true progress on key results")


def series_figure(
    weekly: pd.DataFrame, columns: Sequence[str], title: str, *, by: str = "scenario"
) -> go.Figure:
    """Weekly series of one or more columns, one line per (group, column)."""
    dashes = ("solid", "dash", "dot", "dashdot")
    fig = go.Figure()
    for i, (name, frame) in enumerate(weekly.groupby(by, sort=False)):
        for j, col in enumerate(columns):
            label = f"{name}: {col}" if len(columns) > 1 else str(name)
            fig.add_scatter(
                x=frame["week"],
                y=frame[col],
                name=label,
                mode="lines",
                line={"color": colour(i), "dash": dashes[j % len(dashes)]},
            )
    fig.update_xaxes(title="week")
    return layout(fig, title)


def effort_figure(runs: pd.DataFrame) -> go.Figure:
    """Where the working week goes, per scenario (mean over replications)."""
    shares = ["help_share", "bau_share", "exploration_share"]
    means = runs.groupby("scenario", sort=False)[shares].mean()
    fig = go.Figure()
    for i, col in enumerate(shares):
        fig.add_bar(x=list(means.index), y=means[col], name=col, marker_color=colour(i + 2))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of the working week", tickformat=".0%")
    return layout(fig, "Time on work the OKR score does not measure")


def difference_figure(table: pd.DataFrame, metrics: Sequence[str] | None = None) -> go.Figure:
    """Paired differences (b − a) with 95 % CIs, scaled by the reference mean."""
    rows = table if metrics is None else table[table["metric"].isin(metrics)]
    fig = go.Figure()
    for i, (b_name, frame) in enumerate(rows.groupby("scenario_b", sort=False)):
        scale = frame["mean_a"].abs().where(frame["mean_a"].abs() > 1e-9, 1.0)
        fig.add_scatter(
            x=frame["diff"] / scale,
            y=frame["metric"],
            mode="markers",
            name=f"{b_name} − {frame['scenario_a'].iloc[0]}",
            marker={"color": colour(i + 1), "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (frame["ci_high"] - frame["diff"]) / scale,
                "arrayminus": (frame["diff"] - frame["ci_low"]) / scale,
            },
        )
    fig.add_vline(x=0, line_color="#777")
    fig.update_xaxes(title="difference relative to the reference (95 % CI)", tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "What changes, with 95 % confidence intervals", height=520)


def metric_bars(runs: pd.DataFrame, metric: str) -> go.Figure:
    """One metric per scenario: mean over replications with a 95 % CI."""
    from okrsim.stats import mean_ci

    names, means, lows, highs = [], [], [], []
    for name, frame in runs.groupby("scenario", sort=False):
        m, lo, hi = mean_ci(frame[metric])
        names.append(name)
        means.append(m)
        lows.append(m - lo)
        highs.append(hi - m)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=means,
            marker_color=[colour(i) for i in range(len(names))],
            error_y={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows},
        )
    )
    fig.update_yaxes(title=metric)
    return layout(fig, TITLES.get(metric, METRICS.get(metric, metric)))


def rating_scatter(employees: pd.DataFrame, *, by: str = "scenario") -> go.Figure:
    """Ratings against true contribution, one point per employee-quarter."""
    fig = go.Figure()
    for i, (name, frame) in enumerate(employees.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["true_contribution"],
            y=frame["rating"],
            mode="markers",
            name=str(name),
            marker={"color": colour(i), "size": 6, "opacity": 0.6},
        )
    fig.update_xaxes(title="true contribution (value units per quarter)")
    fig.update_yaxes(title="rating")
    return layout(fig, "Ratings vs true contribution")
