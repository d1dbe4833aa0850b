"""Many runs: scenarios x seeds on a process pool or a Dask cluster, written to a run folder.

A :class:`RunPlan` names the scenarios, the seeds (shared by every scenario: common random
numbers), the run folder and whether to keep agent snapshots. :func:`execute` runs the plan's
(scenario, seed) tasks and writes each task's tables as soon as it finishes (layout in
:mod:`sim.experiments.store`), rewriting ``manifest.json`` after every task.

Workers get the scenario as ``Scenario.to_dict()`` JSON plus the seed and return the tables as
Arrow IPC bytes; only this process writes files, so a Dask cluster needs no shared file system,
and results are the same whatever the executor and worker count.

A run folder is resumable: a task whose files exist with the scenario's hash is skipped, so
running the same command again redoes only what is missing. Files of a *different* definition of
a scenario with the same name make :func:`execute` refuse (:class:`DefinitionConflict`) rather
than mix results.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import io
import json
import logging
import multiprocessing
import os
import shlex
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import pyarrow as pa

from sim.experiments import store

if TYPE_CHECKING:
    from sim.inputs.params import Value
    from sim.inputs.scenario import Scenario

ExecutorKind = Literal["process", "dask"]
EXECUTORS: tuple[str, ...] = ("process", "dask")
MANIFEST_FORMAT = 1

# Tables a task writes, in write order: metrics goes last because its file marks the task done.
_WRITE_ORDER: tuple[str, ...] = ("groups", "students", "employers", "metrics")


class RunError(Exception):
    """A run that cannot start; the message says why and what to do."""


class ExecutorUnavailable(RunError):
    """The requested executor cannot be used (missing package, unreachable scheduler)."""


class Interrupted(RunError):
    """Ctrl-C stopped a plan; its finished tasks are kept in the run folder."""


class TasksFailed(RunError):
    """Tasks of a plan raised; the others are kept in the run folder."""


class DefinitionConflict(RunError):
    """The run folder holds results of a different definition of a scenario of the plan."""

    def __init__(self, out: Path, problems: Sequence[str]) -> None:
        self.out = out
        self.problems = tuple(problems)
        lines = [f"{out} already holds results of a different definition of a scenario:"]
        lines += [f"  - {p}" for p in problems]
        lines.append(
            "Results of different definitions are never mixed in one folder. Run into another "
            f"folder (--out or --name), or delete the old results ({out}/*/scenario=<name>/)."
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True, order=True)
class Task:
    """One run of one scenario on one seed."""

    scenario: str
    seed: int

    def __str__(self) -> str:
        return f"{self.scenario} seed {self.seed}"


@dataclass(frozen=True)
class RunPlan:
    """What to run and where to write it.

    Attributes:
        out: The run folder.
        scenarios: Resolved scenarios; each one's ``run`` settings (months, students) apply.
        seeds: Seeds every scenario runs on.
        agents: Also write end-of-run student and employer snapshots.
        varied: Per scenario name, parameter values written as constant columns of its metrics
            (a sweep's design point); empty for plain runs.
        command: The command line that made the plan (recorded, and printed to resume).
        name: The run's name (default: the folder's name).
        extra: More top-level manifest entries (a sweep's design).
    """

    out: Path
    scenarios: tuple[Scenario, ...]
    seeds: tuple[int, ...]
    agents: bool = False
    varied: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    command: tuple[str, ...] = ()
    name: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [s.name for s in self.scenarios]
        if not names:
            raise ValueError("a run needs at least one scenario")
        if len(set(names)) != len(names):
            raise ValueError(f"scenario names repeat: {', '.join(names)}")
        for name in names:
            store.check_partition_value(name)
        if not self.seeds:
            raise ValueError("a run needs at least one seed")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds repeat")
        if any(int(s) < 0 for s in self.seeds):
            raise ValueError("seeds must be non-negative")

    @property
    def tasks(self) -> tuple[Task, ...]:
        """Every (scenario, seed) task, scenario-major."""
        return tuple(Task(s.name, int(seed)) for s in self.scenarios for seed in self.seeds)

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables that must exist for a task to count as done."""
        return ("metrics", "students", "employers") if self.agents else ("metrics",)

    @property
    def command_line(self) -> str:
        """The command as one shell-quoted line."""
        return shlex.join(self.command)


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised."""

    task: Task
    error: str


@dataclass(frozen=True)
class RunReport:
    """What :func:`execute` did.

    Attributes:
        out: The run folder.
        total: Tasks in the plan.
        skipped: Tasks already done before this call.
        done: Tasks done now (including skipped ones).
        failed: Tasks that raised, with their error.
        interrupted: The run was stopped by Ctrl-C; the rest is pending.
        wall_seconds: Time this call took.
    """

    out: Path
    total: int
    skipped: int
    done: int
    failed: tuple[TaskFailure, ...]
    interrupted: bool
    wall_seconds: float

    @property
    def pending(self) -> int:
        """Tasks neither done nor failed."""
        return self.total - self.done - len(self.failed)

    def raise_if_incomplete(self) -> None:
        """For callers that need every task's results: raise unless every task is done.

        Raises:
            Interrupted: The run was stopped by Ctrl-C.
            TasksFailed: A task raised (the message lists up to five, with their errors).
        """
        if self.interrupted:
            raise Interrupted(
                f"interrupted: {self.done} of {self.total} tasks done; finished results are kept "
                f"in {self.out}"
            )
        if self.failed:
            lines = [f"{len(self.failed)} of {self.total} tasks failed:"]
            lines += [f"  {f.task}: {f.error}" for f in self.failed[:5]]
            lines.append(f"Errors and tracebacks are in {self.out / store.MANIFEST}.")
            raise TasksFailed("\n".join(lines))

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 1 when a task failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


# ==================================================================== worker side


def run_task(
    scenario_json: str,
    seed: int,
    agents: bool = False,
    varied: Mapping[str, Value] | None = None,
) -> dict[str, Any]:
    """Run one scenario on one seed; the function workers execute (top level, so spawn-safe).

    Args:
        scenario_json: ``json.dumps(scenario.to_dict())``.
        seed: The seed.
        agents: Also return student and employer snapshots.
        varied: Parameter values to add to the metrics as constant columns.

    Returns:
        ``tables`` (table name to Arrow IPC stream bytes), ``worker``, ``started``, ``ended``
        and ``wall_seconds``; when the model raised, ``error`` and ``traceback`` instead of
        ``tables``. Exceptions are returned, not raised, so every executor reports them alike.
    """
    started, t0 = _now(), time.perf_counter()
    outcome: dict[str, Any] = {"worker": _worker_id()}
    try:
        from sim.experiments import simulate
        from sim.inputs.scenario import Scenario

        scenario = Scenario.from_dict(json.loads(scenario_json))
        result = simulate.run_scenario(
            scenario,
            seed,
            months=scenario.run.months,
            students=scenario.run.students,
            agents=agents,
            groups=True,
        )
        metrics = _with_constants(result.metrics, varied or {})
        tables = {"metrics": metrics, "groups": result.groups}
        if agents:
            tables |= {"students": result.students, "employers": result.employers}
        outcome["tables"] = {k: _to_ipc(v) for k, v in tables.items() if v is not None}
    except Exception as exc:
        outcome |= _error_fields(exc)
    outcome |= {
        "started": started,
        "ended": _now(),
        "wall_seconds": round(time.perf_counter() - t0, 3),
    }
    return outcome


_ARROW_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


def _with_constants(table: pa.Table, values: Mapping[str, Value]) -> pa.Table:
    for name, value in values.items():
        column = pa.array([value] * table.num_rows, _ARROW_TYPES[type(value)])
        table = table.append_column(name, column)
    return table


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _error_fields(exc: BaseException) -> dict[str, str]:
    return {
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(exc)),
    }


def _worker_id() -> str:
    host = f"{socket.gethostname()}:{os.getpid()}"
    if "distributed" in sys.modules:
        with contextlib.suppress(Exception):
            from distributed import get_worker

            return f"{get_worker().address} ({host})"
    return host


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group; only the parent handles it (and stops workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Import the model now, so that the first task's wall time is the model's alone.


# ==================================================================== executors


@dataclass(frozen=True)
class _Payload:
    task: Task
    scenario_json: str
    agents: bool
    varied: Mapping[str, Value]


class _Backend:
    """Runs payloads and yields (task, outcome) as tasks finish; ``close`` stops everything."""

    def results(self, payloads: Sequence[_Payload]) -> Iterator[tuple[Task, dict[str, Any]]]:
        raise NotImplementedError

    def close(self, cancel: bool) -> None:
        """Release workers; ``cancel`` drops queued tasks and stops running ones."""

    describe: str = ""


class _InProcess(_Backend):
    describe = "in this process"

    def results(self, payloads: Sequence[_Payload]) -> Iterator[tuple[Task, dict[str, Any]]]:
        for p in payloads:
            yield p.task, run_task(p.scenario_json, p.task.seed, p.agents, p.varied)


class _ProcessPool(_Backend):
    def __init__(self, workers: int) -> None:
        self.describe = f"on {workers} worker processes"
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )

    def results(self, payloads: Sequence[_Payload]) -> Iterator[tuple[Task, dict[str, Any]]]:
        # Workers start during the submits and copy the environment then.
        with _single_threaded_libraries():
            futures = {
                self.pool.submit(run_task, p.scenario_json, p.task.seed, p.agents, p.varied): p.task
                for p in payloads
            }
        for future in cf.as_completed(futures):
            task = futures.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the worker process died (BrokenProcessPool)
                outcome = _error_fields(exc)
            yield task, outcome

    def close(self, cancel: bool) -> None:
        if not cancel:
            self.pool.shutdown(wait=True)
            return
        # No public way to stop running workers before Python 3.14: terminate them directly.
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=10)


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_libraries() -> Iterator[None]:
    """One BLAS/OpenMP thread in worker processes started inside (as Dask's nanny does).

    Several workers each running a thread per core would oversubscribe the machine. Variables
    the user has set are left alone.
    """
    added = [name for name in _THREAD_VARS if name not in os.environ]
    os.environ.update(dict.fromkeys(added, "1"))
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


class _Dask(_Backend):
    def __init__(self, workers: int, scheduler: str | None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutorUnavailable(
                "--executor dask needs Dask distributed: pip install hiresim[dask]"
            ) from exc
        self.cluster = None
        self.futures: dict[Any, Task] = {}
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ExecutorUnavailable(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from exc
            self.describe = f"on the Dask cluster at {scheduler}"
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            self.describe = (
                f"on a local Dask cluster of {workers} workers "
                f"(dashboard {self.client.dashboard_link})"
            )

    def results(self, payloads: Sequence[_Payload]) -> Iterator[tuple[Task, dict[str, Any]]]:
        from dask.distributed import as_completed

        self.futures = {
            self.client.submit(
                run_task,
                p.scenario_json,
                p.task.seed,
                p.agents,
                dict(p.varied),
                key=f"hiresim-{p.task.scenario}-{p.task.seed}-{os.urandom(4).hex()}",
                pure=False,
            ): p.task
            for p in payloads
        }
        for future in as_completed(list(self.futures)):
            task = self.futures.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # lost worker, KilledWorker, cancelled...
                outcome = _error_fields(exc)
            future.release()
            yield task, outcome

    def close(self, cancel: bool) -> None:
        with contextlib.suppress(Exception):
            if cancel and self.futures:
                self.client.cancel(list(self.futures))
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def _backend(kind: str, workers: int, scheduler: str | None) -> _Backend:
    if kind == "dask":
        return _Dask(workers, scheduler)
    if kind != "process":
        raise RunError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTORS)}")
    if scheduler:
        raise RunError("--scheduler is for --executor dask")
    return _InProcess() if workers == 1 else _ProcessPool(workers)


# ==================================================================== progress


class Progress:
    """Task progress on a stream: a bar on a terminal, log lines otherwise, or nothing.

    Args:
        stream: Where to write (default ``sys.stderr``).
        mode: ``bar``, ``log``, ``quiet`` or ``auto`` (``bar`` when the stream is a terminal).
    """

    width = 28

    def __init__(
        self,
        stream: TextIO | None = None,
        mode: Literal["auto", "bar", "log", "quiet"] = "auto",
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "log"
        self.mode = mode
        self.total = self.done = self.skipped = self.failed = 0
        self.t0 = time.monotonic()
        self._bar_shown = False

    def start(self, total: int, skipped: int) -> None:
        """Begin counting: ``skipped`` of ``total`` tasks are done already."""
        self.total, self.skipped, self.done = total, skipped, skipped
        self.t0 = time.monotonic()
        self._draw()

    def message(self, text: str) -> None:
        """A line of its own (kept above the bar)."""
        if self.mode == "quiet":
            return
        self._clear()
        print(text, file=self.stream, flush=True)
        self._draw()

    def task_done(self, task: Task, seconds: float | None, error: str | None = None) -> None:
        """Count a finished task; failures get a line of their own in every mode but quiet."""
        self.done += 1
        if error is not None:
            self.failed += 1
            self.message(f"FAILED {task}: {error}")
        elif self.mode == "log":
            took = f" in {seconds:.1f} s" if seconds is not None else ""
            self.message(f"[{self.done}/{self.total}] {task} done{took}; {self._timing()}")
        else:
            self._draw()

    def close(self) -> None:
        """Leave the finished bar on its own line."""
        if self.mode == "bar" and self._bar_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_shown = False

    def _timing(self) -> str:
        elapsed = time.monotonic() - self.t0
        ran = self.done - self.skipped
        left = self.total - self.done
        eta = _clock(elapsed / ran * left) if ran and left else ("0:00" if not left else "?")
        return f"elapsed {_clock(elapsed)}, ETA {eta}"

    def _draw(self) -> None:
        if self.mode != "bar" or not self.total:
            return
        filled = round(self.width * self.done / self.total)
        failed = f", {self.failed} failed" if self.failed else ""
        line = (
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} tasks"
            f"{failed}  {self._timing()}"
        )
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self._bar_shown = True

    def _clear(self) -> None:
        if self.mode == "bar" and self._bar_shown:
            self.stream.write("\r\x1b[K")
            self._bar_shown = False


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# ==================================================================== the run


def default_workers() -> int:
    """Workers when none are asked for: the machine's core count."""
    return os.cpu_count() or 1


_DiskHashes = dict[tuple[str, int, str], str]


def find_conflicts(plan: RunPlan, on_disk: _DiskHashes | None = None) -> list[str]:
    """Scenarios of the plan that the run folder already holds with another definition.

    The files are the truth: each one's metadata hash is compared, so deleting a scenario's
    old files (``<run>/*/scenario=<name>/``) is enough to reuse its name.

    Args:
        plan: The plan.
        on_disk: The files' hashes, when already read (:func:`disk_hashes`).

    Returns:
        One message per conflicting scenario; empty when the plan can run into the folder.
    """
    hashes = {s.name: s.hash for s in plan.scenarios}
    found: dict[str, set[str]] = {name: set() for name in hashes}
    if on_disk is None:
        on_disk = disk_hashes(plan)
    for (name, _seed, _table), digest in on_disk.items():
        if digest != _DAMAGED:
            found[name].add(digest)
    problems = []
    for name, digests in found.items():
        versions = sorted(d.removeprefix(_OTHER_VERSION) for d in digests if _is_other(d))
        if versions:
            problems.append(
                f"scenario {name!r}: the folder has runs written by hiresim "
                f"{', '.join(versions)}, this is hiresim {_running_version()}, whose runs of "
                "the same seed differ (its random draws changed)"
            )
        other = sorted(d for d in digests - {hashes[name]} if not _is_other(d))
        if other:
            problems.append(
                f"scenario {name!r}: the folder has hash {', '.join(d[:12] for d in other)}, "
                f"this run has {hashes[name][:12]} (a changed scenario file, parameter, "
                "--months or --students changes the hash)"
            )
    return problems


_OTHER_VERSION = "written-by-hiresim:"
_DAMAGED = "damaged"


def _running_version() -> str:
    return store.versions()[store.META_VERSION]


def _is_other(digest: str) -> bool:
    return digest.startswith(_OTHER_VERSION)


def disk_hashes(plan: RunPlan) -> _DiskHashes:
    """The scenario hash in each file of the plan's scenarios, by (scenario, seed, table).

    A file written by another version of hiresim is marked instead (``_OTHER_VERSION`` and its
    version): versions whose random draws differ give different runs for the same seed, so such
    a file is never resumed from, and :func:`find_conflicts` names it. An unreadable file is
    marked ``_DAMAGED``: its task is redone.
    """
    names = {s.name for s in plan.scenarios}
    running = _running_version()
    hashes: _DiskHashes = {}
    for table in store.TABLES:
        for (name, seed), path in store.scan_parts(plan.out, table).items():
            if name not in names:
                continue
            try:
                meta = store.read_part_metadata(path)
            except store.DamagedRunError:
                hashes[(name, seed, table)] = _DAMAGED
                continue
            version = meta.get(store.META_VERSION, running)
            digest = meta.get(store.META_HASH, "")
            hashes[(name, seed, table)] = digest if version == running else _OTHER_VERSION + version
    return hashes


def completed_tasks(plan: RunPlan, on_disk: _DiskHashes | None = None) -> set[Task]:
    """Tasks of the plan whose files exist with the scenario's current hash, none damaged."""
    hashes = {s.name: s.hash for s in plan.scenarios}
    if on_disk is None:
        on_disk = disk_hashes(plan)
    written = {*plan.tables, "groups"}  # every task writes groups too, so rewrites a damaged one
    return {
        t
        for t in plan.tasks
        if all(
            on_disk.get((t.scenario, t.seed, table)) == hashes[t.scenario] for table in plan.tables
        )
        and not any(on_disk.get((t.scenario, t.seed, table)) == _DAMAGED for table in written)
    }


class _Manifest:
    """The manifest of a run folder, kept in memory and rewritten after every change."""

    def __init__(
        self,
        plan: RunPlan,
        executor: dict[str, Any],
        done: set[Task],
        started: str,
        earlier: Sequence[Task] = (),
    ) -> None:
        self.plan = plan
        self.counted = tuple(dict.fromkeys([*earlier, *plan.tasks]))
        previous = store.read_manifest(plan.out)
        by_name = {s.name: s for s in plan.scenarios}
        old_tasks = {(t["scenario"], t["seed"]): t for t in previous.get("tasks", [])}
        tasks: list[dict[str, Any]] = []
        for task in plan.tasks:
            old = old_tasks.pop((task.scenario, task.seed), None)
            if task in done:
                entry = dict(old) if old and old.get("status") == "done" else {}
                entry = {**_task_entry(task, by_name[task.scenario].hash), **entry}
                entry["status"] = "done"
            else:
                entry = _task_entry(task, by_name[task.scenario].hash)
            tasks.append(entry)
        # Earlier results still valid in the folder stay on record: other scenarios, and other
        # seeds of this plan's scenarios with the same definition.
        tasks += [
            t
            for key, t in old_tasks.items()
            if key[0] not in by_name or t.get("hash") == by_name[key[0]].hash
        ]
        scenarios = [_scenario_entry(s, plan.varied.get(s.name)) for s in plan.scenarios]
        scenarios += [s for s in previous.get("scenarios", []) if s.get("name") not in by_name]
        history = list(previous.get("history", []))
        if previous.get("command") and previous.get("started") != started:
            # An earlier command; a plan of the same session (an Engine) extends its own entry.
            history.append({k: previous.get(k) for k in _HISTORY_KEYS})
        first = plan.scenarios[0].run
        self.data: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "name": plan.name or plan.out.name,
            "command": list(plan.command),
            "command_line": plan.command_line,
            "cwd": os.getcwd(),
            "status": "running",
            "started": started,
            "ended": None,
            "wall_seconds": None,
            "seeds": [int(s) for s in plan.seeds],
            "months": first.months,
            "students": first.students,
            "agents": plan.agents,
            "executor": executor,
            "versions": store.versions(),
            "scenarios": scenarios,
            **dict(plan.extra),
            "summary": {},
            "tasks": tasks,
            "history": history,
        }
        self._index = {(t["scenario"], t["seed"]): t for t in tasks}
        self._summarise()

    def update(self, task: Task, **fields: Any) -> None:
        self._index[(task.scenario, task.seed)].update(fields)
        self._summarise()
        self.flush()

    def is_done(self, task: Task) -> bool:
        """Whether the manifest records ``task`` as done."""
        return bool(self._index[(task.scenario, task.seed)]["status"] == "done")

    def finish(self, status: str, wall_seconds: float) -> None:
        self.data |= {"status": status, "ended": _now(), "wall_seconds": round(wall_seconds, 3)}
        self.flush()

    def flush(self) -> None:
        store.write_manifest(self.plan.out, self.data)

    def _summarise(self) -> None:
        current = [self._index[(t.scenario, t.seed)] for t in self.counted]
        counts = {s: sum(t["status"] == s for t in current) for s in ("done", "failed", "pending")}
        self.data["summary"] = {"total": len(current), **counts}


_HISTORY_KEYS = ("command_line", "started", "ended", "status", "summary")


def _task_entry(task: Task, scenario_hash: str) -> dict[str, Any]:
    return {
        "scenario": task.scenario,
        "seed": task.seed,
        "hash": scenario_hash,
        "status": "pending",
        "error": None,
        "traceback": None,
        "wall_seconds": None,
        "worker": None,
        "started": None,
        "ended": None,
        "tables": [],
    }


def _scenario_entry(scenario: Scenario, varied: Mapping[str, Value] | None) -> dict[str, Any]:
    run = scenario.run
    entry: dict[str, Any] = {
        "name": scenario.name,
        "hash": scenario.hash,
        "description": scenario.description,
        "months": run.months,
        "students": run.students,
        "burn_in_months": run.burn_in_months,
    }
    if varied:
        entry["varied"] = dict(varied)
    return entry


def execute(
    plan: RunPlan,
    *,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run the plan's tasks that are not done yet and write their results.

    Ctrl-C (KeyboardInterrupt) stops the run: queued tasks are cancelled, workers are stopped,
    the manifest records the rest as pending and the report says ``interrupted``.

    Args:
        plan: What to run and where.
        executor: ``process`` or ``dask``.
        workers: Worker processes (default: the core count); 1 with ``process`` runs the tasks
            in this process.
        scheduler: Address of an existing Dask scheduler (``tcp://host:8786``).
        progress: Progress display (default: ``Progress()`` on stderr).

    Returns:
        What was done.

    Raises:
        DefinitionConflict: The folder holds another definition of a plan scenario.
        ExecutorUnavailable: Dask is missing or the scheduler unreachable.
        store.RunLockedError: Another run is writing to the folder.
    """
    with Engine(executor, workers=workers, scheduler=scheduler, progress=progress) as engine:
        return engine.execute(plan)


class Engine:
    """Executes plans one after another on the same workers.

    :func:`execute` runs one plan; an engine serves a caller whose next plan depends on the
    last one's results (calibration runs one plan per parameter point it tries), so workers are
    started once. Plans executed into the same folder by one engine form one session of its
    manifest: one entry in its history, a summary over all of the session's tasks.

    Use as a context manager; the workers stop on exit.

    Args:
        executor: ``process`` or ``dask``.
        workers: Worker processes (default: the core count); 1 with ``process`` runs the tasks
            in this process. Workers start with the first plan that has tasks to run, at most
            as many as it has tasks.
        scheduler: Address of an existing Dask scheduler (``tcp://host:8786``).
        progress: Progress display (default: ``Progress()`` on stderr).

    Raises:
        RunError: For an unknown executor or fewer than one worker.
    """

    def __init__(
        self,
        executor: str = "process",
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise RunError("--workers must be at least 1")
        if executor not in EXECUTORS:
            raise RunError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
        self.executor = executor
        self.scheduler = scheduler
        self.progress = progress or Progress()
        self._backend: _Backend | None = None
        self._sessions: dict[Path, tuple[str, list[Task]]] = {}
        self._manifests: dict[Path, _Manifest] = {}

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(cancel=kind is not None)
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            # Stopped between plans: each folder's session ends interrupted, not done.
            for out, manifest in self._manifests.items():
                if manifest.data["status"] == "done":
                    manifest.data["status"] = "interrupted"
                    with contextlib.suppress(store.RunLockedError), store.RunLock(out):
                        manifest.flush()

    def close(self, cancel: bool = False) -> None:
        """Stop the workers (``cancel``: without waiting for running tasks)."""
        if self._backend is not None:
            self._backend.close(cancel=cancel)
            self._backend = None

    def execute(self, plan: RunPlan) -> RunReport:
        """Run the plan's tasks that are not done yet and write their results.

        As :func:`execute`; after an interrupted plan the workers are stopped (the next plan
        starts new ones).
        """
        t0, now = time.monotonic(), _now()
        try:
            plan.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(
                f"cannot create the run folder {plan.out}: {exc.strerror or exc}"
            ) from None
        started, earlier = self._sessions.get(plan.out.resolve(), (now, []))
        with store.RunLock(plan.out):
            store.clean_temp_files(plan.out)
            on_disk = disk_hashes(plan)
            problems = find_conflicts(plan, on_disk)
            if problems:
                raise DefinitionConflict(plan.out, problems)
            tasks = plan.tasks
            done = completed_tasks(plan, on_disk)
            todo = [t for t in tasks if t not in done]
            executor_info = {
                "kind": self.executor,
                "workers": self.workers,
                "scheduler": self.scheduler,
            }
            manifest = _Manifest(plan, executor_info, done, started, earlier)
            manifest.flush()
            self._sessions[plan.out.resolve()] = (started, list(manifest.counted))
            self._manifests[plan.out.resolve()] = manifest
            if done:
                rest = f"; running the other {len(todo)}" if todo else "; nothing to do"
                self.progress.message(f"{len(done)} of {len(tasks)} tasks already done{rest}")
            failures: list[TaskFailure] = []
            interrupted = False
            if todo:
                interrupted = self._run_tasks(plan, todo, manifest, failures)
            wall = time.monotonic() - t0
            status = "interrupted" if interrupted else "failed" if failures else "done"
            manifest.finish(status, wall)
        return RunReport(
            out=plan.out,
            total=len(tasks),
            skipped=len(done),
            done=sum(t in done or manifest.is_done(t) for t in tasks),
            failed=tuple(failures),
            interrupted=interrupted,
            wall_seconds=wall,
        )

    def _run_tasks(
        self,
        plan: RunPlan,
        todo: Sequence[Task],
        manifest: _Manifest,
        failures: list[TaskFailure],
    ) -> bool:
        """Run ``todo``, writing results as they come; returns True when interrupted."""
        progress = self.progress
        by_name = {s.name: s for s in plan.scenarios}
        scenario_json = {s.name: json.dumps(s.to_dict()) for s in plan.scenarios}
        payloads = [
            _Payload(t, scenario_json[t.scenario], plan.agents, plan.varied.get(t.scenario, {}))
            for t in todo
        ]
        progress.start(total=len(plan.tasks), skipped=len(plan.tasks) - len(todo))
        try:
            if self._backend is None:  # no more workers than the plan has tasks
                workers = min(self.workers, len(plan.tasks))
                self._backend = _backend(self.executor, workers, self.scheduler)
            progress.message(f"running {len(todo)} tasks {self._backend.describe}")
            for task, outcome in self._backend.results(payloads):
                self._record(plan, by_name[task.scenario], task, outcome, manifest, failures)
        except KeyboardInterrupt:
            self.close(cancel=True)
            progress.close()
            return True
        progress.close()
        return False

    def _record(
        self,
        plan: RunPlan,
        scenario: Scenario,
        task: Task,
        outcome: dict[str, Any],
        manifest: _Manifest,
        failures: list[TaskFailure],
    ) -> None:
        """Write a finished task's tables and record it in the manifest."""
        timing = {k: outcome.get(k) for k in ("worker", "started", "ended", "wall_seconds")}
        error = outcome.get("error")
        if error is None:
            try:
                written = _write_outcome(plan, scenario, task, outcome["tables"])
            except Exception as exc:  # e.g. disk full: the task failed, the run goes on
                error, outcome = f"writing results: {type(exc).__name__}: {exc}", {}
        if error is None:
            manifest.update(
                task, status="done", error=None, traceback=None, tables=written, **timing
            )
        else:
            failures.append(TaskFailure(task, error))
            manifest.update(
                task, status="failed", error=error, traceback=outcome.get("traceback"), **timing
            )
        self.progress.task_done(task, outcome.get("wall_seconds"), error)


@contextlib.contextmanager
def engine_or_default(engine: Engine | None) -> Iterator[Engine]:
    """``engine`` as given (its owner stops it), or a quiet :class:`Engine` on the core count of
    worker processes, stopped on exit."""
    if engine is not None:
        yield engine
        return
    with Engine(progress=Progress(mode="quiet")) as default:
        yield default


def _write_outcome(
    plan: RunPlan, scenario: Scenario, task: Task, tables: Mapping[str, bytes]
) -> list[str]:
    metadata = store.file_metadata(scenario.to_dict(), scenario.hash, task.seed)
    written = []
    for table in _WRITE_ORDER:
        if table not in tables:
            continue
        reader = pa.ipc.open_stream(io.BytesIO(tables[table]))
        store.write_part(
            store.part_path(plan.out, table, task.scenario, task.seed), reader, metadata
        )
        written.append(table)
    return written
