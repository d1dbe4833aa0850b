"""A self-contained HTML report of a run: summary, effects with CIs, figures, who gains (jobs of MC
holders and non-holders, effects by group and on the gaps between groups), parameter changes.

The report is one file with inline CSS and base64-embedded PNG images: no scripts, no external
URLs, so it opens from disk or an e-mail attachment. Every piece of text from the run (names,
descriptions, parameter values) is HTML-escaped.

Notebook use::

    from sim.analysis.report import parameter_differences, report, scenario_summary
    parameter_differences("outputs/demo").to_pandas()
    report("outputs/demo")      # -> outputs/demo/report.html
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.compare import (
    compare,
    compare_groups,
    compare_who_gains,
    display_rows,
    table_note,
    verdict_lines,
)
from sim.analysis.stats import Method, Window
from sim.analysis.tables import html_table
from sim.experiments.store import Run, as_run
from sim.inputs.params import REGISTRY
from sim.observe.metrics import METRICS_BY_NAME

if TYPE_CHECKING:
    from sim.analysis.plots import Kind

if TYPE_CHECKING:
    from sim.analysis.plots import Kind

KEY_METRICS: tuple[str, ...] = (
    "recent_grad_unemployment_rate",
    "mean_starting_salary",
    "mc_holder_share",
    "mean_starting_salary_mc",
)
"""Metrics of the report's comparison table and standard figures."""
WHO_GAINS_KINDS: tuple[str, ...] = ("discipline", "ability_quartile")
"""Group kinds of the report's "Who gains" section."""
WHO_GAINS_METRICS: tuple[str, ...] = ("recent_grad_unemployment_rate", "mean_starting_salary")
"""Group outcomes of the report's "Who gains" section."""

TABLE_CSS = """
.table-box { overflow-x: auto; max-width: 100%; }
th { background: #f2f2f2; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.sig td { background: #eef5fb; }
tr.gap td { border-top: 2px solid #999; font-style: italic; }
"""
"""How tables look wherever hiresim draws them (the report, the explorer): the header, the
numeric cells and the row types (``sig``, ``gap``) of :mod:`sim.analysis.compare` tables. Each
page sets its own ``table`` and ``th, td`` sizes first."""

_CSS = (
    """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.88em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.55em; vertical-align: top; }
"""
    + TABLE_CSS
    + """tr.total td { font-weight: 600; }
code { font-size: 0.92em; background: #f5f5f5; padding: 0 0.2em; }
.note { color: #444; font-size: 0.9em; }
.warn { color: #9a3412; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #444; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1.2em; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
"""
)


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


# ==================================================================== tables for notebooks


def scenario_summary(run: Run | Path | str) -> pa.Table:
    """One row per scenario: description, hash, seeds with data, policies, task outcomes.

    Returns:
        Columns ``scenario``, ``description``, ``hash``, ``seeds``, ``n_seeds``, ``policies``,
        ``tasks_done``, ``tasks_failed``, ``wall_seconds`` (summed over the scenario's tasks).
    """
    run = as_run(run)
    listed = {s.get("name"): s for s in run.manifest.get("scenarios", [])}
    tasks = run.manifest.get("tasks", [])
    rows = []
    for s in run.scenarios:
        meta = run.scenario_meta.get(s, {})
        entry = listed.get(s, {})
        mine = [t for t in tasks if t.get("scenario") == s]
        seeds = run.seeds(s)
        rows.append(
            {
                "scenario": s,
                "description": str(entry.get("description") or meta.get("description") or ""),
                "hash": str(entry.get("hash") or meta.get("hash") or ""),
                "seeds": ", ".join(map(str, seeds)),
                "n_seeds": len(seeds),
                "policies": "; ".join(describe_policy(p) for p in _policies(meta)),
                "tasks_done": sum(1 for t in mine if t.get("status") in ("done", "ok", "skipped")),
                "tasks_failed": sum(1 for t in mine if t.get("status") == "failed"),
                "wall_seconds": float(sum(float(t.get("wall_seconds") or 0.0) for t in mine)),
            }
        )
    return pa.Table.from_pylist(rows)


