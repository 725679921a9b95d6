"""The sweep driver: plan → dispatch chunks → store each as it lands.

"Run, save, then analyse" (EMA Workbench): the driver keeps a bounded queue
of chunks in flight (twice the number of workers), writes each finished
chunk to the store at once and forgets it, so its memory stays flat however
many runs the sweep has.  A run that raises is a failure record; a chunk
lost to the infrastructure (a worker process that died, a lost Dask worker
after Dask's own retries) is resubmitted up to ``max_retries`` times and then
recorded as failures.  Nothing aborts the sweep but the user.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import signal
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from okrsim.experiments.executors import Backend, ChunkResult, failure_row, run_chunk
from okrsim.experiments.plan import Chunk, Plan, RunTask, spawn_key_for, spawn_key_text
from okrsim.experiments.sweep_store import FAILURES, Store
from okrsim.params import ScenarioError

#: Largest chunk a worker gets by default: big enough to amortise dispatch,
#: small enough that an interrupted sweep loses little.
MAX_CHUNK = 64
#: The last chunks shrink to no fewer than 1/TAIL_FLOOR of the target time's
#: runs (:class:`ChunkSizer`).  Chosen by measurement: a 200-run sweep on 2
#: workers left its last 12 chunks with 1–3 runs each before (execution only).
TAIL_FLOOR = 4


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did, for the one-line summary and for callers."""

    name: str
    out: Path
    total: int
    already: int
    done: int
    failed: int
    failed_total: int
    seconds: float
    executor: str
    workers: int
    interrupted: bool = False

    @property
    def rate(self) -> float:
        """Runs (completed or failed) per second of wall time in this session."""
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else math.nan

    @property
    def complete(self) -> bool:
        return self.already + self.done + self.failed == self.total

    def line(self) -> str:
        """``name: N runs done, F failed, T s, R runs/s (executor × W) → DIR``."""
        head = "interrupted" if self.interrupted else "done"
        text = (
            f"{self.name}: {self.done} runs {head}, {self.failed} failed, "
            f"{self.seconds:.1f} s, {self.rate:.2f} runs/s "
            f"({self.executor} × {self.workers}) → {self.out}"
        )
        if self.already:
            text += f" ({self.already} already stored)"
        if self.interrupted:
            left = self.total - self.already - self.done - self.failed
            text += f"; {left} left, resume with --resume"
        elif self.failed_total:
            text += f"; failures in {self.out / FAILURES}"
        return text


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a sweep; everything finished before it is stored.

    ``signal`` is the signal that stopped it (``SIGINT`` for Ctrl-C).
    """

    def __init__(self, summary: SweepSummary, sig: signal.Signals = signal.SIGINT) -> None:
        super().__init__(summary.line())
        self.summary = summary
        self.signal = sig


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the driver's main thread to stop a sweep as Ctrl-C does."""


class _SigtermInterrupts:
    """Turn SIGTERM (``kill``, a batch system's walltime, ``docker stop``) into an interrupt.

    The default action would end the driver at once: the manifest would say
    "running" and the pool's workers would finish their chunks for nobody.
    Raised as an interrupt while runs are dispatched (:attr:`armed`), it takes
    the Ctrl-C path: cancel, take the workers down, store what finished,
    mark the sweep "interrupted".  Once disarmed — after the first SIGTERM,
    or when every run has landed — a SIGTERM does not cut the store's
    clean-up short.  Handlers can only be set from the main thread; elsewhere
    the default action stays.
    """

    def __init__(self) -> None:
        self.armed = True
        self._previous: Any = None
        self._installed = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _SigtermInterrupts:
        if self._installed:
            self._previous = signal.signal(signal.SIGTERM, self._interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)

    def _interrupt(self, signum: int, frame: object) -> None:
        if self.armed:
            self.armed = False
            raise _Terminated


