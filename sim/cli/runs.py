"""Commands that run the model: ``run``, ``sweep``, ``calibrate``, ``sensitivity``, ``robustness``
and ``results``."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from sim.inputs.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
)

if TYPE_CHECKING:
    from sim.experiments import runner
    from sim.experiments.runner import RunPlan
from sim.cli.common import (
    BaselineOpt,
    CompareFormat,
    WindowOpt,
    _exit_problems,
    analysis_errors,
    app,
    load_or_exit,
    out_problems,
)


@app.command("results")
def results_command(
    seeds: Annotated[
        int | None, typer.Option("--seeds", min=1, help="Common seeds 1..N. Default: 10.")
    ] = None,
    students: Annotated[
        int | None, typer.Option("--students", help="Population. Default: 20,000.")
    ] = None,
    months: Annotated[
        int | None, typer.Option("--months", help="Reported months. Default: 120.")
    ] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option("--run-dir", help="Run folder (reused on rerun). Default: outputs/results."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Markdown page. Default: docs/results.md.")
    ] = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Run the shipped headline scenarios, compare them, check the targets; write a Markdown page.

    The page (docs/results.md) is stamped with the hiresim version, the date and this command.
    Rerunning resumes: finished runs in the run folder are reused.
    """
    from sim.analysis.results import ResultsSettings, other_seeds, results_plan, write_results
    from sim.analysis.targets import TargetsError

    shipped = ResultsSettings()
    settings = ResultsSettings(
        seeds=shipped.seeds if seeds is None else seeds,
        students=shipped.students if students is None else students,
        months=shipped.months if months is None else months,
        run_dir=shipped.run_dir if run_dir is None else run_dir,
        out=shipped.out if out is None else out,
    )
    problems = out_problems(settings.run_dir) + out_problems(settings.out, settings.out.parent)
    problems += other_seeds(settings)
    command = _command(
        "results",
        [],
        {
            "--seeds": seeds,
            "--students": students,
            "--months": months,
            "--run-dir": run_dir,
            "--out": out,
            "--workers": workers,
        },
    )
    try:
        plan = results_plan(settings, command)
    except ScenarioError as err:
        problems += [p.format() for p in err.problems]
    if problems:
        _exit_problems(problems)
    _execute(plan, EngineSettings(workers=workers), quiet)
    try:
        with analysis_errors():
            path = write_results(settings, command)
    except TargetsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {path}")


class Executor(StrEnum):
    """Where ``run`` and ``sweep`` execute their tasks."""

    process = "process"
    dask = "dask"


class SweepDesign(StrEnum):
    """Designs of ``hiresim sweep``."""

    grid = "grid"
    lhs = "lhs"


SeedsOpt = Annotated[
    int | None,
    typer.Option("--seeds", min=1, help="Run seeds 1..N. Default: the first scenario's [run]."),
]


SeedListOpt = Annotated[
    str | None, typer.Option("--seed-list", help="Run exactly these seeds, e.g. 1,2,3.")
]


MonthsOpt = Annotated[
    int | None, typer.Option("--months", help="Reported months. Default: the first scenario's.")
]


StudentsOpt = Annotated[
    int | None, typer.Option("--students", help="Population. Default: the first scenario's.")
]


OutOpt = Annotated[Path | None, typer.Option("--out", help="Run folder. Default: outputs/NAME.")]


NameOpt = Annotated[
    str | None, typer.Option("--name", help="Run name. Default: the scenario names joined by +.")
]


WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Worker processes. Default: core count.")
]


ExecutorOpt = Annotated[
    Executor, typer.Option("--executor", help="process: a local process pool; dask: Dask.")
]


SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="A running Dask scheduler (tcp://host:8786); else local."),
]


AgentsOpt = Annotated[
    bool, typer.Option("--agents", help="Also write end-of-run student and employer snapshots.")
]


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


