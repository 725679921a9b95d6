"""Outputs that cannot be written, and the user-test defects of the CLI's messages.

Each test runs the real command line in a subprocess, as a user does, and
holds it to the project's rule: bad input (a flag, a file, an output that
cannot be written) is one ``error:`` line naming the file or flag, the key and
what was expected, exit code 2, never a traceback — and the reason and the
advice at the end of the line survive a long path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from okrsim.cli import OUTPUT_SIGNS, PROBLEM_CHARS, VALIDATION_SWEEP_PREFIX, output_of, shorten

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TWO = [str(SCENARIOS / "decoupled.toml"), str(SCENARIOS / "coupled.toml")]
SMALL = ["--reps", "2", "--quarters", "1"]

#: One design point, one replication, a tiny organisation: a sweep in a second.
ONE_POINT = """\
[experiment]
name = "one"
design = "grid"
replications = {reps}
seed = 1

[set]
org.n_teams = 1
org.team_size = 2
horizon.quarters = 1

[axes]
comp.coupling = [0.5]

[outcomes]
metrics = ["attainment"]
"""


def okrsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okrsim.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def refused(out: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The one ``error:`` line of a refused command, checked to hold each of ``expected``."""
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, out.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def experiment(tmp_path: Path, reps: int = 1) -> Path:
    path = tmp_path / f"one-{reps}.toml"
    path.write_text(ONE_POINT.format(reps=reps))
    return path


# -- 1. an output that cannot be written ---------------------------------------

UNWRITABLE = [d for d in ("/proc", "/sys") if os.path.isdir(d)]