class ChunkSizer:
    """How many runs the next chunk gets: fixed, or adapted to the measured run time.

    Adaptive sizing starts with single runs, then aims at chunks of about
    ``target_seconds`` of worker time (amortising dispatch, most of all on
    Dask) but never more than a quarter of the remaining runs per worker, so
    the last chunks are small and no worker idles at the end while another
    finishes a long chunk.  Nor do they shrink below a quarter of the target
    time's runs (:data:`TAIL_FLOOR`): a worker steps a chunk's runs together
    (:mod:`okrsim.model.ensemble`), and runs stepped a few at a time cost up
    to twice as much each.  The rows do not depend on the chunk sizes.
    """

    def __init__(self, fixed: int | None = None, *, target_seconds: float = 2.0) -> None:
        self.fixed = fixed
        self.target_seconds = target_seconds
        self._seconds = 0.0
        self._runs = 0

    def observe(self, result: ChunkResult) -> None:
        """Record a finished chunk's worker time."""
        n = len(result.rows) + len(result.failures)
        if n and result.seconds > 0:
            self._seconds += result.seconds
            self._runs += n

    def size(self, remaining: int, workers: int) -> int:
        """Runs for the next chunk, with ``remaining`` runs not yet submitted."""
        if self.fixed is not None:
            return self.fixed
        if not self._runs:
            return 1
        per_run = self._seconds / self._runs
        by_time = round(self.target_seconds / per_run) if per_run > 0 else MAX_CHUNK
        by_tail = math.ceil(remaining / (4 * max(workers, 1)))
        # a chunk's runs step together (ensembles): a few runs alone are slow
        smallest = by_time // TAIL_FLOOR
        return max(1, min(MAX_CHUNK, by_time, max(by_tail, smallest)))


def run_sweep(
    plan: Plan,
    out: str | Path,
    backend: Backend,
    *,
    resume: bool = False,
    retry_failed: bool = False,
    chunk_size: int | None = None,
    progress: bool = True,
    max_retries: int = 2,
) -> SweepSummary:
    """Run every missing run of ``plan`` on ``backend``, storing rows in ``out``.

    Parameters
    ----------
    resume
        Continue the sweep already in ``out`` (it must be of the same
        experiment); without it, ``out`` must be new or empty.
    retry_failed
        With ``resume``, run recorded failures again.
    chunk_size
        Runs per task; by default adapted as it goes (:class:`ChunkSizer`).
        The rows do not depend on it.

    When every run is stored or recorded as failed, the runs' parts are
    compacted into a few files (:meth:`Store.compact`).

    Raises
    ------
    SweepInterrupted
        On Ctrl-C or SIGTERM, after cancelling queued chunks, stopping the
        workers and storing finished chunks.
    ScenarioError
        If ``out`` cannot take this sweep.
    """
    store = Store(out)
    stopped_by: signal.Signals | None = None
    with store.lock(), _SigtermInterrupts() as sigterm:
        store.prepare(plan, resume=resume)
        if retry_failed:
            store.forget_failures(store.failed_ids())
        done_ids = store.completed_ids() | store.failed_ids()
        already = len(done_ids)
        unsubmitted = plan.n_runs - already
        sizer = ChunkSizer(chunk_size)
        todo = (i for i in range(plan.n_runs) if i not in done_ids)
        retry: deque[tuple[Chunk, int]] = deque()
        pending: dict[cf.Future[ChunkResult], tuple[Chunk, int]] = {}
        done = failed = 0
        interrupted = False
        bar = tqdm(
            total=plan.n_runs,
            initial=already,
            unit="run",
            desc=plan.experiment.name,
            file=sys.stderr,
            disable=not progress,
            smoothing=0.05,
            mininterval=0.5,
            dynamic_ncols=True,
        )
        start = time.perf_counter()
        store.update_status(state="running", started=_stamp())

        def fill() -> None:
            nonlocal unsubmitted
            workers = backend.workers
            while len(pending) < 2 * workers:
                if retry:
                    chunk, attempts = retry.popleft()
                else:
                    ids = list(itertools.islice(todo, sizer.size(unsubmitted, workers)))
                    if not ids:
                        return
                    chunk, attempts = plan.chunk(ids), 0
                    unsubmitted -= len(ids)
                pending[backend.submit(chunk)] = (chunk, attempts)

        try:
            fill()
            while pending:
                finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    chunk, attempts = pending.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:
                        if attempts < max_retries:
                            retry.append((chunk, attempts + 1))
                            continue
                        tb = "".join(traceback.format_exception(exc))
                        result = ChunkResult(
                            failures=[failure_row(t, exc, tb) for t in chunk.tasks]
                        )
                    store.write_chunk(result)
                    sizer.observe(result)
                    done += len(result.rows)
                    failed += len(result.failures)
                    bar.update(len(chunk.tasks))
                    if failed:
                        bar.set_postfix(failed=failed, refresh=False)
                fill()
        except KeyboardInterrupt as exc:
            interrupted = True
            stopped_by = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
            backend.close(cancel=True)
        finally:
            sigterm.armed = False
            bar.close()
        seconds = time.perf_counter() - start
        failed_total = store.consolidate_failures()
        summary = SweepSummary(
            name=plan.experiment.name,
            out=store.root,
            total=plan.n_runs,
            already=already,
            done=done,
            failed=failed,
            failed_total=failed_total,
            seconds=seconds,
            executor=backend.name,
            workers=backend.workers,
            interrupted=interrupted,
        )
        stored = len(store.completed_ids())
        if summary.complete and not interrupted:
            store.compact()
        store.update_status(
            state="interrupted" if interrupted else "complete" if summary.complete else "partial",
            signal=None if stopped_by is None else stopped_by.name,
            runs_stored=stored,
            failures=failed_total,
            last_session_seconds=round(seconds, 3),
            last_session_runs_per_s=round(summary.rate, 3),
            executor=backend.name,
            workers=backend.workers,
        )
    if stopped_by is not None:
        raise SweepInterrupted(summary, stopped_by)
    return summary


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class Rerun:
    """A stored run rebuilt from its recorded seed and parameters.

    ``stored`` is the row in the store (``None`` if the run is not stored),
    ``fresh`` the row the rerun produced (``None`` if it raised: ``error``).
    """

    run_id: int
    stored: dict[str, Any] | None
    fresh: dict[str, Any] | None
    error: str | None
    stored_failure: str | None

    @property
    def differences(self) -> list[tuple[str, Any, Any]]:
        """``(column, stored, fresh)`` for every column that differs."""
        if self.stored is None or self.fresh is None:
            return []
        return [
            (k, self.stored.get(k), self.fresh.get(k))
            for k in dict.fromkeys([*self.stored, *self.fresh])
            if not _same(self.stored.get(k), self.fresh.get(k))
        ]

    @property
    def identical(self) -> bool:
        if self.fresh is not None:
            return self.stored is not None and not self.differences
        # A recorded failure that fails again is reproduced too.
        return self.stored is None and self.stored_failure is not None and self.error is not None


