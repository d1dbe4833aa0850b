"""Figures of a run: time series, paired differences, per-seed distributions, tornados and
per-group effects.

Each figure comes with the table of the numbers it plots; :func:`plot` writes the image
(``.png``, ``.svg`` or ``.pdf`` by suffix) and that table as CSV beside it (same stem). Figures
are built on :class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot state), in the
Okabe-Ito colour-blind-safe palette, with the baseline in black.

Notebook use::

    from sim.analysis.plots import figure, plot
    fig, data = figure("outputs/demo", "mean_starting_salary", "difference")
    fig                      # displays inline
    plot("outputs/demo", "mc_holder_share", "timeseries")   # -> outputs/demo/plots/...png
    plot("outputs/demo", "mean_starting_salary", by="discipline")   # effects by group
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter

from sim.analysis.compare import (
    CompareError,
    check_metrics,
    check_scenarios,
    check_seeds,
    compare,
    compare_groups,
    format_effect,
    format_level,
    group_unit,
    require_baseline,
)
from sim.analysis.stats import CONFIDENCE, Method, Window, mean_ci, resolve_window, seed_values
from sim.analysis.tables import table_to_csv
from sim.experiments.store import Run, as_run
from sim.observe.metrics import METRICS_BY_NAME

Kind = Literal["timeseries", "difference", "distribution", "tornado", "groups"]
KINDS: tuple[str, ...] = ("timeseries", "difference", "distribution", "tornado")
"""Figure kinds of one metric across scenarios."""
GROUPS: Final = "groups"
"""The figure kind of per-group effects (needs ``by``, a group kind)."""
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".svg", ".pdf")

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow (last: weak contrast on white)
)
"""Okabe & Ito (2008) colours for scenarios; the baseline is drawn in black."""
BASELINE_COLOUR = "#000000"
FIGSIZE = (8.0, 4.8)


class PlotError(CompareError):
    """A figure that cannot be drawn (unknown kind or image format, or a comparison refusal)."""


def scenario_colours(run: Run, baseline: str = "baseline") -> dict[str, str]:
    """A fixed colour per scenario of the run (baseline black), so figures agree."""
    others = [s for s in run.scenarios if s != baseline]
    colours = {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(others)}
    colours[baseline] = BASELINE_COLOUR
    return colours


# ==================================================================== data


def _matrix(run: Run, scenario: str, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(seeds, months, values[seed, month])`` of one scenario's metric (NaN where missing)."""
    rows = run.metrics.filter(pc.equal(run.metrics.column("scenario"), scenario))
    seed = rows.column("seed").to_numpy()
    month = rows.column("month").to_numpy()
    col = pc.cast(rows.column(metric), pa.float64())
    value = col.to_numpy(zero_copy_only=False)
    seeds, si = np.unique(seed, return_inverse=True)
    months, mi = np.unique(month, return_inverse=True)
    out = np.full((seeds.size, months.size), np.nan)
    out[si, mi] = value
    return seeds, months, out


