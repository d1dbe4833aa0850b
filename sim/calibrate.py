"""Calibration by simulated method of moments: fit assumption parameters to the targets.

The moments are the calibrated targets of :data:`sim.params.TARGETS`: each is a metric's mean over
a month window. For a candidate set of parameter values, the scenario is run on a fixed set of
seeds (the same seeds at every evaluation: common random numbers, so two candidates differ by
their parameters and not by their luck); each target's simulated moment is the mean over seeds of
each seed's window mean, and the objective is :func:`sim.targets.distance`::

    sum over calibrated targets of ((simulated moment - target value) / tolerance) ** 2

A derivative-free optimiser (``scipy.optimize.minimize``, Nelder-Mead or Powell) searches the
chosen parameters scaled to ``[0, 1]`` over their registry ranges (log-scaled where a range spans
two orders of magnitude or more), within those bounds. The ``budget`` counts distinct parameter
points simulated, the starting point included; the best point seen is kept, so the result is
never worse than the start. Only ``assumption`` parameters are fitted: figures from the report,
the literature or derived from them are data, never tuned to fit.

The seeds of one evaluation run in parallel on a pool of worker processes
(``concurrent.futures.ProcessPoolExecutor``): :mod:`sim.runner` writes run folders and has no
in-memory executor, and an evaluation needs only a few window means back.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import multiprocessing
import os
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.params import REGISTRY, SHARE_GROUPS, TARGETS, Param, Target, Value
from sim.scenario import Scenario, ScenarioError, _param_hint, find_scenario
from sim.targets import TargetCheck, calibrated_targets, check, distance

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_SEED_START",
    "METHODS",
    "CalibrationError",
    "CalibrationResult",
    "Evaluation",
    "Scale",
    "SeedPool",
    "calibrate",
    "check_fit_params",
    "render_scenario",
    "simulate_seed",
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
_LOG_SPAN = 100.0
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
            hint = _param_hint(name)
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


@dataclass(frozen=True)
class Scale:
    """A parameter's registry range mapped to ``[0, 1]``.

    Attributes:
        param: The parameter.
        log: Whether the map is logarithmic (a positive range spanning 100x or more).
    """

    param: Param

    @property
    def log(self) -> bool:
        lo, hi = self.bounds
        return lo > 0 and hi / lo >= _LOG_SPAN

    @property
    def bounds(self) -> tuple[float, float]:
        assert self.param.range is not None
        return float(self.param.range[0]), float(self.param.range[1])

    def to_unit(self, value: float) -> float:
        """The scaled position of ``value`` in ``[0, 1]``."""
        lo, hi = self.bounds
        if hi == lo:
            return 0.0
        if self.log:
            u = math.log(float(value) / lo) / math.log(hi / lo)
        else:
            u = (float(value) - lo) / (hi - lo)
        return min(1.0, max(0.0, u))

    def from_unit(self, u: float) -> Value:
        """The parameter value at scaled position ``u`` (clipped to ``[0, 1]``).

        Integers are rounded; floats keep six significant digits, so a value written to a
        scenario file is exactly the value that was simulated.
        """
        lo, hi = self.bounds
        u = min(1.0, max(0.0, float(u)))
        x = lo * (hi / lo) ** u if self.log else lo + u * (hi - lo)
        if self.param.kind is int:
            return int(min(hi, max(lo, math.floor(x + 0.5))))
        return min(hi, max(lo, float(f"{x:.6g}")))


# ==================================================================== simulating


def simulate_seed(
    scenario_json: str, seed: int, months: int, students: int, metrics: Sequence[str]
) -> dict[str, list[float]]:
    """Run one scenario on one seed; the function pool workers execute (top level: spawn-safe).

    Args:
        scenario_json: ``json.dumps(scenario.to_dict())``.
        seed: The seed.
        months: Output months to run.
        students: Population.
        metrics: Metric columns to return.

    Returns:
        ``month`` and each metric, as lists over the output months.
    """
    from sim.simulate import run_scenario

    scenario = Scenario.from_dict(json.loads(scenario_json))
    table = run_scenario(scenario, seed, months=months, students=students, groups=False).metrics
    return {name: table.column(name).to_pylist() for name in ("month", *metrics)}


class SeedPool:
    """Runs a scenario on several seeds, in parallel on worker processes (or in this process).

    Use as a context manager; workers start on first use and stop on exit.

    Args:
        workers: Worker processes; 1 runs in this process.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> SeedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(
        self,
        scenario: Scenario,
        seeds: Sequence[int],
        *,
        months: int,
        students: int,
        metrics: Sequence[str],
    ) -> pa.Table:
        """Monthly ``metrics`` of ``scenario`` on each seed, as one table with a ``seed`` column.

        Raises:
            Exception: Whatever a run raised (the first failure).
        """
        results = self.run_many(
            [(scenario, int(s)) for s in seeds], months=months, students=students, metrics=metrics
        )
        tables = []
        for seed, cols in zip(seeds, results, strict=True):
            t = pa.table(cols)
            tables.append(t.append_column("seed", pa.array([int(seed)] * t.num_rows, pa.int64())))
        return pa.concat_tables(tables)

    def run_many(
        self,
        tasks: Sequence[tuple[Scenario, int]],
        *,
        months: int,
        students: int,
        metrics: Sequence[str],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[dict[str, list[float]]]:
        """Monthly ``metrics`` of each (scenario, seed) task, in task order.

        Args:
            tasks: Scenario and seed pairs.
            months: Output months of every run.
            students: Population of every run.
            metrics: Metric columns to return.
            progress: Called with (tasks done, tasks) as tasks finish.

        Raises:
            Exception: Whatever a run raised (the first failure).
        """
        payloads: dict[int, str] = {}
        args = []
        for scenario, seed in tasks:
            key = id(scenario)
            if key not in payloads:
                payloads[key] = json.dumps(scenario.to_dict())
            args.append((payloads[key], int(seed), months, students, tuple(metrics)))
        if self.workers == 1 or len(args) == 1:
            results = []
            for i, a in enumerate(args, 1):
                results.append(simulate_seed(*a))
                if progress is not None:
                    progress(i, len(args))
            return results
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        futures = {self._pool.submit(simulate_seed, *a): i for i, a in enumerate(args)}
        out: list[dict[str, list[float]] | None] = [None] * len(args)
        for n, future in enumerate(cf.as_completed(futures), 1):
            out[futures[future]] = future.result()
            if progress is not None:
                progress(n, len(args))
        return [r for r in out if r is not None]


# ==================================================================== the fit


@dataclass(frozen=True)
class Evaluation:
    """One parameter point simulated.

    Attributes:
        number: 1 for the starting point, then in order.
        values: The fitted parameters' values at this point.
        objective: :func:`sim.targets.distance` of the checks.
        checks: The targets compared with the simulated moments.
    """

    number: int
    values: dict[str, Value]
    objective: float
    checks: list[TargetCheck]


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
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def fitted(self) -> dict[str, Value]:
        """The best values of the fitted parameters."""
        return dict(self.best.values)

    @property
    def improved(self) -> bool:
        """Whether the best point beats the start."""
        return self.best.objective < self.start.objective


class _BudgetSpent(Exception):
    pass


def calibrate(
    scenario: Scenario,
    params: Sequence[str] | None = None,
    *,
    budget: int = 60,
    seeds: int = 4,
    seed_start: int = DEFAULT_SEED_START,
    students: int | None = None,
    months: int | None = None,
    method: str = "nelder-mead",
    workers: int | None = None,
    targets: Sequence[Target] = TARGETS,
    progress: Callable[[Evaluation, Evaluation, int], None] | None = None,
) -> CalibrationResult:
    """Fit assumption parameters of ``scenario`` to the calibrated targets.

    Args:
        scenario: Scenario whose values are the starting point (its burn-in applies).
        params: Parameters to fit (default :data:`DEFAULT_PARAMS`); assumptions only.
        budget: Distinct parameter points to simulate, the start included (at least 2).
        seeds: Common seeds per evaluation: ``seed_start .. seed_start + seeds - 1``.
        seed_start: First seed.
        students: Population (default: the scenario's).
        months: Output months per run (default: the last month of any target window).
        method: ``nelder-mead`` or ``powell``.
        workers: Worker processes for the seeds (default: the core count; 1 in process).
        targets: Targets (the calibrated ones are fitted).
        progress: Called after every evaluation with (evaluation, best so far, budget).

    Returns:
        The result; ``best`` is never worse than ``start``.

    Raises:
        CalibrationError: For parameters that may not be fitted or bad settings.
    """
    from scipy.optimize import minimize

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
    students = students or scenario.run.students
    try:
        scenario = scenario.with_run(months=months, students=students)
    except ScenarioError as exc:
        raise CalibrationError(exc.format()) from None
    seed_list = tuple(range(seed_start, seed_start + seeds))
    metrics = tuple(dict.fromkeys(t.metric for t in cal if t.metric))
    scales = [Scale(p) for p in fit]

    history: list[Evaluation] = []
    cache: dict[tuple[Value, ...], float] = {}
    best: list[Evaluation] = []

    def values_at(x: np.ndarray) -> dict[str, Value]:
        return {s.param.name: s.from_unit(u) for s, u in zip(scales, x, strict=True)}

    with SeedPool(min(workers or os.cpu_count() or 1, seeds)) as pool:

        def evaluate(values: dict[str, Value]) -> Evaluation:
            try:
                candidate = scenario.with_params(values)
            except ScenarioError as exc:  # a cross-parameter rule broken: infeasible
                return _infeasible(len(history) + 1, values, cal, exc)
            table = pool.run(
                candidate, seed_list, months=months, students=students, metrics=metrics
            )
            checks = check(table, cal)
            return Evaluation(len(history) + 1, values, distance(checks), checks)

        def objective(x: np.ndarray) -> float:
            values = values_at(x)
            key = tuple(values.values())
            if key in cache:
                return cache[key]
            if len(history) >= budget:
                raise _BudgetSpent
            ev = evaluate(values)
            history.append(ev)
            if not best or ev.objective < best[0].objective:
                best[:] = [ev]
            cache[key] = ev.objective if math.isfinite(ev.objective) else _INFEASIBLE
            if progress is not None:
                progress(ev, best[0], budget)
            return cache[key]

        x0 = np.array([s.to_unit(scenario.value(s.param.name)) for s in scales])
        options: dict[str, object] = {"maxfev": 50 * budget, "xtol": 1e-4, "ftol": 1e-4}
        if method == "nelder-mead":
            simplex = [x0.copy()]
            for i in range(len(x0)):
                v = x0.copy()
                v[i] = v[i] + INITIAL_STEP if v[i] + INITIAL_STEP <= 1.0 else v[i] - INITIAL_STEP
                simplex.append(v)
            options = {
                "maxfev": 50 * budget,
                "xatol": 1e-4,
                "fatol": 1e-4,
                "initial_simplex": np.array(simplex),
            }
        message = ""
        try:
            out = minimize(
                objective,
                x0,
                method="Nelder-Mead" if method == "nelder-mead" else "Powell",
                bounds=[(0.0, 1.0)] * len(x0),
                options=options,
            )
            message = str(out.message)
        except _BudgetSpent:
            message = f"budget of {budget} evaluations spent"
    return CalibrationResult(
        scenario=scenario,
        params=fit,
        start=history[0],
        best=best[0],
        history=history,
        budget=budget,
        seeds=seed_list,
        students=students,
        months=months,
        method=method,
        message=message,
    )


def _infeasible(
    number: int, values: dict[str, Value], cal: Sequence[Target], exc: ScenarioError
) -> Evaluation:
    nan = math.nan
    reason = exc.format().splitlines()[0]
    checks = [TargetCheck(t, (), nan, nan, nan, "no data", reason) for t in cal]
    return Evaluation(number, values, math.inf, checks)


# ==================================================================== the scenario file


def _toml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def _toml_multiline(text: str) -> str:
    """Text as a TOML multi-line string whose lines end in a line-ending backslash."""
    lines = textwrap.wrap(text, 96, break_on_hyphens=False)
    return '"""\\\n' + " \\\n".join(lines) + '"""'


def _extends_ref(scenario: Scenario, out_dir: Path) -> str:
    """How the written file refers to ``scenario``: its name when that resolves to the same
    file from ``out_dir``, else a path relative to ``out_dir``."""
    if scenario.source is None:
        return scenario.name
    source = Path(scenario.source).resolve()
    try:
        if find_scenario(scenario.name, out_dir).resolve() == source:
            return scenario.name
    except ScenarioError:
        pass
    return os.path.relpath(source, out_dir.resolve())


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
        f"# Fitted to the calibrated targets of sim/params.py TARGETS, from scenario "
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
            f"#   {p.name} = {_toml_value(r.start.values[p.name])}"
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
        "description = " + _toml_multiline(description),
        f"extends = {json.dumps(extends)}",
        "",
        "[params]",
        *[f'"{p.name}" = {_toml_value(r.best.values[p.name])}' for p in r.params],
    ]
    return "\n".join([*head, "", *body]) + "\n"


def write_scenario(result: CalibrationResult, out: Path, *, command: str = "") -> Path:
    """Write the calibrated scenario to ``out`` (named after the file) and check it loads.

    Raises:
        CalibrationError: When ``out`` is the calibrated scenario's own file, or the written
            file does not load back with the fitted values.
    """
    from sim.scenario import load_scenario

    out = Path(out)
    if result.scenario.source and Path(result.scenario.source).resolve() == out.resolve():
        raise CalibrationError(f"--out {out} is the scenario being calibrated; choose another file")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render_scenario(
        result, name=out.stem, extends=_extends_ref(result.scenario, out.parent), command=command
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
    return ", ".join(f"{k.split('.', 1)[1]}={_toml_value(v)}" for k, v in values.items())
