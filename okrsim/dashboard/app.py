"""The workshop dashboard page: twin organisations under two policies, live, for a room.

Served by ``okrsim dashboard`` (``solara run okrsim.dashboard.app``).  Built on
Mesa's SolaraViz: its :func:`~mesa.visualization.solara_viz.ModelController`
gives Reset / Play / Pause / Step and rebuilds the model from the page's
parameters on Reset, its ``ShowSteps`` shows the time, and every chart is a
Solara component that re-renders on Mesa's ``update_counter``.

The page is laid out for projection.  A bar across the top holds the run's
controls (Reset, Play, Step, Run to end, speed), so Reset stays in view
whatever the control panel below it scrolls to.  The panel (presets, what to
try with them, levers) sits beside the charts, never over them, and can be
closed.  The main area starts with big-number readouts for A and B, then one
chart per tab, the measure-vs-truth picture first, sized to fill the area the
browser reports (:mod:`okrsim.dashboard.stage`) with text a room can read
(:mod:`okrsim.dashboard.charts`).  Labels are the schema's plain-language
titles, with the dotted key in the tooltip.

Every browser session gets its own :class:`TwinOrganisations`: the model is
created inside ``Page`` with ``solara.use_memo`` (once per session) and
replaced only by that session's Reset.  Controls come from the
:class:`~okrsim.params.Scenario` schema (:mod:`okrsim.dashboard.controls`).
"""

from __future__ import annotations

import os

# Set before Solara is imported.  Offline: front-end assets come from the installed
# solara-assets package (the proxy serves them from this machine); no usage reports.
# The "runs on Solara" banner would sit over the charts' corner on a 720 px screen.
os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")

import functools
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import solara
from mesa.visualization.solara_viz import ModelController, ShowSteps
from mesa.visualization.utils import force_update, update_counter

from okrsim.dashboard import charts
from okrsim.dashboard.assets import serve_read_only
from okrsim.dashboard.controls import (
    KEY_LEVERS,
    Control,
    known_values,
    lever_controls,
    values,
    world_controls,
)
from okrsim.dashboard.guide import guide
from okrsim.dashboard.plotly_chart import FigurePlotly, serve_bundle
from okrsim.dashboard.stage import STAGE_CLASS, Stage
from okrsim.dashboard.twins import (
    DEFAULT_PRESETS,
    ORGANISATIONS,
    TwinOrganisations,
    library_dir,
    scenario_library,
    twin_scenario,
    why,
)
from okrsim.params import WEEKS_PER_QUARTER, Scenario, ScenarioError
from okrsim.report import figures
from okrsim.report.palette import policy_colour

#: Environment variable holding ``okrsim dashboard --scenario FILE``.
SCENARIO_ENV = "OKRSIM_DASHBOARD_SCENARIO"
#: The browser tab's title.
PAGE_TITLE = "okrsim"
#: Width of the control panel beside the charts, in CSS pixels.
PANEL_PX = 360
#: The panel starts open on a window at least this wide (a 1280 screen at 100 %).
PANEL_OPEN_MIN_PX = 1200
#: Width of the tables beside the inspector's charts.
INSPECTOR_TABLES_PX = 340
#: Speeds of Play: pause between steps in milliseconds, slowest first.
SPEEDS_MS = (1000, 500, 250, 100, 0)
#: The stage's and the window's size before the browser has reported them (1280×720).
FIRST_STAGE = (880, 420)
FIRST_WINDOW = 1280

