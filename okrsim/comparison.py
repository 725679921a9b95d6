"""``compare``: paired replications of several scenarios under common random numbers.

Replication ``r`` of every scenario uses the same seed, planned up front from
the root seed, so every scenario meets the same workforce and the same
shocks; the first scenario is the reference ``a`` and each other is ``b``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from okrsim.metrics import METRICS, RUN_METRICS, halfway_quarters
from okrsim.model.ensemble import batches
from okrsim.params import Scenario
from okrsim.seeding import RunSeed, replication_seeds
from okrsim.simulation import run_many
from okrsim.stats import paired_difference

COMPARISON_COLUMNS = (
    "metric",
    "scenario_a",
    "scenario_b",
    "mean_a",
    "mean_b",
    "diff",
    "ci_low",
    "ci_high",
    "cohens_d",
)


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`.

    Attributes
    ----------
    runs
        One row per (scenario, replication): seed and every metric's mean over
        the horizon.
    quarterly
        One row per (scenario, replication, quarter) with every metric.
    weekly
        Weekly model series, averaged over replications, per scenario.
    table
        One row per (metric, b-scenario): means, paired difference ``b − a``,
        its 95 % CI and Cohen's d (columns :data:`COMPARISON_COLUMNS`).
    by_quarter
        The same, quarter by quarter: one row per (metric, b-scenario,
        quarter), with a ``quarter`` column first.
    """

    names: tuple[str, ...]
    reps: int
    seed: int
    scenarios: Mapping[str, Scenario]
    runs: pd.DataFrame
    quarterly: pd.DataFrame
    weekly: pd.DataFrame
    table: pd.DataFrame
    by_quarter: pd.DataFrame

    def gap_recovery(self, metric: str, scenario_b: str, change: int) -> float:
        """Quarters after ``change`` until ``b − a`` in ``metric`` has closed half its gap.

        The gap is the paired mean difference quarter by quarter; it starts
        at its value in the quarter before the change and closes at 0 (the
        reference's level): how long, for instance, decoupling in year two
        takes to get half-way to an organisation that was always decoupled.
        """
        q = self.by_quarter
        rows = q[(q["metric"] == metric) & (q["scenario_b"] == scenario_b)]
        return halfway_quarters(rows["diff"], rows["quarter"], change, settled=0.0)


def compare(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    reps: int = 20,
    seed: int = 0,
    *,
    workers: int = 1,
    progress: bool = False,
) -> Comparison:
    """Run every scenario ``reps`` times with shared seeds and pair the results.

    Parameters
    ----------
    scenarios
        Named scenarios (the first is the reference) or a sequence, named
        ``s0, s1, …``.
    reps
        Paired replications per scenario.
    seed
        Root seed; replication seeds are spawned from it by index.
    workers
        Processes to run in parallel; results do not depend on it.
    progress
        Show a progress bar on stderr.
    """
    if not isinstance(scenarios, Mapping):
        scenarios = {f"s{i}": s for i, s in enumerate(scenarios)}
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    if reps < 2:
        raise ValueError("compare needs at least two replications for a confidence interval")
    names = tuple(scenarios)
    seeds = replication_seeds(seed, reps)
    tasks = [(name, scenarios[name], r, seeds[r]) for r in range(reps) for name in names]
    rows, quarters, weeks = [], [], []
    bar = tqdm(total=len(tasks), desc="runs", unit="run", disable=not progress, leave=False)
    for name, r, rs, summary, quarterly, weekly in _execute(tasks, workers):
        rows.append(
            {
                "scenario": name,
                "replication": r,
                "seed_entropy": rs.entropy,
                "spawn_key": ",".join(map(str, rs.spawn_key)),
                **summary,
            }
        )
        quarters.append(quarterly.assign(scenario=name, replication=r))
        weeks.append(weekly.assign(scenario=name, replication=r))
        bar.update()
    bar.close()
    runs = pd.DataFrame(rows).sort_values(["scenario", "replication"], ignore_index=True)
    weekly_all = pd.concat(weeks, ignore_index=True)
    weekly_mean = (
        weekly_all.drop(columns="replication")
        .groupby(["scenario", "week"], sort=False)
        .mean()
        .reset_index()
    )
    quarterly_all = pd.concat(quarters, ignore_index=True)
    return Comparison(
        names=names,
        reps=reps,
        seed=seed,
        scenarios=dict(scenarios),
        runs=runs,
        quarterly=quarterly_all,
        weekly=weekly_mean,
        table=paired_table(runs, names),
        by_quarter=quarter_table(quarterly_all, names),
    )


def quarter_table(quarterly: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """:func:`paired_table` quarter by quarter (a ``quarter`` column first)."""
    columns = ["quarter", *COMPARISON_COLUMNS]
    frames = [
        paired_table(quarterly[quarterly["quarter"] == quarter], names).assign(quarter=quarter)
        for quarter in sorted(int(q) for q in quarterly["quarter"].unique())
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def paired_table(runs: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Paired differences of every metric between the first scenario and each other.

    ``runs`` has a ``scenario`` and a ``replication`` column and one column
    per metric (and per figure of :data:`~okrsim.metrics.RUN_METRICS`).
    """
    a_name = names[0]
    a = runs[runs["scenario"] == a_name].set_index("replication")
    out = []
    for b_name in names[1:]:
        b = runs[runs["scenario"] == b_name].set_index("replication").reindex(a.index)
        for metric in (*METRICS, *RUN_METRICS):
            if metric not in runs.columns:
                continue
            pd_ = paired_difference(a[metric].to_numpy(float), b[metric].to_numpy(float))
            out.append(
                {
                    "metric": metric,
                    "scenario_a": a_name,
                    "scenario_b": b_name,
                    "mean_a": pd_.mean_a,
                    "mean_b": pd_.mean_b,
                    "diff": pd_.diff,
                    "ci_low": pd_.ci_low,
                    "ci_high": pd_.ci_high,
                    "cohens_d": pd_.cohens_d,
                }
            )
    return pd.DataFrame(out, columns=list(COMPARISON_COLUMNS))


Task = tuple[str, Scenario, int, RunSeed]
Done = tuple[str, int, RunSeed, dict[str, float], pd.DataFrame, pd.DataFrame]


def _batch(tasks: list[Task]) -> list[Done]:
    """Runs stepped together as one ensemble (each result as if run alone)."""
    results = run_many([scenario for _, scenario, _, _ in tasks], [rs for *_, rs in tasks])
    return [
        (name, r, rs, result.summary, result.quarterly, result.weekly)
        for (name, _, r, rs), result in zip(tasks, results, strict=True)
    ]


def _execute(tasks: list[Task], workers: int) -> Iterator[Done]:
    employees = max(s.org.n_teams * s.org.team_size for _, s, _, _ in tasks)
    groups = batches(tasks, employees, at_least=2 * workers if workers > 1 else 1)
    if workers <= 1:
        for group in groups:
            yield from _batch(group)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_batch, groups):
            yield from done
