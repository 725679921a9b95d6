"""One colour per policy, never a status colour, and a plain title for every metric.

The colours and titles are shared by every report and the dashboard, so these
tests hold the rules they promise: Okabe–Ito colours only, a policy's colour
fixed by its position (the reference always blue), status colours reserved for
statuses, and a title for each metric that is not its snake_case key.
"""

from __future__ import annotations

import pandas as pd

from okrsim.data_dictionary import METRIC_TITLES, metric_title, metric_tooltip
from okrsim.metrics import METRICS
from okrsim.report import figures, palette


def test_policy_and_status_colours_are_okabe_ito_and_never_shared():
    assert set(palette.POLICY_COLOURS) <= set(palette.OKABE_ITO)
    assert set(palette.STATUS_COLOURS[:3]) <= set(palette.OKABE_ITO)
    assert not set(palette.POLICY_COLOURS) & set(palette.STATUS_COLOURS)
    assert len(set(palette.STATUS_SYMBOLS)) == len(palette.STATUSES)


def test_a_policys_colour_is_its_position_so_the_reference_is_always_blue():
    one = palette.policy_colours(["decoupled", "coupled"])
    two = palette.policy_colours(["decoupled", "coupled", "informed"])
    assert one["decoupled"] == two["decoupled"] == "#0072B2"
    assert one["coupled"] == two["coupled"]
    assert len(set(two.values())) == 3
    # beyond five policies the colour repeats and the dash differs
    assert palette.policy_colour(5) == palette.policy_colour(0)
    assert palette.policy_dash(5) != palette.policy_dash(0)


def test_the_effort_chart_colours_bars_by_policy_not_by_activity():
    runs = pd.DataFrame(
        {
            "scenario": ["a", "b"],
            "help_share": [0.1, 0.05],
            "bau_share": [0.2, 0.1],
            "exploration_share": [0.05, 0.02],
        }
    )
    fig = figures.effort_figure(runs, order=["a", "b"])
    colours = [t.marker.color for t in fig.data]
    assert colours == [palette.policy_colour(0), palette.policy_colour(1)]
    assert list(fig.data[0].x) == ["helping", "non-OKR work", "exploring"]


def test_every_metric_has_a_plain_title_and_a_tooltip_with_its_key():
    assert set(METRIC_TITLES) == set(METRICS)
    for metric in METRICS:
        title = metric_title(metric)
        assert "_" not in title
        assert title[0].isupper()
        assert metric_tooltip(metric).startswith(f"{metric}: {METRICS[metric]}")
    assert len(set(METRIC_TITLES.values())) == len(METRIC_TITLES)
    assert metric_title("not_a_metric") == "not_a_metric"
