"""Calibration: refused parameters, scaling, a tiny fit that never ends worse, resuming after an
interruption, the file and CLI."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.calibrate import (
    DEFAULT_PARAMS,
    CalibrationError,
    Evaluation,
    calibrate,
    check_fit_params,
    write_scenario,
)
from sim.analysis.targets import calibrated_targets
from sim.cli.main import app
from sim.experiments.runner import Engine, Progress
from sim.experiments.store import read_table
from sim.experiments.sweep import Scale
from sim.inputs.params import REGISTRY
from sim.inputs.scenario import load_scenario

TINY = {"students": 300, "months": 12}
IN_PROCESS = Engine(workers=1, progress=Progress(mode="quiet"))


@pytest.fixture(scope="module")
def tiny_baseline():
    return load_scenario("baseline").with_run(burn_in_months=12)


def test_defaults_are_assumptions_and_other_kinds_are_refused() -> None:
    assert [p.name for p in check_fit_params(DEFAULT_PARAMS)] == list(DEFAULT_PARAMS)
    with pytest.raises(CalibrationError) as err:
        check_fit_params(
            [
                "universities.credit_bearing_share",  # report (U1)
                "employers.separation_rate",  # literature
                "employers.premium_enabled",  # boolean
                "nope.nothing",
                "learning.mc_start_hazard",
                "learning.mc_start_hazard",
            ]
        )
    text = str(err.value)
    assert "universities.credit_bearing_share: refused" in text and "U1" in text
    assert "employers.separation_rate: refused" in text and "literature" in text
    assert "bool parameter cannot be fitted" in text
    assert "nope.nothing: unknown parameter" in text
    assert "given twice" in text
    with pytest.raises(CalibrationError):
        check_fit_params([])


def test_scaling_round_trips_within_registry_ranges() -> None:
    hazard = Scale(REGISTRY["learning.mc_start_hazard"])  # [0, 0.5], linear
    assert not hazard.log
    assert hazard.to_unit(0.25) == pytest.approx(0.5)
    assert hazard.from_unit(0.5) == 0.25
    assert hazard.from_unit(-1.0) == 0.0 and hazard.from_unit(2.0) == 0.5
    size = Scale(REGISTRY["employers.students_per_employer"])  # [5, 10000], log, int
    assert size.log
    assert size.from_unit(size.to_unit(15)) == 15
    assert isinstance(size.from_unit(0.37), int)
    assert size.from_unit(0.0) == 5 and size.from_unit(1.0) == 10000
    # Floats keep six significant digits, so the file holds exactly what was simulated.
    assert hazard.from_unit(1 / 3) == float(f"{0.5 / 3:.6g}")


def test_an_interrupted_calibration_resumes_to_the_same_result(tiny_baseline, tmp_path) -> None:
    fit = ["learning.mc_start_hazard", "employers.jobs_per_labour_force"]
    kwargs = {"budget": 5, "seeds": 2, **TINY}
    with Engine(workers=2, progress=Progress(mode="quiet")) as pool:
        whole = calibrate(tiny_baseline, fit, out=tmp_path / "whole", engine=pool, **kwargs)

    def crash_after_two(ev: Evaluation, best: Evaluation, budget: int) -> None:
        if ev.number == 2:
            raise KeyboardInterrupt  # Ctrl-C after the second evaluation's runs are on disk

    folder = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt), Engine(workers=1) as engine:
        calibrate(tiny_baseline, fit, out=folder, engine=engine, progress=crash_after_two,
                  **kwargs)  # fmt: skip
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    on_disk = {t["scenario"] for t in manifest["tasks"] if t["status"] == "done"}
    assert len(on_disk) == 2  # two evaluations' candidates, two seeds each

    again = calibrate(tiny_baseline, fit, out=folder, engine=IN_PROCESS, **kwargs)
    # The first two evaluations are read from the folder; only the rest are run.
    assert [ev.ran for ev in again.history[:2]] == [0, 0]
    assert all(ev.ran == 2 for ev in again.history[2:] if math.isfinite(ev.objective))
    assert again.ran == whole.ran - 4
    # The same search, to the last digit, as the uninterrupted run (on 2 worker processes).
    assert [(ev.values, ev.objective) for ev in again.history] == [
        (ev.values, ev.objective) for ev in whole.history
    ]
    assert again.best.number == whole.best.number and again.message == whole.message
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "done"
    assert manifest["calibration"]["params"] == fit
    assert manifest["summary"]["done"] == 2 * len(
        {ev.number for ev in whole.history if math.isfinite(ev.objective)}
    )
    # The folder reads as any run folder: one scenario per evaluation run, on the common seeds.
    metrics = read_table(folder)
    assert set(metrics.column("scenario").to_pylist()) == on_disk | {
        t["scenario"] for t in manifest["tasks"]
    }
    assert set(metrics.column("seed").to_pylist()) == set(again.seeds)


def test_tiny_fit_never_ends_worse_and_the_file_loads(tiny_baseline, tmp_path: Path) -> None:
    seen = []
    result = calibrate(
        tiny_baseline,
        ["learning.mc_start_hazard", "learning.genai_choice_conversion"],
        budget=6,
        seeds=2,
        engine=IN_PROCESS,
        out=tmp_path / "run",
        progress=lambda ev, best, budget: seen.append((ev.number, ev.objective, best.objective)),
        **TINY,
    )
    assert 2 <= len(result.history) <= 6 and len(seen) == len(result.history)
    assert result.start.values == {
        name: tiny_baseline.value(name)
        for name in ("learning.mc_start_hazard", "learning.genai_choice_conversion")
    }
    assert math.isfinite(result.start.objective)
    assert result.best.objective <= result.start.objective
    assert result.best.objective == min(ev.objective for ev in result.history)
    assert [s[2] for s in seen] == sorted((s[2] for s in seen), reverse=True)
    assert result.seeds == (1001, 1002)
    assert len(result.best.checks) == len(calibrated_targets())

    out = write_scenario(result, tmp_path / "baseline_calibrated.toml", command="hiresim calibrate")
    text = out.read_text()
    doc = tomllib.loads(text)
    assert doc["name"] == "baseline_calibrated"
    assert doc["extends"] == "baseline"
    assert set(doc["params"]) == set(result.fitted)
    loaded = load_scenario(out)
    assert loaded.chain == ("baseline_calibrated", "baseline")
    for name, value in result.fitted.items():
        assert loaded.value(name) == value
    assert "# Calibrated by simulated method of moments on" in text
    assert f"start {result.start.objective:.4f} -> fitted {result.best.objective:.4f}" in text
    for t in calibrated_targets():
        assert f"#   {t.name}" in text


def test_settings_are_checked(tiny_baseline, tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="too short"):
        calibrate(tiny_baseline, budget=3, seeds=1, students=300, months=6, out=tmp_path)
    with pytest.raises(CalibrationError, match="budget"):
        calibrate(tiny_baseline, budget=1, seeds=1, out=tmp_path, **TINY)
    with pytest.raises(CalibrationError, match="method"):
        calibrate(tiny_baseline, budget=3, seeds=1, method="bfgs", out=tmp_path, **TINY)


def test_cli_calibrate_writes_a_loadable_scenario(tmp_path: Path) -> None:
    out = tmp_path / "fit.toml"
    args = ["calibrate", "--params", "learning.mc_start_hazard", "--budget", "3", "--seeds", "1"]
    args += ["--students", "200", "--workers", "1", "--write", str(out)]
    folder = tmp_path / "runs"
    result = CliRunner().invoke(app, [*args, "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert "evaluation   1/3" in result.output and "calibrated targets pass" in result.output
    assert load_scenario(out).name == "fit"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["command"][:2] == ["hiresim", "calibrate"] and "--write" in manifest["command"]
    again = CliRunner().invoke(app, [*args, "--out", str(folder)])
    assert again.exit_code == 0, again.output
    assert "evaluation   1/3" in again.output and "(from the run folder)" in again.output
    assert "(0 run now)" in again.output
    history = json.loads((folder / "manifest.json").read_text())["history"]
    assert len(history) == 1 and history[0]["summary"]["done"] == 3  # one entry per command
    old_style = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "fit.toml")])
    assert old_style.exit_code == 2 and "--out is the run folder" in old_style.output
    refused = CliRunner().invoke(
        app, ["calibrate", "--params", "universities.credit_bearing_share"]
    )
    assert refused.exit_code == 2
    assert "only `assumption` parameters are fitted" in refused.output


def test_shipped_calibrated_scenario_fits_assumptions_only() -> None:
    calibrated = load_scenario("baseline_calibrated")
    assert calibrated.chain == ("baseline_calibrated", "baseline")
    fitted = [name for name, origin in calibrated.origins if origin == "baseline_calibrated"]
    assert fitted and check_fit_params(fitted)  # every fitted parameter may be fitted


def test_bracket_scenarios_cover_every_behavioural_conversion() -> None:
    conversions = [n for n in REGISTRY if n.endswith("_conversion")]
    levers = {
        "universities.mc_offer_plan_conversion",
        "universities.credit_bearing_plan_conversion",
    }
    face, low, base = (load_scenario(n) for n in ("face_value", "discounted", "baseline"))
    for name in conversions:
        if name in levers:  # policy levers: held at the baseline's value in both brackets
            assert face.value(name) == low.value(name) == base.value(name)
            continue
        assert face.value(name) == 1.0
        assert 0.05 <= low.value(name) <= 0.3
        assert low.value(name) < base.value(name)
