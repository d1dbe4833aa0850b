"""Scenario effects as paired differences by seed, with confidence intervals.

Every scenario of a run uses the same seeds (common random numbers), so the seed-level noise a
scenario shares with the baseline cancels in the per-seed difference. For each scenario, metric
and seed the value is the metric averaged over a window of months; the effect is the mean over
seeds of ``scenario - baseline`` on the same seed, with a t-interval on those paired differences
(or a bootstrap over seeds). The unpaired (Welch) interval width is reported alongside to show
how much pairing tightens the interval.

The relative difference is ``scenario mean / baseline mean - 1``; its interval uses the delta
method for a ratio of means applied to the same paired seeds: the per-seed linearised values
``(s_i - R b_i) / mean(b)`` with ``R = mean(s) / mean(b)`` carry both the scenario's and the
baseline's seed-to-seed variation (dividing the difference interval by the baseline mean would
treat the baseline mean as known). The bootstrap resamples seeds and takes percentiles of the
ratio directly.

Effects by group (:func:`compare_groups`, ``hiresim compare --by KIND``) apply the same paired
differences to each group of one group kind of the run's groups table (:mod:`sim.groups`), and
add, per scenario and metric, the gap between a top and a bottom group and its change under the
policy: per seed, ``(top - bottom)`` in the scenario minus ``(top - bottom)`` in the baseline (a
difference-in-differences), with the same intervals. Top and bottom are fixed for ordered kinds
(:data:`ORDERED_GAPS`: ``ability_quartile`` q4 - q1, ``university_type`` credit_bearing -
no_mc_offer); for the other kinds they are the groups with the highest and the lowest baseline
mean of the metric over the window; ``gap=(top, bottom)`` chooses them.

Typical notebook use::

    from sim.compare import compare, compare_groups, format_table
    effects = compare("outputs/demo", metrics=["mean_starting_salary"])   # a pyarrow.Table
    effects.to_pandas()
    print(format_table(effects, "markdown"))
    by_discipline = compare_groups("outputs/demo", "discipline")
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.groups import (
    EMPLOYMENT_MEASURES,
    GROUP_KINDS_BY_NAME,
    HOLDING_GROUPS,
    employment_by_holding,
)
from sim.metrics import METRICS_BY_NAME
from sim.store import META_SCENARIO, read_manifest, read_part_metadata, read_table, scan_parts

CONFIDENCE = 0.95
DEFAULT_WINDOW_MONTHS = 12
"""Without ``--month``/``--window``, values are averaged over the run's last 12 months."""
FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")
METHODS: tuple[str, ...] = ("t", "bootstrap")
KEY_COLUMNS: tuple[str, ...] = ("scenario", "seed", "month")
GROUP_KEY_COLUMNS: tuple[str, ...] = ("scenario", "seed", "month", "group_kind", "group")
GROUP_METRICS: tuple[str, ...] = (
    "recent_grad_unemployment_rate",
    "mean_starting_salary",
    "employment_rate",
    "mc_holder_share",
)
"""Group outcome metrics compared by :func:`compare_groups` when none are named."""
ORDERED_GAPS: dict[str, tuple[str, str]] = {
    "ability_quartile": ("q4", "q1"),
    "university_type": ("credit_bearing", "no_mc_offer"),
}
"""(top, bottom) groups of the gap for group kinds with a natural order; the gap of any other
kind is between the groups with the highest and the lowest baseline mean of each metric."""
_GROUP_UNITS: dict[str, str] = {
    "population": "people",
    "enrolled": "people",
    "labour_force": "people",
    "employed": "people",
    "employment_rate": "share",
    "median_starting_salary": "USD per year",
}

Method = Literal["t", "bootstrap"]
Format = Literal["table", "markdown", "csv", "json"]


class CompareError(ValueError):
    """A comparison that cannot be made honestly (seeds differ, unknown metric, no baseline)."""


# ==================================================================== windows