@dataclass(frozen=True)
class RunSettings:
    """What ``run``, ``sweep`` and ``robustness`` run: ``--seeds``/``--seed-list``, ``--months``,
    ``--students``, ``--out`` and ``--name`` (None: the scenario's or the default)."""

    seeds: SeedsOpt = None
    seed_list: SeedListOpt = None
    months: MonthsOpt = None
    students: StudentsOpt = None
    out: OutOpt = None
    name: NameOpt = None

    def recorded(self) -> dict[str, object]:
        """These options as recorded in the command line (:func:`_command`)."""
        values = (self.seeds, self.seed_list, self.months, self.students, self.out, self.name)
        flags = ("--seeds", "--seed-list", "--months", "--students", "--out", "--name")
        return dict(zip(flags, values, strict=True))


@dataclass(frozen=True)
class EngineSettings:
    """Where the tasks run: ``--workers``, ``--executor`` and ``--scheduler``, taken by every
    command that runs the model."""

    workers: WorkersOpt = None
    executor: ExecutorOpt = Executor.process
    scheduler: SchedulerOpt = None

    def recorded(self) -> dict[str, object]:
        """These options as recorded in the command line (:func:`_command`)."""
        return {
            "--workers": self.workers,
            "--executor": self.executor.value if self.executor != Executor.process else None,
            "--scheduler": self.scheduler,
        }


_SETTINGS = {"run": RunSettings, "execution": EngineSettings}
"""The settings a command can take, by the name of its parameter (:func:`takes`)."""


