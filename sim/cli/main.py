"""The ``hiresim`` command line: thin commands that parse, call the library and print.

The commands are grouped by what they act on: :mod:`sim.cli.inputs` (scenarios and parameters),
:mod:`sim.cli.runs` (running the model), :mod:`sim.cli.analysis` (reading run folders); what
they share is in :mod:`sim.cli.common`. Importing them registers their commands on the app.
"""

from sim.cli import analysis, inputs, runs  # noqa: F401  (registers the commands)
from sim.cli.common import app

__all__ = ["app"]

ORDER = (
    *("scenarios", "validate", "params", "docs"),
    *("run", "sweep", "calibrate", "sensitivity", "robustness", "results"),
    *("compare", "plot", "report", "targets", "explore"),
)
"""The order ``hiresim --help`` lists the commands in: inputs, then runs, then analysis."""
app.registered_commands.sort(key=lambda c: ORDER.index(c.name or ""))

if __name__ == "__main__":  # pragma: no cover
    app()