CSS = """
.okrsim-page { position: fixed; inset: 0; z-index: 5; display: flex; flex-direction: column;
  background: white; font-size: 16px; }
.okrsim-bar { flex: 0 0 auto; display: flex; flex-wrap: wrap !important; align-items: center;
  gap: 4px 14px; padding: 4px 12px; border-bottom: 1px solid #ddd; background: #f7f7f7; }
.okrsim-brand { font-size: 22px; font-weight: 700; margin-right: 4px; }
.okrsim-bar .v-btn { font-size: 16px; }
.okrsim-pace .okrsim-slider { width: 150px; margin-bottom: 0; }
.okrsim-clock { flex: 0 0 190px; white-space: nowrap; }
.okrsim-clock > * { font-size: 16px; }
.okrsim-body { flex: 1 1 0; min-height: 0; display: flex; flex-direction: row; }
.okrsim-panel { flex: 0 0 PANEL_PXpx; width: PANEL_PXpx; overflow-y: auto; padding: 8px;
  border-right: 1px solid #ddd; }
.okrsim-panel.okrsim-panel-full { flex: 1 1 auto; width: auto; border-right: none; }
.okrsim-main { flex: 1 1 0; min-width: 0; display: flex; flex-direction: column;
  padding: 4px 12px 8px 12px; }
.okrsim-stage { flex: 1 1 0; min-height: 0; min-width: 0; overflow: hidden; }
.okrsim-readouts { flex: 0 0 auto; border-collapse: collapse; width: 100%;
  table-layout: fixed; }
.okrsim-readouts th { font-size: 15px; font-weight: 500; line-height: 1.15; color: #333;
  text-align: left; vertical-align: bottom; padding: 0 8px; }
.okrsim-readouts td { padding: 0 8px; background: #fafafa; border-bottom: 2px solid white; }
.okrsim-readout-name { font-size: 20px; font-weight: 600; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; border-left: 10px solid; }
.okrsim-number { font-size: 32px; font-weight: 700; line-height: 1.15;
  font-variant-numeric: tabular-nums; }
.okrsim-slider .v-input__slot > .v-label { display: none; }
.okrsim-key { font-weight: 600; font-size: 16px; }
.okrsim-value { font-size: 16px; font-variant-numeric: tabular-nums; }
.okrsim-control .v-messages__message { font-size: 13px; line-height: 1.25; }
.okrsim-control { margin-bottom: 12px; }
.okrsim-note { font-size: 16px; color: #333; }
.okrsim-guide { font-size: 15px; line-height: 1.35; }
.okrsim-guide p { margin: 0 0 6px 0; }
.okrsim-why { font-size: 16px; line-height: 1.35; margin: 0 0 4px 0; }
.okrsim-table { border-collapse: collapse; font-size: 16px; line-height: 1.3;
  margin-bottom: 6px; }
.okrsim-table td, .okrsim-table th { padding: 0 8px; border-bottom: 1px solid #ddd;
  text-align: right; }
.okrsim-table td:first-child, .okrsim-table th:first-child { text-align: left; }
.okrsim-counts { font-size: 20px; margin-bottom: 4px; }
.okrsim-counts td, .okrsim-counts th { padding: 0 10px; }
/* beats Vuetify's d-flex (display: flex !important) on Solara's Column */
.v-sheet.d-flex.okrsim-hidden { display: none !important; }
.okrsim-control .v-select { padding-top: 10px; }
.okrsim-tabrow { flex: 0 0 auto; display: flex; align-items: center; gap: 8px; }
.okrsim-tabs { flex: 1 1 0; min-width: 0; }
.okrsim-tabs .v-tab { font-size: 18px; text-transform: none; letter-spacing: 0;
  min-width: 0; padding: 0 12px; height: 40px; }
/* every tab in view: they wrap to a second line rather than slide under the panel */
.okrsim-tabs .v-tabs-bar { height: auto !important; }
.okrsim-tabs .v-slide-group__wrapper { overflow: visible; contain: none; }
.okrsim-tabs .v-slide-group__content { flex-wrap: wrap; flex: 1 1 auto; min-width: 0;
  white-space: normal; transform: none !important; }
.okrsim-tabs .v-slide-group__prev, .okrsim-tabs .v-slide-group__next,
.okrsim-tabs .v-tabs-slider-wrapper { display: none !important; }
.okrsim-tabs .v-tab--active { box-shadow: inset 0 -3px 0 currentColor; }
.okrsim-export { flex: 0 0 auto; flex-wrap: nowrap !important; }
.okrsim-export .v-btn { font-size: 15px; }
.okrsim-inspector-tables { overflow-y: auto; }
""".replace("PANEL_PX", str(PANEL_PX))

serve_bundle()  # plotly's browser module, from this machine, loaded once per page
serve_read_only()  # Solara's own assets: no request may fetch, write or delete a file


