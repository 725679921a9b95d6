"""Ensembles: runs stepped together give each run's results alone, bit for bit.

* Every preset (different sizes, key results, policies, schedules) twice,
  each run with its own seed, as one ensemble: every output table equal to
  the run's alone, exactly.
* Runs under one policy step as one cohort (weeks, quarters' starts and
  ends) and answer the week's report choice in one call; a cohort's
  organisation-wide figures are each organisation's own, bit for bit.
* The paired runner's batch form gives the paired runner's effects.
* A worker's ensemble whose run raises reruns its runs alone: the failure is
  pinned on its run and the other rows are kept.

The executors' test (tests/test_experiments_executors.py) holds a sweep's
Parquet files, batched on every backend, to the same sweep run run by run.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from okrsim.experiments import executors
from okrsim.experiments.effects import paired_effect, paired_effects
from okrsim.experiments.plan import plan_sweep
from okrsim.model import OKRModel, ensemble, quarter_end, quarter_start, stacked_choice, week
from okrsim.model.organisation import Organisation
from okrsim.params import Scenario
from okrsim.policies import choices
from okrsim.policies.curves import curve_for
from okrsim.policies.rating import relative_to_mean
from okrsim.seeding import RunSeed
from okrsim.simulation import RunResult, run, run_many

REPO = Path(__file__).resolve().parent.parent
PRESETS = sorted((REPO / "okrsim" / "presets").glob("*.toml"))
TINY = REPO / "experiments" / "tiny.toml"


def assert_same_run(alone: RunResult, together: RunResult) -> None:
    assert alone.seed == together.seed
    tables = alone.tables()
    assert tables.keys() == together.tables().keys()
    for name, frame in tables.items():
        other = together.tables()[name]
        assert_frame_equal(other, frame, check_exact=True, obj=name)
        for column in frame.select_dtypes("float").columns:  # bit for bit, −0.0 included
            assert other[column].to_numpy().tobytes() == frame[column].to_numpy().tobytes()
    assert alone.summary.keys() == together.summary.keys()
    for metric, value in alone.summary.items():
        assert repr(together.summary[metric]) == repr(value), metric


def test_every_preset_twice_in_one_ensemble_gives_each_run_alone() -> None:
    """38 runs in one ensemble: each preset's two runs form a cohort (a forced
    ranking's with each run's curve at its own peers), and cohorts regroup
    when a schedule changes the policy."""
    scenarios = [Scenario.from_toml(path) for path in PRESETS for _ in range(2)]
    assert len({(s.org.n_teams, s.org.team_size, s.okr.krs_per_person) for s in scenarios}) > 3
    seeds = [RunSeed.of(100 + i) for i in range(len(scenarios))]
    together = run_many(scenarios, seeds)
    for scenario, seed, result in zip(scenarios, seeds, together, strict=True):
        assert_same_run(run(scenario, seed), result)


def test_runs_under_one_policy_step_as_one_cohort(monkeypatch: pytest.MonkeyPatch) -> None:
    stepped: list[int] = []
    real = week.until_reports

    def counted(state: Any) -> Any:
        stepped.append(state.workforce.n)
        return real(state)

    monkeypatch.setattr(week, "until_reports", counted)
    scenario = Scenario.from_mapping({"org": {"n_teams": 3}, "horizon": {"quarters": 2}})
    run_many([scenario] * 5, [1, 2, 3, 4, 5])
    assert stepped == [5 * 3 * scenario.org.team_size] * 26


def test_a_cohorts_quarter_starts_and_ends_once_for_all_its_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stepped: list[tuple[str, int]] = []

    def counted(module: Any, name: str) -> None:
        real = getattr(module, name)

        def step(state: Any, draws: Any) -> Any:
            stepped.append((name, state.workforce.n))
            return real(state, draws)

        monkeypatch.setattr(module, name, step)

    counted(quarter_start, "open_quarter")
    counted(quarter_end, "review")
    scenario = Scenario.from_mapping({"org": {"n_teams": 3}, "horizon": {"quarters": 2}})
    run_many([scenario] * 5, [1, 2, 3, 4, 5])
    everyone = 5 * 3 * scenario.org.team_size
    assert stepped == [("open_quarter", everyone), ("review", everyone)] * 2


@pytest.mark.parametrize("statistic", [np.mean, np.std, np.var])
def test_organisation_wide_figures_are_each_organisations_own_bit_for_bit(statistic: Any) -> None:
    """Rows of very different sizes and signs, long enough for pairwise sums to
    split: each run's figure in a cohort is the figure of its rows alone."""
    rng = np.random.default_rng(3)
    runs, n = 7, 1000
    values = rng.normal(0.0, 1.0, runs * n) * 10.0 ** rng.integers(-8, 9, runs * n)
    org = Organisation.draw(np.random.default_rng(0), Scenario())
    stacked = dataclasses.replace(org, runs=runs)
    each = np.asarray(stacked.overall(statistic, values))
    assert each.shape == (runs * n,)
    for r in range(runs):
        alone = dataclasses.replace(org, runs=1).overall(statistic, values[r * n : (r + 1) * n])
        assert isinstance(alone, float)
        assert np.all(each[r * n : (r + 1) * n] == alone)


