"""Sweep throughput and parallel efficiency, and the driver's memory at scale.

Three measurements (not a timed test; run by hand):

0. **Single runs and ensembles.** Runs per second per core:
   ``okrsim.simulation.run`` of the default scenario (96 employees,
   8 quarters) over and over in this one process, after one warm-up run; then
   the same runs as ensembles (``okrsim.simulation.run_many``, the batches a
   sweep's worker makes), and the ratio.  Target (issue 16): ensembles ≥ 6×
   the 7.4 runs/s single runs made when it was filed.  The same for
   ``scenarios/relative_ranking.toml``, whose runs each weigh a curve at their
   own peers' results.  Then as many runs of
   ``experiments/sensitivity.toml`` (design points that differ in 8 values
   each employee reads as its own run's) as a sweep's worker runs a chunk,
   and as many paired runs of each stage of ``experiments/robustness.toml``
   (the Morris screen over every input; the Sobol' stage over the inputs the
   study of docs/ROBUSTNESS.md resolved).
1. **Throughput.** A 200-run sweep of the baseline scenario at 100 employees
   (10 teams of 10) × 12 quarters, on the local pool with 1 and with 2
   workers, and on a 2-worker Dask ``LocalCluster`` (loopback).  Prints
   runs/s (the best of ``--repeat`` rounds) and parallel efficiency
   ``rate(2) / (2 · rate(1))``, worked out within each round (its sweeps run
   one after another) and given as the rounds' median and range: on a
   shared host whose speed drifts, the best two-worker sweep over the best
   one-worker sweep mixes moments, and rounds that disagree by more than
   :data:`DRIFT` are flagged.  Targets: ≥ 85 % on the local pool, ≥ 80 % on
   Dask.
2. **Driver memory.** Peak resident memory of the driver process alone (not
   its workers) for a 200-run and a 10,000-run sweep of a tiny scenario
   (10 employees, 2 quarters), each in a fresh process.  Target: the
   10,000-run peak within 1.5× of the 200-run peak — results stream to disk.

Wall time includes starting the workers and their first imports, as a user
would see it.  Every figure carries the CPU other processes took while it was
measured (:mod:`machine_load`), and one taken under load is flagged.

    python benchmarks/bench_sweep.py [--runs 200] [--repeat 3] [--memory-runs 10000]
                                     [--single-runs 20] [--skip-dask] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from machine_load import Load, measured_load

from okrsim.experiments.executors import Backend, DaskBackend, PoolBackend, run_chunk
from okrsim.experiments.plan import Plan, plan_sweep
from okrsim.experiments.robustness import load_robustness
from okrsim.experiments.sweep import run_sweep
from okrsim.experiments.sweep_store import Store
from okrsim.model.ensemble import batches
from okrsim.params import Scenario
from okrsim.simulation import run, run_many

REPO = Path(__file__).resolve().parent.parent
#: The parallel efficiencies printed: the two-worker sweep, what it is read
#: against the one-worker pool of its round, and its target (issue 16).
EFFICIENCIES = (("pool x2", "pool 1→2", 0.85), ("dask x2", "Dask vs pool x1", 0.80))
#: Rounds whose efficiencies differ by more than this are flagged: the host's
#: speed moved between them (assumption: ten points, twice the targets' margin).
DRIFT = 0.10
BASELINE = REPO / "scenarios" / "baseline.toml"
RELATIVE = REPO / "scenarios" / "relative_ranking.toml"
SENSITIVITY = REPO / "experiments" / "sensitivity.toml"
ROBUSTNESS = REPO / "experiments" / "robustness.toml"


def experiment(directory: Path, name: str, runs: int, settings: str) -> Path:
    """A one-point experiment of ``runs`` replications (independent seeds)."""
    path = directory / f"{name}.toml"
    path.write_text(
        textwrap.dedent(f"""
        [experiment]
        name = "{name}"
        base = "{BASELINE}"
        replications = {runs}
        seed = 2026
        crn = false

        [set]
        {settings}

        [outcomes]
        metrics = ["sandbagging_index", "true_value", "reporting_bias", "rating_accuracy"]
        """)
    )
    return path


#: Single runs per second per core at the default size when issue 16 set the target.
FILED_RATE = 7.4
#: The issue's target for ensembles, as a multiple of :data:`FILED_RATE`.
ENSEMBLE_TARGET = 6.0


def design_points(runs: int) -> tuple[float, Load]:
    """Runs per second of the first ``runs`` runs of ``experiments/sensitivity.toml``
    (design points 8 values apart, 2 replications each) in this process, as a
    sweep's worker runs one chunk of them (ensembles)."""
    return chunk_rate(plan_sweep(SENSITIVITY), runs)


