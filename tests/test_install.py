"""okrsim installed as a new user installs it: the core package, then with its extras.

Each install is a fresh virtual environment in a temporary directory, filled by
the ordinary ``pip install <this repository>`` (``[dashboard,cluster]`` for the
second), and its commands are run through its own ``okrsim`` script, from a
directory outside the repository and without ``PYTHONPATH``, so nothing of the
development environment leaks in.

* The core install runs, compares, sweeps on this machine and reports, and
  holds neither Solara nor Dask.
* ``okrsim dashboard`` and ``okrsim sweep --executor dask`` on the core install
  end in one ``error:`` line naming the extra to install, exit code 2.
* With both extras the dashboard serves its page on a free loopback port.

Each environment takes a few minutes to install (less from a warm pip cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser import SOLARA_OFFLINE_ENV, serve

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
TINY = REPO / "experiments" / "tiny.toml"
INSTALL_TIMEOUT_S = 1200

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """This process's environment without what points Python at the repository."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def install(root: Path, requirement: str) -> Path:
    """A new virtual environment in ``root`` with ``requirement`` installed; its bin/."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    log = root / "pip.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(root / "bin" / "python"), "-m", "pip", "install", requirement],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
            cwd=root,
            timeout=INSTALL_TIMEOUT_S,
        )
    assert done.returncode == 0, log.read_text()[-3000:]
    return root / "bin"


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("core-venv"), str(REPO))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("full-venv"), f"{REPO}[dashboard,cluster]")


def okrsim(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "okrsim"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(),
        timeout=600,
    )


def importable(bin_dir: Path, *modules: str) -> list[str]:
    code = (
        "import importlib.util, sys; "
        "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    )
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", code, *modules],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
        timeout=60,
    )
    return done.stdout.split()


def test_core_install_holds_no_extra(core: Path) -> None:
    extras = ("solara", "solara_assets", "ipyvuetify", "altair", "distributed", "dask_jobqueue")
    assert importable(core, *extras) == []
    assert importable(core, "okrsim", "mesa", "SALib", "pyarrow") == [
        "okrsim",
        "mesa",
        "SALib",
        "pyarrow",
    ]


def test_core_install_runs_compares_sweeps_and_reports(core: Path, tmp_path: Path) -> None:
    version = okrsim(core, "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("okrsim ")

    small = ("--set", "org.n_teams=2", "--set", "horizon.quarters=1")
    done = okrsim(core, "run", str(SCENARIOS / "coupled.toml"), *small, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "run" / "quarterly.parquet").is_file()

    pair = (str(SCENARIOS / "decoupled.toml"), str(SCENARIOS / "coupled.toml"))
    done = okrsim(
        core, "compare", *pair, "--reps", "2", "--quarters", "1", "--workers", "2", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "coupled vs decoupled" in done.stdout

    sweep = tmp_path / "sweep"
    done = okrsim(core, "sweep", str(TINY), "-o", str(sweep), "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = okrsim(core, "analyze", str(sweep), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mean of each metric per design point")

    done = okrsim(core, "report", str(sweep), "--out", str(tmp_path / "r.html"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ("dashboard",),
            "error: okrsim dashboard needs the dashboard extra: pip install 'okrsim[dashboard]'",
        ),
        (
            ("sweep", str(TINY), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"),
            "error: okrsim sweep --executor dask needs the cluster extra: "
            "pip install 'okrsim[cluster]'",
        ),
    ],
    ids=["dashboard", "dask sweep"],
)
def test_core_install_names_the_missing_extra(
    core: Path, tmp_path: Path, argv: tuple[str, ...], expected: str
) -> None:
    done = okrsim(core, *argv, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(expected)
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_extras_install_serves_the_dashboard_and_brings_dask(full: Path, tmp_path: Path) -> None:
    assert importable(full, "solara", "solara_assets", "distributed", "dask_jobqueue") == [
        "solara",
        "solara_assets",
        "distributed",
        "dask_jobqueue",
    ]
    command = [str(full / "okrsim"), "dashboard", "--host", "127.0.0.1", "--port", "{port}"]
    env = {**SOLARA_OFFLINE_ENV, "PYTHONPATH": ""}
    with serve(command, env=env, cwd=tmp_path, name="installed-dashboard") as server:
        assert server.process.poll() is None