@pytest.mark.skipif(not UNWRITABLE, reason="no /proc or /sys to refuse a new name")
@pytest.mark.parametrize(
    "argv",
    [
        ["run", TWO[0]],
        ["compare", *TWO, *SMALL],
        ["sweep", "experiments/tiny.toml"],
        ["report", *TWO, "--reps", "2"],
        ["validate", "--quick"],
        ["robustness", "--quick"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_out_no_file_can_be_made_under_is_refused_before_anything_runs(argv):
    """``os.access`` says yes to root under /proc and /sys; only trying tells, and it is
    tried when the flags are read, so no simulation is lost to a failed write."""
    name = "x.html" if argv[0] == "report" else "x"
    out = okrsim(*argv, "--out", f"{UNWRITABLE[0]}/okrsim-test/{name}")
    refused(out, f"error: --out: '{UNWRITABLE[0]}/okrsim-test/{name}': cannot write under")
    assert "runs:" not in out.stderr  # no progress bar: nothing ran


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_report_the_disk_cannot_hold_is_one_error_line():
    out = okrsim("report", *TWO, "--reps", "2", "--out", "/dev/full")
    refused(out, "error: --out: cannot write '/dev/full': No space left on device")


def test_a_compare_output_that_fails_to_write_is_one_error_line_naming_the_file(tmp_path):
    """A directory where comparison.csv is to go: the write fails after the runs, and
    the error names the file, and leaves no temporary file behind."""
    (tmp_path / "comparison.csv").mkdir()
    (tmp_path / "comparison.csv" / "keep").write_text("kept")
    out = okrsim("compare", *TWO, *SMALL, "--out", str(tmp_path))
    refused(out, f"error: --out: cannot write '{tmp_path / 'comparison.csv'}': ")
    assert (tmp_path / "comparison.csv" / "keep").read_text() == "kept"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


# -- 2. a path that does not exist -------------------------------------------------


def test_compare_of_a_missing_file_says_it_is_missing(tmp_path):
    refused(okrsim("compare", str(tmp_path / "nope.toml")), "nope.toml: file not found")


@pytest.mark.parametrize("name", ["nope", "nope.toml"])
def test_report_of_a_missing_path_says_it_is_missing(tmp_path, name):
    refused(
        okrsim("report", str(tmp_path / name)),
        f"{name}': no such scenario file or results directory",
    )


# -- 3. --workers 0 ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", *TWO],
        ["report", *TWO],
        ["sweep", "experiments/tiny.toml", "--dry-run"],
        ["robustness", "--quick"],
        ["validate", "--quick"],
    ],
    ids=lambda argv: argv[0],
)
def test_workers_0_is_refused_alike_by_every_command(argv):
    refused(okrsim(*argv, "--workers", "0"), "error: --workers: expected a whole number in [1, ")


def test_every_workers_help_says_leaving_it_out_means_all_cores():
    for command in ("compare", "report", "sweep", "robustness", "validate"):
        text = " ".join(okrsim(command, "--help").stdout.split())
        assert "(default: all cores" in text, command


# -- 4. an empty --metrics -------------------------------------------------------------


@pytest.mark.parametrize("value", ["", ",", " , "])
def test_an_empty_metrics_list_is_refused(value, tmp_path):
    out = okrsim("compare", *TWO, *SMALL, "--out", str(tmp_path), "--metrics", value)
    refused(out, "error: --metrics: expected comma-separated metric names")
    assert not out.stdout


# -- 5. long paths do not push the reason out of the line -------------------------------


def long_dir(tmp_path: Path) -> Path:
    d = tmp_path.joinpath(*["a-rather-long-directory-name-" + "x" * 40] * 8)
    d.mkdir(parents=True)
    return d


def test_a_long_scenario_path_keeps_the_reason(tmp_path):
    bad = long_dir(tmp_path) / "bad.toml"
    bad.write_text("[comp]\ncoupling = 1.7\n")
    line = refused(okrsim("run", str(bad), "--out", str(tmp_path / "out")))
    assert "…" in line
    assert line.endswith("/bad.toml: comp.coupling = 1.7 is out of range [0.0, 1.0]")
    assert len(line) <= len("error: ") + PROBLEM_CHARS


def test_a_long_sweep_path_keeps_the_advice_to_resume(tmp_path):
    out = long_dir(tmp_path) / "sweep"
    first = okrsim("sweep", str(experiment(tmp_path)), "-o", str(out), "--executor", "serial")
    assert first.returncode == 0, first.stderr
    again = okrsim("sweep", str(experiment(tmp_path, 2)), "-o", str(out), "--resume")
    line = refused(again, "changed: replications")
    assert line.endswith("or sweep into a new directory")
    assert len(line) <= len("error: ") + PROBLEM_CHARS


def test_shortening_cuts_the_longest_quoted_value_in_the_middle():
    message = f"--out: '{'p' * 500}/end': cannot write under '/proc': Permission denied"
    short = shorten(message)
    assert len(short) == PROBLEM_CHARS
    assert short.startswith("--out: 'ppp")
    assert "…" in short
    assert short.endswith("/end': cannot write under '/proc': Permission denied")


# -- 6. the output of okrsim run is not a sweep ---------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    done = okrsim("run", TWO[0], "--set", "horizon.quarters=1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(
    "argv",
    [["analyze", "{run}"], ["report", "{run}"], ["rerun", "{run}", "0"]],
    ids=lambda argv: argv[0],
)
def test_a_run_directory_is_called_the_output_of_okrsim_run(run_dir, argv):
    before = sorted(p.name for p in run_dir.iterdir())
    argv = [a.replace("{run}", str(run_dir)) for a in argv]
    refused(
        okrsim(*argv),
        f"error: {run_dir}: holds the output of okrsim run, not a sweep",
        "give a directory okrsim sweep wrote",
    )
    assert sorted(p.name for p in run_dir.iterdir()) == before  # not even a lock file


@pytest.mark.parametrize("flags", [[], ["--resume"], ["--dry-run"]], ids=" ".join)
def test_a_sweep_into_a_run_directory_is_refused_naming_out(run_dir, flags):
    before = sorted(p.name for p in run_dir.iterdir())
    refused(
        okrsim("sweep", "experiments/tiny.toml", "-o", str(run_dir), *flags),
        f"error: --out: '{run_dir}' holds the output of okrsim run, not of okrsim sweep; "
        "give another --out",
    )
    assert sorted(p.name for p in run_dir.iterdir()) == before  # not even a lock file


# -- 7. validate's advice is in validate's flags ------------------------------------------


