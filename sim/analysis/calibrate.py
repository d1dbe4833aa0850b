"""Calibration by simulated method of moments: fit assumption parameters to the targets.

The moments are the calibrated targets of :data:`sim.inputs.params.TARGETS`: each is a metric's mean
over a month window. For a candidate set of parameter values, the scenario is run on a fixed set of
seeds (the same seeds at every evaluation: common random numbers, so two candidates differ by
their parameters and not by their luck); each target's simulated moment is the mean over seeds of
each seed's window mean, and the objective is :func:`sim.analysis.targets.distance`::

    sum over calibrated targets of ((simulated moment - target value) / tolerance) ** 2

A derivative-free optimiser (``scipy.optimize.minimize``, Nelder-Mead or Powell) searches the
chosen parameters scaled to ``[0, 1]`` over their registry ranges (log-scaled where a range spans
two orders of magnitude or more), within those bounds. The ``budget`` counts distinct parameter
points simulated, the starting point included; the best point seen is kept, so the result is
never worse than the start. Only ``assumption`` parameters are fitted: figures from the report,
the literature or derived from them are data, never tuned to fit.

Each evaluation is a :class:`sim.experiments.runner.RunPlan` (the candidate scenario, named after a
hash of its values, on the common seeds) executed by one :class:`sim.experiments.runner.Engine`
(process pool or Dask, as ``hiresim run``) into a run folder; its moments are read back from there.
Running the same calibration again into the same folder replays the search, reading the evaluations
already on disk instead of running them: a killed calibration resumes where it stopped and ends with
the same result.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.targets import TargetCheck, calibrated_targets, check, distance
from sim.experiments import runner, store
from sim.experiments.sweep import Scale, values_digest
from sim.inputs.params import REGISTRY, SHARE_GROUPS, TARGETS, Param, Target, Value
from sim.inputs.scenario import Scenario, ScenarioError, param_hint
from sim.inputs.scenario_toml import extends_ref, toml_multiline, toml_value

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_SEED_START",
    "METHODS",
    "CalibrationError",
    "CalibrationResult",
    "Evaluation",
    "Setup",
    "calibrate",
    "check_fit_params",
    "check_settings",
    "describe_values",
    "fit",
    "format_fit",
    "render_scenario",
    "write_scenario",
]

DEFAULT_PARAMS: tuple[str, ...] = (
    "learning.mc_start_hazard",
    "learning.genai_choice_conversion",
    "learning.credit_choice_conversion",
    "employers.jobs_per_labour_force",
    "employers.students_per_employer",
    "wages.reference_signal",
)
"""Fitted by default: the assumptions the calibrated targets depend on most directly
(MC uptake and the GenAI and credit-bearing choices for the student shares; jobs per labour force
for unemployment; employer size for the share of employers hiring an MC holder; the reference
signal for the mean starting salary)."""

DEFAULT_SEED_START = 1001
"""Calibration seeds start here, so a check run on seeds 1..10 is out of sample."""

METHODS: tuple[str, ...] = ("nelder-mead", "powell")
INITIAL_STEP = 0.15
"""Size of Nelder-Mead's initial simplex in the scaled [0, 1] space."""
_INFEASIBLE = 1e12


class CalibrationError(ValueError):
    """A calibration that cannot be done as asked (a report figure to fit, a bad setting)."""


# ==================================================================== parameters


def check_fit_params(names: Iterable[str], purpose: str = "fitted") -> tuple[Param, ...]:
    """The registry entries of ``names``, refusing any that may not be fitted (or varied).

    Args:
        names: Dotted parameter names.
        purpose: What is done to them, for the messages (``fitted``, ``varied``).

    Raises:
        CalibrationError: For an unknown name, a parameter not of kind ``assumption`` (with its
            source), a boolean or choice parameter, one of a group that must sum to 1, a repeated
            name or an empty list.
    """
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise CalibrationError(f"no parameters to be {purpose}")
    grouped = {n: g for g in SHARE_GROUPS.values() for n in g}
    problems: list[str] = []
    params: list[Param] = []
    for name in names:
        p = REGISTRY.get(name)
        if p is None:
            hint = param_hint(name)
            problems.append(
                f"{name}: unknown parameter (see `hiresim params`)" + (f"; {hint}" if hint else "")
            )
        elif p.source_kind != "assumption":
            problems.append(
                f"{name}: refused, its value is a {p.source_kind} figure ({p.source}); only "
                f"`assumption` parameters are {purpose}, figures from the report and the "
                "literature are data"
            )
        elif p.kind not in (int, float) or p.range is None:
            problems.append(f"{name}: a {p.kind.__name__} parameter cannot be {purpose}")
        elif name in grouped:
            others = ", ".join(n for n in grouped[name] if n != name)
            problems.append(f"{name}: must sum to 1 with {others}; it cannot be {purpose} alone")
        elif p in params:
            problems.append(f"{name}: given twice")
        else:
            params.append(p)
    if problems:
        raise CalibrationError("\n".join(problems))
    return tuple(params)


