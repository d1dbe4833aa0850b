"""Run folders on disk: layout, Parquet tables and the manifest.

A run folder holds one hive-partitioned Parquet dataset per table and a manifest::

    <run>/manifest.json
    <run>/metrics/scenario=<name>/seed=<k>/part-0.parquet     monthly metrics
    <run>/groups/scenario=<name>/seed=<k>/part-0.parquet      monthly outcomes by group
    <run>/students/scenario=<name>/seed=<k>/part-0.parquet    end-of-run snapshots (--agents)
    <run>/employers/scenario=<name>/seed=<k>/part-0.parquet

Each table folder reads as one table in pyarrow (``pyarrow.dataset.dataset(path,
partitioning="hive")``), pandas (``read_parquet(path)``), polars
(``scan_parquet(f"{path}/**/*.parquet", hive_partitioning=True)``) and DuckDB
(``read_parquet('<path>/*/*/*.parquet', hive_partitioning=true)``). The manifest sits beside the
tables, not inside them, because pyarrow would try to read it as Parquet.

The ``scenario`` and ``seed`` columns exist only in the partition path, never inside the files.
Each file carries its provenance as Parquet key-value metadata (:data:`META_SCENARIO`,
:data:`META_HASH`, :data:`META_SEED` and the ``*.version`` keys of :func:`versions`).

Every file is written under a temporary name in its final folder and renamed into place when
complete (:func:`atomic_path`), so a process killed at any moment leaves either the previous file,
the new complete file, or nothing: never a truncated one. Temporary names start with a dot and do
not end in ``.parquet``, so no reader above ever picks one up.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

TABLES: tuple[str, ...] = ("metrics", "groups", "students", "employers")
MANIFEST = "manifest.json"
PART = "part-0.parquet"
"""File name of the one file in each ``scenario=<name>/seed=<k>`` partition."""

LOCK = ".lock"
TMP_SUFFIX = ".tmp"
ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group: large snapshots are written (and read back) in pieces."""

META_SCENARIO = "hiresim.scenario"
META_HASH = "hiresim.scenario_hash"
META_SEED = "hiresim.seed"
META_VERSION = "hiresim.version"
"""Key of the hiresim version that wrote a file (one of :func:`versions`)."""

_PARTITION_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+\-]*$")

log = logging.getLogger(__name__)


class AnalysisError(ValueError):
    """A run folder that cannot be analysed as asked (no metrics yet, no groups table, seeds that
    differ, an unknown metric or window); the message says what to do. The analysis modules
    raise it too (:class:`sim.analysis.compare.CompareError` is this class)."""


class DamagedRunError(ValueError):
    """A file of a run folder cannot be read; the message names it and says what to do.

    Attributes:
        path: The damaged file (or the table folder when no single file is to blame).
        problem: What is wrong with it.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path} is damaged ({problem}). Run the same `hiresim run` command again (the "
            "run's manifest.json records it as command_line): it re-runs damaged tasks."
        )


def table_dir(run_dir: Path | str, table: str = "metrics") -> Path:
    """The folder of one table of a run."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    return Path(run_dir) / table


def read_table(run_dir: Path | str, table: str = "metrics") -> pa.Table:
    """Read one table of a run as a single Arrow table with ``scenario`` and ``seed`` columns.

    Args:
        run_dir: The run folder.
        table: One of :data:`TABLES`.

    Returns:
        The table, sorted by scenario, seed (and month where present).

    Raises:
        FileNotFoundError: When the run has no such table.
        DamagedRunError: When a file of the table cannot be read.
    """
    path = table_dir(run_dir, table)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist: is {run_dir} a hiresim run folder?")
    try:
        result = ds.dataset(
            path,
            format="parquet",
            partitioning=ds.partitioning(
                pa.schema([("scenario", pa.string()), ("seed", pa.int64())]), flavor="hive"
            ),
        ).to_table()
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(run_dir, table, exc) from None
    keys = [("scenario", "ascending"), ("seed", "ascending")]
    if "month" in result.column_names:
        keys.append(("month", "ascending"))
    return result.sort_by(keys)


def _damaged(run_dir: Path | str, table: str, exc: Exception) -> DamagedRunError:
    """The error for a table that failed to read: names the first file that fails alone."""
    for part in sorted(scan_parts(run_dir, table).values()):
        try:
            pq.ParquetFile(part).read()
        except (pa.ArrowException, OSError) as part_exc:
            return DamagedRunError(part, _reason(part_exc))
    return DamagedRunError(table_dir(run_dir, table), _reason(exc))


