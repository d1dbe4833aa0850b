"""Robustness of a policy's effect to the assumptions we cannot pin down, and where it flips.

A study draws ``N`` points over uncertain parameters (by default every ``assumption`` parameter,
the ``*_conversion`` parameters among them, over its registry range; log-scaled where the range
spans 100x or more, as :class:`sim.experiments.sweep.Scale` does) with a Latin hypercube or a
scrambled Sobol sequence (``scipy.stats.qmc``). Each point becomes two derived scenarios, the policy
and its baseline with the point's values (named ``<scenario>__pNN-<hash of the values>``, like a
sweep), and both run on the same seeds: one :class:`sim.experiments.runner.RunPlan`, so the runs
resume after a kill and run on Dask like any other.

At each point the effect on a metric is the paired difference by seed
(:func:`sim.analysis.compare.paired_difference` of the seeds' window means,
:func:`sim.analysis.compare.seed_values`), with its t-interval. Across points the study reports the
share of points whose interval lies above zero, below zero or includes it, and quantiles of the
effect. Scenario discovery then describes where a condition on the effect holds (``effect < 0`` by
default) as a box of parameter ranges, found by PRIM (:func:`prim`, Friedman and Fisher 1999), with
its coverage (the share of the points where the condition holds that fall in the box) and density
(the share of the box's points where it holds).

Parameters the policy itself changes (its levers: base values that differ from the baseline's, or
parameters a ``[[policy]]`` of either scenario schedules) are never varied: varying them would
rewrite the policy. Report, literature and derived figures are refused, as
:func:`sim.analysis.calibrate.check_fit_params` refuses them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.analysis.calibrate import CalibrationError, check_fit_params
from sim.analysis.compare import CompareError, check_seeds, format_effect
from sim.analysis.stats import CONFIDENCE, Window, paired_difference, resolve_window, seed_values
from sim.analysis.tables import json_text, markdown_table, table_to_csv, text_table
from sim.experiments.store import as_run, atomic_path
from sim.experiments.sweep import Scale, point_name
from sim.inputs.params import REGISTRY, SHARE_GROUPS, Param, Value
from sim.inputs.scenario import Scenario, ScenarioError
from sim.observe.metrics import METRICS_BY_NAME

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiments.runner import RunPlan
    from sim.experiments.store import Run

__all__ = [
    "DESIGNS",
    "FORMATS",
    "Box",
    "Condition",
    "RobustnessError",
    "Study",
    "build_study",
    "default_params",
    "discover",
    "effects",
    "format_summary",
    "influence",
    "levers",
    "parse_condition",
    "prim",
    "quasi_p",
    "read_points",
    "select_params",
    "summarise",
    "unit_design",
    "write_outputs",
]

DESIGNS: tuple[str, ...] = ("lhs", "sobol")
FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
DEFAULT_WHERE = "effect < 0"
POINTS_FILE = Path("robustness") / "points.parquet"
"""Where a study's points table lives in its run folder."""
META_KEY = "hiresim.robustness"
PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05
MAX_QUASI_P = 0.05


