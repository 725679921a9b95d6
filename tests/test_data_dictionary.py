"""The data dictionary documents every column of every file okrsim writes.

Real commands write real files into tmp_path — a run with weekly detail, a
paired comparison, the tiny sweep with its analysis, a Sobol' sweep with
quarterly series and a Morris sweep — and every file, every column (every
key of a JSON file) must have an entry; the run's and the comparison's
Parquet files must carry it as field metadata.  docs/DATA.md must be the
dictionary's rendering.
"""

from __future__ import annotations

import json
import textwrap
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from okrsim import data_dictionary as dd
from okrsim.cli import main
from okrsim.metrics import METRICS
from okrsim.params import field_info
from okrsim.validation.patterns import Check
from okrsim.validation.runner import COLUMNS as VALIDATION_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "experiments" / "tiny.toml"
SMALL = "[org]\nn_teams = 2\n[horizon]\nquarters = 1\n"


def okrsim(*args: str | Path) -> None:
    """Run an okrsim command in this process; it must succeed."""
    assert main([str(a) for a in args]) == 0


def key_of(command: str, relative: str) -> str:
    """The dictionary key of a file a command wrote (``runs/part-1.parquet`` → its pattern)."""
    keys = [f.key for f in dd.FILES if f.command == command and fnmatch(relative, f.path)]
    assert len(keys) == 1, f"{command}: {relative} is not in the data dictionary"
    return keys[0]