def takes(*kinds: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the options of the settings ``kinds`` (``"run"``, ``"execution"``).

    The options are declared once, as the fields of :class:`RunSettings` and
    :class:`EngineSettings`; the command receives them as one object each, as the keyword
    argument of that name. Typer reads the command's signature, so the options are added to it.
    """

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(func, eval_str=True)
        fields_of = {kind: dataclasses.fields(_SETTINGS[kind]) for kind in kinds}
        hints = {kind: get_type_hints(_SETTINGS[kind], include_extras=True) for kind in kinds}
        added = [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=f.default,
                annotation=hints[kind][f.name],
            )
            for kind in kinds
            for f in fields_of[kind]
        ]
        kept = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in own.parameters.values()
            if p.name not in kinds
        ]
        # The options go where they always stood: before --agents and --quiet, or last.
        at = next((i for i, p in enumerate(kept) if p.name in ("agents", "quiet")), len(kept))

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            for kind in kinds:
                names = [f.name for f in fields_of[kind]]
                kwargs[kind] = _SETTINGS[kind](**{n: kwargs.pop(n) for n in names})
            func(**kwargs)

        params = [*kept[:at], *added, *kept[at:]]
        command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return command

    return decorate


def _seed_option(
    seeds: int | None, seed_list: str | None
) -> tuple[int | tuple[int, ...] | None, list[str]]:
    """``--seeds`` or ``--seed-list`` as :func:`sim.experiments.plan.plan_run`'s ``seeds``, and its
    problems."""
    if seeds is not None and seed_list is not None:
        return None, ["--seeds and --seed-list: give one or the other"]
    if seed_list is None:
        return seeds, []
    try:
        return tuple(int(s) for s in seed_list.split(",")), []
    except ValueError:
        return None, [f"--seed-list {seed_list}: expected whole numbers such as 1,2,3"]


def _run_settings(
    scenarios: list[Scenario], run: RunSettings, problems: list[str]
) -> tuple[list[Scenario], tuple[int, ...]]:
    """Seeds and the scenarios with the run's months and students
    (:func:`sim.experiments.plan.resolve_run`), for the commands that build their own plans;
    problems are added to ``problems``."""
    from sim.experiments.plan import resolve_run

    chosen, problems_seeds = _seed_option(run.seeds, run.seed_list)
    problems += problems_seeds
    resolved = resolve_run(scenarios, seeds=chosen, months=run.months, students=run.students)
    problems += resolved.problems
    return list(resolved.scenarios), resolved.seeds


def _command(verb: str, positional: list[str], options: dict[str, object]) -> tuple[str, ...]:
    """The command as typed (canonical form), recorded in the manifest and printed to resume."""
    argv = ["hiresim", verb, *positional]
    for flag, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            if item is True:
                argv.append(flag)
            elif item is not None and item is not False:
                argv += [flag, str(item)]
    return tuple(argv)


@contextmanager
def engine_errors(command: tuple[str, ...]) -> Iterator[None]:
    """Print why runs of the engine stopped, and how to resume; exit 130 (Ctrl-C), 1 (a task
    failed) or 2 (nothing could run: an unreachable scheduler, a folder in use or holding other
    definitions)."""
    import shlex

    from sim.experiments import runner, store

    resume = f"To resume, run the same command again:\n  {shlex.join(command)}"
    try:
        yield
    except runner.Interrupted as err:
        typer.echo(f"\n{str(err).capitalize()}. {resume}", err=True)
        raise typer.Exit(130) from None
    except runner.TasksFailed as err:
        typer.echo(f"{err}\nRe-run the same command to retry the failed ones.", err=True)
        raise typer.Exit(1) from None
    except (runner.RunError, store.RunLockedError) as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:  # between plans, or a second Ctrl-C while stopping
        typer.echo(f"\nInterrupted. {resume}", err=True)
        raise typer.Exit(130) from None


def _engine(execution: EngineSettings, quiet: bool) -> runner.Engine:
    """The engine of the command's ``--executor``, ``--workers`` and ``--scheduler``."""
    from sim.experiments import runner

    progress = runner.Progress(mode="quiet" if quiet else "auto")
    return runner.Engine(
        execution.executor.value,
        workers=execution.workers,
        scheduler=execution.scheduler,
        progress=progress,
    )


def _execute(plan: RunPlan, execution: EngineSettings, quiet: bool) -> None:
    from sim.experiments import runner, store

    progress = runner.Progress(mode="quiet" if quiet else "auto")
    resume = f"To resume, run the same command again:\n  {plan.command_line}"
    with engine_errors(plan.command):
        report = runner.execute(
            plan,
            executor=execution.executor.value,
            workers=execution.workers,
            scheduler=execution.scheduler,
            progress=progress,
        )
    if report.interrupted:
        typer.echo(
            f"\nInterrupted: {report.done} of {report.total} tasks done, {report.pending} "
            f"pending; finished results are kept in {plan.out}. {resume}",
            err=True,
        )
        raise typer.Exit(130)
    if report.failed:
        typer.echo(f"{len(report.failed)} of {report.total} tasks failed:", err=True)
        for failure in report.failed[:20]:
            typer.echo(f"  {failure.task}: {failure.error}", err=True)
        typer.echo(
            f"Errors and tracebacks are in {plan.out / store.MANIFEST}; the other "
            f"{report.done} tasks are done. Re-run the same command to retry the failed ones.",
            err=True,
        )
        raise typer.Exit(1)
    if not quiet:
        ran = report.total - report.skipped
        typer.echo(
            f"Done: {ran} tasks run, {report.skipped} already done, in "
            f"{report.wall_seconds:.1f} s. Results in {plan.out}/"
        )


@app.command("run")
@takes("run", "execution")
def run_command(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario names or TOML files.")],
    agents: AgentsOpt = False,
    quiet: QuietOpt = False,
    *,
    run: RunSettings,
    execution: EngineSettings,
) -> None:
    """Run scenarios on common seeds into a resumable Parquet dataset (outputs/NAME/).

    Running the same command again skips finished tasks. Exit code 1 when a task failed,
    2 when nothing could run, 130 when interrupted.
    """
    from sim.experiments.plan import PlanError, plan_run

    chosen, problems = _seed_option(run.seeds, run.seed_list)
    command = _command(
        "run",
        scenarios,
        {
            **run.recorded(),
            **execution.recorded(),
            "--agents": agents,
            "--quiet": quiet,
        },
    )
    try:
        plan = plan_run(
            scenarios,
            seeds=chosen,
            months=run.months,
            students=run.students,
            out=run.out,
            name=run.name,
            agents=agents,
            command=command,
        )
    except PlanError as err:
        _exit_problems(problems + list(err.problems))
    if problems:
        _exit_problems(problems)
    _execute(plan, execution, quiet)


@app.command("sweep")
@takes("run", "execution")
def sweep_command(
    scenario: Annotated[str, typer.Argument(help="The scenario to vary (name or TOML file).")],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            help="name=v1,v2,... (values) or name=lo:hi (a range); repeat for more parameters.",
        ),
    ],
    design: Annotated[
        SweepDesign,
        typer.Option("--design", help="grid: every combination; lhs: a Latin hypercube."),
    ] = SweepDesign.grid,
    samples: Annotated[
        int | None,
        typer.Option("--samples", min=1, help="lhs: points (default 10); grid: values per range."),
    ] = None,
    design_seed: Annotated[
        int, typer.Option("--design-seed", help="Seed of the Latin hypercube.")
    ] = 0,
    agents: AgentsOpt = False,
    quiet: QuietOpt = False,
    *,
    run: RunSettings,
    execution: EngineSettings,
) -> None:
    """Run one derived scenario per design point of the varied parameters, like `run`.

    Each point is named <scenario>__pNN-<hash>; its values are columns of its metrics and are
    recorded in the manifest. Every value is checked before anything runs.
    """
    from sim.experiments import runner
    from sim.experiments import sweep as sweeps

    base = load_or_exit(scenario)
    problems: list[str] = []
    resolved, chosen = _run_settings([base], run, problems)
    built = None
    try:
        built = sweeps.build_sweep(
            resolved[0] if resolved else base,
            vary,
            design=design.value,
            samples=samples,
            design_seed=design_seed,
        )
    except sweeps.SweepError as err:
        problems += err.problems
    if built is not None:
        problems += out_problems(run.out or Path("outputs") / (run.name or built.default_name()))
    if problems or built is None:
        _exit_problems(problems)
    run_name = run.name or built.default_name()
    command = _command(
        "sweep",
        [scenario],
        {
            "--vary": list(vary),
            "--design": design.value if design != SweepDesign.grid else None,
            "--samples": samples,
            "--design-seed": design_seed or None,
            **run.recorded(),
            **execution.recorded(),
            "--agents": agents,
            "--quiet": quiet,
        },
    )
    plan = runner.RunPlan(
        out=run.out or Path("outputs") / run_name,
        scenarios=built.scenarios,
        seeds=chosen,
        agents=agents,
        varied=built.points,
        command=command,
        name=run_name,
        extra={"sweep": built.manifest_entry()},
    )
    if not quiet:
        typer.echo(
            f"Sweep of {base.name}: {len(built.scenarios)} design points ({design.value}) x "
            f"{len(chosen)} seeds into {plan.out}/",
            err=True,
        )
    _execute(plan, execution, quiet)


RunFolderOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Run folder of every run (resumable: the same command again skips finished runs). "
        "Default: outputs/<scenario>-<command>-<hash of the setting>.",
    ),
]


def _run_folder_problems(
    out: Path | None, folder: Path, files: tuple[str, ...], use: str
) -> list[str]:
    """Problems with a run-folder ``--out``: given a file name (``--out`` named the output file
    before calibration and sensitivity wrote run folders), or unwritable."""
    if out is not None and out.suffix.lower() in files:
        return [f"--out {out}: --out is the run folder; write the {use}"]
    return out_problems(folder)


@app.command("calibrate")
@takes("execution")
def calibrate_command(
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="Scenario to calibrate (starting point).")
    ] = "baseline",
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Comma-separated assumption parameters to fit; default: those the targets "
            "depend on.",
        ),
    ] = None,
    budget: Annotated[
        int, typer.Option("--budget", help="Parameter points to simulate, the start included.")
    ] = 60,
    seeds: Annotated[int, typer.Option("--seeds", help="Common seeds per evaluation.")] = 4,
    students: Annotated[
        int | None, typer.Option("--students", help="Population; default: the scenario's.")
    ] = None,
    months: Annotated[
        int | None,
        typer.Option("--months", help="Output months; default: the end of the target windows."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="Optimiser: nelder-mead or powell.")
    ] = "nelder-mead",
    write: Annotated[
        Path | None,
        typer.Option(
            "--write", help="Scenario file to write; default scenarios/<name>_calibrated.toml."
        ),
    ] = None,
    out: RunFolderOpt = None,
    *,
    execution: EngineSettings,
) -> None:
    """Fit assumption parameters to the calibration targets (simulated method of moments).

    Every evaluation's runs are written to a run folder: running the same command again
    resumes a killed calibration (finished evaluations are read, not run) with the same result.
    """
    from sim.analysis.calibrate import (
        DEFAULT_PARAMS,
        CalibrationError,
        Evaluation,
        check_settings,
        describe_values,
        fit,
        write_scenario,
    )
    from sim.analysis.targets import format_checks

    base = load_or_exit(scenario)
    names = params.split(",") if params is not None else list(DEFAULT_PARAMS)
    target = write or Path("scenarios") / f"{base.name}_calibrated.toml"
    command = _command(
        "calibrate",
        [],
        {
            "--scenario": scenario,
            "--params": params,
            "--budget": budget,
            "--seeds": seeds,
            "--students": students,
            "--months": months,
            "--method": method,
            "--write": write,
            "--out": out,
            **execution.recorded(),
        },
    )

    def progress(ev: Evaluation, best: Evaluation, total: int) -> None:
        found = "  (from the run folder)" if ev.reused and not ev.ran else ""
        typer.echo(
            f"evaluation {ev.number:3d}/{total}  objective {ev.objective:10.4f}  "
            f"best {best.objective:10.4f}  {describe_values(ev.values)}{found}"
        )

    try:
        setup = check_settings(
            base, names, budget=budget, seeds=seeds, students=students, months=months, method=method
        )
        folder = out or Path("outputs") / setup.default_name()
        problems = _run_folder_problems(out, folder, (".toml",), "scenario file with --write")
        if problems:
            _exit_problems(problems)
        with engine_errors(command), _engine(execution, quiet=True) as engine:
            result = fit(setup, folder, engine=engine, command=command, progress=progress)
        path = write_scenario(result, target, command=shlex.join(command))
    except CalibrationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"\n{result.message}")
    typer.echo(
        f"objective: start {result.start.objective:.4f} -> fitted {result.best.objective:.4f} "
        f"(evaluation {result.best.number} of {len(result.history)})"
    )
    typer.echo(f"fitted: {describe_values(result.fitted)}\n")
    note = (
        f"Fit on seeds {result.seeds[0]}-{result.seeds[-1]}, {result.students:,} students, "
        f"{result.months} months."
    )
    typer.echo(format_checks(result.best.checks, "table", note), nl=False)
    typer.echo(f"runs in {folder}/ ({result.ran} run now); wrote {path}")