class RobustnessError(ValueError):
    """A study that cannot be done as asked; :attr:`problems` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ==================================================================== parameters


def levers(policy: Scenario, baseline: Scenario) -> dict[str, str]:
    """What the policy changes against its baseline, by parameter: why it is a lever.

    A parameter is a lever when the two scenarios' base values differ or when a ``[[policy]]``
    of either one schedules it.
    """
    found: dict[str, str] = {}
    a, b = policy.values(), baseline.values()
    for name in REGISTRY:
        if a.get(name) != b.get(name):
            found[name] = (
                f"{policy.name} sets it to {a.get(name)!r} ({baseline.name}: {b.get(name)!r})"
            )
    for scenario in (policy, baseline):
        for p in scenario.policies:
            found.setdefault(p.param, f"a [[policy]] of {scenario.name} schedules it")
    return found


def _variable(p: Param) -> bool:
    grouped = {n for g in SHARE_GROUPS.values() for n in g}
    return (
        p.source_kind == "assumption"
        and p.kind in (int, float)
        and p.range is not None
        and p.range[0] < p.range[1]
        and p.name not in grouped
    )


SETTINGS: dict[str, str] = {
    "universities.students_per_university": "sets how many University agents there are",
    "employers.students_per_employer": "sets how many Employer agents there are",
    "students.intake_month": "the calendar",
    "students.program_months": "the length of the degree",
    "market.career_window_months": "how long the model follows graduates",
    "market.demand_cycle": "a scenario shock (recession), 1 in normal times",
    "students.reference_mc_premium": "measured on the baseline: where MC choices are as calibrated",
    "students.reference_cb_premium": "measured on the baseline: where MC choices are as calibrated",
    "students.reference_genai_premium": "measured on the baseline: where choices are as calibrated",
    "students.expectation_min_hires": "a guard against months with too few hires to read",
}
"""Assumption parameters that are settings of the model or of a scenario rather than uncertain
behaviour: left out of the default set (``--params`` may still name them)."""


def default_params(policy: Scenario, baseline: Scenario) -> tuple[Param, ...]:
    """Every numeric ``assumption`` parameter (the conversions among them) that is not a lever of
    the policy nor one of :data:`SETTINGS`.

    Parameters of a group that must sum to 1 (the discipline shares) are left out, as
    :func:`sim.analysis.calibrate.check_fit_params` refuses them.
    """
    skip = levers(policy, baseline).keys() | SETTINGS.keys()
    return tuple(p for p in REGISTRY.values() if _variable(p) and p.name not in skip)


def select_params(
    names: Sequence[str] | None, policy: Scenario, baseline: Scenario
) -> tuple[Param, ...]:
    """The parameters to vary: ``names`` checked, or :func:`default_params`.

    Args:
        names: Dotted names, each optionally narrowed to a range inside its registry range
            (``employers.premium_conversion=0.2:0.9``), or shell-style patterns
            (``*_conversion``: every matching assumption that can vary and is not a lever);
            None for the defaults.
        policy: The policy.
        baseline: Its baseline.

    Returns:
        The parameters; a narrowed one carries its narrowed ``range``.

    Raises:
        RobustnessError: Listing every problem at once: unknown names (with a "did you mean"),
            report, literature or derived figures, parameters that cannot vary, levers of the
            policy and bad ranges.
    """
    if names is None:
        return default_params(policy, baseline)
    skip = levers(policy, baseline)
    problems: list[str] = []
    entries = []
    for entry in (n.strip() for n in names if n.strip()):
        if not any(c in entry for c in "*?["):
            entries.append(entry)
            continue
        pattern, sep, text = entry.partition("=")
        found = [
            p.name
            for p in REGISTRY.values()
            if fnmatch.fnmatchcase(p.name, pattern.strip()) and _variable(p) and p.name not in skip
        ]
        if not found:
            problems.append(f"{entry}: matches no assumption parameter that can be varied")
        entries += [f"{n}{sep}{text}" for n in found]
    ranges = {n.partition("=")[0].strip(): n.partition("=")[2].strip() for n in entries}
    problems += [
        f"{n}: refused, it is what the policy changes ({skip[n]}); varying it would rewrite "
        "the policy"
        for n in ranges
        if n in skip
    ]
    if not ranges:
        problems.append("no parameters to be varied")
    names = [n.partition("=")[0].strip() for n in entries]
    problems += [f"{n}: given twice" for n in ranges if names.count(n) > 1]
    params: list[Param] = []
    for name in ranges:
        if name in skip:
            continue
        try:  # one at a time, so that every name's problem is reported
            params += check_fit_params([name], purpose="varied")
        except CalibrationError as exc:
            problems += str(exc).splitlines()
    narrowed = []
    for p in params:
        text = ranges[p.name]
        if not text:
            narrowed.append(p)
            continue
        low, sep, high = text.partition(":")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            lo = hi = math.nan
        bad = [p.check(v) for v in (lo, hi) if p.check(v) is not None]
        if not sep or not lo < hi or bad:
            why = bad[0] if bad else "expected lo:hi with lo < hi"
            problems.append(f"{p.name}={text}: {why} (registry range {p.range_text()})")
            continue
        narrowed.append(replace(p, range=(lo, hi)))
    if problems:
        raise RobustnessError([f"--params {p}" for p in problems])
    return tuple(narrowed)


# ==================================================================== the design


def unit_design(k: int, n: int, design: str = "lhs", seed: int = 0) -> np.ndarray:
    """``n`` points in ``[0, 1]^k``: a Latin hypercube or a scrambled Sobol sequence.

    Raises:
        RobustnessError: For an unknown design or fewer than one point or parameter.
    """
    from scipy.stats import qmc

    if design not in DESIGNS:
        raise RobustnessError([f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}"])
    if n < 1 or k < 1:
        raise RobustnessError(["a design needs at least one point and one parameter"])
    if design == "lhs":
        return qmc.LatinHypercube(d=k, seed=seed).random(n)
    with warnings.catch_warnings():  # a power of 2 keeps the balance; any n is still valid
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(d=k, scramble=True, seed=seed).random(n)


@dataclass(frozen=True)
class Study:
    """A robustness study: the policy, its baseline, the parameters and the design's points.

    Attributes:
        policy: The policy scenario (run settings applied).
        baseline: Its baseline (same run settings).
        params: The varied parameters, in design order.
        design: ``lhs`` or ``sobol``.
        samples: Points.
        design_seed: Seed of the design.
        values: Each point's parameter values.
        policy_points: The policy's derived scenario at each point.
        baseline_points: The baseline's derived scenario at each point.
    """

    policy: Scenario
    baseline: Scenario
    params: tuple[Param, ...]
    design: str
    samples: int
    design_seed: int
    values: tuple[dict[str, Value], ...]
    policy_points: tuple[Scenario, ...]
    baseline_points: tuple[Scenario, ...]

    @property
    def scales(self) -> tuple[Scale, ...]:
        """Each parameter's map to ``[0, 1]`` (log where its range spans 100x or more)."""
        return tuple(Scale(p) for p in self.params)

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Every derived scenario: the policy's and the baseline's at each point."""
        return self.policy_points + self.baseline_points

    @property
    def key(self) -> str:
        """A short hash of the study's derived scenarios."""
        text = "\n".join(f"{s.name} {s.hash}" for s in self.scenarios)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def default_name(self) -> str:
        """Default run-folder name: ``<policy>-robustness-<key>``."""
        return f"{self.policy.name}-robustness-{self.key}"

    def varied(self) -> dict[str, dict[str, Value]]:
        """The varied values by derived scenario name (metrics columns, as in a sweep)."""
        out: dict[str, dict[str, Value]] = {}
        for v, a, b in zip(self.values, self.policy_points, self.baseline_points, strict=True):
            out[a.name] = dict(v)
            out[b.name] = dict(v)
        return out

    def meta(self) -> dict[str, Any]:
        """The study as recorded in the manifest and the points table's metadata."""
        return {
            "policy": self.policy.name,
            "policy_hash": self.policy.hash,
            "baseline": self.baseline.name,
            "baseline_hash": self.baseline.hash,
            "design": self.design,
            "samples": self.samples,
            "design_seed": self.design_seed,
            "students": self.policy.run.students,
            "months": self.policy.run.months,
            "parameters": [
                _param_meta(p, s) for p, s in zip(self.params, self.scales, strict=True)
            ],
            "points": [
                {"point": i, "policy": a.name, "baseline": b.name, "values": dict(v)}
                for i, (v, a, b) in enumerate(
                    zip(self.values, self.policy_points, self.baseline_points, strict=True), 1
                )
            ],
        }

    def run_plan(
        self, out: Path, seeds: Sequence[int], command: Sequence[str] = (), name: str = ""
    ) -> RunPlan:
        """The plan that runs every point's policy and baseline on ``seeds``."""
        from sim.experiments.runner import RunPlan

        return RunPlan(
            out=out,
            scenarios=self.scenarios,
            seeds=tuple(int(s) for s in seeds),
            varied=self.varied(),
            command=tuple(command),
            name=name,
            extra={"robustness": self.meta()},
        )


def _param_meta(p: Param, scale: Scale) -> dict[str, Any]:
    assert p.range is not None
    return {
        "name": p.name,
        "unit": p.unit,
        "source_kind": p.source_kind,
        "source": p.source,
        "default": p.default,
        "range": [p.range[0], p.range[1]],
        "log": scale.log,
    }


