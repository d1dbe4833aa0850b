"""What-ifs: a shipped scenario with some assumptions changed and some policies switched off,
written as an ordinary scenario file and run against its parent in the background.

A :class:`WhatIf` is rendered as TOML (:meth:`WhatIf.render`) and resolved by
:func:`sim.inputs.scenario.loads_scenario`, so the page's input is checked by the same code, and
gets the same messages, as a scenario file given to ``hiresim run``. The file extends the parent's
nearest ancestor whose policies are all still on: with every policy on that is the parent itself
and the file lists only the changed parameters.

:class:`Job` runs one what-if at a time through :func:`sim.experiments.runner.execute` (the engine
of ``hiresim run``) in a background thread, into an ordinary run folder
``<root>/<name>-<hash>``, counting tasks through a :class:`sim.experiments.runner.Progress`; a
cancel stops the run when the next task finishes (finished tasks are kept, and the same what-if
resumes).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from sim.analysis.compare import CompareError, compare
from sim.analysis.report import KEY_METRICS
from sim.experiments import runner, store
from sim.inputs.params import REGISTRY, Param, defaults
from sim.inputs.scenario import (
    RUN_LIMITS,
    Policy,
    Problem,
    Scenario,
    ScenarioError,
    default_scenario,
    find_scenario,
    load_scenario,
    loads_scenario,
)
from sim.inputs.scenario_toml import extends_ref, toml_multiline, toml_value

_ARGS = "(arguments)"
WHATIF_ROOT = Path("outputs") / "explore"
"""Where what-if runs are written (one run folder per what-if and run size)."""
HEADER = "# What-if made with `hiresim explore`"
"""First line of a written what-if file; only such files are overwritten by a later save."""

EXTRA_PARAMS: tuple[str, ...] = ("employers.premium_share",)
LABOUR_DEMAND: tuple[str, ...] = (
    "market.supply_absorption_rate",
    "market.labour_demand_elasticity",
    "market.demand_adjustment_rate",
    "wages.productivity_pass_through",
    "market.pre_graduation_search_months",
)
"""Literature-sourced labour-demand parameters offered besides the assumptions: their ranges
are wide and results depend on them."""
"""Parameters offered besides those the rule of :func:`what_if_params` picks."""
STUDENT_RESPONSE: tuple[str, ...] = (
    "students.return_elasticity",
    "students.expectation_weight",
    "students.expectation_lag_months",
)
"""How students follow the MC returns they see (sim.model.expectations): the elasticity has a wide
literature range, the weight and lag are assumptions."""
DEMAND_GROUPS: tuple[str, ...] = ("employers", "market")
"""Parameter groups whose assumptions (labour demand, hiring) are offered."""

SMALL_RUN: Mapping[str, int] = {"students": 3000, "seeds": 3, "months": 24}
"""The default size of a what-if run: small enough to take seconds."""


def what_if_params() -> tuple[tuple[str, tuple[Param, ...]], ...]:
    """The parameters a what-if can change, in titled sections, in registry order.

    The rule, so that parameters added to the registry appear without a change here: every
    ``*_conversion`` parameter (how much of a stated attitude becomes behaviour), the
    :data:`EXTRA_PARAMS`, every numeric ``assumption`` parameter of the :data:`DEMAND_GROUPS`, and
    the labour-demand parameters of :data:`LABOUR_DEMAND`, and students' response to returns
    (:data:`STUDENT_RESPONSE`).
    """
    numeric = [p for p in REGISTRY.values() if p.kind in (int, float)]
    conversions = tuple(p for p in numeric if p.name.endswith("_conversion"))
    extra = tuple(REGISTRY[n] for n in EXTRA_PARAMS if n in REGISTRY)
    taken = {p.name for p in conversions + extra}
    demand = tuple(
        p
        for p in numeric
        if p.name not in taken
        and (
            (p.group in DEMAND_GROUPS and p.source_kind == "assumption") or p.name in LABOUR_DEMAND
        )
    )
    return (
        ("Survey-to-behaviour conversions", conversions),
        ("Employer premium", extra),
        ("Labour demand and hiring", demand),
        ("Students' response to returns", tuple(REGISTRY[n] for n in STUDENT_RESPONSE)),
    )


def offered_names() -> tuple[str, ...]:
    """Every parameter name of :func:`what_if_params`."""
    return tuple(p.name for _, params in what_if_params() for p in params)


# ==================================================================== the what-if


@dataclass(frozen=True)
class WhatIf:
    """A scenario derived from a shipped one.

    Attributes:
        parent: The scenario it starts from (as loaded, at its own run settings).
        name: The what-if's name (the file's stem when saved).
        changes: New base values by parameter name (values equal to the parent's are ignored).
        off: Indices into ``parent.policies`` of the policies switched off.
    """

    parent: Scenario
    name: str
    changes: Mapping[str, object] = field(default_factory=dict)
    off: frozenset[int] = frozenset()

    def _ancestor(self) -> int:
        """Index into the parent's chain of the scenario the file extends."""
        chain = self.parent.chain or (self.parent.name,)
        origins = self.parent.policy_origins or (self.parent.name,) * len(self.parent.policies)
        for i in range(len(chain)):
            inherited = set(chain[i:])
            if all(j not in self.off for j, o in enumerate(origins) if o in inherited):
                return i
        return len(chain)

    def _base(self) -> tuple[Scenario | None, list[tuple[int, Policy]]]:
        """The scenario extended (None: none) and the parent's policies the file lists."""
        chain = self.parent.chain or (self.parent.name,)
        origins = self.parent.policy_origins or (self.parent.name,) * len(self.parent.policies)
        i = self._ancestor()
        if i == 0:
            base: Scenario | None = self.parent
        elif i < len(chain):
            where = Path(self.parent.source).parent if self.parent.source else None
            base = load_scenario(find_scenario(chain[i], where))
        else:
            base = None
        own = set(chain[:i])
        listed = [
            (j, p)
            for j, (p, o) in enumerate(zip(self.parent.policies, origins, strict=True))
            if o in own and j not in self.off
        ]
        return base, listed

    def render(self, out_dir: Path | str = ".") -> str:
        """The what-if as a scenario file (TOML) to be written in ``out_dir``.

        Values are written as given, so a bad one reaches the scenario checks (and their
        messages) when the text is loaded.
        """
        base, policies = self._base()
        parent = self.parent
        lines = [
            f"{HEADER} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, from scenario {parent.name!r}.",
        ]
        off = [parent.policies[j] for j in sorted(self.off) if j < len(parent.policies)]
        lines += [f"# Switched off: {p.param}: {p.describe()}" for p in off]
        lines += [
            f"name = {json.dumps(self.name)}",
            "description = " + toml_multiline(self.describe()),
        ]
        if base is not None:
            lines.append(f"extends = {json.dumps(extends_ref(base, Path(out_dir)))}")
        base_run = base.run if base is not None else None
        run = {
            k: v
            for k, v in vars(parent.run).items()
            if base_run is None or getattr(base_run, k) != v
        }
        if run:
            lines += ["", "[run]", *[f"{k} = {v}" for k, v in run.items()]]
        reference = base.values() if base is not None else defaults()
        changed = self._changed()
        params = []
        for name in REGISTRY:
            value = changed.get(name, parent.value(name))
            if name in changed:
                was = f"  # {parent.name}: {toml_value(parent.value(name))}"
                params.append(f'"{name}" = {_literal(value)}{was}')
            elif value != reference[name]:
                params.append(f'"{name}" = {_literal(value)}')
        if params:
            lines += ["", "[params]", *params]
        for _, p in policies:
            lines += ["", "[[policy]]", f"param = {json.dumps(p.param)}"]
            if p.end is None:
                lines.append(f"month = {p.start}")
            else:
                lines += [f"start = {p.start}", f"end = {p.end}"]
            if p.from_value is not None:
                lines.append(f"from = {_literal(p.from_value)}")
            lines.append(f"value = {_literal(p.value)}")
            if p.note:
                lines.append(f"note = {json.dumps(p.note)}")
        return "\n".join(lines) + "\n"

    def _changed(self) -> dict[str, object]:
        """The changes that differ from the parent's values."""
        return {k: v for k, v in self.changes.items() if _differs(v, self.parent, k)}

    def describe(self) -> str:
        """The description written into the file."""
        changed = self._changed()
        parts = [
            f"{k} {toml_value(self.parent.value(k))} -> {_literal(v)}"
            for k, v in changed.items()
            if k in REGISTRY
        ]
        off = [self.parent.policies[j] for j in sorted(self.off) if j < len(self.parent.policies)]
        text = f"What-if on {self.parent.name}"
        if parts:
            text += ": " + "; ".join(parts)
        if off:
            text += ("; " if parts else ": ") + "policies switched off: "
            text += "; ".join(f"{p.param} ({p.describe()})" for p in off)
        if not parts and not off:
            text += ", unchanged"
        return text + "."

    def scenario(self, out_dir: Path | str = ".") -> Scenario:
        """The what-if resolved (at the parent's run settings), checked like a file.

        Raises:
            ScenarioError: Every problem, as ``hiresim validate`` lists them for the file.
        """
        out_dir = Path(out_dir)
        return loads_scenario(
            self.render(out_dir), file=str(out_dir / f"{self.name}.toml"), base_dir=out_dir
        )


def _differs(value: object, parent: Scenario, name: str) -> bool:
    try:
        return value != parent.value(name)
    except KeyError:
        return True


def _literal(value: object) -> str:
    """A value as a TOML literal; numbers and booleans as :mod:`sim.inputs.scenario_toml` writes
    them."""
    if isinstance(value, bool | int | float) and not (isinstance(value, float) and value != value):
        return toml_value(value)
    if isinstance(value, float):  # NaN
        return "nan"
    return json.dumps(str(value))


def parse_number(text: object) -> object:
    """A form field's value as a number when it reads as one, else as given (so the scenario
    checks name what was typed)."""
    if isinstance(text, bool | int | float) or text is None:
        return text
    s = str(text).strip()
    for kind in (int, float):
        try:
            return kind(s)
        except ValueError:
            pass
    return s


def run_size(students: object, seeds: object, months: object) -> tuple[dict[str, int], list[str]]:
    """The small run's size from the form, checked like ``hiresim run``'s options.

    Returns:
        ``{"students", "seeds", "months"}`` and the problems (``(arguments): months = 0: out of
        range [1, 600]``), empty when the size is valid.
    """
    given = {"months": months, "students": students, "seeds": seeds}  # the CLI's order
    problems: list[str] = []
    size: dict[str, int] = {}
    for key, raw in given.items():
        value = parse_number(raw)
        if value is None or value == "":
            lo, hi = RUN_LIMITS[key]
            problems.append(
                Problem(_ARGS, key, None, f"missing: a whole number in [{lo}, {hi}]").format()
            )
            continue
        try:
            size[key] = _check_run(key, value)
        except ScenarioError as err:
            problems += [p.format() for p in err.problems]
    return size, problems


def _check_run(key: str, value: object) -> int:
    """``value`` checked as the run setting ``key`` by :meth:`Scenario.with_run`."""
    checked = default_scenario().with_run(**{key: value})
    return int(getattr(checked.run, key))


# ==================================================================== files


def save(whatif: WhatIf, path: Path | str) -> Scenario:
    """Write the what-if as a scenario file that ``hiresim validate`` accepts.

    The file is loaded back before it replaces ``path``; a file that exists is replaced only
    when an earlier save wrote it.

    Raises:
        ScenarioError: The what-if does not resolve (nothing is written), or ``path`` holds a
            file this page did not write.
    """
    path = Path(path)
    if path.suffix != ".toml":
        raise ScenarioError([Problem(str(path), "", None, "expected a path ending in .toml")])
    if path.exists() and not path.read_text(errors="replace").startswith(HEADER):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    None,
                    "exists and was not written by hiresim explore; choose another file",
                )
            ]
        )
    whatif.scenario(path.parent)  # every problem before anything is written
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(whatif.render(path.parent))
    try:
        loaded = load_scenario(tmp.resolve())
    except ScenarioError:
        tmp.unlink()
        raise
    tmp.replace(path)
    return loaded


