"""How a Dask worker is set up to run okrsim's chunks as fast as a pool worker.

Measured on one 16-run chunk (100 employees, 12 quarters), a Dask worker with
its defaults took 1.5–2.3 s where a local pool worker took 1.1–1.3 s.  Two
defaults cost that time, and :class:`RunWorker` undoes both on every worker,
present and future, when :class:`~okrsim.experiments.executors.DaskBackend`
connects:

- **The statistical profiler** (``distributed.worker.profile``) samples the
  stack of the thread that runs the chunk every 10 ms, holding the GIL the
  run needs.  It is stopped; the dashboard's profile page stays empty for
  these workers.
- **A fixed trim threshold.**  The nanny starts workers with
  ``MALLOC_TRIM_THRESHOLD_=65536``.  glibc then also freezes its mmap
  threshold at 128 KiB, so every array of more than 16,384 numbers (a
  week's arrays at about 4,000 stacked employees) is mapped from the kernel
  and returned, page faults included, every time it is made.  The
  thresholds are set to where glibc's own adjustment would take them:
  32 MiB for mmap (its largest, ``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit),
  twice that for trimming.  A worker then keeps up to about 64 MiB of freed
  memory for reuse.  Where the C library has no ``mallopt`` (not glibc),
  this step is skipped.

Neither changes a result: rows are the same on every backend.
"""

from __future__ import annotations

import ctypes
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

#: glibc's ``mallopt`` parameters (``malloc.h``).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's largest dynamic mmap threshold on 64-bit, and its trim threshold then.
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
#: The worker's periodic callbacks of the statistical profiler.
PROFILER_CALLBACKS = ("profile", "profile-cycle")


class RunWorker(WorkerPlugin):
    """Stops the statistical profiler and lets freed arrays be reused (module docstring)."""

    name = "okrsim-run-worker"
    idempotent = True

    def setup(self, worker: Any) -> None:
        stop_profiler(worker)
        keep_freed_memory()


def stop_profiler(worker: Any) -> None:
    """Stop, and drop, the worker's statistical profiler callbacks (if it has them)."""
    for name in PROFILER_CALLBACKS:
        callback = worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (module docstring); False without ``mallopt``."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