def build_study(
    policy: Scenario,
    baseline: Scenario,
    params: Sequence[Param],
    *,
    samples: int,
    design: str = "lhs",
    design_seed: int = 0,
) -> Study:
    """Draw the design and derive the policy and the baseline at each point.

    Raises:
        RobustnessError: For a bad design, or points that break a scenario rule (every one).
    """
    if policy.name == baseline.name:
        raise RobustnessError([f"the policy {policy.name!r} is its own baseline"])
    if samples < 1:
        raise RobustnessError(["--samples must be at least 1"])
    scales = [Scale(p) for p in params]
    unit = unit_design(len(params), samples, design, design_seed)
    width = max(2, len(str(samples)))
    values: list[dict[str, Value]] = []
    derived: dict[str, list[Scenario]] = {"policy": [], "baseline": []}
    problems: list[str] = []
    for i, row in enumerate(unit, 1):
        v = {s.param.name: s.from_unit(float(u)) for s, u in zip(scales, row, strict=True)}
        values.append(v)
        for role, scenario in (("policy", policy), ("baseline", baseline)):
            name = point_name(scenario.name, i, width, v)
            try:
                derived[role].append(
                    scenario.with_params(
                        v,
                        name=name,
                        description=f"{scenario.name} at robustness point {i} of {samples}",
                    )
                )
            except ScenarioError as exc:
                problems += [f"point {i} ({name}): {p.format()}" for p in exc.problems]
    if problems:
        raise RobustnessError(problems)
    return Study(
        policy=policy,
        baseline=baseline,
        params=tuple(params),
        design=design,
        samples=samples,
        design_seed=design_seed,
        values=tuple(values),
        policy_points=tuple(derived["policy"]),
        baseline_points=tuple(derived["baseline"]),
    )


# ==================================================================== effects at each point


