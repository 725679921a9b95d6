"""Design points step together where they differ only in values each employee reads as its run's.

* Every preset (and the baseline under the ``learn`` and ``satisfice``
  decision rules, and with revisable targets) at five design points, among
  them every key's lower and upper bound, that differ in every key of
  ``okrsim.model.each_run.EACH_RUN``: the points step as one cohort, each
  employee weighing its own run's values, and every output table of each
  run is its run's alone, bit for bit.  A key read anywhere but through
  ``InForce.value`` (or a trait read after people are drawn) would give
  the first run's value to all and fail this.
* A point that differs in any other value steps apart.
* Every input the robustness study varies is one of them.
* ``InForce.value`` gives the scenario's number to a run alone and each
  employee its own run's in a cohort.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_ensemble import assert_same_run

from okrsim.experiments.robustness import load_robustness
from okrsim.model import OKRModel, week
from okrsim.model.each_run import EACH_RUN
from okrsim.model.ensemble import Ensemble
from okrsim.model.in_force import same_but_each
from okrsim.params import Scenario
from okrsim.policies import choices
from okrsim.seeding import RunSeed
from okrsim.simulation import _result, run, run_many

REPO = Path(__file__).resolve().parent.parent
PRESETS = sorted((REPO / "okrsim" / "presets").glob("*.toml"))
#: Each design point's values: the base's times these (a base of 0 gets 0.05 × them),
#: within bounds: 0 puts every key at its lower bound, infinity at its upper
#: (or 4 × the base where there is none).
FACTORS = (0.0, 0.7, 1.0, 1.3, math.inf)


def design_point(base: Scenario, factor: float) -> Scenario:
    """``base`` with every key of EACH_RUN scaled by ``factor``, within its bounds."""
    values = {}
    for key in sorted(EACH_RUN):
        group, name = key.split(".")
        value = getattr(getattr(base, group), name)
        new = value * factor if value else 0.05 * factor
        if math.isinf(new):
            new = 4.0 * (value or 0.05)
            highest = [
                b.le
                for b in type(getattr(base, group)).model_fields[name].metadata
                if getattr(b, "le", None) is not None
            ]
            new = highest[0] if highest else new
        for bound in type(getattr(base, group)).model_fields[name].metadata:
            if getattr(bound, "ge", None) is not None:
                new = max(new, bound.ge)
            if getattr(bound, "gt", None) is not None:
                new = max(new, bound.gt + 1e-3)
            if getattr(bound, "le", None) is not None:
                new = min(new, bound.le)
            if getattr(bound, "lt", None) is not None:
                new = min(new, bound.lt - 1e-3)
        whole = type(getattr(base, group)).model_fields[name].annotation is int
        values[key] = round(new) if whole else float(new)
    return base.with_overrides(values, source=f"design point ×{factor}")


def stepped_states(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every state a week is stepped for, as the week starts (filled as runs go)."""
    states: list[Any] = []
    real = week.until_reports

    def noted(state: Any) -> Any:
        states.append(state)
        return real(state)

    monkeypatch.setattr(week, "until_reports", noted)
    return states


#: Every preset, and the baseline where no preset goes: under the two decision
#: rules, and with targets revisable mid-quarter.
BASES: list[Path | str] = [*PRESETS, "learn", "satisfice", "revisions"]


def base_of(case: Path | str) -> Scenario:
    if isinstance(case, Path):
        return Scenario.from_toml(case)
    if case == "revisions":
        return Scenario.from_mapping({"okr": {"revision_allowed": True}}, source=case)
    return Scenario.from_mapping({"behaviour": {"decision_rule": case}}, source=case)


