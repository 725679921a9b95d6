"""Ensembles in the cases where a cohort's runs could part from their runs alone.

* Runs whose schedules meet in one policy in force, their year books out of
  step (one settled every quarter until then, the other annually), or having
  heard different statements before: they step apart
  (:func:`okrsim.model.ensemble.cohorts`), as the paired runner's batch form
  does for "annual from the start" against "annual from quarter 3".
* A cohort's weekly report choice takes each run's own code path
  (:meth:`~okrsim.policies.choices.ShadingQuestion.branches_by_run`): a run
  whose own arrays make understatement pay, beside one whose arrays do not.
* Annual settlement with many newcomers; per-organisation figures at
  pairwise-sum block boundaries and on strided input; a public figure not
  refreshed at the quarter's end stays each run's own; streamed records; an
  ensemble taken up at and around a quarter's end; lazy per-employee tables
  after pickling; a count a cohort's tally passes over.
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from test_ensemble import assert_same_run

from okrsim.experiments.effects import paired_effect, paired_effects
from okrsim.model import OKRModel, ensemble
from okrsim.model.organisation import Organisation
from okrsim.model.tally import Tally
from okrsim.params import Scenario
from okrsim.seeding import RunSeed, SeedLike
from okrsim.simulation import _result, run, run_many


def _each_alone(scenarios: list[Scenario], seeds: list[SeedLike], **kwargs: Any) -> None:
    together = run_many(scenarios, seeds, **kwargs)
    for scenario, seed, result in zip(scenarios, seeds, together, strict=True):
        assert_same_run(run(scenario, seed, **kwargs), result)


# -- runs that could part ---------------------------------------------------------------


def test_runs_whose_schedules_meet_in_one_policy_give_each_run_alone() -> None:
    """From quarter 3 both runs are under one policy (annual, coupling 0.5); one
    settled every quarter until then (its year book is empty), the other
    annually (two quarters on its book): they step apart, each as alone."""
    change = [{"quarter": 3, "set": {"comp.coupling": 0.5, "comp.review_cadence": "annual"}}]
    base: dict[str, Any] = {"org": {"n_teams": 2}, "horizon": {"quarters": 4}, "schedule": change}
    quarterly = Scenario.from_mapping(base | {"comp": {"coupling": 0.3}})
    annual = Scenario.from_mapping(base | {"comp": {"coupling": 0.5, "review_cadence": "annual"}})
    assert quarterly.at_quarter(3) == annual.at_quarter(3)  # one policy in force: one cohort
    _each_alone([quarterly, annual], [1, 2])


def test_runs_that_heard_different_statements_step_apart_under_one_policy() -> None:
    """From quarter 3 both runs pay a coupling of 0.5; one was told 0.3 before,
    so it hears the new coupling stated (its beliefs move by its credibility),
    the other heard 0.5 from the start and hears nothing new."""
    change = [{"quarter": 3, "set": {"comp.coupling": 0.5}}]
    base: dict[str, Any] = {"org": {"n_teams": 2}, "horizon": {"quarters": 4}}
    switched = Scenario.from_mapping(base | {"comp": {"coupling": 0.3}, "schedule": change})
    steady = Scenario.from_mapping(base | {"comp": {"coupling": 0.5}, "schedule": change})
    assert switched.at_quarter(3) == steady.at_quarter(3)  # one policy in force
    _each_alone([switched, steady], [1, 2])


def test_a_paired_effect_of_settling_annually_sooner_runs() -> None:
    """The same as a user meets it: annual reviews from the start against annual
    reviews from quarter 3 (the base's schedule) are one policy from quarter 3."""
    scenario = Scenario.from_mapping(
        {
            "org": {"n_teams": 2},
            "horizon": {"quarters": 4},
            "schedule": [{"quarter": 3, "set": {"comp.review_cadence": "annual"}}],
        }
    )
    contrast: dict[str, Any] = {"treated": {"comp.review_cadence": "annual"}, "control": {}}
    (together,) = paired_effects([scenario], [1], **contrast)
    alone = paired_effect(scenario, 1, **contrast)
    assert repr(together.summary) == repr(alone.summary)
    assert_frame_equal(together.quarterly, alone.quarterly, check_exact=True)


def test_a_cohorts_report_choice_is_each_runs_own() -> None:
    """In quarter 3 one run's ratchet belief (or negative credit) makes shading
    down pay for someone, the other's does not: alone the other searches only
    the non-negative shadings, in the cohort it searches them all (another
    coarse grid), and its reports, effort and value would part from week 27."""
    scenario = Scenario.from_mapping(
        {
            "org": {"n_teams": 3, "dependency_density": 1.0},
            "okr": {"aspirational_share": 0.5},
            "env": {"blocker_rate": 0.0},
            "horizon": {"quarters": 3},
        }
    )
    _each_alone([scenario] * 2, [RunSeed.of(874674), RunSeed.of(764164)])


# -- pins -------------------------------------------------------------------------------


def test_annual_settlement_with_many_newcomers_gives_each_run_alone() -> None:
    """Year books carried over quarters, newcomers' seats forgotten at each
    organisation's own mean rating, their reports NaN for the ratchet."""
    scenario = Scenario.from_mapping(
        {
            "org": {"n_teams": 2},
            "horizon": {"quarters": 5},
            "comp": {"review_cadence": "annual"},
            "okr": {"target_rule": "ratchet"},
            "behaviour": {"quit_base_rate": 0.4, "decision_rule": "satisfice"},
            "env": {"vacancy_weeks": 0},
        }
    )
    _each_alone([scenario] * 3, [11, 12, 13])


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 16, 17, 127, 128, 129, 136, 1031])
@pytest.mark.parametrize("statistic", [np.mean, np.std, np.var])
def test_each_organisations_figure_at_pairwise_block_boundaries(n: int, statistic: Any) -> None:
    """Rows of every length around numpy's pairwise-sum blocks (8, 128), read
    through a strided view: each organisation's figure is its rows' alone."""
    runs = 3
    rng = np.random.default_rng(n)
    wide = rng.normal(0.0, 1.0, (runs * n, 3)) * 10.0 ** rng.integers(-6, 7, (runs * n, 3))
    values = wide[:, 1]  # not contiguous
    small = Scenario.from_mapping({"org": {"n_teams": 2}})
    org = Organisation.draw(np.random.default_rng(0), small)
    each = np.asarray(dataclasses.replace(org, runs=runs).overall(statistic, values))
    for r in range(runs):
        alone = org.overall(statistic, np.ascontiguousarray(values[r * n : (r + 1) * n]))
        assert each[r * n : (r + 1) * n].tobytes() == np.full(n, alone).tobytes()


