"""How long a sweep worker takes to import what it needs before its first run.

A pool or Dask worker unpickles :func:`okrsim.experiments.executors.run_chunk`
(importing its module) and then the run's function, ``okrsim.simulation:run``
by default.  This script times ``import okrsim.experiments.executors,
okrsim.simulation`` in fresh interpreters (best of ``--repeat``, beside a bare
``python -c pass``, with other processes' CPU meanwhile), and lists, from
``python -X importtime``, the libraries okrsim's modules import first and what
each costs: everything on the list should be something a run uses.

    python benchmarks/bench_worker_import.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from machine_load import measured_load

WORKER = "import okrsim.experiments.executors, okrsim.simulation"
#: Libraries cheaper than this (µs, with what they import) are not listed.
LISTED_US = 3000


def wall(code: str) -> float:
    """Wall time of ``python -c code`` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    return time.perf_counter() - start


def first_imports() -> dict[tuple[str, str], int]:
    """µs by (okrsim module, top-level library) for the libraries okrsim's modules import first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", WORKER],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[tuple[str, str], int] = {}
    # importtime lists a module after what it imported, each one level deeper.
    pending: list[tuple[int, str, int]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        module = name.strip()
        children = []
        while pending and pending[-1][0] > depth:
            children.append(pending.pop())
        if module.startswith("okrsim"):
            for _, child, us in children:
                if not child.startswith("okrsim"):
                    key = (module, child.split(".")[0])
                    found[key] = found.get(key, 0) + us
        pending.append((depth, module, int(cumulative)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters (best is kept)")
    args = parser.parse_args()
    if args.repeat < 1:
        print(f"error: --repeat: {args.repeat} must be at least 1", file=sys.stderr)
        raise SystemExit(2)
    wall(WORKER)  # warm the file cache once, untimed
    with measured_load() as load:
        bare = min(wall("pass") for _ in range(args.repeat))
        worker = min(wall(WORKER) for _ in range(args.repeat))
    print(
        f"sweep worker imports: {worker:.2f} s (python alone {bare:.2f} s; best of {args.repeat}) "
        f"{load.note()}"
    )
    print("libraries okrsim's modules import first (with what they import):")
    for (module, library), us in first_imports().items():
        if us >= LISTED_US:
            print(f"  {library:<16} {us / 1000:5.0f} ms  by {module}")


if __name__ == "__main__":
    main()
