"""The dashboard projected in a room, in Debian's Chromium: sizes, zoom, and a facilitator's run.

Three screens a workshop meets: a 1280×720 projector, a 1920×1080 screen,
and a 1280×720 projector at 150 % browser zoom.  Browser zoom at 150 % lays
the page out in a 853×480 CSS-pixel window drawn at 1.5 device pixels per
CSS pixel, which is what the third context is.  At each, the charts must fill
the space under the readouts, keep every text at 20 px or more, and be drawn
whole (``clipped_charts``).  The screenshots go to ``test-output/``, or to
``docs/`` for the README with ``OKRSIM_UPDATE_DOCS=1`` (``make screenshots``),
so a test run leaves the tracked pictures alone.

The walk-through is a new facilitator's first run, as one test: load, pick a
preset, play, switch policy mid-run, run to the end, export, using the
keyboard shortcuts along the way.  Its screenshots go where the others do.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    SOLARA_OFFLINE_ENV,
    Server,
    WatchedPage,
    clipped_charts,
    dashboard_command,
    mesa_button,
    mesa_time,
    plotly_traces,
    serve,
    set_slider,
    wait_for,
)
from playwright.sync_api import expect

pytest_plugins = ["browser_plugin"]
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: Where the pictures go: the README's (docs/) only when asked to refresh them.
DOCS = ROOT / ("docs" if os.environ.get("OKRSIM_UPDATE_DOCS") == "1" else "test-output")
LOAD_TIMEOUT_MS = 60_000
VALUE = "Measured success vs true value delivered"
COUPLING = "How much of the rating the OKR score decides"
#: Smallest text on a chart, in CSS pixels (readable at about 4 m from a projection).
MIN_CHART_FONT_PX = 20
#: name, CSS viewport, device pixels per CSS pixel.
SCREENS = (
    ("1280x720", {"width": 1280, "height": 720}, 1.0),
    ("1920x1080", {"width": 1920, "height": 1080}, 1.0),
    ("1280x720-zoom150", {"width": 853, "height": 480}, 1.5),
)

_LAYOUT_JS = """
() => {
    const box = (el) => { const r = el.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                width: r.width, height: r.height}; };
    const charts = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .filter((el) => el.getBoundingClientRect().width > 0);
    const texts = charts.flatMap((el) => Array.from(el.querySelectorAll('svg text')))
        .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
        .map((t) => parseFloat(getComputedStyle(t).fontSize));
    const reset = Array.from(document.querySelectorAll('button'))
        .find((b) => b.textContent.trim() === 'Reset');
    return {
        charts: charts.map(box),
        stage: box(document.querySelector('.okrsim-stage')),
        readouts: box(document.querySelector('.okrsim-readouts')),
        reset: reset ? box(reset) : null,
        smallest: Math.min(...texts),
        window: {width: window.innerWidth, height: window.innerHeight},
    };
}
"""


@pytest.fixture(scope="module")
def dashboard() -> Iterator[Server]:
    command = dashboard_command()
    with serve(command, env=SOLARA_OFFLINE_ENV, name="okrsim-dashboard-room") as server:
        yield server


@pytest.fixture
def screen(chromium: Any) -> Iterator[Any]:
    """``screen(url, viewport, scale)``: a fresh session in a window of that size."""
    contexts: list[Any] = []

    def _open(url: str, viewport: dict[str, int], scale: float = 1.0) -> WatchedPage:
        context = chromium.new_context(
            viewport=viewport, device_scale_factor=scale, accept_downloads=True
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        watched = WatchedPage(context.new_page()).attach()
        watched.page.goto(url)
        expect(mesa_time(watched.page)).to_have_text("Time: 0.0", timeout=LOAD_TIMEOUT_MS)
        wait_for(lambda: shown_titles(watched.page), lambda t: t == [VALUE], what="first chart")
        return watched

    yield _open
    for context in contexts:
        context.close()


def shown_titles(page: Any) -> list[str]:
    """Titles of the charts in view (a hidden tab's charts have no size)."""
    sizes = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(el => el.getBoundingClientRect().width > 0)"
    )
    charts = plotly_traces(page)
    if len(charts) != len(sizes):
        return []
    return [c["title"] for c, shown in zip(charts, sizes, strict=True) if shown]


def laid_out(page: Any, stage_width: float) -> dict[str, Any]:
    """The page's layout once the chart has been resized to the stage the browser reports."""
    return wait_for(
        lambda: page.evaluate(_LAYOUT_JS),
        lambda got: (
            len(got["charts"]) >= 1
            and abs(got["charts"][0]["width"] - got["stage"]["width"]) <= 2
            and abs(got["charts"][0]["height"] - got["stage"]["height"]) <= 2
            and got["stage"]["width"] >= stage_width
        ),
        timeout_s=20.0,
        what="the chart sized to its stage",
    )


