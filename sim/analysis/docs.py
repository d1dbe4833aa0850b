"""Parameter tables for people: ``docs/parameters.md`` and the ``hiresim params`` listings.

``docs/parameters.md`` is generated from the registry and the calibration targets
(:func:`render_parameters_md`); a test fails when the file on disk differs, so the document can
never drift from the code. The same records feed ``hiresim params`` in table, Markdown and JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sim.analysis.tables import markdown_table, text_table
from sim.inputs.params import REGISTRY, SOURCE_KINDS, TARGETS, Param, iter_params
from sim.inputs.scenario import Policy, RunSettings, Scenario

DOC_PATH = Path("docs") / "parameters.md"
"""Where ``hiresim docs`` writes, relative to the project root."""

RECORD_KEYS: tuple[str, ...] = (
    "name",
    "value",
    "unit",
    "range",
    "source_kind",
    "source",
    "description",
    "set_by",
    "policies",
)
"""Keys of each :func:`param_records` entry: the seven of the issue, then provenance."""

FORMATS: tuple[str, ...] = ("table", "markdown", "json")

_KIND_MEANING = {
    "report": "a figure of the Microcredentials Impact Report 2025 (evidence id first)",
    "derived": "computed from a published figure; the source says how",
    "literature": "a published study, survey or statistic outside the 2025 report",
    "assumption": "a modelling choice to sweep or calibrate, not a measured figure",
}


def format_value(value: object) -> str:
    """A parameter value for people: ``true``, ``0.51``, ``48``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def range_record(param: Param) -> list[Any]:
    """A parameter's allowed values for programs: ``[low, high]`` for a number (inclusive, as
    numbers of the parameter's type; None for an open bound), else the allowed values
    (``[false, true]``, ``["a", "b"]``)."""
    if param.choices is not None:
        return list(param.choices)
    if param.kind is bool:
        return [False, True]
    assert param.range is not None
    return [None if math.isinf(b) else param.kind(b) for b in param.range]


def param_records(scenario: Scenario) -> list[dict[str, Any]]:
    """One JSON-able record per parameter of ``scenario``, in registry order.

    Each has :data:`RECORD_KEYS`: ``value`` is the base value (before policies), ``range`` the
    allowed values (:func:`range_record`; the text tables show :meth:`Param.range_text`),
    ``set_by`` the scenario that set it (``default`` for the registry default) and ``policies``
    the changes during the run, each with the scenario that states it.
    """
    origins = dict(scenario.origins)
    policies = _policies_by_param(scenario)
    return [
        {
            "name": p.name,
            "value": scenario.value(p.name),
            "unit": p.unit,
            "range": range_record(p),
            "source_kind": p.source_kind,
            "source": p.source,
            "description": p.description,
            "set_by": origins.get(p.name, "default"),
            "policies": [
                {**asdict(policy), "set_by": origin} for policy, origin in policies.get(p.name, [])
            ],
        }
        for p in iter_params()
    ]


def _policies_by_param(scenario: Scenario) -> dict[str, list[tuple[Policy, str]]]:
    origins = scenario.policy_origins or (scenario.name,) * len(scenario.policies)
    out: dict[str, list[tuple[Policy, str]]] = {}
    for policy, origin in zip(scenario.policies, origins, strict=True):
        out.setdefault(policy.param, []).append((policy, origin))
    return out


def _policy_line(policy: Policy, origin: str) -> str:
    return f"{policy.describe()} [{origin}]"


def _header(scenario: Scenario) -> str:
    parts = [f"{scenario.name} (hash {scenario.hash[:12]})"]
    if len(scenario.chain) > 1:
        parts.append("extends " + " -> ".join(scenario.chain[1:]))
    if scenario.source:
        parts.append(f"file: {scenario.source}")
    return "; ".join(parts)


