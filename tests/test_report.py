"""The comparison report's words and charts, built from a small paired comparison.

What a leadership reader needs, checked on the HTML and the figures without a
browser (tests/test_report_browser.py opens the same pages in Chromium): an
executive summary first, both levels beside every change, paired-run counts
instead of Cohen's d, every metric the console shows, a glossary, a "what this
is and is not" note, version, seed and date, and charts that show everything.
"""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from okrsim import __version__
from okrsim.cli import HEADLINE_METRICS
from okrsim.data_dictionary import metric_title
from okrsim.params import Comp
from okrsim.report import figures, wording
from okrsim.report.pages import comparison_report


@pytest.fixture(scope="module")
def comparison(small_comparison):
    return small_comparison


@pytest.fixture(scope="module")
def html(comparison) -> str:
    return comparison_report(comparison)


def test_figure_builders_return_titled_figures(comparison):
    built = [
        figures.progress_figure(comparison.weekly),
        figures.series_figure(comparison.weekly, ["help_share", "bau_share"], "Effort"),
        figures.effort_figure(comparison.runs),
        figures.difference_figure(comparison.table),
        figures.metric_bars(comparison.runs, "true_value"),
    ]
    for fig in built:
        assert isinstance(fig, go.Figure)
        assert fig.layout.title.text
        assert len(fig.data) >= 1


def test_progress_figure_draws_reported_and_true_over_the_whole_horizon(comparison):
    fig = figures.progress_figure(comparison.weekly)
    names = [trace.name for trace in fig.data]
    assert names == ["decoupled: reported", "decoupled: true", "coupled: reported", "coupled: true"]
    last = int(comparison.weekly["week"].max())
    assert last == 26  # two quarters
    assert all(max(t.x) == last for t in fig.data)
    assert list(fig.layout.xaxis.range) == [1, last]


def test_the_report_opens_with_the_executive_summary(html):
    body = html[html.index("<body>") :]
    summary = body.index("Executive summary")
    assert summary < body.index("Policies compared") < body.index('<h2 id="charts">')
    # a setting is named by its plain title, its key beside it
    title = Comp.model_fields["coupling"].title
    assert f"<b>What changes.</b> {title}" in body
    assert "(<code>comp.coupling</code>): 0 → 0.8" in body
    top = re.search(r'<ol class="top">(.*?)</ol>', body, re.S)
    assert top is not None
    assert len(re.findall("<li>", top.group(1))) == 3
    assert "What to watch out for." in body


def test_the_three_findings_are_ranked_by_size(comparison):
    found = wording.findings(
        comparison.table, comparison.runs, "decoupled", "coupled", HEADLINE_METRICS
    )
    top = wording.ranked(found)
    assert len(top) == 3
    assert [f.size for f in top] == sorted((f.size for f in top), reverse=True)
    assert all(f.clear for f in top)
    assert top[0].size >= max(f.size for f in found if f.clear)


def test_every_change_shows_both_levels_and_how_many_paired_runs_agree(html, comparison):
    table = html[html.index('<table class="findings">') : html.index("</table>")]
    rows = re.findall(r"<tr[^>]*><td>.*?</tr>", table, re.S)
    assert len(rows) == len(HEADLINE_METRICS)
    for row in rows:
        assert "→" in row
        assert re.search(r"(higher|lower) in \d.* of \d paired runs|the same in all \d", row)
    assert "cohens_d" not in html
    assert "mean_a" not in html
    assert wording.change("blocker_latency_weeks", 0.19, 0.39) == "0.19 → 0.39 weeks (+105 %)"


def test_every_metric_the_console_shows_is_in_the_report_by_its_title(html):
    for metric in HEADLINE_METRICS:
        assert f">{metric_title(metric)}</span>" in html, metric
        assert f"<code>{metric}</code>" in html, metric  # in the glossary, by its key
    for metric in ("stress", "hidden_blocker_share", "watermelon_share"):
        assert f'title="{metric}: ' in html


def test_plain_units_weeks_value_and_people(comparison):
    found = wording.findings(
        comparison.table, comparison.runs, "decoupled", "coupled", HEADLINE_METRICS
    )
    by = {f.metric: f for f in found}
    assert wording.level("blocker_latency_weeks", 0.19) == "0.19 weeks"
    assert wording.level("help_share", 0.1) == "10 % of the week (4.0 h)"
    assert wording.level("intensity", 1.1) == "44.0 hours a week"
    people = wording.people_a_year(by["quit_rate"], 96)
    assert people is not None
    assert people.endswith("people leaving a year out of 96")


def test_glossary_caveat_version_seed_and_date(html):
    assert '<h2 id="glossary">Glossary</h2>' in html
    assert "<dt>paired run <code>replication</code></dt>" in html
    assert '<h2 id="about">What this is and is not</h2>' in html
    assert "It is a model, not a measurement" in html
    assert "24 people in 3 teams of 8, simulated week by week for 2 quarters" in html
    meta = re.search(r'<p class="meta" id="meta">(.*?)</p>', html)
    assert meta is not None
    assert f"okrsim {__version__}" in meta.group(1)
    assert "root seed 2" in meta.group(1)
    assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", meta.group(1))


def test_the_page_says_what_it_weighs_and_stays_under_5_mb(html):
    size = len(html.encode())
    assert size < 5_000_000
    assert f"this file weighs {size / 1e6:.1f} MB" in html
    assert html.count("plotly.js v") == 1  # the library once, not per chart
    assert "include_plotlyjs" not in html


def test_the_rating_accuracy_disagreement_is_explained(html):
    assert "Why rating accuracy can point the other way in a sweep" in html
    assert "experiments/coupling_sweep.toml" in html


def test_the_report_is_self_contained(html):
    assert html.startswith("<!DOCTYPE html>")
    assert "docs/ODD.md" in html
    assert "3 paired replications" in html
    # nothing is loaded from elsewhere (plotly.js is inlined; links inside it are text)
    assert not re.search(r"""<(script|img|iframe)[^>]+src=["']https?://""", html)
    assert not re.search(r"""<link[^>]+href=["']https?://""", html)


def test_the_report_date_is_fixed_by_source_date_epoch(comparison, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert "generated 2023-11-14 22:13 UTC" in comparison_report(comparison)
