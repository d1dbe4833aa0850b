"""The ``hiresim`` command line: parses arguments, calls the library, prints."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sim import docs
from sim.scenario import (
    Scenario,
    ScenarioError,
    default_scenario,
    list_scenarios,
    load_scenario,
)

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
    """Output formats of ``hiresim compare``."""

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
    """Print a refused comparison (:class:`sim.compare.CompareError`) on stderr; exit 2."""
    from sim.compare import CompareError

    try:
        yield
    except CompareError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


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
) -> None:
    """Effects of each scenario against the baseline: paired differences by seed, 95% CIs."""
    from sim.compare import compare, format_table

    with analysis_errors():
        table = compare(
            run_dir,
            baseline=baseline,
            metrics=metric,
            scenarios=scenario,
            month=month,
            window=window,
            against=against,
            method="bootstrap" if bootstrap else "t",
        )
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
) -> None:
    """Draw figures of a run; each image gets a CSV of its numbers beside it."""
    from sim.compare import load_run
    from sim.plots import plot

    kinds = kind or [PlotKind.timeseries]
    with analysis_errors():
        run = load_run(run_dir)
        for k in kinds:
            for m in metric:
                target = out
                if out is not None and len(kinds) * len(metric) > 1:
                    target = out.with_name(f"{out.stem}-{k.value}-{m}{out.suffix}")
                path = plot(
                    run,
                    m,
                    k.value,
                    scenarios=scenario,
                    baseline=baseline,
                    month=month,
                    window=window,
                    method="bootstrap" if bootstrap else "t",
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
    from sim.targets import TargetsError, check_run, format_checks

    try:
        result = check_run(run_dir, scenario)
    except TargetsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(format_checks(result.checks, fmt.value, result.note()), nl=False)
    if strict and result.failed:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