@dataclass(frozen=True)
class Window:
    """An inclusive range of output months whose mean is each seed's value.

    Attributes:
        first: First month (1-based).
        last: Last month, inclusive.
    """

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.last < self.first:
            raise CompareError(
                f"invalid month window {self.first}:{self.last}: expected 1 <= A <= B"
            )

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse ``A:B`` (inclusive) or a single month ``M``.

        Raises:
            CompareError: When the text is not of that form.
        """
        parts = text.split(":")
        try:
            if len(parts) == 1:
                return cls(int(parts[0]), int(parts[0]))
            if len(parts) == 2:
                return cls(int(parts[0]), int(parts[1]))
        except ValueError:
            pass
        raise CompareError(f"invalid month window {text!r}: expected A:B, e.g. 49:60, or a month")

    @property
    def label(self) -> str:
        """``month 12`` or ``months 49-60``."""
        return (
            f"month {self.first}" if self.first == self.last else f"months {self.first}-{self.last}"
        )


def resolve_window(
    last_month: int, *, month: int | None = None, window: Window | str | None = None
) -> Window:
    """The window to average over: ``month``, ``window`` or the last 12 months.

    Args:
        last_month: The last output month present in the data.
        month: A single month.
        window: A :class:`Window` or its ``A:B`` text.

    Raises:
        CompareError: When both are given or the window lies outside the run's months.
    """
    if month is not None and window is not None:
        raise CompareError("give either a month or a window, not both")
    if month is not None:
        result = Window(month, month)
    elif window is not None:
        result = Window.parse(window) if isinstance(window, str) else window
    else:
        result = Window(max(1, last_month - DEFAULT_WINDOW_MONTHS + 1), last_month)
    if result.last > last_month:
        raise CompareError(f"{result.label} lies outside the run's months 1-{last_month}")
    return result


# ==================================================================== runs


def _numeric_columns(schema: pa.Schema, keys: Iterable[str]) -> tuple[str, ...]:
    """Names of the numeric (float or integer) columns of ``schema`` that are not ``keys``."""
    skip = set(keys)
    return tuple(
        f.name
        for f in schema
        if f.name not in skip and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))
    )


@dataclass(frozen=True, eq=False)
class Run:
    """A run folder loaded for analysis.

    Attributes:
        path: The run folder.
        metrics: The monthly metrics table (``scenario``, ``seed``, ``month``, metrics).
        manifest: The manifest (empty when there is none).
        scenario_meta: Resolved scenario (parsed ``hiresim.scenario`` JSON) by scenario name.
        file_meta: The other ``hiresim.*``/version metadata of one file per scenario.
    """

    path: Path
    metrics: pa.Table
    manifest: dict[str, Any]
    scenario_meta: dict[str, dict[str, Any]]
    file_meta: dict[str, dict[str, str]]

    @property
    def name(self) -> str:
        """The run folder's name."""
        return self.path.resolve().name

    @property
    def scenarios(self) -> tuple[str, ...]:
        """Scenarios with data, in manifest order (then any others, sorted)."""
        present = set(self.metrics.column("scenario").to_pylist())
        listed = [s["name"] for s in self.manifest.get("scenarios", []) if s.get("name") in present]
        return tuple(listed + sorted(present - set(listed)))

    def seeds(self, scenario: str) -> tuple[int, ...]:
        """The seeds with data for one scenario, sorted."""
        mask = pc.equal(self.metrics.column("scenario"), scenario)
        return tuple(sorted(set(self.metrics.filter(mask).column("seed").to_pylist())))

    @property
    def last_month(self) -> int:
        """The last output month in the data."""
        return int(pc.max(self.metrics.column("month")).as_py())

    @property
    def students(self) -> int | None:
        """The population (from the manifest, else from the scenarios' metadata)."""
        if isinstance(self.manifest.get("students"), int):
            return int(self.manifest["students"])
        found = {m.get("run", {}).get("students") for m in self.scenario_meta.values()}
        found.discard(None)
        return int(found.pop()) if len(found) == 1 else None

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Numeric metric columns present in the table."""
        return _numeric_columns(self.metrics.schema, KEY_COLUMNS)

    @property
    def has_groups(self) -> bool:
        """Whether the run folder holds a groups table (outcomes by group)."""
        return bool(scan_parts(self.path, "groups"))

    @cached_property
    def groups(self) -> pa.Table:
        """The groups table (``scenario``, ``seed``, ``month``, ``group_kind``, ``group``,
        outcomes), read on first use.

        Raises:
            CompareError: When the run has no groups table.
        """
        if not self.has_groups:
            raise CompareError(
                f"{self.path} has no groups table (outcomes by group): it was made before runs "
                "wrote one; run its command again into a new folder to get it"
            )
        return read_table(self.path, "groups")

    def group_kinds(self) -> tuple[str, ...]:
        """Group kinds in the groups table, in :data:`sim.groups.GROUP_KINDS` order."""
        present = set(pc.unique(self.groups.column("group_kind")).to_pylist())
        known = [k for k in GROUP_KINDS_BY_NAME if k in present]
        return tuple(known + sorted(present - set(known)))

    def group_labels(self, kind: str) -> tuple[str, ...]:
        """The groups of one kind present in the groups table, in their defined order."""
        rows = self.groups.filter(pc.equal(self.groups.column("group_kind"), kind))
        present = set(pc.unique(rows.column("group")).to_pylist())
        defined = GROUP_KINDS_BY_NAME[kind].groups if kind in GROUP_KINDS_BY_NAME else ()
        known = [g for g in defined if g in present]
        return tuple(known + sorted(present - set(known)))

    @property
    def group_metric_names(self) -> tuple[str, ...]:
        """Numeric outcome columns of the groups table."""
        return _numeric_columns(self.groups.schema, GROUP_KEY_COLUMNS)

    def group_seeds(self, scenario: str) -> tuple[int, ...]:
        """The seeds with group data for one scenario, sorted."""
        mask = pc.equal(self.groups.column("scenario"), scenario)
        return tuple(sorted(set(self.groups.filter(mask).column("seed").to_pylist())))

    def caption(self) -> str:
        """``8 seeds; population 20,000 students; 120 months`` for figure captions."""
        seeds = {len(self.seeds(s)) for s in self.scenarios}
        n = f"{seeds.pop()} seeds" if len(seeds) == 1 else f"{min(seeds)}-{max(seeds)} seeds"
        pop = f"population {self.students:,} students" if self.students else "population unknown"
        return f"{n} per scenario; {pop}; {self.last_month} months"


def load_run(run_dir: Path | str) -> Run:
    """Read a run folder's metrics table, manifest and per-scenario file metadata.

    Args:
        run_dir: The run folder.

    Raises:
        CompareError: When the folder holds no metrics table.
    """
    path = Path(run_dir)
    try:
        metrics = read_table(path, "metrics")
    except FileNotFoundError as exc:
        raise CompareError(str(exc)) from exc
    if metrics.num_rows == 0:
        raise CompareError(f"{path} holds no metrics yet")
    scenario_meta: dict[str, dict[str, Any]] = {}
    file_meta: dict[str, dict[str, str]] = {}
    # One file per scenario (its lowest seed) speaks for the scenario's definition and versions.
    for (name, _), part in sorted(scan_parts(path, "metrics").items()):
        if name in file_meta:
            continue
        meta = read_part_metadata(part)
        if META_SCENARIO in meta:
            scenario_meta[name] = json.loads(meta.pop(META_SCENARIO))
        file_meta[name] = meta
    return Run(path, metrics, read_manifest(path), scenario_meta, file_meta)


def as_run(run: Run | Path | str) -> Run:
    """A :class:`Run` from a run or its folder."""
    return run if isinstance(run, Run) else load_run(run)


# ==================================================================== statistics


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``df`` may be real).

    Uses scipy when installed; otherwise inverts the t CDF (a regularised incomplete beta
    function evaluated by continued fraction) by bisection, accurate to about 1e-12.
    """
    try:
        from scipy.stats import t as student_t
    except ImportError:  # scipy is an optional extra
        return _t_quantile_numpy(p, df)
    return float(student_t.ppf(p, df))


