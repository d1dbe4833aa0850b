"""Run-folder write side: atomic Parquet files with provenance metadata, scans, locks."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from sim.experiments import store
from tests.fakes import BASELINE, POLICY, make_run


def _table(n: int = 5, offset: float = 0.0) -> pa.Table:
    return pa.table(
        {"month": pa.array(range(1, n + 1), pa.int32()), "x": [offset + i for i in range(n)]}
    )


def _meta(seed: int = 3, scenario_hash: str = "abc") -> dict[str, str]:
    return store.file_metadata({"name": "base", "params": []}, scenario_hash, seed)


def test_file_metadata_has_provenance_keys() -> None:
    meta = _meta()
    assert json.loads(meta[store.META_SCENARIO]) == {"name": "base", "params": []}
    assert meta[store.META_HASH] == "abc"
    assert meta[store.META_SEED] == "3"
    for key in ("hiresim.version", "mesa.version", "numpy.version", "python.version"):
        assert meta[key] and meta[key] != "unknown"


def test_write_part_round_trips_rows_and_metadata(tmp_path: Path) -> None:
    path = store.part_path(tmp_path, "metrics", "base", 3)
    store.write_part(path, _table(), _meta())
    assert path == tmp_path / "metrics" / "scenario=base" / "seed=3" / store.PART
    assert pq.read_table(path).equals(_table().replace_schema_metadata(_meta()))
    assert store.read_part_metadata(path) == _meta()
    assert [p.name for p in path.parent.iterdir()] == [store.PART]


def test_write_part_streams_a_reader_in_row_groups(tmp_path: Path) -> None:
    table = _table(1000)
    path = tmp_path / "big.parquet"
    store.write_part(path, table.to_reader(max_chunksize=300), _meta(), row_group_rows=256)
    assert pq.read_metadata(path).num_row_groups >= 4
    assert pq.read_table(path).select(["month", "x"]).equals(table)


def test_write_part_replaces_a_previous_file(tmp_path: Path) -> None:
    path = store.part_path(tmp_path, "metrics", "base", 1)
    store.write_part(path, _table(offset=0), _meta())
    store.write_part(path, _table(offset=10), _meta())
    assert pq.read_table(path).column("x").to_pylist()[0] == 10


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    path = store.part_path(tmp_path, "metrics", "base", 1)
    store.write_part(path, _table(), _meta())

    def batches():
        yield _table().to_batches()[0]
        raise RuntimeError("worker died mid-stream")

    with pytest.raises(RuntimeError):
        store.write_part(path, batches(), _meta(), schema=_table().schema)
    assert pq.read_table(path).num_rows == 5
    assert [p.name for p in path.parent.iterdir()] == [store.PART]


def test_read_table_adds_partition_columns_and_sorts(tmp_path: Path) -> None:
    for scenario in ("b", "a"):
        for seed in (2, 1):
            store.write_part(
                store.part_path(tmp_path, "metrics", scenario, seed), _table(3), _meta(seed)
            )
    table = store.read_table(tmp_path)
    assert table.num_rows == 12
    assert table.column("scenario").to_pylist()[:4] == ["a", "a", "a", "a"]
    assert table.column("seed").to_pylist()[:4] == [1, 1, 1, 2]


def test_scan_parts_finds_complete_files_only(tmp_path: Path) -> None:
    store.write_part(store.part_path(tmp_path, "metrics", "base", 1), _table(), _meta(1))
    stale = store.part_path(tmp_path, "metrics", "base", 2).parent / ".part-0.parquet.99.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"truncated")
    assert set(store.scan_parts(tmp_path)) == {("base", 1)}
    assert store.clean_temp_files(tmp_path) == [stale]
    assert not stale.exists()
    assert store.read_table(tmp_path).num_rows == 5


def test_manifest_written_atomically(tmp_path: Path) -> None:
    store.write_manifest(tmp_path, {"tasks": [1, 2]})
    store.write_manifest(tmp_path, {"tasks": [1, 2, 3]})
    assert store.read_manifest(tmp_path) == {"tasks": [1, 2, 3]}
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.MANIFEST]


@pytest.mark.parametrize("name", ["a/b", "x=1", ".hidden", "", "sp ace", "pct%20"])
def test_unsafe_scenario_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="partition folder"):
        store.part_path(tmp_path, "metrics", name, 1)


def test_run_lock_is_exclusive(tmp_path: Path) -> None:
    with (
        store.RunLock(tmp_path),
        pytest.raises(store.RunLockedError, match="in use by another hiresim run"),
    ):
        store.RunLock(tmp_path).__enter__()
    with store.RunLock(tmp_path):
        pass


# ==================================================================== damaged run folders


def _truncate(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[:200])
    return path


def test_read_table_names_the_damaged_file(tmp_path: Path) -> None:
    for seed in (1, 2):
        store.write_part(store.part_path(tmp_path, "metrics", "base", seed), _table(), _meta(seed))
    damaged = _truncate(store.part_path(tmp_path, "metrics", "base", 2))
    with pytest.raises(store.DamagedRunError, match="re-runs damaged tasks") as err:
        store.read_table(tmp_path)
    assert err.value.path == damaged
    assert "not a readable Parquet file" in str(err.value)
    with pytest.raises(store.DamagedRunError) as err:
        store.read_part_metadata(damaged)
    assert err.value.path == damaged


@pytest.mark.parametrize("text", ['{"tasks": [{"scen', "", "[1, 2]", "\xff\xfe"])
def test_damaged_manifest_reads_as_missing_with_a_warning(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / store.MANIFEST).write_bytes(text.encode("latin-1"))
    assert store.read_manifest(tmp_path) == {}
    assert f"{tmp_path / store.MANIFEST} is damaged" in caplog.text
    assert "reading the run from its Parquet files instead" in caplog.text


def test_unwritable_says_why_and_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert (
        store.unwritable(tmp_path / "file" / "run")
        == f"{tmp_path / 'file'} is a file, not a folder"
    )
    assert store.unwritable(tmp_path / "new" / "run") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    if Path("/proc/self").is_dir():  # Linux: /proc refuses new folders, even to root
        assert "cannot create or write to /proc/hiresim" in str(store.unwritable("/proc/hiresim"))


def _run_with_damage(tmp_path: Path, damage: str) -> Path:
    run = make_run(tmp_path / "run", [BASELINE, POLICY], seeds=(1, 2, 3), months=24, groups=True)
    if damage == "manifest":
        _truncate(run / store.MANIFEST)
    else:
        _truncate(store.part_path(run, damage, POLICY.name, 2))
    return run


@pytest.mark.parametrize(
    ("damage", "command"),
    [
        ("metrics", ["compare"]),
        ("metrics", ["report"]),
        ("metrics", ["plot", "-m", "hires"]),
        ("metrics", ["targets"]),
        ("groups", ["compare", "--by", "discipline"]),
        ("groups", ["report"]),
    ],
)
def test_commands_name_a_damaged_file_and_exit_2(
    tmp_path: Path, damage: str, command: list[str]
) -> None:
    run = _run_with_damage(tmp_path, damage)
    result = CliRunner().invoke(app, [command[0], str(run), *command[1:]])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    damaged = store.part_path(run, damage, POLICY.name, 2)
    assert f"error: {damaged} is damaged (not a readable Parquet file" in result.output
    assert "Run the same `hiresim run` command again" in result.output


def test_compare_reads_a_run_with_a_damaged_manifest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = _run_with_damage(tmp_path, "manifest")
    result = CliRunner().invoke(app, ["compare", str(run), "-m", "hires", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert POLICY.name in result.output
    assert f"{run / store.MANIFEST} is damaged" in caplog.text


@pytest.mark.parametrize("command", [["compare"], ["report"], ["plot", "-m", "hires"]])
def test_unwritable_out_file_is_refused(tmp_path: Path, command: list[str]) -> None:
    run = make_run(tmp_path / "run", [BASELINE, POLICY], seeds=(1, 2), months=12)
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out.png"
    result = CliRunner().invoke(app, [command[0], str(run), *command[1:], "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"error: --out {out}: {tmp_path / 'file'} is a file, not a folder" in result.output
