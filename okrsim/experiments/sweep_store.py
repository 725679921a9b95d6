"""A sweep on disk: manifest, design, Parquet parts and failures; resumable.

Layout of a sweep directory ``DIR``::

    manifest.json          the experiment as loaded, its design hash, versions, status
    design.parquet         one row per design point (point_id, swept values, raw sample)
    runs/part-*.parquet    one tidy row per completed run
    series/part-*.parquet  one row per run and quarter (if outcomes.series)
    failures.parquet       one row per failed run: ids, parameters, error, traceback
    failures/part-*.parquet  failures while a session runs, gathered into
                           failures.parquet when it ends (or is interrupted)

Every part is written to a hidden temporary name, flushed to disk and then
renamed (``os.replace``), so a reader — or a resumed sweep — never sees half
a file, and readers that glob ``runs/*.parquet`` (pandas, DuckDB, polars, R's
arrow) never see the temporary ones.  A run counts as done once its row is
in a ``runs`` part or its failure is recorded; a chunk's series and failure
parts are written before its runs part, and series parts without a matching
runs part are discarded on resume, so an interrupted sweep resumed gives
exactly the rows of an uninterrupted one.

The driver writes each chunk as it arrives and keeps only the chunks in
flight, so its memory does not grow with the number of runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import secrets
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from okrsim.experiments.executors import ChunkResult
from okrsim.experiments.plan import Plan, canonical_json
from okrsim.params import ScenarioError

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
FAILURES = "failures.parquet"
LOCK = ".lock"
_ID_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("run_id", pa.int64()),
    ("point_id", pa.int64()),
    ("replication", pa.int64()),
    ("seed_entropy", pa.int64()),
    ("spawn_key", pa.string()),
)
_KIND_TYPES: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "category": pa.string(),
}
_VERSIONED = (
    "okrsim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "pydantic",
    "scipy",
    "salib",
    "dask",
    "distributed",
)


def run_schema(plan: Plan) -> pa.Schema:
    """Columns of ``runs/``: ids, seed, one per swept key, one per outcome."""
    axes = [(a.key, _KIND_TYPES[a.kind]) for a in plan.design.axes]
    outcomes = [(m, pa.float64()) for m in plan.experiment.metrics]
    return pa.schema([*_ID_COLUMNS, *axes, *outcomes])


def series_schema(plan: Plan) -> pa.Schema:
    """Columns of ``series/``: run ids, quarter, one per outcome."""
    ids = [(n, t) for n, t in _ID_COLUMNS if n in {"run_id", "point_id", "replication"}]
    outcomes = [(m, pa.float64()) for m in plan.experiment.metrics]
    return pa.schema([*ids, ("quarter", pa.int64()), *outcomes])


def failure_schema(plan: Plan) -> pa.Schema:
    """Columns of ``failures.parquet``: ids, seed, swept keys, parameters, error, traceback."""
    axes = [(a.key, _KIND_TYPES[a.kind]) for a in plan.design.axes]
    text = [("parameters", pa.string()), ("error", pa.string()), ("traceback", pa.string())]
    return pa.schema([*_ID_COLUMNS, *axes, *text])


def _schema_to_json(schema: pa.Schema) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in schema]


def _schema_from_json(columns: list[list[str]]) -> pa.Schema:
    types = {"int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
    return pa.schema([(name, types[kind]) for name, kind in columns])


def versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape a run's numbers."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class Store:
    """Reads and writes one sweep directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.series_dir = self.root / "series"
        self.failures_dir = self.root / "failures"
        self._manifest: dict[str, Any] | None = None

    # -- opening ----------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path) -> Store:
        """An existing sweep, for reading (``analyze``, ``rerun``).

        Raises
        ------
        ScenarioError
            If ``root`` holds no sweep.
        """
        store = cls(root)
        if not (store.root / MANIFEST).is_file():
            raise ScenarioError(f"{store.root}: not a sweep directory (no {MANIFEST})")
        store.manifest  # noqa: B018 - read and check it now, not on first use
        return store

    def prepare(self, plan: Plan, *, resume: bool) -> None:
        """Make the directory ready for ``plan``'s runs: new, or an existing sweep to resume.

        Call it holding :meth:`lock`, so that no other driver is writing here
        while incomplete files are discarded.

        Raises
        ------
        ScenarioError
            If the directory already holds a sweep and ``resume`` is false; if
            it holds a sweep of a different experiment (the design hash
            differs); or if it is a non-empty directory that holds no sweep.
        """
        exists = (self.root / MANIFEST).is_file()
        if exists and not resume:
            raise ScenarioError(
                f"{self.root}: already holds a sweep; pass --resume to continue it, "
                "or choose another output directory"
            )
        if exists:
            self.check_matches(plan)
            self.discard_incomplete()
            return
        if self.root.exists() and any(p.name != LOCK for p in self.root.iterdir()):
            raise ScenarioError(
                f"{self.root}: exists and is not empty, but holds no sweep ({MANIFEST}); "
                "choose another output directory"
            )
        self.create(plan)

    def create(self, plan: Plan) -> None:
        """Write the manifest and the design of a new sweep."""
        for d in (self.root, self.runs_dir):
            d.mkdir(parents=True, exist_ok=True)
        if plan.experiment.outcomes.series:
            self.series_dir.mkdir(exist_ok=True)
        self._write_design(plan)
        manifest = {
            "format": plan.describe()["format"],
            "experiment_file": plan.experiment.path,
            "experiment": plan.experiment.raw,
            "design_hash": plan.design_hash,
            "plan": {k: v for k, v in plan.describe().items() if k != "points"},
            "n_points": plan.n_points,
            "n_runs": plan.n_runs,
            "columns": {
                "runs": _schema_to_json(run_schema(plan)),
                "series": _schema_to_json(series_schema(plan)),
                "failures": _schema_to_json(failure_schema(plan)),
            },
            "versions": versions(),
            "created": _now(),
            "status": {"state": "running"},
        }
        self.write_manifest(manifest)

    def _write_design(self, plan: Plan) -> None:
        design = plan.design
        columns: dict[str, Any] = {"point_id": list(range(plan.n_points))}
        fields: list[tuple[str, pa.DataType]] = [("point_id", pa.int64())]
        for axis in design.axes:
            columns[axis.key] = [p[axis.key] for p in plan.points]
            fields.append((axis.key, _KIND_TYPES[axis.kind]))
        if design.sample is not None:
            for j, axis in enumerate(design.axes):
                columns[f"sample:{axis.key}"] = design.sample[:, j].tolist()
                fields.append((f"sample:{axis.key}", pa.float64()))
        self._write_atomic(pa.table(columns, schema=pa.schema(fields)), self.root / DESIGN)

    # -- manifest -----------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            path = self.root / MANIFEST
            try:
                self._manifest = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ScenarioError(f"{path}: unreadable manifest: {exc}") from None
        return self._manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        self._replace_bytes(self.root / MANIFEST, text.encode())
        self._manifest = manifest

    def update_status(self, **status: Any) -> None:
        manifest = dict(self.manifest)
        manifest["status"] = {**manifest.get("status", {}), **status, "updated": _now()}
        self.write_manifest(manifest)

    def check_matches(self, plan: Plan) -> None:
        """Refuse to resume a sweep of a different experiment.

        Raises
        ------
        ScenarioError
            Naming the directory and which parts of the experiment differ.
        """
        old = self.manifest.get("design_hash")
        if old == plan.design_hash:
            return
        stored = self.manifest.get("plan", {})
        current = {k: v for k, v in plan.describe().items() if k != "points"}
        changed = sorted(
            k
            for k in set(stored) | set(current)
            if canonical_json(stored.get(k)) != canonical_json(current.get(k))
        )
        if "base_scenario" in changed:
            flat_old = dict(_flatten(stored.get("base_scenario", {})))
            flat_new = dict(_flatten(current.get("base_scenario", {})))
            keys = sorted(
                k for k in set(flat_old) | set(flat_new) if flat_old.get(k) != flat_new.get(k)
            )
            changed.remove("base_scenario")
            changed.extend(f"base scenario {k}" for k in keys)
        what = ", ".join(changed) or "the design points"
        raise ScenarioError(
            f"{self.root}: cannot resume: it holds a sweep of a different experiment "
            f"(design hash {str(old)[:12]} ≠ {plan.design_hash[:12]}; changed: {what}). "
            f"Resume with the experiment file it was made from "
            f"({self.manifest.get('experiment_file')}), or sweep into a new directory"
        )

    # -- writing ------------------------------------------------------------
    def schema(self, table: str) -> pa.Schema:
        return _schema_from_json(self.manifest["columns"][table])

    def write_chunk(self, result: ChunkResult) -> None:
        """Store a chunk: series part, failures part, then the runs part that completes it."""
        ids = [r["run_id"] for r in result.rows] + [f["run_id"] for f in result.failures]
        if not ids:
            return
        name = f"part-{min(ids):09d}-{secrets.token_hex(4)}.parquet"
        if result.series:
            table = pa.Table.from_pylist(result.series, schema=self.schema("series"))
            self._write_atomic(table, self.series_dir / name)
        if result.failures:
            table = pa.Table.from_pylist(result.failures, schema=self.schema("failures"))
            self._write_atomic(table, self.failures_dir / name)
        if result.rows:
            table = pa.Table.from_pylist(result.rows, schema=self.schema("runs"))
            self._write_atomic(table, self.runs_dir / name)

    def _write_atomic(self, table: pa.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with tmp.open("wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _replace_bytes(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    # -- resume -------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory while a driver writes to it.

        ``flock`` is released by the kernel when the process dies, so a
        killed driver never leaves a stale lock behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    f"{self.root}: another sweep is writing to this directory"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def discard_incomplete(self) -> None:
        """Remove temporary files and series parts whose runs part never landed."""
        for d in (self.runs_dir, self.series_dir, self.failures_dir, self.root):
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        if self.series_dir.is_dir():
            landed = {p.name for p in self._parts(self.runs_dir)}
            for part in self._parts(self.series_dir):
                if part.name not in landed:
                    part.unlink()

    def completed_ids(self) -> set[int]:
        """Run ids with a stored row."""
        return self._ids(self._parts(self.runs_dir))

    def failed_ids(self) -> set[int]:
        """Run ids with a recorded failure."""
        paths = list(self._parts(self.failures_dir))
        if (self.root / FAILURES).is_file():
            paths.append(self.root / FAILURES)
        return self._ids(paths)

    def forget_failures(self, run_ids: Iterable[int]) -> None:
        """Drop recorded failures (``--retry-failed``) so those runs are run again."""
        drop = set(run_ids)
        if not drop:
            return
        self.consolidate_failures(exclude=drop)

    def consolidate_failures(self, *, exclude: set[int] | None = None) -> int:
        """Gather failure parts into ``failures.parquet`` (one row per run id).

        Returns the number of recorded failures.
        """
        schema = self.schema("failures")
        paths = list(self._parts(self.failures_dir))
        tables = [pq.read_table(p) for p in paths]
        if (self.root / FAILURES).is_file():
            tables.insert(0, pq.read_table(self.root / FAILURES))
        frame = (pa.concat_tables(tables) if tables else schema.empty_table()).to_pandas()
        frame = frame.drop_duplicates("run_id").sort_values("run_id")
        if exclude:
            frame = frame[~frame["run_id"].isin(exclude)]
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        self._write_atomic(table, self.root / FAILURES)
        for p in paths:
            p.unlink()
        # The parts' directory is recreated by the next chunk that fails.
        with contextlib.suppress(OSError):
            self.failures_dir.rmdir()
        return table.num_rows

    # -- reading ------------------------------------------------------------
    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored run row, sorted by ``run_id``."""
        return self._read(self.runs_dir, self.schema("runs"), columns)

    def read_series(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored series row, sorted by ``run_id`` and ``quarter``."""
        frame = self._read(self.series_dir, self.schema("series"), columns)
        keys = [k for k in ("run_id", "quarter") if k in frame.columns]
        return frame.sort_values(keys, kind="stable").reset_index(drop=True)

    def read_failures(self) -> pd.DataFrame:
        """Every recorded failure, sorted by ``run_id``."""
        schema = self.schema("failures")
        paths = list(self._parts(self.failures_dir))
        if (self.root / FAILURES).is_file():
            paths.append(self.root / FAILURES)
        tables = [pq.read_table(p) for p in paths]
        frame = (pa.concat_tables(tables) if tables else schema.empty_table()).to_pandas()
        return frame.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)

    def find_run(self, run_id: int) -> dict[str, Any] | None:
        """The stored row of ``run_id``, or ``None``."""
        return self._find(list(self._parts(self.runs_dir)), run_id)

    def find_failure(self, run_id: int) -> dict[str, Any] | None:
        """The recorded failure of ``run_id``, or ``None``."""
        paths = list(self._parts(self.failures_dir))
        if (self.root / FAILURES).is_file():
            paths.append(self.root / FAILURES)
        return self._find(paths, run_id)

    @staticmethod
    def _find(paths: list[Path], run_id: int) -> dict[str, Any] | None:
        for p in paths:
            table = pq.read_table(p, filters=[("run_id", "==", run_id)])
            if table.num_rows:
                row: dict[str, Any] = table.to_pylist()[0]
                return row
        return None

    def read_design(self) -> pd.DataFrame:
        """The design points (``point_id``, swept values, raw sample coordinates)."""
        return pq.read_table(self.root / DESIGN).to_pandas()

    def _read(self, d: Path, schema: pa.Schema, columns: list[str] | None) -> pd.DataFrame:
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        tables = [pq.read_table(p, columns=columns) for p in self._parts(d)]
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        frame = table.to_pandas()
        if "run_id" in frame.columns:
            frame = frame.sort_values("run_id", kind="stable")
        return frame.reset_index(drop=True)

    @staticmethod
    def _parts(d: Path) -> Iterator[Path]:
        if d.is_dir():
            yield from sorted(d.glob("part-*.parquet"))

    @staticmethod
    def _ids(paths: Iterable[Path]) -> set[int]:
        ids: set[int] = set()
        for p in paths:
            ids.update(pq.read_table(p, columns=["run_id"]).column(0).to_pylist())
        return ids


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}{k}.")
    else:
        yield prefix.rstrip("."), data


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
