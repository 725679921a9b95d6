"""The dashboard's controls are the Scenario schema's fields, read, never restated."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from okrsim import params
from okrsim.dashboard import controls
from okrsim.params import Scenario


def test_every_lever_and_world_setting_has_a_control_built_from_its_field():
    built = controls.lever_controls() + controls.world_controls()
    keys = [c.key for c in built]
    assert len(keys) == len(set(keys))
    assert set(controls.scalar_keys(controls.LEVER_GROUPS)) <= set(keys)
    for c in built:
        info = params.field_info(c.key)
        assert c.label == info.title
        assert c.key in c.tooltip
        assert c.help == info.description
        if c.kind in ("float", "int"):
            low, high = params.bounds(c.key)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            assert (c.low, c.high) == (low, min(high, extra.get("dashboard_le", high)))
        elif c.kind == "choice":
            assert c.choices == typing.get_args(info.annotation)
        else:
            assert info.annotation is bool


def test_the_team_slider_keeps_a_room_sized_range_below_the_schemas_bound():
    """A live room runs small organisations; the schema allows up to MAX_EMPLOYEES people."""
    teams = controls.control("org.n_teams")
    assert teams.high == params.DASHBOARD_MAX_TEAMS
    assert params.bounds("org.n_teams")[1] == params.MAX_EMPLOYEES // 2 > teams.high


def _fields() -> typing.Iterator[tuple[str, typing.Any]]:
    """Every field of the scenario schema, the groups' and a scheduled change's included."""
    for group, info in Scenario.model_fields.items():
        inner = getattr(info.annotation, "model_fields", None)
        if inner is None:
            yield group, info
        else:
            yield from ((f"{group}.{name}", field) for name, field in inner.items())
    for name, field in params.ScheduledChange.model_fields.items():
        yield f"schedule.{name}", field


def test_every_scenario_field_has_a_plain_language_title_beside_its_description():
    fields = dict(_fields())
    assert len(fields) > 150
    for key, info in fields.items():
        assert info.description, key
        assert info.title, f"{key} has no title"
        assert not set(info.title) & set("_."), f"{key}: {info.title!r} reads as a key"
        assert len(info.title) <= 48, f"{key}: a label must fit a slider's line"
    lever_titles = [c.label for c in controls.lever_controls() + controls.world_controls()]
    assert len(lever_titles) == len(set(lever_titles)), "two levers would read the same"


def test_key_levers_come_first():
    keys = [c.key for c in controls.lever_controls()]
    assert tuple(keys[: len(controls.KEY_LEVERS)]) == controls.KEY_LEVERS


@pytest.mark.parametrize(
    ("key", "step"),
    [("comp.coupling", 0.05), ("okr.negotiation_hours", 0.01), ("org.n_teams", 1.0)],
)
def test_slider_steps_are_round_and_counts_step_by_one(key, step):
    c = controls.control(key)
    assert c.step == pytest.approx(step)
    low, high, _ = c.slider()
    assert (high - low) / c.step <= 500


def test_browser_values_come_back_as_the_field_type_on_the_step_grid():
    assert controls.control("comp.coupling").coerce(0.15000000000000002) == 0.15
    assert controls.control("org.n_teams").coerce(7.0) == 7
    assert controls.control("okr.enabled").coerce(0) is False
    assert controls.control("comp.bonus_curve").coerce("step") == "step"


def test_a_control_that_is_not_a_slider_has_no_range():
    with pytest.raises(ValueError, match="not a slider"):
        controls.control("comp.evaluation").slider()


def test_values_and_changes_are_read_from_a_scenario():
    levers = controls.lever_controls()
    coupled = Scenario().with_overrides({"comp.coupling": 0.8})
    current = controls.values(coupled, levers)
    assert current["comp.coupling"] == 0.8
    assert controls.changed(coupled, {**current, "comp.coupling": 0.5}, levers) == {
        "comp.coupling": 0.5
    }
    assert controls.changed(coupled, current, levers) == {}


def test_a_slider_grid_holds_every_value_the_scenario_library_sets():
    """A browser slider rounds its value to its grid: no preset value may move."""
    library = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))
    known = controls.known_values(Scenario.from_toml(p) for p in library)
    for c in controls.lever_controls(known) + controls.world_controls(known):
        if c.kind not in ("float", "int"):
            continue
        low, _, step = c.slider()
        for value in known.get(c.key, ()):
            steps = (value - low) / step
            assert steps == pytest.approx(round(steps), abs=1e-6), (c.key, value, step)


def test_fitting_step_refines_a_round_step_until_every_value_fits():
    assert controls.fitting_step(0.1, 0.0, [0.3, 0.7]) == pytest.approx(0.1)
    assert controls.fitting_step(0.1, 0.0, [0.15]) == pytest.approx(0.05)
    assert controls.fitting_step(0.1, 0.3, [1.25]) == pytest.approx(0.05)
    assert controls.fitting_step(0.05, 0.0, [0.04]) == pytest.approx(0.02)