def run_command(parent: Scenario, path: Path | str, name: str) -> str:
    """The ``hiresim run`` command that runs a saved what-if and its parent at full scale."""
    ref = parent.name if parent.source is None else extends_ref(parent, Path.cwd())
    return shlex.join(["hiresim", "run", ref, str(path), "--out", str(Path("outputs") / name)])


# ==================================================================== the background run


@dataclass(frozen=True)
class Prepared:
    """A what-if ready to run: the plan and what the page shows about it."""

    plan: runner.RunPlan
    parent: str
    name: str
    scenario_file: Path


def prepare(whatif: WhatIf, size: Mapping[str, int], root: Path | str = WHATIF_ROOT) -> Prepared:
    """The run plan of a what-if and its parent at a small size, in its own folder.

    The folder is named after the what-if and a hash of both scenarios and the seeds, so the
    same what-if run again resumes (its tasks are skipped) and another one never shares a
    folder. The what-if's scenario file is written into the folder, and the plan records the
    ``hiresim run`` command that redoes the run.

    Raises:
        ScenarioError: The what-if does not resolve, or the size is out of range.
    """
    root = Path(root)
    if whatif.name == whatif.parent.name:
        raise ScenarioError(
            [Problem("(arguments)", "name", whatif.name, "must differ from the parent's name")]
        )
    months, students = size["months"], size["students"]
    child = whatif.scenario(root).with_run(months=months, students=students)
    parent = whatif.parent.with_run(months=months, students=students)
    seeds = tuple(range(1, size["seeds"] + 1))
    key = hashlib.sha256(f"{parent.hash}:{child.hash}:{seeds}".encode()).hexdigest()[:10]
    out = root / f"{whatif.name}-{key}"
    path = out / f"{whatif.name}.toml"
    parent_ref = whatif.parent.name
    if whatif.parent.source is not None:
        parent_ref = extends_ref(whatif.parent, Path.cwd())
    command = (
        "hiresim",
        "run",
        parent_ref,
        str(path),
        "--seeds",
        str(size["seeds"]),
        "--months",
        str(months),
        "--students",
        str(students),
        "--out",
        str(out),
    )
    plan = runner.RunPlan(
        out=out,
        scenarios=(parent, child),
        seeds=seeds,
        command=command,
        name=out.name,
    )
    return Prepared(plan, whatif.parent.name, whatif.name, path)