def rerun(root: str | Path, run_id: int) -> Rerun:
    """Run ``run_id`` of the sweep in ``root`` again, from the store alone.

    The scenario is the manifest's base scenario with the run's design point
    applied; the seed is rebuilt from the run index exactly as planned, and
    checked against the stored ``seed_entropy``/``spawn_key``.

    Raises
    ------
    ScenarioError
        If ``root`` is not a sweep or ``run_id`` is not one of its runs.
    """
    store = Store.open(root)
    manifest = store.manifest
    plan = manifest["plan"]
    n_runs = int(manifest["n_runs"])
    if not 0 <= run_id < n_runs:
        raise ScenarioError(
            f"{store.root}: run {run_id} does not exist (runs are 0 … {n_runs - 1})"
        )
    replications = int(plan["replications"])
    point_id, replication = divmod(run_id, replications)
    keys = [a["key"] for a in plan["axes"]]
    design = store.read_design()
    record = design[design["point_id"] == point_id].to_dict(orient="records")[0]
    point = {k: _plain(record[k]) for k in keys}
    key = spawn_key_for(run_id, replication, crn=bool(plan["crn"]))
    task = RunTask(run_id, point_id, replication, int(plan["seed"]), key, point)
    stored = store.find_run(run_id)
    failure = store.find_failure(run_id)
    recorded = stored or failure
    if recorded is not None and (
        recorded["seed_entropy"] != task.seed_entropy
        or recorded["spawn_key"] != spawn_key_text(task.spawn_key)
    ):
        raise ScenarioError(
            f"{store.root}: run {run_id} was stored with seed {recorded['seed_entropy']} "
            f"/ {recorded['spawn_key']}, not the planned {task.seed_entropy} / "
            f"{spawn_key_text(task.spawn_key)}: the store is inconsistent"
        )
    chunk = Chunk(
        plan["base_scenario"],
        tuple(plan["metrics"]),
        plan["statistic"],
        False,
        plan["runner"],
        (task,),
        dict(plan.get("runner_args", {})),
    )
    result = run_chunk(chunk)
    fresh = None
    error = None
    if result.rows:
        table = pa.Table.from_pylist(result.rows, schema=store.schema("runs"))
        fresh = table.to_pylist()[0]
    else:
        error = result.failures[0]["traceback"]
    return Rerun(run_id, stored, fresh, error, None if failure is None else failure["traceback"])


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) and type(a) is type(b)
