"""The dashboard's charts dressed for a room, its preset guide, and its exports (no browser)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from okrsim.dashboard import charts
from okrsim.dashboard.guide import GENERAL_TIP, guide, header
from okrsim.dashboard.twins import TwinOrganisations, presets_dir
from okrsim.params import WEEKS_PER_QUARTER

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
SMALL = {"org.n_teams": 3, "org.team_size": 4, "horizon.quarters": 2}


@pytest.fixture(scope="module")
def twins() -> TwinOrganisations:
    """A quarter run, with B switching to decoupled pay from quarter 2."""
    m = TwinOrganisations(
        str(LIBRARY / "decoupled.toml"), str(LIBRARY / "coupled.toml"), world=SMALL, seed=1
    )
    for _ in range(WEEKS_PER_QUARTER):
        m._wrapped_step()
    m.switch("B", {**m.settings["levers_b"], "comp.coupling": 0.0})
    return m


@pytest.mark.parametrize("tab", charts.CHART_TABS, ids=lambda t: t.export)
def test_every_chart_is_sized_and_lettered_for_a_room(twins, tab):
    fig = charts.presented(tab.build(twins), 1000, 500, span=charts.weeks(twins))
    assert (fig.layout.width, fig.layout.height) == (1000, 500)
    assert fig.layout.title.text
    assert fig.layout.font.size >= charts.FONT_PX
    assert fig.layout.title.font.size >= charts.FONT_PX
    assert fig.layout.legend.font.size >= charts.FONT_PX
    assert all(a.font.size >= charts.FONT_PX for a in fig.layout.annotations)
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        assert axis.tickfont.size >= charts.FONT_PX
    rows = list(csv.DictReader(io.StringIO(charts.figure_csv(fig))))
    assert rows, "the export holds the chart's numbers"
    assert {r["chart"] for r in rows} == {fig.layout.title.text}


def test_week_charts_mark_each_review_and_the_scheduled_switch(twins):
    fig = charts.ambition_chart(twins)
    reviews = [s for s in fig.layout.shapes if s.name == "review"]
    assert sorted(s.x0 for s in reviews) == [13, 26]
    switch = [s for s in fig.layout.shapes if s.name == "policy change B"]
    assert [s.x0 for s in switch] == [WEEKS_PER_QUARTER]
    assert [a.text for a in fig.layout.annotations if a.name == "policy change B"] == ["B switches"]
    assert not [s for s in charts.ratings_chart(twins).layout.shapes]  # not a week axis


def test_the_board_counts_every_key_result_and_shows_a_sample(twins):
    board = twins.board()
    counts = charts.board_counts(board)
    per_org = 3 * 4 * 2
    assert counts["key results"].tolist() == [per_org, per_org]
    reported = counts[[c for c in counts if c.startswith("reported ")]].sum(axis=1)
    assert reported.tolist() == [per_org, per_org]
    fig = charts.large_tiles(charts.board_chart(twins), 1200, 460)
    tiles = [t for t in fig.data if t.name.endswith("reported status")]
    assert all(len(t.x) == 2 * min(charts.BOARD_SAMPLE, 12) for t in tiles)
    # 24 tiles in rows of 8, two boards side by side: each tile is large (the report's: 20 px)
    assert all(t.marker.size >= 40 for t in tiles)
    inner = [t for t in fig.data if t.name.endswith("true status")]
    assert [t.marker.size for t in inner] == [t.marker.size / 2 for t in tiles]


def test_the_readouts_name_their_metrics_with_the_key_in_the_tooltip():
    labels = charts.readout_labels()
    assert set(labels) == {"attainment", "true_value", "honesty", "trust"}
    for key, (title, tooltip) in labels.items():
        assert "_" not in title
        assert tooltip.split(":")[0].endswith(key if key not in ("honesty", "trust") else "")


def test_every_shipped_preset_has_a_guide_with_its_own_question():
    shipped = sorted(p.stem for p in presets_dir().glob("*.toml"))
    for name in shipped:
        g = guide(presets_dir() / f"{name}.toml")
        assert g.about
        # each preset says what to try and what to notice itself
        assert (g.try_this, g.notice) != GENERAL_TIP, name
        assert "Try:" not in g.question
        assert "Notice:" not in g.question
        if name != "baseline":
            assert g.question.endswith("?"), name


def test_a_file_outside_the_library_gets_its_header_and_general_advice(tmp_path):
    ours = tmp_path / "ours.toml"
    ours.write_text(
        "# Our policy: pay on output.\n# Question: does it work?\n[comp]\ncoupling = 1.0\n"
    )
    assert header(ours) == ("Our policy: pay on output.", "does it work?")
    g = guide(ours)
    assert (g.try_this, g.notice) == GENERAL_TIP
