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
differences to each group of one group kind of the run's groups table (:mod:`sim.observe.groups`),
and add, per scenario and metric, the gap between a top and a bottom group and its change under the
policy: per seed, ``(top - bottom)`` in the scenario minus ``(top - bottom)`` in the baseline (a
difference-in-differences), with the same intervals. Top and bottom are fixed for ordered kinds
(:data:`ORDERED_GAPS`: ``ability_quartile`` q4 - q1, ``university_type`` credit_bearing -
no_mc_offer); for the other kinds they are the groups with the highest and the lowest baseline
mean of the metric over the window; ``gap=(top, bottom)`` chooses them.

The statistics (month windows, per-seed window means, t-intervals, the paired difference) are
:mod:`sim.analysis.stats`; a run folder is read by :func:`sim.experiments.store.load_run`; tables
are rendered by :mod:`sim.analysis.tables`. This module builds the effect tables and their text.

Typical notebook use::

    from sim.analysis.compare import compare, compare_groups, format_table
    effects = compare("outputs/demo", metrics=["mean_starting_salary"])   # a pyarrow.Table
    effects.to_pandas()
    print(format_table(effects, "markdown"))
    by_discipline = compare_groups("outputs/demo", "discipline")
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.stats import (
    CONFIDENCE,
    Method,
    PairedResult,
    Window,
    by_seed,
    paired_difference,
    resolve_window,
    seed_values,
)
from sim.analysis.tables import clean, json_text, markdown_table, table_to_csv, text_table
from sim.experiments.store import AnalysisError, Run, as_run
from sim.observe.groups import (
    EMPLOYMENT_MEASURES,
    GROUP_KINDS_BY_NAME,
    HOLDING_GROUPS,
    employment_by_holding,
)
from sim.observe.metrics import METRICS_BY_NAME

FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")
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

Format = Literal["table", "markdown", "csv", "json"]

CompareError = AnalysisError
"""A comparison that cannot be made honestly (seeds differ, unknown metric, no baseline): the
one error of run folders and their analysis (:class:`sim.experiments.store.AnalysisError`)."""


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
class PairedOptions:
    """How a comparison computes its intervals (see :func:`sim.analysis.stats.paired_difference`).

    Attributes:
        method: ``t`` or ``bootstrap``.
        confidence: Interval coverage.
        n_boot: Bootstrap resamples.
        boot_seed: Bootstrap generator seed.
    """

    method: Method = "t"
    confidence: float = CONFIDENCE
    n_boot: int = 10_000
    boot_seed: int = 0

    @property
    def label(self) -> str:
        """``paired t`` or ``paired bootstrap`` (the ``method`` column)."""
        return "paired t" if self.method == "t" else "paired bootstrap"

    def paired(self, b: Mapping[int, float], v: Mapping[int, float]) -> PairedResult:
        """:func:`sim.analysis.stats.paired_difference` of per-seed values keyed by seed (the
        baseline's seeds; a seed the scenario lacks counts as undefined)."""
        order = sorted(b)
        return paired_difference(
            np.array([b[k] for k in order]),
            np.array([v.get(k, math.nan) for k in order]),
            confidence=self.confidence,
            method=self.method,
            n_boot=self.n_boot,
            boot_seed=self.boot_seed,
        )


