"""How okrsim scales with the organisation: µs per agent-week and peak memory by size.

For each size (100, 1,000, 10,000 and 100,000 employees by default; up to
200,000, the bound) a fresh Python process runs the "every mechanism"
organisation of ``bench_model.py`` (dependencies, shared and four key results
per person, negotiated and revisable targets, relative evaluation, a shock and
a policy change) for ``--quarters`` quarters (default 8), writing its results
to a temporary directory as ``okrsim run`` does: the per-employee tables
streamed quarter by quarter (:func:`okrsim.run_store.run_to`).  Each process
reports the run's wall time (construction, steps and writing) and its own peak
resident memory (imports included), so one size's memory never hides in
another's.

Two things differ from ``bench_model.every_mechanism`` so that one scenario
fits every size: teams of 10 (so 100 employees are whole teams), and a
dependency density that gives each team the same expected number of
possible upstream teams as there (0.02 × 124 ≈ 2.5), as a density fixed per
pair of teams would make the network grow with the square of the teams (and
is bounded by ``params.MAX_DEPENDENCIES``).

Prints a Markdown table (the one in the README's performance section) and the
CPU other processes took meanwhile (``machine_load``).

    python benchmarks/bench_scale.py [--sizes 100 1000 10000 100000] [--quarters 8]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_model import every_mechanism
from machine_load import measured_load

from okrsim.params import MAX_EMPLOYEES, WEEKS_PER_QUARTER, Scenario, ScenarioError

SIZES = (100, 1_000, 10_000, 100_000)
TEAM_SIZE = 10
#: Expected possible upstream teams per team in bench_model's organisation (125 teams at 0.02).
UPSTREAM_CANDIDATES = 0.02 * 124
#: Peak memory a 100,000-employee run of 8 quarters must stay within, in MB.
TARGET_MB_AT_100K = 2048


def scenario(employees: int, quarters: int) -> Scenario:
    """``bench_model.every_mechanism`` at ``employees`` people, in teams of :data:`TEAM_SIZE`."""
    teams = employees // TEAM_SIZE
    return every_mechanism().with_overrides(
        {
            "org.n_teams": teams,
            "org.team_size": TEAM_SIZE,
            "org.dependency_density": min(1.0, UPSTREAM_CANDIDATES / max(teams - 1, 1)),
            "horizon.quarters": quarters,
        },
        source="bench_scale",
    )


def measure_one(employees: int, quarters: int) -> dict[str, float]:
    """Run one size in this process; its wall time and this process's peak RSS."""
    from okrsim.run_store import run_to

    s = scenario(employees, quarters)
    with tempfile.TemporaryDirectory(prefix="okrsim-scale-") as out:
        start = time.perf_counter()
        run_to(s, 1, Path(out))
        seconds = time.perf_counter() - start
    weeks = quarters * WEEKS_PER_QUARTER
    return {
        "employees": s.n_employees,
        "teams": s.org.n_teams,
        "quarters": quarters,
        "seconds": seconds,
        "us_per_agent_week": seconds / (s.n_employees * weeks) * 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_in_fresh_process(employees: int, quarters: int) -> dict[str, float]:
    """:func:`measure_one` in a new Python process (its peak memory is the run's alone)."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(employees), "--quarters", str(quarters)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def table(rows: list[dict[str, float]]) -> str:
    """The Markdown table of the README's performance section."""
    lines = [
        "| employees | teams | quarters | wall time (s) | µs per agent-week | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['employees']:,.0f} | {r['teams']:,.0f} | {r['quarters']:.0f} "
            f"| {r['seconds']:,.1f} | {r['us_per_agent_week']:.2f} | {r['peak_rss_mb']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help=f"employees per run, multiples of {TEAM_SIZE} up to {MAX_EMPLOYEES:,} "
        "(default: 100 1000 10000 100000)",
    )
    parser.add_argument(
        "--quarters", type=int, default=8, help="quarters per run (default 8; 13 weeks each)"
    )
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.quarters)))
        return
    for n in args.sizes:
        if n % TEAM_SIZE or not TEAM_SIZE <= n <= MAX_EMPLOYEES:
            parser.error(f"--sizes: {n} is not a multiple of {TEAM_SIZE} in [10, {MAX_EMPLOYEES}]")
        try:
            scenario(n, args.quarters)
        except ScenarioError as exc:
            parser.error(f"--quarters: {exc}")
    rows = []
    with measured_load() as load:
        for n in args.sizes:
            rows.append(measure_in_fresh_process(n, args.quarters))
            r = rows[-1]
            print(
                f"{n:>7,} employees: {r['seconds']:7.1f} s, {r['us_per_agent_week']:6.2f} µs "
                f"per agent-week, peak RSS {r['peak_rss_mb']:6,.0f} MB",
                file=sys.stderr,
            )
    print(table(rows))
    for r in rows:
        if r["employees"] == 100_000 and r["quarters"] >= 8:
            verdict = "within" if r["peak_rss_mb"] <= TARGET_MB_AT_100K else "ABOVE"
            print(
                f"\n100,000 employees, {r['quarters']:.0f} quarters: peak RSS "
                f"{r['peak_rss_mb']:,.0f} MB, {verdict} the target of {TARGET_MB_AT_100K:,} MB"
            )
    print(load.describe())


if __name__ == "__main__":
    main()
