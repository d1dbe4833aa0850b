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

The code is in layers, each importing only from the layers after it (docs/architecture.md):
``sim.cli`` -> ``sim.analysis`` (statistics, effects, plots, reports, calibration) ->
``sim.experiments`` (one run, plans, executors, the Parquet store) -> ``sim.observe`` (what a run
records each month) -> ``sim.model`` (the Mesa model and one module per monthly process) ->
``sim.inputs`` (the parameter registry and the scenarios).

``import sim`` imports none of them: each name is imported on first use, so the command line and
the worker processes do not pay for the model, Matplotlib or Dash until they need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.4.0"

# Where each public name lives; imported on first use (PEP 562).
_HOMES: dict[str, str] = {
    "Scenario": "sim.inputs.scenario",
    "load_scenario": "sim.inputs.scenario",
    "list_scenarios": "sim.inputs.scenario",
    "plan_run": "sim.experiments.plan",
    "execute": "sim.experiments.runner",
    "run_scenario": "sim.experiments.simulate",
    "HiringModel": "sim.model.model",
    "load_run": "sim.experiments.store",
    "compare": "sim.analysis.compare",
    "compare_groups": "sim.analysis.compare",
    "plot": "sim.analysis.plots",
    "report": "sim.analysis.report",
}

__all__ = list(_HOMES)

if TYPE_CHECKING:  # the same names, for type checkers and editors ("as": re-exported)
    from sim.analysis.compare import compare as compare
    from sim.analysis.compare import compare_groups as compare_groups
    from sim.analysis.plots import plot as plot
    from sim.analysis.report import report as report
    from sim.experiments.plan import plan_run as plan_run
    from sim.experiments.runner import execute as execute
    from sim.experiments.simulate import run_scenario as run_scenario
    from sim.experiments.store import load_run as load_run
    from sim.inputs.scenario import Scenario as Scenario
    from sim.inputs.scenario import list_scenarios as list_scenarios
    from sim.inputs.scenario import load_scenario as load_scenario
    from sim.model.model import HiringModel as HiringModel


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
