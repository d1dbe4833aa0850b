"""The ``hiresim`` command line: parses arguments, calls the library, prints."""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn, TypedDict

import typer

from sim import docs
from sim.scenario import (
    Scenario,
    ScenarioError,
    default_scenario,
    list_scenarios,
    load_scenario,
)

if TYPE_CHECKING:
    from sim import runner
    from sim.runner import RunPlan

app = typer.Typer(
    name="hiresim",
    help="Hiring-impact simulator: students, employers and universities under microcredential "
    "policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# ==================================================================== scenarios and parameters


@contextmanager
def scenario_errors() -> Iterator[None]:
    """Print a :class:`ScenarioError` raised inside as its problem list on stderr; exit 2.

    For scenario work other than loading (``with_params``, ``with_run``...).
    """
    try:
        yield
    except ScenarioError as err:
        _print_problems(err)
        raise typer.Exit(2) from None


def _print_problems(err: ScenarioError) -> None:
    typer.echo(err.format(), err=True)
    n = len(err.problems)
    typer.echo(f"{n} problem{'' if n == 1 else 's'} found.", err=True)


def load_or_exit(ref: str | Path) -> Scenario:
    """Load a scenario by name or path; on any problem print them all to stderr and exit 2.

    Every command that takes a scenario argument loads it through here.
    """
    try:
        return load_scenario(ref)
    except ScenarioError as err:
        _print_problems(err)
        raise typer.Exit(2) from None


class ParamsFormat(StrEnum):
    """Output formats of ``hiresim params``."""

    table = "table"
    markdown = "markdown"
    json = "json"


@app.command("scenarios")
def scenarios_command() -> None:
    """List the scenarios that names resolve to, with their descriptions."""
    infos = list_scenarios()
    width = max((len(i.name) for i in infos), default=0)
    for info in infos:
        text = textwrap.fill(
            " ".join(info.description.split()),
            width=100,
            initial_indent=info.name.ljust(width) + "  ",
            subsequent_indent=" " * (width + 2),
        )
        typer.echo(text)


@app.command("validate")
def validate_command(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or names) to check.")],
) -> None:
    """Check scenario files: an OK line each, or every problem on stderr and exit code 2."""
    failed = 0
    for ref in files:
        try:
            scenario = load_scenario(ref)
        except ScenarioError as err:
            typer.echo(err.format(), err=True)
            failed += 1
        else:
            typer.echo(f"OK  {ref}  ({scenario.name}, hash {scenario.hash[:12]})")
    if failed:
        typer.echo(f"{failed} of {len(files)} scenario files have problems.", err=True)
        raise typer.Exit(2)


@app.command("params")
def params_command(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario name or file; default: the registry defaults."),
    ] = None,
    fmt: Annotated[
        ParamsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ParamsFormat.table,
    diff: Annotated[
        str | None,
        typer.Option("--diff", help="Show only what differs from this scenario, and why."),
    ] = None,
) -> None:
    """List every parameter's value, unit, allowed range and source (or a diff of two)."""
    a = load_or_exit(scenario) if scenario is not None else default_scenario()
    if diff is None:
        typer.echo(docs.render_params(a, fmt.value), nl=False)
    else:
        typer.echo(docs.render_diff(a, load_or_exit(diff), fmt.value), nl=False)


@app.command("docs")
def docs_command(
    check: Annotated[
        bool, typer.Option("--check", help="Only check; exit 1 when the file is stale.")
    ] = False,
    out: Annotated[Path, typer.Option(help="The file to write.")] = docs.DOC_PATH,
) -> None:
    """Regenerate docs/parameters.md from the parameter registry and calibration targets."""
    if check:
        if not docs.parameters_md_is_current(out):
            typer.echo(f"{out} is stale: run `hiresim docs` to regenerate it.", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out} is up to date.")
        return
    changed = docs.write_parameters_md(out)
    typer.echo(f"{'wrote' if changed else 'unchanged:'} {out}")