# -- parameters ------------------------------------------------------------------------
def library() -> dict[str, str]:
    """The preset picker's entries: every file in the library, plus ``--scenario FILE``."""
    extra = [os.environ[SCENARIO_ENV]] if os.environ.get(SCENARIO_ENV) else []
    return scenario_library(library_dir(), *extra)


@functools.cache
def _controls(paths: tuple[str, ...]) -> tuple[list[Control], list[Control]]:
    """Controls for a library, read once per server (the files do not change in a session)."""
    known = known_values(Scenario.from_toml(p) for p in paths)
    return lever_controls(known), world_controls(known)


def controls() -> tuple[list[Control], list[Control]]:
    """Lever and world controls whose slider grids hold every value the library sets."""
    return _controls(tuple(sorted(library().values())))


def preset_settings(path_a: str, path_b: str) -> dict[str, Any]:
    """Parameters of a fresh page: each preset's own lever values, the longer horizon."""
    a, b = Scenario.from_toml(path_a), Scenario.from_toml(path_b)
    levers = lever_controls()
    world = values(a, world_controls())
    world["horizon.quarters"] = max(a.horizon.quarters, b.horizon.quarters)
    return {
        "preset_a": path_a,
        "preset_b": path_b,
        "levers_a": values(a, levers),
        "levers_b": values(b, levers),
        "world": world,
        "seed": 0,
    }


def initial_parameters() -> dict[str, Any]:
    """Organisation A starts as ``decoupled``; B as ``--scenario FILE`` or ``coupled``."""
    root = library_dir()
    path_b = os.environ.get(SCENARIO_ENV) or str(root / DEFAULT_PRESETS[1])
    return preset_settings(str(root / DEFAULT_PRESETS[0]), path_b)


# -- controls ------------------------------------------------------------------------
def _number(value: Any, control: Control) -> str:
    if control.kind == "int":
        return f"{int(value)}"
    _, _, step = control.slider()
    decimals = len(f"{step:g}".partition(".")[2])
    return f"{float(value):.{decimals}f}"


@solara.component
def SliderInput(
    label: str,
    value: float,
    on_value: Callable[[Any], None],
    low: float,
    high: float,
    step: float,
    hint: str,
    text: str,
    tooltip: str = "",
):
    """A labelled slider: the label and its value above, the help text below.

    The Vuetify slider keeps ``label`` as its accessible name (``aria-label``)
    while the visible label is the line above it, which also shows the value;
    ``tooltip`` (the dotted key and its meaning) shows on hovering the label.
    """
    with solara.Column(gap="0px", classes=["okrsim-control", "okrsim-slider"]):
        with solara.Row(justify="space-between", style={"margin-bottom": "-8px"}):
            solara.HTML(
                tag="span",
                unsafe_innerHTML=html.escape(label),
                classes=["okrsim-key"],
                attributes={"title": tooltip or hint},
            )
            solara.Text(text, classes=["okrsim-value"])
        solara.v.Slider(
            label=label,
            v_model=value,
            on_v_model=on_value,
            min=low,
            max=high,
            step=step,
            hint=hint,
            persistent_hint=bool(hint),
            dense=True,
        )


@solara.component
def ControlInput(control: Control, value: Any, on_value: Callable[[Any], None]):
    """One schema-built input: title as label, key and description in the tooltip."""

    def send(raw: Any) -> None:
        on_value(control.coerce(raw))

    if control.kind in ("float", "int"):
        low, high, step = control.slider()
        SliderInput(
            control.label,
            value,
            send,
            low,
            high,
            step,
            "",
            _number(value, control),
            tooltip=control.tooltip,
        )
    elif control.kind == "choice":
        with solara.Column(gap="0px", classes=["okrsim-control"]):
            solara.v.Select(
                label=control.label,
                items=list(control.choices),
                v_model=value,
                on_v_model=send,
                hint=control.tooltip,
                dense=True,
                attributes={"title": control.tooltip},
            )
    else:
        with solara.Column(gap="0px", classes=["okrsim-control"]):
            solara.v.Checkbox(
                label=control.label,
                v_model=bool(value),
                on_v_model=send,
                hint=control.tooltip,
                dense=True,
                attributes={"title": control.tooltip},
            )


