"""The ``okrsim`` command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from okrsim import provenance
from okrsim.cli import main
from okrsim.comparison import COMPARISON_COLUMNS

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def okrsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okrsim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_help_lists_every_command():
    out = okrsim("--help")
    assert out.returncode == 0
    for command in ("run", "compare"):
        assert command in out.stdout
    for command in ("run", "compare"):
        sub = okrsim(command, "--help")
        assert sub.returncode == 0
        assert "usage:" in sub.stdout


def test_run_writes_parquet_and_manifest(tmp_path):
    out = okrsim(
        "run",
        str(SCENARIOS / "coupled.toml"),
        "--seed",
        "3",
        "--out",
        str(tmp_path),
        "--set",
        "horizon.quarters=2",
        "--set",
        "org.n_teams=3",
    )
    assert out.returncode == 0, out.stderr
    for name in ("weekly.parquet", "quarterly.parquet", "employees.parquet"):
        assert len(pd.read_parquet(tmp_path / name)) > 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"]["entropy"] == 3
    assert manifest["scenario"]["comp"]["coupling"] == 0.8
    assert {"okrsim", "mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["numerics"] == provenance.numerics()
    rows = duckdb.sql(f"select count(*) from '{tmp_path / 'employees.parquet'}'").fetchall()
    assert rows == [(2 * 3 * 8,)]


def test_run_writes_one_row_per_key_result_and_weekly_detail_on_request(tmp_path):
    """Researchers read behaviour from files, never from the model's arrays."""
    out = okrsim(
        "run",
        str(SCENARIOS / "coupled.toml"),
        "--out",
        str(tmp_path),
        "--set",
        "horizon.quarters=2",
        "--set",
        "org.n_teams=3",
        "--weekly-detail",
    )
    assert out.returncode == 0, out.stderr
    krs = pd.read_parquet(tmp_path / "key_results.parquet")
    assert len(krs) == 2 * 3 * 8 * 2  # quarters × employees × key results
    thirds = krs[["output_weeks_1_4", "output_weeks_5_9", "output_weeks_10_13"]].sum(axis=1)
    # the truth is the quarter's own output; what is booked differs by what crossed its ends
    assert (thirds - krs["true_output"]).abs().max() < 1e-9
    assert krs["booked_across"].abs().max() > 0
    assert (krs["offer"] > 0).all()
    assert set(krs["reported_status"]) <= {"on_track", "at_risk", "off_track"}
    weeks = pd.read_parquet(tmp_path / "employee_weeks.parquet")
    assert len(weeks) == 2 * 13 * 3 * 8
    shares = weeks[["kr_share", "bau_share", "help_share", "explore_share"]].sum(axis=1)
    assert (shares - 1.0).abs().max() < 1e-9
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "employee_weeks.parquet" in manifest["files"]


@pytest.mark.slow
def test_compare_prints_a_table_and_writes_csv_and_report(tmp_path):
    out = okrsim(
        "compare",
        str(SCENARIOS / "decoupled.toml"),
        str(SCENARIOS / "coupled.toml"),
        "--reps",
        "3",
        "--seed",
        "1",
        "--quarters",
        "2",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
    )
    assert out.returncode == 0, out.stderr
    assert "coupled vs decoupled" in out.stdout
    assert "sandbagging_index" in out.stdout
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert set(table["scenario_b"]) == {"coupled"}
    html = (tmp_path / "report.html").read_text()
    assert "plotly" in html.lower()
    assert '<script src="http' not in html


def test_compare_results_do_not_depend_on_worker_count(tmp_path):
    args = [
        str(SCENARIOS / "decoupled.toml"),
        str(SCENARIOS / "coupled.toml"),
        "--reps",
        "2",
        "--seed",
        "5",
        "--quarters",
        "1",
    ]
    for workers in ("1", "2"):
        assert (
            okrsim(
                "compare", *args, "--workers", workers, "--out", str(tmp_path / workers)
            ).returncode
            == 0
        )
    one = pd.read_csv(tmp_path / "1" / "comparison.csv")
    two = pd.read_csv(tmp_path / "2" / "comparison.csv")
    pd.testing.assert_frame_equal(one, two)


