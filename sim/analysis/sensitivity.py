"""Global sensitivity by Morris elementary effects, of a metric or of a policy effect.

Each chosen ``assumption`` parameter is scaled to ``[0, 1]`` over its registry range (log-scaled
where the range spans two orders of magnitude or more, as in :mod:`sim.analysis.calibrate`). The
Morris design is ``r`` trajectories on a ``p``-level grid (``p = 4``, step ``delta = p / (2 (p -
1))``): each starts at a random grid point and moves one parameter at a time by ``+-delta``, in
random order, so each trajectory gives one elementary effect per parameter::

    EE_i = (y(x + delta e_i) - y(x)) / delta       (change of y per whole scaled range)

from ``k + 1`` model evaluations. Over trajectories, ``mu*`` (mean of ``|EE|``) ranks overall
influence, ``mu`` (mean of ``EE``) gives its direction and ``sigma`` (standard deviation of EE)
flags interactions or non-linearity (Morris 1991; Campolongo, Cariboni and Saltelli 2007 for
``mu*``). A percentile bootstrap over trajectories gives ``mu*``'s 95% interval.

The output ``y`` at a point is either a metric (its mean over a month window, by default the last
12 months, averaged over common seeds), or a policy effect: the scenario minus the baseline, both
with the point's parameter values, paired by seed and averaged. Every point uses the same seeds.

The runs (each design point's scenario, named ``<scenario>__m-<hash of the values>``, on every
seed) are one :class:`sim.experiments.runner.RunPlan`, executed like ``hiresim run`` (process pool
or Dask) into a run folder, from which the outputs are read: a screen killed midway resumes.
"""

from __future__ import annotations

import hashlib
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.calibrate import CalibrationError, check_fit_params
from sim.analysis.stats import seed_window_means
from sim.analysis.tables import csv_text, json_text, markdown_table, text_table
from sim.experiments import store
from sim.experiments.sweep import Scale, values_digest
from sim.inputs.params import Param, Value
from sim.inputs.scenario import Scenario, ScenarioError
from sim.observe.metrics import METRICS_BY_NAME

if TYPE_CHECKING:
    from sim.experiments.runner import Engine, RunPlan

__all__ = [
    "DEFAULT_PARAMS",
    "FORMATS",
    "METHODS",
    "MorrisResult",
    "Screen",
    "SensitivityError",
    "elementary_effects",
    "format_result",
    "morris",
    "morris_trajectories",
    "plot_result",
    "point_outputs",
    "run_screen",
    "screen",
    "screen_result",
]

DEFAULT_PARAMS: tuple[str, ...] = (
    "students.enrolment_conversion",
    "students.engagement_conversion",
    "learning.interest_conversion",
    "learning.credit_choice_conversion",
    "learning.genai_choice_conversion",
    "learning.genai_integration_uptake_conversion",
    "learning.genai_skill_conversion",
    "employers.vignette_conversion",
    "employers.premium_conversion",
    "learning.mc_start_hazard",
    "learning.mc_skill_gain",
    "employers.credit_bearing_score_bonus",
    "employers.jobs_per_labour_force",
)
"""Varied by default: every survey-to-behaviour conversion, plus the behavioural assumptions
that set MC uptake, what an MC is worth and how tight the labour market is."""

METHODS: tuple[str, ...] = ("morris",)
FORMATS: tuple[str, ...] = ("table", "markdown", "json", "csv")
LEVELS = 4
WINDOW_MONTHS = 12
DEFAULT_SEED_START = 2001
"""Sensitivity seeds start here (apart from the calibration's and the usual 1..10)."""


class SensitivityError(ValueError):
    """A sensitivity analysis that cannot be done as asked."""


# ==================================================================== the design


