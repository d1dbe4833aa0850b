"""The explore page: a Dash app on 127.0.0.1 to read run folders and try what-ifs.

Dash (Plotly) serves its own scripts, Plotly.js and this page's inline style from the installed
packages (``serve_locally``), so the page needs no network. The callbacks are the methods of
:class:`Explorer`, plain functions of the page's values that return the new values; they are
registered on the app by :func:`create_app` and tested without a browser.

Usage::

    from sim.explore.app import serve
    serve(["outputs/demo"], port=8050)
"""

from __future__ import annotations

import contextlib
import io
import threading
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sim.analysis.compare import CompareError
from sim.analysis.report import TABLE_CSS
from sim.explore import views, whatif
from sim.explore.views import Selection, Table
from sim.inputs.params import REGISTRY, Param
from sim.inputs.scenario import Problem, ScenarioError, list_scenarios, load_scenario

HOST = "127.0.0.1"
"""The page listens on this machine only."""
POLL_MS = 700
"""How often the page asks for the what-if's progress."""
RUN_POLL_MS = 4000
"""How often the page checks whether the chosen run folder changed (a run still being written)."""

_CSS = (
    """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 1em 2em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0 0 0.2em 0; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.5em; }
h3 { font-size: 1.02em; margin: 1em 0 0.3em 0; }
.controls { display: flex; flex-wrap: wrap; gap: 0.6em 1.2em; align-items: flex-end; }
.control { display: flex; flex-direction: column; min-width: 12em; }
.control.wide { min-width: 28em; flex: 1; }
.control label, .label { font-size: 0.85em; color: #444; margin-bottom: 0.15em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.86em; }
th, td { border: 1px solid #d0d0d0; padding: 0.2em 0.5em; vertical-align: top; }
"""
    + TABLE_CSS
    + """.note { color: #444; font-size: 0.85em; max-width: 75em; }
.error { color: #9a3412; white-space: pre-wrap; font-family: ui-monospace, monospace;
         font-size: 0.88em; }
.ok { color: #166534; }
code, pre { font-size: 0.9em; background: #f5f5f5; padding: 0.1em 0.3em; }
pre { white-space: pre-wrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(32em, 1fr)); gap: 1em; }
.table-box td { white-space: nowrap; }
table.params td { white-space: normal; }
table.params .dash-input-container { width: 8em; }
table.params .dash-input-stepper { display: none; }  /* +1 steps leave most ranges */
table.params input { min-width: 7em; }
table.params td.src { font-size: 0.85em; color: #555; max-width: 36em; }
progress { width: 24em; height: 1.1em; }
button { padding: 0.35em 0.9em; margin-right: 0.6em; font-size: 0.95em; cursor: pointer; }
"""
)

_INDEX = (
    """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
<style>"""
    + _CSS
    + """</style>
</head>
<body>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""
)


# ==================================================================== rendering helpers


def table_component(table: Table, table_id: str) -> html.Div:
    """A comparison table in a box that scrolls sideways when it is wider than the page."""
    num_from = table.header.index("n")
    head = html.Thead(html.Tr([html.Th(h) for h in table.header]))
    body = []
    for row, sig, gap in zip(table.rows, table.significant, table.gap, strict=True):
        cells = [
            html.Td(c, className="num") if i >= num_from else html.Td(c) for i, c in enumerate(row)
        ]
        classes = " ".join(c for c in ("sig" if sig else "", "gap" if gap else "") if c)
        body.append(html.Tr(cells, className=classes or None))
    return html.Div(
        [
            html.Div(html.Table([head, html.Tbody(body)], id=table_id), className="table-box"),
            html.P(table.note, className="note"),
        ]
    )


def problems_component(err: ScenarioError | Sequence[str]) -> html.Div:
    """Every problem on its own line and their count, as the CLI prints them."""
    lines = [p.format() for p in err.problems] if isinstance(err, ScenarioError) else list(err)
    n = len(lines)
    text = "\n".join([*lines, f"{n} problem{'' if n == 1 else 's'} found."])
    return html.Div(html.Pre(text, className="error"), className="problems")


def error_component(message: str) -> html.Div:
    """A refusal or failure, as text (no traceback)."""
    return html.Div(f"error: {message}", className="error")


def _options(values: Sequence[str], labels: Callable[[str], str] | None = None) -> list[dict]:
    return [{"label": labels(v) if labels else v, "value": v} for v in values]


def _control(label: str, component: Any, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=component.id), component],
        className="control wide" if wide else "control",
    )


_NO_CHOICES: tuple[Any, ...] = ([], None, [], [], [], None, 1, 2, [1, 2], {}, [], None, [], None)
""":meth:`Explorer.on_run`'s values after the status when there is no run to choose from."""


def _dropdown(label: str, id_: str, *, wide: bool = False, **props: Any) -> html.Div:
    """A labelled single-choice dropdown."""
    return _control(label, dcc.Dropdown(id=id_, clearable=False, **props), wide)


def _empty_figure(text: str = "") -> dict[str, Any]:
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "height": 120,
            "annotations": [{"text": text, "showarrow": False, "font": {"size": 13}}]
            if text
            else [],
            "template": "plotly_white",
        },
    }