# ============================================================= analysis: compare, plot, report


class CompareFormat(StrEnum):
    """Output formats of ``hiresim compare``, ``sensitivity`` and ``robustness``."""

    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


class PlotKind(StrEnum):
    """Figure kinds of ``hiresim plot``."""

    timeseries = "timeseries"
    difference = "difference"
    distribution = "distribution"
    tornado = "tornado"


@contextmanager
def analysis_errors() -> Iterator[None]:
    """Print a refused comparison (:class:`sim.compare.CompareError`) or a damaged run folder
    (:class:`sim.store.DamagedRunError`) on stderr; exit 2."""
    from sim.compare import CompareError
    from sim.store import DamagedRunError

    try:
        yield
    except (CompareError, DamagedRunError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def out_problems(out: Path | None, folder: Path | None = None) -> list[str]:
    """The problem with ``--out`` when files cannot be written in its folder (none, or one).

    Args:
        out: The ``--out`` value (None: nothing to check).
        folder: The folder written into (default: ``out`` itself).
    """
    from sim.store import unwritable

    problem = None if out is None else unwritable(out if folder is None else folder)
    return [f"--out {out}: {problem}; choose another --out"] if problem else []


def check_out_file(out: Path | None) -> None:
    """Refuse (:class:`sim.compare.CompareError`) an output file whose folder is unwritable."""
    from sim.compare import CompareError

    problems = out_problems(out, None if out is None else out.parent)
    if problems:
        raise CompareError(problems[0])


RunDirArg = Annotated[Path, typer.Argument(help="Run folder, e.g. outputs/demo.")]
BaselineOpt = Annotated[str, typer.Option("--baseline", help="The reference scenario.")]
MonthOpt = Annotated[int | None, typer.Option("--month", help="Use this one month's values.")]
WindowOpt = Annotated[
    str | None,
    typer.Option("--window", help="Average months A:B (inclusive); default: the last 12 months."),
]
BootstrapOpt = Annotated[
    bool,
    typer.Option("--bootstrap", help="Percentile bootstrap over seeds instead of t-intervals."),
]


class _Comparison(TypedDict):
    """The settings ``compare``, ``compare_groups`` and ``compare_who_gains`` share."""

    baseline: str
    scenarios: list[str] | None
    month: int | None
    window: str | None
    against: Path | None
    method: Literal["t", "bootstrap"]


@app.command("compare")
def compare_command(
    run_dir: RunDirArg,
    baseline: BaselineOpt = "baseline",
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", help="Metric (repeat); default: all.")
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario (repeat); default: all but the baseline."),
    ] = None,
    month: MonthOpt = None,
    window: WindowOpt = None,
    fmt: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Take the baseline from this other run (same seeds)."),
    ] = None,
    bootstrap: BootstrapOpt = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Effects within each group of this kind (discipline, ability_quartile, "
            "mc_status, university_type, pathway) and on the top-bottom gap; --metric then names "
            "group outcomes (default: unemployment, salary, employment rate, MC holder share).",
        ),
    ] = None,
    gap: Annotated[
        str | None,
        typer.Option(
            "--gap",
            help="With --by: the gap's groups as TOP:BOTTOM, e.g. q4:q1. Default: q4:q1 for "
            "ability_quartile, credit_bearing:no_mc_offer for university_type, else the groups "
            "with the highest and lowest baseline mean.",
        ),
    ] = None,
    who_gains: Annotated[
        bool,
        typer.Option(
            "--who-gains",
            help="Employment of MC holders, non-holders and in total (jobs and labour force per "
            "1,000 students, employment rates), with a verdict per scenario: net gain or loss, or "
            "a transfer between the groups. Not with --by or --metric.",
        ),
    ] = False,
) -> None:
    """Effects of each scenario against the baseline: paired differences by seed, 95% CIs."""
    from sim.compare import CompareError, compare, compare_groups, compare_who_gains, format_table

    with analysis_errors():
        check_out_file(out)
        if gap is not None and by is None:
            raise CompareError("--gap needs --by")
        if who_gains and (by is not None or metric):
            raise CompareError("--who-gains has its own rows: drop --by and --metric")
        common = _Comparison(
            baseline=baseline,
            scenarios=scenario,
            month=month,
            window=window,
            against=against,
            method="bootstrap" if bootstrap else "t",
        )
        if who_gains:
            table = compare_who_gains(run_dir, **common)
        elif by is None:
            table = compare(run_dir, metrics=metric, **common)
        else:
            pair = None
            if gap is not None:
                top_bottom = gap.split(":")
                if len(top_bottom) != 2:
                    raise CompareError(f"invalid --gap {gap!r}: expected TOP:BOTTOM, e.g. q4:q1")
                pair = (top_bottom[0], top_bottom[1])
            table = compare_groups(run_dir, by, metrics=metric, gap=pair, **common)
        text = format_table(table, fmt.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    typer.echo(f"wrote {out}")


@app.command("plot")
def plot_command(
    run_dir: RunDirArg,
    metric: Annotated[list[str], typer.Option("--metric", "-m", help="Metric (repeat).")],
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", "-s", help="Scenario (repeat); default: all.")
    ] = None,
    kind: Annotated[
        list[PlotKind] | None,
        typer.Option("--kind", "-k", help="Figure kind (repeat); default: timeseries."),
    ] = None,
    baseline: BaselineOpt = "baseline",
    month: MonthOpt = None,
    window: WindowOpt = None,
    bootstrap: BootstrapOpt = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Image file (.png, .svg, .pdf); with several figures, '-<kind>-<metric>' is "
            "added to its name. Default: <run>/plots/<kind>-<metric>.png.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Instead of --kind: the effect within each group of this kind (discipline, "
            "ability_quartile, mc_status, university_type, pathway) as dots with CI whiskers, "
            "and the top-bottom gap change. Default file: <run>/plots/groups-<by>-<metric>.png.",
        ),
    ] = None,
) -> None:
    """Draw figures of a run; each image gets a CSV of its numbers beside it."""
    from sim.compare import CompareError
    from sim.plots import plot
    from sim.store import load_run

    kinds = kind or [PlotKind.timeseries]
    with analysis_errors():
        check_out_file(out)
        if by is not None and kind:
            raise CompareError("--kind does not apply with --by (it draws the per-group figure)")
        run = load_run(run_dir)
        for k in [None] if by is not None else kinds:
            for m in metric:
                tag = f"groups-{by}" if k is None else k.value
                target = out
                if out is not None and len(kinds) * len(metric) > 1:
                    target = out.with_name(f"{out.stem}-{tag}-{m}{out.suffix}")
                path = plot(
                    run,
                    m,
                    None if k is None else k.value,
                    scenarios=scenario,
                    baseline=baseline,
                    month=month,
                    window=window,
                    method="bootstrap" if bootstrap else "t",
                    by=by,
                    out=target,
                )
                typer.echo(f"wrote {path} and {path.with_suffix('.csv').name}")