@solara.component
def GuidePanel(preset: str):
    """What the preset is, the question it asks, and what to try and notice."""
    g = guide(preset)
    text = (
        f"<p>{html.escape(g.about)}</p>"
        + (f"<p><b>Question:</b> {html.escape(g.question)}</p>" if g.question else "")
        + f"<p><b>Try this:</b> {html.escape(g.try_this)}</p>"
        + f"<p><b>Notice:</b> {html.escape(g.notice)}</p>"
    )
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["okrsim-guide"])


@solara.component
def OrganisationCard(
    name: str,
    parameters: solara.Reactive[dict[str, Any]],
    model: solara.Reactive[TwinOrganisations],
):
    """Organisation ``name``'s preset, what to try with it, and its levers.

    Picking a preset brings its own lever values.  Changed levers apply from
    week 0 on Reset, or, mid-run, from the next quarter with "Switch from
    next quarter": a scheduled policy change, marked on the charts.
    """
    org = name.lower()
    entries = library()
    p = parameters.value
    preset = p[f"preset_{org}"]
    levers = p[f"levers_{org}"]
    names = {path: stem for stem, path in entries.items()}
    show_all = solara.use_reactive(False)
    switched = solara.use_reactive("")

    def pick(stem: str) -> None:
        current = parameters.value
        other = current["preset_b" if org == "a" else "preset_a"]
        pair = (entries[stem], other) if org == "a" else (other, entries[stem])
        fresh = preset_settings(*pair)
        world = {**current["world"], "horizon.quarters": fresh["world"]["horizon.quarters"]}
        parameters.set(
            {
                **current,
                f"preset_{org}": entries[stem],
                f"levers_{org}": fresh[f"levers_{org}"],
                "world": world,
            }
        )

    def set_lever(key: str, value: Any) -> None:
        current = parameters.value
        lever_map = {**current[f"levers_{org}"], key: value}
        parameters.set({**current, f"levers_{org}": lever_map})

    def switch() -> None:
        twins = model.value
        try:
            quarter = twins.switch(name, parameters.value[f"levers_{org}"])
        except ScenarioError as exc:
            switched.set(str(exc))
            return
        switched.set(
            f"{name} switches policy at the start of quarter {quarter}."
            if quarter
            else "Nothing to switch: these levers are already in force."
        )
        force_update()

    levers_shown, _ = controls()
    shown = [c for c in levers_shown if show_all.value or c.key in KEY_LEVERS]
    mid_run = model.value.week > 0 and model.value.running
    same_preset = preset == model.value.settings[f"preset_{org}"]
    with solara.Card(f"Organisation {name}", margin=0, classes=[f"okrsim-org-{org}"]):
        with solara.Column(gap="0px", classes=["okrsim-control"]):
            solara.v.Select(
                label="preset",
                items=list(entries),
                v_model=names.get(preset, Path(preset).stem),
                on_v_model=pick,
                hint="A file in scenarios/: sets every lever below",
                persistent_hint=True,
                dense=True,
                class_="okrsim-preset",
            )
        GuidePanel(preset)
        for c in shown:
            ControlInput(c, levers[c.key], lambda v, key=c.key: set_lever(key, v))
        solara.Button(
            "fewer levers" if show_all.value else f"all {len(levers_shown)} levers",
            text=True,
            on_click=lambda: show_all.set(not show_all.value),
        )
        with solara.Column(gap="4px", align="start"):
            solara.Button(
                "Switch from next quarter",
                on_click=switch,
                disabled=not (mid_run and same_preset),
                outlined=True,
                classes=[f"okrsim-switch-{org}"],
            )
            if switched.value:
                solara.Text(switched.value, classes=["okrsim-note"])
        try:
            twin_scenario(preset, levers, p["world"])
        except ScenarioError as exc:
            solara.Error(str(exc), dense=True)