def morris_trajectories(
    k: int, r: int, rng: np.random.Generator, levels: int = LEVELS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Morris design of ``r`` trajectories in ``[0, 1]^k``.

    Args:
        k: Parameters.
        r: Trajectories.
        rng: Random generator.
        levels: Grid levels ``p`` (even); the step is ``p / (2 (p - 1))``.

    Returns:
        ``points`` of shape ``(r, k + 1, k)``; ``order`` of shape ``(r, k)``, the parameter moved
        at each step; ``step`` of shape ``(r, k)``, the signed step of each parameter.
    """
    if k < 1 or r < 1:
        raise SensitivityError("a Morris design needs at least one parameter and one trajectory")
    if levels < 2 or levels % 2:
        raise SensitivityError("Morris levels must be an even number of at least 2")
    delta = levels / (2.0 * (levels - 1))
    grid = np.arange(levels) / (levels - 1)
    starts = grid[grid <= 1.0 - delta + 1e-12]
    points = np.empty((r, k + 1, k))
    order = np.empty((r, k), dtype=np.int64)
    step = np.empty((r, k))
    for t in range(r):
        base = rng.choice(starts, size=k)
        signs = rng.choice([-1.0, 1.0], size=k)
        x = base + np.where(signs < 0, delta, 0.0)
        order[t] = rng.permutation(k)
        step[t] = signs * delta
        points[t, 0] = x
        for j, i in enumerate(order[t], 1):
            x = x.copy()
            x[i] += step[t, i]
            points[t, j] = x
    return np.clip(points, 0.0, 1.0), order, step


def elementary_effects(y: np.ndarray, order: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Elementary effects ``(r, k)`` from outputs ``y`` of shape ``(r, k + 1)``.

    ``EE[t, i] = (y[t, j + 1] - y[t, j]) / step[t, i]`` where parameter ``i`` moves at step ``j``.
    """
    r, k = order.shape
    ee = np.empty((r, k))
    for t in range(r):
        for j, i in enumerate(order[t]):
            ee[t, i] = (y[t, j + 1] - y[t, j]) / step[t, i]
    return ee


# ==================================================================== running it


@dataclass(frozen=True)
class MorrisResult:
    """Morris measures of one output.

    Attributes:
        output: What was measured (``mc_holder_share`` or ``effect of X vs baseline on M``).
        metric: The metric.
        scenario: The scenario.
        baseline: The baseline for a policy effect, else None.
        params: Parameters varied, in design order.
        scales: Their scalings.
        effects: Elementary effects ``(r, k)``, in metric units per whole scaled range.
        outputs: Output at every design point ``(r, k + 1)``.
        points: Parameter values at every design point (``r * (k + 1)`` dicts).
        seeds: Common seeds.
        students: Population.
        months: Output months per run.
        window: Months averaged.
    """

    output: str
    metric: str
    scenario: str
    baseline: str | None
    params: tuple[Param, ...]
    scales: tuple[Scale, ...]
    effects: np.ndarray
    outputs: np.ndarray
    points: tuple[dict[str, Value], ...]
    seeds: tuple[int, ...]
    students: int
    months: int
    window: tuple[int, int]

    @property
    def trajectories(self) -> int:
        return int(self.effects.shape[0])

    def rows(self, n_boot: int = 2000, boot_seed: int = 0) -> list[dict[str, object]]:
        """One row per parameter, ranked by ``mu*`` (largest first)."""
        ee = self.effects
        r = ee.shape[0]
        mu_star = np.abs(ee).mean(axis=0)
        mu = ee.mean(axis=0)
        sigma = ee.std(axis=0, ddof=1) if r > 1 else np.full(ee.shape[1], math.nan)
        if r > 1:
            rng = np.random.default_rng(boot_seed)
            idx = rng.integers(0, r, size=(n_boot, r))
            boot = np.abs(ee)[idx].mean(axis=1)
            lo, hi = np.quantile(boot, [0.025, 0.975], axis=0)
        else:
            lo = hi = np.full(ee.shape[1], math.nan)
        rows = []
        for i, p in enumerate(self.params):
            assert p.range is not None
            rows.append(
                {
                    "parameter": p.name,
                    "mu_star": float(mu_star[i]),
                    "mu_star_low": float(lo[i]),
                    "mu_star_high": float(hi[i]),
                    "mu": float(mu[i]),
                    "sigma": float(sigma[i]),
                    "range_low": float(p.range[0]),
                    "range_high": float(p.range[1]),
                    "log_scale": self.scales[i].log,
                    "default": p.default,
                }
            )
        rows.sort(key=lambda row: -float(row["mu_star"]))  # type: ignore[arg-type]
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        return rows

    def note(self) -> str:
        """How the figures were computed."""
        runs = self.outputs.size * len(self.seeds) * (2 if self.baseline else 1)
        paired = ", paired by seed" if self.baseline else ""
        return (
            f"Morris elementary effects; output: {self.output}{paired}. "
            f"{self.trajectories} trajectories x {len(self.params) + 1} points, "
            f"{_plural(len(self.seeds), 'common seed')}, {self.students:,} students, months "
            f"{self.window[0]}-{self.window[1]} of {self.months} ({runs} runs). mu* = mean |EE|, "
            "mu = mean EE, sigma = SD of EE; EE = change of the output when a parameter moves "
            "across its whole registry range (log scale where marked); mu* 95% CI by bootstrap "
            "over trajectories."
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _output_name(metric: str, scenario: str, baseline: str | None) -> str:
    if baseline is None:
        return f"{metric} in {scenario}"
    return f"effect on {metric} of {scenario} vs {baseline}"


@dataclass(frozen=True)
class Screen:
    """A Morris screen ready to run: the design and the scenario runs at its points.

    Attributes:
        metric: The metric.
        scenario: The scenario studied (run settings applied).
        baseline: The baseline of a policy effect (same run settings), else None.
        params: Parameters varied, in design order.
        points: Parameter values at every design point (``r * (k + 1)``, trajectory-major).
        order: The parameter moved at each step ``(r, k)``.
        step: The signed step of each parameter ``(r, k)``.
        seeds: Common seeds.
        window: Months averaged.
        roles: At each point, the scenario's and (for an effect) the baseline's derived scenario.
    """

    metric: str
    scenario: Scenario
    baseline: Scenario | None
    params: tuple[Param, ...]
    points: tuple[dict[str, Value], ...]
    order: np.ndarray
    step: np.ndarray
    seeds: tuple[int, ...]
    window: tuple[int, int]
    roles: tuple[tuple[Scenario, ...], ...]

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Every derived scenario to run, once each (a point repeated in the design, or a
        baseline that is the scenario itself, runs once)."""
        return tuple({s.name: s for roles in self.roles for s in roles}.values())

    @property
    def key(self) -> str:
        """A short hash of the screen's runs and output."""
        text = "\n".join([self.metric, *(f"{s.name} {s.hash}" for s in self.scenarios)])
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def default_name(self) -> str:
        """Default run-folder name: ``<scenario>-sensitivity-<key>``."""
        return f"{self.scenario.name}-sensitivity-{self.key}"

    def run_plan(self, out: Path, command: Sequence[str] = (), name: str = "") -> RunPlan:
        """The plan that runs every derived scenario on the common seeds."""
        from sim.experiments.runner import RunPlan

        varied = {
            s.name: v for v, roles in zip(self.points, self.roles, strict=True) for s in roles
        }
        return RunPlan(
            out=out,
            scenarios=self.scenarios,
            seeds=self.seeds,
            varied=varied,
            command=tuple(command),
            name=name,
            extra={"sensitivity": self.meta()},
        )

    def meta(self) -> dict[str, Any]:
        """The screen as recorded in the run folder's manifest under ``sensitivity``."""
        return {
            "method": "morris",
            "metric": self.metric,
            "scenario": self.scenario.name,
            "baseline": self.baseline.name if self.baseline else None,
            "params": [p.name for p in self.params],
            "trajectories": int(self.order.shape[0]),
            "seeds": list(self.seeds),
            "window": list(self.window),
            "points": [
                {"point": i, "scenarios": [s.name for s in roles], "values": dict(v)}
                for i, (v, roles) in enumerate(zip(self.points, self.roles, strict=True), 1)
            ],
        }


def screen(
    scenario: Scenario,
    metric: str,
    params: Sequence[str] | None = None,
    *,
    baseline: Scenario | None = None,
    trajectories: int = 4,
    seeds: int = 2,
    seed_start: int = DEFAULT_SEED_START,
    students: int | None = None,
    months: int | None = None,
    window_months: int = WINDOW_MONTHS,
    design_seed: int = 0,
) -> Screen:
    """Check the setting and draw the design.

    Args:
        scenario: The scenario whose metric (or effect) is studied.
        metric: A monthly metric column.
        params: Assumption parameters to vary (default :data:`DEFAULT_PARAMS`).
        baseline: When given, the output is ``scenario - baseline`` paired by seed, both at the
            same parameter values.
        trajectories: Morris trajectories ``r``; cost is ``r (k + 1)`` points.
        seeds: Common seeds per point.
        seed_start: First seed.
        students: Population (default: the scenario's).
        months: Output months (default: the scenario's).
        window_months: The output is the mean over the last this many months.
        design_seed: Seed of the design's random draws.

    Raises:
        SensitivityError: For an unknown metric, parameters that may not be varied or a design
            point that breaks a scenario rule.
    """
    if metric not in METRICS_BY_NAME or metric == "month":
        raise SensitivityError(f"unknown metric {metric!r} (see sim/observe/metrics.py)")
    try:
        fit = check_fit_params(params or DEFAULT_PARAMS, purpose="varied")
    except CalibrationError as exc:
        raise SensitivityError(str(exc)) from None
    if seeds < 1:
        raise SensitivityError("--seeds must be at least 1")
    if baseline is not None and baseline.name == scenario.name and baseline.hash != scenario.hash:
        raise SensitivityError(f"the scenario and its baseline are both named {scenario.name!r}")
    students = students or scenario.run.students
    months = months or scenario.run.months
    if window_months < 1 or window_months > months:
        raise SensitivityError(f"the window of {window_months} months does not fit in {months}")
    scales = tuple(Scale(p) for p in fit)
    k = len(fit)
    points, order, step = morris_trajectories(k, trajectories, np.random.default_rng(design_seed))
    values: list[dict[str, Value]] = []
    roles: list[tuple[Scenario, ...]] = []
    for x in points.reshape(-1, k):
        v = {s.param.name: s.from_unit(u) for s, u in zip(scales, x, strict=True)}
        values.append(v)
        roles.append(tuple(_at(role, v, months, students) for role in (scenario, baseline) if role))
    return Screen(
        metric=metric,
        scenario=scenario.with_run(months=months, students=students),
        baseline=baseline.with_run(months=months, students=students) if baseline else None,
        params=fit,
        points=tuple(values),
        order=order,
        step=step,
        seeds=tuple(range(seed_start, seed_start + seeds)),
        window=(months - window_months + 1, months),
        roles=tuple(roles),
    )


def _at(role: Scenario, values: dict[str, Value], months: int, students: int) -> Scenario:
    """``role`` at a design point, named ``<role>__m-<hash of the values>``."""
    try:
        return role.with_params(values, name=f"{role.name}__m-{values_digest(values, 8)}").with_run(
            months=months, students=students
        )
    except ScenarioError as exc:
        raise SensitivityError(
            f"the design point {values} breaks a rule of {role.name}:\n{exc.format()}"
        ) from None


def point_outputs(screen: Screen, out: Path) -> np.ndarray:
    """The output at every design point ``(r, k + 1)``, from the runs in the folder ``out``:
    the mean over seeds of each seed's window mean (of the paired difference for an effect)."""
    y = np.empty(len(screen.points))
    for n, roles in enumerate(screen.roles):
        by_role = []
        for role in roles:
            table = store.read_parts(out, role.name, screen.seeds)
            means = seed_window_means(table, screen.metric, screen.window)
            by_role.append(np.array([means.get(seed, math.nan) for seed in screen.seeds]))
        y[n] = np.nanmean(by_role[0] - by_role[1]) if screen.baseline else np.nanmean(by_role[0])
    return y.reshape(screen.order.shape[0], len(screen.params) + 1)


def screen_result(screen: Screen, y: np.ndarray) -> MorrisResult:
    """The Morris measures of a screen from its outputs ``y`` (:func:`point_outputs`)."""
    base = screen.baseline
    run = screen.scenario.run
    return MorrisResult(
        output=_output_name(screen.metric, screen.scenario.name, base.name if base else None),
        metric=screen.metric,
        scenario=screen.scenario.name,
        baseline=base.name if base else None,
        params=screen.params,
        scales=tuple(Scale(p) for p in screen.params),
        effects=elementary_effects(y, screen.order, screen.step),
        outputs=y,
        points=screen.points,
        seeds=screen.seeds,
        students=run.students,
        months=run.months,
        window=screen.window,
    )


def run_screen(
    design: Screen,
    out: Path | str,
    *,
    engine: Engine | None = None,
    command: Sequence[str] = (),
) -> MorrisResult:
    """Run a screen's scenarios into the run folder ``out`` (a screen killed midway resumes
    when run again into it) and measure the effects.

    Args:
        design: The screen (:func:`screen`).
        out: The run folder.
        engine: Where the runs go (process pool or Dask); default: the core count of worker
            processes.
        command: The command line, recorded in the run folder's manifest.

    Raises:
        runner.RunError: When the runs cannot be done
            (:class:`sim.experiments.runner.Interrupted` by Ctrl-C,
            :class:`sim.experiments.runner.TasksFailed`, a run folder holding other definitions).
    """
    from sim.experiments import runner

    folder = Path(out)
    with runner.engine_or_default(engine) as running:
        running.execute(design.run_plan(folder, command, folder.name)).raise_if_incomplete()
    return screen_result(design, point_outputs(design, folder))


def morris(
    scenario: Scenario,
    metric: str,
    params: Sequence[str] | None = None,
    *,
    out: Path | str | None = None,
    engine: Engine | None = None,
    **settings: Any,
) -> MorrisResult:
    """Morris screening of ``metric`` (or of a policy effect): :func:`run_screen` (into ``out``,
    default ``outputs/<scenario>-sensitivity-<key>``, with ``engine``) of :func:`screen` (of
    ``scenario``, ``metric``, ``params`` and the ``settings``: ``baseline``, ``trajectories``,
    ``seeds``, ``seed_start``, ``students``, ``months``, ``window_months``, ``design_seed``).

    Raises:
        SensitivityError: For an unknown metric, parameters that may not be varied or a design
            point that breaks a scenario rule.
        runner.RunError: When the runs cannot be done.
    """
    design = screen(scenario, metric, params, **settings)
    folder = Path(out) if out is not None else Path("outputs") / design.default_name()
    return run_screen(design, folder, engine=engine)


# ==================================================================== output


def _share(metric: str) -> bool:
    return METRICS_BY_NAME[metric].unit == "share"


def _fmt(x: object, share: bool) -> str:
    if not isinstance(x, float) or not math.isfinite(x):
        return "n/a"
    if share:
        return f"{100 * x:.2f}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def format_result(result: MorrisResult, fmt: str = "table") -> str:
    """The ranked table as aligned text, Markdown, JSON or CSV."""
    if fmt not in FORMATS:
        raise SensitivityError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rows = result.rows()
    if fmt == "json":
        return json_text({"output": result.output, "note": result.note(), "rows": rows}, None)
    if fmt == "csv":
        return csv_text(list(rows[0]), (r.values() for r in rows))
    share = _share(result.metric)
    unit = "pp" if share else METRICS_BY_NAME[result.metric].unit
    header = ["rank", "parameter", f"mu* ({unit})", "mu* 95% CI", f"mu ({unit})", "sigma", "range"]
    text_rows = []
    for r in rows:
        scale = " log" if r["log_scale"] else ""
        rng = f"[{r['range_low']:g}, {r['range_high']:g}]{scale}"
        ci = f"[{_fmt(r['mu_star_low'], share)}, {_fmt(r['mu_star_high'], share)}]"
        text_rows.append(
            [
                str(r["rank"]),
                str(r["parameter"]),
                _fmt(r["mu_star"], share),
                ci,
                _fmt(r["mu"], share),
                _fmt(r["sigma"], share),
                rng,
            ]
        )
    align = "rlrrrrl"
    if fmt == "markdown":
        return markdown_table(header, text_rows, align) + f"\n_{result.note()}_\n"
    table = text_table(header, text_rows, align)
    return f"{result.output}\n\n{table}\n{result.note()}\n"


def plot_result(result: MorrisResult, out: Path | str, *, dpi: int = 150) -> Path:
    """A horizontal bar chart of ``mu*`` (95% CI whiskers) with ``sigma`` marked; a CSV of the
    table is written beside it."""
    from matplotlib.figure import Figure

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = result.rows()[::-1]  # largest at the top
    share = _share(result.metric)
    factor = 100.0 if share else 1.0
    names = [str(r["parameter"]) for r in rows]
    mu_star = np.array([float(r["mu_star"]) for r in rows]) * factor  # type: ignore[arg-type]
    lo = np.array([float(r["mu_star_low"]) for r in rows]) * factor  # type: ignore[arg-type]
    hi = np.array([float(r["mu_star_high"]) for r in rows]) * factor  # type: ignore[arg-type]
    sigma = np.array([float(r["sigma"]) for r in rows]) * factor  # type: ignore[arg-type]
    fig = Figure(figsize=(8.5, 0.42 * len(rows) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    ypos = np.arange(len(rows))
    err = None
    if np.all(np.isfinite(lo)):
        err = np.vstack([np.maximum(mu_star - lo, 0), np.maximum(hi - mu_star, 0)])
    ax.barh(ypos, mu_star, xerr=err, color="#4477aa", capsize=3, label="mu* (95% CI)")
    if np.all(np.isfinite(sigma)):
        ax.plot(sigma, ypos, "D", color="#ee6677", markersize=5, label="sigma")
    ax.set_yticks(ypos, names, fontsize=8)
    unit = "percentage points" if share else METRICS_BY_NAME[result.metric].unit
    ax.set_xlabel(f"change over the parameter's range ({unit})")
    ax.set_title(textwrap.fill(f"Morris screening: {result.output}", 70), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    caption = (
        f"{result.trajectories} trajectories, {_plural(len(result.seeds), 'seed')}, "
        f"{result.students:,} students, months {result.window[0]}-{result.window[1]}"
    )
    fig.supxlabel(caption, fontsize=7, color="#555555")
    fig.savefig(out, dpi=dpi)
    out.with_suffix(".csv").write_text(format_result(result, "csv"))
    return out
