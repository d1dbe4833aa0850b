"""Targets check: window means per seed, t-intervals, pass/fail bands, formats and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.targets import (
    calibrated_targets,
    check,
    check_run,
    distance,
    format_checks,
)
from sim.cli.main import app
from sim.inputs.params import TARGETS, TARGETS_BY_NAME, Target

CAL = calibrated_targets()


def _monthly(values_by_metric: dict[str, np.ndarray], months: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {"month": np.arange(1, months + 1, dtype=np.int32)}
    cols.update(values_by_metric)
    return cols


def _seed_columns(seed: int, months: int, shift: float = 0.0) -> dict[str, np.ndarray]:
    """Every calibrated metric at its target value (+ shift tolerances), noise +-0.1 tol by seed."""
    rng = np.random.default_rng(seed)
    cols = {}
    for t in CAL:
        level = t.value + shift * t.tolerance + rng.uniform(-0.1, 0.1) * t.tolerance
        values = np.full(months, level)
        values[t.window[1] :] = 99.0  # months outside the window must not count
        cols[t.metric] = values
    return _monthly(cols, months)


def _write_run(run_dir: Path, scenarios: dict[str, float], seeds=(1, 2, 3), months=24) -> Path:
    for name, shift in scenarios.items():
        for seed in seeds:
            folder = run_dir / "metrics" / f"scenario={name}" / f"seed={seed}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.table(_seed_columns(seed, months, shift)), folder / "part-0.parquet")
    (run_dir / "manifest.json").write_text(json.dumps({"students": 1234, "seeds": list(seeds)}))
    return run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # "baseline" sits on the targets; "off" is 2 tolerances above every target.
    return _write_run(tmp_path_factory.mktemp("targets") / "run", {"baseline": 0.0, "off": 2.0})


def test_registry_declares_the_issue_targets() -> None:
    names = {t.metric for t in CAL}
    assert {
        "employers_hiring_mc_share_12m",
        "credit_bearing_share_of_holders",
        "genai_mc_share",
        "mc_holder_share",
        "universities_credit_bearing_share",
        "recent_grad_unemployment_rate",
    } <= names
    for t in CAL:
        assert t.tolerance > 0 and t.window[0] <= t.window[1]


def test_mean_and_t_interval_across_seeds(run_dir: Path) -> None:
    result = check_run(run_dir, "baseline")
    assert result.seeds == (1, 2, 3) and result.students == 1234 and result.months == 24
    for c in result.checks:
        if c.target.status != "calibrated":
            continue
        v = np.array(c.values)
        assert v.size == 3
        lo, hi = stats.t.interval(0.95, 2, loc=v.mean(), scale=stats.sem(v))
        assert c.mean == pytest.approx(v.mean())
        assert (c.ci_low, c.ci_high) == (pytest.approx(lo), pytest.approx(hi))
        assert c.status == "pass"
        assert abs(c.error) < 0.2


def test_outside_the_band_fails_and_reference_targets_are_not_testable(run_dir: Path) -> None:
    result = check_run(run_dir, "off")
    by_status = {c.target.name: c.status for c in result.checks}
    for t in TARGETS:
        expected = "fail" if t.status == "calibrated" else "not testable"
        assert by_status[t.name] == expected
    assert len(result.failed) == len(CAL)
    # Every calibrated target is about 2 tolerances off: distance about 4 per target.
    assert distance(result.checks) == pytest.approx(4.0 * len(CAL), rel=0.15)


def test_band_edges_pass_and_a_short_run_has_no_data() -> None:
    t = Target("edge", 0.5, 0.1, "test", "mc_holder_share", window=(1, 3))
    table = pa.table(_monthly({"mc_holder_share": np.full(3, 0.6)}, 3))
    assert check(table, [t])[0].status == "pass"
    table = pa.table(_monthly({"mc_holder_share": np.full(3, 0.6001)}, 3))
    assert check(table, [t])[0].status == "fail"
    short = pa.table(_monthly({"mc_holder_share": np.full(2, 0.5)}, 2))
    c = check(short, [t])[0]
    assert c.status == "no data" and "2 months" in c.detail
    assert distance([c]) == math.inf


def test_formats_hold_every_target(run_dir: Path) -> None:
    checks = check_run(run_dir, "baseline").checks
    text = format_checks(checks, "table", "note line")
    for t in TARGETS:
        assert t.name in text
    assert "not testable" in text and "PASS" in text and "note line" in text
    assert f"{len(CAL)} of {len(CAL)} calibrated targets pass." in text
    md = format_checks(checks, "markdown")
    assert md.startswith("| target |") and TARGETS_BY_NAME["students_with_genai_mc"].source in md
    data = json.loads(format_checks(checks, "json"))
    assert data["summary"] == {"passed": len(CAL), "calibrated": len(CAL)}
    assert len(data["targets"]) == len(TARGETS)
    ref = next(r for r in data["targets"] if r["status"] == "not testable")
    assert ref["model_mean"] is None and ref["detail"]


def test_cli_exit_codes(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["targets", str(run_dir)])
    assert ok.exit_code == 0, ok.output
    assert "PASS" in ok.output
    failing = runner.invoke(app, ["targets", str(run_dir), "--scenario", "off"])
    assert failing.exit_code == 0 and "FAIL" in failing.output
    strict = runner.invoke(app, ["targets", str(run_dir), "--scenario", "off", "--strict"])
    assert strict.exit_code == 1
    strict_ok = runner.invoke(app, ["targets", str(run_dir), "--strict", "-f", "json"])
    calibrated = sum(t.status == "calibrated" for t in TARGETS)
    summary = json.loads(strict_ok.output)["summary"]
    assert strict_ok.exit_code == 0 and summary["passed"] == calibrated
    missing = runner.invoke(app, ["targets", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    unknown = runner.invoke(app, ["targets", str(run_dir), "--scenario", "nope"])
    assert unknown.exit_code == 2