@dataclass(frozen=True)
class _Setup:
    """What a comparison compares: runs, scenarios, window, the baseline and how to pair."""

    run: Run
    base_run: Run
    baseline: str
    compared: tuple[str, ...]
    window: Window
    against: bool
    options: PairedOptions

    @property
    def base_label(self) -> str:
        """The baseline as the ``baseline`` column names it (``run/name`` from another run)."""
        return f"{self.base_run.name}/{self.baseline}" if self.against else self.baseline

    def row(self, scenario: str, metric: str, unit: str, r: PairedResult, **extra: Any) -> dict:
        """One row of a comparison table: the scenario's effect on a metric (``extra`` adds
        columns, such as the group)."""
        return {
            "scenario": scenario,
            "baseline": self.base_label,
            "metric": metric,
            "unit": unit,
            "first_month": self.window.first,
            "last_month": self.window.last,
            **_effect_columns(r),
            "method": self.options.label,
            "confidence": self.options.confidence,
            **extra,
        }

    def table(self, rows: list[dict[str, Any]], schema: pa.Schema, **info: Any) -> pa.Table:
        """The rows as a table, with how it was computed in its ``hiresim.compare`` metadata
        (``info`` adds keys, such as the group kind)."""
        win, label, confidence = self.window, self.options.label, self.options.confidence
        meta = {
            "run": str(self.run.path),
            "against": str(self.base_run.path) if self.against else None,
            "baseline": self.baseline,
            **info,
            "window": [win.first, win.last],
            "method": label,
            "confidence": confidence,
            "note": describe(label, confidence, win, self.base_label),
        }
        return pa.Table.from_pylist(rows, schema=schema).replace_schema_metadata(
            {"hiresim.compare": json.dumps(meta)}
        )


def require_baseline(base_run: Run, baseline: str) -> None:
    """Raise :class:`CompareError`, listing the scenarios present, when ``baseline`` is absent."""
    if baseline not in base_run.scenarios:
        raise CompareError(
            f"baseline {baseline!r} not found in {base_run.path}; scenarios present: "
            f"{', '.join(base_run.scenarios)}. Choose one with --baseline."
        )


def check_scenarios(run: Run, scenarios: Sequence[str] | None) -> tuple[str, ...]:
    """The scenarios named, once each (all of the run's when none are named).

    Raises:
        CompareError: Naming a scenario the run lacks, with the list of those it has.
    """
    if not scenarios:
        return run.scenarios
    unknown = [s for s in scenarios if s not in run.scenarios]
    if unknown:
        raise CompareError(
            f"scenario {', '.join(map(repr, unknown))} not found in {run.path}; scenarios "
            f"present: {', '.join(run.scenarios)}"
        )
    return tuple(dict.fromkeys(scenarios))


def _compared(run: Run, baseline: str, scenarios: Sequence[str] | None, against: bool) -> tuple:
    """The scenarios to compare: those named (checked), else all but the baseline (all of them
    against another run's baseline)."""
    if scenarios:
        return check_scenarios(run, scenarios)
    if against:
        return run.scenarios
    return tuple(s for s in run.scenarios if s != baseline)


def _setup(
    run: Run,
    base_run: Run,
    baseline: str,
    scenarios: Sequence[str] | None,
    month: int | None,
    window: Window | str | None,
    options: PairedOptions,
    against: bool,
    *,
    groups: bool = False,
) -> _Setup:
    """Check the scenarios, resolve the window and check that each scenario has the baseline's
    seeds (in the groups table with ``groups``); the baseline is checked already."""
    compared = _compared(run, baseline, scenarios, against)
    win = resolve_window(min(run.last_month, base_run.last_month), month=month, window=window)
    seeds = Run.group_seeds if groups else Run.seeds
    b_seeds = seeds(base_run, baseline)
    for s in compared:
        check_seeds(s, seeds(run, s), baseline, b_seeds)
    return _Setup(run, base_run, baseline, compared, win, against, options)


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
    options = PairedOptions(method, confidence, n_boot, boot_seed)
    setup = _setup(run, base_run, baseline, scenarios, month, window, options, against is not None)
    values = seed_values(run.metrics, names, setup.window)
    base_values = values if against is None else seed_values(base_run.metrics, names, setup.window)
    rows = [
        setup.row(
            s,
            m,
            METRICS_BY_NAME[m].unit if m in METRICS_BY_NAME else "",
            options.paired(
                by_seed(base_values, m, scenario=baseline), by_seed(values, m, scenario=s)
            ),
        )
        for s in setup.compared
        for m in names
    ]
    return setup.table(rows, _SCHEMA)


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
    labels, names, gap = _check_group_request(run, base_run, by, baseline, metrics, gap)
    options = PairedOptions(method, confidence, n_boot, boot_seed)
    other = against is not None
    setup = _setup(run, base_run, baseline, scenarios, month, window, options, other, groups=True)
    values = _group_values(run, by, names, setup.window)
    base_values = values if against is None else _group_values(base_run, by, names, setup.window)
    rows: list[dict[str, Any]] = []
    for s in setup.compared:
        for m in names:
            b = {g: base_values.get((baseline, g, m), {}) for g in labels}
            v = {g: values.get((s, g, m), {}) for g in labels}
            unit = group_unit(m)
            rows += [
                setup.row(s, m, unit, options.paired(b[g], v[g]), **_group_columns(by, g))
                for g in labels
            ]
            picked = gap_groups(by, labels, b, gap)
            if picked is not None:
                rows.append(_gap_row(setup, by, s, m, b, v, picked))
    return setup.table(rows, _GROUP_SCHEMA, by=by)


