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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

TABLES: tuple[str, ...] = ("metrics", "groups", "students", "employers")
MANIFEST = "manifest.json"


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
    """
    path = table_dir(run_dir, table)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist: is {run_dir} a hiresim run folder?")
    dataset = ds.dataset(
        path,
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("scenario", pa.string()), ("seed", pa.int64())]), flavor="hive"
        ),
    )
    result = dataset.to_table()
    keys = [("scenario", "ascending"), ("seed", "ascending")]
    if "month" in result.column_names:
        keys.append(("month", "ascending"))
    return result.sort_by(keys)


def read_manifest(run_dir: Path | str) -> dict[str, Any]:
    """The run's manifest as a dict (empty when there is none yet)."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())