@app.command("report")
def report_command(
    run_dir: RunDirArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file; default: <run>/report.html.")
    ] = None,
    baseline: BaselineOpt = "baseline",
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Key metric (repeat); default: the standard four."),
    ] = None,
    month: MonthOpt = None,
    window: WindowOpt = None,
    bootstrap: BootstrapOpt = False,
) -> None:
    """Write one self-contained HTML report (embedded figures, no network) of a run."""
    from sim.report import KEY_METRICS, report

    with analysis_errors():
        check_out_file(out)
        path = report(
            run_dir,
            out,
            baseline=baseline,
            metrics=metric or KEY_METRICS,
            month=month,
            window=window,
            method="bootstrap" if bootstrap else "t",
        )
    typer.echo(f"wrote {path}")


@app.command("explore")
def explore_command(
    runs: Annotated[
        list[Path] | None,
        typer.Argument(help="Run folders to list first; any under outputs/ are listed too."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8050,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a web browser.")
    ] = False,
) -> None:
    """A local web page (127.0.0.1 only) to read runs and try what-ifs; Ctrl-C stops it."""
    from sim.explore.views import is_run_folder

    missing = [
        f"{p}: not a run folder (no manifest.json or metrics/)"
        for p in runs or []
        if not is_run_folder(p)
    ]
    if missing:
        _exit_problems(missing)
    try:
        from sim.explore.app import serve
    except ImportError as exc:
        typer.echo(
            f"Error: hiresim explore needs the explore extra ({exc.name} is missing): "
            "pip install 'hiresim[explore]'",
            err=True,
        )
        raise typer.Exit(2) from None
    try:
        serve(runs or [], port=port, open_browser=not no_browser, announce=typer.echo)
    except OSError as exc:
        typer.echo(f"Error: cannot listen on 127.0.0.1:{port}: {exc}", err=True)
        raise typer.Exit(2) from None


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
    from sim.results import ResultsSettings, other_seeds, results_plan, write_results
    from sim.targets import TargetsError

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
    _execute(plan, Executor.process, workers, None, quiet)
    try:
        with analysis_errors():
            path = write_results(settings, command)
    except TargetsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {path}")


# ============================================================= calibration: targets


class TargetsFormat(StrEnum):
    """Output formats of ``hiresim targets``."""

    table = "table"
    markdown = "markdown"
    json = "json"


@app.command("targets")
def targets_command(
    run_dir: RunDirArg,
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="The scenario of the run to check.")
    ] = "baseline",
    fmt: Annotated[
        TargetsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = TargetsFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a calibrated target fails.")
    ] = False,
) -> None:
    """Check a run against the calibration targets: model mean (95% CI over seeds), pass/fail."""
    from sim.store import DamagedRunError
    from sim.targets import TargetsError, check_run, format_checks

    try:
        result = check_run(run_dir, scenario)
    except (TargetsError, DamagedRunError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(format_checks(result.checks, fmt.value, result.note()), nl=False)
    if strict and result.failed:
        raise typer.Exit(1)


# ============================================================= running: run, sweep


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


def _exit_problems(problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(problem, err=True)
    n = len(problems)
    typer.echo(f"{n} problem{'' if n == 1 else 's'} found; nothing was run.", err=True)
    raise typer.Exit(2)


def _seed_option(
    seeds: int | None, seed_list: str | None
) -> tuple[int | tuple[int, ...] | None, list[str]]:
    """``--seeds`` or ``--seed-list`` as :func:`sim.plan.plan_run`'s ``seeds``, and its problems."""
    if seeds is not None and seed_list is not None:
        return None, ["--seeds and --seed-list: give one or the other"]
    if seed_list is None:
        return seeds, []
    try:
        return tuple(int(s) for s in seed_list.split(",")), []
    except ValueError:
        return None, [f"--seed-list {seed_list}: expected whole numbers such as 1,2,3"]


def _run_settings(
    scenarios: list[Scenario],
    seeds: int | None,
    seed_list: str | None,
    months: int | None,
    students: int | None,
    problems: list[str],
) -> tuple[list[Scenario], tuple[int, ...]]:
    """Seeds and the scenarios with the run's months and students (:func:`sim.plan.resolve_run`),
    for the commands that build their own plans; problems are added to ``problems``."""
    from sim.plan import resolve_run

    chosen, problems_seeds = _seed_option(seeds, seed_list)
    problems += problems_seeds
    resolved = resolve_run(scenarios, seeds=chosen, months=months, students=students)
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


def _run_options(*values: object) -> dict[str, object]:
    """The recorded run-setting options `run`, `sweep` and `robustness` share, in
    :func:`_command`'s form."""
    flags = ("--seeds", "--seed-list", "--months", "--students", "--out", "--name")
    return dict(zip(flags, values, strict=True))


def _engine_options(
    workers: int | None, executor: Executor, scheduler: str | None
) -> dict[str, object]:
    """The recorded options of where tasks run, shared by every command that runs the model."""
    return {
        "--workers": workers,
        "--executor": executor.value if executor != Executor.process else None,
        "--scheduler": scheduler,
    }


@contextmanager
def engine_errors(command: tuple[str, ...]) -> Iterator[None]:
    """Print why runs of the engine stopped, and how to resume; exit 130 (Ctrl-C), 1 (a task
    failed) or 2 (nothing could run: an unreachable scheduler, a folder in use or holding other
    definitions)."""
    import shlex

    from sim import runner, store

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


def _engine(
    executor: Executor, workers: int | None, scheduler: str | None, quiet: bool
) -> runner.Engine:
    """The engine of the command's ``--executor``, ``--workers`` and ``--scheduler``."""
    from sim import runner

    progress = runner.Progress(mode="quiet" if quiet else "auto")
    return runner.Engine(executor.value, workers=workers, scheduler=scheduler, progress=progress)


def _execute(
    plan: RunPlan,
    executor: Executor,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    from sim import runner, store

    progress = runner.Progress(mode="quiet" if quiet else "auto")
    resume = f"To resume, run the same command again:\n  {plan.command_line}"
    with engine_errors(plan.command):
        report = runner.execute(
            plan, executor=executor.value, workers=workers, scheduler=scheduler, progress=progress
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
def run_command(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario names or TOML files.")],
    seeds: SeedsOpt = None,
    seed_list: SeedListOpt = None,
    months: MonthsOpt = None,
    students: StudentsOpt = None,
    out: OutOpt = None,
    name: NameOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = Executor.process,
    scheduler: SchedulerOpt = None,
    agents: AgentsOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run scenarios on common seeds into a resumable Parquet dataset (outputs/NAME/).

    Running the same command again skips finished tasks. Exit code 1 when a task failed,
    2 when nothing could run, 130 when interrupted.
    """
    from sim.plan import PlanError, plan_run

    chosen, problems = _seed_option(seeds, seed_list)
    command = _command(
        "run",
        scenarios,
        {
            **_run_options(seeds, seed_list, months, students, out, name),
            **_engine_options(workers, executor, scheduler),
            "--agents": agents,
            "--quiet": quiet,
        },
    )
    try:
        plan = plan_run(
            scenarios,
            seeds=chosen,
            months=months,
            students=students,
            out=out,
            name=name,
            agents=agents,
            command=command,
        )
    except PlanError as err:
        _exit_problems(problems + list(err.problems))
    if problems:
        _exit_problems(problems)
    _execute(plan, executor, workers, scheduler, quiet)


@app.command("sweep")
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
    seeds: SeedsOpt = None,
    seed_list: SeedListOpt = None,
    months: MonthsOpt = None,
    students: StudentsOpt = None,
    out: OutOpt = None,
    name: NameOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = Executor.process,
    scheduler: SchedulerOpt = None,
    agents: AgentsOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run one derived scenario per design point of the varied parameters, like `run`.

    Each point is named <scenario>__pNN-<hash>; its values are columns of its metrics and are
    recorded in the manifest. Every value is checked before anything runs.
    """
    from sim import runner
    from sim import sweep as sweeps

    base = load_or_exit(scenario)
    problems: list[str] = []
    resolved, chosen = _run_settings([base], seeds, seed_list, months, students, problems)
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
        problems += out_problems(out or Path("outputs") / (name or built.default_name()))
    if problems or built is None:
        _exit_problems(problems)
    run_name = name or built.default_name()
    command = _command(
        "sweep",
        [scenario],
        {
            "--vary": list(vary),
            "--design": design.value if design != SweepDesign.grid else None,
            "--samples": samples,
            "--design-seed": design_seed or None,
            **_run_options(seeds, seed_list, months, students, out, name),
            **_engine_options(workers, executor, scheduler),
            "--agents": agents,
            "--quiet": quiet,
        },
    )
    plan = runner.RunPlan(
        out=out or Path("outputs") / run_name,
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
    _execute(plan, executor, workers, scheduler, quiet)


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
    workers: WorkersOpt = None,
    executor: ExecutorOpt = Executor.process,
    scheduler: SchedulerOpt = None,
) -> None:
    """Fit assumption parameters to the calibration targets (simulated method of moments).

    Every evaluation's runs are written to a run folder: running the same command again
    resumes a killed calibration (finished evaluations are read, not run) with the same result.
    """
    from sim.calibrate import (
        DEFAULT_PARAMS,
        CalibrationError,
        Evaluation,
        check_settings,
        describe_values,
        fit,
        write_scenario,
    )
    from sim.targets import format_checks

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
            **_engine_options(workers, executor, scheduler),
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
        with engine_errors(command), _engine(executor, workers, scheduler, quiet=True) as engine:
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
    workers: WorkersOpt = None,
    executor: ExecutorOpt = Executor.process,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Global sensitivity (Morris mu*, sigma) of a metric or a policy effect to assumptions.

    The runs are written to a run folder: running the same command again resumes a killed
    screen (finished runs are skipped) with the same result.
    """
    from sim.sensitivity import (
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
            **_engine_options(workers, executor, scheduler),
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
        with engine_errors(command), _engine(executor, workers, scheduler, quiet) as engine:
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
    seeds: SeedsOpt = None,
    seed_list: SeedListOpt = None,
    months: MonthsOpt = None,
    students: StudentsOpt = None,
    out: OutOpt = None,
    name: NameOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = Executor.process,
    scheduler: SchedulerOpt = None,
    fmt: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
    quiet: QuietOpt = False,
) -> None:
    """Is the policy's effect robust to the assumptions, and under which ones does it flip?

    Runs the policy and its baseline on common seeds at each design point over the uncertain
    parameters (resumable, like `run`), then prints the effect's distribution across points and
    the parameter ranges where the --where condition holds (PRIM). Writes
    <run>/robustness/points.parquet and two figures per metric (with CSVs) in <run>/plots/.
    """
    from sim import robustness
    from sim.compare import CompareError
    from sim.metrics import METRICS_BY_NAME
    from sim.stats import Window, resolve_window

    problems: list[str] = []
    loaded: list[Scenario] = []
    for ref in (policy, baseline):
        try:
            loaded.append(load_scenario(ref))
        except ScenarioError as err:
            problems += [p.format() for p in err.problems]
    if problems:
        _exit_problems(problems)
    resolved, chosen = _run_settings(loaded, seeds, seed_list, months, students, problems)
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
    run_name = name or study.default_name()
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
            **_run_options(seeds, seed_list, months, students, out, name),
            **_engine_options(workers, executor, scheduler),
            "--format": fmt.value if fmt != CompareFormat.table else None,
            "--quiet": quiet,
        },
    )
    plan = study.run_plan(out or Path("outputs") / run_name, chosen, command, run_name)
    if not quiet:
        typer.echo(
            f"Robustness of {study.policy.name} vs {study.baseline.name}: {study.samples} points "
            f"({design.value}) over {len(study.params)} parameters x {len(chosen)} seeds "
            f"= {len(plan.tasks)} runs into {plan.out}/",
            err=True,
        )
    _execute(plan, executor, workers, scheduler, quiet)
    with analysis_errors():
        points = robustness.effects(
            plan.out, study.meta(), metric, window, where=dict.fromkeys(metric, where), seeds=chosen
        )
        summary = robustness.summarise(points)
        written = robustness.write_outputs(plan.out, points, summary)
    typer.echo(robustness.format_summary(points, summary, fmt.value), nl=False)
    if not quiet:
        typer.echo(f"wrote {written[0]} and {len(written) - 1} figures (with CSVs)", err=True)


if __name__ == "__main__":  # pragma: no cover
    app()