def _check_group_request(
    run: Run,
    base_run: Run,
    by: str,
    baseline: str,
    metrics: Sequence[str] | None,
    gap: tuple[str, str] | None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, str] | None]:
    """Check a :func:`compare_groups` request: the group kind, the baseline, the outcomes (in
    both runs) and the gap's groups.

    Returns:
        The kind's groups, the outcomes to compare and the gap pair (None: the default rule).

    Raises:
        CompareError: Naming the first problem and what is available.
    """
    labels = check_group_kind(run, by)
    require_baseline(base_run, baseline)
    names = check_group_metrics(run, metrics)
    if base_run is not run:
        check_group_kind(base_run, by)
        missing = [m for m in names if m not in base_run.group_metric_names]
        if missing:
            raise CompareError(f"group metric {', '.join(missing)} not in {base_run.path}")
    if gap is None:
        return labels, names, None
    unknown = [g for g in gap if g not in labels]
    if unknown or len(gap) != 2 or gap[0] == gap[1]:
        raise CompareError(
            f"invalid gap {' - '.join(gap)}: expected two different groups of {by!r} "
            f"({', '.join(labels)})"
        )
    return labels, names, (gap[0], gap[1])


def _group_columns(by: str, group: str, row_type: str = "group") -> dict[str, str]:
    """The columns that say which group (or gap) a row of :func:`compare_groups` is about."""
    return {"group_kind": by, "row_type": row_type, "group": group}


