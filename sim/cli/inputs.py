"""Commands on scenarios and parameters: ``scenarios``, ``validate``, ``params``, ``docs``."""

from __future__ import annotations

import textwrap
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sim.analysis import docs
from sim.cli.common import app, load_or_exit
from sim.inputs.scenario import (
    ScenarioError,
    default_scenario,
    list_scenarios,
    load_scenario,
)


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