def render_params(scenario: Scenario, fmt: str = "table") -> str:
    """The parameters of one scenario as a text table, Markdown or JSON.

    Args:
        scenario: The resolved scenario.
        fmt: One of :data:`FORMATS`.

    Returns:
        The listing; text and Markdown end with the scenario's policies.
    """
    records = param_records(scenario)
    if fmt == "json":
        return json.dumps(records, indent=2) + "\n"
    policy_lines = [
        f"{p.param}: {_policy_line(p, origin)}"
        for p, origin in zip(
            scenario.policies,
            scenario.policy_origins or (scenario.name,) * len(scenario.policies),
            strict=True,
        )
    ]
    if fmt == "markdown":
        rows = [
            [
                f"`{r['name']}`",
                format_value(r["value"]),
                REGISTRY[r["name"]].range_text(),
                r["unit"],
                r["set_by"],
                r["source_kind"],
                r["description"],
                r["source"],
            ]
            for r in records
        ]
        head = ["Parameter", "Value", "Allowed", "Unit", "Set by", "Kind", "Description", "Source"]
        text = f"**{_header(scenario)}**\n\n{markdown_table(head, rows)}"
        if policy_lines:
            text += "\n**Policies**\n\n" + "".join(f"- {line}\n" for line in policy_lines)
        return text
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rows = [
        [
            r["name"],
            format_value(r["value"]),
            REGISTRY[r["name"]].range_text(),
            r["unit"],
            r["set_by"],
            r["source_kind"],
            r["source"],
        ]
        for r in records
    ]
    head = ["name", "value", "allowed", "unit", "set by", "kind", "source"]
    text = _header(scenario) + "\n\n" + text_table(head, rows)
    if policy_lines:
        text += "\npolicies:\n" + "".join(f"  {line}\n" for line in policy_lines)
    return text


def diff_records(a: Scenario, b: Scenario) -> list[dict[str, Any]]:
    """What differs between two scenarios, parameter by parameter, then run settings.

    A parameter differs when its base value or its policies differ. Each record has ``name``,
    ``a_value``, ``b_value``, ``a_set_by``, ``b_set_by``, ``a_policies`` and ``b_policies``
    (policies as one line each, with the scenario that states them).
    """
    pa, pb = _policies_by_param(a), _policies_by_param(b)
    oa, ob = dict(a.origins), dict(b.origins)
    out: list[dict[str, Any]] = []
    for name in REGISTRY:
        va, vb = a.value(name), b.value(name)
        la = [p for p, _ in pa.get(name, [])]
        lb = [p for p, _ in pb.get(name, [])]
        if va == vb and type(va) is type(vb) and la == lb:
            continue
        out.append(
            {
                "name": name,
                "a_value": va,
                "b_value": vb,
                "a_set_by": oa.get(name, "default"),
                "b_set_by": ob.get(name, "default"),
                "a_policies": [_policy_line(p, o) for p, o in pa.get(name, [])],
                "b_policies": [_policy_line(p, o) for p, o in pb.get(name, [])],
            }
        )
    for f in fields(RunSettings):
        va, vb = getattr(a.run, f.name), getattr(b.run, f.name)
        if va != vb:
            out.append(
                {
                    "name": f"run.{f.name}",
                    "a_value": va,
                    "b_value": vb,
                    "a_set_by": "run",
                    "b_set_by": "run",
                    "a_policies": [],
                    "b_policies": [],
                }
            )
    return out


