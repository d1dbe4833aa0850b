"""The ``sim`` package itself: the names a notebook imports, and that importing it is cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module
from types import ModuleType

import pytest

import sim

NOTEBOOK_NAMES = {
    "Scenario", "load_scenario", "list_scenarios", "plan_run", "execute", "run_scenario",
    "HiringModel", "load_run", "compare", "compare_groups", "plot", "report",
}  # fmt: skip


def _fresh(code: str) -> object:
    """What ``code`` (ending in an expression) prints as JSON in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def test_star_import_gives_exactly_the_notebook_names() -> None:
    assert set(sim.__all__) == NOTEBOOK_NAMES and len(sim.__all__) == len(NOTEBOOK_NAMES)
    names = _fresh(
        "import json; ns = {}; exec('from sim import *', ns); "
        "print(json.dumps(sorted(k for k in ns if k != '__builtins__')))"
    )
    assert names == sorted(NOTEBOOK_NAMES)


@pytest.mark.parametrize("name", sorted(NOTEBOOK_NAMES))
def test_each_name_is_the_object_of_its_module(name: str) -> None:
    value = getattr(sim, name)
    assert not isinstance(value, ModuleType)
    assert getattr(import_module(value.__module__), name) is value


def test_import_sim_imports_no_model_plotting_or_web_library() -> None:
    loaded = _fresh(
        "import json, sys; before = set(sys.modules); import sim; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    assert isinstance(loaded, list)
    assert [m for m in loaded if m.startswith("sim")] == ["sim"]
    heavy = ("matplotlib", "dash", "mesa", "numpy", "pyarrow", "pandas", "scipy", "typer")
    assert not [m for m in loaded if m.split(".")[0] in heavy]


def test_compare_and_report_stay_functions_whatever_is_imported_first() -> None:
    kinds = _fresh(
        "import json, sim; import sim.analysis.plots, sim.analysis.compare, sim.analysis.report; "
        "from sim.analysis import robustness; "
        "print(json.dumps([type(sim.compare).__name__, type(sim.report).__name__]))"
    )
    assert kinds == ["function", "function"]


def test_unknown_names_raise_attribute_error() -> None:
    unknown = "nope"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr(sim, unknown)
    assert "plan_run" in dir(sim) and "__version__" in dir(sim)
