"""The leadership report as its reader sees it, in headless Debian Chromium.

A comparison report, a sweep report and the sweep's analysis page are made by
the ``okrsim`` commands (tiny organisations, in-process) and opened offline:
the executive summary on the first screen, a tooltip with the key on every
metric title, both levels and paired-run counts in the table, a glossary and
the "what this is and is not" note; charts that show everything (the progress
chart to the horizon's last week, difference charts with x-labels and no dot
outside its plot, sweep curves that do not hide each other); one style for all
pages; the weight the page states is its size; and ``--pdf`` prints it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import OUTPUT_DIR, VIEWPORT, WatchedPage

from okrsim.cli import HEADLINE_METRICS, main
from okrsim.data_dictionary import metric_title

pytest_plugins = ["browser_plugin"]

TINY = "[org]\nn_teams = 3\nteam_size = 6\n[horizon]\nquarters = 4\n"
SWEEP = (
    '[experiment]\nname = "tiny_coupling"\ndesign = "grid"\nreplications = 2\nseed = 11\n'
    "crn = true\n[set]\norg.n_teams = 2\norg.team_size = 4\nhorizon.quarters = 2\n"
    "[axes]\ncomp.coupling = {low = 0, high = 1, steps = 3}\n"
    'comp.bonus_curve = ["linear", "floor_cap"]\n'
)


#: Charts drawn wider or taller than their box, or sticking out of the page's width
#: (a long page scrolls, so unlike the dashboard the viewport's height is no frame).
_CUT_CHARTS_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(el => {
    const chart = el.getBoundingClientRect();
    const page = document.body.getBoundingClientRect();
    const cut = Array.from(el.querySelectorAll('svg.main-svg')).some(svg => {
        const b = svg.getBoundingClientRect();
        return b.left < chart.left - 1 || b.right > chart.right + 1
            || b.top < chart.top - 1 || b.bottom > chart.bottom + 1;
    }) || chart.left < page.left - 1 || chart.right > page.right + 1;
    return cut ? [(el.layout.title && el.layout.title.text) || '(untitled)'] : [];
})
"""


def cut_charts(page: Any) -> list[str]:
    """Titles of the charts whose drawing does not fit their box or the page's width."""
    return list(page.evaluate(_CUT_CHARTS_JS))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A comparison report (HTML and PDF), a sweep report and the sweep's analysis page."""
    root = tmp_path_factory.mktemp("report-browser")
    decoupled, coupled = root / "decoupled.toml", root / "coupled.toml"
    decoupled.write_text(TINY + "[comp]\ncoupling = 0.0\n")
    coupled.write_text(TINY + "[comp]\ncoupling = 0.8\n")
    report = root / "report.html"
    run = ["--reps", "4", "--seed", "3", "--workers", "1"]
    assert main(["report", str(decoupled), str(coupled), *run, "--out", str(report), "--pdf"]) == 0
    experiment = root / "sweep.toml"
    experiment.write_text(SWEEP)
    swept = root / "swept"
    args = ["sweep", str(experiment), "-o", str(swept), "--executor", "serial", "--no-progress"]
    assert main(args) == 0
    assert main(["analyze", str(swept)]) == 0
    sweep_report = root / "sweep.html"
    assert main(["report", str(swept), "--out", str(sweep_report)]) == 0
    return {
        "comparison": report,
        "pdf": report.with_suffix(".pdf"),
        "sweep": sweep_report,
        "analysis": swept / "analysis.html",
    }


@pytest.fixture
def view(chromium: Any) -> Iterator[Any]:
    """``view(path, width=...)``: the page opened offline in a new context, watched."""
    contexts: list[Any] = []

    def _open(path: Path, *, width: int = VIEWPORT["width"], media: str = "screen") -> Any:
        context = chromium.new_context(viewport={"width": width, "height": VIEWPORT["height"]})
        contexts.append(context)
        watched = WatchedPage(context.new_page()).attach()
        requested: list[str] = []
        watched.page.on("request", lambda r: requested.append(r.url))
        watched.page.emulate_media(media=media)
        watched.page.goto(path.as_uri())
        watched.page.wait_for_load_state("load")
        watched.page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot').length"
            " === document.querySelectorAll('.plotly-graph-div').length"
        )
        watched.assert_clean()
        assert requested == [path.as_uri()], f"the page requested {requested}"
        return watched

    yield _open
    for context in contexts:
        context.close()


def test_the_executive_summary_is_on_the_first_screen(view, pages):
    watched = view(pages["comparison"])
    page = watched.page
    summary = page.locator("section.summary").first.bounding_box()
    assert summary is not None
    assert summary["y"] < VIEWPORT["height"] / 2  # right under the title and the question
    top = page.locator("section.summary ol.top > li")
    assert 1 <= top.count() <= 3
    first_finding = top.first.bounding_box()
    assert first_finding is not None
    assert first_finding["y"] + first_finding["height"] <= VIEWPORT["height"]
    chart = page.locator(".js-plotly-plot").first.bounding_box()
    assert chart is not None
    assert chart["y"] > summary["y"] + summary["height"]
    assert page.locator("section.summary .watch li").count() >= 2
    watched.screenshot("report-summary")