def _t_quantile_numpy(p: float, df: float) -> float:
    if not 0.0 < p < 1.0 or not df > 0.0:
        raise ValueError(f"t quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -_t_quantile_numpy(1.0 - p, df)
    hi = 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return 0.5 * (lo + hi)


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(0.5 * df, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) (continued fraction, Lentz's method)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast only for x below (a+1)/(a+b+2); use symmetry above.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


@dataclass(frozen=True)
class PairedResult:
    """A paired comparison of one scenario with the baseline on one metric.

    Attributes:
        n: Seeds used (those where both values are defined).
        baseline_mean: Mean of the baseline's per-seed values.
        scenario_mean: Mean of the scenario's per-seed values.
        difference: Mean per-seed paired difference, scenario - baseline.
        ci_low: Lower bound of the difference's interval.
        ci_high: Upper bound.
        relative: ``scenario_mean / baseline_mean - 1``.
        rel_ci_low: Lower bound of the relative difference's interval.
        rel_ci_high: Upper bound.
        unpaired_ci_width: Width of the interval that ignores pairing (Welch, or an unpaired
            bootstrap), for comparison.
    """

    n: int
    baseline_mean: float
    scenario_mean: float
    difference: float
    ci_low: float
    ci_high: float
    relative: float
    rel_ci_low: float
    rel_ci_high: float
    unpaired_ci_width: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the difference's interval lies wholly above or below zero."""
        return bool(self.ci_low > 0.0 or self.ci_high < 0.0)


def paired_difference(
    baseline: np.ndarray,
    scenario: np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    method: Method = "t",
    n_boot: int = 10_000,
    boot_seed: int = 0,
) -> PairedResult:
    """Compare per-seed values of a scenario with the baseline's on the same seeds.

    Args:
        baseline: Baseline value per seed.
        scenario: Scenario value per seed, aligned with ``baseline`` (same seed order).
        confidence: Interval coverage.
        method: ``t`` (t-interval on the paired differences) or ``bootstrap`` (percentile
            interval over ``n_boot`` resamples of seeds, seeded by ``boot_seed``).
        n_boot: Bootstrap resamples.
        boot_seed: Seed of the bootstrap's generator.

    Returns:
        The result; intervals are NaN with fewer than two usable seeds. Seeds where either value
        is NaN (a metric undefined in every month of the window) are left out of both.
    """
    if method not in METHODS:
        raise CompareError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    b = np.asarray(baseline, dtype=float)
    s = np.asarray(scenario, dtype=float)
    keep = ~(np.isnan(b) | np.isnan(s))
    b, s = b[keep], s[keep]
    n = int(b.size)
    nan = math.nan
    if n == 0:
        return PairedResult(0, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    mb, ms = float(b.mean()), float(s.mean())
    d = s - b
    diff = float(d.mean())
    ratio = ms / mb if mb != 0.0 else nan
    rel = ratio - 1.0
    if n < 2:
        return PairedResult(n, mb, ms, diff, nan, nan, rel, nan, nan, nan)
    alpha = 1.0 - confidence
    if method == "t":
        q = t_quantile(1.0 - alpha / 2.0, n - 1)
        half = q * float(d.std(ddof=1)) / math.sqrt(n)
        lo, hi = diff - half, diff + half
        if mb != 0.0:
            z = (s - ratio * b) / mb
            rel_half = q * float(z.std(ddof=1)) / math.sqrt(n)
            rel_lo, rel_hi = rel - rel_half, rel + rel_half
        else:
            rel_lo = rel_hi = nan
        unpaired = _welch_width(b, s, confidence)
    else:
        rng = np.random.default_rng(boot_seed)
        idx = rng.integers(0, n, size=(n_boot, n))
        qs = (alpha / 2.0, 1.0 - alpha / 2.0)
        lo, hi = (float(v) for v in np.quantile(d[idx].mean(axis=1), qs))
        if mb != 0.0:
            boot_b = b[idx].mean(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = s[idx].mean(axis=1) / boot_b - 1.0
            rel_lo, rel_hi = (float(v) for v in np.quantile(ratios, qs))
        else:
            rel_lo = rel_hi = nan
        other = rng.integers(0, n, size=(n_boot, n))
        unpaired_lo, unpaired_hi = np.quantile(s[other].mean(axis=1) - b[idx].mean(axis=1), qs)
        unpaired = float(unpaired_hi - unpaired_lo)
    return PairedResult(n, mb, ms, diff, lo, hi, rel, rel_lo, rel_hi, unpaired)


def _welch_width(b: np.ndarray, s: np.ndarray, confidence: float) -> float:
    """Width of the Welch interval for mean(s) - mean(b), treating the samples as independent."""
    vb, vs = float(b.var(ddof=1)) / b.size, float(s.var(ddof=1)) / s.size
    if vb + vs == 0.0:
        return 0.0
    df = (vb + vs) ** 2 / (vb**2 / (b.size - 1) + vs**2 / (s.size - 1))
    return 2.0 * t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(vb + vs)


# ==================================================================== per-seed values


def seed_values(
    table: pa.Table,
    metrics: Sequence[str],
    window: Window,
    keys: Sequence[str] = ("scenario", "seed"),
) -> pa.Table:
    """Each metric averaged over the window's months, per ``keys`` (scenario and seed).

    NaN (a month where a mean is undefined, such as no MC-holder hires) is skipped; a value is
    null when it is undefined in every month of the window.

    Args:
        table: Monthly table with ``month``, the key columns and the metrics.
        metrics: Metric columns to average.
        window: Months to average over.
        keys: Grouping columns (later group-level tables add their group columns here).

    Returns:
        One row per key combination, sorted by the keys, with one column per metric.
    """
    month = table.column("month")
    rows = table.filter(
        pc.and_(pc.greater_equal(month, window.first), pc.less_equal(month, window.last))
    )
    cols: dict[str, pa.Array] = {k: rows.column(k) for k in keys}
    for m in metrics:
        col = pc.cast(rows.column(m), pa.float64())
        cols[m] = pc.if_else(pc.is_nan(col), pa.scalar(None, pa.float64()), col)
    grouped = pa.table(cols).group_by(list(keys)).aggregate([(m, "mean") for m in metrics])
    grouped = grouped.rename_columns([c.removesuffix("_mean") for c in grouped.column_names])
    return grouped.select([*keys, *metrics]).sort_by([(k, "ascending") for k in keys])


def _by_seed(values: pa.Table, scenario: str, metric: str) -> dict[int, float]:
    rows = values.filter(pc.equal(values.column("scenario"), scenario))
    return {
        int(seed): (math.nan if v is None else float(v))
        for seed, v in zip(
            rows.column("seed").to_pylist(), rows.column(metric).to_pylist(), strict=True
        )
    }


# ==================================================================== comparison


def check_metrics(run: Run, metrics: Sequence[str] | None) -> tuple[str, ...]:
    """The metrics to use (all of the run's when none are named).

    Raises:
        CompareError: Naming an unknown metric, with the list of those available.
    """
    available = run.metric_names
    if not metrics:
        return available
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise CompareError(
            f"unknown metric {', '.join(map(repr, unknown))}; available: {', '.join(available)}"
        )
    return tuple(dict.fromkeys(metrics))


def _seed_list(seeds: Sequence[int]) -> str:
    return ", ".join(map(str, sorted(seeds))) or "none"


def check_seeds(scenario: str, s_seeds: Sequence[int], base: str, b_seeds: Sequence[int]) -> None:
    """Refuse to pair a scenario with a baseline that has other seeds.

    Raises:
        CompareError: Saying which seeds each side lacks and how to fix it.
    """
    if set(s_seeds) == set(b_seeds):
        return
    only_s = sorted(set(s_seeds) - set(b_seeds))
    only_b = sorted(set(b_seeds) - set(s_seeds))
    detail = []
    if only_b:
        detail.append(f"missing from {scenario!r}: {_seed_list(only_b)}")
    if only_s:
        detail.append(f"missing from {base!r}: {_seed_list(only_s)}")
    raise CompareError(
        f"seeds do not match: {scenario!r} has seeds {_seed_list(s_seeds)} but baseline "
        f"{base!r} has {_seed_list(b_seeds)} ({'; '.join(detail)}). Paired differences need the "
        "same seeds in both; finish the run (re-running its command resumes it) or run the "
        "missing seeds."
    )


@dataclass(frozen=True)
class _Setup:
    """What a comparison compares: runs, scenarios, window and the baseline's label."""

    run: Run
    base_run: Run
    compared: tuple[str, ...]
    window: Window
    base_label: str


def require_baseline(base_run: Run, baseline: str) -> None:
    """Raise :class:`CompareError`, listing the scenarios present, when ``baseline`` is absent."""
    if baseline not in base_run.scenarios:
        raise CompareError(
            f"baseline {baseline!r} not found in {base_run.path}; scenarios present: "
            f"{', '.join(base_run.scenarios)}. Choose one with --baseline."
        )


def _setup(
    run: Run,
    base_run: Run,
    baseline: str,
    scenarios: Sequence[str] | None,
    month: int | None,
    window: Window | str | None,
    against: bool,
) -> _Setup:
    """Check the scenarios and resolve the window (the baseline is checked already)."""
    if scenarios:
        unknown = [s for s in scenarios if s not in run.scenarios]
        if unknown:
            raise CompareError(
                f"scenario {', '.join(map(repr, unknown))} not found in {run.path}; scenarios "
                f"present: {', '.join(run.scenarios)}"
            )
        compared = tuple(dict.fromkeys(scenarios))
    elif against:
        compared = run.scenarios
    else:
        compared = tuple(s for s in run.scenarios if s != baseline)
    win = resolve_window(min(run.last_month, base_run.last_month), month=month, window=window)
    base_label = f"{base_run.name}/{baseline}" if against else baseline
    return _Setup(run, base_run, compared, win, base_label)


def _paired(
    b: dict[int, float],
    v: dict[int, float],
    *,
    confidence: float,
    method: Method,
    n_boot: int,
    boot_seed: int,
) -> PairedResult:
    """:func:`paired_difference` of per-seed values keyed by seed (the baseline's seeds)."""
    order = sorted(b)
    return paired_difference(
        np.array([b[k] for k in order]),
        np.array([v.get(k, math.nan) for k in order]),
        confidence=confidence,
        method=method,
        n_boot=n_boot,
        boot_seed=boot_seed,
    )


def _effect_columns(r: PairedResult) -> dict[str, Any]:
    """The columns of a comparison row that come from one paired result."""
    width = r.ci_high - r.ci_low
    vs_unpaired = width / r.unpaired_ci_width if r.unpaired_ci_width > 0.0 else math.nan
    return {
        "n_seeds": r.n,
        "baseline_mean": r.baseline_mean,
        "scenario_mean": r.scenario_mean,
        "difference": r.difference,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "relative_difference": r.relative,
        "relative_ci_low": r.rel_ci_low,
        "relative_ci_high": r.rel_ci_high,
        "excludes_zero": r.excludes_zero,
        "unpaired_ci_width": r.unpaired_ci_width,
        "width_vs_unpaired": vs_unpaired,
    }


def _result(
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    setup: _Setup,
    baseline: str,
    method_label: str,
    confidence: float,
    against: bool,
    **info: Any,
) -> pa.Table:
    """A comparison's rows as a table, with how it was computed in its ``hiresim.compare``
    metadata (``info`` adds keys, such as the group kind)."""
    win = setup.window
    meta = {
        "run": str(setup.run.path),
        "against": str(setup.base_run.path) if against else None,
        "baseline": baseline,
        **info,
        "window": [win.first, win.last],
        "method": method_label,
        "confidence": confidence,
        "note": describe(method_label, confidence, win, setup.base_label),
    }
    return pa.Table.from_pylist(rows, schema=schema).replace_schema_metadata(
        {"hiresim.compare": json.dumps(meta)}
    )


def metric_unit(metric: str) -> str:
    """The unit of a monthly metric or a groups-table outcome (empty when unknown)."""
    if metric in METRICS_BY_NAME:
        return METRICS_BY_NAME[metric].unit
    return _GROUP_UNITS.get(metric, "")


def compare(
    run: Run | Path | str,
    *,
    baseline: str = "baseline",
    metrics: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
    month: int | None = None,
    window: Window | str | None = None,
    against: Run | Path | str | None = None,
    method: Method = "t",
    confidence: float = CONFIDENCE,
    n_boot: int = 10_000,
    boot_seed: int = 0,
) -> pa.Table:
    """Effects of each scenario on each metric, as paired differences from the baseline by seed.

    Args:
        run: A run folder (or a loaded :class:`Run`).
        baseline: Name of the baseline scenario.
        metrics: Metrics to compare; all of the run's metrics when None.
        scenarios: Scenarios to compare; every scenario except the baseline when None.
        month: Compare a single month's values.
        window: Compare values averaged over ``A:B`` (inclusive); default the last 12 months.
        against: Another run folder to take the baseline from; its baseline must have the same
            seeds as each scenario of ``run`` (e.g. a policy run later on the baseline's seeds).
        method: ``t`` or ``bootstrap`` (seeded, resamples seeds).
        confidence: Interval coverage.
        n_boot: Bootstrap resamples.
        boot_seed: Bootstrap generator seed.

    Returns:
        One row per scenario and metric with columns ``scenario``, ``baseline``, ``metric``,
        ``unit``, ``first_month``, ``last_month``, ``n_seeds``, ``baseline_mean``,
        ``scenario_mean``, ``difference``, ``ci_low``, ``ci_high``, ``relative_difference``,
        ``relative_ci_low``, ``relative_ci_high``, ``excludes_zero``, ``unpaired_ci_width``,
        ``width_vs_unpaired`` (paired interval width / unpaired width), ``method`` and
        ``confidence``.

    Raises:
        CompareError: Missing baseline (lists the scenarios present), unknown metric (lists
            those available), seeds that differ between a scenario and the baseline, or a window
            outside the run's months.
    """
    run = as_run(run)
    base_run = as_run(against) if against is not None else run
    require_baseline(base_run, baseline)
    names = check_metrics(run, metrics)
    if against is not None:
        missing = [m for m in names if m not in base_run.metric_names]
        if missing:
            raise CompareError(f"metric {', '.join(missing)} not in {base_run.path}")
    setup = _setup(run, base_run, baseline, scenarios, month, window, against is not None)
    win = setup.window
    b_seeds = base_run.seeds(baseline)
    for s in setup.compared:
        check_seeds(s, run.seeds(s), baseline, b_seeds)

    values = seed_values(run.metrics, names, win)
    base_values = values if against is None else seed_values(base_run.metrics, names, win)
    method_label = "paired t" if method == "t" else "paired bootstrap"
    stats = {"confidence": confidence, "method": method, "n_boot": n_boot, "boot_seed": boot_seed}
    rows: list[dict[str, Any]] = []
    for s in setup.compared:
        for m in names:
            r = _paired(_by_seed(base_values, baseline, m), _by_seed(values, s, m), **stats)
            rows.append(
                {
                    "scenario": s,
                    "baseline": setup.base_label,
                    "metric": m,
                    "unit": METRICS_BY_NAME[m].unit if m in METRICS_BY_NAME else "",
                    "first_month": win.first,
                    "last_month": win.last,
                    **_effect_columns(r),
                    "method": method_label,
                    "confidence": confidence,
                }
            )
    return _result(rows, _SCHEMA, setup, baseline, method_label, confidence, against is not None)


_SCHEMA = pa.schema(
    [
        ("scenario", pa.string()),
        ("baseline", pa.string()),
        ("metric", pa.string()),
        ("unit", pa.string()),
        ("first_month", pa.int64()),
        ("last_month", pa.int64()),
        ("n_seeds", pa.int64()),
        ("baseline_mean", pa.float64()),
        ("scenario_mean", pa.float64()),
        ("difference", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("relative_difference", pa.float64()),
        ("relative_ci_low", pa.float64()),
        ("relative_ci_high", pa.float64()),
        ("excludes_zero", pa.bool_()),
        ("unpaired_ci_width", pa.float64()),
        ("width_vs_unpaired", pa.float64()),
        ("method", pa.string()),
        ("confidence", pa.float64()),
    ]
)


def _insert_fields(
    schema: pa.Schema, after: str, fields: Sequence[tuple[str, pa.DataType]]
) -> pa.Schema:
    i = schema.get_field_index(after) + 1
    for offset, (name, kind) in enumerate(fields):
        schema = schema.insert(i + offset, pa.field(name, kind))
    return schema


_GROUP_SCHEMA = _insert_fields(
    _insert_fields(
        _SCHEMA,
        "baseline",
        [
            ("group_kind", pa.string()),
            ("row_type", pa.string()),
            ("group", pa.string()),
            ("top_group", pa.string()),
            ("bottom_group", pa.string()),
            ("gap_rule", pa.string()),
        ],
    ),
    "baseline_mean",
    [("baseline_ci_low", pa.float64()), ("baseline_ci_high", pa.float64())],
)

# ==================================================================== effects by group

GAP_RULES: dict[str, str] = {
    "natural": "natural order",
    "baseline": "highest - lowest baseline mean",
    "chosen": "chosen",
}
"""How a gap's top and bottom groups were picked (the ``gap_rule`` column)."""


def group_unit(metric: str) -> str:
    """The unit of a groups-table outcome (empty when unknown)."""
    if metric in _GROUP_UNITS:
        return _GROUP_UNITS[metric]
    return METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""


def check_group_kind(run: Run, by: str) -> tuple[str, ...]:
    """The groups of kind ``by`` in the run's groups table, in their defined order.

    Raises:
        CompareError: When the run has no groups table, or no such group kind (listing the
            kinds there are).
    """
    kinds = run.group_kinds() if run.has_groups else tuple(GROUP_KINDS_BY_NAME)
    if by not in kinds:
        raise CompareError(
            f"unknown group kind {by!r}; expected one of {', '.join(kinds)}. Choose one with --by."
        )
    run.groups  # noqa: B018 - raises when the run has no groups table
    return run.group_labels(by)


def check_group_metrics(run: Run, metrics: Sequence[str] | None) -> tuple[str, ...]:
    """The group outcomes to use (:data:`GROUP_METRICS` present in the run when none named).

    Raises:
        CompareError: Naming an outcome the groups table lacks, with the list of those it has.
    """
    available = run.group_metric_names
    if not metrics:
        return tuple(m for m in GROUP_METRICS if m in available)
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise CompareError(
            f"unknown group metric {', '.join(map(repr, unknown))}; the groups table has: "
            f"{', '.join(available)}"
        )
    return tuple(dict.fromkeys(metrics))


def _group_values(
    run: Run, by: str, metrics: Sequence[str], window: Window
) -> dict[tuple[str, str, str], dict[int, float]]:
    """Per (scenario, group, metric): each seed's mean over the window (NaN when undefined)."""
    groups = run.groups
    rows = groups.filter(pc.equal(groups.column("group_kind"), by))
    values = seed_values(rows, metrics, window, keys=("scenario", "seed", "group"))
    out: dict[tuple[str, str, str], dict[int, float]] = {}
    for r in values.to_pylist():
        for m in metrics:
            v = r[m]
            out.setdefault((r["scenario"], r["group"], m), {})[int(r["seed"])] = (
                math.nan if v is None else float(v)
            )
    return out


def gap_groups(
    by: str,
    labels: Sequence[str],
    baseline_values: dict[str, dict[int, float]],
    gap: tuple[str, str] | None = None,
) -> tuple[str, str, str] | None:
    """The top and bottom groups of a gap and how they were picked.

    Args:
        by: The group kind.
        labels: Its groups, in order.
        baseline_values: Per group, the baseline's per-seed values of one metric.
        gap: ``(top, bottom)`` to use as given.

    Returns:
        ``(top, bottom, rule)`` with ``rule`` a key of :data:`GAP_RULES`: the given pair; the
        pair of :data:`ORDERED_GAPS` for ordered kinds; else the groups with the highest and the
        lowest mean over seeds of the baseline values (ties: the earlier group is the bottom).
        None when fewer than two groups have a defined baseline value.
    """
    if gap is not None:
        return gap[0], gap[1], "chosen"
    ordered = ORDERED_GAPS.get(by)
    if ordered is not None and ordered[0] in labels and ordered[1] in labels:
        return ordered[0], ordered[1], "natural"
    means = {}
    for g in labels:
        v = np.array(list(baseline_values.get(g, {}).values()), dtype=float)
        if np.isfinite(v).any():
            means[g] = float(np.nanmean(v))
    if len(means) < 2:
        return None
    ranked = sorted(means, key=means.__getitem__)  # stable: ties keep the groups' order
    return ranked[-1], ranked[0], "baseline"


def compare_groups(
    run: Run | Path | str,
    by: str,
    *,
    baseline: str = "baseline",
    metrics: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
    month: int | None = None,
    window: Window | str | None = None,
    against: Run | Path | str | None = None,
    gap: tuple[str, str] | None = None,
    method: Method = "t",
    confidence: float = CONFIDENCE,
    n_boot: int = 10_000,
    boot_seed: int = 0,
) -> pa.Table:
    """Effects of each scenario within each group of one kind, and on the top-bottom gap.

    Every group's outcome is averaged over the window per seed, exactly like a metric in
    :func:`compare`, and compared with the baseline's on the same seed. Per scenario and metric
    one more row (``row_type`` ``gap``) compares the gap ``top - bottom`` the same way: its
    difference is the mean over seeds of ``(top - bottom)`` in the scenario minus ``(top -
    bottom)`` in the baseline, a difference-in-differences paired by seed, and
    ``baseline_ci_low``/``baseline_ci_high`` bound the baseline gap itself (a paired interval of
    top against bottom over the same seeds). Top and bottom: see :func:`gap_groups`.

    Args:
        run: A run folder (or a loaded :class:`Run`) with a groups table.
        by: The group kind (``discipline``, ``ability_quartile``, ``mc_status``,
            ``university_type``, ``pathway``).
        baseline: Name of the baseline scenario.
        metrics: Group outcomes to compare; :data:`GROUP_METRICS` when None.
        scenarios: Scenarios to compare; every scenario except the baseline when None.
        month: Compare a single month's values.
        window: Compare values averaged over ``A:B`` (inclusive); default the last 12 months.
        against: Another run folder to take the baseline from (same seeds).
        gap: ``(top, bottom)`` groups of the gap, instead of the default rule.
        method: ``t`` or ``bootstrap`` (seeded, resamples seeds).
        confidence: Interval coverage.
        n_boot: Bootstrap resamples.
        boot_seed: Bootstrap generator seed.

    Returns:
        The columns of :func:`compare` plus ``group_kind``, ``row_type`` (``group`` or ``gap``),
        ``group`` (``top - bottom`` on gap rows), ``top_group``, ``bottom_group`` and
        ``gap_rule`` (gap rows only), and ``baseline_ci_low``/``baseline_ci_high`` (the baseline
        gap's interval, gap rows only). Rows by scenario, metric, then group in the kind's order,
        then the gap. No gap row when fewer than two groups have a baseline value.

    Raises:
        CompareError: No groups table, unknown group kind (lists the kinds), unknown group or
            metric, missing baseline, seeds that differ, or a window outside the run's months.
    """
    run = as_run(run)
    base_run = as_run(against) if against is not None else run
    labels = check_group_kind(run, by)
    require_baseline(base_run, baseline)
    names = check_group_metrics(run, metrics)
    if against is not None:
        check_group_kind(base_run, by)
        missing = [m for m in names if m not in base_run.group_metric_names]
        if missing:
            raise CompareError(f"group metric {', '.join(missing)} not in {base_run.path}")
    if gap is not None:
        unknown = [g for g in gap if g not in labels]
        if unknown or len(gap) != 2 or gap[0] == gap[1]:
            raise CompareError(
                f"invalid gap {' - '.join(gap)}: expected two different groups of {by!r} "
                f"({', '.join(labels)})"
            )
        gap = (gap[0], gap[1])
    setup = _setup(run, base_run, baseline, scenarios, month, window, against is not None)
    win = setup.window
    b_seeds = base_run.group_seeds(baseline)
    for s in setup.compared:
        check_seeds(s, run.group_seeds(s), baseline, b_seeds)

    values = _group_values(run, by, names, win)
    base_values = values if against is None else _group_values(base_run, by, names, win)
    method_label = "paired t" if method == "t" else "paired bootstrap"
    stats = {"confidence": confidence, "method": method, "n_boot": n_boot, "boot_seed": boot_seed}
    rows: list[dict[str, Any]] = []

    def row(s: str, m: str, group: str, r: PairedResult, **extra: Any) -> dict[str, Any]:
        return {
            "scenario": s,
            "baseline": setup.base_label,
            "group_kind": by,
            "row_type": "group",
            "group": group,
            "metric": m,
            "unit": group_unit(m),
            "first_month": win.first,
            "last_month": win.last,
            **_effect_columns(r),
            "method": method_label,
            "confidence": confidence,
            **extra,
        }

    for s in setup.compared:
        for m in names:
            b = {g: base_values.get((baseline, g, m), {}) for g in labels}
            v = {g: values.get((s, g, m), {}) for g in labels}
            for g in labels:
                rows.append(row(s, m, g, _paired(b[g], v[g], **stats)))
            picked = gap_groups(by, labels, b, gap)
            if picked is None:
                continue
            top, bottom, rule = picked
            nan = math.nan
            b_gap = {k: x - b[bottom].get(k, nan) for k, x in b[top].items()}
            v_gap = {k: v[top].get(k, nan) - v[bottom].get(k, nan) for k in b_gap}
            change = _paired(b_gap, v_gap, **stats)
            both = [k for k in b_gap if math.isfinite(b_gap[k]) and math.isfinite(v_gap[k])]
            level = _paired({k: b[bottom][k] for k in both}, {k: b[top][k] for k in both}, **stats)
            rows.append(
                row(
                    s,
                    m,
                    f"{top} - {bottom}",
                    change,
                    row_type="gap",
                    top_group=top,
                    bottom_group=bottom,
                    gap_rule=GAP_RULES[rule],
                    baseline_ci_low=level.ci_low,
                    baseline_ci_high=level.ci_high,
                )
            )
    return _result(
        rows, _GROUP_SCHEMA, setup, baseline, method_label, confidence, against is not None, by=by
    )


def describe(method: str, confidence: float, window: Window, baseline: str) -> str:
    """The sentence that says how a comparison table was computed."""
    pct = f"{100 * confidence:g}%"
    if method == "paired t":
        how = (
            f"{pct} CI by a t-interval on the per-seed paired differences; relative difference: "
            "scenario mean / baseline mean - 1, CI by the delta method on the same pairs. "
            "'vs unpaired': width of the paired CI / width of the unpaired (Welch) CI"
        )
    else:
        how = (
            f"{pct} CI by a percentile bootstrap resampling seeds (pairs kept together); relative "
            "difference: scenario mean / baseline mean - 1, bootstrapped the same way. "
            "'vs unpaired': width of the paired CI / width of a bootstrap that resamples the "
            "two scenarios' seeds independently"
        )
    return (
        f"Effects relative to {baseline!r}, paired by seed: every scenario runs on the same "
        f"seeds, so each seed's scenario value is compared with the baseline's on that seed. "
        f"Value per seed: mean over {window.label}. Difference: mean of the per-seed "
        f"differences (scenario - baseline), {how}; 0.2 means pairing made the interval five "
        f"times tighter. '*': the CI excludes zero."
    )


# ==================================================================== who gains: MC holders

VERDICT_RULES: dict[str, str] = {
    "net gain": "the total's CI lies above zero",
    "net loss": "the total's CI lies below zero",
    "transfer to MC holders": "the total's CI includes zero, the holders' lies above zero and "
    "the non-holders' below",
    "transfer to non-holders": "the total's CI includes zero, the non-holders' lies above zero "
    "and the holders' below",
    "no clear net effect": "the total's CI includes zero and the groups do not move in opposite "
    "directions beyond their CIs",
    "undetermined": "fewer than two seeds: no interval",
}
"""Each verdict of :func:`compare_who_gains` and its rule, read from the paired effects on the
counts (employed per 1,000 students), in this order."""

_WHO_GAINS_KIND = "mc_holding"
_EMPLOYED, _LABOUR_FORCE, _RATE = EMPLOYMENT_MEASURES


TRANSFER_READINGS: dict[str, str] = {
    "composition": "the holders' labour force moves beyond its CI: people changed group and "
    "jobs moved with them, in part or in whole, and each group's rate now describes other "
    "people",
    "displacement": "the holders' labour force does not move beyond its CI and the losing "
    "group's employment rate falls beyond its CI: its members lose jobs to the other group",
}
"""How a transfer's line reads the group sizes and rates (:func:`employment_verdict`); when
neither applies it lists the rates."""


def employment_verdict(
    employed: Mapping[str, PairedResult],
    labour_force: Mapping[str, PairedResult],
    rate: Mapping[str, PairedResult],
) -> tuple[str, str]:
    """The verdict on a policy's effect on employment (a :data:`VERDICT_RULES` key) and its line.

    Args:
        employed: Paired effects on employed per 1,000 students, by :data:`HOLDING_GROUPS`
            label; the verdict reads these.
        labour_force: Paired effects on the labour force per 1,000 students, by label.
        rate: Paired effects on the employment rate, by label. With ``labour_force`` they say
            whether a transfer is composition or displacement (:data:`TRANSFER_READINGS`).

    Returns:
        ``(verdict, line)``, e.g. ``("transfer to MC holders", "transfer to MC holders: total
        +0.1 [-0.4, +0.6] employed per 1,000 students; MC holders +6.0 [...], ...")``.
    """
    holders, non_holders, total = (employed[g] for g in HOLDING_GROUPS)
    if not (math.isfinite(total.ci_low) and math.isfinite(total.ci_high)):
        verdict = "undetermined"
    elif total.excludes_zero:
        verdict = "net gain" if total.difference > 0 else "net loss"
    elif holders.ci_low > 0 and non_holders.ci_high < 0:
        verdict = "transfer to MC holders"
    elif holders.ci_high < 0 and non_holders.ci_low > 0:
        verdict = "transfer to non-holders"
    else:
        verdict = "no clear net effect"

    def effect(r: PairedResult, unit: str = _EMPLOYED.unit) -> str:
        return format_effect(r.difference, r.ci_low, r.ci_high, unit)

    line = (
        f"{verdict}: total {effect(total)} employed {_EMPLOYED.unit}; MC holders "
        f"{effect(holders)}, non-holders {effect(non_holders)}"
    )
    if verdict.startswith("transfer"):
        label = {"mc_holders": "MC holders", "non_holders": "non-holders"}
        loser = "non_holders" if verdict == "transfer to MC holders" else "mc_holders"
        if labour_force["mc_holders"].excludes_zero:
            line += (
                f"; composition: MC holders' labour force {effect(labour_force['mc_holders'])}"
                " (people changed group)"
            )
        elif rate[loser].ci_high < 0:
            line += f"; displacement: {label[loser]}' employment rate "
            line += effect(rate[loser], _RATE.unit)
        else:
            line += "; employment rates: " + ", ".join(
                f"{label[g]} {effect(rate[g], _RATE.unit)}" for g in label
            )
    return verdict, line


def _students(run: Run, scenario: str) -> int:
    """The population setting of one scenario of a run (its recorded run settings)."""
    students = run.scenario_meta.get(scenario, {}).get("run", {}).get("students") or run.students
    if not students:
        raise CompareError(
            f"the population of {scenario!r} in {run.path} is not recorded, so employment per "
            "1,000 students cannot be computed"
        )
    return int(students)


def _holding_values(
    run: Run, scenarios: Sequence[str], window: Window
) -> dict[tuple[str, str, str], dict[int, float]]:
    """Per (scenario, holding group, measure): each seed's mean over the window."""
    groups = run.groups
    groups = groups.filter(pc.is_in(groups.column("scenario"), pa.array(list(scenarios))))
    table = employment_by_holding(groups, {s: _students(run, s) for s in scenarios})
    # Means of whole-number counts are exact in any order of summation, so the counts are
    # averaged first and scaled after: equal counts give bitwise-equal values in any table.
    counts = {_EMPLOYED.name: "employed", _LABOUR_FORCE.name: "labour_force"}
    columns = [*counts.values(), _RATE.name]
    values = seed_values(table, columns, window, keys=("scenario", "seed", "group"))
    out: dict[tuple[str, str, str], dict[int, float]] = {}
    for r in values.to_pylist():
        scale = 1000.0 / _students(run, r["scenario"])
        for m in EMPLOYMENT_MEASURES:
            v = r[counts.get(m.name, m.name)]
            value = math.nan if v is None else float(v) * (scale if m.name in counts else 1.0)
            out.setdefault((r["scenario"], r["group"], m.name), {})[int(r["seed"])] = value
    return out


def compare_who_gains(
    run: Run | Path | str,
    *,
    baseline: str = "baseline",
    scenarios: Sequence[str] | None = None,
    month: int | None = None,
    window: Window | str | None = None,
    against: Run | Path | str | None = None,
    method: Method = "t",
    confidence: float = CONFIDENCE,
    n_boot: int = 10_000,
    boot_seed: int = 0,
) -> pa.Table:
    """Each scenario's effect on the employment of MC holders, of non-holders and in total.

    Holders are the ``mc_status`` groups of :data:`sim.groups.MC_HOLDER_GROUPS`; each measure of
    :data:`sim.groups.EMPLOYMENT_MEASURES` is averaged over the window per seed and compared with
    the baseline on the same seed, like any metric of :func:`compare`. The counts (employed per
    1,000 students) of holders and non-holders add up to the total, so their effects do too: the
    total says whether employment rose (a net gain) or only moved between the groups (a
    transfer). The rates say how each group's chance of a job changed; when a policy moves
    people from one group to the other they also change with who is in the group (composition).
    Each scenario gets a verdict (:func:`employment_verdict`, :data:`VERDICT_RULES`).

    Args:
        run: A run folder (or a loaded :class:`Run`) with a groups table.
        baseline: Name of the baseline scenario.
        scenarios: Scenarios to compare; every scenario except the baseline when None.
        month: Compare a single month's values.
        window: Compare values averaged over ``A:B`` (inclusive); default the last 12 months.
        against: Another run folder to take the baseline from (same seeds); each run's counts
            are per 1,000 of its own students.
        method: ``t`` or ``bootstrap`` (seeded, resamples seeds).
        confidence: Interval coverage.
        n_boot: Bootstrap resamples.
        boot_seed: Bootstrap generator seed.

    Returns:
        The columns of :func:`compare_groups` (``group_kind`` ``mc_holding``; ``group``
        ``mc_holders``, ``non_holders`` or ``total``; ``row_type`` ``group`` or ``total``) plus
        ``verdict`` and ``verdict_text``, the scenario's verdict on every row of it. Rows by
        scenario, measure (count, then rate), then group.

    Raises:
        CompareError: No groups table (or no ``mc_status`` groups), missing baseline, seeds that
            differ, an unrecorded population, or a window outside the run's months.
    """
    run = as_run(run)
    base_run = as_run(against) if against is not None else run
    check_group_kind(run, "mc_status")
    if against is not None:
        check_group_kind(base_run, "mc_status")
    require_baseline(base_run, baseline)
    setup = _setup(run, base_run, baseline, scenarios, month, window, against is not None)
    win = setup.window
    b_seeds = base_run.group_seeds(baseline)
    for s in setup.compared:
        check_seeds(s, run.group_seeds(s), baseline, b_seeds)

    if against is None:
        values = base_values = _holding_values(run, (baseline, *setup.compared), win)
    else:
        values = _holding_values(run, setup.compared, win)
        base_values = _holding_values(base_run, [baseline], win)
    method_label = "paired t" if method == "t" else "paired bootstrap"
    stats = {"confidence": confidence, "method": method, "n_boot": n_boot, "boot_seed": boot_seed}
    rows: list[dict[str, Any]] = []
    for s in setup.compared:
        effects = {
            (g, m.name): _paired(
                base_values.get((baseline, g, m.name), {}),
                values.get((s, g, m.name), {}),
                **stats,
            )
            for m in EMPLOYMENT_MEASURES
            for g in HOLDING_GROUPS
        }
        verdict, line = employment_verdict(
            *({g: effects[g, m.name] for g in HOLDING_GROUPS} for m in EMPLOYMENT_MEASURES)
        )
        for m in EMPLOYMENT_MEASURES:
            for g in HOLDING_GROUPS:
                rows.append(
                    {
                        "scenario": s,
                        "baseline": setup.base_label,
                        "group_kind": _WHO_GAINS_KIND,
                        "row_type": "total" if g == "total" else "group",
                        "group": g,
                        "metric": m.name,
                        "unit": m.unit,
                        "first_month": win.first,
                        "last_month": win.last,
                        **_effect_columns(effects[g, m.name]),
                        "method": method_label,
                        "confidence": confidence,
                        "verdict": verdict,
                        "verdict_text": line,
                    }
                )
    return _result(
        rows, _WHO_GAINS_SCHEMA, setup, baseline, method_label, confidence, against is not None
    )


_WHO_GAINS_SCHEMA = _GROUP_SCHEMA.append(pa.field("verdict", pa.string())).append(
    pa.field("verdict_text", pa.string())
)


def describe_who_gains() -> str:
    """The sentences that say what a :func:`compare_who_gains` table holds and how to read it."""
    rules = "; ".join(f"'{k}': {v}" for k, v in VERDICT_RULES.items())
    readings = "; ".join(f"'{k}': {v}" for k, v in TRANSFER_READINGS.items())
    defined = " ".join(f"{m.name}: {m.description}" for m in EMPLOYMENT_MEASURES)
    return (
        f"Employment by MC holding (groups table, mc_status: holders hold any MC). {defined} "
        "The counts answer 'net gain or transfer': holders' and non-holders' effects add up to "
        "the total's. The rates show each group's chance of a job, but when a policy moves "
        "people between the groups (the labour force rows) a rate also moves with who is in the "
        f"group (composition). Verdict, from the employed counts' CIs: {rules}. A transfer's "
        f"line adds {readings}."
    )


def verdicts_by_scenario(table: pa.Table) -> dict[str, str]:
    """Each scenario's verdict line in a :func:`compare_who_gains` table (empty for others)."""
    if "verdict_text" not in table.column_names:
        return {}
    scenarios = table.column("scenario").to_pylist()
    return dict(zip(scenarios, table.column("verdict_text").to_pylist(), strict=True))


def verdict_lines(table: pa.Table) -> list[str]:
    """``scenario: verdict line``, one per scenario of a :func:`compare_who_gains` table."""
    return [f"{s}: {line}" for s, line in verdicts_by_scenario(table).items()]


# ==================================================================== formatting


def _decimals(scale: float, sig: int = 2) -> int:
    """Decimals that show ``sig`` significant digits of numbers of this magnitude."""
    if not math.isfinite(scale) or scale == 0.0:
        return 2
    return int(min(8, max(0, sig - 1 - math.floor(math.log10(abs(scale))))))


def _is_share(unit: str) -> bool:
    return unit == "share"


def format_level(x: float | None, unit: str, decimals: int | None = None) -> str:
    """A level (a mean) for display: shares as percentages, others to about 4 digits.

    Args:
        x: The value.
        unit: Its unit (``share`` is shown in percent).
        decimals: Decimals to show (after scaling shares to percent); None for 4 significant
            digits.
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    k = 100.0 if _is_share(unit) else 1.0
    d = _decimals(k * x, sig=4) if decimals is None else decimals
    return f"{k * x:,.{d}f}" + ("%" if _is_share(unit) else "")


def format_effect(
    diff: float | None,
    lo: float | None,
    hi: float | None,
    unit: str,
    decimals: int | None = None,
) -> str:
    """``+1,093 [+1,017, +1,168]``: a difference and its CI.

    Rounded to two significant digits of the CI half-width (or to ``decimals``, counted after
    scaling shares); shares in percentage points (pp).
    """
    if diff is None or not math.isfinite(diff):
        return "n/a"
    k = 100.0 if _is_share(unit) else 1.0
    suffix = " pp" if _is_share(unit) else ""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        d = _decimals(k * diff) if decimals is None else decimals
        return f"{k * diff:+,.{d}f}{suffix}"
    half = k * (hi - lo) / 2.0
    d = _decimals(half) if half > 0 else _decimals(k * diff)
    d = d if decimals is None else decimals
    return f"{k * diff:+,.{d}f} [{k * lo:+,.{d}f}, {k * hi:+,.{d}f}]{suffix}"


def _effect_decimals(diff: float | None, lo: float | None, hi: float | None, unit: str) -> int:
    """The decimals :func:`format_effect` would choose for this difference and CI."""
    k = 100.0 if _is_share(unit) else 1.0
    if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        return _decimals(k * (hi - lo) / 2.0)
    return _decimals(k * diff) if diff is not None and math.isfinite(diff) else 2


def format_relative(rel: float | None, lo: float | None, hi: float | None) -> str:
    """``+2.1% [+1.6%, +2.6%]``, rounded like :func:`format_effect`."""
    if rel is None or not math.isfinite(rel):
        return "n/a"
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{100 * rel:+.2f}%"
    d = _decimals(50.0 * (hi - lo)) if hi > lo else 2
    return f"{100 * rel:+.{d}f}% [{100 * lo:+.{d}f}%, {100 * hi:+.{d}f}%]"


def display_rows(table: pa.Table) -> tuple[list[str], list[list[str]]]:
    """The header and text cells of a comparison table, as shown by ``table`` and ``markdown``."""
    pct = "CI"
    if table.num_rows:
        pct = f"{100 * table.column('confidence')[0].as_py():g}% CI"
    by_group = "group_kind" in table.column_names
    header = [
        "scenario",
        "metric",
        *(["group"] if by_group else []),
        "unit",
        "n",
        "baseline",
        "scenario mean",
        f"difference [{pct}]",
        f"relative [{pct}]",
        "vs unpaired",
        "",
    ]
    rows = []
    for r in table.to_pylist():
        unit = r["unit"]
        shown_unit = "%, pp" if _is_share(unit) else unit
        ratio = r["width_vs_unpaired"]
        base = r["baseline_mean"]
        level_decimals = None
        if base is not None and math.isfinite(base):
            level_decimals = _decimals(100.0 * base if _is_share(unit) else base, sig=4)
        if by_group and r["row_type"] == "gap":
            # A gap is a difference between groups: signed, in pp for shares, with its CI.
            lo, hi = r["baseline_ci_low"], r["baseline_ci_high"]
            d = _effect_decimals(base, lo, hi, unit)
            levels = [
                format_effect(base, lo, hi, unit, d),
                format_effect(r["scenario_mean"], None, None, unit, d),
            ]
        else:
            levels = [
                format_level(r["baseline_mean"], unit, level_decimals),
                format_level(r["scenario_mean"], unit, level_decimals),
            ]
        group = []
        if by_group:
            group = [f"gap: {r['group']}" if r["row_type"] == "gap" else r["group"]]
        rows.append(
            [
                r["scenario"],
                r["metric"],
                *group,
                shown_unit,
                str(r["n_seeds"]),
                *levels,
                format_effect(r["difference"], r["ci_low"], r["ci_high"], unit),
                format_relative(
                    r["relative_difference"], r["relative_ci_low"], r["relative_ci_high"]
                ),
                f"{ratio:.2f}" if ratio is not None and math.isfinite(ratio) else "n/a",
                "*" if r["excludes_zero"] else "",
            ]
        )
    return header, rows


def table_note(table: pa.Table) -> str:
    """How the table was computed (from its rows, so it survives filtering)."""
    if table.num_rows == 0:
        return "No scenarios to compare."
    first = table.slice(0, 1).to_pylist()[0]
    window = Window(first["first_month"], first["last_month"])
    note = describe(first["method"], first["confidence"], window, first["baseline"])
    if "verdict" in table.column_names:
        return f"{note} {describe_who_gains()}"
    if "group_kind" not in table.column_names:
        return note
    return f"{note} {describe_groups(table)}"


def describe_groups(table: pa.Table) -> str:
    """The sentences that say how the rows of a :func:`compare_groups` table were computed."""
    kinds = list(dict.fromkeys(table.column("group_kind").to_pylist()))
    text = (
        f"Groups of {', '.join(kinds)}: each group's own value of the metric, compared the same "
        "way. 'gap: A - B' rows: per seed, group A's value minus group B's; 'baseline' shows "
        "the baseline gap with its CI over seeds, 'scenario mean' the scenario's gap, "
        "'difference' the change in the gap (scenario gap - baseline gap on the same seed, a "
        "difference-in-differences) with its CI, 'relative' scenario gap / baseline gap - 1."
    )
    gaps = table.filter(pc.equal(table.column("row_type"), "gap"))
    rules = set(gaps.column("gap_rule").to_pylist())
    if GAP_RULES["natural"] in rules:
        pairs = [f"{' - '.join(ORDERED_GAPS[k])}" for k in kinds if k in ORDERED_GAPS]
        text += f" A - B follows the kind's natural order ({', '.join(pairs)})."
    if GAP_RULES["baseline"] in rules:
        text += (
            " A and B are the groups with the highest and the lowest baseline mean of the "
            "metric over the window."
        )
    if GAP_RULES["chosen"] in rules:
        text += " A and B were chosen by the user."
    return text


def _clean(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


def table_to_csv(table: pa.Table) -> str:
    """A table as CSV text: a header row, full-precision numbers, empty cells for NaN/null."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.column_names)
    for r in table.to_pylist():
        writer.writerow(["" if _clean(v) is None else v for v in r.values()])
    return buf.getvalue()


def format_table(table: pa.Table, fmt: Format = "table") -> str:
    """Render a :func:`compare` or :func:`compare_groups` table as text, Markdown, CSV or JSON.

    Args:
        table: The result of :func:`compare` or :func:`compare_groups`.
        fmt: ``table`` (aligned text with a note on how it was computed), ``markdown``,
            ``csv`` (every column, full precision, empty cells for undefined values) or
            ``json`` (``{"note": ..., "rows": [...]}``, undefined values as null). A
            :func:`compare_who_gains` table also gets its verdicts: one line per scenario under
            the table, or ``"verdicts"`` in JSON.
    """
    if fmt not in FORMATS:
        raise CompareError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return table_to_csv(table)
    if fmt == "json":
        rows = [{k: _clean(v) for k, v in r.items()} for r in table.to_pylist()]
        doc: dict[str, Any] = {"note": table_note(table), "rows": rows}
        if "verdict_text" in table.column_names:
            doc["verdicts"] = verdicts_by_scenario(table)
        return json.dumps(doc, indent=2) + "\n"
    header, rows = display_rows(table)
    left = header.index("n")  # text columns before it, numbers from it on
    note = table_note(table)
    verdicts = verdict_lines(table)
    if fmt == "markdown":
        lines = [f"_{note}_", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append(
            "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"
        )
        for row in rows:
            cells = [c.replace("|", "\\|") for c in row]
            lines.append("| " + " | ".join(cells) + " |")
        if verdicts:
            lines += ["", *(f"- {v}" for v in verdicts)]
        return "\n".join(lines) + "\n"
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        parts = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in pairs]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    if verdicts:
        out += ["", "Verdict (employment):", *(f"  {v}" for v in verdicts)]
    return "\n".join(out) + "\n\n" + textwrap.fill(note, 100) + "\n"
