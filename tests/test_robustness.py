"""``okrsim robustness``: policy effects screened, resolved, analysed and reported.

* The paired runner's effect is exactly treated − control on one seed, and
  zero when the two policies are the same (common random numbers).
* The selection rule keeps the top k inputs by μ* per effect, their union,
  and the rule factor.
* experiments/robustness.toml covers every numeric field of its groups with a
  plausible range (holding the default) and a source, or excludes it with a
  reason; its screen plans the runs its header counts.
* The quick variant runs end to end through the real command line on the
  local pool (and on a Dask ``LocalCluster`` on loopback, with the same rows);
  interrupted with Ctrl-C and run again, it completes with every run stored
  once and the rows of an uninterrupted run.
* ``okrsim analyze`` and ``okrsim report`` read it again: Sobol' tables with
  CI columns, PRIM boxes with coverage and density in [0, 1], a page with the
  charts and a markdown summary; every file it writes is in the data dictionary.
* Bad input ends in one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dask_loopback import loopback_cluster
from pandas.testing import assert_frame_equal
from terminal import okrsim_command

from okrsim import data_dictionary as dd
from okrsim import params
from okrsim.cli import main
from okrsim.experiments.effects import paired_effect
from okrsim.experiments.executors import DaskBackend
from okrsim.experiments.robustness import (
    CONCLUSIONS,
    analyze_robustness,
    load_robustness,
    numeric_fields,
    run_robustness,
    select_inputs,
)
from okrsim.experiments.sweep_store import Store
from okrsim.params import Scenario
from okrsim.seeding import RunSeed
from okrsim.simulation import run

REPO = Path(__file__).resolve().parent.parent
FULL = REPO / "experiments" / "robustness.toml"
QUICK = REPO / "experiments" / "robustness_quick.toml"
#: Groups whose every numeric field the full robustness file must cover, once they exist.
WORLD_GROUPS = ("behaviour", "judgment", "env", "assumptions")


def okrsim(*args: str | Path) -> int:
    return main([str(a) for a in args])


def stage_rows(root: Path, stage: str) -> pd.DataFrame:
    return Store.open(root / stage).read_runs()


# -- the paired runner and the selection rule --------------------------------------------


def test_paired_effect_is_treated_minus_control_on_one_seed() -> None:
    scenario = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 2}})
    seed = RunSeed(11, (0, 1))
    effect = paired_effect(
        scenario, seed, treated={"comp.coupling": 1.0}, control={"comp.coupling": 0.0}
    )
    coupled = run(scenario.with_overrides({"comp.coupling": 1.0}), seed)
    decoupled = run(scenario.with_overrides({"comp.coupling": 0.0}), seed)
    for m in ("true_value", "sandbagging_index", "quit_rate"):
        assert effect.summary[m] == coupled.summary[m] - decoupled.summary[m]
        assert effect.final[m] == coupled.final[m] - decoupled.final[m]
    assert effect.quarterly["quarter"].tolist() == [1, 2]
    # the same policy in both arms: the same workforce and shocks, so no effect at all
    same = paired_effect(
        scenario, seed, treated={"comp.coupling": 0.5}, control={"comp.coupling": 0.5}
    )
    finite = [v for v in same.summary.values() if np.isfinite(v)]
    assert finite
    assert all(v == 0.0 for v in finite)


def test_selection_keeps_the_top_k_per_effect_their_union_and_the_rule() -> None:
    morris = pd.DataFrame(
        {
            "metric": ["a"] * 4 + ["b"] * 4,
            "input": ["x", "y", "z", "rule"] * 2,
            "mu_star": [3.0, 2.0, 1.0, 0.0, 0.1, 0.2, 5.0, 0.0],
        }
    )
    chosen = select_inputs(morris, top_k=1, always=["rule"])
    picked = dict(zip(chosen["input"], chosen["selected"], strict=True))
    assert picked == {"x": True, "z": True, "rule": True, "y": False}
    assert chosen.set_index("input").loc["rule", "why"] == "always"
    wider = select_inputs(morris, top_k=2, always=[])
    assert set(wider.loc[wider["selected"], "input"]) == {"x", "y", "z"}


# -- the full experiment file ------------------------------------------------------------


def test_the_full_file_covers_every_numeric_world_parameter_with_a_sourced_range() -> None:
    robustness = load_robustness(FULL)
    groups = robustness.spec.robustness.groups
    for group in WORLD_GROUPS:
        if group in Scenario.model_fields:
            assert group in groups, f"{FULL.name} must cover the {group} group"
    base = robustness.stage_plan("screen").experiment.base.flat()
    for group in groups:
        fields = numeric_fields(group)
        assert fields, group
        for key in fields:
            assert (key in robustness.ranges) != (key in robustness.excluded), key
    for key, r in robustness.ranges.items():
        lo, hi = params.bounds(key)
        assert lo is None or lo <= r.low, key
        assert hi is None or r.high <= hi, key
        assert r.low <= base[key] <= r.high, f"{key}: the default lies outside its range"
        assert r.source.strip(), key
    for key, reason in robustness.excluded.items():
        assert len(reason) > 20, key
    assert robustness.treated == {"comp.coupling": 1.0}
    assert robustness.control == {"comp.coupling": 0.0}
    assert set(robustness.effects) == {
        "true_value", "sandbagging_index", "reporting_bias",
        "help_share", "blocker_latency_weeks", "quit_rate",
    }  # fmt: skip


def test_the_full_screen_plans_the_runs_its_header_counts() -> None:
    robustness = load_robustness(FULL)
    plan = robustness.stage_plan("screen")
    d = len(robustness.inputs())
    assert d == 112
    assert plan.n_runs == 10 * (d + 1) * 2 == 2260
    assert robustness.rule is not None
    assert robustness.rule[0] in plan.keys


# -- the quick variant end to end --------------------------------------------------------


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick variant, run end to end through the command line on a 2-process pool."""
    out = tmp_path_factory.mktemp("quick") / "robust"
    assert okrsim("robustness", "--quick", "--out", out, "--workers", "2", "--no-progress") == 0
    return out


