"""Experiment files are validated like scenario files, and designs and seeds are planned up front.

Bad files fail before anything runs, with a ``ScenarioError`` naming the file,
the key and what was expected; every design point is a valid scenario; seeds
depend only on the run index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from okrsim.experiments.design import build_design, design_size
from okrsim.experiments.plan import plan_sweep, spawn_key_text
from okrsim.experiments.spec import load_experiment
from okrsim.params import ScenarioError

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.toml"


def write(tmp_path: Path, body: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def experiment(tmp_path: Path, *, head: str = "", axes: str = "", rest: str = "") -> Path:
    """A minimal valid grid experiment with parts replaced."""
    head = head or 'name = "t"\ndesign = "grid"\nreplications = 2\nseed = 1'
    axes = axes or "comp.coupling = {low = 0, high = 1, steps = 3}"
    return write(
        tmp_path,
        f"[experiment]\n{head}\n\n[set]\norg.n_teams = 2\n"
        f"horizon.quarters = 2\n\n[axes]\n{axes}\n{rest}",
    )


def error_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        plan_sweep(path)
    return str(info.value)


# -- bad files ------------------------------------------------------------------


def test_unknown_key_in_experiment_table_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"\nseed = 1\nreplicatons = 3')
    message = error_of(path)
    assert str(path) in message
    assert "unknown key 'experiment.replicatons'" in message


def test_unknown_top_level_table_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, rest="[outputs]\nmetrics = ['true_value']\n")
    assert "unknown key 'outputs'" in error_of(path)


def test_axis_over_unknown_scenario_key_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.couplng = {low = 0, high = 1, steps = 3}")
    message = error_of(path)
    assert f"{path}: axes.comp.couplng: unknown scenario key 'comp.couplng'" in message


def test_quoted_and_dotted_axis_keys_mean_the_same(tmp_path: Path) -> None:
    dotted = experiment(tmp_path, axes="comp.coupling = [0.0, 0.5]")
    quoted = write(
        tmp_path,
        dotted.read_text().replace("comp.coupling =", '"comp.coupling" ='),
        name="quoted.toml",
    )
    assert plan_sweep(dotted).points == plan_sweep(quoted).points


def test_axis_bound_out_of_scenario_range_names_bound_and_range(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.coupling = {low = 0, high = 1.7, steps = 3}")
    message = error_of(path)
    assert f"{path}: axes.comp.coupling.high = 1.7 is out of range [0.0, 1.0]" in message


def test_axis_value_out_of_range_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="okr.krs_per_person = [1, 2, 9]")
    message = error_of(path)
    assert "axes.okr.krs_per_person" in message
    assert "okr.krs_per_person = 9 is out of range [1, 8]" in message


def test_low_above_high_is_refused(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.coupling = {low = 0.8, high = 0.2, steps = 3}")
    assert "axes.comp.coupling: low = 0.8 must be below high = 0.2" in error_of(path)


def test_empty_axis_is_refused(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.bonus_curve = []")
    assert "axes.comp.bonus_curve: values is empty" in error_of(path)


def test_categorical_axis_needs_values_not_a_range(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.bonus_curve = {low = 0, high = 1, steps = 2}")
    message = error_of(path)
    assert "axes.comp.bonus_curve" in message
    assert "give values" in message


def test_unknown_category_is_named_with_the_choices(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes='comp.bonus_curve = ["linear", "stepp"]')
    message = error_of(path)
    assert "comp.bonus_curve = 'stepp' is not one of" in message


def test_unknown_design_is_named_with_the_choices(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"\nseed = 1\ndesign = "factorial"')
    message = error_of(path)
    assert f"{path}: experiment.design = 'factorial' is not one of" in message
    assert "'sobol'" in message


def test_replications_below_one_is_refused(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"\nseed = 1\nreplications = 0')
    assert f"{path}: experiment.replications = 0 must be ≥ 1" in error_of(path)


def test_missing_seed_is_required(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"')
    assert "experiment.seed is required" in error_of(path)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[experiment\nname = 't'\n")
    message = error_of(path)
    assert str(path) in message
    assert "malformed TOML" in message


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    assert "file not found" in error_of(tmp_path / "nope.toml")


def test_grid_range_needs_steps(tmp_path: Path) -> None:
    path = experiment(tmp_path, axes="comp.coupling = {low = 0, high = 1}")
    assert "axes.comp.coupling: a grid design needs steps" in error_of(path)


def test_sobol_base_sample_must_be_a_power_of_two(tmp_path: Path) -> None:
    path = experiment(
        tmp_path,
        head='name = "t"\nseed = 1\ndesign = "sobol"\nsamples = 12',
        axes="comp.coupling = {low = 0, high = 1}",
    )
    assert "experiment.samples = 12 must be a power of 2" in error_of(path)


def test_sampling_design_needs_samples(tmp_path: Path) -> None:
    path = experiment(
        tmp_path,
        head='name = "t"\nseed = 1\ndesign = "lhs"',
        axes="comp.coupling = {low = 0, high = 1}",
    )
    assert "experiment.samples is required for a lhs design" in error_of(path)


def test_unknown_metric_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, rest="[outcomes]\nmetrics = ['true_value', 'happiness']\n")
    assert "outcomes.metrics: unknown metric 'happiness'" in error_of(path)


def test_unknown_key_in_set_is_named(tmp_path: Path) -> None:
    path = experiment(tmp_path, rest="")
    text = path.read_text().replace("org.n_teams = 2", "org.n_team = 2")
    path.write_text(text)
    assert f"{path}: set.org.n_team: unknown scenario key 'org.n_team'" in error_of(path)


def test_every_design_point_is_validated_before_any_run(tmp_path: Path) -> None:
    # Each axis is in range on its own, but floor >= cap breaks a cross-field rule.
    path = experiment(tmp_path, axes="comp.floor = [0.5, 1.0]\ncomp.cap = [1.0, 1.25]")
    message = error_of(path)
    assert "design point 2" in message
    assert "comp.floor (1.0) must be below comp.cap (1.0)" in message


def test_table_design_reads_points_from_csv(tmp_path: Path) -> None:
    (tmp_path / "points.csv").write_text(
        "comp.coupling,comp.bonus_curve\n0,linear\n0.5,step\n1,floor_cap\n"
    )
    path = experiment(
        tmp_path, head='name = "t"\nseed = 1\ndesign = "table"\ntable = "points.csv"', axes=""
    )
    text = path.read_text().replace("[axes]\ncomp.coupling = {low = 0, high = 1, steps = 3}", "")
    path.write_text(text)
    plan = plan_sweep(path)
    assert plan.points == [
        {"comp.coupling": 0.0, "comp.bonus_curve": "linear"},
        {"comp.coupling": 0.5, "comp.bonus_curve": "step"},
        {"comp.coupling": 1.0, "comp.bonus_curve": "floor_cap"},
    ]


def test_table_column_that_is_not_a_scenario_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "points.csv").write_text("comp.coupling,comp.colour\n0,red\n")
    path = write(
        tmp_path,
        """
        [experiment]
        name = "t"
        seed = 1
        design = "table"
        table = "points.csv"
    """,
    )
    assert "column 'comp.colour' is not a scenario key" in error_of(path)


# -- designs --------------------------------------------------------------------


def test_the_tiny_experiment_is_a_full_factorial_grid() -> None:
    plan = plan_sweep(TINY)
    assert plan.n_points == 6
    assert plan.n_runs == 18
    # The first axis varies slowest; values are as the scenario stores them (floats).
    assert plan.points[:2] == [
        {"comp.coupling": 0.0, "comp.bonus_curve": "linear"},
        {"comp.coupling": 0.0, "comp.bonus_curve": "step"},
    ]
    assert plan.experiment.base.org.n_teams == 2


def sampling(tmp_path: Path, design: str, samples: int, extra: str = "") -> Path:
    return experiment(
        tmp_path,
        head=f'name = "t"\nseed = 7\ndesign = "{design}"\nsamples = {samples}\n{extra}',
        axes="comp.coupling = {low = 0.1, high = 0.9}\nokr.krs_per_person = {low = 1, high = 4}\n"
        'comp.bonus_curve = ["linear", "step"]',
    )


def test_lhs_stratifies_each_axis(tmp_path: Path) -> None:
    design = build_design(load_experiment(sampling(tmp_path, "lhs", 20)))
    assert len(design) == 20
    coupling = np.array([p["comp.coupling"] for p in design.points])
    # One point in each twentieth of the range (Latin hypercube property).
    strata = np.floor((coupling - 0.1) / 0.8 * 20).astype(int)
    assert sorted(strata) == list(range(20))
    krs = {p["okr.krs_per_person"] for p in design.points}
    assert krs == {1, 2, 3, 4}
    assert {p["comp.bonus_curve"] for p in design.points} == {"linear", "step"}


def test_sobol_design_has_saltelli_size(tmp_path: Path) -> None:
    design = build_design(load_experiment(sampling(tmp_path, "sobol", 8)))
    assert len(design) == 8 * (3 + 2)
    design2 = build_design(load_experiment(sampling(tmp_path, "sobol", 8, "second_order = true")))
    assert len(design2) == 8 * (2 * 3 + 2)


def test_morris_design_has_trajectories_of_d_plus_one(tmp_path: Path) -> None:
    design = build_design(load_experiment(sampling(tmp_path, "morris", 5, "levels = 4")))
    assert len(design) == 5 * (3 + 1)
    assert design.sample is not None
    assert design.sample.shape == (20, 3)


def test_designs_are_a_function_of_the_file(tmp_path: Path) -> None:
    path = sampling(tmp_path, "lhs", 10)
    assert plan_sweep(path).points == plan_sweep(path).points
    assert plan_sweep(path).design_hash == plan_sweep(path).design_hash


# -- seeds ----------------------------------------------------------------------


def test_crn_gives_every_point_the_same_seed_per_replication() -> None:
    plan = plan_sweep(TINY)
    assert plan.experiment.crn
    keys = {(t.point_id, t.replication): t.spawn_key for t in map(plan.task, range(plan.n_runs))}
    for (_point_id, replication), key in keys.items():
        assert key == keys[(0, replication)]
        assert key == (0, replication)
    assert len(set(keys.values())) == plan.replications


def test_without_crn_every_run_has_its_own_seed(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"\nseed = 1\nreplications = 3\ncrn = false')
    plan = plan_sweep(path)
    keys = [plan.task(i).spawn_key for i in range(plan.n_runs)]
    assert len(set(keys)) == plan.n_runs


def test_seeds_are_children_of_the_root_seed_sequence_by_run_index() -> None:
    plan = plan_sweep(TINY)
    runs_child = np.random.SeedSequence(plan.experiment.seed).spawn(1)[0]
    children = runs_child.spawn(plan.replications)
    for run_id in range(plan.n_runs):
        task = plan.task(run_id)
        expected = children[task.replication]
        assert (
            task.seed.sequence().generate_state(4).tolist() == expected.generate_state(4).tolist()
        )
        assert task.ids()["spawn_key"] == spawn_key_text(expected.spawn_key)


def test_chunking_does_not_change_the_tasks() -> None:
    plan = plan_sweep(TINY)
    one = [t for c in plan.chunks(range(plan.n_runs), 1) for t in c.tasks]
    five = [t for c in plan.chunks(range(plan.n_runs), 5) for t in c.tasks]
    assert one == five


# -- through the command line ---------------------------------------------------------

AXIS_HEAD = "[experiment]\nname = 't'\nseed = 1\n[axes]\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[experiment]\nname = 't'\nseed = 1\ncolour = 'red'\n", "unknown key 'experiment.colour'"),
        (
            "[experiment]\nname = 't'\nseed = 1\n[axes]\ncomp.bonus_curve = []\n",
            "axes.comp.bonus_curve: values is empty",
        ),
        (
            AXIS_HEAD + "comp.coupling = {low = 1, high = 0, steps = 2}\n",
            "axes.comp.coupling: low = 1 must be below high = 0",
        ),
        ("[experiment]\nname = 't'\nseed = 1\ndesign = 'halton'\n", "experiment.design = 'halton'"),
        ("[experiment]\nname = 't'\nseed = 1\nreplications = 0\n", "experiment.replications = 0"),
        (
            AXIS_HEAD + "comp.coupling = {low = 0, high = 2, steps = 2}\n",
            "axes.comp.coupling.high = 2 is out of range [0.0, 1.0]",
        ),
    ],
)
def test_bad_file_exits_2_naming_file_and_key(
    tmp_path: Path, body: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from okrsim.cli import main

    path = write(tmp_path, body)
    assert main(["sweep", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ")
    assert expected in err
    assert not (tmp_path / "out").exists()


def test_malformed_toml_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[experiment]\nname = 't\n")
    done = subprocess.run(
        [sys.executable, "-m", "okrsim.cli", "sweep", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {path}: malformed TOML")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "path",
    # robustness*.toml are run by okrsim robustness and checked in test_robustness.py
    sorted(p for p in (REPO / "experiments").glob("*.toml") if not p.stem.startswith("robustness")),
    ids=lambda p: p.name,
)
def test_ready_made_experiments_are_valid(path: Path) -> None:
    plan = plan_sweep(path)
    assert plan.n_runs >= 1
    if path.name == "coupling_sweep.toml":
        assert plan.replications >= 20
        assert "comp.coupling" in plan.keys


# -- strict types and bounded plans ---------------------------------------------


@pytest.mark.parametrize(
    ("head", "axes", "expected"),
    [
        ("", "comp.coupling = {low = 0, high = inf, steps = 3}", "high = inf must be a finite"),
        ("", "comp.coupling = {low = nan, high = 1, steps = 3}", "low = nan must be a finite"),
        ("", "comp.coupling = {low = 0, high = 1, steps = 3.0}", "steps = 3.0 must be a whole"),
        ("", 'comp.coupling = ["0.5", 1]', "comp.coupling = '0.5' must be a number"),
        ('name = "t"\nseed = 1\nreplications = true', "", "replications = true must be a whole"),
        ('name = "t"\nseed = "7"', "", "experiment.seed = '7' must be a whole number"),
        (f'name = "{"n" * 101}"\nseed = 1', "", "string should have at most 100 characters"),
    ],
)
def test_experiment_files_are_strict_about_types(
    tmp_path: Path, head: str, axes: str, expected: str
) -> None:
    assert expected in error_of(experiment(tmp_path, head=head, axes=axes))


def test_an_int_bound_is_accepted_for_a_float_axis(tmp_path: Path) -> None:
    plan = plan_sweep(experiment(tmp_path, axes="comp.coupling = {low = 0, high = 1, steps = 2}"))
    assert [p["comp.coupling"] for p in plan.points] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("head", "axes", "size"),
    [
        (
            'name = "t"\nseed = 1',
            "comp.coupling = {low = 0, high = 1, steps = 100000}\n"
            "judgment.accuracy = {low = 0, high = 1, steps = 100000}",
            "10,000,000,000 design points × 1 replications = 10,000,000,000 runs",
        ),
        (
            'name = "t"\nseed = 1\ndesign = "lhs"\nsamples = 10000000',
            "comp.coupling = {low = 0, high = 1}",
            "10,000,000 design points",
        ),
        (
            'name = "t"\nseed = 1\nreplications = 60000',
            "comp.coupling = {low = 0, high = 1, steps = 10}",
            "10 design points × 60,000 replications = 600,000 runs",
        ),
    ],
)
def test_a_plan_over_the_cap_is_refused_with_its_size_before_it_is_built(
    tmp_path: Path, head: str, axes: str, size: str
) -> None:
    message = error_of(experiment(tmp_path, head=head, axes=axes))
    assert size in message
    assert "over the cap of 100,000 runs; give --max-runs" in message


def test_the_cap_can_be_raised(tmp_path: Path) -> None:
    path = experiment(tmp_path, head='name = "t"\nseed = 1\nreplications = 4')
    with pytest.raises(ScenarioError, match="3 design points × 4 replications = 12 runs"):
        plan_sweep(path, max_runs=11)
    assert plan_sweep(path, max_runs=12).n_runs == 12


@pytest.mark.parametrize("design", ["grid", "lhs", "sobol", "morris"])
def test_design_size_counts_what_build_design_builds(tmp_path: Path, design: str) -> None:
    settings = {"grid": "", "lhs": "samples = 7", "sobol": "samples = 4", "morris": "samples = 3"}
    axes = (
        "comp.coupling = {low = 0, high = 1, steps = 3}\n"
        "org.team_size = {low = 2, high = 5, steps = 9}"
        if design == "grid"
        else "comp.coupling = {low = 0, high = 1}\norg.team_size = {low = 2, high = 5}"
    )
    head = f'name = "t"\nseed = 1\ndesign = "{design}"\n{settings[design]}'
    exp = load_experiment(experiment(tmp_path, head=head, axes=axes))
    assert design_size(exp) == len(build_design(exp))


def test_a_fifo_as_design_table_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "points.csv")
    head = 'name = "t"\nseed = 1\ndesign = "table"\ntable = "points.csv"'
    path = write(tmp_path, f"[experiment]\n{head}\n")
    assert "experiment.table = 'points.csv': not a regular file" in error_of(path)
