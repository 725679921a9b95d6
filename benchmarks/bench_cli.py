"""How long the ``okrsim`` command takes before it does anything.

Times, in fresh subprocesses, ``okrsim --help`` and a bad-input error
(``okrsim run missing.toml``, which must print one ``error:`` line and exit 2)
and prints the median, fastest and slowest of ``--repeat`` runs of each.  The
target is a median under 1 s on a 2-core machine: the parser is built without
importing the model's libraries (numpy, pandas, pydantic, pyarrow, Mesa), so
both commands should cost little more than starting Python.

The command is run as ``python -m okrsim.cli`` with the interpreter running
this script, so it measures the okrsim on ``sys.path`` (a worktree on
``PYTHONPATH`` or the installed package) and not whichever ``okrsim`` is first
on ``PATH``.

    python benchmarks/bench_cli.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "okrsim --help": (["--help"], 0),
    "okrsim run missing.toml": (["run", "missing.toml"], 2),
}


def time_once(args: list[str], expected_code: int, cwd: str) -> float:
    """Wall time of one ``okrsim`` subprocess, checked against its expected exit code."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "okrsim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != expected_code:
        raise SystemExit(
            f"okrsim {' '.join(args)} exited {done.returncode}, expected {expected_code}:\n"
            f"{done.stderr}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command (default 10)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat = {args.repeat}: expected a whole number ≥ 1")
    with tempfile.TemporaryDirectory() as cwd:  # missing.toml is missing for sure
        for args_, code in CASES.values():
            time_once(args_, code, cwd)  # warm the file cache once, untimed
        print(f"{'command':<26}{'median':>9}{'min':>9}{'max':>9}   ({args.repeat} runs)")
        for label, (argv, code) in CASES.items():
            times = [time_once(argv, code, cwd) for _ in range(args.repeat)]
            print(
                f"{label:<26}{statistics.median(times):>8.2f}s{min(times):>8.2f}s"
                f"{max(times):>8.2f}s"
            )


if __name__ == "__main__":
    main()