def data_files(root: Path) -> list[Path]:
    """Every data file under ``root``: not the HTML pages, not hidden lock or temporary files."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".html" and not p.name.startswith(".")
    )


def columns(path: Path) -> list[str]:
    """A written file's columns: Parquet fields, the CSV header, or a JSON object's keys."""
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    if path.suffix == ".csv":
        return list(pd.read_csv(path, nrows=0).columns)
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return list(data)


def sensitivity_experiment(tmp_path: Path, design: str, settings: str) -> Path:
    """A two-axis sampling design on 2 teams for 1 quarter, every metric, quarterly series."""
    path = tmp_path / f"{design}.toml"
    path.write_text(
        textwrap.dedent(f"""
        [experiment]
        name = "{design}"
        design = "{design}"
        {settings}
        replications = 1
        seed = 5

        [set]
        org.n_teams = 2
        horizon.quarters = 1

        [axes]
        comp.coupling = {{low = 0, high = 1}}
        okr.krs_per_person = {{low = 1, high = 3}}

        [outcomes]
        series = true
        """)
    )
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Path]]]:
    """Every data file written by run, compare, sweep and analyze, by command."""
    tmp = tmp_path_factory.mktemp("written")
    scenario_a, scenario_b = tmp / "decoupled.toml", tmp / "coupled.toml"
    scenario_a.write_text(SMALL + "[comp]\ncoupling = 0.0\n")
    scenario_b.write_text(SMALL + "[comp]\ncoupling = 0.8\n")
    okrsim("run", scenario_a, "--out", tmp / "run", "--weekly-detail", "--seed", "3")
    okrsim(
        "compare", scenario_a, scenario_b, "--reps", "2", "--quarters", "1",
        "--workers", "1", "--out", tmp / "compare",
    )  # fmt: skip
    sweeps = [tmp / "tiny", tmp / "sobol", tmp / "morris"]
    sobol = sensitivity_experiment(tmp, "sobol", "samples = 4\nsecond_order = true")
    morris = sensitivity_experiment(tmp, "morris", "samples = 2\nlevels = 4")
    for experiment, out in zip((TINY, sobol, morris), sweeps, strict=True):
        okrsim("sweep", experiment, "-o", out, "--executor", "serial", "--no-progress")
        okrsim("analyze", out, "--where", "`comp.coupling` > 0.4")
    out: dict[str, list[tuple[str, Path]]] = {"run": [], "compare": [], "sweep": [], "analyze": []}
    for command in ("run", "compare"):
        for path in data_files(tmp / command):
            rel = path.relative_to(tmp / command).as_posix()
            out[command].append((key_of(command, rel), path))
    for root in sweeps:
        for path in data_files(root):
            rel = path.relative_to(root).as_posix()
            command = "analyze" if rel.startswith("analysis/") else "sweep"
            out[command].append((key_of(command, rel), path))
    return out


def test_every_column_of_every_written_file_is_documented(written) -> None:
    keys = {key for files in written.values() for key, _ in files}
    # what the commands wrote covers the dictionary's Parquet and CSV files,
    # but for the failures of a sweep in which nothing failed
    # (okrsim robustness writes its files in tests/test_robustness.py, which checks them)
    expected = {f.key for f in dd.FILES if f.command not in {"validate", "robustness"}}
    assert expected - keys == {"sweep/failures/*.parquet"}
    for files in written.values():
        for key, path in files:
            for column in columns(path):
                c = dd.describe(key, column)
                assert c.description, (key, column)
                assert c.unit, (key, column)
                assert c.grain, (key, column)


def test_the_sweep_manifest_documents_every_column_of_its_tables(written) -> None:
    """The store records its runs, series and failures columns: failures too, though none ran."""
    files = {
        "runs": ["sweep/runs/*.parquet"],
        "series": ["sweep/series/*.parquet"],
        "failures": ["sweep/failures.parquet", "sweep/failures/*.parquet"],
    }
    manifests = [p for key, p in written["sweep"] if key == "sweep/manifest.json"]
    assert len(manifests) == 3
    for manifest in manifests:
        stored = json.loads(manifest.read_text())["columns"]
        assert set(stored) == set(files)
        for table, names in stored.items():
            for key in files[table]:
                for name, _ in names:
                    dd.describe(key, name)


def test_the_validation_table_is_documented() -> None:
    check = Check("p", "true_value", "rises", 0.1, 0.0, 0.2, 0.5, True, "detail")
    assert list(check.row()) == [*VALIDATION_COLUMNS, "detail"]
    for column in check.row():
        dd.describe("validate/validation.csv", column)


def test_run_compare_and_sweep_parquet_fields_carry_their_entry(written) -> None:
    for command in ("run", "compare", "sweep"):
        for key, path in written[command]:
            if path.suffix != ".parquet":
                continue
            schema = pq.read_schema(path)
            for field in schema:
                assert field.metadata == dd.field_metadata(key, field.name), (key, field.name)
    weekly = dict(written["compare"])["compare/weekly.parquet"]
    scenario = pq.read_schema(weekly).field("scenario").metadata
    assert scenario[b"grain"].decode() == "one row per scenario × week (mean over replications)"
    detail = dict(written["run"])["run/employee_weeks.parquet"]
    description = pq.read_schema(detail).field("true_kr2").metadata[b"description"]
    assert description.decode() == "true progress on key result 2 so far this quarter"
    # the metadata does not get in the way of reading the data
    assert not pd.read_parquet(weekly).empty


def test_patterns_resolve_to_the_metric_or_the_scenario_key() -> None:
    c = dd.describe("sweep/runs/*.parquet", "comp.coupling")
    assert field_info("comp.coupling").description in c.description
    assert c.grain == "one row per run (design point × replication)"
    m = dd.describe("run/quarterly.parquet", "blocker_latency_weeks")
    assert (m.description, m.unit) == (METRICS["blocker_latency_weeks"], "weeks")
    s = dd.describe("sweep/design.parquet", "sample:okr.krs_per_person")
    assert "okr.krs_per_person" in s.description
    w = dd.describe("run/key_results.parquet", "output_weeks_10_13")
    assert w.description == "true output in weeks 10–13 of the quarter"


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("run/quarterly.parquet", "happiness"),  # not a metric
        ("sweep/runs/*.parquet", "comp.happiness"),  # not a scenario key
        ("run/weekly.parquet", "scenario"),  # a compare column, not a run's
        ("run/nothing.parquet", "week"),  # not a file okrsim writes
    ],
)
def test_an_undocumented_column_is_refused(file: str, column: str) -> None:
    with pytest.raises(KeyError):
        dd.describe(file, column)
    with pytest.raises(KeyError):
        dd.annotate(pa.table({column: [1.0]}), file)


def test_every_metric_has_a_unit() -> None:
    assert list(dd.METRIC_UNITS) == list(METRICS)


def test_docs_data_md_is_the_rendering() -> None:
    """docs/DATA.md is regenerated with ``make data-dictionary`` whenever the dictionary changes."""
    assert (ROOT / "docs" / "DATA.md").read_text(encoding="utf-8") == dd.render_markdown()