# ==================================================================== the page's behaviour


@dataclass
class Explorer:
    """The page's state and callbacks.

    Args:
        runs: Run folders named on the command line (listed first).
        runs_root: Folder searched for other run folders.
        whatif_root: Folder the what-if runs are written to.
        job: The background what-if runner.
    """

    runs: Sequence[Path | str] = ()
    runs_root: Path = views.RUNS_ROOT
    whatif_root: Path = whatif.WHATIF_ROOT
    job: whatif.Job | None = None

    def __post_init__(self) -> None:
        if self.job is None:
            self.job = whatif.Job()
        self._shown: tuple[str, str] = ("", "")
        self._result: Any = None

    # ---------------------------------------------------------------- read runs

    def run_options(self) -> list[dict[str, str]]:
        """The run folders to choose from."""
        return [
            {"label": str(p), "value": str(p)} for p in views.find_runs(self.runs, self.runs_root)
        ]

    def first_run(self) -> str | None:
        """The folder shown first: the first one given, else the newest under the root."""
        options = self.run_options()
        return options[0]["value"] if options else None

    def on_run(
        self,
        run_dir: str | None,
        baseline: str | None = None,
        scenarios: Sequence[str] | None = None,
        metric: str | None = None,
        window: Sequence[int] | None = None,
        kind: str | None = None,
        group_metric: str | None = None,
    ) -> tuple[Any, ...]:
        """A run folder was chosen (or changed on disk): its choices, keeping valid ones.

        Returns:
            Status line; baseline options and value; scenario options and value; metric
            options and value; window min, max, value and marks; group kind options and value;
            group outcome options and value.
        """
        if not run_dir:
            return ("Choose a run folder.", *_NO_CHOICES)
        try:
            c = views.run_choices(run_dir)
        except CompareError as exc:
            return (f"error: {exc}", *_NO_CHOICES)
        base = baseline if baseline in c.scenarios else c.baseline
        others = [s for s in c.scenarios if s != base]
        chosen = [s for s in scenarios or () if s in others] or others
        month = metric if metric in c.metrics else c.metrics[0]
        last = c.last_month
        win = list(window) if window and len(window) == 2 and window[1] <= last else list(c.window)
        marks = {m: str(m) for m in sorted({1, *range(12, last + 1, 12), last})}
        g_kind = kind if kind in c.group_kinds else (c.group_kinds[0] if c.group_kinds else None)
        g_metric = group_metric if group_metric in c.group_metrics else None
        if g_metric is None and c.group_metrics:
            g_metric = c.group_metrics[0]
        return (
            c.status,
            _options(c.scenarios),
            base,
            _options(c.scenarios),
            chosen,
            _options(c.metrics, views.metric_label),
            month,
            1,
            last,
            win,
            marks,
            _options(c.group_kinds),
            g_kind,
            _options(c.group_metrics, views.metric_label),
            g_metric,
        )

    def _selection(
        self,
        run_dir: str | None,
        baseline: str | None,
        scenarios: Sequence[str] | None,
        metric: str | None,
        window: Sequence[int] | None,
        kind: str | None = None,
        group_metric: str | None = None,
    ) -> Selection | None:
        if not (run_dir and baseline and metric and window and len(window) == 2):
            return None
        return Selection(
            run_dir=run_dir,
            baseline=baseline,
            scenarios=tuple(scenarios or ()),
            metric=metric,
            window=(int(window[0]), int(window[1])),
            group_kind=kind,
            group_metric=group_metric,
        )

    def on_selection(
        self,
        run_dir: str | None,
        baseline: str | None,
        scenarios: Sequence[str] | None,
        metric: str | None,
        window: Sequence[int] | None,
    ) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """The effect table, the time series and the paired differences of the choices."""
        sel = self._selection(run_dir, baseline, scenarios, metric, window)
        if sel is None:
            return html.Div(), _empty_figure(), _empty_figure()
        try:
            table, seeds = views.effects(sel)
            series = views.timeseries_figure(sel)
            difference = views.difference_figure(sel)
        except CompareError as exc:
            return error_component(str(exc)), _empty_figure(), _empty_figure()
        body = html.Div(
            [
                html.P(
                    [seeds, ". The same table in a terminal: ", html.Code(sel.compare_command())],
                    className="note",
                ),
                table_component(table, "effects-table"),
            ]
        )
        return body, series, difference

    def on_groups(
        self,
        run_dir: str | None,
        baseline: str | None,
        scenarios: Sequence[str] | None,
        window: Sequence[int] | None,
        kind: str | None,
        group_metric: str | None,
    ) -> tuple[Any, dict[str, Any]]:
        """Who gains: the effects by group of the chosen kind and outcome."""
        if not kind or not group_metric:
            return html.P("This run has no groups table.", className="note"), _empty_figure()
        sel = self._selection(
            run_dir, baseline, scenarios, group_metric, window, kind, group_metric
        )
        if sel is None:
            return html.Div(), _empty_figure()
        try:
            table = views.group_effects(sel)
            figure = views.group_figure(sel)
        except CompareError as exc:
            return error_component(str(exc)), _empty_figure()
        return table_component(table, "groups-table"), figure

    def run_stamp(self, run_dir: str | None, old: dict[str, Any] | None = None) -> Any:
        """``{"run", "mtime", "fresh"}``: changes when another folder is chosen (``fresh``) or
        the chosen folder's manifest is rewritten; ``no_update`` when neither happened."""
        mtime = ""
        if run_dir:
            with contextlib.suppress(OSError):
                # Text: a browser's numbers would round nanoseconds.
                mtime = str((Path(run_dir) / "manifest.json").stat().st_mtime_ns)
        fresh = not old or old.get("run") != run_dir
        if not fresh and old is not None and old.get("mtime") == mtime:
            return no_update
        return {"run": run_dir, "mtime": mtime, "fresh": fresh}

    # ---------------------------------------------------------------- what-ifs

    def parent_options(self) -> list[dict[str, str]]:
        """The scenarios a what-if can start from."""
        return [{"label": f"{i.name}", "value": i.name} for i in list_scenarios()]

    def first_parent(self) -> str | None:
        """The scenario a what-if starts from at first: ``full_blueprint`` when it exists."""
        names = [o["value"] for o in self.parent_options()]
        return "full_blueprint" if "full_blueprint" in names else (names[0] if names else None)

    def on_parent(self, parent: str | None) -> tuple[Any, ...]:
        """A scenario to start from was chosen: its policies (all on), its parameter values
        and a name for the what-if.

        Returns:
            Policy options and value, the parameters' values (in :func:`whatif.offered_names`
            order), the what-if's name, the save path, and problems (empty when it loads).
        """
        names = whatif.offered_names()
        if not parent:
            return [], [], [None] * len(names), "", "", html.Div()
        try:
            scenario = load_scenario(parent)
        except ScenarioError as err:
            return [], [], [None] * len(names), "", "", problems_component(err)
        origins = scenario.policy_origins or (scenario.name,) * len(scenario.policies)
        options = [
            {"label": f"{p.param}: {p.describe()} [from {o}]", "value": i}
            for i, (p, o) in enumerate(zip(scenario.policies, origins, strict=True))
        ]
        values = [scenario.value(n) for n in names]
        name = f"{scenario.name}_whatif"
        path = str(Path("scenarios") / f"{name}.toml")
        return options, [o["value"] for o in options], values, name, path, html.Div()

    def _whatif(
        self,
        parent: str | None,
        name: str | None,
        policies_on: Sequence[int] | None,
        values: Sequence[Any],
    ) -> whatif.WhatIf:
        """The what-if of the form (raises ScenarioError when the parent does not load)."""
        if not parent:
            raise ScenarioError([Problem("(arguments)", "scenario", None, "missing: choose one")])
        scenario = load_scenario(parent)
        changes = {}
        empty = []
        for n, v in zip(whatif.offered_names(), values, strict=True):
            value = whatif.parse_number(v)
            if value is None or value == "":
                param = REGISTRY[n]
                empty.append(
                    Problem(
                        "(form)", f"params.{n}", None, f"missing: a number in {param.range_text()}"
                    )
                )
            elif value != scenario.value(n):
                changes[n] = value
        if empty:
            raise ScenarioError(empty)
        on = set(policies_on or ())
        off = frozenset(i for i in range(len(scenario.policies)) if i not in on)
        return whatif.WhatIf(scenario, (name or "").strip(), changes, off)

    def on_run_click(
        self,
        parent: str | None,
        name: str | None,
        policies_on: Sequence[int] | None,
        values: Sequence[Any],
        students: Any,
        seeds: Any,
        months: Any,
    ) -> Any:
        """Run the what-if against its parent (or cancel the run going on).

        Returns:
            What to show under the buttons: problems, or nothing when the run started.
        """
        assert self.job is not None
        if self.job.state.active:
            self.job.cancel()
            return html.P("Cancelling: the run stops when its running tasks end.", className="note")
        size, problems = whatif.run_size(students, seeds, months)
        try:
            wi = self._whatif(parent, name, policies_on, values)
            prepared = whatif.prepare(wi, size, self.whatif_root) if not problems else None
        except ScenarioError as err:
            return problems_component([*(p.format() for p in err.problems), *problems])
        if prepared is None:
            return problems_component(problems)
        whatif.write_scenario_file(prepared, wi)
        if not self.job.start(prepared):
            return error_component("a what-if is already running; cancel it first")
        return html.Div()

    def on_poll(self) -> tuple[Any, ...]:
        """The what-if's progress: bar value and maximum, status line, button label, result.

        The result (the effect table) is rebuilt only when the run's state changes.
        """
        assert self.job is not None
        state = self.job.state
        label = "Cancel run" if state.active else "Run what-if"
        total = max(state.total, 1)
        status = state.message
        if state.active:
            status = f"{state.message}: {state.done} of {state.total} tasks done"
        key = (state.out, state.status)
        if key != self._shown:
            self._shown = key
            self._result = self._result_component(state)
            result = self._result
        else:
            result = no_update
        return state.done, total, status, label, result

    def _result_component(self, state: whatif.JobState) -> Any:
        if state.status == "failed":
            return error_component(state.error or state.message)
        if state.status != "done":
            return html.Div()
        try:
            table = views.as_table(whatif.result_effects(state))
        except CompareError as exc:
            return error_component(str(exc))
        return html.Div(
            [
                html.P(
                    [
                        f"{state.name} against {state.parent}, run folder ",
                        html.Code(state.out),
                        " (also listed under Read runs):",
                    ],
                    className="note",
                ),
                table_component(table, "whatif-table"),
            ]
        )

    def on_save(
        self,
        parent: str | None,
        name: str | None,
        policies_on: Sequence[int] | None,
        values: Sequence[Any],
        path: str | None,
    ) -> Any:
        """Write the what-if as a scenario file; show the command that runs it at full scale."""
        try:
            wi = self._whatif(parent, name, policies_on, values)
            target = Path(path or f"scenarios/{wi.name}.toml")
            scenario = whatif.save(wi, target)
        except ScenarioError as err:
            return problems_component(err)
        command = whatif.run_command(wi.parent, target, wi.name)
        return html.Div(
            [
                html.P(
                    [
                        "Saved ",
                        html.Code(str(target), id="saved-path"),
                        f" (scenario {scenario.name}, hash {scenario.hash[:12]}). "
                        "Run it against its parent at full scale:",
                    ],
                    className="ok",
                ),
                html.Pre(command, id="saved-command"),
            ]
        )


