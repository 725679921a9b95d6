"""Where runs execute: in-process, on a local process pool, or on a Dask cluster.

The backends are interchangeable (EMA Workbench's evaluators are the model):
each takes a :class:`~okrsim.experiments.plan.Chunk` and returns a
:class:`concurrent.futures.Future` of its :class:`ChunkResult`.  Workers only
compute; the driver alone writes to the store, so a task that Dask runs twice
after a worker dies is still stored once.

Results never depend on the backend: every run's seed was fixed by the plan.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import json
import math
import multiprocessing
import os
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from okrsim import provenance
from okrsim.experiments.plan import BATCH_RUNNERS, Chunk, RunTask
from okrsim.model import ensemble
from okrsim.params import Scenario


@dataclass
class ChunkResult:
    """What a worker sends back: one row per run, series rows, failures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: Worker time spent on the chunk's runs (sizes later chunks; not stored).
    seconds: float = 0.0
    #: Where the runs were computed (:func:`okrsim.provenance.environment`).
    environment: dict[str, Any] = field(default_factory=dict)


def resolve_runner(path: str) -> Callable[..., Any]:
    """``"package.module:function"`` → the function."""
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def execute(
    task: RunTask, base: Scenario, chunk: Chunk, runner: Callable[..., Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one planned run and turn its result into a row (and series rows)."""
    result = runner(scenario_of(task, base), task.seed, **chunk.runner_args)
    return rows_of(task, chunk, result)


def scenario_of(task: RunTask, base: Scenario) -> Scenario:
    """The run's scenario: the base with its design point's values."""
    return base.with_overrides(task.point, source=f"run {task.run_id}")


def rows_of(
    task: RunTask, chunk: Chunk, result: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run's row and series rows.

    The row is ``ids, swept values, outcomes``; outcomes are the last
    quarter's values (``statistic = "final"``) or the horizon's means.
    """
    values = result.final if chunk.statistic == "final" else result.summary
    row = {**task.ids(), **task.point, **{m: float(values[m]) for m in chunk.metrics}}
    series: list[dict[str, Any]] = []
    if chunk.series:
        quarterly = result.quarterly
        ids = {"run_id": task.run_id, "point_id": task.point_id, "replication": task.replication}
        for record in quarterly[["quarter", *chunk.metrics]].to_dict(orient="records"):
            series.append(
                {
                    **ids,
                    "quarter": int(record["quarter"]),
                    **{m: float(record[m]) for m in chunk.metrics},
                }
            )
    return row, series


def failure_row(task: RunTask, error: BaseException, tb: str) -> dict[str, Any]:
    """A failure record: the run's identity, its parameters and the traceback."""
    return {
        **task.ids(),
        **task.point,
        "parameters": json.dumps(task.point, sort_keys=True),
        "error": f"{type(error).__name__}: {error}",
        "traceback": tb,
    }


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every task of a chunk; a run that raises becomes a failure record.

    A runner with a batch form (:data:`~okrsim.experiments.plan.BATCH_RUNNERS`)
    runs the chunk's tasks as ensembles (:func:`okrsim.model.ensemble.batches`,
    sized by the base scenario's organisation); an ensemble that raises is
    run again task by task, so that the failure is pinned on its run and the
    others are kept.  Either way every run's row is the same, bit for bit.
    This is the function every backend executes (module-level so that it
    pickles by reference).
    """
    start = time.perf_counter()
    runner = resolve_runner(chunk.runner)
    batch_path = BATCH_RUNNERS.get(chunk.runner)
    batch = resolve_runner(batch_path) if batch_path is not None else None
    base = Scenario.from_mapping(chunk.base, source="the sweep's base scenario")
    out = ChunkResult()
    if batch is None:
        batches = [[task] for task in chunk.tasks]
    else:
        batches = ensemble.batches(chunk.tasks, base.org.n_teams * base.org.team_size)
    for tasks in batches:
        done = {}
        if batch is not None and len(tasks) > 1:
            done = _run_batch(tasks, base, chunk, batch)
        for task in tasks:
            try:
                row, series = done.get(task.run_id) or execute(task, base, chunk, runner)
            except Exception as exc:
                out.failures.append(failure_row(task, exc, traceback.format_exc()))
                continue
            out.rows.append(row)
            out.series.extend(series)
    out.seconds = time.perf_counter() - start
    out.environment = provenance.environment()
    return out


def _run_batch(
    tasks: Sequence[RunTask], base: Scenario, chunk: Chunk, batch: Callable[..., Any]
) -> dict[int, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each task's rows, run as one ensemble; empty if any run raised (they rerun alone)."""
    try:
        scenarios = [scenario_of(task, base) for task in tasks]
        results = batch(scenarios, [task.seed for task in tasks], **chunk.runner_args)
        return {
            task.run_id: rows_of(task, chunk, result)
            for task, result in zip(tasks, results, strict=True)
        }
    except Exception:
        return {}


class Backend(Protocol):
    """An executor of chunks."""

    name: str

    @property
    def workers(self) -> int:
        """How many chunks can run at once (used to size chunks and the queue)."""
        ...

    def submit(self, chunk: Chunk) -> cf.Future[ChunkResult]: ...

    def close(self, *, cancel: bool = False) -> None: ...


class SerialBackend:
    """Runs each chunk in the driver's own process, at submission time.

    For debugging and as the reference the other backends must match.
    """

    name = "serial"
    workers = 1

    def submit(self, chunk: Chunk) -> cf.Future[ChunkResult]:
        future: cf.Future[ChunkResult] = cf.Future()
        try:
            future.set_result(run_chunk(chunk))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self, *, cancel: bool = False) -> None:
        return None


#: Modules a pool's forkserver imports before it forks the workers: what running
#: a chunk needs (this module, a run, a paired effect).
WORKER_PRELOAD = ("okrsim.experiments.executors", "okrsim.simulation", "okrsim.experiments.effects")


class PoolBackend:
    """A local process pool, the default: ``workers`` processes, no set-up.

    Worker processes come from a ``forkserver`` (not ``fork``), which is safe
    when the driver has threads (tqdm's monitor, a Dask client).  If a worker
    process dies, the pool is rebuilt for the chunks still to come.

    The workers never outlive the driver: each watches the driver's process
    (:func:`_exit_with_driver`) and exits as soon as it is gone, however it
    died, and ``close(cancel=True)`` stops them mid-chunk.  The forkserver
    and multiprocessing's resource tracker end by themselves once the driver
    and the workers are gone.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("forkserver")
        # the forkserver imports what a run needs once; each worker forks from
        # it with those modules loaded instead of importing them itself
        self._context.set_forkserver_preload(list(WORKER_PRELOAD))
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    @property
    def workers(self) -> int:
        return self._workers

    def submit(self, chunk: Chunk) -> cf.Future[ChunkResult]:
        try:
            return self._pool.submit(run_chunk, chunk)
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(run_chunk, chunk)

    def close(self, *, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel``, drop queued chunks and stop running ones."""
        # ProcessPoolExecutor only learns to terminate its workers in Python 3.14
        # (terminate_workers); before that, its process table is the way in.
        processes = list(getattr(self._pool, "_processes", {}).values()) if cancel else []
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)


