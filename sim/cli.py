"""The ``hiresim`` command line: parses arguments, calls the library, prints."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="hiresim",
    help="Hiring-impact simulator: students, employers and universities under microcredential "
    "policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


if __name__ == "__main__":  # pragma: no cover
    app()