@app.command("sensitivity")
@takes("execution")
def sensitivity_command(
    scenario: Annotated[str, typer.Argument(help="Scenario name or file.")],
    metric: Annotated[str, typer.Option("--metric", "-m", help="The metric studied.")],
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Comma-separated assumption parameters to vary; default: the conversions and "
            "the main behavioural assumptions.",
        ),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="Method: morris.")] = "morris",
    samples: Annotated[
        int, typer.Option("--samples", help="Morris trajectories (each costs k+1 points).")
    ] = 4,
    effect_vs: Annotated[
        str | None,
        typer.Option("--effect-vs", help="Study the effect against this baseline scenario."),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Common seeds per point.")] = 2,
    students: Annotated[
        int | None, typer.Option("--students", help="Population; default: the scenario's.")
    ] = None,
    months: Annotated[
        int | None, typer.Option("--months", help="Output months; default: the scenario's.")
    ] = None,
    fmt: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Bar chart (.png); a CSV goes beside it. Default: "
            "<run folder>/plots/sensitivity-<metric>.png.",
        ),
    ] = None,
    out: RunFolderOpt = None,
    quiet: QuietOpt = False,
    *,
    execution: EngineSettings,
) -> None:
    """Global sensitivity (Morris mu*, sigma) of a metric or a policy effect to assumptions.

    The runs are written to a run folder: running the same command again resumes a killed
    screen (finished runs are skipped) with the same result.
    """
    from sim.analysis.sensitivity import (
        METHODS,
        SensitivityError,
        format_result,
        plot_result,
        run_screen,
        screen,
    )

    if method not in METHODS:
        typer.echo(
            f"error: method {method!r} is not available; implemented: {', '.join(METHODS)}",
            err=True,
        )
        raise typer.Exit(2)
    study = load_or_exit(scenario)
    baseline = load_or_exit(effect_vs) if effect_vs is not None else None
    names = params.split(",") if params is not None else None
    command = _command(
        "sensitivity",
        [scenario],
        {
            "--metric": metric,
            "--params": params,
            "--samples": samples,
            "--effect-vs": effect_vs,
            "--seeds": seeds,
            "--students": students,
            "--months": months,
            "--format": fmt.value if fmt != CompareFormat.table else None,
            "--plot": plot,
            "--out": out,
            **execution.recorded(),
            "--quiet": quiet,
        },
    )
    try:
        design = screen(
            study,
            metric,
            names,
            baseline=baseline,
            trajectories=samples,
            seeds=seeds,
            students=students,
            months=months,
        )
        folder = out or Path("outputs") / design.default_name()
        problems = _run_folder_problems(out, folder, (".png", ".svg", ".pdf"), "chart with --plot")
        if problems:
            _exit_problems(problems)
        with engine_errors(command), _engine(execution, quiet) as engine:
            result = run_screen(design, folder, engine=engine, command=command)
    except SensitivityError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(format_result(result, fmt.value), nl=False)
    chart = plot or folder / "plots" / f"sensitivity-{metric}.png"
    path = plot_result(result, chart)
    if not quiet:
        typer.echo(f"runs in {folder}/; wrote {path} and {path.with_suffix('.csv').name}", err=True)