def _start_worker(driver_pid: int) -> None:
    """Set a pool worker up: Ctrl-C is the driver's, and the worker dies with the driver.

    Ctrl-C reaches the whole process group; the driver alone handles it
    (cancels and stores cleanly), so workers ignore it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with_driver, args=(driver_pid,), name="okrsim-driver-watch", daemon=True
    ).start()


def _exit_with_driver(driver_pid: int) -> None:
    """Block until the driver process ends, then end this worker at once.

    A worker's parent is the forkserver, not the driver, so ``os.getppid()``
    and ``PR_SET_PDEATHSIG`` would watch the wrong process.  A pidfd (Linux
    5.3+) becomes readable when the driver exits, even if it was SIGKILLed
    and not yet reaped, and cannot be confused by a reused pid; elsewhere
    the driver's pid is polled once a second.  Nobody would store the
    worker's results, so it leaves without clean-up (``os._exit``).
    """
    try:
        fd = os.pidfd_open(driver_pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        while _alive(driver_pid):
            time.sleep(1.0)
        os._exit(1)
    select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DaskBackend:
    """A Dask distributed cluster, reached through ``Client.get_executor()``.

    Give the scheduler's address (``tcp://host:8786``) or its scheduler file.
    The scheduler file, and then a first worker, are waited for up to
    ``wait_for_workers`` seconds.  The scheduler re-runs the tasks of a worker
    that dies on the remaining workers, so the sweep completes; see
    ``docs/cluster.md``.  Each worker is set up to run chunks as fast as a
    pool's (:class:`~okrsim.experiments.dask_worker.RunWorker`).
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        scheduler_file: str | None = None,
        wait_for_workers: float = 60.0,
    ) -> None:
        from distributed import Client

        from okrsim.experiments.dask_worker import RunWorker

        if (address is None) == (scheduler_file is None):
            raise ValueError("give exactly one of a scheduler address and a scheduler file")
        if scheduler_file is not None:
            _wait_for_file(scheduler_file, wait_for_workers)
        self._client = Client(address, scheduler_file=scheduler_file, timeout="30s")
        try:
            self._client.wait_for_workers(1, timeout=wait_for_workers)
            # every worker, and any that joins later, runs chunks as fast as a pool's
            self._client.register_plugin(RunWorker())
        except BaseException:
            self._client.close()
            raise
        self._executor = self._client.get_executor(pure=False)
        self._counted_at = -math.inf
        self._threads = 1

    @property
    def workers(self) -> int:
        # The cluster can grow or shrink (adaptive jobqueue clusters, dead workers).
        if time.monotonic() - self._counted_at > 5.0:
            info = self._client.scheduler_info(n_workers=-1)
            threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
            self._threads = max(threads, 1)
            self._counted_at = time.monotonic()
        return self._threads

    def submit(self, chunk: Chunk) -> cf.Future[ChunkResult]:
        return self._executor.submit(run_chunk, chunk)

    def close(self, *, cancel: bool = False) -> None:
        self._executor.shutdown(wait=not cancel)
        self._client.close()


def _wait_for_file(path: str, timeout: float) -> None:
    """Wait for a scheduler file (a batch job may start the scheduler alongside the driver)."""
    deadline = time.monotonic() + timeout
    while not (os.path.isfile(path) and os.path.getsize(path) > 0):
        if time.monotonic() > deadline:
            raise FileNotFoundError(f"no scheduler file {path} after {timeout:.0f} s")
        time.sleep(0.5)


def make_backend(
    name: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    wait: float = 60.0,
) -> Backend:
    """The backend ``name`` (``local``, ``dask`` or ``serial``)."""
    if name == "serial":
        return SerialBackend()
    if name == "local":
        return PoolBackend(workers)
    if name == "dask":
        return DaskBackend(scheduler, scheduler_file=scheduler_file, wait_for_workers=wait)
    raise ValueError(f"unknown executor {name!r}")
