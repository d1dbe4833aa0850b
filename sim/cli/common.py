"""What the commands share: the Typer app, error printing and output checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from sim.inputs.scenario import (
    Scenario,
    ScenarioError,
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


class CompareFormat(StrEnum):
    """Output formats of ``hiresim compare``, ``sensitivity`` and ``robustness``."""

    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


@contextmanager
def analysis_errors() -> Iterator[None]:
    """Print a refused comparison (:class:`sim.analysis.compare.CompareError`) or a damaged run
    folder (:class:`sim.experiments.store.DamagedRunError`) on stderr; exit 2."""
    from sim.analysis.compare import CompareError
    from sim.experiments.store import DamagedRunError

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
    from sim.experiments.store import unwritable

    problem = None if out is None else unwritable(out if folder is None else folder)
    return [f"--out {out}: {problem}; choose another --out"] if problem else []


def check_out_file(out: Path | None) -> None:
    """Refuse (:class:`sim.analysis.compare.CompareError`) an output file whose folder is
    unwritable."""
    from sim.analysis.compare import CompareError

    problems = out_problems(out, None if out is None else out.parent)
    if problems:
        raise CompareError(problems[0])


def _exit_problems(problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(problem, err=True)
    n = len(problems)
    typer.echo(f"{n} problem{'' if n == 1 else 's'} found; nothing was run.", err=True)
    raise typer.Exit(2)


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