def save(page: Any, name: str) -> Path:
    """A small PNG of the page (``<DOCS>/<name>.png``)."""
    DOCS.mkdir(exist_ok=True)
    path = DOCS / f"{name}.png"
    page.wait_for_timeout(400)  # the last redraw lands before the picture
    page.screenshot(path=str(path), scale="css")
    return path


def test_charts_fill_each_screen_unclipped_with_room_sized_text(screen, dashboard):
    for name, viewport, scale in SCREENS:
        dash = screen(dashboard.url, viewport, scale)
        page = dash.page
        assert page.title() == "okrsim"
        # a window narrower than a 1280 screen starts with the control panel closed
        panel_open = viewport["width"] >= 1200
        expect(page.locator(".okrsim-panel")).to_be_visible(visible=panel_open)
        layout = laid_out(page, 0.6 * viewport["width"] if panel_open else 0.9 * viewport["width"])
        chart, stage, window = layout["charts"][0], layout["stage"], layout["window"]
        assert window == viewport
        # the chart fills the stage under the readouts and the tabs, and stays inside the window
        assert chart["height"] >= stage["height"] - 2  # (as laid_out waited for)
        assert stage["height"] >= 0.4 * viewport["height"]
        assert chart["right"] <= window["width"] + 1
        assert chart["bottom"] <= window["height"] + 1
        assert layout["readouts"]["bottom"] <= chart["top"]  # the big numbers come first
        assert layout["smallest"] >= MIN_CHART_FONT_PX
        assert layout["reset"] is not None
        assert layout["reset"]["bottom"] <= window["height"]
        assert clipped_charts(page) == [], name
        save(page, f"dashboard-{name}")
        dash.assert_clean()
    # zoomed in, the open panel takes the window (it never lies over a chart), a lever
    # moved in card B leaves Reset and the panel's button in view, and hiding the panel
    # brings the charts back whole
    page.get_by_role("button", name="Panel").click()
    expect(page.locator(".okrsim-stage")).to_be_hidden()
    b_card = page.locator(".okrsim-org-b")
    slider = b_card.get_by_role("slider", name=COUPLING)
    slider.scroll_into_view_if_needed()
    slider.focus()
    slider.press("ArrowLeft")
    expect(page.get_by_text("Settings changed: press Reset to apply them.")).to_be_visible()
    for button in (mesa_button(page, "reset"), page.get_by_role("button", name="Hide panel")):
        expect(button).to_be_in_viewport(ratio=1.0)
    page.get_by_role("button", name="Hide panel").click()
    expect(page.locator(".okrsim-stage")).to_be_visible()
    laid_out(page, 0.9 * SCREENS[-1][1]["width"])
    assert clipped_charts(page) == []


def test_labels_are_plain_language_with_the_key_in_the_tooltip(screen, dashboard):
    dash = screen(dashboard.url, {"width": 1280, "height": 720})
    b_card = dash.page.locator(".okrsim-org-b")
    label = b_card.locator(".okrsim-key", has_text=COUPLING)
    expect(label).to_be_visible()
    assert (label.get_attribute("title") or "").startswith("comp.coupling: ")
    expect(dash.page.get_by_text("comp.coupling", exact=True)).to_have_count(0)
    # the readouts name the metric and keep its key in the tooltip
    header = dash.page.locator(".okrsim-readouts th", has_text="Reported OKR attainment")
    assert (header.get_attribute("title") or "").startswith("attainment")
    # after a lever in card B moves, Reset is in view whatever the panel scrolls to
    b_card.get_by_role("button", name=re.compile(r"^all \d+ levers$")).click()
    last = b_card.get_by_role("slider").last
    last.scroll_into_view_if_needed()
    last.focus()
    last.press("ArrowRight")
    dash.settle()
    expect(dash.page.get_by_text("Settings changed: press Reset to apply them.")).to_be_visible()
    expect(mesa_button(dash.page, "reset")).to_be_in_viewport()
    dash.assert_clean()


def _readout(page: Any, org: str, key: str) -> str:
    return page.locator(f".okrsim-readout-{org} .okrsim-{key}").inner_text()


def _chart(page: Any, title: str) -> dict[str, Any]:
    return page.evaluate(
        """(title) => { const el = Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find((e) => e.layout && e.layout.title && e.layout.title.text === title);
            return el ? {annotations: (el.layout.annotations || []).map(a => a.text),
                         shapes: (el.layout.shapes || []).length} : null; }""",
        title,
    )