def chunk_rate(plan: Plan, runs: int) -> tuple[float, Load]:
    """Runs per second of the first ``runs`` runs of ``plan`` as one chunk in this
    process, after a warm-up chunk of two others."""
    run_chunk(plan.chunk(range(runs, runs + 2)))
    with measured_load() as load:
        start = time.perf_counter()
        done = run_chunk(plan.chunk(range(runs)))
        seconds = time.perf_counter() - start
    if done.failures:
        raise SystemExit(done.failures[0]["traceback"])
    return runs / seconds, load


#: The inputs the robustness study's Sobol' stage resolved (docs/ROBUSTNESS.md,
#: 30 November 2026) and the rule: the stage the benchmark times.
RESOLVED = (
    *("behaviour.quit_pay_sensitivity", "behaviour.quit_stress_sensitivity"),
    *("judgment.risk_weight", "judgment.accuracy", "judgment.blocker_penalty"),
    *("env.incident_cost", "env.backlog_decay", "env.breakthrough_rate"),
    *("assumptions.kr_plan_prior", "assumptions.rule_offer_spread"),
    *("assumptions.rule_shading_spread", "behaviour.decision_rule"),
)


def robustness_stage(stage: str, runs: int) -> tuple[float, Load]:
    """Paired runs per second of the first ``runs`` of a stage of
    ``experiments/robustness.toml`` in this process, as a worker runs one chunk."""
    study = load_robustness(ROBUSTNESS)
    return chunk_rate(study.stage_plan(stage, list(RESOLVED) if stage == "resolve" else None), runs)


def single_runs(
    runs: int, *, together: bool = False, scenario: Scenario | None = None
) -> tuple[float, Load]:
    """Runs per second of ``scenario`` (the default one) in this process: one after
    another, or ``together`` as the ensembles a sweep's worker makes of them."""
    scenario = scenario or Scenario()
    run(scenario, 0)
    seeds = list(range(1, runs + 1))
    employees = scenario.org.n_teams * scenario.org.team_size
    with measured_load() as load:
        start = time.perf_counter()
        if together:
            for group in batches(seeds, employees):
                run_many([scenario] * len(group), group)
        else:
            for seed in seeds:
                run(scenario, seed)
        seconds = time.perf_counter() - start
    return runs / seconds, load


def throughput(path: Path, out: Path, backend: Backend) -> tuple[float, Load]:
    """Runs per second of one sweep, workers' start-up included.

    Prints the CPU other processes took meanwhile, because other work on the
    machine skews parallel efficiency (:mod:`machine_load`); the workers, pool
    or Dask, descend from this process and count as its own.
    """
    with measured_load(poll=0.2) as load:
        try:
            start = time.perf_counter()
            summary = run_sweep(plan_sweep(path), out, backend, progress=False)
            seconds = time.perf_counter() - start
        finally:
            backend.close()
    print(f"  ({backend.name} × {backend.workers}: {load.describe()})")
    if summary.failed:
        first = Store.open(out).read_failures()["traceback"].iloc[0]
        raise SystemExit(f"{summary.failed} runs failed; the first:\n{first}")
    return summary.done / seconds, load


#: Runs one sweep on a 2-worker pool and prints the driver's peak RSS (KiB).
_MEMORY_PROBE = """
import json, resource, sys

from okrsim.experiments.executors import PoolBackend
from okrsim.experiments.plan import plan_sweep
from okrsim.experiments.sweep_store import Store
from okrsim.experiments.sweep import run_sweep

backend = PoolBackend(workers=2)
try:
    summary = run_sweep(plan_sweep(sys.argv[1]), sys.argv[2], backend, progress=False)
finally:
    backend.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"runs": summary.done, "peak_kib": peak, "seconds": summary.seconds}))
"""


