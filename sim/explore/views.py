"""What the explore page shows of a run folder, as plain data: choices, effect tables, figures.

Every number comes from the analysis functions ``hiresim compare`` and ``hiresim plot`` use
(:func:`sim.analysis.compare.compare`, :func:`sim.analysis.compare.compare_groups`,
:func:`sim.analysis.compare.display_rows`, :func:`sim.analysis.plots.timeseries_data`,
:func:`sim.analysis.plots.difference_data`): this module only picks their arguments and turns their
tables into HTML-ready rows and Plotly figure dictionaries. Nothing here imports Dash, so the views
are tested without a browser or a server.

A folder still being written holds every seed of the scenarios that finished and some seeds of
the one running. The page compares the seeds finished in the baseline and in every scenario
shown (:func:`finished_seeds`), and says so; on a finished folder that is every seed, and the
numbers are those ``hiresim compare`` prints.
"""

from __future__ import annotations

import functools
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.compare import (
    GROUP_METRICS,
    CompareError,
    compare,
    compare_groups,
    display_rows,
    group_unit,
    metric_unit,
    table_note,
)
from sim.analysis.plots import difference_data, scenario_colours, timeseries_data
from sim.analysis.report import KEY_METRICS
from sim.analysis.stats import resolve_window
from sim.experiments.store import Run, load_run, scan_parts
from sim.observe.metrics import METRICS_BY_NAME

RUNS_ROOT = Path("outputs")
"""Where the page looks for run folders besides those named on the command line."""
_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class Table:
    """A comparison table as the page shows it: the header and cells of
    :func:`sim.analysis.compare.display_rows`, which rows are gaps or exclude zero, and the note."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    significant: tuple[bool, ...]
    gap: tuple[bool, ...]
    note: str


def as_table(table: pa.Table) -> Table:
    """A :func:`compare`/:func:`compare_groups` result as the page's :class:`Table`."""
    header, rows = display_rows(table)
    header[-1] = "CI excludes 0 (*)"
    gap = (
        table.column("row_type").to_pylist()
        if "row_type" in table.column_names
        else [None] * table.num_rows
    )
    return Table(
        header=tuple(header),
        rows=tuple(tuple(r) for r in rows),
        significant=tuple(bool(x) for x in table.column("excludes_zero").to_pylist()),
        gap=tuple(kind == "gap" for kind in gap),
        note=table_note(table),
    )


