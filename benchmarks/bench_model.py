"""Speed of okrsim per agent-week against Mesa's Boltzmann wealth example per agent-step.

Runs, in one process: okrsim's baseline with 1,000 employees for 52 weeks, the
same organisation with every mechanism on (dependency network, shared and
several key results per person, a policy schedule), and Mesa's own Boltzmann
wealth model with 1,000 agents on a 32×32 grid for 100 steps.  Prints
throughputs, their ratios (target ≥ 1.0) and okrsim's peak memory (target
≤ 500 MB).  Each figure is the best of ``--repeat`` timings.

    python benchmarks/bench_model.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable

from machine_load import measured_load

from okrsim.model import OKRModel
from okrsim.params import Scenario

EMPLOYEES = 1000
WEEKS = 52


def baseline() -> Scenario:
    return Scenario().with_overrides(
        {"org.n_teams": 125, "org.team_size": 8, "horizon.quarters": 4}
    )


def every_mechanism() -> Scenario:
    return Scenario.from_mapping(
        {
            "org": {
                "n_teams": 125,
                "team_size": 8,
                "dependency_density": 0.02,
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


def okrsim_run(scenario: Scenario) -> Callable[[], None]:
    def go() -> None:
        model = OKRModel(scenario, 1)
        for _ in range(WEEKS):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per model (best is kept)")
    args = parser.parse_args()
    with measured_load() as load:
        boltz = 1000 * 100 / best_of(boltzmann_run, args.repeat)
        print(
            f"Mesa Boltzmann wealth: {boltz:12,.0f} agent-steps/s (1,000 agents, 32x32, 100 steps)"
        )
        for name, scenario in (("baseline", baseline()), ("every mechanism", every_mechanism())):
            rate = EMPLOYEES * WEEKS / best_of(okrsim_run(scenario), args.repeat)
            mem = peak_memory_mb(okrsim_run(scenario))
            print(
                f"okrsim {name:<16} {rate:12,.0f} agent-weeks/s  ratio {rate / boltz:5.2f}  "
                f"(target >= 1.0)  peak traced memory {mem:6.1f} MB (target <= 500)"
            )
    print(load.describe())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