Status = Literal["idle", "running", "cancelling", "done", "failed", "cancelled"]


@dataclass(frozen=True)
class JobState:
    """What the page shows of the background run.

    Attributes:
        status: ``idle``, ``running``, ``cancelling``, ``done``, ``failed`` or ``cancelled``.
        done: Tasks done (including those done before).
        total: Tasks of the plan.
        message: One line for the reader.
        out: The run folder.
        parent: The parent scenario (the comparison's baseline).
        name: The what-if's name.
        error: What went wrong, without a traceback.
    """

    status: Status = "idle"
    done: int = 0
    total: int = 0
    message: str = ""
    out: str = ""
    parent: str = ""
    name: str = ""
    error: str = ""

    @property
    def active(self) -> bool:
        """Whether a run is going on."""
        return self.status in ("running", "cancelling")


class _JobProgress(runner.Progress):
    """Counts tasks into the job, and stops the run when a cancel was asked for."""

    def __init__(self, job: Job) -> None:
        super().__init__(mode="quiet")
        self.job = job

    def start(self, total: int, skipped: int) -> None:
        super().start(total, skipped)
        self.job._update(total=total, done=skipped)

    def task_done(self, task: runner.Task, seconds: float | None, error: str | None = None) -> None:
        super().task_done(task, seconds, error)
        self.job._update(done=self.done)
        if self.job._cancel.is_set():
            # The runner stops its workers on KeyboardInterrupt and records the rest as pending.
            raise KeyboardInterrupt


