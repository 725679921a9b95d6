"""Outputs that cannot be written, and the user-test defects of the CLI's messages.

Each test runs the real command line in a subprocess, as a user does, and
holds it to the project's rule: bad input (a flag, a file, an output that
cannot be written) is one ``error:`` line naming the file or flag, the key and
what was expected, exit code 2, never a traceback — and the reason and the
advice at the end of the line survive a long path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from okrsim.cli import PROBLEM_CHARS, shorten

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
    ("argv", "advice"),
    [
        (["sweep", "experiments/tiny.toml", "-o", "{run}"], "choose another output directory"),
        (["sweep", "experiments/tiny.toml", "-o", "{run}", "--resume"], "choose another"),
        (["analyze", "{run}"], "give a directory okrsim sweep wrote"),
        (["report", "{run}"], "give a directory okrsim sweep wrote"),
        (["rerun", "{run}", "0"], "give a directory okrsim sweep wrote"),
    ],
    ids=["sweep", "sweep --resume", "analyze", "report", "rerun"],
)
def test_a_run_directory_is_called_the_output_of_okrsim_run(run_dir, argv, advice):
    before = sorted(p.name for p in run_dir.iterdir())
    argv = [a.replace("{run}", str(run_dir)) for a in argv]
    refused(okrsim(*argv), f"error: {run_dir}: holds the output of okrsim run, not a sweep", advice)
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
