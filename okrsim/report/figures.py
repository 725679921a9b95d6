"""Figure builders: tidy DataFrames in, plotly Figures out.

Used by the HTML reports and the dashboard alike.  Colours come from
:mod:`okrsim.report.palette` (one colour per policy by its position, status
colours never given to a policy); metric names are shown by their titles in
:data:`okrsim.data_dictionary.METRIC_TITLES`; every chart has a plain-words title.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from okrsim.data_dictionary import metric_title
from okrsim.report.palette import (
    DASHES,
    OKABE_ITO,
    POLICY_COLOURS,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    STATUSES,
    SYMBOLS,
    policy_colour,
)

#: The Okabe–Ito palette (:mod:`okrsim.report.palette` splits it into policies and statuses).
PALETTE = OKABE_ITO


def style(fig: go.Figure) -> go.Figure:
    """The house style of every okrsim chart: white template, large fonts, the policy palette.

    Applied by :func:`layout` to the report's charts and on its own to charts
    built elsewhere (the sweep analysis), so all pages read alike.
    """
    fig.update_layout(
        font={"size": 14},
        title_font={"size": 18},
        template="plotly_white",
        colorway=list(POLICY_COLOURS),
    )
    return fig


def layout(fig: go.Figure, title: str, *, height: int = 360) -> go.Figure:
    """Readable projected at 1280×720: large fonts, titled, no clipped legend."""
    fig.update_layout(
        title={"text": title},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0},
    )
    return style(fig)


def colour(i: int) -> str:
    """The colour of the ``i``-th policy or organisation shown (0 = the reference)."""
    return policy_colour(i)


def progress_figure(
    weekly: pd.DataFrame, *, by: str = "scenario", order: Sequence[str] | None = None
) -> go.Figure:
    """Reported vs true progress over the whole horizon: the Goodhart gap as two lines apart.

    Progress restarts each quarter, so the lines are a saw-tooth over the run;
    every week of ``weekly`` is drawn, to the end of the horizon.
    """
    fig = go.Figure()
    for i, name in enumerate(_ordered(weekly, order, by)):
        frame = weekly[weekly[by].astype(str) == name]
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
    last = int(weekly["week"].max()) if not weekly.empty else 13
    fig.update_xaxes(title="week", range=[1, last], dtick=13, tick0=0)
    fig.update_yaxes(title="progress / target", tickformat=".0%")
    return layout(fig, f"Reported vs true progress on key results, weeks 1–{last}")


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


def _ordered(runs: pd.DataFrame, order: Sequence[str] | None, by: str = "scenario") -> list[str]:
    """Group names in ``order`` (e.g. a comparison's, reference first), else as they appear."""
    present = list(dict.fromkeys(runs[by].astype(str)))
    if order is None:
        return present
    return [n for n in order if n in present] + [n for n in present if n not in order]


def effort_figure(runs: pd.DataFrame, *, order: Sequence[str] | None = None) -> go.Figure:
    """Where the working week goes, per scenario (mean over replications).

    One bar group per activity, one bar per scenario in the scenario's own
    colour: activities are named on the axis, so no colour stands for an
    activity and "helping" never takes a policy's colour.
    """
    shares = {
        "help_share": "helping",
        "bau_share": "non-OKR work",
        "exploration_share": "exploring",
    }
    means = runs.groupby("scenario", sort=False)[list(shares)].mean()
    means = means.reindex(_ordered(runs, order))
    fig = go.Figure()
    for i, (name, row) in enumerate(means.iterrows()):
        fig.add_bar(
            x=list(shares.values()),
            y=[row[c] for c in shares],
            name=str(name),
            marker_color=colour(i),
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of the working week", tickformat=".0%")
    return layout(fig, "Time on work the OKR score does not measure")


#: Metrics whose change reads best relative to the reference level.
RELATIVE = frozenset(
    {
        "true_value",
        "attainment",
        "help_share",
        "bau_share",
        "exploration_share",
        "blocker_latency_weeks",
    }
)
#: What a change is a share of, for metrics that are themselves shares.
SHARE_OF = {
    "sandbagging_index": "of expected output",
    "reporting_bias": "of the target",
    "hidden_blocker_share": "of blocked key results",
    "watermelon_share": "of key results",
    "help_share": "of the week",
    "bau_share": "of the week",
    "exploration_share": "of the week",
    "attainment": "of the target",
}
#: Units of metrics that have one and are not shares.
UNITS = {"blocker_latency_weeks": "weeks"}
#: Beyond this many times the reference level a relative change stops being readable
#: (a reference near zero), and the change is read in the metric's own units.
MAX_RELATIVE = 3.0


def relative_base(metric: str, reference: float, diffs: Sequence[float]) -> float | None:
    """The level a change of ``metric`` is read against, or ``None`` for its own units.

    Levels (true value, attainment, time shares, weeks) read relative to the
    reference policy's level, unless that level is so near zero that the
    changes would be more than :data:`MAX_RELATIVE` times it.
    """
    base = abs(reference)
    if metric not in RELATIVE or not base > 1e-9:
        return None
    if any(abs(d) > MAX_RELATIVE * base for d in diffs):
        return None
    return base


def percent(value: float) -> str:
    """``0.238`` → ``"24 %"``, ``0.048`` → ``"4.8 %"``: two significant digits below 10 %."""
    v = abs(value) * 100
    text = f"{v:.0f}" if v >= 10 else f"{v:.2g}"
    return f"{'-' if value < 0 else ''}{text} %"


def difference_figure(
    table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> go.Figure:
    """Paired differences (b − a) with 95 % CIs, one small panel per metric.

    ``table`` has ``metric``, ``scenario_a``, ``scenario_b``, ``mean_a``,
    ``diff``, ``ci_low`` and ``ci_high`` (a comparison's table); an empty
    ``scenario_a`` names a change by ``scenario_b`` alone (a sweep's effects).

    Each panel reads in its own terms: a relative change for levels
    (:func:`relative_base`), the change in the metric's units otherwise, so a
    metric whose reference is near zero does not flatten the others.  Each
    marker is labelled on its x-axis and drawn unclipped inside a range that
    holds its whole interval; a policy keeps its colour by its position in
    ``order`` (the comparison's names, reference first).
    """
    from plotly.subplots import make_subplots

    rows = table if metrics is None else table[table["metric"].isin(metrics)]
    names = list(dict.fromkeys(rows["metric"]))
    if metrics is not None:
        names = [m for m in metrics if m in set(names)]
    ncols = min(3, max(len(names), 1))
    nrows = max(1, -(-len(names) // ncols))
    titles = []
    scales: dict[str, float | None] = {}
    for m in names:
        part = rows[rows["metric"] == m]
        scales[m] = relative_base(m, float(part["mean_a"].iloc[0]), list(part["diff"]))
        if scales[m]:
            unit = "% change"
        elif m in SHARE_OF:
            unit = "points"
        else:
            unit = UNITS.get(m, "difference")
        titles.append(f"{metric_title(m)}<br>({unit})")
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=tuple(titles) or ("",),
        vertical_spacing=min(0.16, 0.6 / max(nrows - 1, 1)),
        horizontal_spacing=0.09,
    )
    b_names = list(dict.fromkeys(rows["scenario_b"]))
    position = {name: i for i, name in enumerate(order or [])}
    for k, m in enumerate(names):
        r, c = k // ncols + 1, k % ncols + 1
        part = rows[rows["metric"] == m].set_index("scenario_b").reindex(b_names)
        # a relative change; a share's change in percentage points; else the metric's units
        scale = scales[m] or (0.01 if m in SHARE_OF else 1.0)
        ends = [0.0]
        for i, b in enumerate(b_names):
            row = part.loc[b]
            ends += [row["ci_low"] / scale, row["ci_high"] / scale]
            fig.add_scatter(
                x=[str(b)],
                y=[row["diff"] / scale],
                mode="markers",
                name=f"{b} − {row['scenario_a']}" if row["scenario_a"] else str(b),
                legendgroup=str(b),
                showlegend=k == 0 and len(b_names) > 1,
                cliponaxis=False,
                marker={"color": colour(position.get(str(b), i + 1)), "size": 11},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(row["ci_high"] - row["diff"]) / scale],
                    "arrayminus": [(row["diff"] - row["ci_low"]) / scale],
                },
                row=r,
                col=c,
            )
        low, high = min(ends), max(ends)
        pad = 0.15 * (high - low) or 0.01
        fig.update_yaxes(range=[low - pad, high + pad], row=r, col=c)
        fig.add_hline(y=0, line_color="#777", row=r, col=c)
        if scales[m]:
            fig.update_yaxes(tickformat=".1~%", row=r, col=c)
    long_labels = max((len(str(b)) for b in b_names), default=0) > 12
    fig.update_xaxes(showticklabels=True, tickangle=-30 if long_labels else 0, automargin=True)
    _subtitle_size(fig, 13)
    title = title or "What changes against the reference, with 95 % confidence intervals"
    per_row = 260 + (60 if long_labels else 0)
    fig = layout(fig, title, height=per_row * nrows + 120)
    fig.update_layout(margin={"b": 90 if long_labels else 50})
    return fig


def metric_bars(
    runs: pd.DataFrame, metric: str, *, order: Sequence[str] | None = None
) -> go.Figure:
    """One metric per scenario: mean over replications with a 95 % CI."""
    from okrsim.stats import mean_ci

    names, means, lows, highs = [], [], [], []
    for name in _ordered(runs, order):
        m, lo, hi = mean_ci(runs.loc[runs["scenario"].astype(str) == name, metric])
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
    fig.update_yaxes(title=metric_title(metric))
    return layout(fig, metric_title(metric))


def rating_scatter(employees: pd.DataFrame, *, by: str = "scenario") -> go.Figure:
    """Ratings against true contribution, one point per employee-quarter."""
    fig = go.Figure()
    groups: list[tuple[Any, pd.DataFrame]] = []
    if not employees.empty:
        groups = [(name, frame) for name, frame in employees.groupby(by, sort=False)]
    for i, (name, frame) in enumerate(groups):
        fig.add_scatter(
            x=frame["true_contribution"],
            y=frame["rating"],
            mode="markers",
            name=str(name),
            marker={"color": colour(i), "size": 6, "opacity": 0.6},
        )
    fig.update_xaxes(title="true contribution (value units per quarter)")
    fig.update_yaxes(title="rating")
    _note(fig, "Ratings come at the first review, after week 13", shown=employees.empty)
    return layout(fig, "Ratings vs true contribution")


# -- twin-organisation charts (the dashboard; any frame with a group column) ----------


def _note(fig: go.Figure, text: str, *, shown: bool, panel: int | None = None) -> go.Figure:
    """A centred note on a chart (or one panel) that has nothing to draw yet.

    The note is added hidden when there is data, so that every version of a
    chart has the same annotations and a live chart that updates its layout in
    place (the dashboard's) drops the note once data arrives.
    """
    x = y = 0.5
    if panel is not None:  # the panel's centre, in paper coordinates
        suffix = panel if panel > 1 else ""
        x = sum(fig.layout[f"xaxis{suffix}"].domain) / 2
        y = sum(fig.layout[f"yaxis{suffix}"].domain) / 2
    fig.add_annotation(
        text=text if shown else "",
        visible=shown,
        xref="paper",
        yref="paper",
        x=x,
        y=y,
        showarrow=False,
        font={"size": 15, "color": "#555"},
    )
    return fig


def sandbagging_figure(weekly: pd.DataFrame, *, by: str = "organisation") -> go.Figure:
    """Ambition week by week: the sandbagging index of the targets in force.

    ``weekly`` has ``week``, ``sandbagging_index`` and the group column ``by``;
    0 means targets equal what people expect to deliver, 0.2 means targets set
    20 % below it.
    """
    fig = go.Figure()
    for i, (name, frame) in enumerate(weekly.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["week"],
            y=frame["sandbagging_index"],
            name=str(name),
            mode="lines",
            line={"color": colour(i), "width": 3},
        )
    fig.add_hline(y=0, line_color="#777", line_dash="dot")
    fig.update_xaxes(title="week")
    fig.update_yaxes(title="1 − target / expected output", tickformat=".0%")
    _note(fig, "Targets are set in week 1: press Step", shown=weekly.empty)
    return layout(fig, "Ambition: how far targets sit below what people expect to deliver")


def _two_panels(left: str, right: str) -> go.Figure:
    """A figure of two side-by-side panels with these titles."""
    from plotly.subplots import make_subplots

    return make_subplots(rows=1, cols=2, subplot_titles=(left, right), horizontal_spacing=0.12)


def _weekly_lines(
    fig: go.Figure, weekly: pd.DataFrame, by: str, values: Callable[[pd.DataFrame], pd.Series]
) -> None:
    """One line per group in the left panel: ``values(frame)`` against the week."""
    for i, (name, frame) in enumerate(weekly.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["week"],
            y=values(frame),
            name=str(name),
            legendgroup=str(name),
            mode="lines",
            line={"color": colour(i), "width": 2},
            row=1,
            col=1,
        )


def blockers_figure(
    weekly: pd.DataFrame, quarterly: pd.DataFrame, *, by: str = "organisation"
) -> go.Figure:
    """Blockers kept quiet: hidden share week by week (left), weeks before raising (right).

    Few key results are blocked in any one week, so the weekly hidden share is
    shown as a 4-week moving average; the latency is one point per quarter.
    """
    fig = _two_panels(
        "Blocked key results kept hidden (4-week average)", "Weeks before a blocker is raised"
    )
    _weekly_lines(fig, weekly, by, lambda f: f["hidden_blocker_share"].rolling(4, 1).mean())
    for i, (name, frame) in enumerate(quarterly.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["quarter"],
            y=frame["blocker_latency_weeks"],
            name=f"{name}: weeks to raise",
            legendgroup=str(name),
            showlegend=False,
            mode="lines+markers",
            line={"color": colour(i), "width": 2},
            marker={"size": 9},
            row=1,
            col=2,
        )
    fig.update_xaxes(title="week", row=1, col=1)
    fig.update_xaxes(title="quarter", dtick=1, row=1, col=2)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title="weeks", rangemode="tozero", row=1, col=2)
    _subtitle_size(fig)
    _note(fig, "After the first quarter", shown=quarterly.empty, panel=2)
    return layout(fig, "Blockers: how many stay hidden, and for how long")


def time_use_figure(weekly: pd.DataFrame, *, by: str = "organisation") -> go.Figure:
    """Where the week goes besides key results: helping, non-OKR work, exploration.

    One panel per activity, one line per group, so the groups share an axis.
    """
    from plotly.subplots import make_subplots

    shares = {
        "help_share": "Helping colleagues",
        "bau_share": "Non-OKR work",
        "exploration_share": "Exploration",
    }
    fig = make_subplots(rows=1, cols=3, subplot_titles=tuple(shares.values()), shared_yaxes=True)
    for i, (name, frame) in enumerate(weekly.groupby(by, sort=False)):
        for j, col in enumerate(shares):
            fig.add_scatter(
                x=frame["week"],
                y=frame[col],
                name=str(name) if j == 0 else f"{name}: {col}",
                legendgroup=str(name),
                showlegend=j == 0,
                mode="lines",
                line={"color": colour(i), "width": 2},
                row=1,
                col=j + 1,
            )
    fig.update_xaxes(title="week")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(title="share of the week", row=1, col=1)
    _subtitle_size(fig)
    return layout(fig, "Time on work the OKR score does not measure")


def value_attainment_figure(
    weekly: pd.DataFrame, quarterly: pd.DataFrame, *, by: str = "organisation"
) -> go.Figure:
    """What is measured against what is real.

    Left: true value delivered per employee-week, week by week.  Right: one
    point per finished quarter, reported OKR attainment (x) against true value
    (y) — the Goodhart pattern is a point far right and low.
    """
    fig = _two_panels("True value, week by week", "Each quarter: attainment vs true value")
    _weekly_lines(fig, weekly, by, lambda f: f["true_value"])
    for i, (name, frame) in enumerate(quarterly.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["attainment"],
            y=frame["true_value"],
            name=f"{name}: per quarter",
            legendgroup=str(name),
            showlegend=False,
            mode="lines+markers+text",
            text=[f"Q{int(q)}" for q in frame["quarter"]],
            textposition="middle right",
            cliponaxis=False,  # a label next to the rightmost point stays whole
            line={"color": colour(i), "width": 1, "dash": "dot"},
            marker={"color": colour(i), "size": 10},
            row=1,
            col=2,
        )
    fig.update_xaxes(title="week", row=1, col=1)
    fig.update_xaxes(title="reported attainment", tickformat=".0%", row=1, col=2)
    fig.update_yaxes(title="value per employee-week", row=1, col=1)
    _subtitle_size(fig)
    _note(fig, "After the first quarter", shown=quarterly.empty, panel=2)
    return layout(fig, "Measured success vs true value delivered")


def watermelon_figure(
    board: pd.DataFrame, *, by: str = "organisation", columns: int | None = None
) -> go.Figure:
    """The watermelon board: one tile per key result, one panel per group.

    ``board`` has one row per key result with ``employee``, ``team``, ``kr``,
    ``reported_status`` and ``true_status`` (codes into :data:`STATUSES`) and the
    group column ``by``.  A tile's outer square is the reported status, its
    inner mark the true status: green outside and red inside is a watermelon.
    Rows are teams; each row holds its members' key results in order.
    """
    from plotly.subplots import make_subplots

    groups: list[tuple[Any, pd.DataFrame]] = []
    if not board.empty:
        groups = [(name, frame) for name, frame in board.groupby(by, sort=False)]
    fig = make_subplots(
        rows=1,
        cols=max(len(groups), 1),
        subplot_titles=tuple(str(name) for name, _ in groups) or ("",),
        horizontal_spacing=0.04,
    )
    for g, (name, frame) in enumerate(groups):
        per_team = int(frame.groupby("team").size().max())
        ncols = columns or per_team
        slot = frame.groupby("team").cumcount().to_numpy()
        rows_per_team = -(-per_team // ncols)
        x = slot % ncols
        y = frame["team"].to_numpy() * rows_per_team + slot // ncols
        reported = frame["reported_status"].to_numpy()
        true = frame["true_status"].to_numpy()
        label = [
            f"employee {e}, key result {k + 1}<br>reported: {STATUSES[r]}<br>true: {STATUSES[t]}"
            for e, k, r, t in zip(frame["employee"], frame["kr"], reported, true, strict=True)
        ]
        # tiles a little smaller than their spacing, so neighbours do not touch
        size = max(5.0, min(20.0, 0.8 * 360.0 / max(ncols, int(y.max()) + 1)))
        fig.add_scatter(
            x=x,
            y=y,
            name=f"{name}: reported status",
            mode="markers",
            marker={
                "symbol": "square",
                "size": size,
                "color": [STATUS_COLOURS[c] for c in reported],
                "line": {"width": 0},
            },
            hovertext=label,
            hoverinfo="text",
            showlegend=False,
            row=1,
            col=g + 1,
        )
        fig.add_scatter(
            x=x,
            y=y,
            name=f"{name}: true status",
            mode="markers",
            marker={
                "symbol": [STATUS_SYMBOLS[c] for c in true],
                "size": size * 0.5,
                "color": [STATUS_COLOURS[c] for c in true],
                "line": {"width": 1.5, "color": "#333"},
            },
            hovertext=label,
            hoverinfo="text",
            showlegend=False,
            row=1,
            col=g + 1,
        )
    # A legend of the statuses (a tile with that status inside and out).
    for code, status in enumerate(STATUSES):
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=status,
            marker={
                "symbol": STATUS_SYMBOLS[code],
                "size": 12,
                "color": STATUS_COLOURS[code],
                "line": {"width": 1.5, "color": "#333"},
            },
            row=1,
            col=1,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=None)
    _note(fig, "No key results yet", shown=not groups)
    _subtitle_size(fig)
    title = "Watermelon board: outer square = reported status, inner mark = true status"
    return layout(fig, title)


def target_choice_figure(options: pd.DataFrame, *, by: str = "organisation") -> go.Figure:
    """Why a target was chosen: the expected utility of every target option weighed.

    ``options`` has ``target_multiple`` (target / the employee's expected output),
    ``utility`` and the group column ``by``; the chosen option (the maximum) is
    starred.
    """
    fig = go.Figure()
    for i, (name, frame) in enumerate(options.groupby(by, sort=False)):
        fig.add_scatter(
            x=frame["target_multiple"],
            y=frame["utility"],
            name=str(name),
            mode="lines",
            line={"color": colour(i), "width": 2},
        )
        best = int(frame["utility"].to_numpy().argmax())
        fig.add_scatter(
            x=[frame["target_multiple"].iloc[best]],
            y=[frame["utility"].iloc[best]],
            name=f"{name}: chosen",
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": colour(i)},
            showlegend=False,
        )
    fig.add_vline(x=1.0, line_color="#777", line_dash="dot")
    fig.update_xaxes(title="target ÷ what they expect to deliver", tickformat=".0%")
    fig.update_yaxes(title="expected payoff")
    _note(fig, "Targets are set in week 1: press Step", shown=options.empty)
    return layout(fig, "Why this target: the payoff of each option (★ chosen)")


def effort_split_figure(shares: pd.DataFrame, *, by: str = "organisation") -> go.Figure:
    """One employee's working week: ``activity`` × ``share`` per group, as grouped bars."""
    names = {
        "kr": "key results",
        "bau": "non-OKR work",
        "help": "helping",
        "explore": "exploring",
        "visible": "being seen",
    }
    fig = go.Figure()
    for i, (name, frame) in enumerate(shares.groupby(by, sort=False)):
        fig.add_bar(
            x=[names.get(a, a) for a in frame["activity"]],
            y=frame["share"],
            name=str(name),
            marker_color=colour(i),
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of the week", tickformat=".0%", rangemode="tozero")
    return layout(fig, "How they split this week")


def _subtitle_size(fig: go.Figure, size: int = 14) -> None:
    """Panel titles of a subplot figure at a size readable on a projector."""
    for annotation in fig.layout.annotations:
        annotation.font = {"size": size}


# -- reports: trajectories and sweep responses --------------------------------------------
def trajectory_figure(
    quarterly: pd.DataFrame,
    metrics: Sequence[str],
    *,
    by: str = "scenario",
    title: str = "Quarter by quarter: what is measured and what is real",
    order: Sequence[str] | None = None,
) -> go.Figure:
    """Quarter by quarter, one panel per metric: the mean over replications with a 95 % CI band.

    ``quarterly`` has ``quarter``, the group column ``by`` and one column per
    metric (one row per replication and quarter).
    """
    from plotly.subplots import make_subplots

    from okrsim.stats import mean_ci

    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        subplot_titles=tuple(metric_title(m) for m in metrics),
        horizontal_spacing=0.1,
    )
    for i, name in enumerate(_ordered(quarterly, order, by)):
        frame = quarterly[quarterly[by].astype(str) == name]
        for j, metric in enumerate(metrics):
            rows = [(q, *mean_ci(g[metric])) for q, g in frame.groupby("quarter")]
            q, mean, low, high = (list(col) for col in zip(*rows, strict=True))
            fig.add_scatter(
                x=q + q[::-1],
                y=high + low[::-1],
                fill="toself",
                fillcolor=colour(i),
                opacity=0.2,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=f"{name}: 95 % CI",
                row=1,
                col=j + 1,
            )
            fig.add_scatter(
                x=q,
                y=mean,
                name=str(name),
                legendgroup=str(name),
                showlegend=j == 0,
                mode="lines+markers",
                line={"color": colour(i), "width": 2},
                row=1,
                col=j + 1,
            )
    fig.update_xaxes(title="quarter", dtick=1)
    _subtitle_size(fig, 13)
    return layout(fig, title, height=420)


def response_figure(
    runs: pd.DataFrame,
    axis: str,
    metrics: Sequence[str],
    *,
    colour_by: str | None = None,
    bins: int = 8,
) -> go.Figure:
    """How metrics respond to one swept setting: mean and 95 % CI at each value.

    A numeric setting with more than a dozen distinct values (a random design)
    is cut into ``bins`` quantile bins, shown at their mean value; the other
    settings are averaged over, or drawn one line per value of ``colour_by``.
    """
    from plotly.subplots import make_subplots

    from okrsim.stats import mean_ci

    x = runs[axis]
    numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
    if numeric and x.nunique() > 12:
        codes = pd.qcut(x, q=bins, duplicates="drop")
        position = x.groupby(codes, observed=True).transform("mean")
    else:
        position = x
    frame = runs.assign(_x=position)
    groups = list(frame.groupby(colour_by, sort=False)) if colour_by else [("all", frame)]
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        subplot_titles=tuple(metric_title(m) for m in metrics),
        horizontal_spacing=0.08,
    )
    # Lines that lie on top of each other (two bonus curves that agree) stay apart:
    # each group has its own dash and marker and sits a little to the side.
    spread = float(frame["_x"].max() - frame["_x"].min()) if numeric else 0.0
    for i, (name, part) in enumerate(groups):
        nudge = (i - (len(groups) - 1) / 2) * 0.012 * spread if colour_by else 0.0
        for j, metric in enumerate(metrics):
            points = [(v, *mean_ci(g[metric])) for v, g in part.groupby("_x", sort=True)]
            if not points:
                continue
            xs, mean, low, high = (list(col) for col in zip(*points, strict=True))
            fig.add_scatter(
                x=[x + nudge for x in xs] if numeric else xs,
                y=mean,
                customdata=xs,
                hovertemplate=f"{axis} = %{{customdata}}<br>{metric_title(metric)} = %{{y:.3g}}",
                name=f"{colour_by} = {name!s}" if colour_by else metric,
                legendgroup=str(name),
                showlegend=j == 0 and colour_by is not None,
                mode="lines+markers" if numeric else "markers",
                marker={"size": 9, "symbol": SYMBOLS[i % len(SYMBOLS)]},
                line={"color": colour(i), "width": 2, "dash": DASHES[i % len(DASHES)]},
                cliponaxis=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [h - m for h, m in zip(high, mean, strict=True)],
                    "arrayminus": [m - lo for m, lo in zip(mean, low, strict=True)],
                },
                row=1,
                col=j + 1,
            )
    fig.update_xaxes(title=axis, automargin=True)
    _subtitle_size(fig, 12)
    return layout(fig, f"How the outcomes respond to {axis} (95 % CI)", height=420)
