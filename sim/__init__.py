"""hiresim: a hiring-impact simulator of students, employers and universities.

The names a notebook needs, importable from ``sim`` itself::

    import sim

    plan = sim.plan_run(["baseline", "full_blueprint"], seeds=10, students=5_000, out="outputs/nb")
    sim.execute(plan)  # resumable: run it again and finished tasks are skipped
    effects = sim.compare("outputs/nb", metrics=["recent_grad_unemployment_rate"])
    effects.to_pandas()  # paired effects against the baseline, with 95% CIs
    sim.plot("outputs/nb", "mean_starting_salary", "timeseries")  # a PNG and its CSV
    run = sim.load_run("outputs/nb")  # run.metrics: every scenario, seed and month
    one = sim.run_scenario(sim.load_scenario("baseline"), seed=1, students=2_000)  # in memory

Data flows top to bottom: ``params`` (registry) -> ``scenario`` (TOML, policies) -> ``model``
(Mesa model with vectorized student arrays) -> ``simulate`` (one run, Arrow tables) -> ``plan``,
``runner`` and ``store`` (many runs, Parquet) -> ``compare``, ``plots``, ``report``,
``calibrate``.

``import sim`` imports none of them: each name is imported on first use, so the command line and
the worker processes do not pay for the model, Matplotlib or Dash until they need them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"

# Where each public name lives; imported on first use (PEP 562).
_HOMES: dict[str, str] = {
    "Scenario": "sim.scenario",
    "load_scenario": "sim.scenario",
    "list_scenarios": "sim.scenario",
    "plan_run": "sim.plan",
    "execute": "sim.runner",
    "run_scenario": "sim.simulate",
    "HiringModel": "sim.model",
    "load_run": "sim.store",
    "compare": "sim.compare",
    "compare_groups": "sim.compare",
    "plot": "sim.plots",
    "report": "sim.report",
}

__all__ = list(_HOMES)

_SHADOWED = frozenset(name for name, home in _HOMES.items() if home == f"sim.{name}")
"""Public functions named like their module (``compare``, ``report``): importing the module
would bind ``sim.compare`` to it, so ``sim.compare(...)`` would fail after ``sim.plot(...)``."""

if TYPE_CHECKING:  # the same names, for type checkers and editors ("as": re-exported)
    from sim.compare import compare as compare
    from sim.compare import compare_groups as compare_groups
    from sim.store import load_run as load_run
    from sim.model import HiringModel as HiringModel
    from sim.plan import plan_run as plan_run
    from sim.plots import plot as plot
    from sim.report import report as report
    from sim.runner import execute as execute
    from sim.scenario import Scenario as Scenario
    from sim.scenario import list_scenarios as list_scenarios
    from sim.scenario import load_scenario as load_scenario
    from sim.simulate import run_scenario as run_scenario


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


class _Package(ModuleType):
    """This package's module type: keeps ``sim.compare`` and ``sim.report`` the functions.

    The import system binds each imported submodule as an attribute of its package; for the
    names in :data:`_SHADOWED` that binding is dropped (``from sim.compare import x`` and
    ``import_module("sim.compare")`` still work: they read ``sys.modules``).
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
