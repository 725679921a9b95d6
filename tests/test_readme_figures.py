"""The README's headline figures are what ``make demo`` prints.

The default organisation's column of the headline table is the comparison
``make demo`` runs (``scenarios/coupled.toml`` against ``decoupled.toml``, 20
paired replications, seed 2026), rounded once from the full figures: a model
change that moves them must move the README with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from okrsim.comparison import compare
from okrsim.params import Scenario

ROOT = Path(__file__).resolve().parents[1]
#: README row → metric, for the rows given to three decimals.
ROWS = {
    "true value per employee-week": "true_value",
    "sandbagging index": "sandbagging_index",
    "reporting bias (share of target)": "reporting_bias",
    "time spent helping (share)": "help_share",
    "hours (intensity, 1 = a normal week)": "intensity",
}


def shown(x: float) -> str:
    """A figure as the README writes it: sign, three decimals, a true minus sign."""
    return f"{x:+.3f}".replace("-", "−")


def default_column() -> dict[str, str]:
    """The headline table's default-organisation cell of each row in :data:`ROWS`."""
    cells = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) == 4 and parts[0] in ROWS:
            cells[parts[0]] = parts[1]
    return cells


@pytest.mark.slow
def test_the_readme_headline_column_is_what_make_demo_prints():
    scenarios = {
        name: Scenario.from_toml(ROOT / "scenarios" / f"{name}.toml")
        for name in ("decoupled", "coupled")
    }
    table = compare(scenarios, reps=20, seed=2026).table.set_index("metric")
    cells = default_column()
    assert set(cells) == set(ROWS)
    for row, metric in ROWS.items():
        diff, low, high = table.loc[metric, ["diff", "ci_low", "ci_high"]]
        figure = re.sub(r"\*\*", "", cells[row]).split(" (")[0]
        assert figure == f"{shown(diff)} [{shown(low)}, {shown(high)}]", row