@solara.component
def WorldCard(parameters: solara.Reactive[dict[str, Any]]):
    """What both organisations share: the seed (the same people and luck) and their size."""
    p = parameters.value

    def set_world(key: str, value: Any) -> None:
        current = parameters.value
        parameters.set({**current, "world": {**current["world"], key: value}})

    def set_seed(value: Any) -> None:
        parameters.set({**parameters.value, "seed": round(float(value))})

    with solara.Card("Both organisations", margin=0, classes=["okrsim-world"]):
        SliderInput(
            "seed",
            p["seed"],
            set_seed,
            0,
            99,
            1,
            "The same seed gives both the same people and the same luck",
            str(p["seed"]),
        )
        for c in controls()[1]:
            ControlInput(c, p["world"][c.key], lambda v, key=c.key: set_world(key, v))


@solara.component
def RunBar(
    model: solara.Reactive[TwinOrganisations],
    parameters: solara.Reactive[dict[str, Any]],
    weeks_per_step: solara.Reactive[int],
    speed: solara.Reactive[int],
    panel_open: solara.Reactive[bool],
    wide: bool,
):
    """The bar across the top: Mesa's Reset / Play / Step, Run to end, speed, the clock.

    Always in view: the panel under it scrolls on its own.  Shortcuts: space
    plays or pauses, → steps, ``r`` resets, ``e`` runs to the end.  On a
    narrow window (or at a large zoom) the speed sliders move to the top of
    the panel, so the bar stays one line.
    """
    update_counter.get()  # Run to end and a switch change what the bar shows
    play_ms = solara.use_reactive(SPEEDS_MS[speed.value - 1])
    play_ms.set(SPEEDS_MS[speed.value - 1])
    use_threads = solara.use_reactive(False)

    def run_to_end() -> None:
        model.value.finish()
        force_update()

    with solara.Row(classes=["okrsim-bar"], gap="4px 14px"):
        solara.Text(PAGE_TITLE, classes=["okrsim-brand"])
        with solara.Row(gap="6px", style={"align-items": "center"}):
            ModelController(
                model,
                model_parameters=parameters,
                play_interval=play_ms,
                render_interval=weeks_per_step,
                use_threads=use_threads,
            )
            solara.Button(
                "Run to end",
                color="primary",
                outlined=True,
                on_click=run_to_end,
                disabled=not model.value.running,
            )
        if wide:
            Pace(weeks_per_step, speed)
        Clock(model.value, weeks_per_step.value)
        if parameters.value != model.value.settings:
            solara.Text("Settings changed: press Reset to apply them.", classes=["okrsim-note"])
        solara.Button(
            "Hide panel" if panel_open.value else "Panel",
            text=True,
            on_click=lambda: panel_open.set(not panel_open.value),
            classes=["okrsim-panel-toggle"],
        )


@solara.component
def Pace(weeks_per_step: solara.Reactive[int], speed: solara.Reactive[int]):
    """How fast ▶ plays, and how many weeks Step and ▶ advance at a time."""
    with solara.Row(gap="14px", classes=["okrsim-pace"]):
        SliderInput(
            "speed",
            speed.value,
            lambda v: speed.set(round(float(v))),
            1,
            len(SPEEDS_MS),
            1,
            "",
            f"{speed.value} of {len(SPEEDS_MS)}",
            tooltip="How fast ▶ plays: 1 = a step a second, 5 = as fast as the page draws",
        )
        SliderInput(
            "weeks per step",
            weeks_per_step.value,
            lambda v: weeks_per_step.set(round(float(v))),
            1,
            WEEKS_PER_QUARTER,
            1,
            "",
            str(weeks_per_step.value),
            tooltip="Step and ▶ advance this many weeks at a time (13 = a quarter)",
        )


@solara.component
def Clock(model: TwinOrganisations, weeks_per_step: int):
    """Mesa's time, and the week and quarter it stands for.

    Once drawn, it tells the model which week the page shows, so that Play
    steps no faster than the page draws (:meth:`TwinOrganisations.shown`).
    """
    counter = update_counter.get()
    week, quarter = model.read(lambda m: (m.week, m.quarter))
    solara.use_effect(
        lambda: model.shown(week, weeks_per_step), [model, counter, week, weeks_per_step]
    )
    in_quarter = (week - 1) % WEEKS_PER_QUARTER + 1 if week else 0
    with solara.Column(gap="0px", classes=["okrsim-clock"]):
        ShowSteps(model)
        solara.Text(
            f"Quarter {quarter}, week {in_quarter} of {WEEKS_PER_QUARTER}"
            if week
            else "Press Step or ▶",
            classes=["okrsim-note"],
        )


