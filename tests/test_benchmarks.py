"""The scale benchmark's quick mode runs end to end and writes its JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench  # scripts/test-matrix: the main leg only

ROOT = Path(__file__).resolve().parent.parent


def _scale(out: Path, *args: str) -> tuple[dict, str]:
    """Run ``python -m benchmarks.scale --quick ARGS --out OUT``; its JSON and printed output."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--quick", *args, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stdout


def test_scale_quick_writes_json(tmp_path: Path) -> None:
    result, stdout = _scale(tmp_path / "scale.json")
    assert {"settings", "machine", "sizes", "scaling", "mesa", "mesa_ratio", "sweep"} <= set(result)
    assert result["settings"]["quick"] is True
    assert [s["students"] for s in result["sizes"]] == list(result["settings"]["sizes"])
    for size in result["sizes"]:
        assert {
            "wall_seconds",
            "cpu_seconds",
            "student_steps_per_second",
            "peak_rss_mb",
            "months_stepped",
        } <= set(size)
    assert {"exponent_end_to_end", "time_ratio_smallest_to_largest"} <= set(result["scaling"])
    sizes = {str(s["students"]) for s in result["sizes"]}
    # The Mesa reference is measured at each size's own number of agents.
    assert set(result["mesa"]) == sizes
    assert all(m["agent_steps_per_second"] > 0 for m in result["mesa"].values())
    assert set(result["mesa_ratio"]) == sizes
    assert {"wall_seconds", "runs", "executor", "workers"} <= set(result["sweep"])
    assert "scaling exponent" in stdout


def test_scale_with_one_size_reports_no_scaling(tmp_path: Path) -> None:
    result, _ = _scale(tmp_path / "one.json", "--sizes", "10000", "--no-sweep")
    assert [s["students"] for s in result["sizes"]] == [10_000]
    assert result["scaling"] == {}
    assert set(result["mesa_ratio"]) == {"10000"}


def test_scale_repeats_report_the_fastest_of_each(tmp_path: Path) -> None:
    result, stdout = _scale(
        tmp_path / "rep.json", "--sizes", "10000", "--no-sweep", "--repeat", "2"
    )
    (size,) = result["sizes"]
    assert len(size["repetitions"]) == 2
    assert round(size["wall_seconds"], 2) == min(size["repetitions"])
    mesa = result["mesa"]["10000"]
    assert len(mesa["repetitions"]) == 2
    assert mesa["agent_steps_per_second"] == max(mesa["repetitions"])
    assert set(result["mesa_ratio_of_medians"]) == {"10000"}
    assert "best of 2" in stdout and "medians" in stdout
