"""Executors are interchangeable and sweeps survive interruptions and dead workers.

* The same sweep gives identical rows serially, on a 2-process local pool and
  on a real Dask ``LocalCluster`` (2 worker processes on loopback).
* A Dask scheduler and two workers started as subprocesses; one worker is
  killed mid-sweep; the store is complete and equal to the serial result.
* The driver interrupted with Ctrl-C (SIGINT), resumed, killed with SIGKILL,
  resumed again: equal to an uninterrupted sweep row for row.

All with the real model; the "medium" experiment (6 teams × 4 quarters,
48 runs, ``crn = false``) takes long enough to interrupt.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
from dask_loopback import loopback_cluster
from pandas.testing import assert_frame_equal
from terminal import okrsim_command

from okrsim.experiments.executors import DaskBackend, PoolBackend, SerialBackend
from okrsim.experiments.plan import plan_sweep
from okrsim.experiments.sweep import run_sweep
from okrsim.experiments.sweep_store import Store
from okrsim.model import ensemble

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.toml"
DASK = Path(sys.executable).parent / "dask"

pytestmark = pytest.mark.slow

#: Dask's HTTP server (health and metrics) runs even without a dashboard; the
#: scheduler's default is the fixed port 8787 on every interface.


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def driver(*args: str) -> subprocess.Popen[str]:
    """Start ``okrsim <args>`` in its own process group (so its pool can be killed with it)."""
    return subprocess.Popen(
        okrsim_command(*args),
        cwd=REPO,
        env=env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def parts(out: Path) -> int:
    return len(list((out / "runs").glob("part-*.parquet")))


def wait_for_parts(out: Path, n: int, proc: subprocess.Popen[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = parts(out)
        if count >= n:
            return count
        if proc.poll() is not None:
            raise AssertionError(f"driver ended early: {proc.communicate()}")
        time.sleep(0.01)
    raise AssertionError(f"fewer than {n} parts after {timeout} s")


def rows(out: Path) -> pd.DataFrame:
    return Store.open(out).read_runs()


def assert_same_rows(out: Path, reference: Path) -> None:
    got, expected = rows(out), rows(reference)
    assert got["run_id"].is_unique
    assert_frame_equal(got, expected, check_exact=True)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The medium experiment file and its uninterrupted serial sweep."""
    root = tmp_path_factory.mktemp("medium")
    path = root / "medium.toml"
    path.write_text(
        textwrap.dedent("""
        [experiment]
        name = "medium"
        replications = 8
        seed = 99
        crn = false

        [set]
        org.n_teams = 6
        horizon.quarters = 4

        [axes]
        comp.coupling = [0.0, 0.5, 1.0]
        comp.bonus_curve = ["linear", "step"]

        [outcomes]
        metrics = ["sandbagging_index", "true_value", "reporting_bias", "rating_accuracy"]
    """)
    )
    reference = root / "reference"
    run_sweep(plan_sweep(path), reference, SerialBackend(), chunk_size=7, progress=False)
    return path, reference


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "serial"
    run_sweep(plan_sweep(TINY), out, SerialBackend(), progress=False)
    return out


def test_local_pool_gives_the_serial_rows(tmp_path: Path, tiny_reference: Path) -> None:
    backend = PoolBackend(workers=2)
    try:
        # Default chunking: adapted to the measured run time as the sweep goes.
        run_sweep(plan_sweep(TINY), tmp_path / "pool", backend, progress=False)
    finally:
        backend.close()
    assert_same_rows(tmp_path / "pool", tiny_reference)


def test_dask_local_cluster_gives_the_serial_rows(tmp_path: Path, tiny_reference: Path) -> None:
    from distributed import Client

    with loopback_cluster(n_workers=2) as cluster, Client(cluster.scheduler_address) as client:
        # Dask's defaults: a profiler sampling the worker, arrays of 1 MiB mapped afresh
        assert all(w == (["profile", "profile-cycle"], 1) for w in client.run(_setup).values())
        backend = DaskBackend(cluster.scheduler_address)
        try:
            assert backend.workers == 2
            # set up to run as fast as a pool's workers (okrsim.experiments.dask_worker)
            assert all(w == ([], 0) for w in client.run(_setup).values())
            run_sweep(plan_sweep(TINY), tmp_path / "dask", backend, chunk_size=1, progress=False)
        finally:
            backend.close()
    assert_same_rows(tmp_path / "dask", tiny_reference)