def test_validate_refusing_other_reps_advises_its_own_flags(tmp_path):
    out = tmp_path / "v"
    first = okrsim("validate", "--quick", "--reps", "2", "--out", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr
    line = refused(
        okrsim("validate", "--quick", "--reps", "3", "--out", str(out)),
        f"error: {out}: cannot resume: it holds a validation run made with other flags",
        "changed: replications",
        "(--reps 2 --quick), or give a new --out",
    )
    assert "experiment file" not in line


# -- 8. counts and the files written ----------------------------------------------------


def test_a_dry_run_of_one_point_says_one_point(tmp_path):
    out = okrsim("sweep", str(experiment(tmp_path)), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "1 point × 1 replication = 1 run " in out.stdout


def test_compare_names_every_file_it_wrote(tmp_path):
    out = okrsim("compare", *TWO, *SMALL, "--out", str(tmp_path), "--metrics", "attainment")
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-1]
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(last.split(f"wrote {tmp_path}/: ")[1].split(", "))


# -- 9. an output directory holds one command's output --------------------------------


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sweep")
    out = tmp / "sweep"
    done = okrsim("sweep", str(experiment(tmp)), "-o", str(out), "--executor", "serial")
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "compare"
    done = okrsim("compare", *TWO, *SMALL, "--out", str(out), "--workers", "1")
    assert done.returncode == 0, done.stderr
    return out


def listing(d: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(d)), p.stat().st_mtime_ns) for p in d.rglob("*"))


@pytest.mark.parametrize(
    ("argv", "holder"),
    [
        (["validate", "--quick", "--reps", "2", "--out", "{sweep}"], "sweep"),
        (["validate", "--quick", "--reps", "2", "--out", "{compare}"], "compare"),
        (["validate", "--quick", "--reps", "2", "--out", "{run}"], "run"),
        (["compare", *TWO, *SMALL, "--out", "{sweep}"], "sweep"),
        (["compare", *TWO, *SMALL, "--out", "{run}"], "run"),
        (["run", TWO[0], "--out", "{sweep}"], "sweep"),
        (["run", TWO[0], "--out", "{compare}"], "compare"),
        (["robustness", "--quick", "--out", "{sweep}"], "sweep"),
        (["robustness", "--quick", "--out", "{compare}"], "compare"),
        (["sweep", "experiments/tiny.toml", "-o", "{compare}"], "compare"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v[0]}-into-{v[-1].strip('{}')}",
)
def test_a_command_refuses_an_out_holding_another_commands_output(
    argv, holder, sweep_dir, compare_dir, run_dir
):
    """One line naming --out, what the directory holds and the fix; nothing in it changes."""
    dirs = {"{sweep}": sweep_dir, "{compare}": compare_dir, "{run}": run_dir}
    target = dirs[next(a for a in argv if a in dirs)]
    before = listing(target)
    out = okrsim(*[str(dirs.get(a, a)) for a in argv])
    refused(
        out,
        f"error: --out: '{target}' holds the output of okrsim {holder}, "
        f"not of okrsim {argv[0]}; give another --out",
    )
    assert "runs:" not in out.stderr  # refused before anything ran
    assert listing(target) == before


def test_a_run_into_an_earlier_run_replaces_it_and_nothing_else(tmp_path):
    out = tmp_path / "run"
    one = ["--set", "horizon.quarters=1", "--out", str(out)]
    assert okrsim("run", TWO[1], *one, "--weekly-detail").returncode == 0
    (out / "notes.txt").write_text("mine")
    again = okrsim("run", TWO[0], *one)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_file"] == TWO[0]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*manifest["files"], "manifest.json", "notes.txt"]
    )
    assert "employee_weeks.parquet" not in manifest["files"]


