"""Writing a run: the streamed per-employee tables are the held ones, file for file."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from okrsim.model import OKRModel
from okrsim.params import Scenario
from okrsim.run_store import ParquetStream, run_to, write_run
from okrsim.simulation import run

PER_EMPLOYEE = ("employees", "key_results", "employee_weeks")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, Path]:
    """One small run with weekly detail, written held (write_run) and streamed (run_to)."""
    s = Scenario().with_overrides(
        {"org.n_teams": 3, "org.team_size": 4, "horizon.quarters": 3, "okr.krs_per_person": 3}
    )
    held, streamed = tmp_path_factory.mktemp("held"), tmp_path_factory.mktemp("streamed")
    write_run(run(s, 11, weekly_detail=True), held, source="small")
    result = run_to(s, 11, streamed, weekly_detail=True, source="small")
    assert all(getattr(result, name).empty for name in PER_EMPLOYEE)
    assert len(result.quarterly) == 3
    return held, streamed


@pytest.mark.parametrize("name", PER_EMPLOYEE)
def test_a_streamed_table_is_the_held_one_in_columns_types_and_values(written, name):
    held, streamed = (d / f"{name}.parquet" for d in written)
    assert pq.read_schema(streamed).equals(pq.read_schema(held), check_metadata=True)
    assert pq.read_table(streamed).equals(pq.read_table(held), check_metadata=True)
    a, b = pd.read_parquet(held), pd.read_parquet(streamed)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    by_duckdb = [duckdb.sql(f"SELECT * FROM read_parquet('{p}')").df() for p in (held, streamed)]
    assert len(by_duckdb[0]) == len(a)
    pd.testing.assert_frame_equal(*by_duckdb, check_exact=True)


def test_a_streamed_table_has_a_row_group_per_quarter(written):
    _, streamed = written
    assert pq.ParquetFile(streamed / "employees.parquet").num_row_groups == 3


def test_a_streamed_run_writes_the_same_files_and_manifest(written):
    held, streamed = written
    assert sorted(p.name for p in held.iterdir()) == sorted(p.name for p in streamed.iterdir())
    a, b = (json.loads((d / "manifest.json").read_text()) for d in written)
    assert a["files"] == b["files"]
    assert set(PER_EMPLOYEE) <= {f.removesuffix(".parquet") for f in a["files"]}
    assert a["summary"] == b["summary"]
    for name in ("weekly", "quarterly"):
        assert pq.read_table(streamed / f"{name}.parquet").equals(
            pq.read_table(held / f"{name}.parquet")
        )


def test_a_streaming_model_holds_no_quarter_of_records(tmp_path):
    s = Scenario().with_overrides({"org.n_teams": 2, "org.team_size": 3, "horizon.quarters": 2})
    with ParquetStream(tmp_path) as stream:
        model = OKRModel(s, 3, weekly_detail=True, stream=stream)
        model.run()
    assert model.held.employees == model.held.key_results == []
    assert model.employee_frame().empty
    assert model.employee_week_frame().empty
    assert len(model.quarterly_frame()) == 2
    weeks = pd.read_parquet(tmp_path / "employee_weeks.parquet")
    assert len(weeks) == 2 * 13 * s.n_employees


def stop_after_a_review(out: Path, streams: list[ParquetStream]) -> None:
    """A run that stops with an error in its second quarter, its first quarter written."""
    s = Scenario().with_overrides({"org.n_teams": 2, "org.team_size": 3, "horizon.quarters": 2})
    with ParquetStream(out) as stream:
        streams.append(stream)
        model = OKRModel(s, 3, stream=stream)
        for _ in range(14):
            model.step()
        assert stream.files == ["employees.parquet", "key_results.parquet"]
        raise RuntimeError("the run stopped")


def test_a_failed_run_leaves_no_streamed_file(tmp_path):
    streams: list[ParquetStream] = []
    with pytest.raises(RuntimeError, match="the run stopped"):
        stop_after_a_review(tmp_path, streams)
    assert streams[0].files == []
    assert list(tmp_path.iterdir()) == []


def test_a_streamed_table_keeps_its_row_order_and_dtypes(written):
    _, streamed = written
    employees = pd.read_parquet(streamed / "employees.parquet")
    assert employees["quarter"].tolist() == list(np.repeat([1, 2, 3], 12))
    key_results = pd.read_parquet(streamed / "key_results.parquet")
    assert key_results["raised_week"].dtype == "Int64"


def traced_peak_mb(write: Callable[[Scenario, Path], object], quarters: int, out: Path) -> float:
    """Peak memory Python allocates while ``write`` runs 500 employees for ``quarters``."""
    s = Scenario().with_overrides(
        {"org.n_teams": 50, "org.team_size": 10, "horizon.quarters": quarters}
    )
    tracemalloc.start()
    try:
        write(s, out / f"q{quarters}")
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_streamed_runs_memory_does_not_grow_with_its_horizon(tmp_path):
    def streamed(s: Scenario, out: Path) -> object:
        return run_to(s, 1, out)

    def held(s: Scenario, out: Path) -> object:
        return write_run(run(s, 1), out)

    short, long = (traced_peak_mb(streamed, q, tmp_path) for q in (2, 8))
    assert long < 1.2 * short
    assert traced_peak_mb(held, 8, tmp_path / "held") > 1.5 * long