def driver_peak(path: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per throughput sweep")
    parser.add_argument("--memory-runs", type=int, default=10_000, help="runs of the big sweep")
    parser.add_argument("--skip-dask", action="store_true", help="no Dask LocalCluster")
    parser.add_argument("--skip-memory", action="store_true", help="no memory measurement")
    parser.add_argument(
        "--repeat", type=int, default=1, help="throughput: best of this many sweeps each"
    )
    parser.add_argument(
        "--single-runs", type=int, default=20, help="runs timed one after another in one process"
    )
    args = parser.parse_args()
    if min(args.runs, args.memory_runs, args.repeat, args.single_runs) < 1:
        print(
            "error: --runs, --memory-runs, --repeat, --single-runs: each must be at least 1",
            file=sys.stderr,
        )
        raise SystemExit(2)
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")

    single = max((single_runs(args.single_runs) for _ in range(args.repeat)), key=lambda r: r[0])
    print(
        f"single runs in one process, 96 employees × 8 quarters (best of {args.repeat}): "
        f"{single[0]:.2f} runs/s per core {single[1].note()}"
    )
    ensembles = max(
        (single_runs(args.single_runs, together=True) for _ in range(args.repeat)),
        key=lambda r: r[0],
    )
    target = ENSEMBLE_TARGET * FILED_RATE
    print(
        f"the same runs as ensembles: {ensembles[0]:.2f} runs/s per core, "
        f"{ensembles[0] / single[0]:.2f}× single runs (target ≥ {target:.1f} runs/s: "
        f"{'met' if ensembles[0] >= target else 'NOT MET'}) {ensembles[1].note()}"
    )
    ranked = Scenario.from_toml(RELATIVE)
    relative = [
        max(
            (
                single_runs(args.single_runs, together=t, scenario=ranked)
                for _ in range(args.repeat)
            ),
            key=lambda r: r[0],
        )
        for t in (False, True)
    ]
    print(
        f"scenarios/relative_ranking.toml (each run's curve at its own peers): single runs "
        f"{relative[0][0]:.2f}, ensembles {relative[1][0]:.2f} runs/s per core "
        f"{relative[1][1].note()}"
    )
    points = max((design_points(args.single_runs) for _ in range(args.repeat)), key=lambda r: r[0])
    print(
        f"design points of experiments/sensitivity.toml, {args.single_runs} runs as one chunk: "
        f"{points[0]:.2f} runs/s per core {points[1].note()}"
    )

    for stage in ("screen", "resolve"):
        rate, load = max(
            (robustness_stage(stage, args.single_runs) for _ in range(args.repeat)),
            key=lambda r: r[0],
        )
        print(
            f"experiments/robustness.toml, {stage} stage, {args.single_runs} paired runs as "
            f"one chunk: {rate:.2f} paired runs/s per core {load.note()}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big = experiment(
            root,
            "throughput",
            args.runs,
            "org.n_teams = 10\n        org.team_size = 10\n        horizon.quarters = 12",
        )
        rounds: list[dict[str, tuple[float, Load]]] = []
        for i in range(args.repeat):
            measured = {
                "pool x1": throughput(big, root / f"p1-{i}", PoolBackend(workers=1)),
                "pool x2": throughput(big, root / f"p2-{i}", PoolBackend(workers=2)),
            }
            if not args.skip_dask:
                from distributed import LocalCluster

                with LocalCluster(
                    host="127.0.0.1",
                    processes=True,
                    n_workers=2,
                    threads_per_worker=1,
                    dashboard_address=None,
                ) as cluster:
                    backend = DaskBackend(cluster.scheduler_address)
                    measured["dask x2"] = throughput(big, root / f"d2-{i}", backend)
            rounds.append(measured)
        print(f"\n{args.runs} runs, 100 employees × 12 quarters (best of {args.repeat}):")
        for name in rounds[0]:
            rate, load = max((r[name] for r in rounds), key=lambda m: m[0])
            print(f"  {name:<8} {rate:6.2f} runs/s {load.note()}")
        drifted = False
        for name, label, target in EFFICIENCIES:
            if name in rounds[0]:
                each = sorted(r[name][0] / (2 * r["pool x1"][0]) for r in rounds)
                spread = f" (rounds {each[0]:.0%}–{each[-1]:.0%})" if len(each) > 1 else ""
                print(
                    f"  efficiency {label}: {statistics.median(each):.0%}{spread} "
                    f"(target ≥ {target * 100:.0f} %)"
                )
                drifted = drifted or each[-1] - each[0] > DRIFT
        if not all(load.quiet for r in rounds for _, load in r.values()):
            print("  an efficiency from a figure taken under load is not to be trusted")
        if drifted:
            print(
                f"  the rounds' efficiencies differ by more than {DRIFT * 100:.0f} points: "
                "the machine's speed moved between them, which other processes' CPU "
                "does not show; not to be trusted"
            )

        if not args.skip_memory:
            tiny = "org.n_teams = 5\n        org.team_size = 2\n        horizon.quarters = 2"
            print("\ndriver peak memory, 10 employees × 2 quarters, 2-worker pool:")
            peaks = []
            for name, runs in (("mem_small", 200), ("mem_large", args.memory_runs)):
                with measured_load(poll=0.2) as load:
                    m = driver_peak(experiment(root, name, runs, tiny), root / name)
                peaks.append(m["peak_kib"])
                print(
                    f"  {int(m['runs']):>6} runs: {m['peak_kib'] / 1024:7.1f} MiB "
                    f"({m['runs'] / m['seconds']:.0f} runs/s) {load.note()}"
                )
            print(f"  ratio: {peaks[1] / peaks[0]:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()
