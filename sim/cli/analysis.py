"""Commands that read run folders: ``compare``, ``plot``, ``report``, ``explore``, ``targets``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypedDict

import typer

from sim.cli.common import (
    BaselineOpt,
    BootstrapOpt,
    CompareFormat,
    MonthOpt,
    RunDirArg,
    WindowOpt,
    _exit_problems,
    analysis_errors,
    app,
    check_out_file,
)


class PlotKind(StrEnum):
    """Figure kinds of ``hiresim plot``."""

    timeseries = "timeseries"
    difference = "difference"
    distribution = "distribution"
    tornado = "tornado"


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
    from sim.analysis.compare import (
        CompareError,
        compare,
        compare_groups,
        compare_who_gains,
        format_table,
    )

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
    from sim.analysis.compare import CompareError
    from sim.analysis.plots import plot
    from sim.experiments.store import load_run

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
    from sim.analysis.report import KEY_METRICS, report

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
    from sim.analysis.targets import TargetsError, check_run, format_checks
    from sim.experiments.store import DamagedRunError

    try:
        result = check_run(run_dir, scenario)
    except (TargetsError, DamagedRunError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(format_checks(result.checks, fmt.value, result.note()), nl=False)
    if strict and result.failed:
        raise typer.Exit(1)