def _setup(dask_worker: Any) -> tuple[list[str], int]:
    """A worker's profiler callbacks, and how many blocks glibc maps for a new 1 MiB array."""
    import ctypes

    import numpy as np

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
                *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
            )
        ]

    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = MallInfo2
    before = mallinfo2().hblks
    array = np.ones(2**17)
    mapped = int(mallinfo2().hblks - before)
    del array
    profiler = sorted(name for name in dask_worker.periodic_callbacks if name.startswith("profile"))
    return profiler, mapped


def test_ensembles_on_every_backend_give_the_sweep_run_run_by_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Parquet table of a sweep whose workers step runs together as
    ensembles equals the same sweep with each run alone (serially)."""
    experiment = tmp_path / "series.toml"
    experiment.write_text(TINY.read_text().replace("[outcomes]", "[outcomes]\nseries = true"))
    plan = plan_sweep(experiment)
    tasks = plan.chunk(range(plan.n_runs)).tasks
    with monkeypatch.context() as alone:
        alone.setattr(ensemble, "MAX_EMPLOYEES", 0)  # ensembles of one run
        assert all(len(batch) == 1 for batch in ensemble.batches(tasks, 16))
        run_sweep(plan, tmp_path / "alone", SerialBackend(), chunk_size=18, progress=False)
    assert ensemble.batches(tasks, 16) == [list(tasks)]
    pool = PoolBackend(workers=2)
    with loopback_cluster(n_workers=2) as cluster:
        dask = DaskBackend(cluster.scheduler_address)
        for name, backend in (("serial", SerialBackend()), ("pool", pool), ("dask", dask)):
            try:
                run_sweep(plan, tmp_path / name, backend, chunk_size=9, progress=False)
            finally:
                backend.close()
    reference = Store.open(tmp_path / "alone")
    assert reference.read_failures().empty
    for name in ("serial", "pool", "dask"):
        store = Store.open(tmp_path / name)
        assert_frame_equal(store.read_runs(), reference.read_runs(), check_exact=True)
        assert_frame_equal(store.read_series(), reference.read_series(), check_exact=True)
        assert store.read_failures().empty
    assert len(reference.read_series()) == plan.n_runs * 2  # two quarters a run


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[Path, list[subprocess.Popen[bytes]]]]:
    """``dask scheduler`` and two ``dask worker`` processes (no nanny) on loopback."""
    scheduler_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("wb")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(DASK),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    "127.0.0.1:0",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                env=env(),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline, "scheduler did not start"
            time.sleep(0.1)
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(DASK),
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--dashboard-address",
                        "127.0.0.1:0",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                    ],
                    env=env(),
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        yield scheduler_file, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        log.close()


def test_dask_worker_killed_mid_sweep_leaves_a_complete_sweep(
    tmp_path: Path,
    medium: tuple[Path, Path],
    dask_cluster: tuple[Path, list[subprocess.Popen[bytes]]],
) -> None:
    path, reference = medium
    scheduler_file, procs = dask_cluster
    json.loads(scheduler_file.read_text())  # the scheduler has written its address
    out = tmp_path / "dask"
    proc = driver(
        "sweep",
        str(path),
        "-o",
        str(out),
        "--executor",
        "dask",
        "--scheduler-file",
        str(scheduler_file),
        "--chunk-size",
        "1",
        "--no-progress",
    )
    try:
        wait_for_parts(out, 4, proc)
        victim = procs[1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        at_kill = parts(out)
        assert proc.poll() is None, "the sweep finished before a worker was killed"
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr
    assert at_kill < 48
    assert "medium: " in stdout
    assert Store.open(out).read_failures().empty
    assert_same_rows(out, reference)


def test_interrupted_and_killed_driver_resumes_to_the_uninterrupted_rows(
    tmp_path: Path, medium: tuple[Path, Path]
) -> None:
    path, reference = medium
    out = tmp_path / "resumed"
    common = ("-o", str(out), "--workers", "2", "--chunk-size", "1", "--no-progress")

    # Ctrl-C: the driver cancels what is queued, stores what finished, exits 130.
    first = driver("sweep", str(path), *common)
    wait_for_parts(out, 3, first)
    first.send_signal(signal.SIGINT)
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr
    assert "resume with --resume" in stderr
    after_sigint = len(rows(out))
    assert 0 < after_sigint < 48

    # SIGKILL to the driver and its pool: no chance to clean up.
    second = driver("sweep", str(path), *common, "--resume")
    try:
        wait_for_parts(out, parts(out) + 4, second)
        os.killpg(second.pid, signal.SIGKILL)
        second.wait(timeout=30)
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    after_sigkill = len(rows(out))
    assert after_sigint < after_sigkill < 48, "the SIGKILL did not land mid-sweep"
    assert rows(out)["run_id"].is_unique

    # Resume to the end.
    third = driver("sweep", str(path), *common, "--resume")
    stdout, stderr = third.communicate(timeout=180)
    assert third.returncode == 0, stderr
    assert f"({after_sigkill} already stored)" in stdout
    assert not list(out.rglob("*.tmp"))
    assert Store.open(out).manifest["status"]["state"] == "complete"
    assert_same_rows(out, reference)


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``: forkserver, pool workers, resource tracker."""
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def wait_until_gone(pids: set[int], timeout: float = 15) -> set[int]:
    """``pids`` still running (not zombies) after waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = set()
        for pid in pids:
            with contextlib.suppress(psutil.NoSuchProcess):
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.add(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def resume_to_the_end(path: Path, out: Path, reference: Path, common: tuple[str, ...]) -> None:
    proc = driver("sweep", str(path), *common, "--resume")
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    assert Store.open(out).manifest["status"]["state"] == "complete"
    assert_same_rows(out, reference)


@contextlib.contextmanager
def pool_sweep_under_way(
    path: Path, out: Path, common: tuple[str, ...], parts_first: int
) -> Iterator[tuple[subprocess.Popen[str], set[int]]]:
    """A driver on a 2-process pool, once ``parts_first`` parts landed, and its processes.

    Whatever the test does, its process group is killed at the end.
    """
    proc = driver("sweep", str(path), *common)
    try:
        wait_for_parts(out, parts_first, proc)
        family = descendants(proc.pid)
        assert len(family) >= 3, "expected a forkserver and two workers"
        yield proc, family
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_sigterm_stops_the_sweep_like_ctrl_c_and_takes_the_workers_down(
    tmp_path: Path, medium: tuple[Path, Path]
) -> None:
    path, reference = medium
    out = tmp_path / "terminated"
    common = ("-o", str(out), "--workers", "2", "--chunk-size", "2", "--no-progress")
    with pool_sweep_under_way(path, out, common, parts_first=2) as (proc, family):
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        left = wait_until_gone(family, timeout=10)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert "resume with --resume" in stderr
    assert not left, f"still running 10 s after the driver stopped: {left}"
    status = Store.open(out).manifest["status"]
    assert (status["state"], status["signal"]) == ("interrupted", "SIGTERM")
    assert 0 < len(rows(out)) < 48
    resume_to_the_end(path, out, reference, common)


def test_workers_of_a_killed_driver_exit_by_themselves(
    tmp_path: Path, medium: tuple[Path, Path]
) -> None:
    path, reference = medium
    out = tmp_path / "orphaned"
    # Large chunks: without the watch, each worker would compute for many seconds more.
    common = ("-o", str(out), "--workers", "2", "--chunk-size", "6", "--no-progress")
    with pool_sweep_under_way(path, out, common, parts_first=1) as (proc, family):
        proc.send_signal(signal.SIGKILL)  # the driver alone, not its process group
        proc.wait(timeout=30)
        left = wait_until_gone(family, timeout=10)
    assert not left, f"still running 10 s after the driver died: {left}"
    store = Store.open(out)
    assert store.manifest["status"]["state"] == "running"  # the driver had no chance to say
    assert store.state == "interrupted"  # but it no longer holds the lock
    resume_to_the_end(path, out, reference, common)


def test_a_worker_imports_no_library_that_only_planning_or_reporting_uses() -> None:
    """What a pool or Dask worker imports to run (run_chunk's module and the default runner)
    leaves out the planning's sampler (scipy.stats) and the reports' libraries."""
    code = (
        "import sys, okrsim.experiments.executors, okrsim.simulation; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'plotly', 'jinja2', 'matplotlib', 'solara', 'SALib', 'dask', 'distributed'}), "
        "'scipy.stats' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["[]", "False"]