def effects(
    run: Run | Path | str,
    meta: Mapping[str, Any],
    metrics: Sequence[str],
    window: Window | str | None = None,
    confidence: float = CONFIDENCE,
    where: Mapping[str, str] | None = None,
    seeds: Sequence[int] | None = None,
) -> pa.Table:
    """The paired effect of the policy on each metric at each point: one row per point and metric.

    Args:
        run: The run folder (or loaded run) holding the study's runs.
        meta: The study (:meth:`Study.meta`).
        metrics: Metrics.
        window: Months averaged per seed (default: the last 12).
        confidence: Interval coverage.
        where: The condition of each metric's scenario discovery (recorded for
            :func:`summarise`; default ``effect < 0``).
        seeds: The seeds to pair (default: every seed the folder holds for both).

    Returns:
        Columns ``point``, ``policy``, ``baseline`` (derived scenario names), one column per
        parameter, ``metric``, ``unit``, ``first_month``, ``last_month``, ``n_seeds``,
        ``baseline_mean``, ``policy_mean``, ``effect``, ``ci_low``, ``ci_high``; the study as
        JSON metadata under ``hiresim.robustness``.

    Raises:
        CompareError: A point's runs missing or with other seeds, an unknown metric, a window
            outside the run.
    """
    run = as_run(run)
    unknown = [m for m in metrics if m not in run.metric_names]
    if unknown:
        raise CompareError(f"unknown metric {', '.join(map(repr, unknown))}")
    win = resolve_window(run.last_month, window=window)
    values = seed_values(run.metrics, list(metrics), win)
    by_key = {
        (s, int(seed)): i
        for i, (s, seed) in enumerate(
            zip(
                values.column("scenario").to_pylist(),
                values.column("seed").to_pylist(),
                strict=True,
            )
        )
    }
    columns = {m: values.column(m).to_pylist() for m in metrics}
    names = [p["name"] for p in meta["parameters"]]
    rows: list[dict[str, Any]] = []
    present = set(run.scenarios)
    for point in meta["points"]:
        a, b = point["policy"], point["baseline"]
        missing = [s for s in (a, b) if s not in present]
        if missing:
            raise CompareError(
                f"point {point['point']}: no runs of {', '.join(missing)} in {run.path}"
            )
        wanted = set(seeds) if seeds is not None else None
        seeds_a = tuple(k for k in run.seeds(a) if wanted is None or k in wanted)
        seeds_b = tuple(k for k in run.seeds(b) if wanted is None or k in wanted)
        check_seeds(a, seeds_a, b, seeds_b)
        if wanted is not None and set(seeds_b) != wanted:
            raise CompareError(
                f"point {point['point']}: seeds {sorted(wanted - set(seeds_b))} missing"
            )
        for m in metrics:
            base = np.array([_num(columns[m][by_key[(b, s)]]) for s in seeds_b])
            pol = np.array([_num(columns[m][by_key[(a, s)]]) for s in seeds_b])
            r = paired_difference(base, pol, confidence=confidence)
            rows.append(
                {
                    "point": int(point["point"]),
                    "policy": a,
                    "baseline": b,
                    **{n: float(point["values"][n]) for n in names},
                    "metric": m,
                    "unit": METRICS_BY_NAME[m].unit if m in METRICS_BY_NAME else "",
                    "first_month": win.first,
                    "last_month": win.last,
                    "n_seeds": r.n,
                    "baseline_mean": r.baseline_mean,
                    "policy_mean": r.scenario_mean,
                    "effect": r.difference,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
    schema = pa.schema(
        [("point", pa.int64()), ("policy", pa.string()), ("baseline", pa.string())]
        + [(n, pa.float64()) for n in names]
        + [("metric", pa.string()), ("unit", pa.string())]
        + [("first_month", pa.int64()), ("last_month", pa.int64()), ("n_seeds", pa.int64())]
        + [(c, pa.float64()) for c in ("baseline_mean", "policy_mean", "effect")]
        + [("ci_low", pa.float64()), ("ci_high", pa.float64())]
    )
    info = {**dict(meta), "metrics": list(metrics), "window": [win.first, win.last]}
    info["confidence"] = confidence
    info["where"] = {m: (where or {}).get(m, DEFAULT_WHERE) for m in metrics}
    info["seeds"] = sorted({int(k) for k in (seeds or run.seeds(meta["points"][0]["baseline"]))})
    return pa.Table.from_pylist(rows, schema=schema).replace_schema_metadata(
        {META_KEY: json.dumps(info, default=str)}
    )


def _num(x: object) -> float:
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


def study_meta(points: pa.Table) -> dict[str, Any]:
    """The study recorded in a points table's metadata."""
    raw = (points.schema.metadata or {}).get(META_KEY.encode())
    if raw is None:
        raise CompareError("not a robustness points table (no hiresim.robustness metadata)")
    return json.loads(raw)


def read_points(run_dir: Path | str) -> pa.Table | None:
    """The run folder's points table, or None when it holds no robustness study."""
    path = Path(run_dir) / POINTS_FILE
    return pq.read_table(path) if path.exists() else None


# ==================================================================== conditions


_CONDITION = re.compile(
    r"^\s*(effect|ci_low|ci_high)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"\s*(pp|%)?\s*$"
)


@dataclass(frozen=True)
class Condition:
    """A condition on a point's effect, such as ``effect < 0`` or ``ci_high < 0``.

    Attributes:
        column: ``effect``, ``ci_low`` or ``ci_high``.
        op: ``<``, ``<=``, ``>`` or ``>=``.
        threshold: In the metric's own unit (a share as a fraction).
        text: As given.
    """

    column: str
    op: str
    threshold: float
    text: str

    def holds(self, table: pa.Table) -> np.ndarray:
        """Whether it holds at each row (False where the value is undefined)."""
        x = np.array([_num(v) for v in table.column(self.column).to_pylist()], dtype=float)
        with np.errstate(invalid="ignore"):
            result = {
                "<": x < self.threshold,
                "<=": x <= self.threshold,
                ">": x > self.threshold,
                ">=": x >= self.threshold,
            }[self.op]
        return result & np.isfinite(x)


def parse_condition(text: str, metric: str) -> Condition:
    """Parse ``effect < 0``, ``ci_high < 0``, ``effect > -0.5pp``, ``effect >= 500``.

    A threshold with ``pp`` (or ``%``) is in percentage points of a share metric; otherwise it is
    in the metric's own unit (a share as a fraction).

    Raises:
        RobustnessError: For text of another form, or ``pp`` on a metric that is not a share.
    """
    match = _CONDITION.match(text)
    if match is None:
        raise RobustnessError(
            [
                f"--where {text!r}: expected '<effect|ci_low|ci_high> <op> <number>[pp]' with op "
                "one of < <= > >=, e.g. 'effect < 0' or 'ci_high < -0.5pp'"
            ]
        )
    column, op, number, pp = match.groups()
    threshold = float(number)
    if pp:
        unit = METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""
        if unit != "share":
            raise RobustnessError(
                [f"--where {text!r}: 'pp' applies to share metrics; {metric} is in {unit!r}"]
            )
        threshold /= 100.0
    return Condition(column, op, threshold, " ".join(text.split()))


# ==================================================================== scenario discovery: PRIM


@dataclass(frozen=True)
class Box:
    """A box of parameter ranges found by :func:`prim`, in the unit scale.

    Attributes:
        lower: Lower bound per dimension (``-inf``: unrestricted).
        upper: Upper bound per dimension (``inf``: unrestricted).
        quasi_p: Quasi-p-value of each restriction (:func:`quasi_p`; NaN where unrestricted).
        coverage: Points in the box where the condition holds / points where it holds.
        density: Points in the box where the condition holds / points in the box.
        mass: Points in the box / all points.
        n_in: Points in the box.
        n_holds: Points where the condition holds (in all).
        base_density: Points where it holds / all points.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    quasi_p: tuple[float, ...]
    coverage: float
    density: float
    mass: float
    n_in: int
    n_holds: int
    base_density: float

    @property
    def restricted(self) -> tuple[int, ...]:
        """Dimensions the box restricts."""
        return tuple(
            j
            for j, (lo, hi) in enumerate(zip(self.lower, self.upper, strict=True))
            if math.isfinite(lo) or math.isfinite(hi)
        )


def _inside(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.all((x >= lower) & (x <= upper), axis=1)


def _stats(x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[int, int]:
    inside = _inside(x, lower, upper)
    return int(inside.sum()), int(y[inside].sum())


def _score(n_in: int, hit: int, total_hits: int) -> float:
    """Harmonic mean of coverage and density: the trade-off a box is chosen by."""
    if n_in == 0 or hit == 0:
        return 0.0
    coverage, density = hit / total_hits, hit / n_in
    return 2.0 * coverage * density / (coverage + density)


def _peel_candidates(
    x: np.ndarray, inside: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every box one peel smaller: on each side of each dimension, about ``alpha`` of the box's
    points (at least one distinct value) removed; the new bound lies midway to the next point."""
    out = []
    n_in = int(inside.sum())
    drop = max(1, math.floor(alpha * n_in))
    for j in range(x.shape[1]):
        v = np.unique(x[inside, j])
        if v.size < 2:
            continue
        col = np.sort(x[inside, j])
        low_cut = col[min(drop, col.size - 1)]  # points below it go
        if low_cut == col[0]:
            low_cut = v[1]
        k = np.searchsorted(v, low_cut)
        lo = lower.copy()
        lo[j] = 0.5 * (v[k - 1] + v[k])
        out.append((lo, upper))
        high_cut = col[max(col.size - 1 - drop, 0)]  # points above it go
        if high_cut == col[-1]:
            high_cut = v[-2]
        k = np.searchsorted(v, high_cut)
        hi = upper.copy()
        hi[j] = 0.5 * (v[k] + v[k + 1])
        out.append((lower, hi))
    return out


def prim(
    x: np.ndarray,
    y: np.ndarray,
    *,
    peel_alpha: float = PEEL_ALPHA,
    paste_alpha: float = PASTE_ALPHA,
    mass_min: float = MASS_MIN,
    max_p: float = MAX_QUASI_P,
) -> Box | None:
    """PRIM (Friedman and Fisher 1999) for a binary outcome: one box where ``y`` is dense.

    Peeling: from the box around every point, repeatedly remove the slice (about ``peel_alpha`` of
    the box's points, on one side of one dimension) whose removal leaves the highest density,
    until the box would hold fewer than ``mass_min`` of the points. The box kept from this
    trajectory is the one with the best harmonic mean of coverage and density (the trade-off an
    analyst reads off PRIM's curve; the whole space is a candidate too). Pasting then widens any
    bound by about ``paste_alpha`` of the box's points while the density does not fall, and last
    every bound whose removal does not lower the density is dropped, and every restriction whose
    quasi-p-value exceeds ``max_p`` (one a random subset of the wider box would match too often),
    so the box names only the parameters that matter.

    Args:
        x: Points, ``(n, k)``, each dimension on a common scale (the unit scale).
        y: Whether the condition holds at each point, ``(n,)``.
        peel_alpha: Share of the box's points one peel removes.
        paste_alpha: Share of the box's points one paste adds.
        mass_min: The smallest box, as a share of the points.
        max_p: Restrictions with a larger quasi-p-value (:func:`quasi_p`) are dropped.

    Returns:
        The box, or None when the condition holds at no point or at every point.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    n, k = x.shape
    hits = int(y.sum())
    if n == 0 or hits == 0 or hits == n:
        return None
    lower, upper = np.full(k, -np.inf), np.full(k, np.inf)
    best = (_score(n, hits, hits), lower, upper)
    while True:
        inside = _inside(x, lower, upper)
        candidates = []
        for lo, hi in _peel_candidates(x, inside, lower, upper, peel_alpha):
            n_in, hit = _stats(x, y, lo, hi)
            if n_in >= max(1, mass_min * n) and n_in < inside.sum():
                candidates.append((hit / n_in, n_in, lo, hi))
        if not candidates:
            break
        _, n_in, lower, upper = max(candidates, key=lambda c: (c[0], c[1]))
        score = _score(*_stats(x, y, lower, upper), hits)
        if score > best[0]:
            best = (score, lower, upper)
    _, lower, upper = best
    lower, upper = _paste(x, y, lower, upper, paste_alpha)
    lower, upper = _drop_restrictions(x, y, lower, upper, max_p)
    n_in, hit = _stats(x, y, lower, upper)
    return Box(
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        quasi_p=tuple(
            quasi_p(x, y, lower, upper, j) if np.isfinite([lower[j], upper[j]]).any() else math.nan
            for j in range(k)
        ),
        coverage=hit / hits,
        density=hit / n_in if n_in else math.nan,
        mass=n_in / n,
        n_in=n_in,
        n_holds=hits,
        base_density=hits / n,
    )


def _paste(
    x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    while True:
        n_in, hit = _stats(x, y, lower, upper)
        density = hit / n_in if n_in else 0.0
        add = max(1, math.floor(alpha * n_in))
        best: tuple[float, int, np.ndarray, np.ndarray] | None = None
        for j in range(x.shape[1]):
            others = _inside(np.delete(x, j, axis=1), np.delete(lower, j), np.delete(upper, j))
            for side in ("lower", "upper"):
                bound = lower[j] if side == "lower" else upper[j]
                if not math.isfinite(bound):
                    continue
                col = x[others, j]
                out = (
                    np.sort(col[col < bound])[::-1]
                    if side == "lower"
                    else np.sort(col[col > bound])
                )
                if out.size == 0:
                    continue
                lo, hi = lower.copy(), upper.copy()
                if out.size <= add:
                    (lo if side == "lower" else hi)[j] = -np.inf if side == "lower" else np.inf
                else:
                    edge = 0.5 * (out[add - 1] + out[add])
                    (lo if side == "lower" else hi)[j] = edge
                m, h = _stats(x, y, lo, hi)
                d = h / m
                if d >= density and (best is None or (d, m) > (best[0], best[1])):
                    best = (d, m, lo, hi)
        if best is None:
            return lower, upper
        lower, upper = best[2], best[3]


def quasi_p(x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, j: int) -> float:
    """How likely dimension ``j``'s restriction is to be chance: the hypergeometric probability
    that the box's points, drawn at random from the box without that restriction, hold at least
    as many points where the condition holds (the quasi-p-value of Bryant and Lempert 2010)."""
    from scipy.stats import hypergeom

    lo, hi = lower.copy(), upper.copy()
    lo[j], hi[j] = -np.inf, np.inf
    population, successes = _stats(x, y, lo, hi)
    draws, hit = _stats(x, y, lower, upper)
    return float(hypergeom.sf(hit - 1, population, successes, draws))


def _drop_restrictions(
    x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, max_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop bounds whose removal does not lower the density, then restrictions whose quasi-p-value
    exceeds ``max_p`` (the least likely first), until neither applies."""
    while True:
        n_in, hit = _stats(x, y, lower, upper)
        density = hit / n_in
        options = []
        for j in range(x.shape[1]):
            for side in ("lower", "upper"):
                bound = lower[j] if side == "lower" else upper[j]
                if not math.isfinite(bound):
                    continue
                lo, hi = lower.copy(), upper.copy()
                (lo if side == "lower" else hi)[j] = -np.inf if side == "lower" else np.inf
                m, h = _stats(x, y, lo, hi)
                if h / m >= density:
                    options.append((h / m, m, lo, hi))
        if options:
            _, _, lower, upper = max(options, key=lambda o: (o[0], o[1]))
            continue
        restricted = [j for j in range(x.shape[1]) if np.isfinite([lower[j], upper[j]]).any()]
        ps = {j: quasi_p(x, y, lower, upper, j) for j in restricted}
        worst = max(ps, key=ps.__getitem__, default=None)
        if worst is None or ps[worst] <= max_p:
            return lower, upper
        lower, upper = lower.copy(), upper.copy()
        lower[worst], upper[worst] = -np.inf, np.inf


# ==================================================================== summaries


def _unit_matrix(points: pa.Table, params: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Each point's parameter values on the design's unit scale (recorded range and log flag)."""
    cols = []
    for p in params:
        lo, hi = (float(v) for v in p["range"])
        x = np.array(points.column(p["name"]).to_pylist(), dtype=float)
        if p.get("log"):
            cols.append(np.log(x / lo) / math.log(hi / lo))
        else:
            cols.append((x - lo) / (hi - lo))
    return np.array(cols, dtype=float).T.reshape(points.num_rows, len(params))


def _from_unit(p: Mapping[str, Any], u: float) -> float:
    lo, hi = (float(v) for v in p["range"])
    if p.get("log"):
        return float(f"{lo * (hi / lo) ** u:.4g}")
    return float(f"{lo + u * (hi - lo):.4g}")


def influence(points: pa.Table, params: Sequence[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """Parameters ranked by the absolute Spearman rank correlation of their value with the effect.

    Args:
        points: One metric's rows of the points table.
        params: The study's parameters (:meth:`Study.meta` ``parameters``).
    """
    effect = np.array([_num(v) for v in points.column("effect").to_pylist()])
    keep = np.isfinite(effect)
    ranked = []
    for p in params:
        x = np.array(points.column(p["name"]).to_pylist(), dtype=float)[keep]
        rho = _spearman(x, effect[keep])
        ranked.append((p["name"], rho))
    ranked.sort(key=lambda r: -abs(r[1]) if math.isfinite(r[1]) else 0.0)
    return ranked


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="stable")
    ranks = np.empty(v.size)
    ranks[order] = np.arange(v.size, dtype=float)
    for value in np.unique(v):  # ties share their mean rank
        tie = v == value
        ranks[tie] = ranks[tie].mean()
    return ranks


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3:
        return math.nan
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def discover(
    points: pa.Table, params: Sequence[Mapping[str, Any]], condition: Condition
) -> dict[str, Any]:
    """Where ``condition`` holds: the PRIM box over the study's parameters, in their units.

    Args:
        points: One metric's rows of the points table.
        params: The study's parameters.
        condition: The condition.

    Returns:
        ``condition``, ``holds`` (points where it holds), ``points``, and ``box``: None, or
        ``coverage``, ``density``, ``mass``, ``points_in_box`` and ``restrictions`` (each with
        ``parameter``, ``unit``, ``source_kind``, ``source``, ``range``, ``low`` and ``high``, a
        bound being None where the box does not restrict that side).
    """
    y = condition.holds(points)
    x = _unit_matrix(points, params)
    box = prim(x, y)
    result: dict[str, Any] = {
        "condition": condition.text,
        "holds": int(y.sum()),
        "points": int(points.num_rows),
        "box": None,
    }
    if box is None:
        return result
    restrictions = []
    for j in box.restricted:
        p = params[j]
        lo, hi = box.lower[j], box.upper[j]
        restrictions.append(
            {
                "parameter": p["name"],
                "unit": p["unit"],
                "source_kind": p["source_kind"],
                "source": p["source"],
                "range": list(p["range"]),
                "low": _from_unit(p, lo) if math.isfinite(lo) else None,
                "high": _from_unit(p, hi) if math.isfinite(hi) else None,
                "quasi_p": box.quasi_p[j],
            }
        )
    result["box"] = {
        "coverage": box.coverage,
        "density": box.density,
        "mass": box.mass,
        "points_in_box": box.n_in,
        "restrictions": restrictions,
    }
    return result


def summarise(points: pa.Table, where: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Per metric: the effect distribution over points and the discovery of ``where``.

    Args:
        points: The points table (:func:`effects`).
        where: Condition text by metric (default: as recorded in the table, else
            ``effect < 0``).

    Returns:
        One dict per metric: ``metric``, ``unit``, ``points``, ``defined`` (points with an
        effect), ``above``/``includes``/``below`` (shares of the defined points whose interval
        lies above zero, includes it, lies below it), ``quantiles`` (of the effect across points,
        by :data:`QUANTILES`), ``influence`` (:func:`influence`) and ``discovery``
        (:func:`discover`).
    """
    meta = study_meta(points)
    params = meta["parameters"]
    out = []
    for metric in meta["metrics"]:
        rows = points.filter(pc.equal(points.column("metric"), metric))
        effect = np.array([_num(v) for v in rows.column("effect").to_pylist()])
        lo = np.array([_num(v) for v in rows.column("ci_low").to_pylist()])
        hi = np.array([_num(v) for v in rows.column("ci_high").to_pylist()])
        defined = np.isfinite(effect) & np.isfinite(lo) & np.isfinite(hi)
        n = int(defined.sum())
        above = int(np.sum(lo[defined] > 0))
        below = int(np.sum(hi[defined] < 0))
        recorded = meta.get("where", {})
        text = (where or {}).get(metric, recorded.get(metric, DEFAULT_WHERE))
        condition = parse_condition(text, metric)
        qs = np.quantile(effect[defined], QUANTILES) if n else [math.nan] * len(QUANTILES)
        out.append(
            {
                "metric": metric,
                "unit": rows.column("unit")[0].as_py() if rows.num_rows else "",
                "points": int(rows.num_rows),
                "defined": n,
                "above": above / n if n else math.nan,
                "includes": (n - above - below) / n if n else math.nan,
                "below": below / n if n else math.nan,
                "quantiles": {
                    f"q{round(100 * q):02d}": float(v) for q, v in zip(QUANTILES, qs, strict=True)
                },
                "influence": influence(rows, params),
                "discovery": discover(rows, params, condition),
            }
        )
    return out


# ==================================================================== output


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _bound_text(r: Mapping[str, Any]) -> str:
    lo, hi = r["low"], r["high"]
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def box_text(discovery: Mapping[str, Any]) -> str:
    """``employers.premium_conversion <= 0.31 and ...`` (or why there is no box)."""
    box = discovery["box"]
    if box is None:
        holds, n = discovery["holds"], discovery["points"]
        return "holds at every point" if holds == n else "holds at no point"
    if not box["restrictions"]:
        return "no parameter range separates the points where it holds"
    return " and ".join(f"{r['parameter']} {_bound_text(r)}" for r in box["restrictions"])


def _seeds_text(meta: Mapping[str, Any]) -> str:
    seeds = meta.get("seeds")
    return f"{len(seeds)} common seeds, " if seeds else ""


def note(meta: Mapping[str, Any]) -> str:
    """How the figures were computed."""
    n_params = len(meta["parameters"])
    win = Window(*meta["window"])
    pct = f"{100 * meta.get('confidence', CONFIDENCE):g}%"
    return (
        f"Effect of {meta['policy']} against {meta['baseline']} at {meta['samples']} points "
        f"({meta['design']} design, seed {meta['design_seed']}) over {n_params} uncertain "
        f"parameter{'s' if n_params != 1 else ''} (each over its registry range, log-scaled where "
        f"the range spans 100x or more), {_seeds_text(meta)}{meta['students']:,} students. At "
        "each point: the mean "
        f"over seeds of the paired difference (policy - baseline on the same seed) of each seed's "
        f"mean over {win.label}, with its {pct} t-interval. above/includes/below 0: share of "
        "points whose interval lies above zero, includes it, lies below it. Quantiles: of the "
        "effect across points. Box: PRIM (Friedman and Fisher 1999) over the parameters; "
        "coverage = points in the box where the condition holds / points where it holds; "
        "density = points in the box where it holds / points in the box."
    )


def distribution_rows(summary: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    head = ["metric", "unit", "points", "above 0", "includes 0", "below 0"]
    head += [f"{round(100 * q)}%" for q in QUANTILES]
    rows = []
    for s in summary:
        unit = s["unit"]
        shown = "pp" if unit == "share" else unit
        qs = [
            format_effect(v, None, None, unit).removesuffix(" pp") for v in s["quantiles"].values()
        ]
        defined = f"{s['defined']}" + (f" of {s['points']}" if s["defined"] != s["points"] else "")
        rows.append(
            [
                s["metric"],
                shown,
                defined,
                _pct(s["above"]),
                _pct(s["includes"]),
                _pct(s["below"]),
                *qs,
            ]
        )
    return head, rows


def box_rows(s: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    head = ["parameter", "unit", "source", "registry range", "box", "quasi-p"]
    box = s["discovery"]["box"]
    rows = []
    for r in box["restrictions"] if box else []:
        source = r["source_kind"] if r["source_kind"] == "assumption" else r["source"]
        lo, hi = r["range"]
        qp = f"{r['quasi_p']:.2g}"
        rows.append([r["parameter"], r["unit"], source, f"[{lo:g}, {hi:g}]", _bound_text(r), qp])
    return head, rows


def discovery_line(s: Mapping[str, Any]) -> str:
    d = s["discovery"]
    head = f"{s['metric']}: where {d['condition']} ({d['holds']} of {d['points']} points)"
    box = d["box"]
    if box is None or not box["restrictions"]:
        return f"{head}: {box_text(d)}."
    return (
        f"{head}: coverage {_pct(box['coverage'])}, density {_pct(box['density'])} "
        f"({box['points_in_box']} point{'s' if box['points_in_box'] != 1 else ''} in the box)"
    )


def influence_line(s: Mapping[str, Any], top: int = 3) -> str:
    ranked = [(n, r) for n, r in s["influence"] if math.isfinite(r)][:top]
    if not ranked:
        return f"{s['metric']}: no parameter's rank correlation with the effect is defined."
    parts = ", ".join(f"{n} {r:+.2f}" for n, r in ranked)
    return f"{s['metric']}: rank correlation with the effect: {parts}"


def _csv_rows(summary: Sequence[Mapping[str, Any]]) -> pa.Table:
    rows = []
    for s in summary:
        d, box = s["discovery"], s["discovery"]["box"]
        rows.append(
            {
                "metric": s["metric"],
                "unit": s["unit"],
                "points": s["points"],
                "defined": s["defined"],
                "above": s["above"],
                "includes": s["includes"],
                "below": s["below"],
                **s["quantiles"],
                "condition": d["condition"],
                "holds": d["holds"],
                "coverage": box["coverage"] if box else None,
                "density": box["density"] if box else None,
                "points_in_box": box["points_in_box"] if box else None,
                "box": box_text(d),
            }
        )
    return pa.Table.from_pylist(rows)


def format_summary(
    points: pa.Table, summary: Sequence[Mapping[str, Any]], fmt: str = "table"
) -> str:
    """The study's summary as aligned text, Markdown, CSV (one row per metric) or JSON.

    Raises:
        RobustnessError: For an unknown format.
    """
    if fmt not in FORMATS:
        raise RobustnessError([f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}"])
    meta = study_meta(points)
    if fmt == "json":
        study = {k: v for k, v in meta.items() if k != "points"}
        return json_text({"note": note(meta), "study": study, "metrics": summary})
    if fmt == "csv":
        return table_to_csv(_csv_rows(summary))
    render = markdown_table if fmt == "markdown" else text_table
    title = f"Effect of {meta['policy']} vs {meta['baseline']} across {meta['samples']} points"
    parts = [
        f"**{title}**\n\n" if fmt == "markdown" else f"{title}\n",
        render(*distribution_rows(summary)),
    ]
    for s in summary:
        line = discovery_line(s)
        parts.append(f"\n{line}\n" if fmt != "markdown" else f"\n_{line}_\n")
        head, rows = box_rows(s)
        if rows:
            parts.append("\n" + render(head, rows))
    bullet = "- " if fmt == "markdown" else ""
    parts.append("\n" + "".join(f"{bullet}{influence_line(s)}\n" for s in summary))
    text = note(meta)
    parts.append(f"\n_{text}_\n" if fmt == "markdown" else "\n" + _wrap(text))
    return "".join(parts)


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 100) + "\n"


# ==================================================================== figures


HOLDS_COLOUR, OTHER_COLOUR = "#D55E00", "#0072B2"  # Okabe-Ito vermillion and blue


def _metric_rows(points: pa.Table, metric: str) -> pa.Table:
    return points.filter(pc.equal(points.column("metric"), metric))


def _caption(meta: Mapping[str, Any]) -> str:
    win = Window(*meta["window"])
    return (
        f"{meta['samples']} points ({meta['design']}) over {len(meta['parameters'])} parameters; "
        f"{_seeds_text(meta)}{meta['students']:,} students; effect per point: mean paired "
        f"difference by seed over {win.label}, whiskers "
        f"{100 * meta.get('confidence', CONFIDENCE):g}% t-interval."
    )


def _errorbar(
    ax: Any, x: np.ndarray, y: np.ndarray, err: np.ndarray, colour: str, label: str
) -> None:
    ax.errorbar(
        x, y, yerr=np.nan_to_num(err), fmt="o", ms=4, color=colour, ecolor=colour,
        elinewidth=1, capsize=2, label=label,
    )  # fmt: skip


def distribution_figure(points: pa.Table, item: Mapping[str, Any]) -> tuple[Figure, pa.Table]:
    """The effect at every point, sorted, with its interval, coloured by the condition."""
    from sim.analysis.plots import _new_figure, _unit_axis

    meta = study_meta(points)
    metric, unit = item["metric"], item["unit"]
    rows = _metric_rows(points, metric)
    cond = parse_condition(item["discovery"]["condition"], metric)
    holds = cond.holds(rows)
    effect = np.array([_num(v) for v in rows.column("effect").to_pylist()])
    lo = np.array([_num(v) for v in rows.column("ci_low").to_pylist()])
    hi = np.array([_num(v) for v in rows.column("ci_high").to_pylist()])
    order = np.argsort(np.where(np.isfinite(effect), effect, np.inf), kind="stable")
    rank = np.empty(order.size, dtype=int)
    rank[order] = np.arange(1, order.size + 1)
    label = METRICS_BY_NAME[metric].label if metric in METRICS_BY_NAME else metric
    fig = _new_figure(
        f"{meta['policy']} vs {meta['baseline']}: effect on {label} across points",
        _caption(meta) + f" Colour: where {cond.text}.",
    )
    ax = fig.add_subplot()
    for mask, colour, name in ((holds, HOLDS_COLOUR, cond.text), (~holds, OTHER_COLOUR, "other")):
        if mask.any():
            err = np.vstack([effect[mask] - lo[mask], hi[mask] - effect[mask]])
            _errorbar(ax, rank[mask], effect[mask], err, colour, name)
    ax.axhline(0.0, color="#000000", linewidth=0.8)
    ax.set_xlabel("point, ranked by effect")
    _unit_axis(ax, "y", "effect", unit, change=True)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    data = pa.table(
        {
            "point": rows.column("point"),
            "rank": pa.array(rank, pa.int64()),
            "effect": rows.column("effect"),
            "ci_low": rows.column("ci_low"),
            "ci_high": rows.column("ci_high"),
            "condition_holds": pa.array(holds),
        }
    ).sort_by("rank")
    return fig, data


def parameters_figure(points: pa.Table, item: Mapping[str, Any]) -> tuple[Figure, pa.Table]:
    """The effect against the two most influential parameters (those the discovery box restricts,
    then those most rank-correlated with the effect), coloured by the condition; the box's bounds
    as dashed lines."""
    from sim.analysis.plots import _new_figure, _unit_axis

    meta = study_meta(points)
    metric, unit = item["metric"], item["unit"]
    rows = _metric_rows(points, metric)
    cond = parse_condition(item["discovery"]["condition"], metric)
    holds = cond.holds(rows)
    params = {p["name"]: p for p in meta["parameters"]}
    rho = dict(item["influence"])
    box = item["discovery"]["box"]
    bounds = {r["parameter"]: r for r in (box["restrictions"] if box else [])}
    top = list(dict.fromkeys([*bounds, *(n for n, _ in item["influence"])]))[:2]
    effect = np.array([_num(v) for v in rows.column("effect").to_pylist()])
    lo = np.array([_num(v) for v in rows.column("ci_low").to_pylist()])
    hi = np.array([_num(v) for v in rows.column("ci_high").to_pylist()])
    label = METRICS_BY_NAME[metric].label if metric in METRICS_BY_NAME else metric
    fig = _new_figure(
        f"{meta['policy']} vs {meta['baseline']}: effect on {label} by parameter",
        _caption(meta) + f" Colour: where {cond.text}; dashed: the discovery box's bounds.",
    )
    axes = fig.subplots(1, len(top), sharey=True, squeeze=False)[0]
    for ax, name in zip(axes, top, strict=True):
        x = np.array(rows.column(name).to_pylist(), dtype=float)
        for mask, colour, text in (
            (holds, HOLDS_COLOUR, cond.text),
            (~holds, OTHER_COLOUR, "other"),
        ):
            if mask.any():
                err = np.vstack([effect[mask] - lo[mask], hi[mask] - effect[mask]])
                _errorbar(ax, x[mask], effect[mask], err, colour, text)
        if params[name].get("log"):
            ax.set_xscale("log")
        for side in ("low", "high"):
            if name in bounds and bounds[name][side] is not None:
                ax.axvline(bounds[name][side], color="#555555", linestyle="--", linewidth=1)
        ax.axhline(0.0, color="#000000", linewidth=0.8)
        r = rho.get(name, math.nan)
        shown_rho = f"rank correlation {r:+.2f}" if math.isfinite(r) else "rank correlation n/a"
        ax.set_xlabel(f"{name} ({params[name]['unit']})\n{shown_rho}", fontsize=8)
        ax.grid(alpha=0.3)
    _unit_axis(axes[0], "y", "effect", unit, change=True)
    axes[0].legend(fontsize=8)
    data = {"point": rows.column("point")}
    data |= {name: rows.column(name) for name in top}
    data |= {c: rows.column(c) for c in ("effect", "ci_low", "ci_high")}
    data["condition_holds"] = pa.array(holds)
    return fig, pa.table(data)


FIGURES = {"distribution": distribution_figure, "parameters": parameters_figure}


def figure_path(run_dir: Path | str, kind: str, metric: str) -> Path:
    """``<run>/plots/robustness-<kind>-<metric>.png``."""
    return Path(run_dir) / "plots" / f"robustness-{kind}-{metric}.png"


def write_outputs(
    run_dir: Path | str, points: pa.Table, summary: Sequence[Mapping[str, Any]]
) -> list[Path]:
    """Write the points table (atomically) and both figures of each metric with their CSVs.

    Returns:
        The points file, then the images (each has its CSV beside it).
    """
    from sim.analysis.plots import save

    target = Path(run_dir) / POINTS_FILE
    with atomic_path(target) as tmp:
        pq.write_table(points, tmp)
    written = [target]
    for item in summary:
        for kind, draw in FIGURES.items():
            fig, data = draw(points, item)
            written.append(save(fig, data, figure_path(run_dir, kind, item["metric"])))
    return written
