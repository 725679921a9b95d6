"""Writing one run's results to disk: Parquet tables and a manifest.

Parquet files are written by pyarrow and read by pandas, polars, DuckDB and R;
every column carries its data-dictionary entry (meaning, unit, grain) as
field metadata (:mod:`okrsim.data_dictionary`).  Every file is written under a
temporary name and renamed into place, so a reader never sees half a file.

A run written to a directory (:func:`run_to`, what ``okrsim run`` does) streams
its per-employee tables there quarter by quarter (:class:`ParquetStream`), so
it holds one quarter of them at a time, not the run's: the files are the same
tables, column for column and value for value, as :func:`write_run` writes of
a run that held them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from okrsim import provenance
from okrsim.data_dictionary import FILES, annotate
from okrsim.params import Scenario
from okrsim.seeding import SeedLike
from okrsim.simulation import RunResult, run

#: Every file ``okrsim run`` may write to its ``--out`` (the data dictionary's ``run/*``).
RUN_FILES = frozenset(f.key.removeprefix("run/") for f in FILES if f.key.startswith("run/"))
MANIFEST = "manifest.json"


def is_run_manifest(manifest: Any) -> bool:
    """Whether ``manifest`` is the ``manifest.json`` of ``okrsim run`` (one run), not a sweep's."""
    return (
        isinstance(manifest, dict)
        and "design_hash" not in manifest
        and {"scenario", "seed", "summary"} <= manifest.keys()
    )


def holds_one_run(directory: str | Path) -> bool:
    """Whether ``directory``'s manifest is one of ``okrsim run`` (unreadable or missing: no)."""
    try:
        return is_run_manifest(json.loads((Path(directory) / MANIFEST).read_bytes()))
    except (OSError, ValueError):
        return False


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
    OSError
        If it cannot be written (:func:`_atomically`).
    """
    p = Path(path)
    table = _documented(frame, file or f"run/{p.name}")
    return _atomically(p, lambda tmp: pq.write_table(table, tmp))


def _atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write`` to a temporary name beside ``path``, then rename it into place.

    A failed write (a full disk, a directory in the way) leaves no temporary
    file and raises an :class:`OSError` that names ``path`` (not the temporary
    name), which ``okrsim`` reports as one ``error: --out: …`` line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    return path


def _documented(frame: pd.DataFrame, file: str) -> pa.Table:
    """``frame`` as an Arrow table (no index), every column with its data-dictionary entry."""
    return annotate(pa.Table.from_pandas(frame, preserve_index=False), file)


def _temporary(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place (hidden, per process)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV (no index) atomically."""
    return _atomically(Path(path), lambda tmp: frame.to_csv(tmp, index=False))


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON atomically, pretty-printed."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    return _atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


class ParquetStream:
    """A run's per-employee tables written to ``out`` block by block, as the run makes them.

    The :class:`~okrsim.model.records.RecordStream` of a run written to a
    directory: each block (a quarter's ``employees`` or ``key_results``, a
    week's ``employee_weeks``) becomes a row group of ``<name>.parquet``.  The
    files are written under temporary names and renamed into place when the
    stream is closed, so a reader never sees half a table, and removed if the
    run fails.  Used as a context manager: ``with ParquetStream(out) as stream``.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self._writers: dict[str, tuple[pq.ParquetWriter, Path]] = {}

    @property
    def files(self) -> list[str]:
        """The file names written so far."""
        return [f"{name}.parquet" for name in self._writers]

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Add ``frame`` (one block of the table ``name``) to ``<name>.parquet``."""
        table = _documented(frame, f"run/{name}.parquet")
        if name not in self._writers:
            self.out.mkdir(parents=True, exist_ok=True)
            tmp = _temporary(self.out / f"{name}.parquet")
            self._writers[name] = pq.ParquetWriter(tmp, table.schema), tmp
        self._writers[name][0].write_table(table)

    def close(self) -> None:
        """Finish every file and rename it into place."""
        for name, (writer, tmp) in self._writers.items():
            writer.close()
            os.replace(tmp, self.out / f"{name}.parquet")

    def discard(self) -> None:
        """Finish and remove every file: the run that wrote them did not complete."""
        for writer, tmp in self._writers.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self._writers.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def run_to(
    scenario: Scenario,
    seed: SeedLike,
    out: str | Path,
    *,
    weekly_detail: bool = False,
    source: str | None = None,
) -> RunResult:
    """Simulate ``scenario`` and write its results to ``out``, the per-employee tables streamed.

    ``employees``, ``key_results`` (and ``employee_weeks`` with
    ``weekly_detail``) are written quarter by quarter as the run goes
    (:class:`ParquetStream`), so the run's memory does not grow with its
    horizon; then the weekly and quarterly tables and the manifest
    (:func:`write_run`).  The returned result holds the weekly and quarterly
    tables and the summary; its per-employee tables are empty.

    If ``out`` held a run before, the files of that run this one does not
    write (``employee_weeks.parquet`` of a run with weekly detail, say) are
    removed once this run is written, so the directory holds one run, not
    two mixed; files that are not a run's (:data:`RUN_FILES`) are never
    touched.
    """
    earlier = {p.name for p in Path(out).iterdir()} & RUN_FILES if holds_one_run(out) else set()
    with ParquetStream(out) as stream:
        result = run(scenario, seed, weekly_detail=weekly_detail, stream=stream)
    write_run(result, out, source=source, streamed=stream.files)
    for name in sorted(earlier - {MANIFEST, *_files(result, stream.files)}):
        (Path(out) / name).unlink(missing_ok=True)
    return result


def write_run(
    result: RunResult,
    out: str | Path,
    *,
    source: str | None = None,
    streamed: Iterable[str] = (),
) -> Path:
    """Write every result table as ``<name>.parquet``, and ``manifest.json``.

    ``weekly``, ``quarterly``, ``employees`` and ``key_results`` always;
    ``employee_weeks`` when the run kept weekly detail.  ``streamed`` names
    the files a :class:`ParquetStream` already wrote there, for the manifest.
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
            "files": _files(result, streamed),
            "summary": result.summary,
            "versions": provenance.versions(),
            "numerics": provenance.numerics(),
        },
        d / MANIFEST,
    )
    return d


def _files(result: RunResult, streamed: Iterable[str]) -> list[str]:
    """The table files a run's manifest lists: those written whole and those streamed."""
    return sorted({f"{name}.parquet" for name in result.tables()} | set(streamed))
