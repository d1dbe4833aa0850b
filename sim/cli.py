"""The ``hiresim`` command line: parses arguments, calls the library, prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="hiresim",
    help="Hiring-impact simulator: students, employers and universities under microcredential "
    "policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


if __name__ == "__main__":  # pragma: no cover
    app()
