"""Twin organisations: one seed, two policies, stepped together as one Mesa model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from okrsim import metrics
from okrsim.dashboard.twins import (
    SHOW_WAIT_S,
    TwinOrganisations,
    key_result_statuses,
    scenario_library,
    twin_scenario,
    why,
)
from okrsim.metrics import NO_TARGET, OFF_TRACK, ON_TRACK, status_codes
from okrsim.model import OKRModel
from okrsim.params import WEEKS_PER_QUARTER, Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
SMALL = {"org.n_teams": 3, "org.team_size": 4, "horizon.quarters": 2}


def test_the_library_lists_every_scenario_file():
    library = scenario_library(LIBRARY)
    assert sorted(library) == sorted(p.stem for p in LIBRARY.glob("*.toml"))
    assert {"coupled", "decoupled", "baseline"} <= set(library)


def test_a_file_outside_the_library_joins_it(tmp_path):
    extra = tmp_path / "ours.toml"
    extra.write_text("[comp]\ncoupling = 0.4\n")
    library = scenario_library(LIBRARY, extra)
    assert library["ours"] == str(extra)


def test_twins_meet_the_same_people_and_the_same_luck():
    model = TwinOrganisations(world=SMALL, seed=7)
    a, b = (t.model for t in model.twins)
    assert np.array_equal(a.workforce.capability, b.workforce.capability)
    assert np.array_equal(a.workforce.honesty_trait, b.workforce.honesty_trait)
    assert model.labels == ["A: decoupled", "B: coupled"]


def test_the_same_policy_twice_gives_identical_organisations():
    coupled = str(LIBRARY / "coupled.toml")
    model = TwinOrganisations(preset_a=coupled, preset_b=coupled, world=SMALL, seed=2)
    for _ in range(14):
        model.step()
    weekly = model.weekly()
    a = weekly[weekly["organisation"] == model.labels[0]].drop(columns="organisation")
    b = weekly[weekly["organisation"] == model.labels[1]].drop(columns="organisation")
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))


def test_one_step_is_one_week_in_both_and_stops_at_the_horizon():
    model = TwinOrganisations(world={**SMALL, "horizon.quarters": 1}, seed=1)
    while model.running:
        model.step()
    assert model.steps == 13
    assert [t.model.week for t in model.twins] == [13, 13]
    assert len(model.weekly()) == 2 * 13
    assert list(model.quarterly()["quarter"]) == [1, 1]


def test_ratings_are_the_latest_reviews_in_each_organisation():
    model = TwinOrganisations(world=SMALL, seed=2)
    assert model.ratings().empty
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    ratings = model.ratings()
    for label, twin in zip(model.labels, model.twins, strict=True):
        mine = ratings[ratings["organisation"] == label]
        latest = twin.model.employee_frame().query("quarter == 1")
        np.testing.assert_array_equal(mine["rating"], latest["rating"])
        np.testing.assert_array_equal(mine["true_contribution"], latest["true_contribution"])


def test_reset_rebuilds_the_same_twins_from_their_settings():
    """Mesa's Reset calls ``type(model)(**parameters)``: the settings rebuild the model."""
    model = TwinOrganisations(levers_b={"comp.coupling": 0.5}, world=SMALL, seed=4)
    again = TwinOrganisations(**model.settings)
    for m in (model, again):
        for _ in range(3):
            m.step()
    assert model.weekly().equals(again.weekly())
    assert model.labels == again.labels == ["A: decoupled", "B: coupled*"]


def test_levers_and_world_settings_go_through_validation():
    scenario = twin_scenario(LIBRARY / "coupled.toml", {"comp.coupling": 0.5}, SMALL)
    assert scenario.comp.coupling == 0.5
    assert scenario.org.n_teams == 3
    with pytest.raises(ScenarioError, match=r"comp.coupling = 1.5 is out of range"):
        twin_scenario(LIBRARY / "coupled.toml", {"comp.coupling": 1.5}, {})