# ==================================================================== layout and wiring


def _source(p: Param) -> str:
    """``report: E2 (...)``; an assumption's source says so itself."""
    return p.source if p.source.startswith(p.source_kind) else f"{p.source_kind}: {p.source}"


def _param_rows() -> list[Any]:
    rows: list[Any] = []
    for title, params in whatif.what_if_params():
        if not params:
            continue
        rows.append(html.Tr(html.Th(title, colSpan=5)))
        for p in params:
            step = 1 if p.kind is int else "any"
            rows.append(
                html.Tr(
                    [
                        html.Td([html.Div(p.label or p.name), html.Code(p.name)]),
                        html.Td(
                            dcc.Input(
                                id={"type": "wi-param", "name": p.name},
                                type="number",
                                step=step,
                                debounce=True,
                            )
                        ),
                        html.Td(p.unit),
                        html.Td(p.range_text(), className="num"),
                        html.Td(_source(p), className="src"),
                    ]
                )
            )
    return rows


def layout(explorer: Explorer) -> html.Div:
    """The page."""
    size = whatif.SMALL_RUN
    return html.Div(
        [
            html.H1("hiresim explore"),
            html.P(
                "Read run folders and try what-ifs. Effects are paired differences by seed "
                "(common random numbers) with 95% intervals, computed as `hiresim compare` does.",
                className="note",
            ),
            html.H2("Read runs"),
            html.Div(
                [
                    _dropdown(
                        "Run folder",
                        "run",
                        wide=True,
                        options=explorer.run_options(),
                        value=explorer.first_run(),
                    ),
                    html.Button("Refresh list", id="refresh"),
                ],
                className="controls",
            ),
            html.P(id="run-status", className="note"),
            html.Div(
                [
                    _dropdown("Baseline", "baseline"),
                    _control("Scenarios", dcc.Dropdown(id="scenarios", multi=True), wide=True),
                    _dropdown("Metric", "metric", wide=True),
                ],
                className="controls",
            ),
            html.Div(
                [
                    html.Span("Months averaged for the table", className="label"),
                    dcc.RangeSlider(
                        id="window",
                        min=1,
                        max=2,
                        step=1,
                        value=[1, 2],
                        allowCross=False,
                        tooltip={"placement": "bottom"},
                    ),
                ],
            ),
            html.H3("Effects"),
            dcc.Loading(html.Div(id="effects"), delay_show=400),
            html.Div([dcc.Graph(id="timeseries"), dcc.Graph(id="difference")], className="charts"),
            html.H3("Who gains"),
            html.Div(
                [
                    _dropdown("Group kind", "group-kind"),
                    _dropdown("Outcome", "group-metric", wide=True),
                ],
                className="controls",
            ),
            html.Div(id="groups"),
            dcc.Graph(id="groups-figure"),
            dcc.Store(id="run-stamp"),
            dcc.Interval(id="run-poll", interval=RUN_POLL_MS),
            html.H2("What-if"),
            html.P(
                "Start from a scenario, change its assumptions or switch its policies off, and run "
                "it against that scenario at a small size. Values out of a parameter's range are "
                "refused with the messages `hiresim validate` gives.",
                className="note",
            ),
            html.Div(
                [
                    _dropdown(
                        "Start from",
                        "wi-parent",
                        options=explorer.parent_options(),
                        value=explorer.first_parent(),
                    ),
                    _control("Name of the what-if", dcc.Input(id="wi-name", type="text")),
                ],
                className="controls",
            ),
            html.H3("Policies (switch off to drop)"),
            dcc.Checklist(id="wi-policies", labelStyle={"display": "block"}),
            html.H3("Assumptions"),
            html.Div(
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(h)
                                    for h in ("parameter", "value", "unit", "range", "source")
                                ]
                            )
                        ),
                        html.Tbody(_param_rows()),
                    ],
                    className="params",
                ),
                className="table-box",
            ),
            html.H3("Run size"),
            html.Div(
                [
                    _control(
                        "Students",
                        dcc.Input(id="wi-students", type="number", value=size["students"]),
                    ),
                    _control("Seeds", dcc.Input(id="wi-seeds", type="number", value=size["seeds"])),
                    _control(
                        "Months", dcc.Input(id="wi-months", type="number", value=size["months"])
                    ),
                ],
                className="controls",
            ),
            html.Div(
                [
                    html.Button("Run what-if", id="wi-run"),
                    html.Progress(id="wi-progress", value="0", max="1"),
                    html.Span(id="wi-status", className="note"),
                ],
                style={"margin": "0.8em 0"},
            ),
            html.Div(id="wi-problems"),
            html.Div(id="wi-result"),
            html.H3("Save as scenario"),
            html.Div(
                [
                    _control("File", dcc.Input(id="wi-path", type="text"), wide=True),
                    html.Button("Save as scenario", id="wi-save"),
                ],
                className="controls",
            ),
            html.Div(id="wi-saved"),
            dcc.Interval(id="wi-poll", interval=POLL_MS),
        ]
    )


