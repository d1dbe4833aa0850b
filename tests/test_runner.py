"""The runner: tasks, resume, refusal of mixed definitions, failures, executors, progress."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.experiments import runner, simulate, store
from sim.experiments.runner import Progress, RunPlan, Task, execute
from sim.inputs.scenario import Scenario, default_scenario

MONTHS = 6


def _scenarios() -> tuple[Scenario, Scenario]:
    base = default_scenario().with_run(months=MONTHS, students=200, burn_in_months=0)
    other = base.with_params({"employers.premium_min": 0.0}, name="no_floor")
    return base, other


def _plan(out: Path, seeds: tuple[int, ...] = (1, 2), **kw: object) -> RunPlan:
    return RunPlan(out=out, scenarios=_scenarios(), seeds=seeds, command=("hiresim", "x"), **kw)


def _quiet() -> Progress:
    return Progress(io.StringIO(), mode="quiet")


def _fake_model(monkeypatch: pytest.MonkeyPatch, fail_seed: int | None = None, **kw: object):
    """Replace the model in this process with a seeded stand-in returning every table."""

    def fake(scenario, seed, *, months, students, agents=False, groups=True):
        if seed == fail_seed:
            raise ValueError(f"boom on seed {seed}")
        if kw.get("interrupt_seed") == seed:
            raise KeyboardInterrupt
        rng = np.random.default_rng(seed)
        metrics = pa.table(
            {"month": pa.array(range(1, months + 1), pa.int32()), "x": rng.random(months)}
        )
        group_table = pa.table({"month": [1, 1], "group": ["a", "b"], "y": rng.random(2)})
        snapshot = pa.table({"id": np.arange(students), "skill": rng.random(students)})
        return simulate.RunResult(
            metrics=metrics,
            groups=group_table,
            students=snapshot if agents else None,
            employers=snapshot.slice(0, 10) if agents else None,
        )

    monkeypatch.setattr(simulate, "run_scenario", fake)


def test_plan_checks_its_inputs(tmp_path: Path) -> None:
    base, _ = _scenarios()
    with pytest.raises(ValueError, match="repeat"):
        RunPlan(out=tmp_path, scenarios=(base, base), seeds=(1,))
    with pytest.raises(ValueError, match="seed"):
        RunPlan(out=tmp_path, scenarios=(base,), seeds=())
    plan = _plan(tmp_path, seeds=(3, 1))
    assert plan.tasks == (
        Task("defaults", 3),
        Task("defaults", 1),
        Task("no_floor", 3),
        Task("no_floor", 1),
    )


def test_execute_writes_every_task_with_provenance(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "run")
    report = execute(plan, workers=1, progress=_quiet())
    assert (report.total, report.done, report.skipped, report.exit_code) == (4, 4, 0, 0)

    table = store.read_table(plan.out)
    assert table.num_rows == 2 * 2 * MONTHS
    path = store.part_path(plan.out, "metrics", "no_floor", 2)
    assert not {"scenario", "seed"} & set(pq.read_schema(path).names)
    meta = store.read_part_metadata(path)
    scenario = plan.scenarios[1]
    assert meta[store.META_HASH] == scenario.hash
    assert meta[store.META_SEED] == "2"
    assert Scenario.from_dict(json.loads(meta[store.META_SCENARIO])) == scenario

    manifest = store.read_manifest(plan.out)
    assert manifest["status"] == "done"
    assert manifest["command_line"] == "hiresim x"
    assert manifest["seeds"] == [1, 2] and manifest["months"] == MONTHS
    assert [(s["name"], s["hash"]) for s in manifest["scenarios"]] == [
        (s.name, s.hash) for s in plan.scenarios
    ]
    assert manifest["summary"] == {"total": 4, "done": 4, "failed": 0, "pending": 0}
    for entry in manifest["tasks"]:
        assert entry["status"] == "done" and entry["error"] is None
        assert entry["wall_seconds"] >= 0 and entry["worker"] and entry["started"] <= entry["ended"]
    assert set(manifest["versions"]) >= {"hiresim.version", "mesa.version", "numpy.version"}


def test_rerun_does_no_work_and_says_so(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    execute(plan, workers=1, progress=_quiet())
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")}
    stream = io.StringIO()
    report = execute(plan, workers=1, progress=Progress(stream, mode="log"))
    assert (report.skipped, report.done, report.exit_code) == (4, 4, 0)
    assert "4 of 4 tasks already done; nothing to do" in stream.getvalue()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")} == before
    assert len(store.read_manifest(tmp_path)["history"]) == 1


def test_more_seeds_run_only_the_new_tasks(tmp_path: Path) -> None:
    execute(_plan(tmp_path, seeds=(1, 2)), workers=1, progress=_quiet())
    stream = io.StringIO()
    report = execute(_plan(tmp_path, seeds=(1, 2, 3)), workers=1, progress=Progress(stream, "log"))
    assert (report.skipped, report.done) == (4, 6)
    assert "4 of 6 tasks already done; running the other 2" in stream.getvalue()
    assert store.read_table(tmp_path).num_rows == 2 * 3 * MONTHS


def test_different_definition_is_refused_before_any_work(tmp_path: Path) -> None:
    execute(_plan(tmp_path), workers=1, progress=_quiet())
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    base, other = _scenarios()
    changed = RunPlan(out=tmp_path, scenarios=(base.with_run(months=MONTHS + 1), other), seeds=(1,))
    with pytest.raises(runner.DefinitionConflict) as info:
        execute(changed, workers=1, progress=_quiet())
    assert info.value.problems and "'defaults'" in info.value.problems[0]
    assert "--months" in str(info.value) and "never mixed" in str(info.value)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")} == before


def test_conflict_is_found_from_files_without_a_manifest(tmp_path: Path) -> None:
    execute(_plan(tmp_path), workers=1, progress=_quiet())
    (tmp_path / store.MANIFEST).unlink()
    base, _ = _scenarios()
    changed = base.with_params({"employers.premium_min": 0.0})
    with pytest.raises(runner.DefinitionConflict):
        execute(RunPlan(tmp_path, (changed,), (1,)), workers=1, progress=_quiet())


def test_deleting_the_old_files_allows_the_new_definition(tmp_path: Path) -> None:
    execute(_plan(tmp_path), workers=1, progress=_quiet())
    base, _ = _scenarios()
    changed = RunPlan(tmp_path, (base.with_run(months=MONTHS + 1),), (1,))
    with pytest.raises(runner.DefinitionConflict, match=r"scenario=<name>/"):
        execute(changed, workers=1, progress=_quiet())
    for folder in tmp_path.glob("*/scenario=defaults"):
        shutil.rmtree(folder)
    assert execute(changed, workers=1, progress=_quiet()).exit_code == 0
    manifest = store.read_manifest(tmp_path)
    assert {(t["scenario"], t["seed"]) for t in manifest["tasks"]} == {
        ("defaults", 1),
        ("no_floor", 1),
        ("no_floor", 2),
    }


def test_manifest_keeps_earlier_seeds_of_the_same_definition(tmp_path: Path) -> None:
    execute(_plan(tmp_path, seeds=(1, 2, 3)), workers=1, progress=_quiet())
    report = execute(_plan(tmp_path, seeds=(2,)), workers=1, progress=_quiet())
    assert (report.total, report.skipped) == (2, 2)
    manifest = store.read_manifest(tmp_path)
    assert manifest["seeds"] == [2]
    assert manifest["summary"] == {"total": 2, "done": 2, "failed": 0, "pending": 0}
    assert len(manifest["tasks"]) == 6 and {t["status"] for t in manifest["tasks"]} == {"done"}


def test_failed_task_is_recorded_and_the_rest_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch, fail_seed=2)
    stream = io.StringIO()
    report = execute(_plan(tmp_path, seeds=(1, 2, 3)), workers=1, progress=Progress(stream, "log"))
    assert report.exit_code == 1
    assert sorted(f.task for f in report.failed) == [Task("defaults", 2), Task("no_floor", 2)]
    assert report.done == 4 and report.pending == 0
    assert "FAILED defaults seed 2: ValueError: boom on seed 2" in stream.getvalue()
    manifest = store.read_manifest(tmp_path)
    assert manifest["status"] == "failed"
    assert manifest["summary"] == {"total": 6, "done": 4, "failed": 2, "pending": 0}
    failed = [t for t in manifest["tasks"] if t["status"] == "failed"]
    assert [t["error"] for t in failed] == ["ValueError: boom on seed 2"] * 2
    assert "Traceback" in failed[0]["traceback"]
    assert set(store.scan_parts(tmp_path)) == {
        (s, k) for s in ("defaults", "no_floor") for k in (1, 3)
    }

    # Fixed: a re-run retries only the failed tasks.
    _fake_model(monkeypatch)
    report = execute(_plan(tmp_path, seeds=(1, 2, 3)), workers=1, progress=_quiet())
    assert (report.skipped, report.done, report.exit_code) == (4, 6, 0)
    assert store.read_manifest(tmp_path)["summary"]["failed"] == 0


def test_interrupt_leaves_complete_files_and_pending_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch, interrupt_seed=2)
    report = execute(_plan(tmp_path, seeds=(1, 2, 3)), workers=1, progress=_quiet())
    assert report.interrupted and report.exit_code == 130
    assert (report.done, report.pending) == (1, 5)
    manifest = store.read_manifest(tmp_path)
    assert manifest["status"] == "interrupted"
    assert manifest["summary"] == {"total": 6, "done": 1, "failed": 0, "pending": 5}
    assert not list(tmp_path.rglob(f"*{store.TMP_SUFFIX}"))


def test_groups_and_agent_snapshots_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch)
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 64)
    plan = _plan(tmp_path, seeds=(1,), agents=True)
    execute(plan, workers=1, progress=_quiet())
    assert store.read_table(tmp_path, "groups").num_rows == 2 * 2
    students = store.read_table(tmp_path, "students")
    assert students.num_rows == 2 * 200 and set(students.column_names) == {
        "id",
        "skill",
        "scenario",
        "seed",
    }
    path = store.part_path(tmp_path, "students", "defaults", 1)
    assert pq.read_metadata(path).num_row_groups == 4
    assert store.read_table(tmp_path, "employers").num_rows == 2 * 10
    entry = store.read_manifest(tmp_path)["tasks"][0]
    assert entry["tables"] == ["groups", "students", "employers", "metrics"]

    # Without snapshots on disk, a task asked for with --agents is not done.
    store.part_path(tmp_path, "employers", "defaults", 1).unlink()
    assert runner.completed_tasks(plan) == {Task("no_floor", 1)}
    assert runner.completed_tasks(_plan(tmp_path, seeds=(1,))) == set(plan.tasks)


def test_varied_values_become_constant_metric_columns(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        seeds=(1,),
        varied={
            "defaults": {"market.applications_per_seeker": 4, "wages.skill_return": 0.1},
            "no_floor": {"market.applications_per_seeker": 8, "wages.skill_return": 0.2},
        },
    )
    execute(plan, workers=1, progress=_quiet())
    table = store.read_table(tmp_path)
    assert table.schema.field("market.applications_per_seeker").type == pa.int64()
    rows = table.select(["scenario", "market.applications_per_seeker", "wages.skill_return"])
    assert set(map(tuple, rows.to_pandas().itertuples(index=False))) == {
        ("defaults", 4, 0.1),
        ("no_floor", 8, 0.2),
    }
    assert store.read_manifest(tmp_path)["scenarios"][1]["varied"] == {
        "market.applications_per_seeker": 8,
        "wages.skill_return": 0.2,
    }


def test_unknown_executor_and_missing_dask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(runner.RunError, match="unknown executor"):
        execute(_plan(tmp_path), executor="threads", progress=_quiet())
    monkeypatch.setitem(__import__("sys").modules, "dask.distributed", None)
    with pytest.raises(runner.ExecutorUnavailable, match=r"pip install hiresim\[dask\]"):
        execute(_plan(tmp_path), executor="dask", workers=2, progress=_quiet())


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_lines_otherwise() -> None:
    tty = _Tty()
    bar = Progress(tty)
    assert bar.mode == "bar"
    bar.start(total=4, skipped=1)
    bar.task_done(Task("a", 1), 0.5)
    bar.task_done(Task("a", 2), 0.5, error="ValueError: x")
    bar.close()
    text = tty.getvalue()
    assert "\r[" in text and "3/4 tasks, 1 failed" in text and "ETA" in text
    assert "FAILED a seed 2: ValueError: x\n" in text and text.endswith("\n")

    log = io.StringIO()
    lines = Progress(log)
    assert lines.mode == "log"
    lines.start(total=2, skipped=0)
    lines.task_done(Task("a", 1), 0.25)
    assert log.getvalue().startswith("[1/2] a seed 1 done in 0.2 s; elapsed 0:00, ETA ")
    assert "\r" not in log.getvalue()

    quiet = io.StringIO()
    silent = Progress(quiet, mode="quiet")
    silent.start(total=1, skipped=0)
    silent.message("hello")
    silent.task_done(Task("a", 1), 0.1, error="x")
    silent.close()
    assert quiet.getvalue() == ""


def test_runs_written_by_another_hiresim_version_are_never_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim

    _fake_model(monkeypatch)
    written_by = sim.__version__
    execute(_plan(tmp_path), workers=1, progress=_quiet())
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    monkeypatch.setattr(sim, "__version__", "9.9.9")
    plan = _plan(tmp_path)
    assert runner.completed_tasks(plan) == set()
    with pytest.raises(runner.DefinitionConflict) as info:
        execute(plan, workers=1, progress=_quiet())
    assert len(info.value.problems) == 2  # both scenarios
    assert f"written by hiresim {written_by}, this is hiresim 9.9.9" in info.value.problems[0]
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")} == before
    for folder in tmp_path.glob("*/scenario=*"):
        shutil.rmtree(folder)
    assert execute(plan, workers=1, progress=_quiet()).exit_code == 0


def test_an_engine_runs_plans_in_turn_as_one_session_of_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch)
    base, other = _scenarios()
    execute(_plan(tmp_path, seeds=(9,)), workers=1, progress=_quiet())  # an earlier command
    first = RunPlan(out=tmp_path, scenarios=(base,), seeds=(1, 2), command=("hiresim", "y"))
    second = RunPlan(out=tmp_path, scenarios=(other,), seeds=(1, 2), command=("hiresim", "y"))
    with runner.Engine(workers=1, progress=_quiet()) as engine:
        reports = [engine.execute(first), engine.execute(second), engine.execute(first)]
        manifest = store.read_manifest(tmp_path)
        started = manifest["started"]
    assert [(r.total, r.skipped, r.done) for r in reports] == [(2, 0, 2), (2, 0, 2), (2, 2, 2)]
    # One history entry (the earlier command), none for the session's own plans; the summary
    # counts the session's tasks, and the earlier command's tasks stay on record.
    assert [h["command_line"] for h in manifest["history"]] == ["hiresim x"]
    assert manifest["summary"] == {"total": 4, "done": 4, "failed": 0, "pending": 0}
    assert {(t["scenario"], t["seed"]) for t in manifest["tasks"]} == {
        (s.name, seed) for s in (base, other) for seed in (1, 2, 9)
    }
    assert manifest["started"] == started and manifest["status"] == "done"


def test_incomplete_reports_raise_for_callers_that_need_every_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch, fail_seed=2)
    report = execute(_plan(tmp_path), workers=1, progress=_quiet())
    with pytest.raises(runner.TasksFailed, match="2 of 4 tasks failed") as err:
        report.raise_if_incomplete()
    assert "boom on seed 2" in str(err.value)
    _fake_model(monkeypatch, interrupt_seed=1)
    interrupted = execute(_plan(tmp_path / "b"), workers=1, progress=_quiet())
    with pytest.raises(runner.Interrupted, match="0 of 4 tasks done"):
        interrupted.raise_if_incomplete()
    _fake_model(monkeypatch)
    execute(_plan(tmp_path / "c"), workers=1, progress=_quiet()).raise_if_incomplete()
