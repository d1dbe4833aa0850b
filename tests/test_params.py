"""The parameter registry: full provenance, consistent defaults, every report figure used."""

from __future__ import annotations

import re

import pytest

from sim.inputs.params import REGISTRY, SOURCE_KINDS, TARGETS, Param, cross_check, defaults
from sim.observe.metrics import METRIC_NAMES

EVIDENCE_IDS = (
    "S1",
    "S2",
    "S3",
    "E1",
    "E2",
    "U1",
    "L1",
    "L2",
    "L3",
    "G1",
    "G2",
    "G3",
    "G4",
    "H1",
    "B1",
    "B2",
    "B3",
)
"""The report figures of docs/evidence.md section A."""

PARAMS = list(REGISTRY.values())
REPORT_PARAMS = [p for p in PARAMS if p.source_kind == "report"]


def _ids(p: Param) -> str:
    return p.name


@pytest.mark.parametrize("param", PARAMS, ids=_ids)
def test_every_field_is_filled(param: Param) -> None:
    assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", param.name)
    for text in (param.unit, param.description, param.source, param.label):
        assert text.strip(), f"{param.name}: an empty text field"
    assert param.source_kind in SOURCE_KINDS
    assert param.kind in (bool, int, float, str)
    if param.kind in (int, float):
        assert param.range is not None and param.range[0] <= param.range[1]
    elif param.kind is str:
        assert param.choices
    else:
        assert param.range is None


@pytest.mark.parametrize("param", PARAMS, ids=_ids)
def test_default_passes_its_own_check(param: Param) -> None:
    assert param.check(param.default) is None
    assert type(param.coerce(param.default)) is param.kind


def test_defaults_pass_the_cross_checks() -> None:
    assert cross_check(defaults()) == []


@pytest.mark.parametrize("param", REPORT_PARAMS, ids=_ids)
def test_report_params_name_an_evidence_id(param: Param) -> None:
    assert param.evidence_id in EVIDENCE_IDS, param.source


@pytest.mark.parametrize("evidence_id", EVIDENCE_IDS)
def test_every_report_figure_is_a_param_or_a_target(evidence_id: str) -> None:
    cited = {p.evidence_id for p in PARAMS} | {t.source.split(" ", 1)[0] for t in TARGETS}
    assert evidence_id in cited


def test_targets_are_well_formed() -> None:
    assert len({t.name for t in TARGETS}) == len(TARGETS)
    for t in TARGETS:
        assert t.source.strip() and t.tolerance >= 0
        assert t.window[0] <= t.window[1]
        if t.status == "calibrated":
            assert t.metric in METRIC_NAMES, f"{t.name}: unknown metric {t.metric!r}"
        else:
            assert t.note, f"{t.name}: a reference target says why it is not fitted"


def test_check_rejects_wrong_types_and_bounds() -> None:
    share = REGISTRY["employers.premium_share"]
    months = REGISTRY["students.program_months"]
    flag = REGISTRY["employers.premium_enabled"]
    assert share.check(True) is not None  # a bool is not a number
    assert share.check("0.5") is not None
    assert share.check(float("nan")) is not None
    assert share.check(1.5) == "out of range [0, 1]"
    assert months.check(48.5) is not None
    assert months.check(48.0) is None and months.coerce(48.0) == 48
    assert flag.check(1) is not None


def test_check_survives_integers_too_large_for_a_float() -> None:
    # TOML integers are unbounded in tomllib; float() of one used to raise OverflowError.
    assert REGISTRY["students.program_months"].check(10**400) is not None
    assert REGISTRY["employers.premium_share"].check(-(10**400)) is not None
