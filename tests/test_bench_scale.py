"""benchmarks/bench_scale.py: its scenario is valid at every size, and it prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from okrsim.params import MAX_EMPLOYEES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench_scale(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_scale

    return bench_scale


@pytest.mark.parametrize("employees", [100, 1_000, 100_000, MAX_EMPLOYEES])
def test_every_size_is_the_every_mechanism_organisation_within_the_bounds(bench_scale, employees):
    s = bench_scale.scenario(employees, 8)
    assert s.n_employees == employees
    assert s.horizon.quarters == 8
    expected_upstream = s.org.dependency_density * (s.org.n_teams - 1)
    assert expected_upstream == pytest.approx(bench_scale.UPSTREAM_CANDIDATES)
    assert s.okr.krs_per_person == 4
    assert s.schedule


def test_it_prints_a_markdown_row_per_size_from_a_fresh_process():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_scale.py"), "--sizes", "100", "--quarters", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| employees | teams | quarters |")
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:3] == ["100", "10", "3"]
    assert float(cells[4]) > 0
    assert 50 < float(cells[5].replace(",", "")) < 2048  # MB: a fresh process, not this one


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        (["--sizes", "105"], f"--sizes: 105 is not a multiple of 10 in [10, {MAX_EMPLOYEES}]"),
        (
            ["--sizes", "100", "--quarters", "1"],
            "--quarters: bench_scale: env.shock_quarter = 2 is beyond horizon.quarters = 1",
        ),
    ],
)
def test_a_size_or_horizon_it_cannot_run_is_one_error_line(flags, error):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_scale.py"), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == f"bench_scale.py: error: {error}"