@pytest.mark.parametrize("case", BASES, ids=[b.stem if isinstance(b, Path) else b for b in BASES])
def test_design_points_differing_in_each_run_values_step_together_and_give_each_alone(
    case: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = base_of(case)
    points = [design_point(base, factor) for factor in FACTORS]
    seeds = [RunSeed.of(500 + i) for i in range(len(points))]
    together = [OKRModel(point, seed) for point, seed in zip(points, seeds, strict=True)]
    with monkeypatch.context() as patched:
        states = stepped_states(patched)
        Ensemble(together).run()
    n = base.org.n_teams * base.org.team_size
    cohorts = [s for s in states if s.workforce.n == len(points) * n]
    assert cohorts, "the design points never stepped as one"
    # in every key, the points differ, and each employee weighs its own run's value
    for cohort in cohorts:
        assert cohort.policy.own_values.keys() == EACH_RUN
    for key, values in cohorts[0].policy.own_values.items():
        group, name = key.split(".")
        expected = [getattr(getattr(p, group), name) for p in points]
        assert np.array_equal(values, np.repeat(expected, n)), key
    for model, point, seed in zip(together, points, seeds, strict=True):
        alone = OKRModel(point, seed)
        alone.run()
        assert_same_run(_result(alone), _result(model))
        assert_same_state(alone.workforce, model.workforce)


def assert_same_state(alone: Any, together: Any) -> None:
    """Every array a run's workforce ends with (choices' utilities, beliefs,
    habits), bit for bit: what no table shows must not differ either.

    NaN included: a value not yet set (``last_tau`` before a first target)
    is the same NaN in both."""
    for f in dataclasses.fields(alone):
        mine = getattr(alone, f.name)
        if isinstance(mine, np.ndarray):
            theirs = getattr(together, f.name)
            assert mine.shape == theirs.shape, f.name
            assert mine.tobytes() == theirs.tobytes(), f.name


def test_runs_whose_employees_do_and_do_not_expect_a_pull_choose_targets_as_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether anyone expects the manager's pull picks how the targets' moments
    are worked out; a run whose employees expect none (credibility 0: the
    pull announced is not believed) chooses as it would alone beside one
    whose employees do: each on its own rows."""
    base = Scenario.from_mapping(
        {"org": {"n_teams": 2}, "horizon": {"quarters": 1}, "okr": {"target_rule": "negotiated"}}
    )
    doubting = base.with_overrides({"behaviour.credibility_prior": 0.0}, source="no credibility")
    believing = base.with_overrides({"behaviour.credibility_prior": 0.5}, source="credibility")
    asked: list[tuple[int, bool]] = []
    real = choices.choose_target

    def noted(*args: Any, **kwargs: Any) -> Any:
        pull = np.asarray(kwargs.get("pull", 0.0))
        asked.append((pull.size, bool(pull.any())))
        return real(*args, **kwargs)

    together = [OKRModel(doubting, 1), OKRModel(believing, 2)]
    with monkeypatch.context() as patched:
        patched.setattr(choices, "choose_target", noted)
        Ensemble(together).run()
    n = 2 * base.org.team_size
    assert asked[:2] == [(n, False), (n, True)]  # the quarter's targets, run by run
    alone = OKRModel(doubting, 1)
    alone.run()
    assert_same_state(alone.workforce, together[0].workforce)


def test_a_point_that_differs_in_another_value_steps_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = Scenario.from_mapping({"org": {"n_teams": 3}, "horizon": {"quarters": 1}})
    other = base.with_overrides({"comp.coupling": 0.9}, source="another coupling")
    assert "comp.coupling" not in EACH_RUN
    states = stepped_states(monkeypatch)
    run_many([base, other], [1, 2])
    assert {s.workforce.n for s in states} == {3 * base.org.team_size}


def test_a_value_is_the_scenarios_alone_and_each_employees_own_runs_in_a_cohort() -> None:
    base = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 1}})
    points = [design_point(base, factor) for factor in (0.5, 1.5)]
    models = [OKRModel(point, seed) for seed, point in enumerate(points)]
    for model in models:
        model.read_quarter()
    key = "behaviour.extrinsic_weight"
    alone = models[0].policy.value(key)
    assert alone == points[0].behaviour.extrinsic_weight
    assert models[0].policy.value(key, per_key_result=True) == alone
    a, b = (m.policy for m in models)
    assert a != b
    assert same_but_each(a, b)
    stacked = a.stacked([a, b], [m.workforce.n for m in models])
    each = stacked.value(key)
    n = models[0].workforce.n
    weights = [p.behaviour.extrinsic_weight for p in points]
    assert np.array_equal(each, np.repeat(weights, n))
    assert np.shape(stacked.value(key, per_key_result=True)) == (2 * n, 1)
    # a value the runs share stays the scenario's number
    shared = "behaviour.learning_rate"
    only_weight = points[0].with_overrides({key: 2.5}, source="another weight")
    c = OKRModel(only_weight, 9)
    c.read_quarter()
    one_differs = a.stacked([a, c.policy], [n, n])
    assert one_differs.own_values.keys() == {key}
    assert one_differs.value(shared) == points[0].behaviour.learning_rate
    assert a.stacked([a, a], [n, n]).own_values == {}


def test_runs_at_the_self_clearing_rates_bounds_step_together_and_give_each_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The self-clearing rate also prices waiting a week to raise a blocker
    (``choices.raise_now``): moved alone to its bounds, it flips that decision,
    which the all-keys points above do not."""
    base = Scenario.from_toml(REPO / "scenarios" / "baseline.toml").with_overrides(
        {"horizon.quarters": 2}
    )
    points = [base.with_overrides({"env.self_resolve_rate": rate}) for rate in (0.01, 1.0)]
    seeds = [5, 6]
    with monkeypatch.context() as patched:
        states = stepped_states(patched)
        together = run_many(points, seeds)
    assert {s.workforce.n for s in states} == {2 * base.org.n_teams * base.org.team_size}
    for point, seed, result in zip(points, seeds, together, strict=True):
        assert_same_run(run(point, seed), result)


def test_runs_that_heard_different_audit_rates_hear_a_scheduled_one_each_as_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The audit rate is stated: each run's employees hear their own run's, and a
    rate scheduled for all is news only to the runs that stated another before."""
    base = Scenario.from_mapping(
        {
            "org": {"n_teams": 3},
            "horizon": {"quarters": 4},
            "schedule": [{"quarter": 3, "set": {"judgment.audit_probability": 0.2}}],
        }
    )
    points = [base.with_overrides({"judgment.audit_probability": p}) for p in (0.2, 0.02, 0.6)]
    together = [OKRModel(point, RunSeed.of(70 + i)) for i, point in enumerate(points)]
    with monkeypatch.context() as patched:
        states = stepped_states(patched)
        Ensemble(together).run()
    n = base.org.n_teams * base.org.team_size
    assert {s.workforce.n for s in states} == {3 * n}
    for i, (model, point) in enumerate(zip(together, points, strict=True)):
        alone = OKRModel(point, RunSeed.of(70 + i))
        alone.run()
        assert_same_run(_result(alone), _result(model))
        assert_same_state(alone.workforce, model.workforce)


def test_every_input_the_robustness_study_varies_may_differ_within_a_cohort() -> None:
    """So that its design points step together, one cohort per decision rule
    (docs/ROBUSTNESS.md, the README's performance section)."""
    study = load_robustness(REPO / "experiments" / "robustness.toml")
    assert len(study.ranges) == 111
    assert set(study.ranges) <= EACH_RUN