def test_every_metric_title_has_its_key_in_a_tooltip(view, pages):
    page = view(pages["comparison"]).page
    tips = page.eval_on_selector_all(
        "table.findings td:first-child span[title]",
        "els => els.map(e => [e.textContent, e.getAttribute('title')])",
    )
    assert [t for t, _ in tips] == [metric_title(m) for m in HEADLINE_METRICS]
    for (_, tip), metric in zip(tips, HEADLINE_METRICS, strict=True):
        assert tip.startswith(f"{metric}: ")
    rows = page.locator("table.findings tr").all_inner_texts()[1:]
    assert all("→" in r and "paired runs" in r for r in rows)
    assert page.locator("#glossary").is_visible()
    assert page.locator("dl.glossary dt").count() >= len(HEADLINE_METRICS)
    about = page.locator("#about + p").inner_text()
    assert about.startswith("It is a model, not a measurement")
    why = page.get_by_role("heading", name="Why rating accuracy can point the other way in a sweep")
    assert why.is_visible()
    meta = page.locator("#meta").inner_text()
    assert re.search(r"okrsim \S+ · root seed 3 · 4 paired runs · generated \d{4}-", meta)


def test_charts_show_everything_at_the_reading_width(view, pages):
    page = view(pages["comparison"]).page
    assert cut_charts(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"]  # nothing sticks out sideways
    # the progress chart runs to the horizon's last week (4 quarters = 52 weeks)
    progress = page.locator(".js-plotly-plot", has_text="Reported vs true progress")
    ticks = progress.locator(".xtick text").evaluate_all("els => els.map(e => e.textContent)")
    assert ticks[-1] == "52"
    # the difference chart: every panel labels its dot, and no dot leaves its panel
    diff = page.locator(".js-plotly-plot").first
    labels = diff.evaluate(
        """el => Array.from(el.querySelectorAll('g[class^="x"][class$="tick"] text'))
            .map(t => t.textContent)"""
    )
    assert labels == ["coupled"] * len(HEADLINE_METRICS)  # one labelled dot per panel
    outside = diff.evaluate(
        """el => {
            const svg = el.querySelector('svg.main-svg').getBoundingClientRect();
            let checked = 0;
            const out = Array.from(el.querySelectorAll('.cartesianlayer .subplot')).flatMap(sp => {
                const id = Array.from(sp.classList).find(c => /^x\\d*y\\d*$/.test(c));
                const [, xn, yn] = id.match(/^x(\\d*)y(\\d*)$/);
                const xa = el._fullLayout['xaxis' + xn], ya = el._fullLayout['yaxis' + yn];
                const left = svg.left + xa._offset, top = svg.top + ya._offset;
                const right = left + xa._length, bottom = top + ya._length;
                const marks = sp.querySelectorAll('.point, .errorbar path');
                checked += marks.length;
                return Array.from(marks).filter(m => {
                    const b = m.getBoundingClientRect();
                    return b.left < left - 1 || b.right > right + 1
                        || b.top < top - 1 || b.bottom > bottom + 1;
                }).map(() => id);
            });
            return {checked, out};
        }"""
    )
    assert outside["checked"] >= 2 * len(HEADLINE_METRICS)  # a dot and its interval each
    assert outside["out"] == []


def test_sweep_curves_stay_apart_and_changes_read_from_the_start(view, pages):
    page = view(pages["sweep"]).page
    assert cut_charts(page) == []
    response = page.locator(".js-plotly-plot", has_text="How the outcomes respond to comp.coupling")
    dashes = response.evaluate(
        """el => Array.from(el.querySelectorAll('.scatterlayer .trace .js-line'))
            .map(l => l.style.strokeDasharray || 'solid')"""
    )
    assert len(set(dashes)) >= 2  # linear and floor_cap: one solid, one dashed
    symbols = response.evaluate(
        """el => Array.from(el.querySelectorAll('.scatterlayer .trace'))
            .map(t => (t.querySelector('.point') || {getAttribute: () => ''}).getAttribute('d'))"""
    )
    assert len(set(symbols)) >= 2  # and different markers
    method = page.locator("#method + p").inner_text()
    assert "not from the sweep's mean" in method
    assert page.locator("section.summary").is_visible()


def test_one_style_for_every_page_and_the_stated_weight_is_the_size(view, pages):
    styles = []
    for kind in ("comparison", "sweep", "analysis"):
        page = view(pages[kind]).page
        styles.append(page.evaluate("document.querySelector('style').textContent"))
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in font, kind
        weight = page.locator("#meta").inner_text().rsplit("weighs ", 1)[1]
        size = pages[kind].stat().st_size
        assert weight == f"{size / 1e6:.1f} MB", kind
        assert size < 5_000_000, kind
        if kind == "analysis":  # the design-point chart: one dash per bonus curve
            dashes = page.evaluate(
                """() => Array.from(document.querySelectorAll('.scatterlayer .trace .js-line'))
                    .map(l => l.style.strokeDasharray || 'solid')"""
            )
            assert len(set(dashes)) >= 2
    assert styles[0] == styles[1] == styles[2]


def test_the_report_prints_to_pdf_and_its_print_layout_fits_a_page(view, pages):
    pdf = pages["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3
    # what Chromium printed: the print style at an A4 page's printable width
    page = view(pages["comparison"], width=700, media="print").page
    assert cut_charts(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 700
    OUTPUT_DIR.mkdir(exist_ok=True)
    (OUTPUT_DIR / "report.pdf").write_bytes(pdf)
