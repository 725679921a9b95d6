"""A real Dask cluster for tests, every server on loopback and on a free port.

``dashboard_address=None`` would still serve Dask's health checks, on
0.0.0.0:8787; the tests bind every HTTP server to 127.0.0.1 on port 0.
"""

from __future__ import annotations

from typing import Any


def loopback_cluster(n_workers: int = 2, threads_per_worker: int = 1) -> Any:
    """A ``distributed.LocalCluster`` of worker processes; use it as a context manager."""
    from distributed import LocalCluster

    return LocalCluster(
        host="127.0.0.1",
        processes=True,
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
    )