def _reason(exc: Exception) -> str:
    """An Arrow error as a short reason: its first sentence, without the path it names."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"^Could not open Parquet input source '[^']*': ", "", text)
    return f"not a readable Parquet file: {text.split('. ')[0].rstrip('.')}"


def read_manifest(run_dir: Path | str) -> dict[str, Any]:
    """The run's manifest as a dict (empty when there is none yet).

    A manifest that is not a JSON object (truncated, say) is treated as missing, with a logged
    warning: everything in it but the history can be rebuilt from the files, and the next
    ``hiresim run`` into the folder rewrites it.
    """
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        manifest, reason = None, str(exc)
    else:
        reason = f"a JSON {type(manifest).__name__} instead of an object"
    if not isinstance(manifest, dict):
        log.warning(
            "warning: %s is damaged (%s); reading the run from its Parquet files instead. The "
            "next `hiresim run` into this folder rewrites it.",
            path,
            reason,
        )
        return {}
    return manifest


# ==================================================================== write side


def versions() -> dict[str, str]:
    """Versions of hiresim and the libraries that shape its results, by ``<name>.version`` key."""

    def dist(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    from sim import __version__

    return {
        META_VERSION: __version__,
        "mesa.version": dist("mesa"),
        "numpy.version": dist("numpy"),
        "pyarrow.version": pa.__version__,
        "python.version": platform.python_version(),
    }


def check_partition_value(value: str) -> None:
    """Raise ValueError unless ``value`` can be a partition folder name as it is.

    Hive readers percent-decode partition values and some treat ``/``, ``=`` or a leading dot
    specially, so names are kept to letters, digits and ``_ . + -``.
    """
    if not _PARTITION_VALUE.match(value):
        raise ValueError(
            f"scenario name {value!r} cannot name a partition folder: use letters, digits and "
            "'_ . + -', starting with a letter or digit"
        )


def part_path(run_dir: Path | str, table: str, scenario: str, seed: int) -> Path:
    """Where one (scenario, seed) task's file of ``table`` lives."""
    check_partition_value(scenario)
    return table_dir(run_dir, table) / f"scenario={scenario}" / f"seed={int(seed)}" / PART


def file_metadata(scenario: Mapping[str, Any], scenario_hash: str, seed: int) -> dict[str, str]:
    """The key-value metadata every Parquet file of a task carries.

    Args:
        scenario: The resolved scenario as ``Scenario.to_dict()``.
        scenario_hash: ``Scenario.hash``.
        seed: The task's seed.
    """
    return {
        META_SCENARIO: json.dumps(scenario, sort_keys=True),
        META_HASH: scenario_hash,
        META_SEED: str(int(seed)),
        **versions(),
    }


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    The file is flushed to disk before the rename, so after the rename ``path`` is complete even
    through a power cut. When the block raises (or the process is interrupted) the temporary file
    is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_part(
    path: Path | str,
    data: pa.Table | pa.RecordBatchReader | Iterable[pa.RecordBatch],
    metadata: Mapping[str, str],
    *,
    schema: pa.Schema | None = None,
    row_group_rows: int | None = None,
) -> None:
    """Write one Parquet file atomically, batch by batch, with key-value metadata.

    Args:
        path: Final file path.
        data: The rows: a table, a record-batch reader (streamed without materialising it) or
            record batches (then ``schema`` is required).
        metadata: Key-value metadata for the file (:func:`file_metadata`).
        schema: Schema of ``data`` when it is a plain iterable of batches.
        row_group_rows: Rows per row group (default :data:`ROW_GROUP_ROWS`).
    """
    row_group_rows = row_group_rows or ROW_GROUP_ROWS
    if isinstance(data, pa.Table):
        schema, batches = data.schema, data.to_batches(max_chunksize=row_group_rows)
    elif isinstance(data, pa.RecordBatchReader):
        schema, batches = data.schema, data
    elif schema is None:
        raise ValueError("schema is required when data is an iterable of record batches")
    else:
        batches = data
    schema = schema.with_metadata({**(schema.metadata or {}), **metadata})
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(batch, row_group_size=row_group_rows)


def read_part_metadata(path: Path | str) -> dict[str, str]:
    """The key-value metadata of one Parquet file (without Arrow's own schema key).

    Raises:
        DamagedRunError: When the file cannot be read.
    """
    try:
        raw = pq.read_metadata(path).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise DamagedRunError(Path(path), _reason(exc)) from None
    return {k.decode(): v.decode(errors="replace") for k, v in raw.items() if k != b"ARROW:schema"}