def test_a_figure_not_refreshed_stays_each_runs_own() -> None:
    """Without OKRs from quarter 3 the peers' attainment is no longer refreshed:
    each run keeps the figure of its own quarter 2 through the cohort's ends."""
    scenario = Scenario.from_mapping(
        {
            "org": {"n_teams": 2},
            "horizon": {"quarters": 4},
            "schedule": [{"quarter": 3, "set": {"okr.enabled": False}}],
        }
    )
    alone = [OKRModel(scenario, seed) for seed in (1, 2, 3)]
    together = [OKRModel(scenario, seed) for seed in (1, 2, 3)]
    for model in alone:
        model.run()
    ensemble.Ensemble(together).run()
    assert len({a.public.peer_attainment for a in alone}) == 3
    for a, b in zip(alone, together, strict=True):
        for f in dataclasses.fields(a.public):
            assert repr(getattr(b.public, f.name)) == repr(getattr(a.public, f.name)), f.name
        assert_same_run(_result(a), _result(b))


class _Blocks:
    def __init__(self) -> None:
        self.blocks: dict[str, list[pd.DataFrame]] = {}

    def append(self, name: str, frame: pd.DataFrame) -> None:
        self.blocks.setdefault(name, []).append(frame)


def test_a_cohorts_streamed_records_are_each_runs_blocks() -> None:
    scenario = Scenario.from_mapping(
        {"org": {"n_teams": 2}, "horizon": {"quarters": 2}, "behaviour": {"quit_base_rate": 0.4}}
    )
    alone = [OKRModel(scenario, s, weekly_detail=True, stream=_Blocks()) for s in (1, 2)]
    together = [OKRModel(scenario, s, weekly_detail=True, stream=_Blocks()) for s in (1, 2)]
    for model in alone:
        model.run()
    ensemble.Ensemble(together).run()
    for a, b in zip(alone, together, strict=True):
        assert isinstance(a.stream, _Blocks)
        assert isinstance(b.stream, _Blocks)
        assert a.stream.blocks.keys() == {"employees", "key_results", "employee_weeks"}
        assert b.stream.blocks.keys() == a.stream.blocks.keys()
        for name, blocks in a.stream.blocks.items():
            assert len(blocks) == len(b.stream.blocks[name])
            for mine, theirs in zip(blocks, b.stream.blocks[name], strict=True):
                assert_frame_equal(theirs, mine, check_exact=True)
        assert not b.held.employees  # streamed, not held


@pytest.mark.parametrize("weeks", [12, 13, 14])
def test_taken_up_around_a_quarters_end_every_table_is_the_runs_alone(weeks: int) -> None:
    scenario = Scenario.from_mapping(
        {"org": {"n_teams": 2}, "horizon": {"quarters": 2}, "behaviour": {"quit_base_rate": 0.3}}
    )
    alone = [OKRModel(scenario, seed) for seed in (1, 2)]
    together = [OKRModel(scenario, seed) for seed in (1, 2)]
    for model in (*alone, *together):
        for _ in range(weeks):
            model.step()
    for model in alone:
        model.run()
    ensemble.Ensemble(together).run()
    for a, b in zip(alone, together, strict=True):
        assert_same_run(_result(a), _result(b))


def test_a_run_result_pickles_with_its_lazy_tables() -> None:
    scenario = Scenario.from_mapping({"org": {"n_teams": 2}, "horizon": {"quarters": 2}})
    result, *_ = run_many([scenario] * 2, [1, 2])
    unread = pickle.loads(pickle.dumps(result))
    assert_same_run(result, unread)
    assert not unread.employees.empty
    assert not unread.key_results.empty
    assert_same_run(result, pickle.loads(pickle.dumps(result)))  # after they were read


def test_a_count_a_cohort_passes_over_is_the_count_alone() -> None:
    cohort = Tally(4, 1)
    parts = [Tally(2, 1), Tally(2, 1)]
    cohort.parts = [(slice(0, 2), parts[0]), (slice(2, 4), parts[1])]
    values = np.array([[1.5], [2.0], [3.0], [-0.0]])
    where = np.array([[False], [False], [True], [True]])
    cohort.add_total("hidden_reported", values, where)
    alone = [Tally(2, 1), Tally(2, 1)]
    for rows, tally in zip((slice(0, 2), slice(2, 4)), alone, strict=True):
        tally.add_total("hidden_reported", values[rows], where[rows])
    for part, own in zip(parts, alone, strict=True):
        assert repr(float(part.hidden_reported)) == repr(float(own.hidden_reported))