def create_app(explorer: Explorer) -> Dash:
    """The Dash app of an :class:`Explorer`, with its callbacks registered."""
    app = Dash(
        __name__,
        serve_locally=True,
        title="hiresim explore",
        update_title="",  # the tab title stays as it is during callbacks (Dash: "" or None)
        assets_folder=str(Path(__file__).parent / "no-assets"),
        include_assets_files=False,
    )
    app.index_string = _INDEX
    app.layout = layout(explorer)
    e = explorer

    @app.callback(
        Output("run", "options"),
        Input("refresh", "n_clicks"),
        Input("wi-result", "children"),
        prevent_initial_call=True,
    )
    def _refresh(_n: int | None, _result: Any) -> list[dict[str, str]]:
        return e.run_options()

    @app.callback(
        Output("run-stamp", "data"),
        Input("run-poll", "n_intervals"),
        Input("run", "value"),
        State("run-stamp", "data"),
    )
    def _stamp(_n: int | None, run_dir: str | None, old: dict | None) -> Any:
        return e.run_stamp(run_dir, old)

    @app.callback(
        Output("run-status", "children"),
        Output("baseline", "options"),
        Output("baseline", "value"),
        Output("scenarios", "options"),
        Output("scenarios", "value"),
        Output("metric", "options"),
        Output("metric", "value"),
        Output("window", "min"),
        Output("window", "max"),
        Output("window", "value"),
        Output("window", "marks"),
        Output("group-kind", "options"),
        Output("group-kind", "value"),
        Output("group-metric", "options"),
        Output("group-metric", "value"),
        Input("run-stamp", "data"),
        State("run", "value"),
        State("baseline", "value"),
        State("scenarios", "value"),
        State("metric", "value"),
        State("window", "value"),
        State("group-kind", "value"),
        State("group-metric", "value"),
    )
    def _on_run(stamp: dict | None, run_dir: str | None, *keep: Any) -> tuple[Any, ...]:
        # A folder chosen afresh gets its defaults; one that changed on disk keeps the choices.
        return e.on_run(run_dir) if not stamp or stamp.get("fresh") else e.on_run(run_dir, *keep)

    app.callback(
        Output("effects", "children"),
        Output("timeseries", "figure"),
        Output("difference", "figure"),
        Input("run", "value"),
        Input("baseline", "value"),
        Input("scenarios", "value"),
        Input("metric", "value"),
        Input("window", "value"),
        Input("run-stamp", "data"),
    )(
        lambda run_dir, baseline, scenarios, metric, window, _stamp: e.on_selection(
            run_dir, baseline, scenarios, metric, window
        )
    )

    app.callback(
        Output("groups", "children"),
        Output("groups-figure", "figure"),
        Input("run", "value"),
        Input("baseline", "value"),
        Input("scenarios", "value"),
        Input("window", "value"),
        Input("group-kind", "value"),
        Input("group-metric", "value"),
        Input("run-stamp", "data"),
    )(
        lambda run_dir, baseline, scenarios, window, kind, gm, _stamp: e.on_groups(
            run_dir, baseline, scenarios, window, kind, gm
        )
    )

    app.callback(
        Output("wi-policies", "options"),
        Output("wi-policies", "value"),
        Output({"type": "wi-param", "name": ALL}, "value"),
        Output("wi-name", "value"),
        Output("wi-path", "value"),
        Output("wi-problems", "children", allow_duplicate=True),
        Input("wi-parent", "value"),
        prevent_initial_call="initial_duplicate",
    )(e.on_parent)

    form = [
        State("wi-parent", "value"),
        State("wi-name", "value"),
        State("wi-policies", "value"),
        State({"type": "wi-param", "name": ALL}, "value"),
    ]
    app.callback(
        Output("wi-problems", "children"),
        Input("wi-run", "n_clicks"),
        *form,
        State("wi-students", "value"),
        State("wi-seeds", "value"),
        State("wi-months", "value"),
        prevent_initial_call=True,
    )(lambda _n, *args: e.on_run_click(*args))

    app.callback(
        Output("wi-progress", "value"),
        Output("wi-progress", "max"),
        Output("wi-status", "children"),
        Output("wi-run", "children"),
        Output("wi-result", "children"),
        Input("wi-poll", "n_intervals"),
    )(lambda _n: e.on_poll())

    app.callback(
        Output("wi-saved", "children"),
        Input("wi-save", "n_clicks"),
        *form,
        State("wi-path", "value"),
        prevent_initial_call=True,
    )(lambda _n, *args: e.on_save(*args))
    return app