def test_a_reading_against_each_organisations_mean_is_the_reading_alone() -> None:
    """One organisation's mean stands out of its spread, the other's does not:
    each keeps its own reading (shares of the mean, or a z-score)."""
    x = np.array([1.0, 2.0, 3.0, -1.0, 0.5, 0.8])
    mean = np.repeat([2.0, 0.1], 3)
    spread = np.repeat([0.8, 0.9], 3)
    together = relative_to_mean(x, mean, spread, weight=0.7)
    for rows in (slice(0, 3), slice(3, 6)):
        alone = relative_to_mean(x[rows], float(mean[rows][0]), float(spread[rows][0]), weight=0.7)
        assert together[rows].tobytes() == alone.tobytes()


def test_runs_that_take_different_code_paths_in_one_ensemble_give_each_run_alone() -> None:
    base: dict[str, Any] = {"org": {"n_teams": 2}, "horizon": {"quarters": 2}}
    changes: list[dict[str, Any]] = [
        {},
        {"comp": {"coupling": 0.0}},
        {"okr": {"enabled": False}},
        {"behaviour": {"decision_rule": "learn"}},
        {"behaviour": {"decision_rule": "satisfice"}},
        {"env": {"blocker_rate": 0.002}},
        {"org": {"n_teams": 2, "dependency_density": 0.3}},
        {"judgment": {"audit_probability": 0.02}},
        {"comp": {"coupling": 1.0, "bonus_curve": "step"}},
        {"okr": {"target_rule": "ratchet"}},
        {"comp": {"evaluation": "team"}},
        {"comp": {"evaluation": "relative"}},
    ]
    scenarios = [Scenario.from_mapping(base | change) for change in changes for _ in range(2)]
    seeds = [RunSeed.of(500 + i) for i in range(len(scenarios))]
    together = run_many(scenarios, seeds)
    for scenario, seed, result in zip(scenarios, seeds, together, strict=True):
        assert_same_run(run(scenario, seed), result)


def test_runs_of_different_horizons_and_per_employee_weeks_step_together() -> None:
    short = Scenario.from_mapping({"org": {"n_teams": 3}, "horizon": {"quarters": 1}})
    long = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 3}})
    together = run_many([long, short, long], [1, 2, 3], weekly_detail=True)
    for scenario, seed, result in zip([long, short, long], [1, 2, 3], together, strict=True):
        assert not result.employee_weeks.empty
        assert_same_run(run(scenario, seed, weekly_detail=True), result)


def test_runs_taken_up_mid_quarter_step_on_as_alone() -> None:
    scenario = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 2}})
    alone = [OKRModel(scenario, seed) for seed in (1, 2)]
    together = [OKRModel(scenario, seed) for seed in (1, 2)]
    for model in (*alone, *together):
        for _ in range(3):
            model.step()
    for model in alone:
        model.run()
    ensemble.Ensemble(together).run()
    for a, b in zip(alone, together, strict=True):
        assert_frame_equal(b.weekly_frame(), a.weekly_frame(), check_exact=True)
        assert_frame_equal(b.quarterly_frame(), a.quarterly_frame(), check_exact=True)


def test_negative_zero_is_zero_in_a_scenario() -> None:
    scenario = Scenario.from_mapping({"comp": {"coupling": -0.0}, "behaviour": {"luck_sd": -0.0}})
    assert math.copysign(1.0, scenario.comp.coupling) == 1.0
    assert scenario == Scenario.from_mapping(
        {"comp": {"coupling": 0.0}, "behaviour": {"luck_sd": 0.0}}
    )


def test_replications_of_one_scenario_make_the_report_choice_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = choices.choose_shading

    def counted(mu: Any, sd: Any, **kwargs: Any) -> Any:
        calls.append(len(mu))
        return real(mu, sd, **kwargs)

    monkeypatch.setattr(choices, "choose_shading", counted)
    scenario = Scenario.from_toml(REPO / "okrsim" / "presets" / "coupled.toml")
    scenario = scenario.with_overrides({"horizon.quarters": 1}, source="test")
    employees = scenario.org.n_teams * scenario.org.team_size
    run_many([scenario] * 4, [1, 2, 3, 4])
    weeks = 13
    assert len(calls) == weeks
    assert calls == [4 * employees] * weeks


