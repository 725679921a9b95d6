"""Figure builders: tidy DataFrames from real runs in, titled plotly Figures out.

The dashboard's builders take a twin-organisation run (two ``OKRModel`` runs,
one seed, two policies); the report's take a small paired comparison.  Each
builder must title the chart in plain words, draw one series per group, and
cope with a run that has not produced the data yet.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from okrsim.dashboard.twins import TwinOrganisations
from okrsim.data_dictionary import metric_title
from okrsim.params import Scenario
from okrsim.report import figures

SMALL_WORLD = {"org.n_teams": 3, "org.team_size": 4, "horizon.quarters": 2}


@pytest.fixture(scope="module")
def twins() -> TwinOrganisations:
    """Decoupled (A) and coupled (B) twins of 12 people, run past their first review."""
    model = TwinOrganisations(world=SMALL_WORLD, seed=3)
    for _ in range(16):
        model.step()
    return model


@pytest.fixture(scope="module")
def fresh() -> TwinOrganisations:
    """Twins before their first week: no data yet."""
    return TwinOrganisations(world=SMALL_WORLD, seed=3)


def groups_drawn(fig: go.Figure) -> set[str]:
    """The twins' labels found in the figure's trace names."""
    return {name.split(":")[0] for name in (t.name or "" for t in fig.data) if ":" in name}


def test_every_dashboard_builder_titles_its_chart_and_draws_both_twins(twins):
    built = {
        "sandbagging": figures.sandbagging_figure(twins.weekly()),
        "progress": figures.progress_figure(twins.weekly(), by="organisation"),
        "blockers": figures.blockers_figure(twins.weekly(), twins.quarterly()),
        "time use": figures.time_use_figure(twins.weekly()),
        "value": figures.value_attainment_figure(twins.weekly(), twins.quarterly()),
        "ratings": figures.rating_scatter(twins.ratings(), by="organisation"),
        "board": figures.watermelon_figure(twins.board()),
        "target choice": figures.target_choice_figure(twins.target_options(0)),
        "effort split": figures.effort_split_figure(twins.effort_split(0)),
    }
    for name, fig in built.items():
        assert isinstance(fig, go.Figure), name
        assert fig.layout.title.text, f"{name} has no title"
        names = {t.name for t in fig.data}
        assert any(str(n).startswith("A") for n in names), f"{name} lacks organisation A"
        assert any(str(n).startswith("B") for n in names), f"{name} lacks organisation B"


def test_weekly_builders_draw_one_point_per_week(twins):
    fig = figures.sandbagging_figure(twins.weekly())
    assert [len(t.x) for t in fig.data] == [16, 16]
    fig = figures.time_use_figure(twins.weekly())
    assert len(fig.data) == 2 * 3  # two organisations × three activities
    assert all(len(t.x) == 16 for t in fig.data)


def test_quarterly_panels_draw_one_point_per_finished_quarter(twins):
    fig = figures.blockers_figure(twins.weekly(), twins.quarterly())
    latency = [t for t in fig.data if t.xaxis == "x2"]
    assert [list(t.x) for t in latency] == [[1], [1]]
    fig = figures.value_attainment_figure(twins.weekly(), twins.quarterly())
    per_quarter = [t for t in fig.data if t.xaxis == "x2"]
    assert [list(t.text) for t in per_quarter] == [["Q1"], ["Q1"]]


def test_builders_show_a_note_until_there_is_data(fresh, twins):
    def notes(fig: go.Figure) -> list[str]:
        return [a.text for a in fig.layout.annotations if a.visible is not False and a.text]

    empty = figures.sandbagging_figure(fresh.weekly())
    assert notes(empty) == ["Targets are set in week 1: press Step"]
    assert notes(figures.sandbagging_figure(twins.weekly())) == []
    assert (
        "Ratings come at the first review"
        in notes(figures.rating_scatter(fresh.ratings(), by="organisation"))[0]
    )
    assert figures.target_choice_figure(fresh.target_options(0)).data == ()
    # the note is there but hidden once data arrives, so a live chart drops it
    live = figures.sandbagging_figure(twins.weekly())
    assert len(live.layout.annotations) == len(empty.layout.annotations)


def test_watermelon_board_draws_one_tile_per_key_result(twins):
    board = twins.board()
    fig = figures.watermelon_figure(board)
    n_krs = 3 * 4 * Scenario().okr.krs_per_person
    for label in twins.labels:
        outer = next(t for t in fig.data if t.name == f"{label}: reported status")
        inner = next(t for t in fig.data if t.name == f"{label}: true status")
        assert len(outer.x) == len(inner.x) == n_krs
        frame = board[board["organisation"] == label]
        assert list(outer.marker.color) == [
            figures.STATUS_COLOURS[c] for c in frame["reported_status"]
        ]
        assert list(inner.marker.symbol) == [
            figures.STATUS_SYMBOLS[c] for c in frame["true_status"]
        ]


def test_status_colours_are_okabe_ito_and_symbols_differ():
    assert set(figures.STATUS_COLOURS[:3]) <= set(figures.PALETTE)
    assert len(set(figures.STATUS_SYMBOLS)) == len(figures.STATUSES)


def test_target_choice_stars_the_option_of_highest_payoff(twins):
    options = twins.target_options(1)
    fig = figures.target_choice_figure(options)
    for label in twins.labels:
        mine = options[options["organisation"] == label]
        star = next(t for t in fig.data if t.name == f"{label}: chosen")
        assert star.y[0] == mine["utility"].max()


@pytest.fixture(scope="module")
def comparison(small_comparison):
    return small_comparison


def test_trajectory_figure_has_a_band_and_a_line_per_scenario_and_metric(comparison):
    fig = figures.trajectory_figure(comparison.quarterly, ["attainment", "true_value"])
    assert fig.layout.title.text
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(lines) == 2 * 2
    assert all(list(t.x) == [1, 2] for t in lines)


def test_a_comparison_charts_beliefs_and_behaviour_over_time(comparison):
    from okrsim.report.pages import TRUST_METRICS, comparison_figures

    titles = [f.layout.title.text for f in comparison_figures(comparison)]
    trust = [t for t in titles if "believe of the policy" in t]
    assert len(trust) == 1
    fig = figures.trajectory_figure(comparison.quarterly, list(TRUST_METRICS), title="over time")
    assert [a.text for a in fig.layout.annotations] == [metric_title(m) for m in TRUST_METRICS]


def test_difference_figure_reads_each_metric_in_its_own_terms(comparison):
    table = comparison.table
    fig = figures.difference_figure(table, ["true_value", "sandbagging_index"])
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "True value delivered<br>(% change)"
    assert titles[1].startswith("Sandbagging of targets")
    row = table[table["metric"] == "true_value"].iloc[0]
    (point,) = [t for t in fig.data if t.xaxis == "x"]
    assert point.y[0] == pytest.approx(row["diff"] / abs(row["mean_a"]))


def test_relative_base_falls_back_to_units_near_zero():
    assert figures.relative_base("true_value", 0.9, [-0.3]) == 0.9
    assert figures.relative_base("blocker_latency_weeks", 0.001, [0.08]) is None
    assert figures.relative_base("goodhart_corr", 0.4, [0.1]) is None


def test_metric_bars_and_effort_follow_the_given_order(comparison):
    order = ["decoupled", "coupled"]
    bars = figures.metric_bars(comparison.runs, "true_value", order=order)
    assert list(bars.data[0].x) == order
    effort = figures.effort_figure(comparison.runs, order=order)
    assert [t.name for t in effort.data] == order


def test_response_figure_bins_a_continuous_setting_and_keeps_a_grid():
    # a random design: 30 distinct couplings, cut into 3 bins at their means
    coupling = [i / 29 for i in range(30)]
    runs = pd.DataFrame({"comp.coupling": coupling, "true_value": [1 - c / 2 for c in coupling]})
    fig = figures.response_figure(runs, "comp.coupling", ["true_value"], bins=3)
    (line,) = fig.data
    assert len(line.x) == 3
    assert list(line.y) == sorted(line.y, reverse=True)
    assert fig.layout.title.text.startswith("How the outcomes respond to comp.coupling")
    # a grid: each value is its own point, one line per value of a category
    grid = pd.DataFrame(
        {
            "comp.coupling": [0.0, 0.5, 1.0] * 4,
            "comp.bonus_curve": ["linear"] * 6 + ["step"] * 6,
            "true_value": [1.0, 0.8, 0.6] * 4,
        }
    )
    fig = figures.response_figure(
        grid, "comp.coupling", ["true_value"], colour_by="comp.bonus_curve"
    )
    # each curve at its settings, a little apart so neither hides the other
    assert [list(t.customdata) for t in fig.data] == [[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]]
    for t in fig.data:
        assert all(abs(x - v) <= 0.02 for x, v in zip(t.x, t.customdata, strict=True))
    assert fig.data[0].x[0] != fig.data[1].x[0]
    assert fig.data[0].line.dash != fig.data[1].line.dash
    assert fig.data[0].marker.symbol != fig.data[1].marker.symbol
    assert [t.name for t in fig.data] == [
        "comp.bonus_curve = linear",
        "comp.bonus_curve = step",
    ]