def _gap_row(
    setup: _Setup,
    by: str,
    scenario: str,
    metric: str,
    b: Mapping[str, Mapping[int, float]],
    v: Mapping[str, Mapping[int, float]],
    picked: tuple[str, str, str],
) -> dict[str, Any]:
    """The gap row of one scenario and metric: the change in ``top - bottom`` paired by seed (a
    difference-in-differences), with the baseline gap's own interval.

    Args:
        setup: The comparison.
        by: The group kind.
        scenario: The scenario.
        metric: The outcome.
        b: Per group, the baseline's per-seed values.
        v: Per group, the scenario's per-seed values.
        picked: ``(top, bottom, rule)`` from :func:`gap_groups`.
    """
    top, bottom, rule = picked
    nan = math.nan
    b_gap = {k: x - b[bottom].get(k, nan) for k, x in b[top].items()}
    v_gap = {k: v[top].get(k, nan) - v[bottom].get(k, nan) for k in b_gap}
    change = setup.options.paired(b_gap, v_gap)
    both = [k for k in b_gap if math.isfinite(b_gap[k]) and math.isfinite(v_gap[k])]
    level = setup.options.paired({k: b[bottom][k] for k in both}, {k: b[top][k] for k in both})
    return setup.row(
        scenario,
        metric,
        group_unit(metric),
        change,
        **_group_columns(by, f"{top} - {bottom}", "gap"),
        top_group=top,
        bottom_group=bottom,
        gap_rule=GAP_RULES[rule],
        baseline_ci_low=level.ci_low,
        baseline_ci_high=level.ci_high,
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

    Holders are the ``mc_status`` groups of :data:`sim.observe.groups.MC_HOLDER_GROUPS`; each
    measure of :data:`sim.observe.groups.EMPLOYMENT_MEASURES` is averaged over the window per seed
    and compared with the baseline on the same seed, like any metric of :func:`compare`. The counts
    (employed per 1,000 students) of holders and non-holders add up to the total, so their effects
    do too: the total says whether employment rose (a net gain) or only moved between the groups (a
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
    options = PairedOptions(method, confidence, n_boot, boot_seed)
    other = against is not None
    setup = _setup(run, base_run, baseline, scenarios, month, window, options, other, groups=True)
    win = setup.window
    if against is None:
        values = base_values = _holding_values(run, (baseline, *setup.compared), win)
    else:
        values = _holding_values(run, setup.compared, win)
        base_values = _holding_values(base_run, [baseline], win)
    rows: list[dict[str, Any]] = []
    for s in setup.compared:
        effects = {
            (g, m.name): options.paired(
                base_values.get((baseline, g, m.name), {}), values.get((s, g, m.name), {})
            )
            for m in EMPLOYMENT_MEASURES
            for g in HOLDING_GROUPS
        }
        verdict, line = employment_verdict(
            *({g: effects[g, m.name] for g in HOLDING_GROUPS} for m in EMPLOYMENT_MEASURES)
        )
        rows += [
            setup.row(
                s,
                m.name,
                m.unit,
                effects[g, m.name],
                **_group_columns(_WHO_GAINS_KIND, g, "total" if g == "total" else "group"),
                verdict=verdict,
                verdict_text=line,
            )
            for m in EMPLOYMENT_MEASURES
            for g in HOLDING_GROUPS
        ]
    return setup.table(rows, _WHO_GAINS_SCHEMA)


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
    return header, [_display_row(r, by_group) for r in table.to_pylist()]


def _display_row(r: Mapping[str, Any], by_group: bool) -> list[str]:
    """The text cells of one row of a comparison table (``by_group``: with a group column)."""
    unit = r["unit"]
    ratio = r["width_vs_unpaired"]
    group = []
    if by_group:
        group = [f"gap: {r['group']}" if r["row_type"] == "gap" else r["group"]]
    return [
        r["scenario"],
        r["metric"],
        *group,
        "%, pp" if _is_share(unit) else unit,
        str(r["n_seeds"]),
        *_display_levels(r, gap=by_group and r["row_type"] == "gap"),
        format_effect(r["difference"], r["ci_low"], r["ci_high"], unit),
        format_relative(r["relative_difference"], r["relative_ci_low"], r["relative_ci_high"]),
        f"{ratio:.2f}" if ratio is not None and math.isfinite(ratio) else "n/a",
        "*" if r["excludes_zero"] else "",
    ]


def _display_levels(r: Mapping[str, Any], *, gap: bool) -> list[str]:
    """The baseline and scenario means of a row, to the same decimals; a gap (a difference
    between groups) signed, in pp for shares, the baseline's with its CI."""
    unit, base = r["unit"], r["baseline_mean"]
    if gap:
        lo, hi = r["baseline_ci_low"], r["baseline_ci_high"]
        d = _effect_decimals(base, lo, hi, unit)
        return [
            format_effect(base, lo, hi, unit, d),
            format_effect(r["scenario_mean"], None, None, unit, d),
        ]
    decimals = None
    if base is not None and math.isfinite(base):
        decimals = _decimals(100.0 * base if _is_share(unit) else base, sig=4)
    return [format_level(base, unit, decimals), format_level(r["scenario_mean"], unit, decimals)]


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
        doc: dict[str, Any] = {"note": table_note(table), "rows": clean(table.to_pylist())}
        if "verdict_text" in table.column_names:
            doc["verdicts"] = verdicts_by_scenario(table)
        return json_text(doc)
    header, rows = display_rows(table)
    left = header.index("n")  # text columns before it, numbers from it on
    align = "l" * left + "r" * (len(header) - left)
    note = table_note(table)
    verdicts = verdict_lines(table)
    if fmt == "markdown":
        text = f"_{note}_\n\n" + markdown_table(header, rows, align)
        return text + "".join(["\n", *(f"- {v}\n" for v in verdicts)] if verdicts else [])
    text = text_table(header, rows, align)
    if verdicts:
        text += "\nVerdict (employment):\n" + "".join(f"  {v}\n" for v in verdicts)
    return text + "\n" + textwrap.fill(note, 100) + "\n"
