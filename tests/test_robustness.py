"""``hiresim robustness``: paired effects over a design, PRIM discovery, resume, refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis import robustness
from sim.experiments import store
from sim.experiments.sweep import Scale
from sim.inputs.params import REGISTRY
from sim.inputs.scenario import load_scenario
from tests.test_cli_run import _start, _wait_for, invoke

BASE = """\
name = "tiny"
description = "A tiny population for robustness tests."

[run]
months = 24
students = 2000
seeds = 2
burn_in_months = 12
"""
SAME = """\
name = "same"
description = "tiny under another name: a policy identical to its baseline."
extends = "tiny"
"""
POLICY = """\
name = "tinypol"
description = "tiny, with credit-bearing MCs phased in over the first year."
extends = "tiny"

[[policy]]
param = "universities.credit_bearing_plan_conversion"
start = 1
end = 12
value = 1.0
"""
PARAMS = "employers.premium_conversion=0.2:0.9,learning.interest_conversion"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    for name, text in (("tiny", BASE), ("same", SAME), ("tinypol", POLICY)):
        (folder / f"{name}.toml").write_text(text)
    return folder


# -------------------------------------------------------------------- scenario discovery


def test_prim_finds_a_threshold_on_one_dimension() -> None:
    rng = np.random.default_rng(3)
    grid = np.repeat(np.linspace(0.0, 1.0, 21), 8)  # step 0.05
    x = np.column_stack([grid, rng.random(grid.size), rng.random(grid.size)])
    box = robustness.prim(x, x[:, 0] < 0.4)
    assert box is not None
    assert box.restricted == (0,)
    assert abs(box.upper[0] - 0.4) <= 0.05
    assert box.coverage == 1.0 and box.density == 1.0


def test_prim_finds_nothing_to_describe_when_the_condition_is_everywhere_or_nowhere() -> None:
    x = np.random.default_rng(0).random((20, 2))
    assert robustness.prim(x, np.ones(20, bool)) is None
    assert robustness.prim(x, np.zeros(20, bool)) is None


def _synthetic_points(effect_of: dict[str, np.ndarray], effect: np.ndarray) -> pa.Table:
    names = list(effect_of)
    params = []
    for n in names:
        p = REGISTRY[n]
        assert p.range is not None
        params.append(
            {
                "name": n,
                "unit": p.unit,
                "source_kind": p.source_kind,
                "source": p.source,
                "default": p.default,
                "range": list(p.range),
                "log": Scale(p).log,
            }
        )
    rows = {"point": np.arange(1, effect.size + 1)} | effect_of
    rows |= {
        "metric": ["mean_starting_salary"] * effect.size,
        "unit": ["USD per year"] * effect.size,
    }
    rows |= {"effect": effect, "ci_low": effect - 1.0, "ci_high": effect + 1.0}
    meta = {
        "policy": "p",
        "baseline": "b",
        "design": "lhs",
        "samples": int(effect.size),
        "design_seed": 0,
        "students": 2000,
        "parameters": params,
        "metrics": ["mean_starting_salary"],
        "window": [1, 12],
    }
    return pa.table(rows).replace_schema_metadata({robustness.META_KEY: json.dumps(meta)})


def test_discovery_names_the_threshold_parameter_with_its_unit_source_and_bound() -> None:
    rng = np.random.default_rng(7)
    step = 0.05
    premium = np.repeat(np.arange(0.0, 1.0 + 1e-9, step), 6)
    strength = 0.1 * (1000 / 0.1) ** rng.random(premium.size)  # log-scaled in the registry
    interest = rng.random(premium.size)
    effect = np.where(premium < 1 / 3, -500.0, 800.0) + rng.normal(0, 50, premium.size)
    points = _synthetic_points(
        {
            "employers.prior_strength": strength,
            "employers.premium_conversion": premium,
            "learning.interest_conversion": interest,
        },
        effect,
    )
    [item] = robustness.summarise(points)
    box = item["discovery"]["box"]
    assert [r["parameter"] for r in box["restrictions"]] == ["employers.premium_conversion"]
    [r] = box["restrictions"]
    assert r["low"] is None and abs(r["high"] - 1 / 3) <= step
    assert (r["unit"], r["source_kind"]) == ("share", "assumption")
    assert box["coverage"] == 1.0 and box["density"] == 1.0
    assert item["influence"][0][0] == "employers.premium_conversion"
    assert item["below"] == pytest.approx(np.mean(effect + 1.0 < 0))
    text = robustness.format_summary(points, [item], "table")
    assert "employers.premium_conversion" in text and "coverage 100%, density 100%" in text


def test_conditions_parse_in_the_metric_unit() -> None:
    c = robustness.parse_condition("ci_high<-0.5pp", "mc_holder_share")
    assert (c.column, c.op, c.threshold) == ("ci_high", "<", -0.005)
    assert robustness.parse_condition("effect >= 500", "mean_starting_salary").threshold == 500
    for bad, metric in (
        ("effect ~ 0", "mc_holder_share"),
        ("effect < 1pp", "mean_starting_salary"),
    ):
        with pytest.raises(robustness.RobustnessError):
            robustness.parse_condition(bad, metric)


def test_levers_are_not_varied_by_default(scenarios: Path) -> None:
    policy, base = load_scenario(scenarios / "tinypol.toml"), load_scenario(scenarios / "tiny.toml")
    names = {p.name for p in robustness.default_params(policy, base)}
    assert "universities.credit_bearing_plan_conversion" not in names
    assert {"employers.premium_conversion", "students.enrolment_conversion"} <= names
    assert all(REGISTRY[n].source_kind == "assumption" for n in names)
    # Measured reference levels are settings, the expectation weight an uncertain behaviour.
    assert "students.reference_mc_premium" not in names
    assert "students.expectation_weight" in names
    conversions = robustness.select_params(["*_conversion"], policy, base)
    assert "students.enrolment_conversion" in {p.name for p in conversions}
    assert all(p.name.endswith("_conversion") for p in conversions)
    assert "universities.credit_bearing_plan_conversion" not in {p.name for p in conversions}


# -------------------------------------------------------------------- the command


def _robustness(scenarios: Path, policy: str, out: Path, *extra: object) -> object:
    return invoke(
        "robustness", scenarios / f"{policy}.toml", "--baseline", scenarios / "tiny.toml",
        "-m", "mean_starting_salary", "-m", "mc_holder_share", "--params", PARAMS,
        "--samples", 3, "--out", out, "--workers", 1, *extra,
    )  # fmt: skip


def test_a_policy_identical_to_its_baseline_has_zero_effect_everywhere(
    scenarios: Path, tmp_path: Path
) -> None:
    out = tmp_path / "same"
    result = _robustness(scenarios, "same", out, "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    points = pq.read_table(out / robustness.POINTS_FILE)
    assert points.num_rows == 3 * 2
    for column in ("effect", "ci_low", "ci_high"):
        assert points.column(column).to_pylist() == [0.0] * 6
    assert set(points.column("n_seeds").to_pylist()) == {2}
    assert all(0.2 <= v <= 0.9 for v in points.column("employers.premium_conversion").to_pylist())
    summary = json.loads(result.stdout)["metrics"]
    assert [s["includes"] for s in summary] == [1.0, 1.0]
    assert all(s["discovery"]["holds"] == 0 for s in summary)
    for kind in ("distribution", "parameters"):
        image = robustness.figure_path(out, kind, "mean_starting_salary")
        assert image.exists() and image.with_suffix(".csv").exists()
    assert invoke("report", out).exit_code == 0
    html = (out / "report.html").read_text()
    assert "<h2>Robustness</h2>" in html and "employers.premium_conversion" in html


def test_a_killed_study_resumes_without_rerunning_finished_points(
    scenarios: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = [
        "robustness",
        str(scenarios / "tinypol.toml"),
        "--baseline",
        str(scenarios / "tiny.toml"),
    ]
    args += ["-m", "mean_starting_salary", "--params", PARAMS, "--samples", "3"]
    args += ["--out", str(out), "--workers", "1"]
    proc = _start(args, tmp_path)
    parts = lambda: sorted((out / "metrics").glob("*/*/*.parquet"))  # noqa: E731
    _wait_for(lambda: len(parts()) >= 3, proc)
    proc.kill()
    proc.communicate()
    before = {p: p.stat().st_mtime_ns for p in parts()}
    assert 3 <= len(before) < 12

    result = invoke(*args[:1], *args[1:])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} of 12 tasks already done; running the other" in result.stderr
    assert {p: p.stat().st_mtime_ns for p in before} == before  # finished runs were not redone
    assert store.read_manifest(out)["summary"]["done"] == 12
    points = pq.read_table(out / robustness.POINTS_FILE)
    assert points.num_rows == 3 and all(
        math.isfinite(e) for e in points.column("effect").to_pylist()
    )


def test_bad_params_exit_2_listing_every_problem(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad"
    result = invoke(
        "robustness", scenarios / "tinypol.toml", "--baseline", scenarios / "tiny.toml",
        "-m", "mean_starting_salary", "--out", out, "--params",
        "employers.premium_conversoin,universities.mc_offer_share,"
        "universities.credit_bearing_plan_conversion,learning.interest_conversion=0.5:2",
        "--seeds", 1,
    )  # fmt: skip
    assert result.exit_code == 2
    err = result.stderr
    assert "did you mean 'employers.premium_conversion'" in err
    assert "universities.mc_offer_share: refused, its value is a literature figure" in err
    assert "universities.credit_bearing_plan_conversion: refused, it is what the policy" in err
    assert "learning.interest_conversion=0.5:2: out of range [0, 1]" in err
    assert "--seeds: at least 2 seeds" in err
    assert "5 problems found; nothing was run." in err
    assert "Traceback" not in result.output and not out.exists()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 60),
    k=st.integers(1, 4),
    share=st.floats(0.05, 0.95),
)
def test_a_prim_box_reports_its_own_coverage_and_density(
    seed: int, n: int, k: int, share: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random((n, k))
    y = rng.random(n) < share
    box = robustness.prim(x, y)
    if y.all() or not y.any():
        assert box is None
        return
    assert box is not None
    inside = np.all((x >= np.array(box.lower)) & (x <= np.array(box.upper)), axis=1)
    assert box.n_in == inside.sum() >= 1
    assert box.density == pytest.approx(y[inside].mean())
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum())
    assert all(box.quasi_p[j] <= robustness.MAX_QUASI_P for j in box.restricted)