def test_quick_run_stores_every_planned_paired_run_once(quick: Path) -> None:
    record = json.loads((quick / "robustness.json").read_text())
    for stage in ("screen", "resolve"):
        rows = stage_rows(quick, stage)
        info = record["stages"][stage]
        assert rows["run_id"].is_unique
        assert len(rows) == info["runs"]
        assert info["complete"]
        assert Store.open(quick / stage).manifest["plan"]["runner_args"] == {
            "treated": {"comp.coupling": 1.0},
            "control": {"comp.coupling": 0.0},
        }
    assert record["selected"][-1] == "okr.target_rule"
    assert set(stage_rows(quick, "resolve").columns) >= set(record["selected"])


def test_analysis_tables_have_their_shape_and_ci_columns(quick: Path, capsys) -> None:
    assert okrsim("analyze", quick) == 0
    printed = capsys.readouterr().out
    assert "Sobol indices of each effect" in printed
    assert "prim: coupling_raises" in printed
    result = analyze_robustness(quick)
    selected = result.selection.loc[result.selection["selected"], "input"].tolist()
    assert result.sobol is not None
    sobol = result.sobol
    assert list(sobol.columns) == [
        "metric", "input", "replications_averaged", "S1", "S1_conf", "ST", "ST_conf",
    ]  # fmt: skip
    varying = sobol["metric"].unique()
    assert len(sobol) == len(varying) * len(selected)
    assert set(sobol["input"]) == set(selected)
    assert np.isfinite(sobol[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    assert (sobol[["S1_conf", "ST_conf"]] >= 0).all().all()
    morris = result.morris
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(morris.columns)
    assert set(morris["input"]) == set(result.record["inputs"])
    signs = result.signs
    assert set(signs["rule"]) == {"all", "self_set", "negotiated", "ratchet"}
    assert set(signs["stage"]) == {"screen", "resolve"}
    assert len(signs) == 2 * 4 * len(result.record["effects"])
    assert signs["robust_sign"].isin(["+", "−", "0", "mixed"]).all()


def test_prim_boxes_have_coverage_and_density_in_the_unit_interval(quick: Path) -> None:
    result = analyze_robustness(quick)
    assert set(result.prim) == set(CONCLUSIONS)
    for traj, box in result.prim.values():
        holds = traj["density"].iloc[0] > 0  # the full box: the share of points where it holds
        for column in ("density", "mass", *(["coverage"] if holds else [])):
            assert traj[column].between(0, 1).all(), column
        assert 0 <= box.density <= 1
        if holds:
            assert 0 <= box.coverage <= 1
            assert traj["coverage"].iloc[0] == 1.0  # the full box holds every case
        else:  # no case to cover: coverage is undefined, and no peel can help
            assert np.isnan(box.coverage)
            assert len(traj) == 1
    boxes = pd.read_csv(quick / "analysis" / "prim_box.csv")
    assert set(boxes["conclusion"]) == set(CONCLUSIONS)


def test_report_renders_the_charts_and_writes_the_summary(quick: Path, tmp_path: Path) -> None:
    (quick / "summary.md").unlink()
    page = tmp_path / "robustness.html"
    assert okrsim("report", quick, "--out", page) == 0
    text = page.read_text()
    assert text.count("Plotly.newPlot") >= 3  # Sobol' bars and one PRIM chart per conclusion
    assert "coverage vs density" in text
    assert "error_y" in text  # CI whiskers on the Sobol' bars
    assert "<script src=" not in text  # self-contained
    summary = (quick / "summary.md").read_text()
    for heading in (
        "Which conclusions hold, and which flip",
        "Where they flip (PRIM boxes)",
        "Which assumptions dominate each effect",
        "The run",
    ):
        assert f"## {heading}" in summary
    assert "coupling raises true value" in summary
    assert "local × 2" in summary


def test_a_run_stopped_before_the_sobol_stage_is_analysed_from_its_screen(
    quick: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "screen_only"
    shutil.copytree(quick, copy)
    shutil.rmtree(copy / "resolve")
    assert okrsim("analyze", copy) == 0
    assert not (copy / "analysis" / "sobol.csv").exists()  # none left from the full analysis
    assert okrsim("report", copy, "--out", tmp_path / "page.html") == 0
    summary = (copy / "summary.md").read_text()
    assert "(screen only)" in summary


def test_every_file_the_command_writes_is_in_the_data_dictionary(quick: Path) -> None:
    files = [
        p
        for p in quick.rglob("*")
        if p.is_file() and p.suffix in {".csv", ".json"} and not p.name.startswith(".")
    ]
    top = [p for p in files if p.parent == quick or p.parent == quick / "analysis"]
    assert len(top) == 7
    for path in top:
        key = f"robustness/{path.relative_to(quick).as_posix()}"
        entry = dd.data_file(key)
        names = (
            list(json.loads(path.read_text()))
            if path.suffix == ".json"
            else list(pd.read_csv(path, nrows=0).columns)
        )
        documented = {c[0] for c in entry.columns}
        assert set(names) <= documented, (key, set(names) - documented)


def test_dask_local_cluster_gives_the_pool_rows(quick: Path, tmp_path: Path) -> None:
    # one worker process with two threads: the cheapest real cluster on loopback
    with loopback_cluster(n_workers=1, threads_per_worker=2) as cluster:
        backend = DaskBackend(cluster.scheduler_address)
        try:
            run_robustness(
                load_robustness(QUICK), tmp_path / "dask", backend, progress=False, say=str
            )
        finally:
            backend.close()
    for stage in ("screen", "resolve"):
        assert_frame_equal(
            stage_rows(tmp_path / "dask", stage), stage_rows(quick, stage), check_exact=True
        )


# -- interrupted and resumed ---------------------------------------------------------------


def test_interrupted_run_resumes_without_losing_or_duplicating_runs(
    quick: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resumed"
    command = okrsim_command("robustness", "--quick", "--out", str(out))
    command += ["--workers", "1", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        command, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not list((out / "screen" / "runs").glob("part-*.parquet")):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "no runs stored in 60 s"
            time.sleep(0.005)
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    planned = sum(len(stage_rows(quick, stage)) for stage in ("screen", "resolve"))
    stored = sum(
        len(stage_rows(out, stage))
        for stage in ("screen", "resolve")
        if (out / stage / "manifest.json").is_file()
    )
    assert 0 < stored < planned

    second = subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True)
    assert second.returncode == 0, second.stderr
    assert "already stored)" in second.stdout
    for stage in ("screen", "resolve"):
        rows = stage_rows(out, stage)
        assert rows["run_id"].is_unique
        assert_frame_equal(rows, stage_rows(quick, stage), check_exact=True)
    record = json.loads((out / "robustness.json").read_text())
    assert sum(info["sessions"] for info in record["stages"].values()) >= 3
    assert (out / "report.html").is_file()
    assert (out / "summary.md").is_file()


# -- bad input -----------------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = QUICK.read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("behaviour.honesty_cost_mean =", "behaviour.honesty_costs =", "parameters.behaviour"),
        ("low = 0.3, high = 4.0, source", "low = 0.3, high = 40.0, source", "outside the key"),
        ("low = 0.35, high = 1.0, source", "low = 0.9, high = 0.8, source", "must be below"),
        (', source = "as robustness.toml"}', "}", "source"),
        ('"true_value",', '"true_values",', "unknown metric"),
        ("samples = 4", "samples = 6", "power of 2"),
        ('"okr.target_rule" = [', '"comp.coupling" = [', "not a categorical"),
        ('"self_set", "negotiated"', '"self_set", "bossy"', "'bossy' is not one of"),
        ('treated = {"comp.coupling" = 1.0}', 'treated = {"comp.coupling" = 1.5}', "contrast"),
        ('statistic = "mean"', 'statistic = "mean"\ngroups = ["env"]', "env.blocker_severity"),
        ("trajectories = 3", "trajectories = 3\nspeed = 2", "screen.speed"),
        ("[set]", "[set]\ncomp.coupling = 0.5", "set.comp.coupling: also set by the contrast"),
    ],
)
def test_a_bad_file_is_one_error_line(tmp_path: Path, capsys, old, new, expected) -> None:
    path = _broken(tmp_path, old, new)
    assert okrsim("robustness", path, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err, err
    assert not (tmp_path / "out").exists()  # nothing ran


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--quick", str(QUICK)], "FILE or --quick"),
        (["--quick", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers"),
        (["nowhere.toml"], "no such robustness file"),
        (["--quick", "--workers", "0"], "--workers"),
    ],
)
def test_bad_flags_are_one_error_line(tmp_path: Path, capsys, args, expected) -> None:
    assert okrsim("robustness", *args, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert expected in err, err


def test_a_robustness_file_given_to_sweep_says_which_command_runs_it(capsys) -> None:
    assert okrsim("sweep", QUICK, "--dry-run") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "run it with okrsim robustness" in err


def test_another_file_into_the_same_directory_is_refused(quick: Path, tmp_path: Path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(quick, copy)
    path = _broken(tmp_path, "seed = 1414", "seed = 1415")
    assert okrsim("robustness", path, "--out", copy) == 2
    assert "different file" in capsys.readouterr().err
    assert okrsim("analyze", copy, "--where", "true_value > 0") == 2
    assert "robustness directory" in capsys.readouterr().err
