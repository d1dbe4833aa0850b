"""``hiresim run`` and ``hiresim sweep``: the dataset, resume, kills, refusals, executors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from sim.experiments import simulate, store
from sim.experiments.sweep import design_points, parse_vary
from sim.observe.metrics import METRIC_NAMES

MONTHS = 6
SEEDS = 3
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {"scenario", "seed", *METRIC_NAMES}

ALPHA = """\
name = "alpha"
description = "A small population for tests."

[run]
months = 6
students = 200
seeds = 2
burn_in_months = 0
"""
BETA = """\
name = "beta"
description = "alpha with a lower premium floor."
extends = "alpha"

[params]
"employers.premium_min" = 0.05
"""
# The model in-process, slowed so that a run can be stopped part-way at a predictable pace.
SLOW_CLI = (
    "import sys, time\n"
    "from sim.experiments import simulate\n"
    "model = simulate.run_scenario\n"
    "def slow(*a, **k):\n"
    "    time.sleep(0.1)\n"
    "    return model(*a, **k)\n"
    "simulate.run_scenario = slow\n"
    "from sim.cli.main import app\n"
    "app()\n"
)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "alpha.toml").write_text(ALPHA)
    (folder / "beta.toml").write_text(BETA)
    return folder


def invoke(*args: object) -> object:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def run_dir(scenarios: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "ab"
    result = invoke(
        "run", scenarios / "alpha.toml", scenarios / "beta.toml", "--seeds", SEEDS,
        "--out", out, "--workers", 1,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Results in {out}/" in result.stdout
    return out


def _check_rows(rows: int, columns: set[str], scenarios: set[str], seeds: set[int]) -> None:
    assert rows == 2 * SEEDS * MONTHS
    assert columns >= COLUMNS
    assert scenarios == {"alpha", "beta"}
    assert seeds == set(range(1, SEEDS + 1))


def test_pyarrow_reads_one_table(run_dir: Path) -> None:
    table = ds.dataset(run_dir / "metrics", partitioning="hive").to_table()
    _check_rows(
        table.num_rows,
        set(table.column_names),
        set(table.column("scenario").to_pylist()),
        set(table.column("seed").to_pylist()),
    )


def test_pandas_reads_one_table(run_dir: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(run_dir / "metrics")
    _check_rows(
        len(frame), set(frame.columns), set(frame["scenario"]), set(frame["seed"].astype(int))
    )


def test_polars_reads_one_table(run_dir: Path) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.scan_parquet(f"{run_dir}/metrics/**/*.parquet", hive_partitioning=True).collect()
    _check_rows(
        frame.height,
        set(frame.columns),
        set(frame["scenario"].to_list()),
        set(frame["seed"].to_list()),
    )


def test_duckdb_reads_one_table(run_dir: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    query = f"select * from read_parquet('{run_dir}/metrics/*/*/*.parquet', hive_partitioning=true)"
    table = duckdb.sql(query).arrow()
    if not isinstance(table, pa.Table):  # newer DuckDB returns a record-batch reader
        table = table.read_all()
    _check_rows(
        table.num_rows,
        set(table.column_names),
        set(table.column("scenario").to_pylist()),
        {int(s) for s in table.column("seed").to_pylist()},
    )


def test_files_hold_no_partition_columns_and_carry_provenance(run_dir: Path) -> None:
    path = run_dir / "metrics" / "scenario=beta" / "seed=2" / store.PART
    assert pq.read_schema(path).names == list(METRIC_NAMES)
    meta = store.read_part_metadata(path)
    scenario = json.loads(meta[store.META_SCENARIO])
    assert scenario["name"] == "beta" and scenario["params"]["employers.premium_min"] == 0.05
    assert scenario["run"]["months"] == MONTHS and meta[store.META_HASH] == scenario["hash"]
    assert meta[store.META_SEED] == "2"
    assert {"hiresim.version", "mesa.version", "numpy.version", "python.version"} <= set(meta)


def test_manifest_records_the_run(run_dir: Path, scenarios: Path) -> None:
    manifest = store.read_manifest(run_dir)
    assert manifest["command"][:2] == ["hiresim", "run"]
    assert manifest["command"][-4:] == ["--out", str(run_dir), "--workers", "1"]
    assert [s["name"] for s in manifest["scenarios"]] == ["alpha", "beta"]
    assert all(len(s["hash"]) == 64 and s["description"] for s in manifest["scenarios"])
    assert (manifest["seeds"], manifest["months"], manifest["students"]) == ([1, 2, 3], 6, 200)
    assert manifest["status"] == "done" and manifest["started"] < manifest["ended"]
    assert len(manifest["tasks"]) == 6 and {t["status"] for t in manifest["tasks"]} == {"done"}


def test_rerun_does_no_work_and_says_so(run_dir: Path, scenarios: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*.parquet")}
    result = invoke(
        "run", scenarios / "alpha.toml", scenarios / "beta.toml", "--seeds", SEEDS,
        "--out", run_dir, "--workers", 1,
    )  # fmt: skip
    assert result.exit_code == 0
    assert "6 of 6 tasks already done; nothing to do" in result.stderr
    assert "Done: 0 tasks run, 6 already done" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*.parquet")} == before


def test_defaults_name_the_folder_and_seeds(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", scenarios / "alpha.toml", scenarios / "beta.toml", "-q")
    assert result.exit_code == 0 and result.output == ""
    manifest = store.read_manifest(tmp_path / "outputs" / "alpha+beta")
    assert manifest["seeds"] == [1, 2] and manifest["name"] == "alpha+beta"
    result = invoke(
        "run",
        scenarios / "alpha.toml",
        "--seed-list",
        "7,3",
        "--name",
        "mine",
        "-q",
        "--workers",
        1,
    )
    assert result.exit_code == 0
    assert store.read_manifest(tmp_path / "outputs" / "mine")["seeds"] == [7, 3]


def test_bad_run_options_exit_2_listing_every_problem(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = invoke(
        "run", scenarios / "alpha.toml", scenarios / "alpha.toml", "--seeds", 2,
        "--seed-list", "1", "--months", 0, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--seeds and --seed-list: give one or the other" in result.stderr
    assert "months = 0: out of range" in result.stderr
    assert "scenario 'alpha' is given twice" in result.stderr
    assert "problems found; nothing was run" in result.stderr
    assert not out.exists()


def test_unwritable_out_is_listed_with_the_other_problems(scenarios: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "run"
    result = invoke("run", scenarios / "alpha.toml", "nope", "--out", out)
    assert result.exit_code == 2
    assert "no scenario of that name" in result.stderr
    assert f"out {out}: {tmp_path / 'file'} is a file, not a folder" in result.stderr
    assert "2 problems found; nothing was run" in result.stderr


def _rerun(scenarios: Path, copy: Path) -> object:
    return invoke(
        "run", scenarios / "alpha.toml", scenarios / "beta.toml", "--seeds", SEEDS,
        "--out", copy, "--workers", 1,
    )  # fmt: skip


def test_damaged_manifest_is_rebuilt_from_the_files(
    run_dir: Path, scenarios: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = tmp_path / "ab"
    shutil.copytree(run_dir, copy)
    manifest = copy / store.MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:300])
    result = _rerun(scenarios, copy)
    assert result.exit_code == 0, result.output
    assert f"{manifest} is damaged" in caplog.text
    assert "6 of 6 tasks already done; nothing to do" in result.stderr
    rebuilt = json.loads(manifest.read_text())
    assert rebuilt["summary"] == {"total": 6, "done": 6, "failed": 0, "pending": 0}


def test_damaged_files_are_rerun(run_dir: Path, scenarios: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ab"
    shutil.copytree(run_dir, copy)
    damaged = [
        store.part_path(copy, "metrics", "alpha", 2),
        store.part_path(copy, "groups", "beta", 1),  # the task's metrics file is intact
    ]
    for path in damaged:
        path.write_bytes(path.read_bytes()[:200])
    result = _rerun(scenarios, copy)
    assert result.exit_code == 0, result.output
    assert "4 of 6 tasks already done; running the other 2" in result.stderr
    for path in damaged:
        assert store.read_part_metadata(path)[store.META_SEED] == path.parent.name[len("seed=") :]
    assert _same_tables(store.read_table(copy, "groups"), store.read_table(run_dir, "groups"))


def test_different_definition_is_refused(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        invoke("run", scenarios / "alpha.toml", "--out", out, "-q", "--workers", 1).exit_code == 0
    )
    before = {p: p.read_bytes() for p in out.rglob("*.parquet")}
    result = invoke("run", scenarios / "alpha.toml", "--out", out, "--months", 7, "--workers", 1)
    assert result.exit_code == 2
    assert "already holds results of a different definition" in result.stderr
    assert "scenario 'alpha'" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*.parquet")} == before


def test_failing_task_is_recorded_and_exits_1(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = simulate.run_scenario

    def flaky(scenario, seed, **kw):
        if seed == 2:
            raise RuntimeError("diverged")
        return model(scenario, seed, **kw)

    monkeypatch.setattr(simulate, "run_scenario", flaky)
    out = tmp_path / "run"
    result = invoke("run", scenarios / "alpha.toml", "--seeds", 3, "--out", out, "--workers", 1)
    assert result.exit_code == 1
    assert "1 of 3 tasks failed:" in result.stderr
    assert "alpha seed 2: RuntimeError: diverged" in result.stderr
    manifest = store.read_manifest(out)
    assert manifest["summary"] == {"total": 3, "done": 2, "failed": 1, "pending": 0}
    assert [t["error"] for t in manifest["tasks"] if t["status"] == "failed"] == [
        "RuntimeError: diverged"
    ]


def _same_tables(a: pa.Table, b: pa.Table) -> bool:
    return a.schema.equals(b.schema) and a.to_pandas().equals(b.to_pandas())


def test_results_identical_whatever_the_executor(scenarios: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    tables = {}
    for label, options in {
        "process-1": ["--executor", "process", "--workers", 1],
        "process-2": ["--executor", "process", "--workers", 2],
        "dask": ["--executor", "dask", "--workers", 2],
    }.items():
        out = tmp_path / label
        result = invoke(
            "run", scenarios / "alpha.toml", scenarios / "beta.toml", "--seeds", SEEDS,
            "--out", out, "-q", *options,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        tables[label] = store.read_table(out)
        assert store.read_manifest(out)["executor"]["kind"] == options[1]
    assert tables["process-1"].num_rows == 2 * SEEDS * MONTHS
    assert _same_tables(tables["process-1"], tables["process-2"])
    assert _same_tables(tables["process-1"], tables["dask"])


# -------------------------------------------------------------------- killed and interrupted runs


def _interactive_sigint() -> None:
    # As from a terminal: Ctrl-C's default action. A child inherits an ignored SIGINT, and
    # Python then keeps ignoring it; in the lowest-versions suite an earlier test left the test
    # process with SIGINT ignored, so the run never saw the Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_CLI, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interactive_sigint,
    )


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, timeout: float = 300) -> None:
    # Generous: only a hung run should fail, not a loaded machine (make test runs two suites at
    # once; on a machine shared with other work, the Ctrl-C test's first two tasks once took
    # over 60 s there).
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.01)


def _parts(out: Path) -> int:
    return len(list((out / "metrics").glob("*/*/*.parquet")))


def test_sigkill_leaves_complete_files_and_rerun_completes(scenarios: Path, tmp_path: Path) -> None:
    args = [str(scenarios / "alpha.toml"), str(scenarios / "beta.toml"), "--seeds", "12"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    proc = _start(["run", *args, "--out", str(killed), "--workers", "1"], tmp_path)
    _wait_for(lambda: _parts(killed) >= 5, proc)
    proc.kill()
    proc.communicate()

    files = list(killed.rglob("*.parquet"))
    assert 5 <= _parts(killed) < 24
    for path in files:
        pq.read_table(path)  # every file that has a Parquet name is complete
    manifest = json.loads((killed / store.MANIFEST).read_text())
    assert manifest["status"] == "running"

    result = invoke("run", *args, "--out", killed, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "of 24 tasks already done; running the other" in result.stderr
    assert not list(killed.rglob(f"*{store.TMP_SUFFIX}"))
    assert invoke("run", *args, "--out", clean, "--workers", 2, "-q").exit_code == 0
    assert _same_tables(store.read_table(killed), store.read_table(clean))
    assert store.read_manifest(killed)["summary"]["done"] == 24


def _processes_with(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_workers_and_says_how_to_resume(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    marker = f"HIRESIM_TEST_{uuid.uuid4().hex}"
    # The real model in 2 worker processes (the in-process slowdown does not reach them).
    args = ["run", str(scenarios / "alpha.toml"), "--seeds", "40", "--students", "3000"]
    args += ["--months", "60", "--out", str(out), "--workers", "2"]
    proc = _start(args, tmp_path, env={marker: "1"})
    _wait_for(lambda: _parts(out) >= 2, proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    assert "Interrupted:" in stderr and "To resume, run the same command again:" in stderr
    assert "hiresim run " in stderr and "--seeds 40" in stderr
    manifest = store.read_manifest(out)
    assert manifest["status"] == "interrupted" and manifest["summary"]["pending"] > 0
    assert _processes_with(marker) == []  # no worker left behind
    for path in out.rglob("*.parquet"):
        pq.read_table(path)


# -------------------------------------------------------------------- sweeps

APPS, SKILL = "market.applications_per_seeker", "wages.skill_return"


def test_sweep_grid_runs_every_point_with_its_values(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid"
    options = ["--vary", f"{APPS}=4,8", "--vary", f"{SKILL}=0.1,0.2", "--seeds", 2]
    result = invoke("sweep", scenarios / "alpha.toml", *options, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "Sweep of alpha: 4 design points (grid) x 2 seeds" in result.stderr
    table = store.read_table(out)
    assert table.num_rows == 4 * 2 * MONTHS
    points = {
        (row["scenario"], row[APPS], row[SKILL])
        for row in table.select(["scenario", APPS, SKILL]).to_pylist()
    }
    assert {(a, s) for _, a, s in points} == {(4, 0.1), (4, 0.2), (8, 0.1), (8, 0.2)}
    assert all(name.startswith("alpha__p0") for name, _, _ in points)
    manifest = store.read_manifest(out)
    assert manifest["sweep"]["base"] == "alpha" and len(manifest["sweep"]["points"]) == 4
    by_name = {s["name"]: s for s in manifest["scenarios"]}
    for name, apps, skill in points:
        assert by_name[name]["varied"] == {APPS: apps, SKILL: skill}

    again = invoke("sweep", scenarios / "alpha.toml", *options, "--out", out, "--workers", 1)
    assert again.exit_code == 0 and "8 of 8 tasks already done" in again.stderr


def test_sweep_lhs_draws_the_seeded_design(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    vary = [f"{SKILL}=0:0.3", f"{APPS}=2:20"]
    result = invoke(
        "sweep", scenarios / "alpha.toml", "--vary", vary[0], "--vary", vary[1], "--design", "lhs",
        "--samples", 3, "--design-seed", 5, "--seeds", 1, "--workers", 1, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [out] = (tmp_path / "outputs").iterdir()
    assert out.name.startswith("alpha-sweep-")
    expected = design_points(parse_vary(vary)[0], "lhs", samples=3, design_seed=5)
    table = store.read_table(out)
    assert table.schema.field(APPS).type == pa.int64()
    got = {(r[SKILL], r[APPS]) for r in table.select([SKILL, APPS]).to_pylist()}
    assert got == {(p[SKILL], p[APPS]) for p in expected}
    assert store.read_manifest(out)["sweep"]["design"] == "lhs"


def test_sweep_out_of_range_values_exit_2_listing_all(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = invoke(
        "sweep", scenarios / "alpha.toml", "--vary", f"{APPS}=0,4,200", "--vary", f"{SKILL}=-1:0.5",
        "--vary", "employers.premium_min=0.1:0.3", "--vary", "nope.x=1", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 2
    for text in (
        f"0 for {APPS}: out of range [1, 100]",
        f"200 for {APPS}: out of range [1, 100]",
        f"-1 for {SKILL}: out of range [0, 1]",
        "unknown parameter 'nope.x'",
        "4 problems found; nothing was run.",
    ):
        assert text in result.stderr
    assert not out.exists()
