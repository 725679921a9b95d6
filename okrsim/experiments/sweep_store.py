"""A sweep on disk: manifest, design, Parquet parts and failures; resumable.

Layout of a sweep directory ``DIR``::

    manifest.json          the experiment as loaded, its design hash, versions, the
                           environments its runs were computed in, status
    design.parquet         one row per design point (point_id, swept values, raw sample)
    runs/part-*.parquet    one tidy row per completed run
    series/part-*.parquet  one row per run and quarter (if outcomes.series)
    failures.parquet       one row per failed run: ids, parameters, error, traceback
    failures/part-*.parquet  failures while a session runs, gathered into
                           failures.parquet when it ends (or is interrupted)
    quarantine/            parts that could not be read, moved aside

Every part is written to a hidden temporary name, flushed to disk and then
renamed (``os.replace``), so a reader — or a resumed sweep — never sees half
a file, and readers that glob ``runs/*.parquet`` (pandas, DuckDB, polars, R's
arrow) never see the temporary ones.  A run counts as done once its row is
in a ``runs`` part or its failure is recorded; a chunk's series and failure
parts are written before its runs part, and series parts without a matching
runs part are discarded on resume, so an interrupted sweep resumed gives
exactly the rows of an uninterrupted one.

The driver writes each chunk as it arrives and keeps only the chunks in
flight, so its memory does not grow with the number of runs.  When every
run has landed, the parts are compacted into a few files
(:meth:`Store.compact`), crash-safely.

Damage is survived, not trusted: a part that cannot be read (truncated,
emptied, overwritten) is skipped by readers with a :class:`StoreWarning` and,
by a resumed sweep, moved to ``quarantine/`` so that its runs are run again;
a run stored twice counts once; a lost ``design.parquet`` is planned again
from the manifest's experiment.

Every chunk says where it was computed (:func:`okrsim.provenance.environment`):
the manifest lists each environment its runs came from, and a chunk from an
environment unlike the first — other package versions, or a machine whose
numerics differ, as on a mixed cluster or a sweep resumed elsewhere — is
stored with a :class:`StoreWarning` that says what differs: its rows are
valid runs, but not the bits the first environment would give — unless
okrsim's own code differs (``okrsim source``, :mod:`okrsim.provenance`): they
are then runs of another model, and the warning says so.  A sweep is not
resumed with other okrsim code than it began with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from okrsim import provenance
from okrsim.data_dictionary import annotate
from okrsim.experiments.executors import ChunkResult
from okrsim.experiments.plan import Plan, canonical_json
from okrsim.params import ScenarioError
from okrsim.run_store import holds_one_run, is_run_manifest

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
FAILURES = "failures.parquet"
LOCK = ".lock"
#: Written when a compaction's merged parts are complete: its commit point.
COMPACTING = "compacting.json"
#: Where parts that cannot be read are moved, under their directory's name.
QUARANTINE = "quarantine"
#: Runs per file after compaction (about 40 MB of rows with 20 outcomes).
ROWS_PER_FILE = 250_000
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


class StoreWarning(UserWarning):
    """Damage found in a sweep directory, and what was done about it."""


class Store:
    """Reads and writes one sweep directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.series_dir = self.root / "series"
        self.failures_dir = self.root / "failures"
        self._manifest: dict[str, Any] | None = None
        #: True while this process holds :meth:`lock`: only then are damaged parts moved.
        self._writer = False
        self._warned: set[Path] = set()
        self._vanished = False

    # -- opening ----------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path) -> Store:
        """An existing sweep, for reading (``analyze``, ``rerun``).

        Raises
        ------
        ScenarioError
            If ``root`` holds no sweep, or its manifest is damaged.
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
            As :meth:`check` does.
        """
        if self.check(plan, resume=resume):
            self.discard_incomplete()
            self._repair_design(plan)
        else:
            self.create(plan)

    def check(self, plan: Plan, *, resume: bool) -> bool:
        """Whether ``plan`` resumes the sweep here (true) or starts a new one; writes nothing.

        What :meth:`prepare` refuses, this refuses too, so that a dry run
        says what the sweep would say.

        Raises
        ------
        ScenarioError
            If the directory already holds a sweep and ``resume`` is false; if
            it holds a sweep of a different experiment (the design hash
            differs); or if it is a non-empty directory that holds no sweep.
        """
        exists = (self.root / MANIFEST).is_file()
        self._refuse_run_output()
        if exists and not resume:
            raise ScenarioError(
                f"{self.root}: already holds a sweep; pass --resume to continue it, "
                "or choose another output directory"
            )
        if exists:
            self.check_matches(plan)
            return True
        if self.root.exists() and any(p.name != LOCK for p in self.root.iterdir()):
            raise ScenarioError(
                f"{self.root}: exists and is not empty, but holds no sweep ({MANIFEST}); "
                "choose another output directory"
            )
        return False

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
            "versions": provenance.versions(),
            "computed_on": [],
            "created": _now(),
            "status": {"state": "running"},
        }
        self.write_manifest(manifest)

    def _write_design(self, plan: Plan) -> None:
        self._write_atomic(self._design_table(plan), self.root / DESIGN)

    def _repair_design(self, plan: Plan) -> None:
        """Rewrite ``design.parquet`` from ``plan`` if it is missing, unreadable or altered."""
        path = self.root / DESIGN
        try:
            same = pq.read_table(path).equals(self._design_table(plan))
            problem = None if same else "differs from the experiment's design"
        except (OSError, pa.ArrowException) as exc:
            problem = _design_damage(path, exc)
        if problem is not None:
            self._write_design(plan)
            warnings.warn(
                f"{path}: {problem}; rewrote it from the experiment", StoreWarning, stacklevel=3
            )

    @staticmethod
    def _design_table(plan: Plan) -> pa.Table:
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
        return pa.table(columns, schema=pa.schema(fields))

    # -- manifest -----------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``, checked to hold what the store and its readers use.

        Raises
        ------
        ScenarioError
            If it cannot be read, is not JSON, or lacks a key (named dotted).
        """
        if self._manifest is None:
            path = self.root / MANIFEST
            try:
                manifest = json.loads(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise ScenarioError(f"{path}: unreadable manifest: {_why(exc)}") from None
            if is_run_manifest(manifest):
                raise ScenarioError(
                    f"{self.root}: holds the output of okrsim run, not a sweep; "
                    "give a directory okrsim sweep wrote"
                )
            problem = _manifest_problem(manifest)
            if problem:
                raise ScenarioError(f"{path}: {problem}; the sweep directory is damaged")
            self._manifest = manifest
        return self._manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        self._replace_bytes(self.root / MANIFEST, text.encode())
        self._manifest = manifest

    @property
    def state(self) -> str:
        """The sweep's state: ``complete``, ``partial``, ``interrupted`` or ``running``.

        A driver killed outright (SIGKILL, a lost node) cannot update the
        manifest, which then still says "running"; but the kernel released
        its lock, so a "running" sweep that nobody holds locked is reported
        as "interrupted".
        """
        state = str(self.manifest.get("status", {}).get("state", "unknown"))
        if state != "running":
            return state
        try:
            with (self.root / LOCK).open("rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
        except BlockingIOError:
            return "running"
        except OSError:
            pass
        return "interrupted"

    def update_status(self, **status: Any) -> None:
        manifest = dict(self.manifest)
        manifest["status"] = {**manifest.get("status", {}), **status, "updated": _now()}
        self.write_manifest(manifest)

    def check_matches(self, plan: Plan) -> None:
        """Refuse to resume a sweep of a different experiment, or with other okrsim code.

        Raises
        ------
        ResumeMismatch
            Naming the directory and which parts of the experiment differ, or
            the code it began with and the code here (a sweep begun before the
            code was recorded is resumed).
        """
        self._check_source()
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
        raise ResumeMismatch(
            self.root,
            f"it holds a sweep of a different experiment "
            f"(design hash {str(old)[:12]} ≠ {plan.design_hash[:12]}; changed: {what})",
            f"Resume with the experiment file it was made from "
            f"({self.manifest.get('experiment_file')}), or sweep into a new directory",
            changed=changed,
            manifest=self.manifest,
        )

    def _check_source(self) -> None:
        began, here = provenance.source_of(self.manifest), provenance.versions()[provenance.SOURCE]
        if began is None or began == here:
            return
        raise ResumeMismatch(
            self.root,
            f"its runs were computed by other okrsim code "
            f"({provenance.SOURCE} {began} ≠ {here} here), and runs of two models do not mix",
            "Resume it with the okrsim it began with, or sweep into a new directory",
            changed=[],
            manifest=self.manifest,
        )

    # -- writing ------------------------------------------------------------
    def schema(self, table: str) -> pa.Schema:
        return _schema_from_json(self.manifest["columns"][table])

    def write_chunk(self, result: ChunkResult) -> None:
        """Store a chunk: series part, failures part, then the runs part that completes it."""
        ids = [r["run_id"] for r in result.rows] + [f["run_id"] for f in result.failures]
        if not ids:
            return
        if result.environment:
            self.note_environment(result.environment)
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

    def note_environment(self, environment: dict[str, Any]) -> None:
        """Record where a chunk was computed; warn if unlike where the first one was (module
        docstring).  A sweep begun before environments were recorded starts its list here."""
        seen: list[dict[str, Any]] = list(self.manifest.get("computed_on", []))
        if any(canonical_json(e) == canonical_json(environment) for e in seen):
            return
        if seen:
            changed = "; ".join(provenance.differences(seen[0], environment))
            began, now = provenance.source_of(seen[0]), provenance.source_of(environment)
            meaning = (
                "they are runs of another model: give every worker the okrsim this sweep "
                "began with and rerun them into a new directory"
                if began and now and began != now
                else "they are valid runs but not the bits the first environment would give"
            )
            warnings.warn(
                f"{self.root}: runs are now computed in another environment than its first "
                f"runs ({changed}); {meaning} (docs/cluster.md)",
                StoreWarning,
                stacklevel=3,
            )
        self.write_manifest({**self.manifest, "computed_on": [*seen, environment]})

    def _write_atomic(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` under a temporary name, then rename; every field described."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        table = annotate(table, self._dictionary_key(path))
        with tmp.open("wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _described_schema(self, directory: Path) -> pa.Schema:
        """A parts directory's schema with every field's data-dictionary entry."""
        empty = self.schema(directory.name).empty_table()
        return annotate(empty, self._dictionary_key(directory / "part.parquet")).schema

    def _dictionary_key(self, path: Path) -> str:
        """The data dictionary's key for a store file (``sweep/runs/*.parquet``, …)."""
        if path.parent == self.root:
            return f"sweep/{path.name}"
        return f"sweep/{path.parent.name}/*.parquet"

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
        killed driver never leaves a stale lock behind.  Only the holder of
        the lock moves damaged parts aside (:meth:`_damaged`); readers skip
        them.
        """
        self._refuse_run_output()  # before the lock file is left in it
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    f"{self.root}: another sweep is writing to this directory"
                ) from None
            self._writer = True
            try:
                yield
            finally:
                self._writer = False
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _refuse_run_output(self) -> None:
        """Refuse to sweep into the directory of ``okrsim run`` (it has a manifest too)."""
        if holds_one_run(self.root):
            raise ScenarioError(
                f"{self.root}: holds the output of okrsim run, not a sweep; "
                "choose another output directory"
            )

    def discard_incomplete(self) -> None:
        """Repair the directory before a session adds to it.

        Finishes or rolls back an interrupted compaction, removes temporary
        files, quarantines unreadable parts (a damaged series part takes its
        runs part with it, so those runs are run again), and removes series
        parts whose runs part never landed.
        """
        self._finish_compaction()
        for d in (self.runs_dir, self.series_dir, self.failures_dir, self.root):
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        # Read every runs part whole: damage past a valid footer only shows so.
        for _ in self._tables(self.runs_dir, "runs"):
            pass
        if self.series_dir.is_dir():
            landed = {p.name for p in self._parts(self.runs_dir)}
            for part in self._parts(self.series_dir):
                if part.name not in landed:
                    part.unlink()
                elif self._load(part, "series") is None and (self.runs_dir / part.name).is_file():
                    self._damaged(self.runs_dir / part.name, "its series part is damaged")

    def completed_ids(self) -> set[int]:
        """Run ids with a stored row."""
        return self._ids(self._tables(self.runs_dir, "runs", ["run_id"]))

    def failed_ids(self) -> set[int]:
        """Run ids with a recorded failure."""
        return self._ids(self._failure_tables(["run_id"]))

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
        frame = self._frame([t for _, t in self._failure_tables()], schema, "failures")
        if exclude:
            frame = frame[~frame["run_id"].isin(exclude)]
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        self._write_atomic(table, self.root / FAILURES)
        for p in paths:
            p.unlink(missing_ok=True)
        # The parts' directory is recreated by the next chunk that fails.
        with contextlib.suppress(OSError):
            self.failures_dir.rmdir()
        return table.num_rows

    # -- compaction ---------------------------------------------------------
    def compact(self, rows_per_file: int = ROWS_PER_FILE) -> int:
        """Merge the ``runs`` (and ``series``) parts into files of ``rows_per_file`` runs.

        A sweep writes one part per chunk (hundreds for a long sweep);
        readers then open one file per part.  The merged parts are written
        to ``runs.compacted/`` (and ``series.compacted/``) beside the
        originals, then :data:`COMPACTING` is written — the commit point —
        and each directory is swapped in with two renames.  A crash before
        the commit point leaves the originals (the staging directories are
        removed on the next resume); a crash after it is completed on the
        next resume.  Either way no row is lost or doubled, and series parts
        keep the names of their runs parts, as resume expects.

        Call it holding :meth:`lock`.  Returns the number of runs files.
        """
        self._finish_compaction()
        parts = list(self._parts(self.runs_dir))
        if len(parts) <= 1:
            return len(parts)
        staged = {d: _staging(d) for d in (self.runs_dir, self.series_dir) if d.is_dir()}
        for new in staged.values():
            shutil.rmtree(new, ignore_errors=True)
            new.mkdir()
        seen: set[int] = set()
        files: list[str] = []
        writers: dict[Path, pq.ParquetWriter] = {}
        rows = 0
        try:
            for part, runs in self._tables(self.runs_dir, "runs"):
                fresh = [run_id not in seen for run_id in runs["run_id"].to_pylist()]
                runs = runs.filter(pa.array(fresh, pa.bool_()))
                if not runs.num_rows:
                    continue
                ids = runs["run_id"]
                seen.update(ids.to_pylist())
                if not writers or rows >= rows_per_file:
                    _close(writers)
                    name = f"part-{pc.min(ids).as_py():09d}-c{secrets.token_hex(4)}.parquet"
                    files.append(name)
                    writers = {
                        d: pq.ParquetWriter(new / name, self._described_schema(d))
                        for d, new in staged.items()
                    }
                    rows = 0
                writers[self.runs_dir].write_table(runs)
                rows += runs.num_rows
                if self.series_dir in writers:
                    series = self._load(self.series_dir / part.name, "series")
                    if series is not None:
                        series = series.filter(pc.is_in(series["run_id"], ids))
                        writers[self.series_dir].write_table(series)
            _close(writers)
            for new in staged.values():
                for path in new.iterdir():
                    with path.open("rb") as fh:
                        os.fsync(fh.fileno())
                _sync_dir(new)
        except BaseException:
            _close(writers)
            for new in staged.values():
                shutil.rmtree(new, ignore_errors=True)
            raise
        self._replace_bytes(self.root / COMPACTING, json.dumps({"parts": files}).encode())
        _sync_dir(self.root)  # the commit point is on disk before any rename
        self._finish_compaction()
        return len(files)

    def _finish_compaction(self) -> None:
        """Swap in committed compacted directories, or drop uncommitted ones."""
        committed = (self.root / COMPACTING).is_file()
        for d in (self.runs_dir, self.series_dir):
            new, old = _staging(d), d.with_name(f"{d.name}.replaced")
            if committed and new.is_dir():
                if d.is_dir():
                    os.replace(d, old)
                os.replace(new, d)
            elif not committed:
                shutil.rmtree(new, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        _sync_dir(self.root)
        (self.root / COMPACTING).unlink(missing_ok=True)

    # -- reading ------------------------------------------------------------
    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored run row, sorted by ``run_id``, one per run id."""
        return self._read(self.runs_dir, "runs", columns)

    def read_series(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every stored series row, sorted by ``run_id`` and ``quarter``."""
        frame = self._read(self.series_dir, "series", columns)
        keys = [k for k in ("run_id", "quarter") if k in frame.columns]
        return frame.sort_values(keys, kind="stable").reset_index(drop=True)

    def read_failures(self) -> pd.DataFrame:
        """Every recorded failure, sorted by ``run_id``."""
        tables = [t for _, t in self._failure_tables()]
        return self._frame(tables, self.schema("failures"), "failures").reset_index(drop=True)

    def find_run(self, run_id: int) -> dict[str, Any] | None:
        """The stored row of ``run_id``, or ``None``."""
        return self._find(self._tables(self.runs_dir, "runs"), run_id)

    def find_failure(self, run_id: int) -> dict[str, Any] | None:
        """The recorded failure of ``run_id``, or ``None``."""
        return self._find(self._failure_tables(), run_id)

    @staticmethod
    def _find(tables: Iterable[tuple[Path, pa.Table]], run_id: int) -> dict[str, Any] | None:
        for _, table in tables:
            match = table.filter(pc.equal(table["run_id"], run_id))
            if match.num_rows:
                row: dict[str, Any] = match.to_pylist()[0]
                return row
        return None

    def read_design(self) -> pd.DataFrame:
        """The design points (``point_id``, swept values, raw sample coordinates).

        A missing or unreadable ``design.parquet`` is rebuilt from the
        experiment recorded in the manifest (see :meth:`rebuild_design`).
        """
        path = self.root / DESIGN
        try:
            frame = pq.read_table(path).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            return self.rebuild_design(_design_damage(path, exc)).to_pandas()
        plan = self.manifest["plan"]
        keys = {"point_id", *(str(a.get("key")) for a in plan["axes"] if isinstance(a, dict))}
        if not keys <= set(frame.columns) or len(frame) != self.manifest.get("n_points"):
            return self.rebuild_design("does not hold the sweep's design points").to_pandas()
        return frame

    def rebuild_design(self, reason: str) -> pa.Table:
        """``design.parquet`` rebuilt from the manifest's experiment, and written back if locked.

        The design is a function of the experiment, so it is planned again
        and accepted only if its design hash is the manifest's.

        Raises
        ------
        ScenarioError
            If the experiment cannot be planned again here (a base scenario or
            table file it names has moved) or plans a different design.
        """
        from okrsim.experiments.plan import plan_experiment
        from okrsim.experiments.spec import experiment_from_mapping

        manifest = self.manifest
        path = self.root / DESIGN
        source = str(manifest.get("experiment_file") or self.root / MANIFEST)
        try:
            experiment = experiment_from_mapping(
                manifest["experiment"], source=source, root=Path(source).parent
            )
            plan = plan_experiment(
                experiment,
                runner=manifest["plan"]["runner"],
                runner_args=manifest["plan"].get("runner_args"),
            )
        except (ScenarioError, KeyError, TypeError, OSError) as exc:
            raise ScenarioError(
                f"{path}: {reason} and cannot be rebuilt from the manifest's experiment "
                f"({_why(exc)}); restore it, or run the sweep again into a new directory"
            ) from None
        if plan.design_hash != manifest.get("design_hash"):
            raise ScenarioError(
                f"{path}: {reason} and cannot be rebuilt: the manifest's experiment now plans "
                f"a different design (hash {plan.design_hash[:12]} ≠ "
                f"{str(manifest.get('design_hash'))[:12]}); restore it, or run the sweep "
                "again into a new directory"
            )
        table = self._design_table(plan)
        action = "rebuilt it"
        if self._writer:
            self._write_atomic(table, path)
            action = "rebuilt and rewrote it"
        warnings.warn(
            f"{path}: {reason}; {action} from the manifest's experiment", StoreWarning, stacklevel=2
        )
        return table

    def _read(self, d: Path, kind: str, columns: list[str] | None) -> pd.DataFrame:
        schema = self.schema(kind)
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        # A part listed just before a compaction swapped the directory is gone
        # when read; read the directory again rather than miss its rows.
        for _ in range(3):
            self._vanished = False
            tables = [t for _, t in self._tables(d, kind, columns)]
            if not self._vanished:
                break
        return self._frame(tables, schema, kind).reset_index(drop=True)

    def _frame(self, tables: list[pa.Table], schema: pa.Schema, kind: str) -> pd.DataFrame:
        """Tables concatenated, one row per run (per quarter for series), sorted by run id."""
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        frame = table.to_pandas()
        if "run_id" not in frame.columns:
            return frame
        key = ["run_id", "quarter"] if kind == "series" and "quarter" in frame else ["run_id"]
        frame = frame.sort_values("run_id", kind="stable")
        doubled = frame.duplicated(key)
        # A failure may be recorded in a part and in failures.parquet (a
        # session interrupted while gathering them): expected, so silent.
        if doubled.any() and kind != "failures":
            runs = frame.loc[doubled, "run_id"].unique()
            shown = ", ".join(map(str, runs[:10])) + (" …" if len(runs) > 10 else "")
            warnings.warn(
                f"{self.root}: {kind}: {int(doubled.sum())} duplicate rows of {len(runs)} "
                f"run ids ({shown}) ignored; each run id counts once",
                StoreWarning,
                stacklevel=3,
            )
        return frame[~doubled]

    def _failure_tables(self, columns: list[str] | None = None) -> Iterator[tuple[Path, pa.Table]]:
        if (self.root / FAILURES).is_file():
            table = self._load(self.root / FAILURES, "failures", columns)
            if table is not None:
                yield self.root / FAILURES, table
        yield from self._tables(self.failures_dir, "failures", columns)

    def _tables(
        self, d: Path, kind: str, columns: list[str] | None = None
    ) -> Iterator[tuple[Path, pa.Table]]:
        """Each readable part of ``d`` with its table; damaged parts are set aside."""
        if not d.is_dir() and (self.root / COMPACTING).is_file():
            d = _staging(d)  # a compaction is between its two renames
        for part in self._parts(d):
            table = self._load(part, kind, columns)
            if table is not None:
                yield part, table

    def _load(self, path: Path, kind: str, columns: list[str] | None = None) -> pa.Table | None:
        """``path`` read as a ``kind`` table; ``None`` (see :meth:`_damaged`) if it cannot be."""
        expected = self.schema(kind)
        if columns is not None:
            expected = pa.schema([expected.field(c) for c in columns])
        try:
            table = pq.read_table(path, columns=columns)
        except FileNotFoundError:
            self._vanished = True  # moved by a compaction or quarantine since it was listed
            return None
        except (OSError, pa.ArrowException) as exc:
            self._damaged(path, _why(exc).replace(f" '{path}'", ""))
            return None
        # Same column names, and types that convert safely (a part rewritten
        # by pandas stores strings as large_string).
        if table.schema.names == expected.names:
            with contextlib.suppress(pa.ArrowException):
                return table.cast(expected)
        got = ", ".join(f"{f.name}: {f.type}" for f in list(table.schema)[:6])
        more = " …" if len(table.schema) > 6 else ""
        self._damaged(path, f"holds other columns ({got}{more}) than a {kind} part")
        return None

    def _damaged(self, path: Path, reason: str) -> None:
        """Warn about a part that cannot be read; move it to ``quarantine/`` if locked.

        Quarantined parts are kept (for inspection), out of every reader's
        way; the runs they held are missing, so resume runs them again.
        """
        if path in self._warned:
            return
        self._warned.add(path)
        if not self._writer:
            warnings.warn(
                f"{path}: skipped, cannot be read: {reason}; `okrsim sweep --resume` moves it "
                "aside and runs its runs again",
                StoreWarning,
                stacklevel=4,
            )
            return
        where = self.root / QUARANTINE / path.parent.relative_to(self.root)
        if path.parent == self.root:
            where = self.root / QUARANTINE
        where.mkdir(parents=True, exist_ok=True)
        target = where / path.name
        if target.exists():
            target = where / f"{path.stem}-{secrets.token_hex(4)}{path.suffix}"
        os.replace(path, target)
        warnings.warn(
            f"{path}: cannot be read: {reason}; moved to {target}, its runs will be run again",
            StoreWarning,
            stacklevel=4,
        )

    @staticmethod
    def _parts(d: Path) -> Iterator[Path]:
        if d.is_dir():
            yield from sorted(d.glob("part-*.parquet"))

    @staticmethod
    def _ids(tables: Iterable[tuple[Path, pa.Table]]) -> set[int]:
        ids: set[int] = set()
        for _, table in tables:
            ids.update(table["run_id"].to_pylist())
        return ids


def _close(writers: dict[Path, pq.ParquetWriter]) -> None:
    for writer in writers.values():
        writer.close()
    writers.clear()


class ResumeMismatch(ScenarioError):
    """A sweep refused to resume: its directory holds another experiment, or other code's runs.

    The message is ``<root>: cannot resume: <reason>. <advice>``.  ``changed``
    names what of the experiment differs (plan keys, ``base scenario <key>``;
    empty when the code does) and ``manifest`` is the stored sweep's, so that a
    command which writes the experiment itself (``okrsim validate``) can keep
    the reason and give advice in its own flags.
    """

    def __init__(
        self,
        root: Path,
        reason: str,
        advice: str,
        *,
        changed: list[str],
        manifest: dict[str, Any],
    ) -> None:
        super().__init__(f"{root}: cannot resume: {reason}. {advice}")
        self.reason = reason
        self.changed = changed
        self.manifest = manifest


def _manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a manifest's shape (``None`` if nothing)."""
    if not isinstance(manifest, dict):
        return "expected a JSON object"
    needed: dict[str, type] = {
        "design_hash": str,
        "n_runs": int,
        "plan": dict,
        "plan.name": str,
        "plan.design": str,
        "plan.axes": list,
        "plan.metrics": list,
        "plan.statistic": str,
        "plan.replications": int,
        "plan.seed": int,
        "plan.crn": bool,
        "plan.runner": str,
        "plan.base_scenario": dict,
        "columns": dict,
        "columns.runs": list,
        "columns.series": list,
        "columns.failures": list,
    }
    for dotted, kind in needed.items():
        value: Any = manifest
        for key in dotted.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            return f"{dotted}: expected {kind.__name__}, found {type(value).__name__}"
    for i, axis in enumerate(manifest["plan"]["axes"]):
        if not (isinstance(axis, dict) and isinstance(axis.get("key"), str) and "kind" in axis):
            return f"plan.axes[{i}]: expected an axis with a key and a kind"
    try:
        for table in ("runs", "series", "failures"):
            _schema_from_json(manifest["columns"][table])
    except (KeyError, TypeError, ValueError) as exc:
        return f"columns: not a list of [name, type] pairs ({_why(exc)})"
    return None


def _staging(d: Path) -> Path:
    """Where a compaction writes the merged parts of directory ``d``."""
    return d.with_name(f"{d.name}.compacted")


def _sync_dir(d: Path) -> None:
    """Flush a directory's entries (renames, new files) to disk."""
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _design_damage(path: Path, exc: BaseException) -> str:
    """Why ``design.parquet`` could not be read, as a predicate for messages."""
    return "is missing" if not path.exists() else f"is unreadable ({_why(exc)})"


def _why(exc: BaseException) -> str:
    """An exception as one short line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}{k}.")
    else:
        yield prefix.rstrip("."), data


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
