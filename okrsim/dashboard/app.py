"""The workshop dashboard page: twin organisations under two policies, live.

Served by ``okrsim dashboard`` (``solara run okrsim.dashboard.app``).  Built on
Mesa's SolaraViz: its :func:`~mesa.visualization.solara_viz.ModelController`
gives Reset / Play / Pause / Step and rebuilds the model from the page's
parameters on Reset, its ``ShowSteps`` shows the time, and every chart is a
Solara component that re-renders on Mesa's ``update_counter``.  The layout is
the page's own rather than SolaraViz's draggable grid, so that a projected
1280×720 screen shows two full-width charts per tab, a watermelon board and
an employee inspector without clipping.

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
from mesa.visualization.utils import update_counter

from okrsim.dashboard.assets import serve_read_only
from okrsim.dashboard.controls import (
    KEY_LEVERS,
    Control,
    known_values,
    lever_controls,
    values,
    world_controls,
)
from okrsim.dashboard.plotly_chart import FigurePlotly, serve_bundle
from okrsim.dashboard.twins import (
    DEFAULT_PRESETS,
    TwinOrganisations,
    library_dir,
    scenario_library,
    twin_scenario,
    why,
)
from okrsim.params import WEEKS_PER_QUARTER, Scenario, ScenarioError
from okrsim.report import figures

#: Environment variable holding ``okrsim dashboard --scenario FILE``.
SCENARIO_ENV = "OKRSIM_DASHBOARD_SCENARIO"
#: Chart width in the main area at 1280×720 (Solara's sidebar takes 400 px).
CHART_WIDTH = 840
#: Two charts stacked per tab fit under the app bar and the tabs at 720 px.
CHART_HEIGHT = 272
#: The inspector's two charts sit under its own margin.
INSPECTOR_HEIGHT = 262

CSS = """
.okrsim-slider .v-input__slot > .v-label { display: none; }
.okrsim-key { font-weight: 600; font-size: 15px; }
.okrsim-value { font-size: 15px; font-variant-numeric: tabular-nums; }
.okrsim-control .v-messages__message { font-size: 13px; line-height: 1.25; }
.okrsim-control { margin-bottom: 14px; }
.okrsim-note { font-size: 14px; color: #444; }
.okrsim-why { font-size: 14px; line-height: 1.35; margin: 0 0 4px 0; }
.okrsim-table { border-collapse: collapse; font-size: 14px; line-height: 1.3;
  margin-bottom: 6px; }
.okrsim-table td, .okrsim-table th { padding: 0 8px; border-bottom: 1px solid #ddd;
  text-align: right; }
.okrsim-table td:first-child, .okrsim-table th:first-child { text-align: left; }
/* beats Vuetify's d-flex (display: flex !important) on Solara's Column */
.v-sheet.d-flex.okrsim-hidden { display: none !important; }
.okrsim-control .v-select { padding-top: 10px; }
.okrsim-tabs .v-tab { font-size: 15px; text-transform: none; letter-spacing: 0; }
"""

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
):
    """A labelled slider: the key and its value above, the help text below.

    The Vuetify slider keeps ``label`` as its accessible name (``aria-label``)
    while the visible label is the line above it, which also shows the value.
    """
    with solara.Column(gap="0px", classes=["okrsim-control", "okrsim-slider"]):
        with solara.Row(justify="space-between", style={"margin-bottom": "-8px"}):
            solara.Text(label, classes=["okrsim-key"])
            solara.Text(text, classes=["okrsim-value"])
        solara.v.Slider(
            label=label,
            v_model=value,
            on_v_model=on_value,
            min=low,
            max=high,
            step=step,
            hint=hint,
            persistent_hint=True,
            dense=True,
        )


@solara.component
def ControlInput(control: Control, value: Any, on_value: Callable[[Any], None]):
    """One schema-built input: key as label, description as help, bounds as range."""

    def send(raw: Any) -> None:
        on_value(control.coerce(raw))

    if control.kind in ("float", "int"):
        low, high, step = control.slider()
        SliderInput(
            control.label, value, send, low, high, step, control.help, _number(value, control)
        )
    elif control.kind == "choice":
        with solara.Column(gap="0px", classes=["okrsim-control"]):
            solara.v.Select(
                label=control.label,
                items=list(control.choices),
                v_model=value,
                on_v_model=send,
                hint=control.help,
                persistent_hint=True,
                dense=True,
            )
    else:
        with solara.Column(gap="0px", classes=["okrsim-control"]):
            solara.v.Checkbox(
                label=control.label,
                v_model=bool(value),
                on_v_model=send,
                hint=control.help,
                persistent_hint=True,
                dense=True,
            )


@solara.component
def OrganisationCard(name: str, parameters: solara.Reactive[dict[str, Any]]):
    """Organisation ``name``'s preset and levers; picking a preset brings its own values."""
    org = name.lower()
    entries = library()
    p = parameters.value
    preset = p[f"preset_{org}"]
    levers = p[f"levers_{org}"]
    names = {path: stem for stem, path in entries.items()}
    show_all = solara.use_reactive(False)

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

    levers_shown, _ = controls()
    shown = [c for c in levers_shown if show_all.value or c.key in KEY_LEVERS]
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
        for c in shown:
            ControlInput(c, levers[c.key], lambda v, key=c.key: set_lever(key, v))
        solara.Button(
            "fewer levers" if show_all.value else f"all {len(levers_shown)} levers",
            text=True,
            on_click=lambda: show_all.set(not show_all.value),
        )
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
def RunCard(
    model: solara.Reactive[TwinOrganisations],
    parameters: solara.Reactive[dict[str, Any]],
    weeks_per_step: solara.Reactive[int],
    play_ms: solara.Reactive[int],
    use_threads: solara.Reactive[bool],
):
    """Mesa's Reset / Play / Pause / Step, the clock, and whether settings await a Reset."""
    with solara.Card("Run", margin=0, classes=["okrsim-run"]):
        ModelController(
            model,
            model_parameters=parameters,
            play_interval=play_ms,
            render_interval=weeks_per_step,
            use_threads=use_threads,
        )
        SliderInput(
            "weeks per step",
            weeks_per_step.value,
            lambda v: weeks_per_step.set(round(float(v))),
            1,
            WEEKS_PER_QUARTER,
            1,
            "Step and ▶ advance this many weeks at a time (13 = a quarter)",
            str(weeks_per_step.value),
        )
        Clock(model.value, weeks_per_step.value)
        if parameters.value != model.value.settings:
            solara.Text("Settings changed: press Reset to apply them.", classes=["okrsim-note"])


@solara.component
def Clock(model: TwinOrganisations, weeks_per_step: int):
    """Mesa's time, and the week and quarter it stands for.

    Once drawn, it tells the model which week the page shows, so that Play
    steps no faster than the page draws (:meth:`TwinOrganisations.shown`).
    """
    counter = update_counter.get()
    ShowSteps(model)
    week, quarter = model.read(lambda m: (m.week, m.quarter))
    solara.use_effect(
        lambda: model.shown(week, weeks_per_step), [model, counter, week, weeks_per_step]
    )
    in_quarter = (week - 1) % WEEKS_PER_QUARTER + 1 if week else 0
    solara.Text(
        f"Week {week}: quarter {quarter}, week {in_quarter} of {WEEKS_PER_QUARTER}"
        if week
        else "Week 0: press Step or ▶",
        classes=["okrsim-note"],
    )


# -- charts ----------------------------------------------------------------------------
def sized(
    fig: go.Figure,
    *,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
    weeks: int | None = None,
) -> go.Figure:
    """A figure at a fixed size with its legend at the right, clear of the axes.

    The plotly widget does not size itself to its container, so the width is
    explicit; a legend to the right keeps a short chart's plotting area tall.
    With ``weeks``, every week axis spans the whole run from the start, so the
    lines grow across a still chart instead of the axis rescaling every step.
    """
    if weeks:
        fig.for_each_xaxis(
            lambda axis: axis.update(range=[0, weeks]) if axis.title.text == "week" else None
        )
    fig.update_layout(
        width=width,
        height=height,
        margin={"l": 70, "r": 20, "t": 56, "b": 48},
        legend={
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
            "font": {"size": 14},
        },
    )
    return fig


def _weeks(m: TwinOrganisations) -> int:
    return max(t.scenario.horizon.quarters for t in m.twins) * WEEKS_PER_QUARTER


def ambition_chart(m: TwinOrganisations) -> go.Figure:
    return sized(figures.sandbagging_figure(m.weekly()), weeks=_weeks(m))


def progress_chart(m: TwinOrganisations) -> go.Figure:
    fig = figures.progress_figure(m.weekly(), by="organisation")
    fig.update_layout(title_text="Reported (solid) vs true (dotted) progress on key results")
    fig.update_yaxes(tickformat=".0%")
    return sized(fig, weeks=_weeks(m))


def blockers_chart(m: TwinOrganisations) -> go.Figure:
    return sized(figures.blockers_figure(m.weekly(), m.quarterly()), weeks=_weeks(m))


def time_use_chart(m: TwinOrganisations) -> go.Figure:
    return sized(figures.time_use_figure(m.weekly()), weeks=_weeks(m))


def value_chart(m: TwinOrganisations) -> go.Figure:
    return sized(figures.value_attainment_figure(m.weekly(), m.quarterly()), weeks=_weeks(m))


def ratings_chart(m: TwinOrganisations) -> go.Figure:
    fig = figures.rating_scatter(m.ratings(), by="organisation")
    fig.update_layout(title_text="Ratings vs true contribution at the latest review")
    return sized(fig)


def board_chart(m: TwinOrganisations) -> go.Figure:
    fig = figures.watermelon_figure(m.board())
    fig.update_layout(
        width=CHART_WIDTH,
        height=2 * CHART_HEIGHT,
        margin={"l": 10, "r": 10, "t": 70, "b": 40},
        legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top", "font": {"size": 14}},
    )
    return fig


#: The tabs: a name and the charts it shows, two stacked per tab.
CHART_TABS: tuple[tuple[str, tuple[Callable[[TwinOrganisations], go.Figure], ...]], ...] = (
    ("Ambition & honesty", (ambition_chart, progress_chart)),
    ("Blockers & time", (blockers_chart, time_use_chart)),
    ("Value & ratings", (value_chart, ratings_chart)),
    ("Watermelon board", (board_chart,)),
)


@solara.component
def Chart(model: TwinOrganisations, build: Callable[[TwinOrganisations], go.Figure], active: bool):
    """A plotly chart rebuilt after every step (Mesa's ``update_counter``) while it is shown.

    A chart on a hidden tab keeps its last figure and catches up when its tab
    is opened, so a step costs only the charts in view.  The figure is built
    from one week's state: Play's thread cannot step the model part-way.
    """
    counter = update_counter.get()
    fig = solara.use_memo(
        lambda: model.read(build), dependencies=[model, counter if active else None, active]
    )
    FigurePlotly(fig)


@solara.component
def Inspector(model: TwinOrganisations, active: bool):
    """One person under both policies: traits, beliefs, key results and why."""
    counter = update_counter.get()
    index = solara.use_reactive(0)
    n = model.n_employees
    person = min(index.value, n - 1)  # a Reset may have shrunk the organisation
    stamp = counter if active else None
    views = solara.use_memo(lambda: model.employee(person), [model, person, stamp, active])
    target_fig = solara.use_memo(
        lambda: sized(
            figures.target_choice_figure(model.target_options(person)),
            width=480,
            height=INSPECTOR_HEIGHT,
        ),
        [model, person, stamp, active],
    )
    effort_fig = solara.use_memo(
        lambda: sized(
            figures.effort_split_figure(model.effort_split(person)),
            width=480,
            height=INSPECTOR_HEIGHT,
        ),
        [model, person, stamp, active],
    )
    with solara.Row(gap="12px", classes=["okrsim-inspector"], style={"align-items": "flex-start"}):
        with solara.Column(gap="2px", style={"width": "350px", "flex": "0 0 350px"}):
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
            FigurePlotly(target_fig)
            FigurePlotly(effort_fig)


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


@solara.component
def Main(model: TwinOrganisations):
    """The tabs: headline charts in pairs, the watermelon board, the inspector.

    A tab's charts are created the first time it is opened (each plotly widget
    takes a moment to start in the browser) and then stay: a hidden tab is only
    hidden, because closing a plotly widget while its front end still syncs is
    a page error.
    """
    tab = solara.use_reactive(0)
    opened = solara.use_reactive(frozenset({0}))

    def open_tab(index: int) -> None:
        opened.set(opened.value | {index})
        tab.set(index)

    with solara.Column(gap="4px"):  # one fixed slot: the charts below keep their place
        for note in model.notes:
            solara.Warning(note, dense=True)
    names = [name for name, _ in CHART_TABS] + ["Employee inspector"]
    with solara.v.Tabs(v_model=tab.value, on_v_model=open_tab, height=44, class_="okrsim-tabs"):
        for name in names:
            solara.v.Tab(children=[name])
    for i, (_, builders) in enumerate(CHART_TABS):
        active = tab.value == i
        with solara.Column(
            gap="4px", classes=[f"okrsim-tab-{i}", "" if active else "okrsim-hidden"]
        ):
            if i in opened.value:
                for build in builders:
                    Chart(model, build, active)
    active = tab.value == len(CHART_TABS)
    with solara.Column(
        classes=[f"okrsim-tab-{len(CHART_TABS)}", "" if active else "okrsim-hidden"],
        style={"padding-top": "8px"},
    ):
        if len(CHART_TABS) in opened.value:
            Inspector(model, active)


@solara.component
def Page():  # Solara serves the component named Page
    """One page per browser session, with that session's own twin organisations."""
    defaults = solara.use_memo(initial_parameters, dependencies=[])
    first = solara.use_memo(lambda: TwinOrganisations(**defaults), dependencies=[])
    model: solara.Reactive[TwinOrganisations] = solara.use_reactive(first)
    parameters = solara.use_reactive(defaults)
    weeks_per_step = solara.use_reactive(1)
    play_ms = solara.use_reactive(150)
    use_threads = solara.use_reactive(False)
    solara.Title("okrsim dashboard")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("okrsim: one workforce, two pay policies")
    with solara.Sidebar(), solara.Column(gap="12px"):
        RunCard(model, parameters, weeks_per_step, play_ms, use_threads)
        OrganisationCard("A", parameters)
        OrganisationCard("B", parameters)
        WorldCard(parameters)
    Main(model.value)
