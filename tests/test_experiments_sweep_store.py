"""The sweep store: tidy Parquet rows, failures recorded, resume, rerun, series.

Every test runs the real model (``okrsim.simulation.run``) on the tiny experiment
(2 teams × 2 quarters).  ``flaky_run`` wraps the real model and raises for
one planted design point, to show that a failing run is recorded and does
not stop the others.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from okrsim import provenance
from okrsim.cli import main
from okrsim.experiments.executors import ChunkResult, PoolBackend, SerialBackend, run_chunk
from okrsim.experiments.plan import plan_sweep
from okrsim.experiments.sweep import ChunkSizer, run_sweep
from okrsim.experiments.sweep_store import Store, StoreWarning
from okrsim.params import Scenario, ScenarioError
from okrsim.seeding import RunSeed
from okrsim.simulation import RunResult, run

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.toml"
FLAKY = f"{Path(__file__).stem}:flaky_run"
FAIL_SWITCH = "OKRSIM_TEST_PLANTED_FAILURE"


def flaky_run(scenario: Scenario, seed: RunSeed) -> RunResult:
    """The real model, except that replication 1 at coupling 0.5 raises.

    With ``OKRSIM_TEST_PLANTED_FAILURE=off`` in the environment it never raises
    (to show that ``--retry-failed`` completes a sweep).
    """
    planted = scenario.comp.coupling == 0.5 and RunSeed.of(seed).spawn_key[-1] == 1
    if planted and os.environ.get(FAIL_SWITCH) != "off":
        raise RuntimeError("planted failure at coupling 0.5, replication 1")
    return run(scenario, seed)


def cli(*argv: str) -> int:
    """``okrsim ARGV`` in this process, through the real entry point."""
    return main(list(argv))


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny experiment, swept serially once for the tests that only read it."""
    out = tmp_path_factory.mktemp("tiny") / "sweep"
    run_sweep(plan_sweep(TINY), out, SerialBackend(), progress=False)
    return out