BAD = {
    "unknown key": ("[comp]\ncuopling = 0.5\n", "unknown key 'comp.cuopling'"),
    "out of range": ("[comp]\ncoupling = 1.7\n", "comp.coupling = 1.7 is out of range [0.0, 1.0]"),
    "wrong type": ('[org]\nn_teams = "many"\n', "org.n_teams = 'many'"),
    "malformed": ("[comp\ncoupling = 0.5\n", "malformed TOML"),
    "unknown lever value": (
        '[comp]\nevaluation = "vibes"\n',
        "comp.evaluation = 'vibes' is not one of",
    ),
    "schedule beyond horizon": (
        '[horizon]\nquarters = 4\n[[schedule]]\nquarter = 6\nset = { "comp.coupling" = 0.0 }\n',
        "schedule[0].quarter = 6 is beyond horizon.quarters = 4",
    ),
    "schedule unknown key": (
        '[[schedule]]\nquarter = 2\nset = { "comp.nope" = 0.0 }\n',
        "unknown key 'comp.nope'",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_input_exits_2_naming_file_and_key(tmp_path, case, command):
    text, expected = BAD[case]
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    files = [str(bad)] if command == "run" else [str(SCENARIOS / "decoupled.toml"), str(bad)]
    out = okrsim(command, *files, "--out", str(tmp_path / "out"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("error: ")
    assert str(bad) in out.stderr
    assert expected in out.stderr


def test_missing_file_exits_2(tmp_path):
    out = okrsim("run", str(tmp_path / "nowhere.toml"))
    assert out.returncode == 2
    assert "nowhere.toml: file not found" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_override_exits_2(tmp_path):
    out = okrsim(
        "run", str(SCENARIOS / "baseline.toml"), "--set", "comp.coupling=2", "--out", str(tmp_path)
    )
    assert out.returncode == 2
    assert "comp.coupling = 2 is out of range" in out.stderr


BAD_FLAGS = {
    "negative seed": (["--seed", "-1"], "error: --seed: expected a whole number in [0, "),
    "seed of 5,000 digits": (["--seed", "9" * 5000], "error: --seed: expected a whole number"),
    "out names a file": (["--out", "{file}"], "is a file; expected a directory"),
    "out under a file": (["--out", "{file}/run"], "is a file, so nothing can be written under it"),
    "empty out": (["--out", ""], "error: --out: expected a directory, got an empty name"),
    "override of 5,000 digits": (
        ["--set", "comp.coupling=" + "9" * 5000],
        "error: --set: comp.coupling = '99999",
    ),
    "override smuggling a table": (
        ["--set", "comp.coupling=0.5\n[org]\nn_teams=1"],
        "error: --set: 'comp.coupling': a value is one line",
    ),
    "override given as a string": (
        ["--set", 'comp.coupling="0.5"'],
        "error: --set: comp.coupling = '0.5' must be a number",
    ),
    "override out of range": (["--set", "comp.coupling=2"], "error: --set: comp.coupling = 2 is"),
    "override without =": (["--set", "comp.coupling"], "error: --set: expected KEY=VALUE"),
    "unknown flag": (["--frobnicate"], "error: okrsim: unrecognized arguments: --frobnicate"),
}


@pytest.mark.parametrize("case", BAD_FLAGS, ids=list(BAD_FLAGS))
def test_bad_flags_are_one_error_line_naming_the_flag_before_anything_runs(tmp_path, capsys, case):
    flags, expected = BAD_FLAGS[case]
    (tmp_path / "file").write_text("")
    argv = [f.replace("{file}", str(tmp_path / "file")) for f in flags]
    assert main(["run", str(SCENARIOS / "baseline.toml"), *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1
    assert len(err) < 400


def test_a_bad_quarters_flag_is_blamed_on_the_flag(tmp_path, capsys):
    files = [str(SCENARIOS / "decoupled.toml"), str(SCENARIOS / "coupled.toml")]
    assert main(["compare", *files, "--quarters", "0", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "error: --quarters: horizon.quarters = 0 is out of range [1, 200]\n"
    )


def test_many_problems_make_one_line_that_counts_the_rest(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[comp]\n" + "".join(f"nope{i} = 1\n" for i in range(10)))
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.rstrip().endswith("and 7 more problems")


def test_version_prints_the_package_version():
    from okrsim import __version__

    out = okrsim("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"okrsim {__version__}"


HEAVY = ("numpy", "pandas", "pydantic", "pyarrow", "scipy", "mesa", "plotly", "solara", "dask")


def test_building_the_parser_imports_no_model_library():
    """``okrsim --help`` starts at once because the parser loads none of these."""
    code = (
        "import sys; from okrsim.cli import build_parser; build_parser(); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_texts_show_plain_percent_signs():
    for command in ("compare", "report", "sweep", "analyze", "validate"):
        out = okrsim(command, "--help")
        assert out.returncode == 0, out.stderr
        assert "%%" not in out.stdout


def test_compare_prints_scenarios_in_the_order_given_and_a_self_comparison_cleanly(tmp_path):
    coupled = str(SCENARIOS / "coupled.toml")
    out = okrsim(
        "compare",
        coupled,
        str(SCENARIOS / "no_okrs.toml"),
        str(SCENARIOS / "decoupled.toml"),
        coupled,
        *("--reps", "2", "--quarters", "1", "--workers", "1", "--out", str(tmp_path)),
        "--metrics",
        "true_value,sandbagging_index",
    )
    assert out.returncode == 0, out.stderr
    headers = [line for line in out.stdout.splitlines() if " vs coupled " in line]
    assert [h.split(" vs ")[0] for h in headers] == ["no_okrs", "decoupled", "coupled (2)"]
    assert "identical scenarios" in headers[2]
    block = out.stdout.split(headers[2])[1].splitlines()
    assert "nan" not in "\n".join(block[:4])
    assert block[1].split() == ["metric", "coupled", "coupled", "(2)", "diff", "95", "%", "CI", "d"]
    assert [row.split()[0] for row in block[2:4]] == ["true_value", "sandbagging_index"]
    assert all(row.split()[-1] == "—" for row in block[2:4])


def test_an_organisation_above_max_employees_is_one_error_line_and_exit_2(tmp_path):
    out = okrsim(
        "run",
        str(SCENARIOS / "baseline.toml"),
        "--set",
        "org.n_teams=66667",
        "--set",
        "org.team_size=3",
        "--out",
        str(tmp_path),
    )
    assert out.returncode == 2
    assert out.stderr == (
        "error: --set: org.n_teams × org.team_size = 66667 × 3 = 200001 employees; "
        "at most 200000 are allowed\n"
    )
    assert not any(tmp_path.iterdir())