# ==================================================================== serving


class _QuietHandler(WSGIRequestHandler):
    """No line per request (the page polls); errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make_server_for(app: Dash, port: int = 0) -> BaseWSGIServer:
    """A threaded WSGI server for the app on 127.0.0.1 (``port`` 0: a free port).

    Raises:
        OSError: When the port is taken.
    """
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return make_server(HOST, port, app.server, threaded=True, request_handler=_QuietHandler)
    except SystemExit:  # werkzeug prints why it cannot listen, then exits
        raise OSError(" ".join(said.getvalue().split()) or "cannot listen") from None


def address(server: BaseWSGIServer) -> str:
    """The page's address."""
    return f"http://{HOST}:{server.server_port}/"


def serve(
    runs: Sequence[Path | str] = (),
    *,
    port: int = 8050,
    open_browser: bool = True,
    whatif_root: Path | str = whatif.WHATIF_ROOT,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the page until interrupted (Ctrl-C).

    Args:
        runs: Run folders to list first.
        port: Port on 127.0.0.1 (0: any free port).
        open_browser: Open the page in the default web browser.
        whatif_root: Where what-if runs are written.
        announce: Receives the line that gives the address.
    """
    explorer = Explorer(runs=list(runs), whatif_root=Path(whatif_root))
    server = make_server_for(create_app(explorer), port)
    url = address(server)
    announce(f"hiresim explore: {url}  (Ctrl-C stops it)")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        assert explorer.job is not None
        explorer.job.cancel()
        explorer.job.wait(30)
        server.server_close()
