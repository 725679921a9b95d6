"""Analysis: t-intervals, Sobol'/Morris wiring, PRIM, and the written CSV + HTML.

The SALib wiring is checked on functions with known answers (Ishigami's
Sobol' indices, a linear function's elementary effects); PRIM on a planted
box; the end-to-end analysis on small sweeps of the real model.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from okrsim.cli import main
from okrsim.experiments.analysis import analyze, mean_ci, morris_table, sobol_table
from okrsim.experiments.design import morris_sample, sobol_sample
from okrsim.experiments.executors import SerialBackend
from okrsim.experiments.plan import plan_sweep
from okrsim.experiments.prim import prim, select_box
from okrsim.experiments.spec import Axis
from okrsim.experiments.sweep import run_sweep
from okrsim.experiments.sweep_store import Store
from okrsim.params import ScenarioError

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.toml"


def cli(*argv: str) -> int:
    """``okrsim ARGV`` in this process, through the real entry point."""
    return main(list(argv))


# -- statistics on known answers ---------------------------------------------------


def test_mean_ci_is_the_student_t_interval() -> None:
    x = [1.0, 2.0, 4.0, 7.0]
    n, mean, sd, lo, hi = mean_ci(x)
    expected = stats.t.interval(0.95, 3, loc=np.mean(x), scale=stats.sem(x))
    assert (n, mean, sd) == (4, 3.5, pytest.approx(np.std(x, ddof=1)))
    assert (lo, hi) == pytest.approx(expected)


def test_mean_ci_of_one_value_has_no_interval_and_ignores_nan() -> None:
    n, mean, _, lo, hi = mean_ci([2.0, math.nan])
    assert (n, mean) == (1, 2.0)
    assert math.isnan(lo)
    assert math.isnan(hi)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function() -> None:
    axes = tuple(Axis(f"x{i}", "float", low=-math.pi, high=math.pi) for i in (1, 2, 3))
    sample = sobol_sample(axes, 1024, np.random.default_rng(1))
    table = sobol_table(axes, {"y": ishigami(sample)}, seed=1)[0].set_index("input")
    # Analytic values (Ishigami & Homma 1990; a = 7, b = 0.1).
    assert table["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert (table["S1_conf"] > 0).all()
    assert (table["S1_conf"] < 0.1).all()


def test_morris_ranks_inputs_of_a_linear_function_by_slope() -> None:
    axes = tuple(Axis(k, "float", low=0.0, high=1.0) for k in ("a", "b", "c"))
    sample = morris_sample(axes, 20, np.random.default_rng(2), levels=4)
    y = 5 * sample[:, 0] + 1 * sample[:, 1] + 0 * sample[:, 2]
    table = morris_table(axes, sample, {"y": y}, levels=4).set_index("input")
    assert table["mu_star"].to_numpy() == pytest.approx([5.0, 1.0, 0.0], abs=1e-9)
    assert table["sigma"].to_numpy() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_prim_recovers_a_planted_box() -> None:
    rng = np.random.default_rng(3)
    inputs = pd.DataFrame(
        {
            "a": rng.uniform(0, 1, 2000),
            "b": rng.uniform(0, 1, 2000),
            "c": rng.choice(["x", "y", "z"], 2000),
            "noise": rng.uniform(0, 1, 2000),
        }
    )
    interest = (inputs["a"] > 0.6) & (inputs["b"] < 0.5) & (inputs["c"] != "z")
    boxes = prim(inputs, interest)
    coverages = [b.coverage for b in boxes]
    masses = [b.mass for b in boxes]
    assert coverages[0] == 1.0
    assert boxes[0].density == pytest.approx(interest.mean())
    assert masses == sorted(masses, reverse=True)
    best = select_box(boxes, min_coverage=0.8)
    assert best.density > 0.8
    assert set(best.restricted) == {"a", "b", "c"}
    assert best.limits["a"][0] == pytest.approx(0.6, abs=0.05)
    assert best.limits["b"][1] == pytest.approx(0.5, abs=0.05)
    assert best.limits["c"] == ("x", "y")


# -- analysis of stored sweeps of the real model ---------------------------------


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "sweep"
    run_sweep(plan_sweep(TINY), out, SerialBackend(), progress=False)
    return out


def test_point_means_csv_and_self_contained_html(tiny_sweep: Path) -> None:
    result = analyze(tiny_sweep)
    means = pd.read_csv(result.csvs["point_means"])
    assert len(means) == 6 * 5  # points × metrics
    # Undefined values (a correlation when every rating is equal) are left out of n.
    assert (means.loc[means["metric"] == "true_value", "n"] == 3).all()
    assert means["n"].between(0, 3).all()
    runs = Store.open(tiny_sweep).read_runs()
    for row in means.sample(8, random_state=1).itertuples():
        values = runs.loc[runs["point_id"] == row.point_id, row.metric]
        n, mean, _, lo, hi = mean_ci(values)
        assert row.n == n
        assert [row.mean, row.ci_low, row.ci_high] == pytest.approx([mean, lo, hi], nan_ok=True)
    defined = means[means["n"] >= 2]
    assert (defined["ci_low"] <= defined["mean"]).all()
    assert (defined["mean"] <= defined["ci_high"]).all()
    page = result.html.read_text()
    assert "<script>/**\n* plotly.js v" in page  # plotly.js itself is in the page
    assert not re.search(r"<script[^>]*\bsrc=", page)  # nothing fetched when opened
    assert "Design-point means" in page


def test_where_discovers_the_planted_region(tiny_sweep: Path) -> None:
    result = analyze(tiny_sweep, where="`comp.coupling` >= 0.5")
    box = result.prim_box
    assert box is not None
    assert (box.coverage, box.density) == (1.0, 1.0)
    assert box.limits["comp.coupling"] == (0.5, 1.0)
    assert box.restricted == ("comp.coupling",)
    trajectory = pd.read_csv(result.csvs["prim_trajectory"])
    assert {"coverage", "density", "mass", "box"} <= set(trajectory.columns)
    assert "Scenario discovery (PRIM)" in result.html.read_text()


def test_bad_where_or_metric_is_an_input_error(tiny_sweep: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot be evaluated"):
        analyze(tiny_sweep, where="happiness > 1")
    with pytest.raises(ScenarioError, match="unknown metric 'happiness'"):
        analyze(tiny_sweep, metrics=["happiness"])


def test_analyze_command_prints_point_means_files_and_box(
    tiny_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli(
            "analyze", str(tiny_sweep), "--metric", "true_value", "--where", "`comp.coupling` < 0.5"
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "analysis.html" in out
    assert "prim: '`comp.coupling` < 0.5'" in out
    # The main table: one line per design point with its swept values and mean.
    lines = out.splitlines()
    assert lines[0].startswith("mean of each metric per design point")
    assert lines[1].split() == ["point_id", "comp.coupling", "comp.bonus_curve", "true_value"]
    means = pd.read_csv(tiny_sweep / "analysis" / "point_means.csv")
    for (_, row), line in zip(means.iterrows(), lines[2:8], strict=True):
        assert line.split() == [
            str(row["point_id"]),
            f"{row['comp.coupling']:.3f}",
            row["comp.bonus_curve"],
            f"{row['mean']:.3f}",
        ]


def sensitivity_file(tmp_path: Path, design: str, samples: int, extra: str = "") -> Path:
    path = tmp_path / f"{design}.toml"
    path.write_text(
        textwrap.dedent(f"""
        [experiment]
        name = "{design}"
        design = "{design}"
        samples = {samples}
        replications = 2
        seed = 11
        {extra}

        [set]
        org.n_teams = 2
        horizon.quarters = 2

        [axes]
        comp.coupling = {{low = 0, high = 1}}
        behaviour.honesty_cost_mean = {{low = 0.2, high = 4}}

        [outcomes]
        metrics = ["sandbagging_index", "true_value"]
    """)
    )
    return path


@pytest.mark.slow
def test_sobol_analysis_of_a_sobol_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    run_sweep(
        plan_sweep(sensitivity_file(tmp_path, "sobol", 4)), out, SerialBackend(), progress=False
    )
    assert cli("analyze", str(out)) == 0
    printed = capsys.readouterr()
    assert "base sample N = 4 is small" in printed.err
    assert printed.out.startswith("Sobol indices")
    assert "behaviour.honesty_cost_mean" in printed.out
    table = pd.read_csv(out / "analysis" / "sobol.csv")
    assert set(table["input"]) == {"comp.coupling", "behaviour.honesty_cost_mean"}
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    assert (table["replications_averaged"] == 2).all()
    assert "Sobol indices" in (out / "analysis.html").read_text()


@pytest.mark.slow
def test_morris_analysis_of_a_morris_sweep(tmp_path: Path) -> None:
    out = tmp_path / "m"
    run_sweep(
        plan_sweep(sensitivity_file(tmp_path, "morris", 3, "levels = 4")),
        out,
        SerialBackend(),
        progress=False,
    )
    result = analyze(out)
    assert result.morris is not None
    assert set(result.morris["input"]) == {"comp.coupling", "behaviour.honesty_cost_mean"}
    assert (result.morris["mu_star"] >= 0).all()
    assert (out / "analysis" / "morris.csv").is_file()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 4), st.booleans()), min_size=5, max_size=80),
    st.floats(0.02, 0.3),
)
def test_prim_boxes_are_nested_and_their_limits_describe_them(
    cases: list[tuple[float, int, bool]], alpha: float
) -> None:
    inputs = pd.DataFrame({"x": [c[0] for c in cases], "k": [f"c{c[1]}" for c in cases]})
    interest = np.array([c[2] for c in cases])
    boxes = prim(inputs, interest, alpha=alpha)
    previous = np.ones(len(cases), dtype=bool)
    for box in boxes:
        lo, hi = box.limits["x"]
        inside = inputs["x"].between(lo, hi) & inputs["k"].isin(box.limits["k"])
        assert int(inside.sum()) == box.n_points
        assert not (inside & ~previous).any()  # each box lies within the one before
        assert 0 <= box.density <= 1
        if interest.any():
            assert box.coverage == pytest.approx(interest[inside].sum() / interest.sum())
        previous = inside.to_numpy()


@given(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=50))
def test_sampled_values_stay_in_their_axis(unit: list[float]) -> None:
    x = np.array(unit)
    ints = Axis("okr.krs_per_person", "int", low=1, high=4)
    lo, hi = ints.sample_bounds()
    assert set(ints.from_sample(lo + x * (hi - lo))) <= {1, 2, 3, 4}
    floats = Axis("comp.coupling", "float", low=0.2, high=0.6)
    assert all(0.2 <= v <= 0.6 for v in floats.from_sample(0.2 + x * 0.4))
    cats = Axis("comp.bonus_curve", "category", values=("linear", "step", "none"))
    assert set(cats.from_sample(x)) <= {"linear", "step", "none"}
