"""Morris screening: the design, exact effects of known functions, the model, output and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.sensitivity import (
    LEVELS,
    SensitivityError,
    elementary_effects,
    format_result,
    morris,
    morris_trajectories,
    plot_result,
)
from sim.cli.main import app
from sim.experiments import store
from sim.experiments.runner import Engine, Progress
from sim.inputs.scenario import load_scenario

TINY = {
    "students": 200,
    "months": 12,
    "window_months": 6,
    "engine": Engine(workers=1, progress=Progress(mode="quiet")),
}
HAZARD, GENAI = "learning.mc_start_hazard", "learning.genai_choice_conversion"


@pytest.fixture(scope="module")
def tiny_baseline():
    return load_scenario("baseline").with_run(burn_in_months=12)


def test_each_step_moves_one_parameter_by_delta_on_the_grid() -> None:
    k, r = 5, 6
    points, order, step = morris_trajectories(k, r, np.random.default_rng(3))
    delta = LEVELS / (2 * (LEVELS - 1))
    grid = np.arange(LEVELS) / (LEVELS - 1)
    assert points.shape == (r, k + 1, k)
    assert np.all((points >= 0) & (points <= 1))
    assert np.all(np.isclose(points[..., None], grid).any(axis=-1))
    for t in range(r):
        assert sorted(order[t]) == list(range(k))
        for j, i in enumerate(order[t]):
            moved = points[t, j + 1] - points[t, j]
            assert np.count_nonzero(moved) == 1
            assert moved[i] == pytest.approx(step[t, i])
            assert abs(step[t, i]) == pytest.approx(delta)


def test_effects_of_known_functions() -> None:
    k, r = 3, 5
    points, order, step = morris_trajectories(k, r, np.random.default_rng(0))
    slopes = np.array([2.0, -0.5, 0.0])
    linear = points @ slopes
    ee = elementary_effects(linear, order, step)
    assert np.allclose(ee, slopes)  # every EE of a linear function is its slope
    interaction = points[..., 0] * points[..., 1]
    ee = elementary_effects(interaction, order, step)
    assert np.allclose(ee[:, 2], 0.0)
    assert ee[:, 0].std() > 0  # the slope in x0 depends on x1: sigma flags it


def test_model_screen_finds_what_moves_the_holder_share(tiny_baseline, tmp_path: Path) -> None:
    result = morris(
        tiny_baseline,
        "mc_holder_share",
        [HAZARD, GENAI],
        trajectories=2,
        seeds=1,
        out=tmp_path,
        **TINY,
    )
    rows = {r["parameter"]: r for r in result.rows()}
    assert rows[HAZARD]["rank"] == 1 and rows[HAZARD]["mu_star"] > 0
    # The GenAI choice sets an MC's kind, not whether one is held: with common random numbers
    # its effect on the holder share is exactly zero.
    assert rows[GENAI]["mu_star"] == 0.0
    assert result.effects.shape == (2, 2) and result.outputs.shape == (2, 3)
    assert result.window == (7, 12)


def test_a_policy_against_itself_has_no_effect(tiny_baseline, tmp_path: Path) -> None:
    result = morris(
        tiny_baseline,
        "recent_grad_unemployment_rate",
        [HAZARD],
        baseline=tiny_baseline,
        trajectories=2,
        seeds=2,
        out=tmp_path,
        **TINY,
    )
    assert np.all(result.outputs == 0.0) and np.all(result.effects == 0.0)
    assert "paired by seed" in result.note()


def test_refusals(tiny_baseline) -> None:
    with pytest.raises(SensitivityError, match="refused"):
        morris(tiny_baseline, "mc_holder_share", ["universities.credit_bearing_share"], **TINY)
    with pytest.raises(SensitivityError, match="sum to 1"):
        morris(tiny_baseline, "mc_holder_share", ["students.share_business"], **TINY)
    with pytest.raises(SensitivityError, match="unknown metric"):
        morris(tiny_baseline, "nope", [HAZARD], **TINY)


def test_outputs_and_cli(tiny_baseline, tmp_path: Path) -> None:
    result = morris(
        tiny_baseline, "mc_holder_share", [HAZARD, GENAI], trajectories=2, out=tmp_path, **TINY
    )
    text = format_result(result, "table")
    assert HAZARD in text and "mu* (pp)" in text
    assert format_result(result, "markdown").startswith("| rank |")
    data = json.loads(format_result(result, "json"))
    assert [r["rank"] for r in data["rows"]] == [1, 2]
    png = plot_result(result, tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.with_suffix(".csv").read_text().startswith("parameter,")

    out = tmp_path / "cli.png"
    args = ["sensitivity", "baseline", "--metric", "mc_holder_share", "--params", HAZARD]
    args += ["--samples", "2", "--seeds", "1", "--students", "200", "--months", "12"]
    args += ["--workers", "1", "--plot", str(out), "--out", str(tmp_path / "cli")]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    assert HAZARD in run.output and out.exists()
    assert store.read_manifest(tmp_path / "cli")["sensitivity"]["params"] == [HAZARD]
    old_style = CliRunner().invoke(app, [*args[:-2], "--out", str(tmp_path / "x.png")])
    assert old_style.exit_code == 2 and "--plot" in old_style.output
    bad = CliRunner().invoke(app, ["sensitivity", "baseline", "-m", "x", "--method", "sobol"])
    assert bad.exit_code == 2


def _metric_files(out: Path) -> int:
    return len(list((out / "metrics").glob("*/*/*.parquet")))


def test_a_killed_screen_resumes_to_the_same_result(tmp_path: Path) -> None:
    # The shipped pair with 12 burn-in months instead of 60 (as tiny_baseline): 12 runs of 24
    # months, not 72.
    for name, parent in (("policy", "full_blueprint"), ("base", "baseline")):
        (tmp_path / f"{name}.toml").write_text(
            f'name = "{name}"\ndescription = "{parent}, shorter burn-in."\n'
            f'extends = "{parent}"\n[run]\nburn_in_months = 12\n'
        )
    args = [
        "sensitivity",
        str(tmp_path / "policy.toml"),
        "--effect-vs",
        str(tmp_path / "base.toml"),
    ]
    args += ["-m", "mc_holder_share"]
    args += ["--params", f"{HAZARD},{GENAI}", "--samples", "2", "--seeds", "1"]
    args += ["--students", "200", "--months", "12", "--format", "json", "--workers", "1"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.main", *args, "--out", str(killed)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300  # only a hung run fails, not a loaded machine
    while _metric_files(killed) < 3:
        assert proc.poll() is None, "the screen ended before it could be killed"
        assert time.monotonic() < deadline, "the screen made no progress"
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    before = _metric_files(killed)  # 6 points x 2 scenarios x 1 seed = 12 runs in all
    assert 3 <= before < 12

    resumed = CliRunner().invoke(app, [*args, "--out", str(killed)])
    assert resumed.exit_code == 0, resumed.output
    assert f"{before} of 12 tasks already done; running the other {12 - before}" in resumed.stderr
    whole = CliRunner().invoke(app, [*args, "--out", str(clean)])
    assert whole.exit_code == 0, whole.output
    assert json.loads(resumed.stdout) == json.loads(whole.stdout)
    assert store.read_manifest(killed)["summary"]["done"] == 12