def test_compare_into_an_earlier_compare_overwrites_its_own_files(tmp_path):
    out = tmp_path / "compare"
    first = okrsim("compare", *TWO, *SMALL, "--out", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr
    again = okrsim("compare", *TWO[::-1], *SMALL, "--out", str(out), "--workers", "1")
    assert again.returncode == 0, again.stderr
    assert "comparison.csv" in again.stdout


def test_analyze_again_removes_its_own_earlier_prim_tables_only(tmp_path):
    out = tmp_path / "tiny"
    done = okrsim("sweep", "experiments/tiny.toml", "-o", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    first = okrsim("analyze", str(out), "--where", "attainment > 0")
    assert first.returncode == 0, first.stderr
    assert (out / "analysis" / "prim_box.csv").is_file()
    (out / "analysis" / "mine.csv").write_text("kept")
    again = okrsim("analyze", str(out))
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (out / "analysis").iterdir()) == ["mine.csv", "point_means.csv"]


def test_an_interrupted_validation_is_known_by_its_sweeps(tmp_path):
    """Before validation.csv is written, a validate directory holds only sweeps/<name>/."""
    out = tmp_path / "v"
    (out / "sweeps" / "ratchet").mkdir(parents=True)
    manifest = {"design_hash": "x", "plan": {"name": f"{VALIDATION_SWEEP_PREFIX}ratchet"}}
    (out / "sweeps" / "ratchet" / "manifest.json").write_text(json.dumps(manifest))
    assert output_of(out) == "validate"
    refused(
        okrsim("run", TWO[0], "--out", str(out)),
        "holds the output of okrsim validate, not of okrsim run",
    )
    (out / "sweeps" / "ratchet" / "manifest.json").write_text(json.dumps({"plan": {"name": "a"}}))
    assert output_of(out) is None  # sweeps of one's own under sweeps/: not validate's


def test_every_output_sign_is_a_file_the_data_dictionary_documents():
    from okrsim.data_dictionary import FILES
    from okrsim.experiments.robustness import MANIFEST

    keys = {f.key for f in FILES}
    assert set(OUTPUT_SIGNS.values()) <= keys
    assert OUTPUT_SIGNS["robustness"] == f"robustness/{MANIFEST}"


# -- 10. a dry run refuses what the sweep would refuse ------------------------------------


@pytest.mark.parametrize("flags", [["--resume"], []], ids=["--resume", "new"])
def test_a_dry_run_into_another_experiments_sweep_refuses_as_the_run_does(
    sweep_dir, tmp_path, flags
):
    other = str(experiment(tmp_path, reps=2))
    before = listing(sweep_dir)
    dry = okrsim("sweep", other, *flags, "--dry-run", "-o", str(sweep_dir))
    real = okrsim("sweep", other, *flags, "-o", str(sweep_dir), "--executor", "serial")
    assert refused(dry) == refused(real)
    assert "would write" not in dry.stdout
    assert listing(sweep_dir) == before


def test_a_dry_run_of_the_same_experiment_says_it_would_resume(sweep_dir, tmp_path):
    before = listing(sweep_dir)
    dry = okrsim("sweep", str(experiment(tmp_path)), "--resume", "--dry-run", "-o", str(sweep_dir))
    assert dry.returncode == 0, dry.stderr
    assert f"would resume the sweep in {sweep_dir};" in dry.stdout
    assert listing(sweep_dir) == before


# -- 11. small messages ---------------------------------------------------------------------


def test_robustness_of_a_directory_says_a_robustness_file_was_expected(tmp_path):
    refused(
        okrsim("robustness", str(tmp_path)),
        f"error: {tmp_path}: is a directory; expected a robustness file (TOML)",
    )


def test_sweep_of_a_scenario_file_says_sweep_takes_an_experiment_file():
    refused(
        okrsim("sweep", TWO[1], "--dry-run"),
        f"error: {TWO[1]}: this looks like a scenario file: okrsim run and okrsim compare take "
        "scenarios, okrsim sweep takes an experiment file (see experiments/)",
    )


def test_sweep_of_a_broken_experiment_file_gets_no_scenario_hint(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(ONE_POINT.format(reps=0))
    line = refused(okrsim("sweep", str(bad), "--dry-run"), "replications")
    assert "scenario file" not in line


@pytest.mark.parametrize("how", ["file", "--set"])
def test_a_boolean_where_a_number_is_expected_is_echoed_as_toml_writes_it(tmp_path, how):
    bad = tmp_path / "bool.toml"
    bad.write_text("[comp]\ncoupling = true\n")
    argv = [str(bad)] if how == "file" else [TWO[0], "--set", "comp.coupling=true"]
    line = refused(okrsim("run", *argv, "--out", str(tmp_path / "o")), "comp.coupling = true must")
    assert "True" not in line


def test_validate_out_help_documents_its_default():
    text = " ".join(okrsim("validate", "--help").stdout.split())
    assert "(default out/validation)" in text
