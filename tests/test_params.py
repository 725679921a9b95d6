"""Scenario loading and validation: partial files, bounds, and clear errors."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from okrsim.params import MAX_DEPENDENCIES, MAX_EMPLOYEES, Scenario, ScenarioError, bounds

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_partial_file_keeps_defaults(tmp_path):
    s = Scenario.from_toml(write(tmp_path, "[comp]\ncoupling = 0.9\n"))
    assert s.comp.coupling == 0.9
    assert s.org == Scenario().org


def test_baseline_file_writes_out_every_field_at_its_default():
    data = tomllib.loads((SCENARIOS / "baseline.toml").read_text())
    for group, info in Scenario.model_fields.items():
        if group == "schedule":
            continue
        assert set(data[group]) == set(info.annotation.model_fields), group  # type: ignore[union-attr]
    assert Scenario.from_toml(SCENARIOS / "baseline.toml") == Scenario()


def test_every_field_has_a_description_and_numeric_fields_have_bounds():
    for group, info in Scenario.model_fields.items():
        if group == "schedule":
            continue
        for name, field in info.annotation.model_fields.items():  # type: ignore[union-attr]
            assert field.description, f"{group}.{name} has no description"
            if field.annotation in (int, float):
                lo, hi = bounds(f"{group}.{name}")
                assert lo is not None, f"{group}.{name} has no lower bound"
                assert hi is not None, f"{group}.{name} has no upper bound"


def test_scenario_is_frozen():
    s = Scenario()
    with pytest.raises(ValidationError, match="frozen"):
        s.comp.coupling = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[comp]\ncoupling = 1.7\n", "comp.coupling = 1.7 is out of range [0.0, 1.0]"),
        ("[comp]\ncuopling = 0.5\n", "unknown key 'comp.cuopling'"),
        ("[compensation]\ncoupling = 0.5\n", "unknown key 'compensation'"),
        ('[comp]\ncoupling = "high"\n', "comp.coupling = 'high'"),
        ('[comp]\nbonus_curve = "exponential"\n', "comp.bonus_curve = 'exponential' is not one of"),
        ("[org]\nn_teams = 2.5\n", "org.n_teams = 2.5"),
        ("[comp]\ncoupling = \n", "malformed TOML"),
        ("[comp]\nfloor = 1.0\ncap = 1.0\n", "comp.floor (1.0) must be below comp.cap (1.0)"),
    ],
)
def test_bad_scenario_names_file_key_and_expectation(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        Scenario.from_toml(tmp_path / "nope.toml")


def test_overrides_are_validated():
    s = Scenario()
    assert s.with_overrides({"comp.coupling": 0.4}).comp.coupling == 0.4
    with pytest.raises(ScenarioError, match=r"comp.coupling = -0.1 is out of range"):
        s.with_overrides({"comp.coupling": -0.1})
    with pytest.raises(ScenarioError, match=r"unknown key 'comp\.nope'"):
        s.with_overrides({"comp.nope": 1})


def test_schedule_applies_from_its_quarter(tmp_path):
    path = write(
        tmp_path,
        '[comp]\ncoupling = 0.8\n[[schedule]]\nquarter = 3\nset = { "comp.coupling" = 0.0 }\n',
    )
    s = Scenario.from_toml(path)
    assert s.at_quarter(2).comp.coupling == 0.8
    assert s.at_quarter(3).comp.coupling == 0.0
    assert s.at_quarter(8).comp.coupling == 0.0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ('quarter = 12\nset = { "comp.coupling" = 0.0 }', "schedule[0].quarter = 12 is beyond"),
        ('quarter = 2\nset = { "comp.couplin" = 0.0 }', "unknown key 'comp.couplin'"),
        ('quarter = 2\nset = { "org.n_teams" = 3 }', "cannot change mid-run"),
        ('quarter = 2\nset = { "okr.krs_per_person" = 3 }', "cannot change mid-run"),
        ('quarter = 2\nset = { "comp.coupling" = 3.0 }', "comp.coupling = 3.0 is out of range"),
    ],
)
def test_bad_schedule_is_rejected(tmp_path, change, expected):
    path = write(tmp_path, f"[horizon]\nquarters = 8\n[[schedule]]\n{change}\n")
    with pytest.raises(ScenarioError, match=expected.replace("[", r"\[").replace("(", r"\(")):
        Scenario.from_toml(path)


def test_a_shock_beyond_the_horizon_is_refused(tmp_path):
    path = write(tmp_path, "[horizon]\nquarters = 4\n[env]\nshock_quarter = 6\n")
    with pytest.raises(
        ScenarioError, match=r"env\.shock_quarter = 6 is beyond horizon\.quarters = 4"
    ):
        Scenario.from_toml(path)


def test_flat_uses_dotted_names():
    flat = Scenario().flat()
    assert flat["comp.coupling"] == Scenario().comp.coupling
    assert "schedule" not in flat


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_file_loads(path):
    Scenario.from_toml(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[comp]\ncoupling = "0.5"\n', "comp.coupling = '0.5' must be a number"),
        ("[comp]\ncoupling = true\n", "comp.coupling = true must be a number"),
        ("[org]\nn_teams = 2.0\n", "org.n_teams = 2.0 must be a whole number"),
        ('[org]\nn_teams = "7"\n', "org.n_teams = '7' must be a whole number"),
        ("[okr]\nenabled = 1\n", "okr.enabled = 1 must be true or false"),
        ("[comp]\ncoupling = nan\n", "comp.coupling = nan must be a finite number"),
        ("[comp]\ncap = inf\n", "comp.cap = inf must be a finite number"),
        (
            '[[schedule]]\nquarter = 2\nset = { "comp.coupling" = "0" }\n',
            "comp.coupling = '0' must be a number",
        ),
    ],
)
def test_loading_is_strict_about_types(tmp_path, text, expected):
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        Scenario.from_toml(write(tmp_path, text))


def test_an_int_is_accepted_where_a_float_is_meant(tmp_path):
    assert Scenario.from_toml(write(tmp_path, "[comp]\ncoupling = 1\n")).comp.coupling == 1.0


def test_a_schedule_is_checked_as_the_scenarios_it_produces(tmp_path):
    text = (
        "[horizon]\nquarters = 8\n"
        '[[schedule]]\nquarter = 3\nset = { "comp.cap" = 1.0 }\n'
        '[[schedule]]\nquarter = 2\nset = { "comp.floor" = 1.0 }\n'
    )
    with pytest.raises(ScenarioError, match=r"schedule\[0\]\.set \(in force from quarter 3\)"):
        Scenario.from_toml(write(tmp_path, text))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[comp]\ncoupling = 0.5 # caf\xe9\n", "line 2: not UTF-8 text (byte 0xe9"),
        (b"x = " + b"[" * 1000 + b"]" * 1000, "nested deeper than 8 levels"),
        (b"x = " + b"{a = " * 1000 + b"1" + b"}" * 1000, "nested deeper than 8 levels"),
        (b".".join([b"a"] * 50_000) + b" = 1\n", "a dotted key of more than 8 parts"),
        (b"[" + b".".join([b"1"] * 50_000) + b"]\n", "a dotted key of more than 8 parts"),
        (b"[comp]\ncoupling = " + b"9" * 5000 + b"\n", "malformed TOML: Exceeds the limit"),
        (b"# " + b"x" * 1_000_000 + b"\n", "larger than 1,000,000 bytes"),
    ],
)
def test_hostile_files_are_refused_before_parsing(tmp_path, data, expected):
    path = tmp_path / "hostile.toml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        Scenario.from_toml(path)


def test_dots_and_brackets_inside_strings_and_comments_do_not_count(tmp_path):
    text = (
        "# a.b.c.d.e.f.g.h.i.j [[[[[[[[[[\n"
        '[comp] # "\n'
        'bonus_curve = "step" # ]]]]]]]]] a.b.c.d.e.f.g.h.i\n'
        "[[schedule]]\nquarter = 2\n"
        'set = { "comp.coupling" = 0.1, \'comp.bonus_curve\' = "linear" }\n'
    )
    assert Scenario.from_toml(write(tmp_path, text)).comp.bonus_curve == "step"


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ScenarioError, match="not a regular file"):
            Scenario.from_toml(path)
    with pytest.raises(ScenarioError, match="is a directory"):
        Scenario.from_toml(tmp_path)


def test_error_messages_shorten_long_values(tmp_path):
    path = write(tmp_path, f'[comp]\ncoupling = "{"x" * 100_000}"\n')
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(path)
    assert len(str(info.value)) < 300
    assert "x…" in str(info.value)


@pytest.mark.parametrize(("n_teams", "team_size"), [(25_000, 8), (100_000, 2), (4_000, 50)])
def test_an_organisation_of_max_employees_is_accepted(n_teams, team_size):
    s = Scenario().with_overrides({"org.n_teams": n_teams, "org.team_size": team_size})
    assert s.n_employees == MAX_EMPLOYEES == 200_000


TOO_LARGE = {
    # 66,667 teams of 3 are 200,001 people
    "one employee more than MAX_EMPLOYEES": (
        "[org]\nn_teams = 66667\nteam_size = 3\n",
        "org.n_teams × org.team_size = 66667 × 3 = 200001 employees; at most 200000 are allowed",
    ),
    "more expected dependencies than MAX_DEPENDENCIES": (
        "[org]\nn_teams = 10000\ndependency_density = 0.01\n",
        "org.dependency_density = 0.01 with org.n_teams = 10000 gives 999900 expected "
        "dependencies between teams; at most 250000 are allowed",
    ),
}


@pytest.mark.parametrize("case", TOO_LARGE)
def test_an_organisation_too_large_to_run_is_one_error_line_naming_its_keys(tmp_path, case):
    text, expected = TOO_LARGE[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        Scenario.from_toml(path)
    assert str(err.value) == f"{path}: {expected}"


def test_the_densest_network_the_old_bounds_allowed_still_loads():
    """500 teams at density 1: the dependency bound refuses only what was never allowed."""
    s = Scenario().with_overrides({"org.n_teams": 500, "org.dependency_density": 1.0})
    assert s.org.n_teams * (s.org.n_teams - 1) * s.org.dependency_density <= MAX_DEPENDENCIES