# -- the main area ---------------------------------------------------------------------
def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@solara.component
def Readouts(model: TwinOrganisations):
    """Big numbers for A and B: reported attainment, true value, honesty, trust.

    One table, the metrics' titles heading its columns once (their keys in
    the tooltips), one row per organisation in its policy colour.
    """
    counter = update_counter.get()
    numbers = solara.use_memo(lambda: model.read(lambda m: m.readouts()), [model, counter])
    labels = charts.readout_labels()
    head = "<tr><th></th>" + "".join(
        f"<th title='{html.escape(tip)}'>{html.escape(title)}</th>"
        for title, tip in labels.values()
    )
    rows = []
    for i, (label, shown) in enumerate(zip(model.labels, numbers, strict=True)):
        value = shown["true_value"]
        cells = {
            "attainment": _share(shown["attainment"]),
            "true_value": "–" if value is None else f"{value:.2f}",
            "honesty": _share(shown["honesty"]),
            "trust": _share(shown["trust"]),
        }
        org = ORGANISATIONS[i].lower()
        rows.append(
            f"<tr class='okrsim-readout-{org}'>"
            f"<td class='okrsim-readout-name' style='border-color: {policy_colour(i)}'>"
            f"{html.escape(label)}</td>"
            + "".join(
                f"<td class='okrsim-number okrsim-{key}' title='{html.escape(labels[key][1])}'>"
                f"{text}</td>"
                for key, text in cells.items()
            )
            + "</tr>"
        )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<thead>{head}</tr></thead><tbody>{''.join(rows)}</tbody>",
        classes=["okrsim-readouts"],
    )


@solara.component
def Chart(
    model: TwinOrganisations,
    tab: charts.ChartTab,
    active: bool,
    size: tuple[int, int],
):
    """One tab's chart, rebuilt after every step (Mesa's ``update_counter``) while shown.

    A chart on a hidden tab keeps its last figure and catches up when its tab
    is opened, so a step costs only the chart in view.  The figure is built
    from one week's state: Play's thread cannot step the model part-way.
    """
    counter = update_counter.get()
    width, height = size
    span = charts.weeks(model) if tab.weekly else None

    def build() -> go.Figure:
        fig = charts.presented(model.read(tab.build), width, height, span=span)
        return charts.large_tiles(fig, width, height)

    fig = solara.use_memo(build, dependencies=[model, counter if active else None, active, size])
    FigurePlotly(fig, export_name=f"okrsim-{tab.export}")


@solara.component
def ExportButtons(model: TwinOrganisations, tab: charts.ChartTab):
    """CSV of the chart in view (its numbers), and PNG (the picture, drawn in the browser)."""
    with solara.Row(gap="6px", classes=["okrsim-export"]):
        _export_buttons(model, tab)


def _export_buttons(model: TwinOrganisations, tab: charts.ChartTab) -> None:
    solara.FileDownload(
        lambda: charts.figure_csv(model.read(tab.build)),
        filename=f"okrsim-{tab.export}.csv",
        label="CSV",
        mime_type="text/csv",
    )
    solara.HTML(
        tag="button",
        unsafe_innerHTML="PNG",
        classes=["v-btn", "v-btn--outlined", "theme--light", "v-size--default", "okrsim-png"],
        attributes={"type": "button", "title": "Save the chart in view as a picture"},
    )


@solara.component
def BoardCounts(model: TwinOrganisations, active: bool):
    """How many key results each organisation reports in each status, and how many truly are."""
    counter = update_counter.get()
    counts = solara.use_memo(
        lambda: charts.board_counts(model.read(lambda m: m.board())),
        [model, counter if active else None, active],
    )
    head = "<tr><th></th><th>key results</th><th>reported on track</th>"
    head += "<th>truly on track</th><th>watermelons</th></tr>"
    rows = "".join(
        f"<tr><td>{html.escape(str(r['organisation']))}</td><td>{r['key results']}</td>"
        f"<td>{r['reported on track']}</td><td>{r['true on track']}</td>"
        f"<td><b>{r['watermelons']}</b></td></tr>"
        for _, r in counts.iterrows()
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<table class='okrsim-table okrsim-counts'>{head}{rows}</table>",
        attributes={"title": "watermelons: reported on track (green) while truly off track (red)"},
    )


