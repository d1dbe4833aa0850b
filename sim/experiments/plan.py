"""Plan a run from Python as ``hiresim run`` does: scenarios, seeds, run settings, run folder.

:func:`plan_run` turns what a person asks for (scenario names, files or objects; a seed count or
list; months and students; a folder) into a checked :class:`sim.experiments.runner.RunPlan`, listing
every problem at once (:class:`PlanError`) before anything is written. :func:`resolve_run` is its
first half (seeds and run settings), shared with the commands that build their own plans (sweeps,
robustness studies)::

    from sim import execute, plan_run

    plan = plan_run(["baseline", "full_blueprint"], seeds=10, students=5000, out="outputs/mine")
    report = execute(plan)  # resumable: run it again and finished tasks are skipped
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from sim.experiments import store
from sim.experiments.runner import RunError, RunPlan
from sim.inputs.scenario import Problem, Scenario, ScenarioError, load_scenario

ARGUMENTS = "(arguments)"
"""The ``file`` of the problems found in the arguments themselves (as
:mod:`sim.inputs.scenario`)."""

DEFAULT_ROOT = Path("outputs")
"""Where run folders go when no ``out`` is given: ``outputs/<name>``."""


class PlanError(RunError):
    """A run that cannot be planned; :attr:`problems` lists every reason at once."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[type[PlanError], tuple[tuple[str, ...]]]:
        return (PlanError, (self.problems,))


class ResolvedRun(NamedTuple):
    """Seeds and scenarios with the run's settings applied (see :func:`resolve_run`).

    Attributes:
        scenarios: The scenarios with the run's months and students (empty when those are
            invalid).
        seeds: The seeds every scenario runs on (empty when they are invalid).
        problems: Every problem found, one line each (empty when the run can go ahead).
    """

    scenarios: tuple[Scenario, ...]
    seeds: tuple[int, ...]
    problems: tuple[str, ...]


def resolve_run(
    scenarios: Sequence[Scenario],
    *,
    seeds: int | Sequence[int] | None = None,
    months: int | None = None,
    students: int | None = None,
) -> ResolvedRun:
    """Seeds and the scenarios with the run's months and students (which enter their hashes).

    The seed count is not applied to the scenarios: it changes no single run's result, so more
    seeds can be added to a run folder later.

    Args:
        scenarios: Loaded scenarios, at least one.
        seeds: N for seeds 1..N, or the seeds themselves; default: the first scenario's
            ``[run] seeds`` count.
        months: Reported months; default: the first scenario's.
        students: Population; default: the first scenario's.

    Returns:
        The resolved run, with every problem found (nothing is raised).
    """
    if not scenarios:
        return ResolvedRun((), (), ("no scenario given: name at least one",))
    first = scenarios[0].run
    chosen, problems = _seeds(first.seeds if seeds is None else seeds)
    settings = {
        "months": first.months if months is None else months,
        "students": first.students if students is None else students,
    }
    resolved: tuple[Scenario, ...] = ()
    try:  # the same settings for every scenario, so the first one's problems are all of them
        resolved = tuple(scenario.with_run(**settings) for scenario in scenarios)
    except ScenarioError as err:
        problems += [p.format() for p in err.problems]
    names = [s.name for s in scenarios]
    problems += [f"scenario {n!r} is given twice" for n in sorted(set(names)) if names.count(n) > 1]
    return ResolvedRun(resolved, chosen, tuple(problems))


def _seeds(seeds: int | Sequence[int]) -> tuple[tuple[int, ...], list[str]]:
    if isinstance(seeds, int):
        if seeds < 1:
            return (), [_argument("seeds", seeds, "expected at least 1 seed")]
        return tuple(range(1, seeds + 1)), []
    chosen = tuple(seeds)
    if not chosen:
        return (), [_argument("seeds", [], "expected at least 1 seed")]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in chosen):
        return (), [_argument("seeds", list(chosen), "expected whole numbers such as [1, 2, 3]")]
    if any(s < 0 for s in chosen) or len(set(chosen)) != len(chosen):
        return (), [_argument("seeds", list(chosen), "must be distinct and not negative")]
    return chosen, []


def _argument(key: str, value: object, message: str, hint: str | None = None) -> str:
    return Problem(ARGUMENTS, key, value, message, hint).format()


def _load(refs: Sequence[Scenario | str | Path]) -> tuple[tuple[Scenario, ...], list[str]]:
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for ref in refs:
        if isinstance(ref, Scenario):
            scenarios.append(ref)
            continue
        try:
            scenarios.append(load_scenario(ref))
        except ScenarioError as err:
            problems += [p.format() for p in err.problems]
    return tuple(scenarios), problems


def plan_run(
    scenarios: Sequence[Scenario | str | Path],
    *,
    seeds: int | Sequence[int] | None = None,
    months: int | None = None,
    students: int | None = None,
    out: Path | str | None = None,
    name: str | None = None,
    agents: bool = False,
    command: Sequence[str] = (),
) -> RunPlan:
    """A checked plan of every scenario on common seeds, as ``hiresim run`` makes it.

    Nothing is written (the run folder's writability is tried and left as it was); run the plan
    with :func:`sim.experiments.runner.execute`.

    Args:
        scenarios: Scenario objects, names or TOML files; each name once.
        seeds: N for seeds 1..N, or the seeds themselves; default: the first scenario's.
        months: Reported months; default: the first scenario's.
        students: Population; default: the first scenario's.
        out: The run folder; default: ``outputs/<name>``.
        name: The run's name; default: the scenario names joined by ``+``.
        agents: Also write end-of-run student and employer snapshots.
        command: The command line to record in the manifest (empty from Python).

    Returns:
        The plan.

    Raises:
        PlanError: Listing every problem at once: scenarios that do not load, invalid seeds,
            months or students, a scenario given twice, an unwritable run folder.
    """
    loaded, problems = _load(scenarios)
    run_name = name or "+".join(s.name for s in loaded)
    folder = Path(out) if out is not None else DEFAULT_ROOT / run_name
    unwritable = store.unwritable(folder)
    if unwritable:
        # The folder in the key: a value would be shortened, and the path is the point.
        problems.append(_argument(f"out {folder}", None, unwritable, "choose another folder"))
    resolved = ResolvedRun((), (), ())
    if loaded:
        resolved = resolve_run(loaded, seeds=seeds, months=months, students=students)
        problems += resolved.problems
    elif not problems:
        problems.append("no scenario given: name at least one")
    if problems:
        raise PlanError(problems)
    try:
        return RunPlan(
            out=folder,
            scenarios=resolved.scenarios,
            seeds=resolved.seeds,
            agents=agents,
            command=tuple(command),
            name=run_name,
        )
    except ValueError as err:  # a scenario name that cannot name a folder
        raise PlanError([str(err)]) from None