def test_a_facilitators_first_run(screen, dashboard):
    """Load, pick a preset, play, switch policy mid-run, run to the end, export."""
    dash = screen(dashboard.url, {"width": 1280, "height": 720})
    page = dash.page  # as it loads: the first of the screens test (docs/dashboard-1280x720.png)

    # pick a preset for B: its guide says what to try and what to notice
    page.locator(".okrsim-org-b .okrsim-preset").click()
    page.get_by_role("option", name="ratchet", exact=True).click()
    expect(page.locator(".okrsim-org-b .okrsim-guide")).to_contain_text("Try this:")
    expect(page.locator(".okrsim-org-b .okrsim-guide")).to_contain_text("Weitzman")
    dash.settle()
    unfocus(page)
    page.keyboard.press("r")  # Reset: B is now the ratchet preset
    expect(page.locator(".okrsim-readout-b .okrsim-readout-name")).to_have_text("B: ratchet")

    # play with the space bar at full speed, a quarter per step, then pause mid-run
    set_slider(page, "speed", 5)
    set_slider(page, "weeks per step", 13)
    dash.settle()
    unfocus(page)  # a focused slider keeps its keys
    page.keyboard.press(" ")
    wait_for(lambda: _week(page), lambda w: w >= 26, timeout_s=60.0, what="two quarters")
    page.keyboard.press(" ")
    expect(mesa_button(page, "play")).to_be_visible()
    week = wait_for(lambda: _still(page), lambda w: w is not None, what="Play to stop")
    assert 26 <= week < 104
    wait_for(lambda: _readout(page, "b", "attainment"), lambda t: t.endswith("%"), what="Q1")
    save(page, "walkthrough-playing")

    # switch B to decoupled pay from the next quarter, mid-run
    b_card = page.locator(".okrsim-org-b")
    set_slider(b_card, COUPLING, 0.0)
    coupling = b_card.locator(".okrsim-slider", has_text=COUPLING).locator(".okrsim-value")
    expect(coupling).to_have_text("0.00")  # drawn by the server: the value has arrived
    b_card.get_by_role("button", name="Switch from next quarter").click()
    quarter = -(-week // 13) + 1  # the quarter after the one under way
    expect(
        b_card.get_by_text(f"B switches policy at the start of quarter {quarter}.")
    ).to_be_visible()
    wait_for(
        lambda: _chart(page, VALUE),
        lambda c: c is not None and "B switches" in c["annotations"],
        what="the switch marked on the chart",
    )

    # run to the end with the keyboard: the run stops at its horizon, and ▶ there does nothing
    unfocus(page)
    page.keyboard.press("e")
    expect(mesa_time(page)).to_have_text("Time: 104.0", timeout=60_000)
    expect(page.get_by_role("button", name="Run to end")).to_be_disabled()
    save(page, "walkthrough-end")
    page.keyboard.press(" ")
    expect(mesa_button(page, "step")).to_be_disabled()
    expect(mesa_time(page)).to_have_text("Time: 104.0")
    expect(page.get_by_text("Settings changed")).to_have_count(0)  # the switch is in force
    marks = _chart(page, VALUE)
    assert marks is not None
    assert marks["shapes"] >= 8 + 1  # eight reviews and the switch

    # export the chart in view: its numbers as CSV, its picture as PNG
    with page.expect_download() as got:
        page.get_by_role("button", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text())))
    assert got.value.suggested_filename == "okrsim-measured-vs-true.csv"
    assert {r["trace"] for r in rows} >= {"A: decoupled", "B: ratchet"}
    assert max(float(r["x"]) for r in rows if r["trace"] == "B: ratchet") == 104
    with page.expect_download() as got:
        page.locator(".okrsim-png").click()
    assert got.value.suggested_filename == "okrsim-measured-vs-true.png"
    assert Path(got.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # r resets to week 0 with B as it now stands; → steps (a quarter at a time here)
    unfocus(page)
    page.keyboard.press("r")
    expect(mesa_time(page)).to_have_text("Time: 0.0")
    page.keyboard.press("ArrowRight")
    expect(mesa_time(page)).to_have_text("Time: 13.0")
    assert clipped_charts(page) == []
    dash.assert_clean()


def _still(page: Any) -> int | None:
    """The week, once the clock has stood still for a second (Play's last step landed)."""
    before = _week(page)
    page.wait_for_timeout(1000)
    return before if _week(page) == before else None


def unfocus(page: Any) -> None:
    """Take the focus off any control, so the page's shortcuts hear the next key."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def _week(page: Any) -> int:
    text = mesa_time(page).inner_text()
    return int(float(text.removeprefix("Time: ")))