class RobustnessDesign(StrEnum):
    """Designs of ``hiresim robustness``."""

    lhs = "lhs"
    sobol = "sobol"


@app.command("robustness")
@takes("run", "execution")
def robustness_command(
    policy: Annotated[str, typer.Argument(help="The policy scenario (name or TOML file).")],
    metric: Annotated[list[str], typer.Option("--metric", "-m", help="Metric (repeat).")],
    baseline: BaselineOpt = "baseline",
    window: WindowOpt = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Design points.")] = 32,
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Comma-separated assumption parameters to vary, each optionally narrowed as "
            "name=lo:hi, or patterns such as '*_conversion'; default: every assumption (the "
            "conversions among them) but the policy's own levers and model settings (see "
            "docs/robustness.md).",
        ),
    ] = None,
    design: Annotated[
        RobustnessDesign,
        typer.Option("--design", help="lhs: a Latin hypercube; sobol: a scrambled Sobol sequence."),
    ] = RobustnessDesign.lhs,
    design_seed: Annotated[int, typer.Option("--design-seed", help="Seed of the design.")] = 0,
    where: Annotated[
        str,
        typer.Option(
            "--where",
            help="Condition whose parameter ranges are sought, for each metric: effect, ci_low "
            "or ci_high, an operator and a number in the metric's unit (pp for shares), e.g. "
            "'ci_high < 0' or 'effect > 500'.",
        ),
    ] = "effect < 0",
    fmt: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
    quiet: QuietOpt = False,
    *,
    run: RunSettings,
    execution: EngineSettings,
) -> None:
    """Is the policy's effect robust to the assumptions, and under which ones does it flip?

    Runs the policy and its baseline on common seeds at each design point over the uncertain
    parameters (resumable, like `run`), then prints the effect's distribution across points and
    the parameter ranges where the --where condition holds (PRIM). Writes
    <run>/robustness/points.parquet and two figures per metric (with CSVs) in <run>/plots/.
    """
    from sim.analysis import robustness
    from sim.analysis.compare import CompareError
    from sim.analysis.stats import Window, resolve_window
    from sim.observe.metrics import METRICS_BY_NAME

    problems: list[str] = []
    loaded: list[Scenario] = []
    for ref in (policy, baseline):
        try:
            loaded.append(load_scenario(ref))
        except ScenarioError as err:
            problems += [p.format() for p in err.problems]
    if problems:
        _exit_problems(problems)
    resolved, chosen = _run_settings(loaded, run, problems)
    if 0 < len(chosen) < 2:
        problems.append("--seeds: at least 2 seeds, for the interval of each point's effect")
    unknown = [m for m in metric if m not in METRICS_BY_NAME or m == "month"]
    if unknown:
        problems.append(
            f"--metric {', '.join(unknown)}: unknown metric; known: "
            + ", ".join(m for m in METRICS_BY_NAME if m != "month")
        )
    if resolved:
        try:
            resolve_window(resolved[0].run.months, window=Window.parse(window) if window else None)
        except CompareError as err:
            problems.append(f"--window: {err}")
    for m in metric:
        if m not in unknown:
            try:
                robustness.parse_condition(where, m)
            except robustness.RobustnessError as err:
                problems += err.problems
    study = None
    if resolved:
        a, b = resolved
        try:
            chosen_params = robustness.select_params(
                params.split(",") if params is not None else None, a, b
            )
            study = robustness.build_study(
                a, b, chosen_params, samples=samples, design=design.value, design_seed=design_seed
            )
        except robustness.RobustnessError as err:
            problems += err.problems
    if problems or study is None:
        _exit_problems(problems)
    run_name = run.name or study.default_name()
    command = _command(
        "robustness",
        [policy],
        {
            "--baseline": baseline if baseline != "baseline" else None,
            "--metric": list(metric),
            "--window": window,
            "--samples": samples,
            "--params": params,
            "--design": design.value if design != RobustnessDesign.lhs else None,
            "--design-seed": design_seed or None,
            "--where": where if where != "effect < 0" else None,
            **run.recorded(),
            **execution.recorded(),
            "--format": fmt.value if fmt != CompareFormat.table else None,
            "--quiet": quiet,
        },
    )
    plan = study.run_plan(run.out or Path("outputs") / run_name, chosen, command, run_name)
    if not quiet:
        typer.echo(
            f"Robustness of {study.policy.name} vs {study.baseline.name}: {study.samples} points "
            f"({design.value}) over {len(study.params)} parameters x {len(chosen)} seeds "
            f"= {len(plan.tasks)} runs into {plan.out}/",
            err=True,
        )
    _execute(plan, execution, quiet)
    with analysis_errors():
        points = robustness.effects(
            plan.out, study.meta(), metric, window, where=dict.fromkeys(metric, where), seeds=chosen
        )
        summary = robustness.summarise(points)
        written = robustness.write_outputs(plan.out, points, summary)
    typer.echo(robustness.format_summary(points, summary, fmt.value), nl=False)
    if not quiet:
        typer.echo(f"wrote {written[0]} and {len(written) - 1} figures (with CSVs)", err=True)
