"""Figure builders and the self-contained comparison report."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from okrsim.report import figures
from okrsim.report.pages import comparison_report, headline_sentences


@pytest.fixture(scope="module")
def comparison(small_comparison):
    return small_comparison


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


def test_progress_figure_draws_reported_and_true_for_each_scenario(comparison):
    fig = figures.progress_figure(comparison.weekly)
    names = [trace.name for trace in fig.data]
    assert names == ["decoupled: reported", "decoupled: true", "coupled: reported", "coupled: true"]


def test_headlines_state_direction_and_interval(comparison):
    sentences = headline_sentences(comparison.table)
    assert any("true value delivered fell" in s for s in sentences)
    assert all(re.search(r"\[[^\]]+\]", s) for s in sentences)


def test_report_is_self_contained(comparison):
    html = comparison_report(comparison)
    assert html.startswith("<!DOCTYPE html>")
    assert "docs/ODD.md" in html
    assert "3 paired replications" in html
    # nothing is loaded from elsewhere (plotly.js is inlined; links inside it are text)
    assert not re.search(r"""<(script|img|iframe)[^>]+src=["']https?://""", html)
    assert not re.search(r"""<link[^>]+href=["']https?://""", html)
    assert html.count("<script") >= 2
