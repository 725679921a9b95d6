"""The dashboard's charts, sized and lettered for a room.

Each chart is one of :mod:`okrsim.report.figures`' builders applied to the
twin organisations, then dressed for projection by :func:`presented`: it
fills the area the page gives it (the browser reports that area, see
:mod:`okrsim.dashboard.stage`), all its text is at least :data:`FONT_PX`
pixels (readable from the back of a room, about 4 m from a projected
1280×720 image), and every week axis carries the run's markers: a dotted line
at each quarter's end (a review) and a solid, labelled line where a policy
change is scheduled.  The report's builders are left as they are; sizes and
lettering are overrides of their layouts.

:func:`figure_csv` turns any chart into the CSV of the numbers it draws, for
the export button beside it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from okrsim.dashboard.twins import TwinOrganisations
from okrsim.data_dictionary import metric_title
from okrsim.params import WEEKS_PER_QUARTER
from okrsim.report import figures
from okrsim.report.palette import STATUSES

#: Smallest text on a chart, in CSS pixels: tick labels, legend, notes.
FONT_PX = 20
#: A chart's title.
TITLE_PX = 24
#: Below this width a legend goes under the chart rather than beside it.
LEGEND_SIDE_MIN_PX = 1100
#: Below this height a chart is too short for a legend underneath it.
SHORT_PX = 300
#: Employees shown on the watermelon board's sample (each with its key results).
BOARD_SAMPLE = 16
#: Colour of the review (quarter end) and policy-change markers.
MARKER_COLOUR = "#777"


def weeks(m: TwinOrganisations) -> int:
    """The run's length in weeks (the longer twin's horizon)."""
    return max(t.scenario.horizon.quarters for t in m.twins) * WEEKS_PER_QUARTER


def _week_axes(fig: go.Figure) -> list[tuple[str, str]]:
    """``(x reference, y domain reference)`` of every subplot whose x axis is in weeks."""
    found = []
    for name in fig.layout:
        if not name.startswith("xaxis"):
            continue
        axis = fig.layout[name]
        if axis.title.text != "week":
            continue
        suffix = name.removeprefix("xaxis")
        anchor = axis.anchor if axis.anchor not in (None, "free") else f"y{suffix}"
        found.append((f"x{suffix}", f"{anchor} domain"))
    return found


def _vline(
    fig: go.Figure, week: int, refs: tuple[str, str], name: str, layer: str, **line: Any
) -> None:
    """A vertical line across one subplot (``refs``: its x axis and y domain) at ``week``."""
    xref, yref = refs
    fig.add_shape(
        type="line",
        x0=week,
        x1=week,
        y0=0,
        y1=1,
        xref=xref,
        yref=yref,
        line=line,
        name=name,
        layer=layer,
    )


def marked(fig: go.Figure, m: TwinOrganisations) -> go.Figure:
    """Markers on every week axis: reviews (quarter ends) and scheduled policy changes.

    A review is a dotted line at the end of each quarter; a policy change a
    solid line where the quarter it starts in begins, labelled with the
    organisation and the settings it changes (their titles on hover).
    """
    horizon = weeks(m)
    changes = m.policy_changes()
    for xref, yref in _week_axes(fig):
        for week in range(WEEKS_PER_QUARTER, horizon + 1, WEEKS_PER_QUARTER):
            _vline(
                fig, week, (xref, yref), "review", "below", color=MARKER_COLOUR, width=1, dash="dot"
            )
        for name, week, settings in changes:
            _vline(fig, week, (xref, yref), f"policy change {name}", "above", color="#222", width=2)
            fig.add_annotation(  # inside the plot's foot, clear of the panel titles above
                x=week,
                y=0,
                xref=xref,
                yref=yref,
                xanchor="left",
                yanchor="bottom",
                bgcolor="rgba(255, 255, 255, 0.8)",
                text=f"{name} switches",
                hovertext=", ".join(f"{k} = {v}" for k, v in settings.items()),
                showarrow=False,
                name=f"policy change {name}",
            )
    return fig


def presented(fig: go.Figure, width: int, height: int, *, span: int | None = None) -> go.Figure:
    """``fig`` at ``width`` × ``height`` pixels, every text at least :data:`FONT_PX`.

    With ``span`` (weeks), every week axis covers the whole run from the
    start, so lines grow across a still chart instead of the axis rescaling
    every step.  A wide chart keeps its legend at the right; a narrow one
    (under :data:`LEGEND_SIDE_MIN_PX`) puts it underneath, so the plotting
    area keeps its width, unless it is also short (under :data:`SHORT_PX`),
    when plotly.js would have no height left to draw in.
    """
    if span:
        fig.for_each_xaxis(
            lambda axis: axis.update(range=[0, span]) if axis.title.text == "week" else None
        )
    side = width >= LEGEND_SIDE_MIN_PX
    # a short chart has no room for a legend underneath: its colours are the
    # readouts' (A blue, B orange), so it goes without
    short = height < SHORT_PX
    legend: dict[str, Any] = (
        {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}
        if side
        else {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 0.0, "yref": "container"}
    )
    fig.update_layout(
        width=max(int(width), 200),
        height=max(int(height), 160),
        font={"size": FONT_PX},
        title={
            "font": {"size": TITLE_PX if width >= LEGEND_SIDE_MIN_PX else FONT_PX},
            "x": 0.01,
            "xanchor": "left",
            "xref": "container",
        },
        # underneath, the legend sits at the figure's foot, below the x axis' title
        margin={"l": 90, "r": 24, "t": 76, "b": 64 if side or short else 110},
        showlegend=None if side or not short else False,
        legend={**legend, "font": {"size": FONT_PX}},
        hoverlabel={"font": {"size": FONT_PX}},
    )
    fig.update_xaxes(title_font_size=FONT_PX, tickfont_size=FONT_PX)
    fig.update_yaxes(title_font_size=FONT_PX, tickfont_size=FONT_PX)
    fig.update_annotations(font_size=FONT_PX)
    fig.update_traces(textfont_size=FONT_PX, selector={"type": "scatter"})
    return fig


# -- the charts ------------------------------------------------------------------------
def value_chart(m: TwinOrganisations) -> go.Figure:
    """Measured success against true value: the picture the room came for."""
    return marked(figures.value_attainment_figure(m.weekly(), m.quarterly()), m)


def over_reporting_chart(m: TwinOrganisations) -> go.Figure:
    """How far reports run ahead of the truth, week by week (reported − true progress).

    The reported and true progress lines lie close together on one scale;
    their difference, on its own axis, shows the gap a room has to see.
    """
    weekly = m.weekly().assign(over_reporting=lambda f: f["reported_progress"] - f["true_progress"])
    fig = go.Figure()
    for i, (name, frame) in enumerate(weekly.groupby("organisation", sort=False)):
        fig.add_scatter(
            x=frame["week"],
            y=frame["over_reporting"],
            name=str(name),
            mode="lines",
            line={"color": figures.colour(i), "width": 3},
        )
    fig.add_hline(y=0, line={"color": MARKER_COLOUR, "width": 1})
    fig.update_xaxes(title="week")
    fig.update_yaxes(title="reported − true, of target", tickformat="+.0%")
    figures.layout(fig, "Reports ahead of the truth: reported − true progress")
    return marked(fig, m)


def ambition_chart(m: TwinOrganisations) -> go.Figure:
    return marked(figures.sandbagging_figure(m.weekly()), m)


def blockers_chart(m: TwinOrganisations) -> go.Figure:
    return marked(figures.blockers_figure(m.weekly(), m.quarterly()), m)


def time_use_chart(m: TwinOrganisations) -> go.Figure:
    return marked(figures.time_use_figure(m.weekly()), m)


def ratings_chart(m: TwinOrganisations) -> go.Figure:
    fig = figures.rating_scatter(m.ratings(), by="organisation")
    fig.update_layout(title_text="Ratings vs true contribution at the latest review")
    return fig


def board_sample(board: pd.DataFrame) -> pd.DataFrame:
    """The key results of the first :data:`BOARD_SAMPLE` employees of each organisation."""
    return board[board["employee"] < BOARD_SAMPLE]


def board_chart(m: TwinOrganisations) -> go.Figure:
    """The watermelon board for a sample of people, with tiles large enough to see."""
    fig = figures.watermelon_figure(board_sample(m.board()), columns=8)
    fig.update_layout(title_text=f"Watermelon board, first {BOARD_SAMPLE} people of each")
    return fig


def large_tiles(fig: go.Figure, width: int, height: int) -> go.Figure:
    """The board's tiles as large as its size allows: a room sees each one's two colours.

    The report's board caps a tile at 20 px for a page of 192 of them; the
    dashboard shows a sample, so each tile takes most of its grid cell (the
    outer square) with the true status at half that inside.
    """
    reported = [t for t in fig.data if (t.name or "").endswith(": reported status")]
    if not reported:
        return fig
    columns = max(int(max(t.x)) + 1 for t in reported)
    rows = max(int(max(t.y)) + 1 for t in reported)
    cell_w = (width - 60) / len(reported) / columns
    cell_h = (height - 190) / rows  # title, panel titles and the legend take the rest
    size = max(8.0, 0.8 * min(cell_w, cell_h))
    fig.update_traces(marker_size=size, selector=lambda t: t.name.endswith(": reported status"))
    fig.update_traces(marker_size=size / 2, selector=lambda t: t.name.endswith(": true status"))
    return fig


def board_counts(board: pd.DataFrame) -> pd.DataFrame:
    """Key results per status, as reported and in truth, per organisation; and watermelons.

    One row per organisation with a count per ``reported <status>`` and
    ``true <status>``, and ``watermelons``: reported on track, truly off track.
    """
    rows = []
    for name, frame in board.groupby("organisation", sort=False):
        row: dict[str, Any] = {"organisation": name, "key results": len(frame)}
        for code, status in enumerate(STATUSES):
            row[f"reported {status}"] = int((frame["reported_status"] == code).sum())
            row[f"true {status}"] = int((frame["true_status"] == code).sum())
        row["watermelons"] = int(
            ((frame["reported_status"] == 0) & (frame["true_status"] == 2)).sum()
        )
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ChartTab:
    """One tab of the page: its name, the chart it shows and the file stem of its exports."""

    name: str
    build: Callable[[TwinOrganisations], go.Figure]
    export: str
    weekly: bool = True


#: The tabs, the measure-vs-truth picture first.
CHART_TABS: tuple[ChartTab, ...] = (
    ChartTab("Measured vs true", value_chart, "measured-vs-true"),
    ChartTab("Reported vs true", over_reporting_chart, "reported-vs-true"),
    ChartTab("Ambition", ambition_chart, "ambition"),
    ChartTab("Blockers", blockers_chart, "blockers"),
    ChartTab("Time use", time_use_chart, "time-use"),
    ChartTab("Ratings", ratings_chart, "ratings", weekly=False),
    ChartTab("Watermelons", board_chart, "watermelons", weekly=False),
)


def figure_csv(fig: go.Figure) -> str:
    """The numbers a chart draws, one row per point: ``chart, trace, x, y``.

    Legend-only traces (no points) are left out; a chart of several panels
    keeps each trace's own name, which says which panel it is.
    """
    title = fig.layout.title.text or ""
    frames = []
    for trace in fig.data:
        x = getattr(trace, "x", None)
        y = getattr(trace, "y", None)
        if x is None or y is None:
            continue
        points = pd.DataFrame({"x": list(x), "y": list(y)}).dropna(how="all")
        if points.empty:
            continue
        frames.append(
            points.assign(chart=title, trace=trace.name or "")[["chart", "trace", "x", "y"]]
        )
    table = pd.concat(frames) if frames else pd.DataFrame(columns=["chart", "trace", "x", "y"])
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue()


def readout_labels() -> dict[str, tuple[str, str]]:
    """The big numbers' labels and tooltips, from the metrics' titles and keys."""
    return {
        "attainment": (metric_title("attainment"), "attainment: at the last review"),
        "true_value": (
            metric_title("true_value"),
            "true_value: per employee-week, mean of the last 13 weeks",
        ),
        "honesty": (
            "Honest check-ins",
            "1 − slanted_report_share: check-ins not deliberately slanted, last review",
        ),
        "trust": (
            metric_title("coupling_belief"),
            "coupling_belief: how much of the rating people believe the OKR score decides",
        ),
    }