class Job:
    """One background what-if run at a time.

    Args:
        workers: Worker processes (default: the core count, at least 2, so the model never
            runs in the page server's process).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(2, runner.default_workers())
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._state = JobState()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> JobState:
        """The current state (a snapshot)."""
        with self._lock:
            return self._state

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state = _replace(self._state, **changes)

    def start(self, prepared: Prepared) -> bool:
        """Start the run in the background; False (nothing started) while another one runs."""
        with self._lock:
            if self._state.active:
                return False
            self._cancel.clear()
            plan = prepared.plan
            self._state = JobState(
                status="running",
                total=len(plan.tasks),
                message=f"running {prepared.name} against {prepared.parent}",
                out=str(plan.out),
                parent=prepared.parent,
                name=prepared.name,
            )
            self._thread = threading.Thread(
                target=self._run, args=(prepared,), name="hiresim-what-if", daemon=True
            )
            self._thread.start()
        return True

    def cancel(self) -> bool:
        """Ask the running what-if to stop (when its next task finishes); False when idle."""
        with self._lock:
            if self._state.status != "running":
                return False
            self._cancel.set()
            self._state = _replace(
                self._state, status="cancelling", message="stopping when the running tasks end"
            )
            return True

    def wait(self, timeout: float | None = None) -> JobState:
        """Wait for the background run to end (for scripts and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state

    def _run(self, prepared: Prepared) -> None:
        plan = prepared.plan
        try:
            plan.out.mkdir(parents=True, exist_ok=True)
            report = runner.execute(
                plan,
                workers=min(self.workers, len(plan.tasks)),
                progress=_JobProgress(self),
            )
        except (runner.RunError, store.RunLockedError, ScenarioError) as exc:
            self._update(status="failed", error=str(exc), message="the run could not start")
            return
        except Exception as exc:  # shown on the page; the traceback goes to the server's log
            traceback.print_exc()
            self._update(status="failed", error=f"{type(exc).__name__}: {exc}", message="failed")
            return
        if report.interrupted:
            self._update(
                status="cancelled",
                done=report.done,
                message=f"cancelled: {report.done} of {report.total} tasks done (kept; running "
                "the same what-if again resumes)",
            )
        elif report.failed:
            lines = [f"{f.task}: {f.error}" for f in report.failed[:5]]
            self._update(
                status="failed",
                done=report.done,
                message=f"{len(report.failed)} of {report.total} tasks failed",
                error="\n".join(lines),
            )
        else:
            self._update(
                status="done",
                done=report.done,
                message=f"done: {report.total} tasks in {report.wall_seconds:.1f} s",
            )


def _replace(state: JobState, **changes: Any) -> JobState:
    return replace(state, **changes)


def write_scenario_file(prepared: Prepared, whatif: WhatIf) -> None:
    """Write the what-if's file into its run folder (the recorded command reads it)."""
    prepared.scenario_file.parent.mkdir(parents=True, exist_ok=True)
    prepared.scenario_file.write_text(whatif.render(prepared.scenario_file.parent))


def result_effects(state: JobState, metrics: Sequence[str] = KEY_METRICS) -> pa.Table:
    """The what-if's effects against its parent (:func:`sim.analysis.compare.compare` rows).

    Raises:
        CompareError: When the run has no results yet.
    """
    if not state.out:
        raise CompareError("no what-if has run yet")
    return compare(state.out, baseline=state.parent, metrics=list(metrics), scenarios=[state.name])
