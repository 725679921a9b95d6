"""The browser harness drives a real Mesa SolaraViz page offline in Debian's Chromium.

Serves the throwaway counter model in ``tests/_toy_dashboard.py`` with ``solara run``
on a loopback port and checks what the okrsim dashboard tests will rely on: the page
loads with no errors and nothing fetched from outside, Mesa's Step / Play / Pause /
Reset buttons and a parameter slider work, the plotly chart's data can be read from
the DOM, and two browser sessions each get their own model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    Server,
    clipped_charts,
    mesa_button,
    mesa_time,
    plotly_traces,
    serve_solara,
    set_slider,
    wait_for,
)
from playwright.sync_api import expect

pytest_plugins = ["browser_plugin"]
pytestmark = pytest.mark.slow

TOY_APP = Path(__file__).with_name("_toy_dashboard.py")
LOAD_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def toy_server() -> Iterator[Server]:
    with serve_solara(TOY_APP, name="toy-dashboard") as server:
        yield server


def open_toy(open_page, toy_server):
    """A fresh session on the toy page, once SolaraViz has rendered its model."""
    watched = open_page(toy_server.url)
    expect(mesa_time(watched.page)).to_have_text("Time: 0.0", timeout=LOAD_TIMEOUT_MS)
    return watched


def count_series(page) -> list[float] | None:
    """The one chart's one series; None while a redraw briefly shows old and new traces."""
    charts = plotly_traces(page)
    if len(charts) != 1 or len(charts[0]["traces"]) != 1:
        return None
    return charts[0]["traces"][0]["y"]


def wait_for_series(page, expected: list[float]) -> list[float]:
    return wait_for(lambda: count_series(page), lambda y: y == expected, what=f"y == {expected}")


def test_page_loads_offline_without_errors(open_page, toy_server):
    toy = open_toy(open_page, toy_server)
    wait_for(lambda: plotly_traces(toy.page), lambda charts: len(charts) == 1, what="the chart")

    (chart,) = plotly_traces(toy.page)
    assert chart["title"] == "Count per step"
    wait_for_series(toy.page, [0])
    for which in ("reset", "play", "step"):
        expect(mesa_button(toy.page, which)).to_be_enabled()
    assert clipped_charts(toy.page) == []
    toy.page.wait_for_load_state("networkidle")
    toy.screenshot("toy-dashboard")
    toy.assert_clean()


def test_step_advances_the_counter_and_the_chart(open_page, toy_server):
    toy = open_toy(open_page, toy_server)

    mesa_button(toy.page, "step").click()
    expect(mesa_time(toy.page)).to_have_text("Time: 1.0")
    mesa_button(toy.page, "step").click()
    expect(mesa_time(toy.page)).to_have_text("Time: 2.0")

    wait_for_series(toy.page, [0, 1, 2])
    toy.assert_clean()


def test_play_runs_until_pause(open_page, toy_server):
    toy = open_toy(open_page, toy_server)

    mesa_button(toy.page, "play").click()
    expect(mesa_button(toy.page, "step")).to_be_disabled()  # no stepping while playing
    expect(mesa_time(toy.page)).not_to_have_text("Time: 0.0")
    mesa_button(toy.page, "pause").click()
    expect(mesa_button(toy.page, "step")).to_be_enabled()

    # Mesa's play thread may finish the step it was sleeping before (100 ms play
    # interval) after the pause click, so let it settle before reading the time.
    toy.page.wait_for_timeout(400)
    paused_at = mesa_time(toy.page).inner_text()
    toy.page.wait_for_timeout(500)  # several play intervals
    expect(mesa_time(toy.page)).to_have_text(paused_at)
    toy.assert_clean()


def test_changed_parameter_takes_effect_on_reset(open_page, toy_server):
    toy = open_toy(open_page, toy_server)
    mesa_button(toy.page, "step").click()
    expect(mesa_time(toy.page)).to_have_text("Time: 1.0")

    set_slider(toy.page, "Increment per step", 3)
    toy.settle()  # the slider's value must reach the server before Reset
    mesa_button(toy.page, "reset").click()
    expect(mesa_time(toy.page)).to_have_text("Time: 0.0")
    mesa_button(toy.page, "step").click()

    expect(mesa_time(toy.page)).to_have_text("Time: 1.0")
    wait_for_series(toy.page, [0, 3])
    toy.assert_clean()


def test_two_sessions_have_independent_models(open_page, toy_server):
    first = open_toy(open_page, toy_server)
    second = open_toy(open_page, toy_server)

    for _ in range(3):
        mesa_button(first.page, "step").click()
    expect(mesa_time(first.page)).to_have_text("Time: 3.0")
    wait_for_series(first.page, [0, 1, 2, 3])

    # the other session's model has not moved ...
    expect(mesa_time(second.page)).to_have_text("Time: 0.0")
    wait_for_series(second.page, [0])
    # ... and stepping it starts from its own state, not from the first one's
    mesa_button(second.page, "step").click()
    expect(mesa_time(second.page)).to_have_text("Time: 1.0")
    wait_for_series(second.page, [0, 1])

    mesa_button(second.page, "reset").click()
    expect(mesa_time(second.page)).to_have_text("Time: 0.0")
    expect(mesa_time(first.page)).to_have_text("Time: 3.0")
    wait_for_series(first.page, [0, 1, 2, 3])

    first.assert_clean()
    second.assert_clean()


def test_watcher_reports_outside_requests_and_page_errors(open_page):
    html = "<img src='https://cdn.example.org/logo.png'><script>throw new Error('boom')</script>"
    watched = open_page(f"data:text/html,{html}")
    watched.page.wait_for_load_state("load")

    assert watched.outside_requests == ["https://cdn.example.org/logo.png"]
    assert any("boom" in error for error in watched.page_errors)
    assert any("cdn.example.org" in failed for failed in watched.failed_requests)
    with pytest.raises(AssertionError, match="requests to outside hosts"):
        watched.assert_clean()