# ==================================================================== run folders


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` looks like a run folder (a manifest or a metrics table)."""
    return (path / "manifest.json").is_file() or (path / "metrics").is_dir()


def find_runs(given: Sequence[Path | str] = (), root: Path | str = RUNS_ROOT) -> list[Path]:
    """The run folders to choose from: those given, then every run folder under ``root``.

    Folders under ``root`` are searched a few levels deep (``outputs/explore/<what-if>``) and
    listed newest first; a run folder's own subfolders are not searched.
    """
    found: list[Path] = [Path(p) for p in given]
    root = Path(root)
    under: list[Path] = []
    level = [root] if root.is_dir() else []
    for _ in range(_SEARCH_DEPTH):
        below: list[Path] = []
        for folder in level:
            try:
                children = [c for c in folder.iterdir() if c.is_dir() and c.name[0] != "."]
            except OSError:
                continue
            for child in children:
                (under if is_run_folder(child) else below).append(child)
        level = below
    seen = {p.resolve() for p in found}
    for path in sorted(under, key=_mtime, reverse=True):
        if path.resolve() not in seen:
            seen.add(path.resolve())
            found.append(path)
    return found


def _mtime(path: Path) -> float:
    target = path / "manifest.json"
    try:
        return (target if target.exists() else path).stat().st_mtime
    except OSError:
        return 0.0


def read_run(run_dir: Path | str) -> Run:
    """:func:`sim.experiments.store.load_run`, reused while the folder's manifest and files are
    unchanged (each change of a choice redraws a table and three charts from the same run)."""
    path = Path(run_dir)
    try:
        mtime = (path / "manifest.json").stat().st_mtime_ns
    except OSError:
        mtime = 0
    parts = tuple(sorted(scan_parts(path, "metrics"))) if (path / "metrics").is_dir() else ()
    return _read_run(str(path), mtime, parts)


@functools.lru_cache(maxsize=4)
def _read_run(path: str, _mtime: int, _parts: tuple[tuple[str, int], ...]) -> Run:
    return load_run(path)


@dataclass(frozen=True)
class RunChoices:
    """What can be chosen for one run folder.

    Attributes:
        scenarios: Scenarios with data, in manifest order.
        baseline: The default baseline (``baseline`` when present, else the first scenario).
        metrics: Metric columns, the report's key metrics first.
        last_month: The last month with data.
        window: The default month window (the last 12 months), as ``(first, last)``.
        group_kinds: Group kinds of the groups table (empty without one).
        group_metrics: Outcome columns of the groups table, :data:`GROUP_METRICS` first.
        status: One line on the folder: scenarios, seeds, population, and whether it is still
            being written.
    """

    scenarios: tuple[str, ...]
    baseline: str
    metrics: tuple[str, ...]
    last_month: int
    window: tuple[int, int]
    group_kinds: tuple[str, ...]
    group_metrics: tuple[str, ...]
    status: str


def _first(preferred: Sequence[str], present: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        [m for m in preferred if m in present] + [m for m in present if m not in preferred]
    )


def run_choices(run: Run | Path | str) -> RunChoices:
    """The scenarios, metrics, months and group kinds of a run folder.

    Raises:
        CompareError: When the folder holds no metrics yet.
    """
    run = run if isinstance(run, Run) else read_run(run)
    scenarios = run.scenarios
    baseline = "baseline" if "baseline" in scenarios else scenarios[0]
    window = resolve_window(run.last_month)
    kinds = run.group_kinds() if run.has_groups else ()
    group_metrics = _first(GROUP_METRICS, run.group_metric_names) if run.has_groups else ()
    return RunChoices(
        scenarios=scenarios,
        baseline=baseline,
        metrics=_first(KEY_METRICS, run.metric_names),
        last_month=run.last_month,
        window=(window.first, window.last),
        group_kinds=kinds,
        group_metrics=group_metrics,
        status=run_status(run),
    )


def run_status(run: Run) -> str:
    """``3 scenarios; 8 seeds per scenario; population 20,000 students; 120 months``, and
    ``still being written: 14 of 24 tasks done`` while the runner is writing it."""
    text = f"{len(run.scenarios)} scenarios; {run.caption()}"
    manifest = run.manifest
    summary = manifest.get("summary") or {}
    if manifest.get("status") == "running" and summary.get("total"):
        text += (
            f". Still being written: {summary.get('done', 0)} of {summary['total']} tasks done "
            "(the page compares the seeds finished so far)"
        )
    elif manifest.get("status") in ("interrupted", "failed"):
        text += f". The run {manifest['status']}: {summary.get('done', 0)} of "
        text += f"{summary.get('total', '?')} tasks done"
    return text


def finished_seeds(run: Run, scenarios: Sequence[str]) -> tuple[int, ...]:
    """The seeds with data in every one of ``scenarios``."""
    common: set[int] | None = None
    for s in scenarios:
        seeds = set(run.seeds(s))
        common = seeds if common is None else common & seeds
    return tuple(sorted(common or ()))


def restrict_seeds(run: Run, seeds: Sequence[int]) -> Run:
    """The run with only ``seeds`` in its metrics (and groups) tables; the run itself when it
    has no other seeds."""
    every = set(run.metrics.column("seed").to_pylist())
    if every <= set(seeds):
        return run
    keep = pa.array(sorted(seeds), pa.int64())
    metrics = run.metrics.filter(pc.is_in(run.metrics.column("seed"), keep))
    out = replace(run, metrics=metrics)
    if run.has_groups:
        groups = run.groups
        # Run.groups is a cached property: store the filtered table where it caches.
        out.__dict__["groups"] = groups.filter(pc.is_in(groups.column("seed"), keep))
    return out


@dataclass(frozen=True)
class Selection:
    """The choices made on the page's "Read runs" panel."""

    run_dir: str
    baseline: str
    scenarios: tuple[str, ...]
    metric: str
    window: tuple[int, int]
    group_kind: str | None = None
    group_metric: str | None = None

    @property
    def window_text(self) -> str:
        """The window as ``A:B``, as ``hiresim compare --window`` takes it."""
        return f"{self.window[0]}:{self.window[1]}"

    def compare_command(self) -> str:
        """The ``hiresim compare`` command that prints the page's effect table."""
        parts = ["hiresim compare", _quote(self.run_dir), f"--baseline {_quote(self.baseline)}"]
        parts += [f"-m {self.metric}"]
        parts += [f"-s {_quote(s)}" for s in self.scenarios]
        parts += [f"--window {self.window_text}"]
        return " ".join(parts)


def _quote(text: str) -> str:
    return shlex.quote(text)


def _selected_run(sel: Selection) -> tuple[Run, tuple[str, ...], tuple[int, ...]]:
    """The run restricted to the seeds finished in the baseline and the chosen scenarios."""
    run = read_run(sel.run_dir)
    compared = tuple(s for s in sel.scenarios if s != sel.baseline)
    if not compared:
        raise CompareError("choose at least one scenario other than the baseline")
    seeds = finished_seeds(run, (sel.baseline, *compared))
    if not seeds:
        raise CompareError(
            f"no seed has finished in both {sel.baseline!r} and {', '.join(compared)} yet"
        )
    return restrict_seeds(run, seeds), compared, seeds


def effects(sel: Selection) -> tuple[Table, str]:
    """The effect table of the chosen metric: :func:`sim.analysis.compare.compare`'s rows.

    Returns:
        The table and a line saying which seeds it uses.

    Raises:
        CompareError: A refusal of the comparison (no baseline, bad window...).
    """
    run, compared, seeds = _selected_run(sel)
    table = compare(
        run,
        baseline=sel.baseline,
        metrics=[sel.metric],
        scenarios=compared,
        window=sel.window_text,
    )
    return as_table(table), _seeds_line(seeds)


def _seeds_line(seeds: Sequence[int]) -> str:
    shown = ", ".join(map(str, seeds)) if len(seeds) <= 12 else f"{seeds[0]}-{seeds[-1]}"
    return f"{len(seeds)} seeds paired by seed ({shown})"


def _group_table(sel: Selection) -> tuple[Run, tuple[str, ...], pa.Table, str]:
    """The run, the scenarios compared, :func:`sim.analysis.compare.compare_groups`'s table and the
    outcome compared."""
    metric = sel.group_metric
    if not sel.group_kind or not metric:
        raise CompareError("choose a group kind and an outcome")
    run, compared, _ = _selected_run(sel)
    table = compare_groups(
        run,
        sel.group_kind,
        baseline=sel.baseline,
        metrics=[metric],
        scenarios=compared,
        window=sel.window_text,
    )
    return run, compared, table, metric


def group_effects(sel: Selection) -> Table:
    """Who gains: :func:`sim.analysis.compare.compare_groups` rows of the chosen group kind and
    outcome.

    Raises:
        CompareError: No groups table, unknown kind, or another refusal.
    """
    return as_table(_group_table(sel)[2])


# ==================================================================== figures (Plotly JSON)


def metric_label(metric: str) -> str:
    """The metric's label and unit: ``Mean starting salary (USD per year)``."""
    m = METRICS_BY_NAME.get(metric)
    label = m.label if m else metric.replace("_", " ").capitalize()
    unit = metric_unit(metric)
    return f"{label} ({unit})" if unit else label


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _scale(metric: str) -> tuple[float, str]:
    """Shares are drawn in percent (levels) and percentage points (differences)."""
    return (100.0, "%") if metric_unit(metric) == "share" else (1.0, "")


def _change_unit(metric: str) -> str:
    unit = group_unit(metric)
    return "percentage points" if unit == "share" else unit


def _clean(values: Sequence[float | None], k: float) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else k * v for v in values]


def _band_traces(
    data: pa.Table, column: str, colours: dict[str, str], k: float, unit: str, what: str
) -> list[dict[str, Any]]:
    traces: list[dict[str, Any]] = []
    for s in dict.fromkeys(data.column("scenario").to_pylist()):
        rows = data.filter(pc.equal(data.column("scenario"), s))
        x = rows.column("month").to_pylist()
        y = _clean(rows.column(column).to_pylist(), k)
        lo = _clean(rows.column("ci_low").to_pylist(), k)
        hi = _clean(rows.column("ci_high").to_pylist(), k)
        n = rows.column("n_seeds").to_pylist()
        colour = colours.get(s, "#0072B2")
        band = {
            "legendgroup": s,
            "showlegend": False,
            "hoverinfo": "skip",
            "mode": "lines",
            "line": {"width": 0, "color": colour},
        }
        traces.append({"type": "scatter", "x": x, "y": hi, "name": s, **band})
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": lo,
                "name": s,
                "fill": "tonexty",
                "fillcolor": _rgba(colour, 0.2),
                **band,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": y,
                "name": s,
                "legendgroup": s,
                "line": {"color": colour, "width": 2},
                "customdata": [[a, b, c] for a, b, c in zip(lo, hi, n, strict=True)],
                "hovertemplate": (
                    f"<b>{s}</b> month %{{x}}<br>{what} %{{y:,.4g}}{unit} "
                    f"[%{{customdata[0]:,.4g}}, %{{customdata[1]:,.4g}}]"
                    "<br>%{customdata[2]} seeds<extra></extra>"
                ),
            }
        )
    return traces


def _layout(title: str, y_title: str, window: tuple[int, int] | None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "xaxis": {"title": {"text": "Month"}},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "hovermode": "closest",
        "margin": {"l": 70, "r": 20, "t": 40, "b": 45},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 360,
        "template": "plotly_white",
    }
    if window is not None:
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": window[0] - 0.5,
                "x1": window[1] + 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(120,120,120,0.08)",
                "line": {"width": 0},
            }
        ]
    return layout


def timeseries_figure(sel: Selection) -> dict[str, Any]:
    """Mean across seeds per month with its 95% band, per scenario (baseline in black)."""
    run, compared, _ = _selected_run(sel)
    data = timeseries_data(run, sel.metric, scenarios=[sel.baseline, *compared])
    k, unit = _scale(sel.metric)
    colours = scenario_colours(run, sel.baseline)
    return {
        "data": _band_traces(data, "mean", colours, k, unit, "mean"),
        "layout": _layout(
            f"{metric_label(sel.metric)}: mean across seeds, 95% band",
            metric_label(sel.metric).replace("(share)", "(%)"),
            sel.window,
        ),
    }


def difference_figure(sel: Selection) -> dict[str, Any]:
    """Paired difference from the baseline per month with its 95% band, per scenario."""
    run, compared, _ = _selected_run(sel)
    data = difference_data(run, sel.metric, scenarios=list(compared), baseline=sel.baseline)
    k, _ = _scale(sel.metric)
    unit = " pp" if k == 100.0 else ""
    colours = scenario_colours(run, sel.baseline)
    figure: dict[str, Any] = {
        "data": _band_traces(data, "difference", colours, k, unit, "difference"),
        "layout": _layout(
            f"Paired difference from {sel.baseline} (same seed), 95% band",
            f"Difference ({_change_unit(sel.metric)})",
            sel.window,
        ),
    }
    figure["layout"]["shapes"] = [
        *figure["layout"].get("shapes", []),
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": 0,
            "y1": 0,
            "line": {"color": "#777777", "width": 1},
        },
    ]
    return figure


def group_figure(sel: Selection) -> dict[str, Any]:
    """Who gains: each group's paired effect with its CI, one colour per scenario, and the
    change in the top-bottom gap (the rows of :func:`sim.analysis.compare.compare_groups`)."""
    run, compared, table, metric = _group_table(sel)
    k, _ = _scale(metric)
    unit = " pp" if k == 100.0 else ""
    colours = scenario_colours(run, sel.baseline)
    rows = table.to_pylist()
    traces = []
    for s in compared:
        mine = [r for r in rows if r["scenario"] == s]
        labels = [f"gap: {r['group']}" if r["row_type"] == "gap" else r["group"] for r in mine]
        x = _clean([r["difference"] for r in mine], k)
        lo = _clean([r["ci_low"] for r in mine], k)
        hi = _clean([r["ci_high"] for r in mine], k)
        plus = [None if a is None or b is None else b - a for a, b in zip(x, hi, strict=True)]
        minus = [None if a is None or b is None else a - b for a, b in zip(x, lo, strict=True)]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": s,
                "x": x,
                "y": labels,
                "marker": {"color": colours.get(s, "#0072B2"), "size": 9},
                "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
                "customdata": [[a, b] for a, b in zip(lo, hi, strict=True)],
                "hovertemplate": (
                    f"<b>{s}</b> %{{y}}<br>difference %{{x:,.4g}}{unit} "
                    "[%{customdata[0]:,.4g}, %{customdata[1]:,.4g}]<extra></extra>"
                ),
            }
        )
    layout = _layout(
        f"{metric_label(metric)} by {sel.group_kind}: effect vs {sel.baseline}",
        "",
        None,
    )
    layout["xaxis"] = {
        "title": {"text": f"Difference from {sel.baseline} ({_change_unit(metric)})"},
        "zeroline": True,
    }
    layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    return {"data": traces, "layout": layout}