def _mean_ci(values: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """Per column (month): seeds with a value, and :func:`sim.analysis.stats.mean_ci` of those
    values."""
    n = np.isfinite(values).sum(axis=0)
    cols = [mean_ci(values[:, j], confidence) for j in range(values.shape[1])]
    mean, lo, hi = (np.array([c[i] for c in cols], dtype=float) for i in range(3))
    return n, mean, lo, hi


def _selected(run: Run, scenarios: Sequence[str] | None) -> tuple[str, ...]:
    try:
        return check_scenarios(run, scenarios)
    except CompareError as exc:
        raise PlotError(str(exc)) from None


def timeseries_data(
    run: Run | Path | str,
    metric: str,
    *,
    scenarios: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pa.Table:
    """Per scenario and month: the mean across seeds and the t-interval of that mean.

    Returns:
        Columns ``scenario``, ``month``, ``n_seeds``, ``mean``, ``ci_low``, ``ci_high``.
    """
    run = as_run(run)
    check_metrics(run, [metric])
    parts = []
    for s in _selected(run, scenarios):
        _, months, values = _matrix(run, s, metric)
        n, mean, lo, hi = _mean_ci(values, confidence)
        parts.append(
            pa.table(
                {
                    "scenario": pa.array([s] * months.size, pa.string()),
                    "month": pa.array(months, pa.int64()),
                    "n_seeds": pa.array(n, pa.int64()),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
        )
    return pa.concat_tables(parts)


def difference_data(
    run: Run | Path | str,
    metric: str,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    confidence: float = CONFIDENCE,
) -> pa.Table:
    """Per scenario and month: the mean paired difference from the baseline and its t-interval.

    Returns:
        Columns ``scenario``, ``month``, ``n_seeds``, ``difference``, ``ci_low``, ``ci_high``.

    Raises:
        CompareError: No baseline, or seeds that differ from the baseline's.
    """
    run = as_run(run)
    check_metrics(run, [metric])
    require_baseline(run, baseline)
    b_seeds, b_months, b_values = _matrix(run, baseline, metric)
    parts = []
    for s in _selected(run, scenarios):
        if s == baseline:
            continue
        seeds, months, values = _matrix(run, s, metric)
        check_seeds(s, seeds.tolist(), baseline, b_seeds.tolist())
        common, in_s, in_b = np.intersect1d(months, b_months, return_indices=True)
        n, diff, lo, hi = _mean_ci(values[:, in_s] - b_values[:, in_b], confidence)
        parts.append(
            pa.table(
                {
                    "scenario": pa.array([s] * common.size, pa.string()),
                    "month": pa.array(common, pa.int64()),
                    "n_seeds": pa.array(n, pa.int64()),
                    "difference": diff,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
        )
    if not parts:
        raise PlotError(f"no scenario other than the baseline {baseline!r} to compare")
    return pa.concat_tables(parts)


def distribution_data(
    run: Run | Path | str,
    metric: str,
    *,
    scenarios: Sequence[str] | None = None,
    month: int | None = None,
    window: Window | str | None = None,
) -> pa.Table:
    """Per scenario and seed: the metric averaged over the window (default the last 12 months).

    Returns:
        Columns ``scenario``, ``seed``, ``first_month``, ``last_month``, ``value``.
    """
    run = as_run(run)
    check_metrics(run, [metric])
    selected = _selected(run, scenarios)
    win = resolve_window(run.last_month, month=month, window=window)
    values = seed_values(run.metrics, [metric], win)
    values = values.filter(pc.is_in(values.column("scenario"), pa.array(selected)))
    order = {s: i for i, s in enumerate(selected)}
    rank = pa.array([order[s] for s in values.column("scenario").to_pylist()], pa.int64())
    values = values.append_column("_rank", rank).sort_by(
        [("_rank", "ascending"), ("seed", "ascending")]
    )
    n = values.num_rows
    return pa.table(
        {
            "scenario": values.column("scenario"),
            "seed": values.column("seed"),
            "first_month": pa.array([win.first] * n, pa.int64()),
            "last_month": pa.array([win.last] * n, pa.int64()),
            "value": values.column(metric),
        }
    )


def tornado_data(
    run: Run | Path | str,
    metric: str,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
) -> pa.Table:
    """Effects of the scenarios on one metric (rows of :func:`sim.analysis.compare.compare`),
    largest absolute effect first."""
    selected = [s for s in scenarios if s != baseline] if scenarios else None
    table = compare(
        run,
        baseline=baseline,
        metrics=[metric],
        scenarios=selected or None,
        month=month,
        window=window,
        method=method,
    )
    if table.num_rows == 0:
        raise PlotError(f"no scenario other than the baseline {baseline!r} to compare")
    size = pc.abs(table.column("difference"))
    table = table.append_column("_size", size).sort_by(
        [("_size", "descending"), ("scenario", "ascending")]
    )
    return table.drop_columns(["_size"])


def group_effects_data(
    run: Run | Path | str,
    metric: str,
    by: str,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
    gap: tuple[str, str] | None = None,
) -> pa.Table:
    """Effects of the scenarios within each group of kind ``by`` and on the top-bottom gap:
    the rows of :func:`sim.analysis.compare.compare_groups` for one metric."""
    selected = [s for s in scenarios if s != baseline] if scenarios else None
    table = compare_groups(
        run,
        by,
        baseline=baseline,
        metrics=[metric],
        scenarios=selected or None,
        month=month,
        window=window,
        method=method,
        gap=gap,
    )
    if table.num_rows == 0:
        raise PlotError(f"no scenario other than the baseline {baseline!r} to compare")
    return table


# ==================================================================== drawing


def _unit_axis(ax: Axes, which: Literal["x", "y"], label: str, unit: str, change: bool) -> None:
    """Label an axis with its unit; shares are shown in percent (levels) or points (changes)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if unit == "share":
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.4g}"))
        unit = "percentage points" if change else "%"
    axis.set_label_text(f"{label} ({unit})" if unit else label)


def _new_figure(title: str, caption: str) -> Figure:
    lines = textwrap.wrap(caption, 115)
    bottom = 0.012 + 0.032 * len(lines)
    layout = ConstrainedLayoutEngine(rect=(0.0, bottom, 1.0, 1.0 - bottom))
    fig = Figure(figsize=FIGSIZE, layout=layout)
    fig.suptitle(title, fontsize=12)
    fig.text(0.01, 0.008, "\n".join(lines), fontsize=8, color="#333333", va="bottom")
    return fig


_GROUP_LABELS: dict[str, str] = {
    "population": "Population",
    "enrolled": "Enrolled students",
    "labour_force": "Labour force",
    "employed": "Employed",
    "employment_rate": "Employment rate",
    "median_starting_salary": "Median starting salary",
}


def _metric_text(metric: str) -> tuple[str, str]:
    m = METRICS_BY_NAME.get(metric)
    return (m.label, m.unit) if m else (_GROUP_LABELS.get(metric, metric), group_unit(metric))


def _lines_with_bands(ax: Axes, data: pa.Table, column: str, colours: dict[str, str]) -> None:
    """One line per scenario of ``column`` over months, with its 95% band."""
    for s in dict.fromkeys(data.column("scenario").to_pylist()):
        rows = data.filter(pc.equal(data.column("scenario"), s))
        x = rows.column("month").to_numpy()
        ax.plot(x, rows.column(column).to_numpy(), color=colours[s], lw=1.8, label=s)
        low, high = rows.column("ci_low").to_numpy(), rows.column("ci_high").to_numpy()
        ax.fill_between(x, low, high, color=colours[s], alpha=0.2, lw=0)


def _draw_timeseries(data: pa.Table, metric: str, colours: dict[str, str], caption: str) -> Figure:
    label, unit = _metric_text(metric)
    fig = _new_figure(f"{label}: mean across seeds with 95% band", caption)
    ax = fig.add_subplot()
    _lines_with_bands(ax, data, "mean", colours)
    ax.set_xlabel("Month")
    _unit_axis(ax, "y", label, unit, change=False)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def _draw_difference(
    data: pa.Table, metric: str, baseline: str, colours: dict[str, str], caption: str
) -> Figure:
    label, unit = _metric_text(metric)
    fig = _new_figure(f"{label}: paired difference from {baseline}", caption)
    ax = fig.add_subplot()
    ax.axhline(0.0, color="#777777", lw=0.8)
    _lines_with_bands(ax, data, "difference", colours)
    ax.set_xlabel("Month")
    _unit_axis(ax, "y", f"Difference from {baseline}", unit, change=True)
    ax.legend(frameon=False, fontsize=9, title=f"scenario - {baseline}", title_fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def _draw_distribution(
    data: pa.Table, metric: str, colours: dict[str, str], caption: str
) -> Figure:
    label, unit = _metric_text(metric)
    first = data.column("first_month")[0].as_py()
    last = data.column("last_month")[0].as_py()
    fig = _new_figure(f"{label}: per-seed values, {Window(first, last).label}", caption)
    ax = fig.add_subplot()
    names = list(dict.fromkeys(data.column("scenario").to_pylist()))
    seeds = sorted(set(data.column("seed").to_pylist()))
    # The same horizontal offset for a seed in every scenario, so the grey lines that join a
    # seed across scenarios show the pairing.
    offset = {k: (i / max(len(seeds) - 1, 1) - 0.5) * 0.3 for i, k in enumerate(seeds)}
    per_scenario = []
    by_seed: dict[int, list[tuple[float, float]]] = {k: [] for k in seeds}
    for i, s in enumerate(names):
        rows = data.filter(pc.equal(data.column("scenario"), s))
        vals = [
            (k, v)
            for k, v in zip(
                rows.column("seed").to_pylist(), rows.column("value").to_pylist(), strict=True
            )
            if v is not None and math.isfinite(v)
        ]
        per_scenario.append([v for _, v in vals])
        for k, v in vals:
            by_seed[k].append((i + offset[k], v))
        ax.scatter(
            [i + offset[k] for k, _ in vals],
            [v for _, v in vals],
            color=colours[s],
            s=22,
            zorder=3,
            label=s,
        )
    for points in by_seed.values():
        if len(points) > 1:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color="#BBBBBB", lw=0.7, zorder=1)
    ax.boxplot(
        [v if v else [math.nan] for v in per_scenario],
        positions=list(range(len(names))),
        widths=0.5,
        showfliers=False,
        tick_labels=names,
        medianprops={"color": "#333333"},
        zorder=2,
    )
    ax.set_xlabel("Scenario")
    _unit_axis(ax, "y", label, unit, change=False)
    ax.grid(alpha=0.3, axis="y")
    return fig


def _draw_tornado(data: pa.Table, metric: str, colours: dict[str, str], caption: str) -> Figure:
    label, unit = _metric_text(metric)
    baseline = data.column("baseline")[0].as_py()
    fig = _new_figure(f"{label}: effect of each scenario vs {baseline}", caption)
    ax = fig.add_subplot()
    names = data.column("scenario").to_pylist()
    diff = data.column("difference").to_numpy(zero_copy_only=False)
    lo = data.column("ci_low").to_numpy(zero_copy_only=False)
    hi = data.column("ci_high").to_numpy(zero_copy_only=False)
    y = np.arange(len(names))[::-1]  # largest effect on top
    ax.barh(y, diff, color=[colours.get(s, OKABE_ITO[0]) for s in names], height=0.6, alpha=0.85)
    err = np.nan_to_num(np.vstack([diff - lo, hi - diff]), nan=0.0)
    ax.errorbar(diff, y, xerr=err, fmt="none", ecolor="#000000", capsize=4, lw=1.2)
    ax.axvline(0.0, color="#777777", lw=0.8)
    ax.set_yticks(y, names)
    # The effect and its CI as text on a right-hand axis, so the layout keeps it in view.
    rel = data.column("relative_difference").to_numpy(zero_copy_only=False)
    texts = []
    for d, lo_i, hi_i, r in zip(diff, lo, hi, rel, strict=True):
        text = format_effect(d, lo_i, hi_i, unit)
        texts.append(text + (f" ({100 * r:+.1f}%)" if math.isfinite(r) else ""))
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(y, texts, fontsize=8)
    right.tick_params(axis="y", length=0)
    _unit_axis(ax, "x", f"Difference from {baseline}", unit, change=True)
    ax.grid(alpha=0.3, axis="x")
    return fig


def _draw_groups(
    data: pa.Table, metric: str, by: str, colours: dict[str, str], caption: str
) -> Figure:
    label, unit = _metric_text(metric)
    baseline = data.column("baseline")[0].as_py()
    fig = _new_figure(f"{label} by {by}: effect vs {baseline}", caption)
    ax = fig.add_subplot()
    rows = data.to_pylist()
    groups = list(dict.fromkeys(r["group"] for r in rows if r["row_type"] == "group"))
    gaps = list(dict.fromkeys(r["group"] for r in rows if r["row_type"] == "gap"))
    ticks = groups + [f"gap change\n({g})" for g in gaps]
    # First group on top, the gap change at the bottom below a dashed rule.
    y_of = {g: len(ticks) - 1 - i for i, g in enumerate(groups + gaps)}
    names = list(dict.fromkeys(r["scenario"] for r in rows))
    step = min(0.6 / len(names), 0.2)
    offsets = {s: (j - (len(names) - 1) / 2.0) * step for j, s in enumerate(names)}
    for s in names:
        mine = [r for r in rows if r["scenario"] == s and _finite(r["difference"])]
        if not mine:
            continue
        x = np.array([r["difference"] for r in mine])
        lo = np.array([_nan(r["ci_low"]) for r in mine])
        hi = np.array([_nan(r["ci_high"]) for r in mine])
        err = np.nan_to_num(np.vstack([x - lo, hi - x]), nan=0.0)
        y = np.array([y_of[r["group"]] + offsets[s] for r in mine])
        colour = colours.get(s, OKABE_ITO[0])
        ax.errorbar(
            x, y, xerr=err, fmt="o", color=colour, ecolor=colour, ms=6, capsize=3, lw=1.4, label=s
        )
    ax.axvline(0.0, color="#777777", lw=0.8)
    if gaps:
        ax.axhline(len(gaps) - 0.5, color="#999999", lw=0.8, ls="--")
    ax.set_yticks(range(len(ticks))[::-1], ticks)
    ax.set_ylim(-0.6, len(ticks) - 0.4)
    # The baseline level of each group (and the baseline gap) on a right-hand axis.
    first: dict[str, dict[str, Any]] = {}
    for r in rows:
        first.setdefault(r["group"], r)
    levels = []
    for g in groups + gaps:
        r = first[g]
        if r["row_type"] == "gap":
            levels.append("gap " + format_effect(r["baseline_mean"], None, None, unit))
        else:
            levels.append(format_level(r["baseline_mean"], unit))
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks([y_of[g] for g in groups + gaps], levels, fontsize=8)
    right.tick_params(axis="y", length=0)
    right.set_ylabel(f"{baseline} level", fontsize=8)
    _unit_axis(ax, "x", f"Difference from {baseline}", unit, change=True)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(frameon=False, fontsize=9, title=f"scenario - {baseline}", title_fontsize=9)
    return fig


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


# ==================================================================== public entry points


def figure(
    run: Run | Path | str,
    metric: str,
    kind: Kind | None = None,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
    by: str | None = None,
    gap: tuple[str, str] | None = None,
) -> tuple[Figure, pa.Table]:
    """Build one figure and the table of the numbers it plots.

    Args:
        run: A run folder or a loaded :class:`sim.experiments.store.Run`.
        metric: The metric to plot.
        kind: ``timeseries`` (mean and 95% band across seeds per scenario), ``difference``
            (paired difference from the baseline by month, with its band), ``distribution``
            (per-seed values over the window, per scenario) or ``tornado`` (effects of all
            scenarios with CIs, sorted by size); ``groups`` (the default when ``by`` is given):
            the effect within each group of kind ``by`` as a dot with its CI whiskers, one row
            per group and one colour per scenario, and the change in the top-bottom gap
            (:func:`sim.analysis.compare.compare_groups`). Default ``timeseries``.
        scenarios: Scenarios to show; all when None.
        baseline: Reference scenario of ``difference`` and ``tornado``.
        month: For ``distribution`` and ``tornado``, use this month's values.
        window: For ``distribution`` and ``tornado``, average over ``A:B`` (default the last
            12 months).
        method: For ``tornado`` and ``groups``: ``t`` or ``bootstrap`` intervals.
        by: For ``groups``: the group kind (``discipline``, ``ability_quartile``...); ``metric``
            is then a group outcome (``recent_grad_unemployment_rate``...).
        gap: For ``groups``: ``(top, bottom)`` groups of the gap instead of the default.

    Returns:
        The figure and its data table.

    Raises:
        PlotError: Unknown kind, ``by`` with another kind or ``groups`` without it, or a
            refusal of the underlying comparison (unknown metric, scenario or group kind,
            missing baseline or groups table, mismatched seeds).
    """
    if kind is None:
        kind = GROUPS if by is not None else "timeseries"
    if by is not None and kind != GROUPS:
        raise PlotError(f"--by draws the per-group figure; the {kind!r} kind does not apply")
    if kind == GROUPS and by is None:
        raise PlotError("the groups figure needs a group kind (--by)")
    try:
        if by is not None:  # the groups kind
            return _group_figure(run, metric, by, scenarios, baseline, month, window, method, gap)
        return _figure(run, metric, kind, scenarios, baseline, month, window, method)
    except PlotError:
        raise
    except CompareError as exc:
        raise PlotError(str(exc)) from exc


def _figure(
    run: Run | Path | str,
    metric: str,
    kind: Kind,
    scenarios: Sequence[str] | None,
    baseline: str,
    month: int | None,
    window: Window | str | None,
    method: Method,
) -> tuple[Figure, pa.Table]:
    run = as_run(run)
    colours = scenario_colours(run, baseline)
    pct = f"{100 * CONFIDENCE:g}%"
    base_caption = run.caption()
    if kind == "timeseries":
        data = timeseries_data(run, metric, scenarios=scenarios)
        caption = f"{base_caption}. Band: {pct} t-interval of the mean across seeds."
        return _draw_timeseries(data, metric, colours, caption), data
    if kind == "difference":
        data = difference_data(run, metric, scenarios=scenarios, baseline=baseline)
        caption = (
            f"{base_caption}. Line: mean over seeds of (scenario - {baseline}) on the same seed; "
            f"band: {pct} t-interval of those paired differences."
        )
        return _draw_difference(data, metric, baseline, colours, caption), data
    if kind == "distribution":
        data = distribution_data(run, metric, scenarios=scenarios, month=month, window=window)
        caption = (
            f"{base_caption}. Each dot is one seed's mean over the window; grey lines join a "
            "seed across scenarios (common random numbers); boxes show the quartiles."
        )
        return _draw_distribution(data, metric, colours, caption), data
    if kind == "tornado":
        data = tornado_data(
            run,
            metric,
            scenarios=scenarios,
            baseline=baseline,
            month=month,
            window=window,
            method=method,
        )
        first = data.column("first_month")[0].as_py()
        last = data.column("last_month")[0].as_py()
        how = "t-interval" if method == "t" else "bootstrap interval"
        caption = (
            f"{base_caption}. Bar: mean paired difference by seed over "
            f"{Window(first, last).label}; whiskers: {pct} {how} of the paired differences."
        )
        return _draw_tornado(data, metric, colours, caption), data
    raise PlotError(f"unknown plot kind {kind!r}; expected one of {', '.join(KINDS)}")


def _group_figure(
    run: Run | Path | str,
    metric: str,
    by: str,
    scenarios: Sequence[str] | None,
    baseline: str,
    month: int | None,
    window: Window | str | None,
    method: Method,
    gap: tuple[str, str] | None,
) -> tuple[Figure, pa.Table]:
    run = as_run(run)
    data = group_effects_data(
        run,
        metric,
        by,
        scenarios=scenarios,
        baseline=baseline,
        month=month,
        window=window,
        method=method,
        gap=gap,
    )
    first = data.column("first_month")[0].as_py()
    last = data.column("last_month")[0].as_py()
    how = "t-interval" if method == "t" else "bootstrap interval"
    rule = data.filter(pc.equal(data.column("row_type"), "gap")).column("gap_rule").to_pylist()
    gap_text = ""
    if rule:
        gap_text = (
            " Gap change: per seed, (top - bottom) in the scenario minus (top - bottom) in the "
            f"baseline (top/bottom: {rule[0]})."
        )
    caption = (
        f"{run.caption()}. Dot: mean paired difference by seed over "
        f"{Window(first, last).label}, within each group; whiskers: {100 * CONFIDENCE:g}% "
        f"{how} of the paired differences.{gap_text} Right: the baseline's level."
    )
    return _draw_groups(data, metric, by, scenario_colours(run, baseline), caption), data


def default_path(
    run: Run | Path | str, metric: str, kind: str | None = None, by: str | None = None
) -> Path:
    """``<run>/plots/<kind>-<metric>.png``; ``<run>/plots/groups-<by>-<metric>.png`` with ``by``."""
    path = run.path if isinstance(run, Run) else Path(run)
    if by is not None:
        return path / "plots" / f"{GROUPS}-{by}-{metric}.png"
    return path / "plots" / f"{kind or 'timeseries'}-{metric}.png"


def _image_path(out: Path | str) -> Path:
    """``out`` as a path, or a PlotError when its suffix is not an image format we write."""
    out = Path(out)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise PlotError(
            f"unsupported image format {out.suffix or '(none)'!r} for {out}; use "
            f"{', '.join(IMAGE_SUFFIXES)}"
        )
    return out


def save(fig: Figure, data: pa.Table, out: Path | str, *, dpi: int = 150) -> Path:
    """Write a figure (format by suffix) and its data as CSV beside it (same stem).

    Returns:
        The image path.

    Raises:
        PlotError: When the suffix is not ``.png``, ``.svg`` or ``.pdf``.
    """
    out = _image_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    out.with_suffix(".csv").write_text(table_to_csv(data))
    return out


def png_bytes(fig: Figure, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (no metadata), for embedding."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def plot(
    run: Run | Path | str,
    metric: str,
    kind: Kind | None = None,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
    by: str | None = None,
    gap: tuple[str, str] | None = None,
    out: Path | str | None = None,
    dpi: int = 150,
) -> Path:
    """Draw one figure (see :func:`figure`) and write it with its CSV.

    Args:
        run: A run folder or a loaded run.
        metric: The metric.
        kind: The kind of figure.
        scenarios: Scenarios to show; all when None.
        baseline: Reference scenario.
        month: Single month for ``distribution``/``tornado``.
        window: ``A:B`` for ``distribution``/``tornado``.
        method: ``t`` or ``bootstrap`` for ``tornado`` and ``groups``.
        by: Group kind of the ``groups`` figure (then the default kind).
        gap: ``(top, bottom)`` groups of the ``groups`` figure's gap.
        out: Image path (``.png``, ``.svg``, ``.pdf``); default ``<run>/plots/<kind>-<metric>.png``
            (``<run>/plots/groups-<by>-<metric>.png`` with ``by``).
        dpi: Resolution of raster output.

    Returns:
        The image path; the data is at the same path with suffix ``.csv``.
    """
    run = as_run(run)
    # The format is checked before the figure is built, not only when it is saved.
    target = _image_path(out if out is not None else default_path(run, metric, kind, by))
    fig, data = figure(
        run,
        metric,
        kind,
        scenarios=scenarios,
        baseline=baseline,
        month=month,
        window=window,
        method=method,
        by=by,
        gap=gap,
    )
    return save(fig, data, target, dpi=dpi)
