"""The statistics every analysis shares: month windows, per-seed window means, t-intervals and
paired differences.

A seed's value of a metric is the metric's mean over a window of output months (months where it
is undefined skipped). Over seeds, :func:`mean_ci` gives the mean with a t-interval, and
:func:`paired_difference` compares a scenario with the baseline on the same seeds (common random
numbers), with a t-interval or a bootstrap over seeds. Student's t quantiles come from
``scipy.stats.t``.

Typical use::

    from sim.analysis.stats import Window, mean_ci, paired_difference, seed_values
    values = seed_values(run.metrics, ["mean_starting_salary"], Window(49, 60))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import t as student_t

from sim.experiments.store import AnalysisError

__all__ = [
    "CONFIDENCE",
    "DEFAULT_WINDOW_MONTHS",
    "METHODS",
    "AnalysisError",
    "PairedResult",
    "Window",
    "by_seed",
    "mean_ci",
    "paired_difference",
    "resolve_window",
    "seed_values",
    "seed_window_means",
    "t_half_width",
    "t_quantile",
]

CONFIDENCE = 0.95
DEFAULT_WINDOW_MONTHS = 12
"""Without a month or a window, values are averaged over the run's last 12 months."""
METHODS: tuple[str, ...] = ("t", "bootstrap")

Method = Literal["t", "bootstrap"]


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
            raise AnalysisError(
                f"invalid month window {self.first}:{self.last}: expected 1 <= A <= B"
            )

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse ``A:B`` (inclusive) or a single month ``M``.

        Raises:
            AnalysisError: When the text is not of that form.
        """
        parts = text.split(":")
        try:
            if len(parts) == 1:
                return cls(int(parts[0]), int(parts[0]))
            if len(parts) == 2:
                return cls(int(parts[0]), int(parts[1]))
        except ValueError:
            pass
        raise AnalysisError(f"invalid month window {text!r}: expected A:B, e.g. 49:60, or a month")

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
        AnalysisError: When both are given or the window lies outside the run's months.
    """
    if month is not None and window is not None:
        raise AnalysisError("give either a month or a window, not both")
    if month is not None:
        result = Window(month, month)
    elif window is not None:
        result = Window.parse(window) if isinstance(window, str) else window
    else:
        result = Window(max(1, last_month - DEFAULT_WINDOW_MONTHS + 1), last_month)
    if result.last > last_month:
        raise AnalysisError(f"{result.label} lies outside the run's months 1-{last_month}")
    return result


# ==================================================================== per-seed window means


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
        keys: Grouping columns (group-level tables add their group columns here).

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


def by_seed(values: pa.Table, metric: str, **where: str) -> dict[int, float]:
    """Seed to value of one metric of a :func:`seed_values` table (null as NaN).

    Args:
        values: Per-seed values (a ``seed`` column, the metric, the key columns).
        metric: The metric column.
        where: Key column to value, e.g. ``scenario="baseline"``: the rows to take.
    """
    for column, value in where.items():
        values = values.filter(pc.equal(values.column(column), value))
    return {
        int(seed): (math.nan if v is None else float(v))
        for seed, v in zip(
            values.column("seed").to_pylist(), values.column(metric).to_pylist(), strict=True
        )
    }


def seed_window_means(metrics: pa.Table, metric: str, window: tuple[int, int]) -> dict[int, float]:
    """Each seed's mean of ``metric`` over the inclusive month ``window``.

    Args:
        metrics: Monthly metrics with ``month``, ``metric`` and, for several seeds, ``seed``
            (a table without ``seed`` is one seed, keyed 0).
        metric: The metric column.
        window: ``(first, last)`` output months.

    Returns:
        Seed to window mean; NaN where the metric is undefined in every month of the window.
    """
    if "seed" not in metrics.column_names:
        metrics = metrics.append_column("seed", pa.array(np.zeros(metrics.num_rows, np.int64)))
    return by_seed(seed_values(metrics, [metric], Window(*window), keys=("seed",)), metric)


# ==================================================================== intervals


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``df`` may be real;
    NaN outside ``0 <= p <= 1`` or for ``df <= 0``, as ``scipy.stats.t.ppf``)."""
    return float(student_t.ppf(p, df))


def t_half_width(values: np.ndarray, confidence: float = CONFIDENCE) -> float:
    """Half the width of the t-interval of the mean of ``values`` (NaN with fewer than 2)."""
    n = int(values.size)
    if n < 2:
        return math.nan
    q = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1)
    return q * float(values.std(ddof=1)) / math.sqrt(n)


def mean_ci(
    values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and t-interval of per-seed values: ``(mean, low, high)``.

    Non-finite values are left out; the mean is NaN without values and the bounds NaN with fewer
    than two.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    half = t_half_width(v, confidence)
    return mean, mean - half, mean + half


# ==================================================================== paired differences


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

    The relative difference's interval uses the delta method for a ratio of means on the same
    pairs: the per-seed linearised values ``(s_i - R b_i) / mean(b)``, ``R = mean(s) / mean(b)``.

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

    Raises:
        AnalysisError: For an unknown method.
    """
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
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
    if method == "t":
        half = t_half_width(d, confidence)
        lo, hi = diff - half, diff + half
        if mb != 0.0:
            rel_half = t_half_width((s - ratio * b) / mb, confidence)
            rel_lo, rel_hi = rel - rel_half, rel + rel_half
        else:
            rel_lo = rel_hi = nan
        unpaired = _welch_width(b, s, confidence)
    else:
        lo, hi, rel_lo, rel_hi, unpaired = _bootstrap(b, s, confidence, n_boot, boot_seed)
    return PairedResult(n, mb, ms, diff, lo, hi, rel, rel_lo, rel_hi, unpaired)


def _bootstrap(
    b: np.ndarray, s: np.ndarray, confidence: float, n_boot: int, boot_seed: int
) -> tuple[float, float, float, float, float]:
    """Percentile bootstrap over seeds: the difference's bounds, the relative difference's, and
    the width of a bootstrap that resamples the two sides' seeds independently."""
    n = b.size
    alpha = 1.0 - confidence
    rng = np.random.default_rng(boot_seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    qs = (alpha / 2.0, 1.0 - alpha / 2.0)
    lo, hi = (float(v) for v in np.quantile((s - b)[idx].mean(axis=1), qs))
    if float(b.mean()) != 0.0:
        boot_b = b[idx].mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = s[idx].mean(axis=1) / boot_b - 1.0
        rel_lo, rel_hi = (float(v) for v in np.quantile(ratios, qs))
    else:
        rel_lo = rel_hi = math.nan
    other = rng.integers(0, n, size=(n_boot, n))
    unpaired_lo, unpaired_hi = np.quantile(s[other].mean(axis=1) - b[idx].mean(axis=1), qs)
    return lo, hi, rel_lo, rel_hi, float(unpaired_hi - unpaired_lo)


def _welch_width(b: np.ndarray, s: np.ndarray, confidence: float) -> float:
    """Width of the Welch interval for mean(s) - mean(b), treating the samples as independent."""
    vb, vs = float(b.var(ddof=1)) / b.size, float(s.var(ddof=1)) / s.size
    if vb + vs == 0.0:
        return 0.0
    denominator = vb**2 / (b.size - 1) + vs**2 / (s.size - 1)
    if denominator > 0.0:
        df = (vb + vs) ** 2 / denominator
    else:  # the squares underflow: the same degrees of freedom in shares of the variance
        wb, ws = vb / (vb + vs), vs / (vb + vs)
        df = 1.0 / (wb**2 / (b.size - 1) + ws**2 / (s.size - 1))
    return 2.0 * t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(vb + vs)