def test_questions_on_different_code_paths_are_answered_apart() -> None:
    mu = pd.DataFrame({"a": [0.8, 1.0], "b": [0.9, 1.1]}).to_numpy()
    sd = mu * 0 + 0.1
    payoff = choices.Payoff(
        curve=curve_for(Scenario.from_mapping({}).comp),
        coupling=mu[:, :1] * 0 + 0.5,
        rank_weight=0.0,
        team_weight=0.0,
        team_size=8,
        contribution_weight=0.3,
        help_weight=0.1,
        ambition_weight=0.0,
        failure_tolerance=0.5,
        inflation_penalty=0.5,
        settlement_quarters=1,
        manager_pull=0.0,
        ratchet_pull=0.0,
        centrality=0.2,
    )

    def question(ratchet: float) -> choices.ShadingQuestion:
        stakes = choices.ReportStakes(
            formula_share=mu[:, :1] * 0 + 0.2,
            judged_per_attainment=mu * 0 + 0.1,
            audit_rate=mu * 0 + 0.2,
            ratchet_per_attainment=mu[:, :1] * 0 + ratchet,
            extrinsic=1.0,
            honesty_cost=mu[:, :1] * 0 + 0.5,
        )
        return choices.ShadingQuestion(
            mu, sd, payoff=payoff, stakes=stakes, options=choices.SHADING_GRID
        )

    # a believed ratchet opens the negative half of the grid: another code path
    plain, ratcheted, again = question(0.0), question(0.3), question(0.0)
    assert plain.branches() != ratcheted.branches()
    answers = stacked_choice.answer_together([plain, None, ratcheted, again])
    assert answers[1] is None
    for q, answer in zip([plain, ratcheted, again], answers[:1] + answers[2:], strict=True):
        assert answer is not None
        for got, expected in zip(answer, q.answer(), strict=True):
            assert got.tobytes() == expected.tobytes()
    # the same runs as one cohort's question: each run's rows keep their own path
    cohort = stacked_choice.answer_together([plain, ratcheted, again])  # stacked by path
    assert _joined([plain, ratcheted]).branches_by_run(2) == [
        plain.branches(),
        ratcheted.branches(),
    ]
    rows = [slice(0, 2), slice(2, 4), slice(4, 6)]
    joined = stacked_choice.answer_runs([(_joined([plain, ratcheted, again]), rows)])[0]
    assert joined is not None
    for got, part in zip(joined, zip(*cohort, strict=True), strict=True):
        assert got.tobytes() == np.concatenate(part).tobytes()


def _joined(questions: list[choices.ShadingQuestion]) -> choices.ShadingQuestion:
    """Questions end to end whatever their paths, as a cohort's question is made."""
    first = questions[0]

    def stacked(holders: list[Any]) -> dict[str, Any]:
        return {
            f.name: np.concatenate([np.asarray(getattr(h, f.name)) for h in holders])
            for f in dataclasses.fields(holders[0])
            if np.ndim(getattr(holders[0], f.name)) == 2
        }

    return choices.ShadingQuestion(
        np.concatenate([q.mu_attainment for q in questions]),
        np.concatenate([q.sd_attainment for q in questions]),
        payoff=dataclasses.replace(first.payoff, **stacked([q.payoff for q in questions])),
        stakes=dataclasses.replace(first.stakes, **stacked([q.stakes for q in questions])),
        options=first.options,
    )


def test_paired_effects_are_the_paired_runner_run_by_run() -> None:
    base = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 2}})
    points = [base, base.with_overrides({"comp.bonus_curve": "step"}, source="test")]
    arms: dict[str, Any] = {
        "treated": {"comp.coupling": 1.0},
        "control": {"comp.coupling": 0.0},
    }
    together = paired_effects(points, [7, 8], **arms)
    for point, seed, effect in zip(points, [7, 8], together, strict=True):
        alone = paired_effect(point, seed, **arms)
        assert repr(effect.summary) == repr(alone.summary)
        assert_frame_equal(effect.quarterly, alone.quarterly, check_exact=True)


def planted(scenario: Scenario, seed: Any) -> bool:
    """Coupling 0.5, the step curve, replication 1: the run planted to raise."""
    comp = scenario.comp
    return (
        comp.coupling == 0.5 and comp.bonus_curve == "step" and RunSeed.of(seed).spawn_key[-1] == 1
    )


def planted_runs(scenarios: list[Scenario], seeds: list[Any]) -> list[RunResult]:
    """``run_many``, except that an ensemble holding the planted run raises."""
    if any(planted(s, seed) for s, seed in zip(scenarios, seeds, strict=True)):
        raise RuntimeError("planted failure in an ensemble")
    return run_many(scenarios, seeds)


def planted_run(scenario: Scenario, seed: Any) -> RunResult:
    if planted(scenario, seed):
        raise RuntimeError("planted failure in its run")
    return run(scenario, seed)


def test_an_ensemble_that_raises_reruns_its_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_sweep(TINY)
    chunk = plan.chunk(range(plan.n_runs))
    reference = executors.run_chunk(chunk)  # the real model, batched
    (bad,) = [
        t.run_id
        for t in chunk.tasks
        if t.point == {"comp.coupling": 0.5, "comp.bonus_curve": "step"} and t.replication == 1
    ]
    runner = f"{__name__}:planted_run"
    monkeypatch.setitem(executors.BATCH_RUNNERS, runner, f"{__name__}:planted_runs")
    got = executors.run_chunk(dataclasses.replace(chunk, runner=runner))
    assert [f["run_id"] for f in got.failures] == [bad]
    assert "planted failure in its run" in got.failures[0]["error"]
    assert got.rows == [row for row in reference.rows if row["run_id"] != bad]
