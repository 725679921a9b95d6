"""Writing one run's results to disk: Parquet tables and a manifest.

Parquet files are written by pyarrow and read by pandas, polars, DuckDB and R;
every column carries its data-dictionary entry (meaning, unit, grain) as
field metadata (:mod:`okrsim.data_dictionary`).  Every file is written under a
temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from okrsim.data_dictionary import annotate
from okrsim.simulation import RunResult


def versions() -> dict[str, str]:
    """Versions of okrsim and the libraries that decide its results."""
    out = {"python": platform.python_version()}
    for pkg in ("okrsim", "mesa", "numpy", "pandas", "scipy", "pydantic", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def write_parquet(frame: pd.DataFrame, path: str | Path, *, file: str | None = None) -> Path:
    """Write ``frame`` atomically (temporary name, then rename), every column documented.

    ``file`` is the data-dictionary key of what is written; by default the
    run's file of the same name (``run/<name>``).  Files of other commands
    that share a run file's name but not its columns pass theirs, e.g.
    ``compare/weekly.parquet``.

    Raises
    ------
    KeyError
        If a column is not in the data dictionary.
    """
    p = Path(path)
    table = annotate(pa.Table.from_pandas(frame, preserve_index=False), file or f"run/{p.name}")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, p)
    return p


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON atomically, pretty-printed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return p


def write_run(result: RunResult, out: str | Path, *, source: str | None = None) -> Path:
    """Write every result table as ``<name>.parquet``, and ``manifest.json``.

    ``weekly``, ``quarterly``, ``employees`` and ``key_results`` always;
    ``employee_weeks`` when the run kept weekly detail.
    """
    d = Path(out)
    tables = result.tables()
    for name, frame in tables.items():
        write_parquet(frame, d / f"{name}.parquet")
    write_json(
        {
            "scenario_file": source,
            "scenario": result.scenario.model_dump(mode="json"),
            "seed": {"entropy": result.seed.entropy, "spawn_key": list(result.seed.spawn_key)},
            "files": sorted(f"{name}.parquet" for name in tables),
            "summary": result.summary,
            "versions": versions(),
        },
        d / "manifest.json",
    )
    return d