def test_a_setting_its_preset_refuses_is_noted_and_the_preset_runs_as_it_is():
    model = TwinOrganisations(
        preset_b=str(LIBRARY / "decouple_in_year_two.toml"),
        world={"horizon.quarters": 2},
        seed=0,
    )
    (note,) = model.notes
    assert "Organisation B" in note
    assert "beyond horizon.quarters" in note
    assert model.twins[1].scenario == Scenario.from_toml(LIBRARY / "decouple_in_year_two.toml")


def test_statuses_follow_the_models_check_in_rule():
    ratio = np.array([1.2, 0.9, 0.8, 0.69, np.nan])
    assert status_codes(ratio).tolist() == [ON_TRACK, ON_TRACK, 1, OFF_TRACK, NO_TARGET]


@pytest.mark.parametrize("preset", ["coupled.toml", "market_shock.toml"])
def test_the_board_agrees_with_the_models_watermelon_tiles(preset):
    scenario = Scenario.from_toml(LIBRARY / preset).with_overrides({"org.n_teams": 4})
    model = OKRModel(scenario, 3)
    for _ in range(30):
        model.step()
        reported, true = key_result_statuses(model)
        watermelon = (reported == ON_TRACK) & (true == OFF_TRACK)
        assert np.array_equal(
            watermelon,
            metrics.watermelons(model.workforce.reported_status, model.workforce.true_status),
        )


def test_the_board_has_one_row_per_key_result_before_and_after_week_one():
    model = TwinOrganisations(world=SMALL, seed=0)
    n = 3 * 4 * Scenario().okr.krs_per_person
    board = model.board()
    assert len(board) == 2 * n
    assert set(board["reported_status"]) == {NO_TARGET}
    model.step()
    board = model.board()
    assert len(board) == 2 * n
    assert NO_TARGET not in set(board["reported_status"])


def test_without_okrs_every_key_result_has_no_target():
    model = TwinOrganisations(preset_b=str(LIBRARY / "no_okrs.toml"), world=SMALL, seed=0)
    model.step()
    board = model.board()
    no_okrs = board[board["organisation"] == "B: no_okrs"]
    assert set(no_okrs["true_status"]) == {NO_TARGET}
    assert model.target_options(0)["organisation"].tolist().count("B: no_okrs") == 0


def test_the_inspector_explains_one_person_in_both_organisations():
    model = TwinOrganisations(world=SMALL, seed=5)
    model.step()
    a, b = model.employee(2)
    assert a["traits"] == b["traits"]  # the same person
    assert len(a["key_results"]) == Scenario().okr.krs_per_person
    assert "set targets at" in why(b)
    options = model.target_options(2)
    assert len(options) == 2 * len(a["explain"]["target_options"])
    split = model.effort_split(2)
    assert split.groupby("organisation")["share"].sum().round(6).tolist() == [1.0, 1.0]