def render_diff(a: Scenario, b: Scenario, fmt: str = "table") -> str:
    """:func:`diff_records` as a text table, Markdown or JSON."""
    records = diff_records(a, b)
    if fmt == "json":
        both = {"a": _header(a), "b": _header(b), "differences": records}
        return json.dumps(both, indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    intro = f"A: {_header(a)}\nB: {_header(b)}\n\n"
    if not records:
        return intro + "no differences in parameters, policies or run settings\n"

    def cell(r: dict[str, Any], side: str, sep: str) -> str:
        return sep.join([format_value(r[f"{side}_value"]), *r[f"{side}_policies"]])

    if fmt == "markdown":
        head = ["Parameter", f"A: {a.name}", "A set by", f"B: {b.name}", "B set by"]
        rows = [
            [
                f"`{r['name']}`",
                cell(r, "a", "<br>"),
                r["a_set_by"],
                cell(r, "b", "<br>"),
                r["b_set_by"],
            ]
            for r in records
        ]
        return intro + markdown_table(head, rows)
    head = ["name", f"A: {a.name}", "set by", f"B: {b.name}", "set by"]
    rows = [
        [
            r["name"],
            format_value(r["a_value"]),
            r["a_set_by"],
            format_value(r["b_value"]),
            r["b_set_by"],
        ]
        for r in records
    ]
    lines = text_table(head, rows).splitlines()
    # Policies go under their parameter's row, so a ramp is read next to its base value.
    out = lines[:2]
    for line, r in zip(lines[2:], records, strict=True):
        out.append(line)
        out.extend(f"    A policy: {p}" for p in r["a_policies"])
        out.extend(f"    B policy: {p}" for p in r["b_policies"])
    return intro + "\n".join(out) + "\n"


# ==================================================================== docs/parameters.md


def _evidence_index() -> dict[str, list[str]]:
    """Evidence id -> the parameters and targets citing it, in order of first citation."""
    index: dict[str, list[str]] = {}
    for p in iter_params():
        if p.evidence_id:
            index.setdefault(p.evidence_id, []).append(f"`{p.name}`")
    for t in TARGETS:
        head = t.source.split(" ", 1)[0]
        if len(head) >= 2 and head[0].isupper() and head[1:].isdigit():
            index.setdefault(head, []).append(f"target `{t.name}`")
    return index


def _param_row(p: Param) -> list[str]:
    return [
        f"`{p.name}`",
        format_value(p.default),
        p.range_text(),
        p.unit,
        p.source_kind,
        p.description,
        p.source,
    ]


def render_parameters_md() -> str:
    """The whole of ``docs/parameters.md``, from the registry and
    :data:`sim.inputs.params.TARGETS`."""
    params = list(iter_params())
    counts = {k: sum(p.source_kind == k for p in params) for k in SOURCE_KINDS}
    parts = [
        "# Parameters\n",
        "<!-- Generated by `hiresim docs` from sim/inputs/params.py; do not edit by hand. "
        "A test fails when this file is stale: run `hiresim docs` after changing the "
        "registry. -->\n",
        f"The model has {len(params)} parameters. Each is declared once in "
        "`sim/inputs/params.py` with "
        "its default, unit, allowed values and source. A scenario file sets any of them by dotted "
        "name under `[params]` or changes them during a run with `[[policy]]` entries (see "
        "docs/running.md). `hiresim params SCENARIO` lists a scenario's values; `--diff OTHER` "
        "compares two.\n",
        "Survey figures are *stated* attitudes. Where one drives behaviour, a separate "
        "`*_conversion` parameter says how much of it becomes behaviour, so it can be "
        "discounted or swept.\n",
        "## Kinds of source\n",
        markdown_table(
            ["Kind", "Parameters", "Meaning"],
            [[k, str(counts[k]), _KIND_MEANING[k]] for k in SOURCE_KINDS],
        ),
    ]
    head = ["Parameter", "Default", "Allowed", "Unit", "Kind", "Description", "Source"]
    groups: dict[str, list[Param]] = {}
    for p in params:
        groups.setdefault(p.group, []).append(p)
    for group, members in groups.items():
        parts.append(f"## {group}\n")
        parts.append(markdown_table(head, [_param_row(p) for p in members]))
    parts.append("## Calibration targets\n")
    parts.append(
        "Figures the model should reproduce rather than consume. `calibrated` targets are "
        "compared with the named monthly metric, averaged over the output months given; "
        "`reference` targets are recorded so that no report figure is silently dropped.\n"
    )
    parts.append(
        markdown_table(
            ["Target", "Value", "Tolerance", "Metric", "Months", "Status", "Source", "Note"],
            [
                [
                    f"`{t.name}`",
                    format_value(t.value),
                    format_value(t.tolerance),
                    f"`{t.metric}`" if t.metric else "",
                    f"{t.window[0]}-{t.window[1]}" if t.metric else "",
                    t.status,
                    t.source,
                    t.note,
                ]
                for t in TARGETS
            ],
        )
    )
    parts.append("## Evidence index\n")
    parts.append("Where each report figure of `docs/evidence.md` enters the model.\n")
    parts.append(
        markdown_table(
            ["Evidence id", "Used by"],
            [[eid, ", ".join(users)] for eid, users in _evidence_index().items()],
        )
    )
    return "\n".join(parts)


def write_parameters_md(path: Path = DOC_PATH) -> bool:
    """Write ``docs/parameters.md``; True when its content changed."""
    text = render_parameters_md()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def parameters_md_is_current(path: Path = DOC_PATH) -> bool:
    """Whether ``path`` holds exactly what :func:`render_parameters_md` gives."""
    return path.is_file() and path.read_text(encoding="utf-8") == render_parameters_md()
