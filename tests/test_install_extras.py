"""The extras, as a new user installs them: ``pip install '<this repository>[dashboard,cluster]'``.

With both extras the dashboard serves its page offline on a free loopback
port, and Dask and dask-jobqueue are there for cluster sweeps (the Dask
sweeps themselves are tested in ``test_experiments_executors.py``). The
environment takes a few minutes to install (see :mod:`installing`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import SOLARA_OFFLINE_ENV, dashboard_command, serve
from installing import REPO, importable, install

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("full-venv"), f"{REPO}[dashboard,cluster]")


def test_extras_install_serves_the_dashboard_and_brings_dask(full: Path, tmp_path: Path) -> None:
    assert importable(full, "solara", "solara_assets", "distributed", "dask_jobqueue") == [
        "solara",
        "solara_assets",
        "distributed",
        "dask_jobqueue",
    ]
    command = dashboard_command(full / "okrsim")
    env = {**SOLARA_OFFLINE_ENV, "PYTHONPATH": ""}
    with serve(command, env=env, cwd=tmp_path, name="installed-dashboard") as server:
        assert server.process.poll() is None
