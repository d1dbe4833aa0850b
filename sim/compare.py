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

Typical notebook use::

    from sim.compare import compare, format_table
    effects = compare("outputs/demo", metrics=["mean_starting_salary"])   # a pyarrow.Table
    effects.to_pandas()
    print(format_table(effects, "markdown"))
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.metrics import METRICS_BY_NAME
from sim.store import META_SCENARIO, read_manifest, read_part_metadata, read_table, scan_parts

CONFIDENCE = 0.95
DEFAULT_WINDOW_MONTHS = 12
"""Without ``--month``/``--window``, values are averaged over the run's last 12 months."""
FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")
METHODS: tuple[str, ...] = ("t", "bootstrap")
KEY_COLUMNS: tuple[str, ...] = ("scenario", "seed", "month")

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
        return tuple(
            f.name
            for f in self.metrics.schema
            if f.name not in KEY_COLUMNS
            and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))
        )

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
    if baseline not in base_run.scenarios:
        raise CompareError(
            f"baseline {baseline!r} not found in {base_run.path}; scenarios present: "
            f"{', '.join(base_run.scenarios)}. Choose one with --baseline."
        )
    names = check_metrics(run, metrics)
    if against is not None:
        missing = [m for m in names if m not in base_run.metric_names]
        if missing:
            raise CompareError(f"metric {', '.join(missing)} not in {base_run.path}")
    if scenarios:
        unknown = [s for s in scenarios if s not in run.scenarios]
        if unknown:
            raise CompareError(
                f"scenario {', '.join(map(repr, unknown))} not found in {run.path}; scenarios "
                f"present: {', '.join(run.scenarios)}"
            )
        compared = tuple(dict.fromkeys(scenarios))
    elif against is not None:
        compared = run.scenarios
    else:
        compared = tuple(s for s in run.scenarios if s != baseline)
    win = resolve_window(min(run.last_month, base_run.last_month), month=month, window=window)
    b_seeds = base_run.seeds(baseline)
    for s in compared:
        check_seeds(s, run.seeds(s), baseline, b_seeds)

    base_label = baseline if against is None else f"{base_run.name}/{baseline}"
    values = seed_values(run.metrics, names, win)
    base_values = values if against is None else seed_values(base_run.metrics, names, win)
    method_label = "paired t" if method == "t" else "paired bootstrap"
    rows: list[dict[str, Any]] = []
    for s in compared:
        for m in names:
            b = _by_seed(base_values, baseline, m)
            v = _by_seed(values, s, m)
            order = sorted(b)
            r = paired_difference(
                np.array([b[k] for k in order]),
                np.array([v[k] for k in order]),
                confidence=confidence,
                method=method,
                n_boot=n_boot,
                boot_seed=boot_seed,
            )
            width = r.ci_high - r.ci_low
            vs_unpaired = width / r.unpaired_ci_width if r.unpaired_ci_width > 0.0 else math.nan
            metric = METRICS_BY_NAME.get(m)
            rows.append(
                {
                    "scenario": s,
                    "baseline": base_label,
                    "metric": m,
                    "unit": metric.unit if metric else "",
                    "first_month": win.first,
                    "last_month": win.last,
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
                    "method": method_label,
                    "confidence": confidence,
                }
            )
    info = {
        "run": str(run.path),
        "against": str(base_run.path) if against is not None else None,
        "baseline": baseline,
        "window": [win.first, win.last],
        "method": method_label,
        "confidence": confidence,
        "note": describe(method_label, confidence, win, base_label),
    }
    return pa.Table.from_pylist(rows, schema=_SCHEMA).replace_schema_metadata(
        {"hiresim.compare": json.dumps(info)}
    )


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


def format_effect(diff: float | None, lo: float | None, hi: float | None, unit: str) -> str:
    """``+1,093 [+1,017, +1,168]``: a difference and its CI.

    Rounded to two significant digits of the CI half-width; shares in percentage points (pp).
    """
    if diff is None or not math.isfinite(diff):
        return "n/a"
    k = 100.0 if _is_share(unit) else 1.0
    suffix = " pp" if _is_share(unit) else ""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{k * diff:+,.{_decimals(k * diff)}f}{suffix}"
    half = k * (hi - lo) / 2.0
    d = _decimals(half) if half > 0 else _decimals(k * diff)
    return f"{k * diff:+,.{d}f} [{k * lo:+,.{d}f}, {k * hi:+,.{d}f}]{suffix}"


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
    header = [
        "scenario",
        "metric",
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
        rows.append(
            [
                r["scenario"],
                r["metric"],
                shown_unit,
                str(r["n_seeds"]),
                format_level(r["baseline_mean"], unit, level_decimals),
                format_level(r["scenario_mean"], unit, level_decimals),
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
    return describe(first["method"], first["confidence"], window, first["baseline"])


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
    """Render a :func:`compare` table as aligned text, Markdown, CSV or JSON.

    Args:
        table: The result of :func:`compare`.
        fmt: ``table`` (aligned text with a note on how it was computed), ``markdown``,
            ``csv`` (every column, full precision, empty cells for undefined values) or
            ``json`` (``{"note": ..., "rows": [...]}``, undefined values as null).
    """
    if fmt not in FORMATS:
        raise CompareError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return table_to_csv(table)
    if fmt == "json":
        rows = [{k: _clean(v) for k, v in r.items()} for r in table.to_pylist()]
        return json.dumps({"note": table_note(table), "rows": rows}, indent=2) + "\n"
    header, rows = display_rows(table)
    note = table_note(table)
    if fmt == "markdown":
        lines = [f"_{note}_", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            cells = [c.replace("|", "\\|") for c in row]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        parts = [c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in pairs]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n\n" + textwrap.fill(note, 100) + "\n"