def read_parts(
    run_dir: Path | str, scenario: str, seeds: Iterable[int], table: str = "metrics"
) -> pa.Table:
    """One scenario's files of ``table`` for ``seeds``, as one table with a ``seed`` column.

    Reads only those files (not the whole table), in the order of ``seeds``.

    Raises:
        DamagedRunError: When a file is missing or cannot be read.
    """
    parts = []
    for seed in seeds:
        path = part_path(run_dir, table, scenario, seed)
        try:
            part = pq.ParquetFile(path).read()
        except (pa.ArrowException, OSError) as exc:
            raise DamagedRunError(path, _reason(exc)) from None
        parts.append(part.append_column("seed", pa.array([int(seed)] * part.num_rows, pa.int64())))
    return pa.concat_tables(parts)


def scan_parts(run_dir: Path | str, table: str = "metrics") -> dict[tuple[str, int], Path]:
    """The complete files of one table, by (scenario, seed), as found on disk."""
    found: dict[tuple[str, int], Path] = {}
    for path in table_dir(run_dir, table).glob(f"scenario=*/seed=*/{PART}"):
        scenario = path.parent.parent.name.split("=", 1)[1]
        seed = path.parent.name.split("=", 1)[1]
        with contextlib.suppress(ValueError):
            found[(scenario, int(seed))] = path
    return found


def unwritable(folder: Path | str) -> str | None:
    """Why files cannot be written in ``folder``, or None when they can.

    Tries for real (creates the missing folders and a temporary file, then removes them): as
    root, permission bits say nothing, and some file systems (``/proc``) refuse any new folder.
    """
    folder = Path(folder)
    made: list[Path] = []
    try:
        for path in [*reversed(folder.parents), folder]:
            if path.exists() and not path.is_dir():
                return f"{path} is a file, not a folder"
            if not path.is_dir():
                path.mkdir()
                made.append(path)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot create or write to {folder} ({exc.strerror or exc})"
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()
    return None


