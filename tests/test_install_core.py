"""The core install, as a new user installs it: ``pip install <this repository>``.

* It runs, compares, sweeps on this machine, analyses and reports, and holds
  neither Solara nor Dask.
* ``okrsim dashboard`` and ``okrsim sweep --executor dask`` end in one
  ``error:`` line naming the extra to install, exit code 2.

The environment takes a minute or more to install (see :mod:`installing`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from installing import REPO, SCENARIOS, TINY, importable, install, okrsim

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("core-venv"), str(REPO))


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