# ==================================================================== the setting


@dataclass(frozen=True)
class Setup:
    """A checked calibration setting: what is fitted to what, on which runs.

    Attributes:
        scenario: The starting point, with the run's months and students applied.
        params: The fitted parameters.
        targets: The calibrated targets fitted.
        seeds: The common seeds of every evaluation.
        budget: Distinct parameter points to simulate, the start included.
        method: Optimiser.
    """

    scenario: Scenario
    params: tuple[Param, ...]
    targets: tuple[Target, ...]
    seeds: tuple[int, ...]
    budget: int
    method: str

    @property
    def scales(self) -> tuple[Scale, ...]:
        """Each fitted parameter's map to ``[0, 1]``."""
        return tuple(Scale(p) for p in self.params)

    @property
    def key(self) -> str:
        """A short hash of what an evaluation's runs depend on (not the budget or method, so a
        longer or another search resumes from the same folder)."""
        text = json.dumps(
            [self.scenario.hash, [p.name for p in self.params], list(self.seeds)], sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def default_name(self) -> str:
        """Default run-folder name: ``<scenario>-calibrate-<key>``."""
        return f"{self.scenario.name}-calibrate-{self.key}"

    def start(self) -> np.ndarray:
        """The starting point (the scenario's values) in the scaled space."""
        return np.array([s.to_unit(float(self.scenario.value(s.param.name))) for s in self.scales])

    def values_at(self, x: np.ndarray) -> dict[str, Value]:
        """The fitted parameters' values at scaled point ``x``."""
        return {s.param.name: s.from_unit(u) for s, u in zip(self.scales, x, strict=True)}

    def candidate(self, values: Mapping[str, Value]) -> Scenario:
        """The scenario at ``values``, named ``<scenario>__c-<hash of the values>`` (stable, so a
        rerun finds its runs in the folder).

        Raises:
            ScenarioError: When the values break a cross-parameter rule.
        """
        base = self.scenario
        return base.with_params(
            dict(values),
            name=f"{base.name}__c-{values_digest(values, 8)}",
            description=f"{base.name} with {describe_values(values)} (a calibration candidate)",
        )

    def meta(self) -> dict[str, Any]:
        """The setting as recorded in the run folder's manifest under ``calibration``."""
        return {
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario.hash,
            "params": [p.name for p in self.params],
            "targets": [t.name for t in self.targets],
            "seeds": list(self.seeds),
            "budget": self.budget,
            "method": self.method,
            "students": self.scenario.run.students,
            "months": self.scenario.run.months,
        }


def check_settings(
    scenario: Scenario,
    params: Sequence[str] | None = None,
    *,
    budget: int = 60,
    seeds: int = 4,
    seed_start: int = DEFAULT_SEED_START,
    students: int | None = None,
    months: int | None = None,
    method: str = "nelder-mead",
    targets: Sequence[Target] = TARGETS,
) -> Setup:
    """Check a calibration's setting.

    Args:
        scenario: Scenario whose values are the starting point (its burn-in applies).
        params: Parameters to fit (default :data:`DEFAULT_PARAMS`); assumptions only.
        budget: Distinct parameter points to simulate, the start included (at least 2).
        seeds: Common seeds per evaluation: ``seed_start .. seed_start + seeds - 1``.
        seed_start: First seed.
        students: Population (default: the scenario's).
        months: Output months per run (default: the last month of any target window).
        method: ``nelder-mead`` or ``powell``.
        targets: Targets (the calibrated ones are fitted).

    Raises:
        CalibrationError: For parameters that may not be fitted or bad settings.
    """
    fit = check_fit_params(params or DEFAULT_PARAMS)
    if method not in METHODS:
        raise CalibrationError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if budget < 2:
        raise CalibrationError("--budget must be at least 2 (the start and one more point)")
    if seeds < 1:
        raise CalibrationError("--seeds must be at least 1")
    cal = calibrated_targets(targets)
    if not cal:
        raise CalibrationError("there are no calibrated targets to fit")
    need = max(t.window[1] for t in cal)
    months = months or need
    if months < need:
        raise CalibrationError(
            f"--months {months} is too short: the targets' windows reach month {need}"
        )
    try:
        scenario = scenario.with_run(months=months, students=students or scenario.run.students)
    except ScenarioError as exc:
        raise CalibrationError(exc.format()) from None
    seed_list = tuple(range(seed_start, seed_start + seeds))
    return Setup(scenario, fit, cal, seed_list, budget, method)


# ==================================================================== the fit


@dataclass(frozen=True)
class Evaluation:
    """One parameter point simulated.

    Attributes:
        number: 1 for the starting point, then in order.
        values: The fitted parameters' values at this point.
        objective: :func:`sim.analysis.targets.distance` of the checks.
        checks: The targets compared with the simulated moments.
        ran: Runs done for this evaluation now.
        reused: Runs of this evaluation found done in the run folder (read, not run).
    """

    number: int
    values: dict[str, Value]
    objective: float
    checks: list[TargetCheck]
    ran: int = 0
    reused: int = 0


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes:
        scenario: The scenario calibrated (its values are the starting point).
        params: The fitted parameters.
        start: The starting point's evaluation.
        best: The best evaluation.
        history: Every evaluation, in order.
        budget: Evaluations allowed.
        seeds: The common seeds.
        students: Population of each run.
        months: Output months of each run.
        method: Optimiser.
        message: The optimiser's stopping reason.
        out: The run folder holding every evaluation's runs.
    """

    scenario: Scenario
    params: tuple[Param, ...]
    start: Evaluation
    best: Evaluation
    history: list[Evaluation]
    budget: int
    seeds: tuple[int, ...]
    students: int
    months: int
    method: str
    message: str = ""
    out: Path | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def fitted(self) -> dict[str, Value]:
        """The best values of the fitted parameters."""
        return dict(self.best.values)

    @property
    def improved(self) -> bool:
        """Whether the best point beats the start."""
        return self.best.objective < self.start.objective

    @property
    def ran(self) -> int:
        """Runs done by this call (the others were found in the run folder)."""
        return sum(ev.ran for ev in self.history)


class _BudgetSpent(Exception):
    pass


class _Evaluator:
    """The objective the optimiser calls: runs each new point's seeds as a plan of the engine
    into the run folder (finished runs there are read back, not redone), within the budget.

    Keeps every evaluation in order and the best so far; a point seen before is not run again.
    """

    def __init__(
        self,
        setup: Setup,
        engine: runner.Engine,
        out: Path,
        command: Sequence[str],
        progress: Callable[[Evaluation, Evaluation, int], None] | None,
    ) -> None:
        self.setup, self.engine, self.out = setup, engine, out
        self.command = tuple(command)
        self.progress = progress
        self.history: list[Evaluation] = []
        self.best: Evaluation | None = None
        self._seen: dict[tuple[Value, ...], float] = {}

    def __call__(self, x: np.ndarray) -> float:
        values = self.setup.values_at(x)
        key = tuple(values.values())
        if key in self._seen:
            return self._seen[key]
        if len(self.history) >= self.setup.budget:
            raise _BudgetSpent
        ev = self.evaluate(values, len(self.history) + 1)
        self.history.append(ev)
        if self.best is None or ev.objective < self.best.objective:
            self.best = ev
        self._seen[key] = ev.objective if math.isfinite(ev.objective) else _INFEASIBLE
        if self.progress is not None:
            self.progress(ev, self.best, self.setup.budget)
        return self._seen[key]

    def evaluate(self, values: dict[str, Value], number: int) -> Evaluation:
        """Simulate the point on the common seeds and compare its moments with the targets.

        Raises:
            runner.Interrupted: Ctrl-C stopped the runs.
            runner.TasksFailed: A run raised.
        """
        setup = self.setup
        try:
            candidate = setup.candidate(values)
        except ScenarioError as exc:  # a cross-parameter rule broken: infeasible
            return _infeasible(number, values, setup.targets, exc)
        plan = runner.RunPlan(
            out=self.out,
            scenarios=(candidate,),
            seeds=setup.seeds,
            varied={candidate.name: values},
            command=self.command,
            name=self.out.name,
            extra={"calibration": setup.meta()},
        )
        report = self.engine.execute(plan)
        report.raise_if_incomplete()
        table = store.read_parts(self.out, candidate.name, setup.seeds)
        checks = check(table, setup.targets)
        ran = report.total - report.skipped
        return Evaluation(number, values, distance(checks), checks, ran, report.skipped)


def _optimiser_options(method: str, x0: np.ndarray, budget: int) -> dict[str, object]:
    """scipy's options: tolerances, a call cap well above the budget, Nelder-Mead's simplex."""
    if method == "powell":
        return {"maxfev": 50 * budget, "xtol": 1e-4, "ftol": 1e-4}
    simplex = [x0.copy()]
    for i in range(len(x0)):
        v = x0.copy()
        v[i] = v[i] + INITIAL_STEP if v[i] + INITIAL_STEP <= 1.0 else v[i] - INITIAL_STEP
        simplex.append(v)
    return {
        "maxfev": 50 * budget,
        "xatol": 1e-4,
        "fatol": 1e-4,
        "initial_simplex": np.array(simplex),
    }


def _search(objective: _Evaluator, x0: np.ndarray, method: str, budget: int) -> str:
    """Minimise ``objective`` over ``[0, 1]^k`` from ``x0``; returns why the search stopped."""
    from scipy.optimize import minimize

    try:
        out = minimize(
            objective,
            x0,
            method="Nelder-Mead" if method == "nelder-mead" else "Powell",
            bounds=[(0.0, 1.0)] * len(x0),
            options=_optimiser_options(method, x0, budget),
        )
    except _BudgetSpent:
        return f"budget of {budget} evaluations spent"
    return str(out.message)


def fit(
    setup: Setup,
    out: Path | str,
    *,
    engine: runner.Engine | None = None,
    command: Sequence[str] = (),
    progress: Callable[[Evaluation, Evaluation, int], None] | None = None,
) -> CalibrationResult:
    """Search for the best point of a checked setting, running evaluations into ``out``.

    Every evaluation's runs are written to the run folder ``out``; fitting the same setting
    again into it reads the finished ones back instead of running them, so a killed calibration
    resumes where it stopped and ends with the same result.

    Args:
        setup: The setting (:func:`check_settings`).
        out: The run folder.
        engine: Where the runs go (process pool or Dask); default: the core count of worker
            processes.
        command: The command line, recorded in the run folder's manifest.
        progress: Called after every evaluation with (evaluation, best so far, budget).

    Returns:
        The result; ``best`` is never worse than ``start``.

    Raises:
        runner.RunError: When the runs cannot be done
            (:class:`sim.experiments.runner.Interrupted` by Ctrl-C,
            :class:`sim.experiments.runner.TasksFailed`, a run folder holding other definitions).
    """
    folder = Path(out)
    with runner.engine_or_default(engine) as running:
        objective = _Evaluator(setup, running, folder, command, progress)
        message = _search(objective, setup.start(), setup.method, setup.budget)
    assert objective.best is not None
    run = setup.scenario.run
    return CalibrationResult(
        scenario=setup.scenario,
        params=setup.params,
        start=objective.history[0],
        best=objective.best,
        history=objective.history,
        budget=setup.budget,
        seeds=setup.seeds,
        students=run.students,
        months=run.months,
        method=setup.method,
        message=message,
        out=folder,
    )


def calibrate(
    scenario: Scenario,
    params: Sequence[str] | None = None,
    *,
    out: Path | str | None = None,
    engine: runner.Engine | None = None,
    progress: Callable[[Evaluation, Evaluation, int], None] | None = None,
    **settings: Any,
) -> CalibrationResult:
    """Fit assumption parameters of ``scenario`` to the calibrated targets: :func:`fit` (into
    ``out``, default ``outputs/<scenario>-calibrate-<key>``, with ``engine`` and ``progress``)
    of :func:`check_settings` (of ``scenario``, ``params`` and the ``settings``: ``budget``,
    ``seeds``, ``seed_start``, ``students``, ``months``, ``method``, ``targets``).

    Raises:
        CalibrationError: For parameters that may not be fitted or bad settings.
        runner.RunError: When the runs cannot be done.
    """
    setup = check_settings(scenario, params, **settings)
    folder = Path(out) if out is not None else Path("outputs") / setup.default_name()
    return fit(setup, folder, engine=engine, progress=progress)


def _infeasible(
    number: int, values: dict[str, Value], cal: Sequence[Target], exc: ScenarioError
) -> Evaluation:
    nan = math.nan
    reason = exc.format().splitlines()[0]
    checks = [TargetCheck(t, (), nan, nan, nan, "no data", reason) for t in cal]
    return Evaluation(number, values, math.inf, checks)


# ==================================================================== the scenario file


def _fit_lines(checks: Sequence[TargetCheck]) -> list[str]:
    lines = []
    width = max(len(c.target.name) for c in checks)
    for c in checks:
        t = c.target
        if c.status == "no data":
            model = f"no data ({c.detail})"
        else:
            ci = (
                f" [{c.ci_low:.4f}, {c.ci_high:.4f}]"
                if math.isfinite(c.ci_low) and math.isfinite(c.ci_high)
                else ""
            )
            model = f"model {c.mean:.4f}{ci}, {c.error:+.2f} tol"
        lines.append(
            f"{t.name.ljust(width)}  target {t.value:.4f} +- {t.tolerance:.4f}  {model}  "
            f"{c.status.upper()}"
        )
    return lines


def render_scenario(
    result: CalibrationResult, *, name: str, extends: str, command: str = ""
) -> str:
    """The calibrated scenario as TOML text: fitted ``[params]``, fit quality in comments."""
    r = result
    seeds = f"{r.seeds[0]}-{r.seeds[-1]}" if len(r.seeds) > 1 else str(r.seeds[0])
    head = [
        f"# Calibrated by simulated method of moments on {r.created}.",
        *([f"# Command: {command}"] if command else []),
        f"# Fitted to the calibrated targets of sim/inputs/params.py TARGETS, from scenario "
        f"'{r.scenario.name}':",
        f"#   {r.method}, budget {r.budget} evaluations ({len(r.history)} used: {r.message}),",
        f"#   {len(r.seeds)} common seeds ({seeds}), {r.students:,} students, "
        f"{r.months} output months after {r.scenario.run.burn_in_months} burn-in months.",
        "# Objective: sum over targets of ((model - target) / tolerance)^2, model = mean over",
        "# seeds of each seed's window mean.",
        f"#   start {r.start.objective:.4f} -> fitted {r.best.objective:.4f} "
        f"(evaluation {r.best.number}).",
        "# Fit per target at the fitted values (95% t-interval across the seeds):",
        *[f"#   {line}" for line in _fit_lines(r.best.checks)],
        "# Starting values:",
        *[
            f"#   {p.name} = {toml_value(r.start.values[p.name])}"
            + f"   (registry range {p.range_text()})"
            for p in r.params
        ],
    ]
    fitted_names = ", ".join(p.name for p in r.params)
    description = (
        f"The {r.scenario.name} scenario with its assumption parameters ({fitted_names}) fitted "
        "by simulated method of moments to the report's figures and the recent-graduate "
        "unemployment rate (the calibrated targets; check with `hiresim targets`). Figures from "
        "the report are never fitted. Fit quality, date and settings are in the comments."
    )
    body = [
        f"name = {json.dumps(name)}",
        "description = " + toml_multiline(description),
        f"extends = {json.dumps(extends)}",
        "",
        "[params]",
        *[f'"{p.name}" = {toml_value(r.best.values[p.name])}' for p in r.params],
    ]
    return "\n".join([*head, "", *body]) + "\n"


def write_scenario(result: CalibrationResult, out: Path, *, command: str = "") -> Path:
    """Write the calibrated scenario to ``out`` (named after the file) and check it loads.

    Raises:
        CalibrationError: When ``out`` is the calibrated scenario's own file, or the written
            file does not load back with the fitted values.
    """
    from sim.inputs.scenario import load_scenario

    out = Path(out)
    if result.scenario.source and Path(result.scenario.source).resolve() == out.resolve():
        raise CalibrationError(f"--out {out} is the scenario being calibrated; choose another file")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render_scenario(
        result, name=out.stem, extends=extends_ref(result.scenario, out.parent), command=command
    )
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text)
    try:
        loaded = load_scenario(tmp.resolve())
    except ScenarioError as exc:
        tmp.unlink()
        raise CalibrationError(f"the written scenario does not load:\n{exc.format()}") from None
    wrong = {k: v for k, v in result.fitted.items() if loaded.value(k) != v}
    if wrong:
        tmp.unlink()
        raise CalibrationError(f"the written scenario does not hold the fitted values: {wrong}")
    tmp.replace(out)
    return out


def format_fit(checks: Sequence[TargetCheck]) -> str:
    """The fit table as plain lines."""
    return "\n".join(_fit_lines(checks)) + "\n"


def describe_values(values: Mapping[str, Value]) -> str:
    """``name=value`` pairs on one line, short names."""
    return ", ".join(f"{k.split('.', 1)[1]}={toml_value(v)}" for k, v in values.items())