def test_rows_are_tidy_and_complete(tiny_sweep: Path) -> None:
    runs = Store.open(tiny_sweep).read_runs()
    plan = plan_sweep(TINY)
    assert list(runs.columns) == [
        "run_id",
        "point_id",
        "replication",
        "seed_entropy",
        "spawn_key",
        "comp.coupling",
        "comp.bonus_curve",
        *plan.experiment.metrics,
    ]
    assert runs["run_id"].tolist() == list(range(18))
    assert (runs["point_id"] == runs["run_id"] // 3).all()
    assert (runs["replication"] == runs["run_id"] % 3).all()
    assert (runs["seed_entropy"] == 20240611).all()
    assert set(runs["spawn_key"]) == {"0/0", "0/1", "0/2"}  # crn: one seed per replication
    assert runs["comp.coupling"].dtype == "float64"


def test_duckdb_and_pandas_read_the_same_rows(tiny_sweep: Path) -> None:
    pattern = str(tiny_sweep / "runs" / "*.parquet")
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{pattern}') ORDER BY run_id")
    assert relation is not None
    via_duckdb = relation.df()
    via_pandas = pd.read_parquet(tiny_sweep / "runs").sort_values("run_id").reset_index(drop=True)
    assert len(via_duckdb) == 18
    assert_frame_equal(via_duckdb, via_pandas, check_dtype=False, check_exact=True)


def test_store_layout_has_manifest_design_and_no_temporary_files(tiny_sweep: Path) -> None:
    store = Store.open(tiny_sweep)
    manifest = store.manifest
    assert manifest["design_hash"] == plan_sweep(TINY).design_hash
    assert manifest["status"]["state"] == "complete"
    assert manifest["experiment"]["experiment"]["name"] == "tiny"
    assert {"numpy", "mesa", "pyarrow"} <= set(manifest["versions"])
    assert manifest["computed_on"] == [provenance.environment()]
    assert len(store.read_design()) == 6
    assert pq.read_table(tiny_sweep / "failures.parquet").num_rows == 0
    assert not list(tiny_sweep.rglob("*.tmp"))


def test_a_run_that_raises_is_recorded_and_the_others_complete(tmp_path: Path) -> None:
    plan = plan_sweep(TINY, runner=FLAKY)
    backend = PoolBackend(workers=2)
    try:
        summary = run_sweep(plan, tmp_path / "s", backend, chunk_size=2, progress=False)
    finally:
        backend.close()
    assert (summary.done, summary.failed) == (16, 2)
    store = Store.open(tmp_path / "s")
    failures = store.read_failures()
    assert failures["run_id"].tolist() == [7, 10]  # coupling 0.5 × {linear, step}, replication 1
    assert failures["comp.coupling"].tolist() == [0.5, 0.5]
    assert all("planted failure" in tb for tb in failures["traceback"])
    assert failures["parameters"].iloc[0] == '{"comp.bonus_curve": "linear", "comp.coupling": 0.5}'
    runs = store.read_runs()
    assert len(runs) == 16
    assert not set(runs["run_id"]) & {7, 10}


def test_retry_failed_completes_the_sweep_exactly(
    tmp_path: Path, tiny_sweep: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_sweep(TINY, runner=FLAKY)
    out = tmp_path / "s"
    run_sweep(plan, out, SerialBackend(), progress=False)
    assert len(Store.open(out).read_failures()) == 2
    monkeypatch.setenv(FAIL_SWITCH, "off")
    summary = run_sweep(plan, out, SerialBackend(), resume=True, retry_failed=True, progress=False)
    assert (summary.already, summary.done, summary.failed) == (16, 2, 0)
    assert Store.open(out).read_failures().empty
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_resume_of_a_complete_sweep_runs_nothing(tmp_path: Path, tiny_sweep: Path) -> None:
    out = tmp_path / "s"
    run_sweep(plan_sweep(TINY), out, SerialBackend(), chunk_size=4, progress=False)
    summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (18, 0)
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_sweep_into_an_existing_sweep_needs_resume(tiny_sweep: Path) -> None:
    with pytest.raises(ScenarioError, match="already holds a sweep; pass --resume"):
        run_sweep(plan_sweep(TINY), tiny_sweep, SerialBackend(), progress=False)


def test_resume_refuses_a_different_experiment(tiny_sweep: Path, tmp_path: Path) -> None:
    changed = tmp_path / "tiny.toml"
    changed.write_text(
        TINY.read_text()
        .replace("seed = 20240611", "seed = 5")
        .replace("org.n_teams = 2", "org.n_teams = 3")
    )
    with pytest.raises(ScenarioError) as info:
        run_sweep(plan_sweep(changed), tiny_sweep, SerialBackend(), resume=True, progress=False)
    message = str(info.value)
    assert f"{tiny_sweep}: cannot resume" in message
    assert "seed" in message
    assert "base scenario org.n_teams" in message


def _began_with_source(source: str | None, tiny_sweep: Path, out: Path) -> Path:
    """A copy of the tiny sweep whose manifest says it began with ``source`` (``None``: a
    sweep begun before okrsim's code was recorded)."""
    shutil.copytree(tiny_sweep, out)
    store = Store.open(out)
    versions = dict(store.manifest["versions"])
    if source is None:
        del versions[provenance.SOURCE]
    else:
        versions[provenance.SOURCE] = source
    store.write_manifest({**store.manifest, "versions": versions})
    return out


def test_resume_refuses_other_okrsim_code_and_keeps_the_runs(
    tiny_sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs of two models do not mix: resumed by other code than it began with, a sweep
    (even a complete one, as ``okrsim validate --out`` resumes its sweeps) is an input
    error that names both and leaves what is stored untouched."""
    out = _began_with_source("0123456789abcdef", tiny_sweep, tmp_path / "s")
    before = Store.open(out).read_runs()
    assert cli("sweep", str(TINY), "-o", str(out), "--resume", "--executor", "serial") == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    here = provenance.versions()[provenance.SOURCE]
    assert f"{out}: cannot resume: its runs were computed by other okrsim code" in line
    assert f"okrsim source 0123456789abcdef ≠ {here} here" in line
    assert "sweep into a new directory" in line
    assert_frame_equal(Store.open(out).read_runs(), before, check_exact=True)


def test_a_sweep_begun_before_the_code_was_recorded_resumes(
    tiny_sweep: Path, tmp_path: Path
) -> None:
    out = _began_with_source(None, tiny_sweep, tmp_path / "s")
    summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (18, 0)
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_rerun_reproduces_a_row_exactly(
    tiny_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("rerun", str(tiny_sweep), "7") == 0
    captured = capsys.readouterr()
    assert "run 7: identical to the stored row" in captured.err
    assert "spawn_key" in captured.out


def test_rerun_detects_a_tampered_row(
    tmp_path: Path, tiny_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    run_sweep(plan_sweep(TINY), out, SerialBackend(), chunk_size=18, progress=False)
    (part,) = (out / "runs").glob("part-*.parquet")
    table = pq.read_table(part).to_pandas()
    table.loc[table["run_id"] == 4, "true_value"] += 1e-12
    table.to_parquet(part, index=False)
    assert cli("rerun", str(out), "4") == 1
    assert "true_value: stored" in capsys.readouterr().err
    assert cli("rerun", str(out), "5") == 0


def test_rerun_of_a_missing_run_id_is_an_input_error(
    tiny_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("rerun", str(tiny_sweep), "99") == 2
    assert "run 99 does not exist (runs are 0 … 17)" in capsys.readouterr().err


def test_quarterly_series_are_stored_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "series.toml"
    path.write_text(
        textwrap.dedent("""
        [experiment]
        name = "series"
        replications = 2
        seed = 3

        [set]
        org.n_teams = 2
        horizon.quarters = 3

        [axes]
        comp.coupling = [0.0, 1.0]

        [outcomes]
        metrics = ["true_value", "sandbagging_index"]
        statistic = "mean"
        series = true
    """)
    )
    out = tmp_path / "s"
    run_sweep(plan_sweep(path), out, SerialBackend(), chunk_size=1, progress=False)
    store = Store.open(out)
    series = store.read_series()
    runs = store.read_runs()
    assert len(series) == 4 * 3
    assert series.groupby("run_id")["quarter"].apply(list).tolist() == [[1, 2, 3]] * 4
    # statistic = "mean": the row holds the mean of its quarterly series.
    means = series.groupby("run_id")["true_value"].mean()
    assert runs.set_index("run_id")["true_value"].to_numpy() == pytest.approx(means.to_numpy())


def test_sweep_command_prints_a_one_line_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert cli("sweep", str(TINY), "-o", str(out), "--executor", "serial") == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tiny: 18 runs done, 0 failed, ")
    assert "runs/s (serial × 1)" in lines[0]
    assert "run/s" in captured.err or "s/run" in captured.err  # tqdm's rate on stderr


def test_dry_run_validates_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert cli("sweep", str(TINY), "-o", str(out), "--dry-run") == 0
    assert "6 points × 3 replications = 18 runs" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--executor", "dask"], "needs --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:1"], "need --executor dask"),
        (["--retry-failed"], "only makes sense with --resume"),
    ],
)
def test_inconsistent_sweep_options_are_input_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("sweep", str(TINY), *argv) == 2
    assert message in capsys.readouterr().err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command, phrase in [("sweep", "--resume"), ("rerun", "RUN_ID"), ("analyze", "--where")]:
        with pytest.raises(SystemExit) as info:
            cli(command, "--help")
        assert info.value.code == 0
        assert phrase in capsys.readouterr().out


def test_two_drivers_never_write_to_one_directory(tmp_path: Path) -> None:
    out = tmp_path / "s"
    with Store(out).lock(), pytest.raises(ScenarioError, match="another sweep is writing"):
        run_sweep(plan_sweep(TINY), out, SerialBackend(), progress=False)


def test_a_running_sweep_whose_driver_is_gone_reads_as_interrupted(
    parted: Path, tmp_path: Path
) -> None:
    out, _ = damaged_copy(parted, tmp_path)
    store = Store.open(out)
    assert store.manifest["status"]["state"] == "running"  # as a killed driver leaves it
    assert store.state == "interrupted"
    with Store(out).lock():
        assert store.state == "running"


def test_adaptive_chunks_start_small_target_two_seconds_and_shrink_at_the_end_to_a_floor() -> None:
    sizer = ChunkSizer()
    assert sizer.size(remaining=1000, workers=2) == 1
    sizer.observe(ChunkResult(rows=[{}] * 4, seconds=0.4))  # 0.1 s per run
    assert sizer.size(remaining=1000, workers=2) == 20  # about 2 s of work
    assert sizer.size(remaining=40, workers=2) == 5  # a quarter of each worker's share
    # but not below a quarter of the target's runs: a chunk's runs step together
    assert sizer.size(remaining=8, workers=2) == 5
    assert ChunkSizer(7).size(remaining=1, workers=2) == 7


def test_missing_dask_scheduler_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "scheduler.json"
    argv = ["--executor", "dask", "--scheduler-file", str(missing), "--wait", "1"]
    assert cli("sweep", str(TINY), "-o", str(tmp_path / "s"), *argv) == 2
    assert f"cannot reach the Dask scheduler: no scheduler file {missing}" in (
        capsys.readouterr().err
    )


# -- damage: every reader copes, resume repairs ---------------------------------


@pytest.fixture(scope="module")
def parted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep as an interrupted driver leaves it: six parts of three runs each.

    Written chunk by chunk through the store, as the driver writes them, so no
    compaction has merged the parts yet.
    """
    out = tmp_path_factory.mktemp("parted") / "sweep"
    plan = plan_sweep(TINY)
    store = Store(out)
    store.create(plan)
    for chunk in plan.chunks(range(plan.n_runs), 3):
        store.write_chunk(run_chunk(chunk))
    store.consolidate_failures()
    return out


def damaged_copy(parted: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ``parted`` and its part holding runs 6–8 (the one the tests damage)."""
    out = tmp_path / "sweep"
    shutil.copytree(parted, out)
    (victim,) = (out / "runs").glob("part-000000006-*.parquet")
    return out, victim


DAMAGES = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "emptied": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(b"\x00not parquet\xff" * 40),
    "another table": lambda p: shutil.copy(p.parent.parent / "failures.parquet", p),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_an_unreadable_part_is_skipped_by_readers_and_quarantined_and_rerun_on_resume(
    damage: str, parted: Path, tiny_sweep: Path, tmp_path: Path
) -> None:
    out, victim = damaged_copy(parted, tmp_path)
    DAMAGES[damage](victim)
    with pytest.warns(StoreWarning, match=rf"{victim.name}: skipped, cannot be read"):
        runs = Store.open(out).read_runs()
    assert sorted(set(range(18)) - set(runs["run_id"])) == [6, 7, 8]

    with pytest.warns(StoreWarning, match=rf"{victim.name}: cannot be read: .*moved to"):
        summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (15, 3)
    assert (out / "quarantine" / "runs" / victim.name).is_file()
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_a_duplicated_part_counts_its_runs_once(
    parted: Path, tiny_sweep: Path, tmp_path: Path
) -> None:
    out, victim = damaged_copy(parted, tmp_path)
    shutil.copy(victim, victim.with_name("part-000000006-copy.parquet"))
    with pytest.warns(StoreWarning, match=r"3 duplicate rows of 3 run ids \(6, 7, 8\)"):
        runs = Store.open(out).read_runs()
    assert runs["run_id"].tolist() == list(range(18))
    summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (18, 0)
    # Completing the sweep compacted it into one file without the duplicates.
    assert len(list((out / "runs").glob("*.parquet"))) == 1
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_a_garbage_failures_file_is_quarantined_and_its_failures_run_again(
    tmp_path: Path,
) -> None:
    plan = plan_sweep(TINY, runner=FLAKY)
    out = tmp_path / "s"
    run_sweep(plan, out, SerialBackend(), progress=False)
    (out / "failures.parquet").write_bytes(b"PAR1 garbage")
    with pytest.warns(StoreWarning, match="failures.parquet: skipped"):
        assert Store.open(out).read_failures().empty
    with pytest.warns(StoreWarning, match="failures.parquet: cannot be read"):
        summary = run_sweep(plan, out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done, summary.failed) == (16, 0, 2)
    assert Store.open(out).read_failures()["run_id"].tolist() == [7, 10]
    assert (out / "quarantine" / "failures.parquet").is_file()


def test_a_deleted_design_is_rebuilt_from_the_manifest(
    parted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = damaged_copy(parted, tmp_path)
    expected = Store.open(out).read_design()
    (out / "design.parquet").unlink()
    with pytest.warns(StoreWarning, match="design.parquet: is missing; rebuilt it"):
        assert_frame_equal(Store.open(out).read_design(), expected, check_exact=True)
    assert cli("rerun", str(out), "4") == 0
    assert "design.parquet: is missing" in capsys.readouterr().err
    with pytest.warns(StoreWarning, match="rewrote it"):
        run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert_frame_equal(pq.read_table(out / "design.parquet").to_pandas(), expected)


def test_a_design_that_cannot_be_rebuilt_is_refused_with_the_reason(
    parted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = damaged_copy(parted, tmp_path)
    (out / "design.parquet").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["experiment"]["experiment"]["seed"] = 1  # no longer the sweep's experiment
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert cli("analyze", str(out)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out / 'design.parquet'}: is missing and cannot be rebuilt")
    assert "plans a different design" in err


def tamper(out: Path, damage: str) -> None:
    """Damage the sweep in ``out`` the way ``damage`` names."""
    if damage in DAMAGES:
        (victim,) = (out / "runs").glob("part-000000006-*.parquet")
        DAMAGES[damage](victim)
    elif damage == "failures garbage":
        (out / "failures.parquet").write_bytes(b"garbage")
    elif damage == "design deleted":
        (out / "design.parquet").unlink()
    elif damage == "design garbage":
        (out / "design.parquet").write_bytes(b"garbage")
    elif damage == "design overwritten":
        shutil.copy(out / "failures.parquet", out / "design.parquet")
    elif damage == "manifest without plan":
        manifest = json.loads((out / "manifest.json").read_text())
        del manifest["plan"]
        (out / "manifest.json").write_text(json.dumps(manifest))
    elif damage == "manifest truncated":
        (out / "manifest.json").write_text('{"format": 1, "plan": {')
    elif damage == "runs removed":
        shutil.rmtree(out / "runs")


@pytest.mark.parametrize(
    "damage",
    [
        *DAMAGES,
        "failures garbage",
        "design deleted",
        "design garbage",
        "design overwritten",
        "manifest without plan",
        "manifest truncated",
        "runs removed",
    ],
)
def test_analyze_rerun_and_report_never_traceback_on_a_damaged_store(
    damage: str, parted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = damaged_copy(parted, tmp_path)
    tamper(out, damage)
    for argv in (
        ["analyze", str(out)],
        ["rerun", str(out), "7"],
        ["report", str(out), "--out", str(tmp_path / "report.html")],
    ):
        code = cli(*argv)  # an uncaught exception would fail the test here
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith(("error:", "warning:"))]
        if code == 2:
            assert len([line for line in lines if line.startswith("error:")]) == 1, err
        else:
            assert code in (0, 1), err
        if damage.startswith("manifest"):
            assert code == 2
            assert "manifest.json" in err


# -- compaction -----------------------------------------------------------------


def test_a_completed_sweep_is_compacted_and_resumes_after_it(
    parted: Path, tiny_sweep: Path, tmp_path: Path
) -> None:
    out, _ = damaged_copy(parted, tmp_path)
    assert len(list((out / "runs").glob("part-*.parquet"))) == 6
    run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    (part,) = (out / "runs").glob("part-*.parquet")
    assert pq.read_metadata(part).num_rows == 18
    assert sorted(p.name for p in out.iterdir()) == [
        ".lock",
        "design.parquet",
        "failures.parquet",
        "manifest.json",
        "runs",
    ]
    summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (18, 0)
    assert cli("rerun", str(out), "11") == 0
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_compaction_splits_at_its_row_limit_and_keeps_series_paired(tmp_path: Path) -> None:
    path = tmp_path / "series.toml"
    path.write_text(TINY.read_text().replace("[outcomes]", "[outcomes]\nseries = true"))
    plan = plan_sweep(path)
    out = tmp_path / "s"
    store = Store(out)
    store.create(plan)
    for chunk in plan.chunks(range(plan.n_runs), 2):
        store.write_chunk(run_chunk(chunk))
    runs, series = store.read_runs(), store.read_series()
    with store.lock():
        assert store.compact(rows_per_file=8) == 3  # 8 + 8 + 2 runs
    names = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert names == sorted(p.name for p in (out / "series").glob("*.parquet"))
    assert [pq.read_metadata(out / "runs" / n).num_rows for n in names] == [8, 8, 2]
    assert_frame_equal(store.read_runs(), runs, check_exact=True)
    assert_frame_equal(store.read_series(), series, check_exact=True)


def test_a_compaction_cut_short_is_rolled_back_or_completed_on_resume(
    parted: Path, tiny_sweep: Path, tmp_path: Path
) -> None:
    # Cut short before its commit point: the staging directory is dropped.
    out, _ = damaged_copy(parted, tmp_path / "before")
    (out / "runs.compacted").mkdir()
    (out / "runs.compacted" / "part-000000000-cdead.parquet").write_bytes(b"half a file")
    assert len(Store.open(out).read_runs()) == 18
    run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert not (out / "runs.compacted").exists()
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )

    # Cut short between its two renames: readers see the merged parts, resume finishes.
    merged, _ = damaged_copy(parted, tmp_path / "merged")
    with Store(merged).lock():
        Store(merged).compact()
    out, _ = damaged_copy(parted, tmp_path / "between")
    shutil.move(merged / "runs", out / "runs.compacted")
    (out / "compacting.json").write_text("{}")
    (out / "runs").rename(out / "runs.replaced")
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )
    summary = run_sweep(plan_sweep(TINY), out, SerialBackend(), resume=True, progress=False)
    assert (summary.already, summary.done) == (18, 0)
    assert not {"runs.compacted", "runs.replaced", "compacting.json"} & {
        p.name for p in out.iterdir()
    }
    assert_frame_equal(
        Store.open(out).read_runs(), Store.open(tiny_sweep).read_runs(), check_exact=True
    )


def test_a_damaged_series_part_takes_its_runs_part_aside_so_both_are_run_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "series.toml"
    path.write_text(TINY.read_text().replace("[outcomes]", "[outcomes]\nseries = true"))
    plan = plan_sweep(path)
    reference = tmp_path / "reference"
    run_sweep(plan, reference, SerialBackend(), progress=False)
    out = tmp_path / "s"
    store = Store(out)
    store.create(plan)
    for chunk in plan.chunks(range(plan.n_runs), 3):
        store.write_chunk(run_chunk(chunk))
    (victim,) = (out / "series").glob("part-000000003-*.parquet")
    victim.write_bytes(b"")
    with pytest.warns(StoreWarning) as caught:
        summary = run_sweep(plan, out, SerialBackend(), resume=True, progress=False)
    messages = [str(w.message) for w in caught]
    assert any(f"series/{victim.name}: cannot be read" in m for m in messages)
    assert any(
        f"runs/{victim.name}: cannot be read: its series part is damaged" in m for m in messages
    )
    assert (summary.already, summary.done) == (15, 3)
    assert (out / "quarantine" / "series" / victim.name).is_file()
    assert (out / "quarantine" / "runs" / victim.name).is_file()
    for read in (Store.read_runs, Store.read_series):
        assert_frame_equal(read(Store.open(out)), read(Store.open(reference)), check_exact=True)


def test_a_chunk_from_another_environment_is_stored_with_a_warning_that_says_what_differs(
    tmp_path: Path,
) -> None:
    """A sweep resumed with another numpy, or on a machine whose numerics differ: its rows
    are kept, the manifest lists both environments and the warning names the difference."""
    plan = plan_sweep(TINY)
    store = Store(tmp_path / "s")
    with store.lock():
        store.prepare(plan, resume=False)
        with warnings.catch_warnings(record=True) as quiet:
            warnings.simplefilter("always")
            store.write_chunk(run_chunk(plan.chunk([0, 1])))
            store.write_chunk(run_chunk(plan.chunk([2])))  # the same environment
        here = provenance.environment()
        elsewhere = {
            "versions": {**here["versions"], "numpy": "9.9.9"},
            "numerics": {**here["numerics"], "fingerprint": "0123456789abcdef"},
        }
        moved = [run_chunk(plan.chunk([i])) for i in (3, 4)]
        for chunk in moved:
            chunk.environment = elsewhere
        with pytest.warns(StoreWarning) as caught:
            store.write_chunk(moved[0])
        with warnings.catch_warnings(record=True) as again:
            warnings.simplefilter("always")
            store.write_chunk(moved[1])  # warned once per environment
    assert not quiet
    assert not again
    (warning,) = caught
    text = str(warning.message)
    assert f"numpy {here['versions']['numpy']} → 9.9.9" in text
    assert f"numerics {here['numerics']['fingerprint']} (" in text
    assert "→ 0123456789abcdef (" in text
    assert Store.open(tmp_path / "s").manifest["computed_on"] == [here, elsewhere]
    assert sorted(Store.open(tmp_path / "s").completed_ids()) == [0, 1, 2, 3, 4]
    assert "valid runs but not the bits" in text


def test_a_chunk_computed_by_other_okrsim_code_is_flagged_as_another_model(
    tmp_path: Path,
) -> None:
    plan = plan_sweep(TINY)
    store = Store(tmp_path / "s")
    with store.lock():
        store.prepare(plan, resume=False)
        store.write_chunk(run_chunk(plan.chunk([0])))
        here = provenance.environment()
        other = run_chunk(plan.chunk([1]))
        other.environment = {
            **here,
            "versions": {**here["versions"], provenance.SOURCE: "0123456789abcdef"},
        }
        with pytest.warns(StoreWarning) as caught:
            store.write_chunk(other)
    (warning,) = caught
    text = str(warning.message)
    assert f"okrsim source {here['versions'][provenance.SOURCE]} → 0123456789abcdef" in text
    assert "they are runs of another model" in text