@solara.component
def Inspector(model: TwinOrganisations, active: bool, size: tuple[int, int]):
    """One person under both policies: traits, beliefs, key results and why."""
    counter = update_counter.get()
    index = solara.use_reactive(0)
    n = model.n_employees
    person = min(index.value, n - 1)  # a Reset may have shrunk the organisation
    stamp = counter if active else None
    width = max(size[0] - INSPECTOR_TABLES_PX - 16, 240)
    height = max(size[1] // 2 - 4, 160)
    views = solara.use_memo(lambda: model.employee(person), [model, person, stamp, active])
    target_fig = solara.use_memo(
        lambda: charts.presented(
            figures.target_choice_figure(model.target_options(person)), width, height
        ),
        [model, person, stamp, active, size],
    )
    effort_fig = solara.use_memo(
        lambda: charts.presented(
            figures.effort_split_figure(model.effort_split(person)), width, height
        ),
        [model, person, stamp, active, size],
    )
    with solara.Row(gap="12px", classes=["okrsim-inspector"], style={"align-items": "flex-start"}):
        with solara.Column(
            gap="2px",
            classes=["okrsim-inspector-tables"],
            style={
                "width": f"{INSPECTOR_TABLES_PX}px",
                "flex": f"0 0 {INSPECTOR_TABLES_PX}px",
                "max-height": f"{size[1]}px",
            },
        ):
            SliderInput(
                "employee",
                person,
                lambda v: index.set(round(float(v))),
                0,
                n - 1,
                1,
                "The same index is the same person in both organisations",
                f"{person} (team {views[0]['team']})",
            )
            for view in views:
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"<b>{html.escape(view['organisation'])}</b> "
                    f"{html.escape(why(view))}",
                    classes=["okrsim-why"],
                )
            solara.HTML(tag="div", unsafe_innerHTML=_person_table(views))
            solara.HTML(tag="div", unsafe_innerHTML=_key_result_table(views))
        with solara.Column(gap="4px"):
            FigurePlotly(target_fig, export_name="okrsim-target-choice")
            FigurePlotly(effort_fig, export_name="okrsim-effort-split")


def _person_table(views: list[dict[str, Any]]) -> str:
    names = [html.escape(v["organisation"].split(":")[0]) for v in views]
    head = "<tr><th>traits, then beliefs</th>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"
    rows = []
    for part in ("traits", "beliefs"):
        for key in views[0][part]:
            cells = "".join(f"<td>{v[part][key]:.2f}</td>" for v in views)
            rows.append(f"<tr><td>{key.replace('_', ' ')}</td>{cells}</tr>")
    return f"<table class='okrsim-table'>{head}{''.join(rows)}</table>"


def _key_result_table(views: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>key result</th><th>target</th><th>expected</th><th>reported</th><th>true</th></tr>"
    )
    rows = []
    for view in views:
        org = html.escape(view["organisation"].split(":")[0])
        for kr in view["key_results"]:
            rows.append(
                f"<tr><td>{org} · KR {kr['kr'] + 1}</td><td>{kr['target']:.1f}</td>"
                f"<td>{kr['expected']:.1f}</td><td>{kr['reported_progress']:.1f}</td>"
                f"<td>{kr['true_progress']:.1f}</td></tr>"
            )
    return f"<table class='okrsim-table'>{head}{''.join(rows)}</table>"


#: The board tab's counts table takes this much of the stage's height.
COUNTS_PX = 110
INSPECTOR_TAB = "One person"


