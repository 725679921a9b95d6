"""The extras, as a new user installs them: ``pip install '<this repository>[dashboard,cluster]'``.

With both extras the dashboard serves its page offline on a free loopback
port, and Dask and dask-jobqueue are there for cluster sweeps (the Dask
sweeps themselves are tested in ``test_experiments_executors.py``).

The presets live in ``okrsim/presets`` and are read through
``importlib.resources``, so the installed dashboard finds them from whatever
directory it is started: one test starts it from an empty directory and
looks at the preset picker in Chromium.  Both tests share one environment,
which takes a few minutes to install (see :mod:`installing`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from browser import (
    REPO_ROOT,
    SOLARA_OFFLINE_ENV,
    dashboard_command,
    mesa_time,
    plotly_traces,
    serve,
    wait_for,
)
from installing import REPO, clean_env, importable, install
from playwright.sync_api import expect

pytest_plugins = ["browser_plugin"]
pytestmark = pytest.mark.slow

PRESETS = REPO_ROOT / "okrsim" / "presets"


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


def test_an_installed_okrsim_serves_its_presets_from_another_directory(
    full: Path, tmp_path: Path, open_page: Any
) -> None:
    # the installed package alone: no path into this repository, no library override
    found = subprocess.run(
        [
            str(full / "python"),
            "-c",
            "import okrsim; from okrsim.dashboard.twins import library_dir; "
            "print(okrsim.__file__); print(library_dir())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={k: v for k, v in clean_env().items() if k != "OKRSIM_SCENARIOS"},
        timeout=120,
    ).stdout.splitlines()
    site = full.parent.resolve() / "lib"
    assert Path(found[0]).resolve().is_relative_to(site), found
    assert Path(found[1]).resolve() == (Path(found[0]).parent / "presets").resolve()
    shipped = sorted(p.name for p in Path(found[1]).glob("*.toml"))
    assert shipped == sorted(p.name for p in PRESETS.glob("*.toml"))

    with serve(
        dashboard_command(full / "okrsim"),
        env={**SOLARA_OFFLINE_ENV, "PYTHONPATH": ""},
        cwd=tmp_path,
        name="okrsim-installed",
    ) as server:
        watched = open_page(server.url)
        page = watched.page
        expect(mesa_time(page)).to_have_text("Time: 0.0", timeout=60_000)
        wait_for(lambda: len(plotly_traces(page)), lambda n: n >= 1, what="the first chart")
        page.locator(".okrsim-org-b .okrsim-preset").click()
        options = page.get_by_role("option")
        expect(options).to_have_count(len(shipped))
        assert sorted(options.all_inner_texts()) == sorted(Path(n).stem for n in shipped)
        watched.assert_clean()
        log = server.log_tail(20_000)
    assert "file not found" not in log
    assert "Traceback" not in log
