"""Speed of okrsim per agent-week: against Mesa's Boltzmann wealth example, across
organisation sizes, and against a fused lower-bound kernel.

Runs, in one process:

1. okrsim's baseline with 1,000 employees for 52 weeks, the same organisation
   with every mechanism on (dependency network, shared and several key results
   per person, a policy schedule), and Mesa's own Boltzmann wealth model with
   1,000 agents on a 32×32 grid for 100 steps.  Prints throughputs, their ratios
   (targets, every mechanism on: ≥ 1.0 for the model's mechanisms, ≥ 3.0 for
   the performance work; the baseline's ratio is printed beside them) and
   okrsim's peak memory (target ≤ 500 MB).  The three are timed in turn, round
   by round, and each ratio is also given round by round (median and range).
2. Every mechanism on at 100, 1,000 and 100,000 employees: µs per agent-week,
   and the ratio to :mod:`fused_kernel` (the same draws and special-function
   evaluations, fused; target ≤ 2.0 at 1,000 employees or more).  The work is
   counted once, at 1,000 employees over 52 weeks, and the kernel is sized
   from it per agent-week at every size.  At 1,000 employees it also prints
   the kernel with numpy's CPU-specific ``exp``, ``log``, ``expm1`` and
   ``power`` (the kernel of earlier measurements) and whether the Boltzmann
   targets, in µs per agent-week, lie above the kernel's lower bound at all.
   The largest size runs one quarter and at most two timings; a size above
   the scenario's organisation bound is reported as such.
3. Every mechanism on at the default size (12 teams of 8), batched: runs of
   one scenario stepped together as the ensembles a sweep's worker makes
   (:func:`okrsim.model.ensemble.batches`; ``--quick``: two runs), µs per
   agent-week over all of them against single runs and against the fused
   kernel sized to the ensemble (target ≤ 3.0).

Each figure is the best of ``--repeat`` timings; ``--quick`` makes every figure
one timing and the largest size 10,000 employees for one week (a smoke test that
fits in a test run's memory, not a measurement).
Other processes' CPU use over the whole measurement is printed, and flags the
figures as taken under load when it was more than a tenth of a core
(:mod:`machine_load`).

    python benchmarks/bench_model.py [--repeat 5] [--quick]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from fused_kernel import count_work, kernel_us_per_agent_week, print_work, us_inside
from machine_load import measured_load

from okrsim.model import OKRModel
from okrsim.model.ensemble import Ensemble, batches
from okrsim.params import Scenario, ScenarioError

EMPLOYEES = 1000
WEEKS = 52
#: Expected upstream teams per team with every mechanism on.
DEPENDENCIES_PER_TEAM = 0.02 * 124
#: okrsim / Boltzmann throughput targets at 1,000 employees with every mechanism on:
#: not slower than Mesa's example, and three times faster than it.
EVERY_MECHANISM_TARGETS = (1.0, 3.0)
#: okrsim / fused kernel time per agent-week target, at 1,000 employees or more.
KERNEL_TARGET = 2.0
#: The same target for runs of the default size stepped together as an ensemble.
BATCHED_KERNEL_TARGET = 3.0
#: The default organisation: 12 teams of 8.
DEFAULT_SIZE = (12, 8)


@dataclass(frozen=True)
class Size:
    """An organisation size of the every-mechanism series and how long it runs."""

    n_teams: int
    team_size: int
    weeks: int
    #: Most timings (the largest size is too slow for many).
    repeat_cap: int | None = None

    @property
    def employees(self) -> int:
        return self.n_teams * self.team_size


SIZES = (
    Size(10, 10, WEEKS),
    Size(125, 8, WEEKS),
    Size(12_500, 8, 13, repeat_cap=2),
)
#: ``--quick``: the largest size a tenth as large, for one week.
QUICK_SIZES = (*SIZES[:-1], Size(1_250, 8, 1, repeat_cap=1))


def baseline() -> Scenario:
    return Scenario().with_overrides(
        {"org.n_teams": 125, "org.team_size": 8, "horizon.quarters": 4}
    )


def every_mechanism(n_teams: int = 125, team_size: int = 8) -> Scenario:
    """Every mechanism on; raises :class:`ScenarioError` above the organisation bound.

    Each team depends on 2.48 others on average whatever the size (density 0.02
    at 125 teams), so a larger organisation is more of the same organisation,
    not a denser network.
    """
    density = min(DEPENDENCIES_PER_TEAM / max(n_teams - 1, 1), 1.0)
    return Scenario.from_mapping(
        {
            "org": {
                "n_teams": n_teams,
                "team_size": team_size,
                "dependency_density": density,
                "shared_kr_share": 0.3,
            },
            "okr": {
                "krs_per_person": 4,
                "target_rule": "negotiated",
                "revision_allowed": True,
                "aspirational_share": 0.3,
            },
            "comp": {"coupling": 0.5, "evaluation": "relative"},
            "env": {"shock_quarter": 2},
            "horizon": {"quarters": 4},
            "schedule": [
                {"quarter": 3, "set": {"comp.coupling": 0.0, "comp.evaluation": "absolute"}}
            ],
        },
        source="bench",
    )


def okrsim_run(scenario: Scenario, weeks: int = WEEKS) -> Callable[[], None]:
    def go() -> None:
        model = OKRModel(scenario, 1)
        for _ in range(weeks):
            model.step()

    return go


def boltzmann_run() -> None:
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    model = BoltzmannWealth(BoltzmannScenario(n=1000, width=32, height=32, rng=1))
    for _ in range(100):
        model.step()


def best_of(fn: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory_mb(fn: Callable[[], None]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def against_boltzmann(repeat: int) -> float:
    """Throughputs at 1,000 employees and their ratio to Mesa's Boltzmann wealth
    model; returns Boltzmann's agent-steps per second.

    The three are timed in turn, ``repeat`` rounds: each figure is its best
    round, and beside each ratio are the ratios of the rounds, round by round
    (their median and range), which a machine whose speed drifts moves less.
    """
    timed = {
        "boltzmann": boltzmann_run,
        "baseline": okrsim_run(baseline()),
        "every mechanism": okrsim_run(every_mechanism()),
    }
    rounds: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(repeat):
        for name, fn in timed.items():
            rounds[name].append(best_of(fn, 1))
    boltz = 1000 * 100 / min(rounds["boltzmann"])
    print(f"Mesa Boltzmann wealth: {boltz:12,.0f} agent-steps/s (1,000 agents, 32x32, 100 steps)")
    for name, scenario, targets in (
        ("baseline", baseline(), ()),
        ("every mechanism", every_mechanism(), EVERY_MECHANISM_TARGETS),
    ):
        rate = EMPLOYEES * WEEKS / min(rounds[name])
        mem = peak_memory_mb(okrsim_run(scenario))
        ratio = rate / boltz
        paired = sorted(
            (EMPLOYEES * WEEKS / t) / (1000 * 100 / b)
            for t, b in zip(rounds[name], rounds["boltzmann"], strict=True)
        )
        print(
            f"okrsim {name:<16} {rate:12,.0f} agent-weeks/s  ratio {ratio:5.2f} "
            f"(round by round: median {statistics.median(paired):.2f}, "
            f"{paired[0]:.2f}-{paired[-1]:.2f} over {len(paired)}) "
            + "".join(f"(target >= {t:.1f}: {verdict(ratio >= t)}) " for t in targets)
            + f" peak traced memory {mem:6.1f} MB (target <= 500: {verdict(mem <= 500)})"
        )
    return boltz


def against_kernel(repeat: int, quick: bool, boltzmann: float) -> None:
    """µs per agent-week with every mechanism on, by size, and the ratio to the fused
    kernel; at 1,000 employees, also the kernel with numpy's CPU-specific functions
    and what the Boltzmann targets ask per agent-week (``boltzmann``: agent-steps/s)."""
    work = count_work(every_mechanism(), WEEKS)
    print_work(work, f"every mechanism, {EMPLOYEES:,} employees, {WEEKS} weeks")
    print("every mechanism, us per agent-week (model construction included):")
    for size in QUICK_SIZES if quick else SIZES:
        label = f"{size.employees:>9,} employees ({size.n_teams:,} teams of {size.team_size})"
        try:
            scenario = every_mechanism(size.n_teams, size.team_size)
        except ScenarioError as error:
            print(f"  {label}: above the organisation bound ({error})")
            continue
        weeks = size.weeks
        times = min(repeat, size.repeat_cap or repeat)
        seconds = best_of(okrsim_run(scenario, weeks), times)
        us = seconds / (size.employees * weeks) * 1e6
        kernel = kernel_us_per_agent_week(work, size.employees, weeks, times)
        ratio = us / kernel
        target = (
            f"target <= {KERNEL_TARGET:.1f}: {verdict(ratio <= KERNEL_TARGET)}"
            if size.employees >= 1000
            else "no target below 1,000"
        )
        span = f"{weeks} week{'s' if weeks > 1 else ''}"
        print(
            f"  {label}, {span}, best of {times}: okrsim {us:8.3f} us  "
            f"fused kernel {kernel:8.4f} us  ratio {ratio:6.2f} ({target})"
        )
        if size.employees == EMPLOYEES:
            numpy_kernel = kernel_us_per_agent_week(
                work, EMPLOYEES, weeks, times, numpy_functions=True
            )
            print(
                f"    the kernel with numpy's CPU-specific exp, log, expm1, power: "
                f"{numpy_kernel:.4f} us (okrsim / it: {us / numpy_kernel:.2f})"
            )
            inside = us_inside(scenario, weeks, times)
            rest = us - inside
            print(
                f"    inside its draws and special functions: {inside:.3f} us; "
                f"everything else: {rest:.3f} us"
            )
            for times_boltzmann in EVERY_MECHANISM_TARGETS:
                needed = 1e6 / (times_boltzmann * boltzmann)
                print(
                    f"    {times_boltzmann:.0f}x Boltzmann asks for {needed:.3f} us "
                    "per agent-week: "
                    + ("above" if needed > kernel else "BELOW")
                    + " the fused kernel's lower bound; "
                    + ("above" if needed > rest else "BELOW")
                    + " what okrsim spends outside its draws and special functions"
                )


def batched(repeat: int, quick: bool) -> None:
    """Every mechanism at the default size: single runs, and as one ensemble per batch."""
    scenario = every_mechanism(*DEFAULT_SIZE)
    employees, weeks = scenario.n_employees, scenario.horizon.quarters * 13
    runs = batches(list(range(10_000)), employees)[0][: 2 if quick else None]

    def alone() -> None:
        for seed in runs:
            OKRModel(scenario, seed).run()

    def together() -> None:
        Ensemble([OKRModel(scenario, seed) for seed in runs]).run()

    agent_weeks = len(runs) * employees * weeks
    single = best_of(alone, repeat) / agent_weeks * 1e6
    batch = best_of(together, repeat) / agent_weeks * 1e6
    work = count_work(scenario, weeks)
    kernel = kernel_us_per_agent_week(work, len(runs) * employees, weeks, repeat)
    ratio = batch / kernel
    print(
        f"every mechanism, {employees} employees x {len(runs)} runs stepped together, "
        f"{weeks} weeks: single runs {single:.3f} us, ensemble {batch:.3f} us per agent-week "
        f"({single / batch:.2f}x); fused kernel {kernel:.4f} us, ratio {ratio:.2f} "
        f"(target <= {BATCHED_KERNEL_TARGET:.1f}: {verdict(ratio <= BATCHED_KERNEL_TARGET)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure (best is kept)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one timing each, largest size 10,000 employees for one week (smoke test)",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        print(f"error: --repeat: {args.repeat} must be at least 1", file=sys.stderr)
        raise SystemExit(2)
    repeat = 1 if args.quick else args.repeat
    with measured_load() as load:
        boltzmann = against_boltzmann(repeat)
        against_kernel(repeat, args.quick, boltzmann)
        batched(repeat, args.quick)
    print(load.describe())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