def write_manifest(run_dir: Path | str, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest.json`` atomically (it is rewritten after every task)."""
    with atomic_path(Path(run_dir) / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, default=str) + "\n")


def clean_temp_files(run_dir: Path | str) -> list[Path]:
    """Remove temporary files a killed run left behind; returns what was removed.

    Call it only while holding the run's :class:`RunLock`, so no live writer owns them.
    """
    run_dir = Path(run_dir)
    candidates = list(run_dir.glob(f".*{TMP_SUFFIX}"))
    for table in TABLES:
        candidates += table_dir(run_dir, table).glob(f"scenario=*/seed=*/.*{TMP_SUFFIX}")
    for path in candidates:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return candidates


class RunLockedError(RuntimeError):
    """Another process is writing to the run folder."""


class RunLock:
    """An exclusive advisory lock on a run folder, released when the process ends in any way.

    Two runs writing the same folder at once would race on the manifest, so the second one is
    refused. On platforms without ``fcntl`` the lock is a no-op.
    """

    def __init__(self, run_dir: Path | str) -> None:
        self.path = Path(run_dir) / LOCK
        self._fh: IO[str] | None = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # held open for the lock's lifetime
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise RunLockedError(
                f"{self.path.parent} is in use by another hiresim run ({holder}); wait for it "
                "to finish or choose another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {platform.node()}\n")
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# ==================================================================== reading a run for analysis

KEY_COLUMNS: tuple[str, ...] = ("scenario", "seed", "month")
"""Key columns of the metrics table."""
GROUP_KEY_COLUMNS: tuple[str, ...] = ("scenario", "seed", "month", "group_kind", "group")
"""Key columns of the groups table."""


def _numeric_columns(schema: pa.Schema, keys: Iterable[str]) -> tuple[str, ...]:
    """Names of the numeric (float or integer) columns of ``schema`` that are not ``keys``."""
    skip = set(keys)
    return tuple(
        f.name
        for f in schema
        if f.name not in skip and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))
    )


@dataclass(frozen=True, eq=False)
class Run:
    """A run folder loaded for analysis.

    Attributes:
        path: The run folder.
        metrics: The monthly metrics table (``scenario``, ``seed``, ``month``, metrics).
        manifest: The manifest (empty when there is none).
        scenario_meta: Resolved scenario (parsed ``hiresim.scenario`` JSON) by scenario name.
        file_meta: The other ``hiresim.*``/version metadata of one file per scenario.
    """

    path: Path
    metrics: pa.Table
    manifest: dict[str, Any]
    scenario_meta: dict[str, dict[str, Any]]
    file_meta: dict[str, dict[str, str]]

    @property
    def name(self) -> str:
        """The run folder's name."""
        return self.path.resolve().name

    @property
    def scenarios(self) -> tuple[str, ...]:
        """Scenarios with data, in manifest order (then any others, sorted)."""
        present = set(self.metrics.column("scenario").to_pylist())
        listed = [s["name"] for s in self.manifest.get("scenarios", []) if s.get("name") in present]
        return tuple(listed + sorted(present - set(listed)))

    def seeds(self, scenario: str) -> tuple[int, ...]:
        """The seeds with data for one scenario, sorted."""
        mask = pc.equal(self.metrics.column("scenario"), scenario)
        return tuple(sorted(set(self.metrics.filter(mask).column("seed").to_pylist())))

    @property
    def last_month(self) -> int:
        """The last output month in the data."""
        return int(pc.max(self.metrics.column("month")).as_py())

    @property
    def students(self) -> int | None:
        """The population (from the manifest, else from the scenarios' metadata)."""
        if isinstance(self.manifest.get("students"), int):
            return int(self.manifest["students"])
        found = {m.get("run", {}).get("students") for m in self.scenario_meta.values()}
        found.discard(None)
        return int(found.pop()) if len(found) == 1 else None

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Numeric metric columns present in the table."""
        return _numeric_columns(self.metrics.schema, KEY_COLUMNS)

    @property
    def has_groups(self) -> bool:
        """Whether the run folder holds a groups table (outcomes by group)."""
        return bool(scan_parts(self.path, "groups"))

    @cached_property
    def groups(self) -> pa.Table:
        """The groups table (``scenario``, ``seed``, ``month``, ``group_kind``, ``group``,
        outcomes), read on first use.

        Raises:
            AnalysisError: When the run has no groups table.
        """
        if not self.has_groups:
            raise AnalysisError(
                f"{self.path} has no groups table (outcomes by group): it was made before runs "
                "wrote one; run its command again into a new folder to get it"
            )
        return read_table(self.path, "groups")

    def group_kinds(self) -> tuple[str, ...]:
        """Group kinds in the groups table, in :data:`sim.observe.groups.GROUP_KINDS` order."""
        from sim.observe.groups import GROUP_KINDS_BY_NAME

        present = set(pc.unique(self.groups.column("group_kind")).to_pylist())
        known = [k for k in GROUP_KINDS_BY_NAME if k in present]
        return tuple(known + sorted(present - set(known)))

    def group_labels(self, kind: str) -> tuple[str, ...]:
        """The groups of one kind present in the groups table, in their defined order."""
        from sim.observe.groups import GROUP_KINDS_BY_NAME

        rows = self.groups.filter(pc.equal(self.groups.column("group_kind"), kind))
        present = set(pc.unique(rows.column("group")).to_pylist())
        defined = GROUP_KINDS_BY_NAME[kind].groups if kind in GROUP_KINDS_BY_NAME else ()
        known = [g for g in defined if g in present]
        return tuple(known + sorted(present - set(known)))

    @property
    def group_metric_names(self) -> tuple[str, ...]:
        """Numeric outcome columns of the groups table."""
        return _numeric_columns(self.groups.schema, GROUP_KEY_COLUMNS)

    def group_seeds(self, scenario: str) -> tuple[int, ...]:
        """The seeds with group data for one scenario, sorted."""
        mask = pc.equal(self.groups.column("scenario"), scenario)
        return tuple(sorted(set(self.groups.filter(mask).column("seed").to_pylist())))

    def caption(self) -> str:
        """``8 seeds; population 20,000 students; 120 months`` for figure captions."""
        seeds = {len(self.seeds(s)) for s in self.scenarios}
        n = f"{seeds.pop()} seeds" if len(seeds) == 1 else f"{min(seeds)}-{max(seeds)} seeds"
        pop = f"population {self.students:,} students" if self.students else "population unknown"
        return f"{n} per scenario; {pop}; {self.last_month} months"


def load_run(run_dir: Path | str) -> Run:
    """Read a run folder's metrics table, manifest and per-scenario file metadata.

    Args:
        run_dir: The run folder.

    Raises:
        AnalysisError: When the folder holds no metrics table.
    """
    path = Path(run_dir)
    try:
        metrics = read_table(path, "metrics")
    except FileNotFoundError as exc:
        raise AnalysisError(str(exc)) from exc
    if metrics.num_rows == 0:
        raise AnalysisError(f"{path} holds no metrics yet")
    scenario_meta: dict[str, dict[str, Any]] = {}
    file_meta: dict[str, dict[str, str]] = {}
    # One file per scenario (its lowest seed) speaks for the scenario's definition and versions.
    for (name, _), part in sorted(scan_parts(path, "metrics").items()):
        if name in file_meta:
            continue
        meta = read_part_metadata(part)
        if META_SCENARIO in meta:
            scenario_meta[name] = json.loads(meta.pop(META_SCENARIO))
        file_meta[name] = meta
    return Run(path, metrics, read_manifest(path), scenario_meta, file_meta)


def as_run(run: Run | Path | str) -> Run:
    """A :class:`Run` from a run or its folder."""
    return run if isinstance(run, Run) else load_run(run)
