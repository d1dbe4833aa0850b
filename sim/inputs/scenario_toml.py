"""Writing scenario files: TOML literals, long descriptions and ``extends`` references.

Scenario files are written by calibration (the fitted scenario) and by ``hiresim explore`` (a
saved what-if); both are read back by :func:`sim.inputs.scenario.load_scenario`, so numbers are
written exactly (a float keeps its ``repr``) and an ``extends`` reference resolves from the folder
the file is written in.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from sim.inputs.params import Value
from sim.inputs.scenario import Scenario, ScenarioError, find_scenario

__all__ = ["extends_ref", "toml_multiline", "toml_value"]


def toml_value(value: Value) -> str:
    """A boolean or number as a TOML literal; a float always reads back as a float."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def toml_multiline(text: str) -> str:
    """Text as a TOML multi-line string whose lines end in a line-ending backslash."""
    lines = textwrap.wrap(text, 96, break_on_hyphens=False)
    return '"""\\\n' + " \\\n".join(lines) + '"""'


def extends_ref(scenario: Scenario, out_dir: Path) -> str:
    """How a file written in ``out_dir`` refers to ``scenario`` in its ``extends``.

    Its name when that name resolves to the same file from ``out_dir``, else a path relative to
    ``out_dir``.
    """
    if scenario.source is None:
        return scenario.name
    source = Path(scenario.source).resolve()
    try:
        if find_scenario(scenario.name, out_dir).resolve() == source:
            return scenario.name
    except ScenarioError:
        pass
    return os.path.relpath(source, out_dir.resolve())