@solara.component
def Main(model: TwinOrganisations, stage: tuple[int, int], shown: bool = True):
    """The readouts, the tabs with their export buttons, and the chart area.

    A tab's chart is created the first time it is opened (each plotly widget
    takes a moment to start in the browser) and then stays: a hidden tab is
    only hidden, because closing a plotly widget while its front end still
    syncs is a page error.
    """
    tab = solara.use_reactive(0)
    opened = solara.use_reactive(frozenset({0}))

    def open_tab(index: int) -> None:
        opened.set(opened.value | {index})
        tab.set(index)

    with solara.Column(gap="4px", classes=["okrsim-main", "" if shown else "okrsim-hidden"]):
        Readouts(model)
        with solara.Column(gap="4px"):  # one fixed slot: the charts below keep their place
            for note in model.notes:
                solara.Warning(note, dense=True)
        names = [t.name for t in charts.CHART_TABS] + [INSPECTOR_TAB]
        with solara.Row(classes=["okrsim-tabrow"], gap="8px"):
            with solara.v.Tabs(v_model=tab.value, on_v_model=open_tab, class_="okrsim-tabs"):
                for name in names:
                    solara.v.Tab(children=[name])
            if tab.value < len(charts.CHART_TABS):
                with solara.Row(gap="6px", classes=["okrsim-export"]):
                    ExportButtons(model, charts.CHART_TABS[tab.value])
        width, height = stage
        with solara.Column(gap="0px", classes=[STAGE_CLASS]):
            for i, chart_tab in enumerate(charts.CHART_TABS):
                active = tab.value == i
                board = chart_tab.build is charts.board_chart
                with solara.Column(
                    gap="0px", classes=[f"okrsim-tab-{i}", "" if active else "okrsim-hidden"]
                ):
                    if i in opened.value:
                        if board:
                            BoardCounts(model, active)
                        size = (width, height - COUNTS_PX if board else height)
                        Chart(model, chart_tab, active, size)
            inspector = len(charts.CHART_TABS)
            active = tab.value == inspector
            with solara.Column(
                gap="0px", classes=[f"okrsim-tab-{inspector}", "" if active else "okrsim-hidden"]
            ):
                if inspector in opened.value:
                    Inspector(model, active, stage)


@solara.component
def Page():  # Solara serves the component named Page
    """One page per browser session, with that session's own twin organisations."""
    defaults = solara.use_memo(initial_parameters, dependencies=[])
    first = solara.use_memo(lambda: TwinOrganisations(**defaults), dependencies=[])
    model: solara.Reactive[TwinOrganisations] = solara.use_reactive(first)
    parameters = solara.use_reactive(defaults)
    weeks_per_step = solara.use_reactive(1)
    speed = solara.use_reactive(3)
    panel_open = solara.use_reactive(True)
    stage = solara.use_reactive(FIRST_STAGE)
    window = solara.use_reactive(FIRST_WINDOW)

    def measured(width: int | None = None, height: int | None = None) -> None:
        if not width and not height:
            return  # the main area is hidden (the panel has the window): keep the last size
        w, h = stage.value
        stage.set((width or w, height or h))

    def window_measured(width: int) -> None:
        if window.value == FIRST_WINDOW and width < PANEL_OPEN_MIN_PX:
            # a window narrower than a 1280 screen at 100 % starts with the panel closed
            panel_open.set(False)
        window.set(width)

    solara.Title(PAGE_TITLE)
    solara.Style(CSS)
    Stage.element(
        on_width=lambda w: measured(width=w),
        on_height=lambda h: measured(height=h),
        on_window_width=window_measured,
    )
    with solara.Column(gap="0px", classes=["okrsim-page"]):
        wide = window.value >= PANEL_OPEN_MIN_PX
        RunBar(model, parameters, weeks_per_step, speed, panel_open, wide)
        with solara.Row(gap="0px", classes=["okrsim-body"], style={"align-items": "stretch"}):
            # closed is hidden, not removed: its widgets stay (closing one mid-sync is an error)
            # On a narrow window (or zoomed in) the open panel takes the window and the
            # charts wait behind it; beside them it would leave the charts no room.
            panel = "okrsim-panel-full" if not wide else ""
            with solara.Column(
                gap="12px",
                classes=["okrsim-panel", panel, "" if panel_open.value else "okrsim-hidden"],
            ):
                if not wide:
                    Pace(weeks_per_step, speed)
                OrganisationCard("A", parameters, model)
                OrganisationCard("B", parameters, model)
                WorldCard(parameters)
            Main(model.value, stage.value, shown=wide or not panel_open.value)