def describe_policy(policy: object) -> str:
    """One line for a recorded policy: ``param: ramp to 1 over months 1-36 (note)``."""
    if not isinstance(policy, dict):
        return str(policy)
    start, end = policy.get("start"), policy.get("end")
    value = _value_text(policy.get("value"))
    if end is None:
        text = f"{value} from month {start}"
    else:
        origin = policy.get("from_value")
        origin_text = "" if origin is None else f"from {_value_text(origin)} "
        text = f"ramp {origin_text}to {value} over months {start}-{end}"
    if policy.get("note"):
        text += f" ({policy['note']})"
    return f"{policy.get('param', '?')}: {text}"


def _policies(meta: dict[str, Any]) -> list[object]:
    policies = meta.get("policies") or []
    return list(policies) if isinstance(policies, list | tuple) else [policies]


def parameter_differences(
    run: Run | Path | str, scenarios: Sequence[str] | None = None
) -> pa.Table:
    """The parameters whose values or policies differ between scenarios, with provenance.

    Values come from each file's resolved-scenario metadata: the base value (``params``; a
    parameter a scenario does not list takes the registry default) followed by the scenario's
    policies on that parameter (``0, then ramp to 1 over months 1-36``), since most scenarios
    differ from the baseline by policies rather than by base values.

    Args:
        run: A run folder or a loaded run.
        scenarios: Scenarios to compare; all with recorded definitions when None.

    Returns:
        Columns ``parameter``, ``label``, ``unit``, ``default``, one column per scenario (text),
        ``source_kind`` and ``source``; rows in registry order.
    """
    run = as_run(run)
    names = list(scenarios) if scenarios else [s for s in run.scenarios if s in run.scenario_meta]
    base: dict[str, dict[str, object]] = {}
    changes: dict[str, dict[str, list[str]]] = {}
    for s in names:
        meta = run.scenario_meta.get(s, {})
        params = meta.get("params", {})
        base[s] = dict(params.items() if isinstance(params, dict) else map(tuple, params))
        changes[s] = {}
        for policy in _policies(meta):
            if isinstance(policy, dict) and "param" in policy:
                text = describe_policy(policy).split(": ", 1)[1]
                changes[s].setdefault(str(policy["param"]), []).append(text)
    every = list(dict.fromkeys(p for s in names for p in [*base[s], *changes[s]]))
    ordered = [p for p in REGISTRY if p in every] + sorted(p for p in every if p not in REGISTRY)
    rows = []
    for name in ordered:
        param = REGISTRY.get(name)
        default = param.default if param else None
        shown = {}
        for s in names:
            text = _value_text(base[s].get(name, default))
            for change in changes[s].get(name, []):
                text += f", then {change}"
            shown[s] = text
        if len(set(shown.values())) <= 1:
            continue
        row: dict[str, Any] = {
            "parameter": name,
            "label": param.label if param else "",
            "unit": param.unit if param else "",
            "default": _value_text(default),
        }
        row.update(shown)
        row["source_kind"] = param.source_kind if param else "unknown (not in the registry)"
        row["source"] = param.source if param else ""
        rows.append(row)
    schema = pa.schema(
        [(c, pa.string()) for c in ("parameter", "label", "unit", "default", *names)]
        + [("source_kind", pa.string()), ("source", pa.string())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


# ==================================================================== HTML pieces


def _table_html(
    header: Iterable[str], rows: Iterable[Iterable[object]], num_from: int | None = None
) -> str:
    return _boxed(html_table(list(header), [list(r) for r in rows], num_from=num_from))


def _boxed(table: str) -> str:
    """A table in a box that scrolls sideways when the table is wider than the page."""
    return f'<div class="table-box">{table}</div>'


def _comparison_html(
    table: pa.Table, *, note: bool = True, first: tuple[str, Sequence[str]] | None = None
) -> str:
    """A comparison table (of :func:`compare` or :func:`compare_groups`) as HTML.

    Args:
        table: The comparison.
        note: Add the sentence on how it was computed.
        first: A column ``(name, values)`` to put before the others.
    """
    header, rows = display_rows(table)
    header[-1] = "CI excludes 0 (*)"
    num_from = header.index("n")
    if first is not None:
        header = [first[0], *header]
        rows = [[v, *row] for v, row in zip(first[1], rows, strict=True)]
        num_from += 1
    gap = (
        table.column("row_type").to_pylist()
        if "row_type" in table.column_names
        else [None] * table.num_rows
    )
    classes = [
        " ".join(c for c in ("sig" if sig else "", kind if kind in _MARKED else "") if c)
        for sig, kind in zip(table.column("excludes_zero").to_pylist(), gap, strict=True)
    ]
    text = f'<p class="note">{_e(table_note(table))}</p>' if note else ""
    return _boxed(html_table(header, rows, num_from=num_from, row_classes=classes)) + text


_MARKED = ("gap", "total")
"""Row types (``row_type``) styled by their own CSS class."""


def _image_html(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


def _elapsed(manifest: dict[str, Any]) -> str | None:
    if isinstance(manifest.get("wall_seconds"), int | float):
        return _duration(float(manifest["wall_seconds"]))
    try:
        start = datetime.fromisoformat(str(manifest["started"]))
        end = datetime.fromisoformat(str(manifest.get("ended") or manifest["finished"]))
    except (KeyError, ValueError, TypeError):
        return None
    return _duration((end - start).total_seconds())


def _summary_html(run: Run, scenarios: pa.Table) -> str:
    m = run.manifest
    items: list[tuple[str, str]] = [("Run folder", str(run.path.resolve()))]
    command = m.get("command_line") or m.get("command")
    if command:
        items.append(("Command", " ".join(command) if isinstance(command, list) else str(command)))
    if m.get("status"):
        items.append(("Status", str(m["status"])))
    seeds = sorted({int(k) for s in run.scenarios for k in run.seeds(s)})
    items.append(("Seeds", f"{len(seeds)}: {', '.join(map(str, seeds))}"))
    items.append(("Population", f"{run.students:,} students" if run.students else "unknown"))
    burn = {
        meta.get("run", {}).get("burn_in_months")
        for meta in run.scenario_meta.values()
        if meta.get("run", {}).get("burn_in_months") is not None
    }
    months = f"{run.last_month} output months"
    if len(burn) == 1:
        months += f" (after {burn.pop()} burn-in months)"
    items.append(("Months", months))
    finished = m.get("ended") or m.get("finished")
    if m.get("started"):
        items.append(("Started", str(m["started"])))
    if finished:
        items.append(("Finished", str(finished)))
    elapsed = _elapsed(m)
    if elapsed:
        items.append(("Wall time (elapsed)", elapsed))
    tasks = m.get("tasks", [])
    if tasks:
        total = sum(float(t.get("wall_seconds") or 0.0) for t in tasks)
        items.append(("Task time (summed)", f"{_duration(total)} over {len(tasks)} tasks"))
    versions: dict[str, set[str]] = {}
    for meta in run.file_meta.values():
        for key, value in meta.items():
            if key.endswith(".version"):
                versions.setdefault(key.removesuffix(".version"), set()).add(value)
    if versions:
        items.append(
            (
                "Versions",
                "; ".join(f"{k} {' / '.join(sorted(v))}" for k, v in sorted(versions.items())),
            )
        )
    parts = ['<dl class="summary">']
    parts += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items]
    parts.append("</dl>")
    failed = [t for t in tasks if t.get("status") == "failed"]
    if failed:
        parts.append(f'<p class="warn">{len(failed)} task(s) failed:</p>')
        parts.append(
            _table_html(
                ["scenario", "seed", "error"],
                [[t.get("scenario"), t.get("seed"), t.get("error", "")] for t in failed],
            )
        )
    parts.append("<h3>Scenarios</h3>")
    parts.append(
        _table_html(
            ["scenario", "description", "hash (prefix)", "seeds", "policies", "task time"],
            [
                [
                    r["scenario"],
                    r["description"],
                    r["hash"][:12],
                    r["n_seeds"],
                    r["policies"],
                    _duration(r["wall_seconds"]) if r["wall_seconds"] else "",
                ]
                for r in scenarios.to_pylist()
            ],
        )
    )
    return "".join(parts)


def _parameters_html(params: pa.Table) -> str:
    if params.num_rows == 0:
        return "<p>No parameter differs between the scenarios.</p>"
    header = params.column_names
    return _table_html(header, [[r[c] for c in header] for r in params.to_pylist()])


def _who_gains_html(
    run: Run,
    baseline: str,
    kinds: Sequence[str],
    metrics: Sequence[str],
    month: int | None,
    window: Window | str | None,
    method: Method,
    dpi: int,
) -> str:
    """The "Who gains" section: employment of MC holders and non-holders (net or transfer),
    effects by group, gap changes and dot-and-interval figures."""
    from sim.analysis.plots import figure, png_bytes

    if baseline not in run.scenarios or not [s for s in run.scenarios if s != baseline]:
        return "<p>Effects by group need a baseline and another scenario; there are none here.</p>"
    if not run.has_groups:
        return (
            "<p>This run has no groups table (outcomes by group), so who gains and who loses "
            "cannot be shown. Runs made by <code>hiresim run</code> write one; run the command "
            "again into a new folder to get it.</p>"
        )
    parts = _employment_html(run, baseline, month, window, method)
    present = [k for k in kinds if k in run.group_kinds()]
    chosen = [m for m in metrics if m in run.group_metric_names]
    if not present or not chosen:
        return "".join(parts) + (
            f"<p>The groups table of this run has none of the group kinds "
            f"({_e(', '.join(kinds))}) or outcomes ({_e(', '.join(metrics))}) shown here.</p>"
        )
    tables = {
        k: compare_groups(
            run, k, baseline=baseline, metrics=chosen, month=month, window=window, method=method
        )
        for k in present
    }
    gaps = [t.filter(pc.equal(t.column("row_type"), "gap")) for t in tables.values()]
    gap_table = pa.concat_tables(gaps)
    parts += [
        '<p class="note">The same paired differences by seed as above, within each group of '
        "students and graduates, and the gap between a top and a bottom group with how each "
        "scenario changes it (a difference-in-differences paired by seed). First the gap "
        "changes, then per group kind the effect in each group and one figure per outcome.</p>",
        "<h3>Gap changes</h3>",
        _comparison_html(
            gap_table, first=("group kind", gap_table.column("group_kind").to_pylist())
        ),
    ]
    for kind, table in tables.items():
        parts.append(f"<h3>By {_e(kind.replace('_', ' '))} (<code>{_e(kind)}</code>)</h3>")
        parts.append(_comparison_html(table, note=False))
        for metric in chosen:
            fig, _ = figure(
                run, metric, by=kind, baseline=baseline, month=month, window=window, method=method
            )
            title_text = fig.get_suptitle()
            parts.append(_image_html(png_bytes(fig, dpi=dpi), f"groups: {title_text}", title_text))
    return "".join(parts)


def _employment_html(
    run: Run, baseline: str, month: int | None, window: Window | str | None, method: Method
) -> list[str]:
    """Employment of MC holders, non-holders and in total, with each policy's verdict (empty
    when the groups table has no ``mc_status`` groups)."""
    if "mc_status" not in run.group_kinds():
        return []
    table = compare_who_gains(run, baseline=baseline, month=month, window=window, method=method)
    items = "".join(f"<li>{_e(line)}</li>" for line in verdict_lines(table))
    return [
        "<h3>Employment: MC holders, non-holders and total</h3>",
        '<p class="note">Whether a policy adds jobs (a net gain: the total moves) or moves them '
        "between people in the labour market who hold a microcredential and those who do not "
        "(a transfer: holders and non-holders move in opposite directions, the total does not)."
        "</p>",
        f"<ul>{items}</ul>",
        _comparison_html(table),
    ]


# ==================================================================== the report


def build_report(
    run: Run | Path | str,
    *,
    baseline: str = "baseline",
    metrics: Sequence[str] = KEY_METRICS,
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
    dpi: int = 100,
    group_kinds: Sequence[str] = WHO_GAINS_KINDS,
    group_metrics: Sequence[str] = WHO_GAINS_METRICS,
) -> str:
    """The report as an HTML string (see :func:`report`)."""
    from sim.analysis.plots import (  # matplotlib is slow to import; only when drawing
        figure,
        png_bytes,
    )

    run = as_run(run)
    key = [m for m in metrics if m in run.metric_names]
    scenarios = scenario_summary(run)
    title = f"hiresim report: {run.name}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"<h1>{_e(title)}</h1>", f'<p class="note">Generated {_e(generated)}.</p>']
    body += ["<h2>Run</h2>", _summary_html(run, scenarios)]
    study = _robustness_html(run, dpi)
    if study is not None:
        body += ["<h2>Robustness</h2>", study[0]]
        if study[1]:  # every scenario is a design point: the per-scenario sections would list them
            return _page(title, body)

    others = [s for s in run.scenarios if s != baseline]
    has_baseline = baseline in run.scenarios
    body.append("<h2>Effects on key metrics</h2>")
    if not has_baseline:
        body.append(
            f'<p class="warn">No baseline scenario {_e(repr(baseline))} in this run (scenarios: '
            f"{_e(', '.join(run.scenarios))}); effects are omitted.</p>"
        )
    elif not others:
        body.append("<p>The run holds only the baseline; there are no effects to compare.</p>")
    else:
        table = compare(
            run, baseline=baseline, metrics=key, month=month, window=window, method=method
        )
        body.append(_comparison_html(table))
        every = compare(run, baseline=baseline, month=month, window=window, method=method)
        body.append("<details><summary>All metrics</summary>")
        body.append(_comparison_html(every))
        body.append("</details>")

    body.append("<h2>Figures</h2>")
    for metric in key:
        label = METRICS_BY_NAME[metric].label if metric in METRICS_BY_NAME else metric
        body.append(f"<h3>{_e(label)} (<code>{_e(metric)}</code>)</h3>")
        kinds: list[Kind] = ["timeseries"]
        if has_baseline and others:
            kinds += ["difference", "tornado"]
        for kind in kinds:
            fig, _ = figure(
                run, metric, kind, baseline=baseline, month=month, window=window, method=method
            )
            title_text = fig.get_suptitle()
            body.append(_image_html(png_bytes(fig, dpi=dpi), f"{kind}: {title_text}", title_text))

    body.append("<h2>Who gains</h2>")
    body.append(
        _who_gains_html(run, baseline, group_kinds, group_metrics, month, window, method, dpi)
    )

    body.append("<h2>Parameters that differ between scenarios</h2>")
    body.append(
        '<p class="note">Values from each scenario\'s resolved definition recorded in the '
        "result files; source kind and source from the parameter registry.</p>"
    )
    body.append(_parameters_html(parameter_differences(run)))
    return _page(title, body)


def _page(title: str, body: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _robustness_html(run: Run, dpi: int) -> tuple[str, bool] | None:
    """The robustness section of a run folder that holds a study (:mod:`sim.analysis.robustness`),
    and whether the study's design points are all the run holds; None without a study."""
    from sim.analysis import robustness
    from sim.analysis.plots import png_bytes

    points = robustness.read_points(run.path)
    if points is None:
        return None
    meta = robustness.study_meta(points)
    summary = robustness.summarise(points)
    parts = [_table_html(*robustness.distribution_rows(summary), num_from=2)]
    for item in summary:
        parts.append(f"<p>{_e(robustness.discovery_line(item))}</p>")
        head, rows = robustness.box_rows(item)
        if rows:
            parts.append(_table_html(head, rows))
    parts += [f"<p>{_e(robustness.influence_line(item))}</p>" for item in summary]
    parts.append(f'<p class="note">{_e(robustness.note(meta))}</p>')
    for item in summary:
        for draw in robustness.FIGURES.values():
            fig, _ = draw(points, item)
            caption = fig.get_suptitle()
            parts.append(_image_html(png_bytes(fig, dpi=dpi), caption, caption))
    names = {p[k] for p in meta["points"] for k in ("policy", "baseline")}
    return "".join(parts), set(run.scenarios) <= names


def report(
    run: Run | Path | str,
    out: Path | str | None = None,
    *,
    baseline: str = "baseline",
    metrics: Sequence[str] = KEY_METRICS,
    month: int | None = None,
    window: Window | str | None = None,
    method: Method = "t",
    group_kinds: Sequence[str] = WHO_GAINS_KINDS,
    group_metrics: Sequence[str] = WHO_GAINS_METRICS,
) -> Path:
    """Write the run's self-contained HTML report.

    Args:
        run: A run folder or a loaded run.
        out: The HTML file; default ``<run>/report.html``.
        baseline: The reference scenario of effects.
        metrics: Metrics of the comparison table and the figures.
        month: Compare a single month's values.
        window: Compare values averaged over ``A:B``; default the last 12 months.
        method: ``t`` or ``bootstrap`` intervals.
        group_kinds: Group kinds of the "Who gains" section (skipped, with a sentence saying
            so, when the run has no groups table).
        group_metrics: Group outcomes of that section.

    Returns:
        The path written.

    Raises:
        CompareError: When the run cannot be read or a comparison is refused.
    """
    run = as_run(run)
    target = Path(out) if out is not None else run.path / "report.html"
    text = build_report(
        run,
        baseline=baseline,
        metrics=metrics,
        month=month,
        window=window,
        method=method,
        group_kinds=group_kinds,
        group_metrics=group_metrics,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