def test_reads_while_play_steps_in_its_thread_see_whole_weeks():
    """Mesa's Play steps in a thread of its own while renders read: each read is one week."""
    model = TwinOrganisations(world={**SMALL, "horizon.quarters": 4}, seed=3)
    failures: list[BaseException] = []
    done = threading.Event()

    def play() -> None:
        try:
            while model.running:
                model.step()  # Mesa's step: its clock, then both organisations' week
                time.sleep(0.002)  # as a page's Play leaves room between weeks
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=play)
    thread.start()
    reads = 0
    try:
        while not done.is_set():
            weekly, quarterly, week = model.read(lambda m: (m.weekly(), m.quarterly(), m.week))
            sizes = weekly.groupby("organisation").size()
            assert list(sizes) == [week, week], f"a read saw part of a week: {sizes.to_dict()}"
            assert len(quarterly) == 2 * (week // WEEKS_PER_QUARTER)
            model.board()
            model.employee(0)
            reads += 1
    finally:
        thread.join()
    assert failures == []
    assert model.week == 4 * WEEKS_PER_QUARTER
    assert reads > 10


def test_once_a_page_shows_the_twins_a_step_waits_for_the_weeks_before_it():
    """Play steps no faster than the page draws: a step waits until the last week is shown."""
    model = TwinOrganisations(world=SMALL, seed=5)
    model.shown(0, WEEKS_PER_QUARTER)  # the page draws a quarter at a time
    for _ in range(WEEKS_PER_QUARTER):
        model.step()  # none of these waits: the page drew week 0
    stepped = threading.Event()
    thread = threading.Thread(target=lambda: (model.step(), stepped.set()))
    thread.start()
    try:
        assert not stepped.wait(1.0)  # week 13 is not on screen yet
        assert model.week == WEEKS_PER_QUARTER
        model.shown(WEEKS_PER_QUARTER, 1)
        assert stepped.wait(SHOW_WAIT_S)
    finally:
        thread.join()
    assert model.week == WEEKS_PER_QUARTER + 1


def _small_twins() -> TwinOrganisations:
    return TwinOrganisations(
        str(LIBRARY / "decoupled.toml"), str(LIBRARY / "coupled.toml"), world=SMALL, seed=3
    )


def test_a_switch_mid_run_is_the_schedule_a_file_would_hold():
    """B's coupling set to 0 from quarter 2 mid-run equals a file scheduling it from the start."""
    twins = _small_twins()
    for _ in range(5):
        twins._wrapped_step()
    levers = {**twins.settings["levers_b"], "comp.coupling": 0.0}
    assert twins.switch("B", levers) == 2
    assert twins.policy_changes() == [("B", WEEKS_PER_QUARTER, {"comp.coupling": 0.0})]
    assert twins.settings["levers_b"] == levers
    assert twins.switch("B", levers) is None  # already in force from quarter 2
    assert twins.finish() == 2 * WEEKS_PER_QUARTER - 5
    assert not twins.running

    planned = twin_scenario(LIBRARY / "coupled.toml", {}, SMALL).model_dump(mode="python")
    planned["schedule"] = [{"quarter": 2, "set": {"comp.coupling": 0.0}}]
    scheduled = OKRModel(Scenario.from_mapping(planned), 3)
    scheduled.run()
    switched = twins.twins[1].model.quarterly_frame()
    assert switched.equals(scheduled.quarterly_frame())


def test_a_switch_that_does_not_validate_names_the_key():
    twins = _small_twins()
    twins._wrapped_step()
    with pytest.raises(ScenarioError, match=r"comp\.coupling"):
        twins.switch("B", {"comp.coupling": 1.5})


def test_run_to_end_stops_mesas_clock_at_the_horizon():
    twins = _small_twins()
    assert twins.finish() == 2 * WEEKS_PER_QUARTER
    twins._wrapped_step()  # ▶ after the end does nothing
    assert twins.time == twins.week == 2 * WEEKS_PER_QUARTER


def test_readouts_are_the_last_review_and_the_last_quarter_of_weeks():
    twins = _small_twins()
    twins._wrapped_step()
    first = twins.readouts()
    assert [r["attainment"] for r in first] == [None, None]  # no review yet
    assert all(r["true_value"] is not None for r in first)
    twins.finish()
    for shown, twin in zip(twins.readouts(), twins.twins, strict=True):
        last = twin.model.quarterly_frame().iloc[-1]
        assert shown["attainment"] == pytest.approx(last["attainment"])
        assert shown["honesty"] == pytest.approx(1 - last["slanted_report_share"])
        assert shown["trust"] == pytest.approx(float(np.mean(twin.model.workforce.coupling_belief)))
        weekly = twin.model.weekly_frame()["true_value"]
        assert shown["true_value"] == pytest.approx(weekly.iloc[-WEEKS_PER_QUARTER:].mean())
