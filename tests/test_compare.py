"""Paired comparisons by seed: exact zeros, pairing gains, refusals, formats and the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.compare import CompareError, compare, format_table
from sim.cli.main import app
from sim.observe.metrics import METRIC_NAMES
from tests.fakes import BASELINE, IDENTICAL, POLICY, FakeScenario, make_run, scenario_values

KEY = ["mean_starting_salary", "recent_grad_unemployment_rate", "mc_holder_share", "hires"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("run") / "demo", [BASELINE, IDENTICAL, POLICY])


def _row(table, scenario: str, metric: str) -> dict:
    rows = [r for r in table.to_pylist() if r["scenario"] == scenario and r["metric"] == metric]
    assert len(rows) == 1
    return rows[0]


# ==================================================================== the statistics


def test_identical_scenario_has_zero_width_interval_at_zero(run_dir: Path) -> None:
    table = compare(run_dir)
    rows = [r for r in table.to_pylist() if r["scenario"] == IDENTICAL.name]
    assert {r["metric"] for r in rows} == set(METRIC_NAMES) - {"month"}
    for r in rows:
        assert r["n_seeds"] == 8
        assert r["difference"] == 0.0
        assert r["ci_low"] == 0.0 and r["ci_high"] == 0.0
        assert r["relative_difference"] == 0.0
        assert r["relative_ci_low"] == 0.0 and r["relative_ci_high"] == 0.0
        assert r["excludes_zero"] is False
        assert r["unpaired_ci_width"] > 0.0  # the seeds do vary; pairing removes all of it
        assert r["width_vs_unpaired"] == 0.0


def test_identical_scenario_bootstrap_is_zero_too(run_dir: Path) -> None:
    table = compare(run_dir, metrics=KEY, scenarios=[IDENTICAL.name], method="bootstrap")
    for r in table.to_pylist():
        assert (r["difference"], r["ci_low"], r["ci_high"]) == (0.0, 0.0, 0.0)
        assert r["method"] == "paired bootstrap"


def test_real_policy_paired_interval_is_narrower_than_unpaired(run_dir: Path) -> None:
    table = compare(run_dir, scenarios=[POLICY.name])
    for r in table.to_pylist():
        width = r["ci_high"] - r["ci_low"]
        assert 0.0 < width < r["unpaired_ci_width"], r["metric"]
        assert r["excludes_zero"] is True
        # The fake raises every metric by 2%; the interval on the ratio should cover it.
        assert r["relative_ci_low"] < POLICY.effect < r["relative_ci_high"], r["metric"]


def test_paired_interval_matches_scipy_paired_t(run_dir: Path) -> None:
    table = compare(run_dir, metrics=["mean_starting_salary"], window="13:24")
    r = _row(table, POLICY.name, "mean_starting_salary")
    months = slice(12, 24)
    b = np.array(
        [
            scenario_values(BASELINE, k, 36)["mean_starting_salary"][months].mean()
            for k in range(1, 9)
        ]
    )
    s = np.array(
        [scenario_values(POLICY, k, 36)["mean_starting_salary"][months].mean() for k in range(1, 9)]
    )
    ci = stats.ttest_rel(s, b).confidence_interval(0.95)
    assert r["difference"] == pytest.approx((s - b).mean(), rel=1e-12)
    assert r["ci_low"] == pytest.approx(ci.low, rel=1e-10)
    assert r["ci_high"] == pytest.approx(ci.high, rel=1e-10)
    welch = stats.ttest_ind(s, b, equal_var=False).confidence_interval(0.95)
    assert r["unpaired_ci_width"] == pytest.approx(welch.high - welch.low, rel=1e-10)
    assert r["baseline_mean"] == pytest.approx(b.mean(), rel=1e-12)
    assert r["relative_difference"] == pytest.approx(s.mean() / b.mean() - 1.0, rel=1e-10)


def test_bootstrap_is_seeded_and_covers_the_estimate(run_dir: Path) -> None:
    a = compare(run_dir, metrics=KEY, scenarios=[POLICY.name], method="bootstrap", boot_seed=3)
    b = compare(run_dir, metrics=KEY, scenarios=[POLICY.name], method="bootstrap", boot_seed=3)
    assert a.equals(b)
    for r in a.to_pylist():
        assert r["ci_low"] <= r["difference"] <= r["ci_high"]
        assert r["ci_high"] - r["ci_low"] < r["unpaired_ci_width"]


# ==================================================================== windows


def test_month_option_compares_that_month(run_dir: Path) -> None:
    table = compare(run_dir, metrics=["hires"], scenarios=[POLICY.name], month=7)
    r = table.to_pylist()[0]
    assert (r["first_month"], r["last_month"]) == (7, 7)
    d = [
        scenario_values(POLICY, k, 36)["hires"][6] - scenario_values(BASELINE, k, 36)["hires"][6]
        for k in range(1, 9)
    ]
    assert r["difference"] == pytest.approx(np.mean(d))


# ==================================================================== refusals


def test_refuses_unknown_metric_listing_available(run_dir: Path) -> None:
    with pytest.raises(CompareError) as err:
        compare(run_dir, metrics=["salary", "hires"])
    message = str(err.value)
    assert "unknown metric 'salary'" in message
    assert "available:" in message and "mean_starting_salary" in message


def test_refuses_missing_baseline_listing_scenarios(run_dir: Path) -> None:
    with pytest.raises(CompareError) as err:
        compare(run_dir, baseline="status_quo")
    message = str(err.value)
    assert "baseline 'status_quo' not found" in message
    assert "baseline, same_as_baseline, credit_bearing_expansion" in message


def test_refuses_mismatched_seeds(tmp_path: Path) -> None:
    short = FakeScenario("short", effect=0.01, seeds=(1, 2, 3, 4, 5, 6, 7, 9))
    run = make_run(tmp_path / "r", [BASELINE, short])
    with pytest.raises(CompareError) as err:
        compare(run)
    message = str(err.value)
    assert "seeds do not match" in message
    assert "missing from 'short': 8" in message
    assert "missing from 'baseline': 9" in message


def test_refuses_folder_without_metrics(tmp_path: Path) -> None:
    with pytest.raises(CompareError, match="hiresim run folder"):
        compare(tmp_path)


# ==================================================================== two run folders


def test_against_takes_baseline_from_other_run(tmp_path: Path, run_dir: Path) -> None:
    base = make_run(tmp_path / "base", [BASELINE])
    policy = make_run(tmp_path / "policy", [POLICY])
    table = compare(policy, against=base, metrics=KEY)
    single = compare(run_dir, metrics=KEY, scenarios=[POLICY.name])
    assert table.column("baseline").to_pylist() == ["base/baseline"] * len(KEY)
    for col in ("difference", "ci_low", "ci_high", "relative_ci_low", "unpaired_ci_width"):
        assert table.column(col).to_pylist() == single.column(col).to_pylist()


def test_against_refuses_other_seeds(tmp_path: Path) -> None:
    base = make_run(tmp_path / "base", [BASELINE], seeds=(1, 2, 3))
    policy = make_run(tmp_path / "policy", [POLICY], seeds=(4, 5, 6))
    with pytest.raises(CompareError, match="seeds do not match"):
        compare(policy, against=base)


# ==================================================================== formats


def test_formats_say_paired_by_seed_and_round_trip(run_dir: Path) -> None:
    table = compare(run_dir, metrics=KEY)
    text = format_table(table, "table")
    assert "paired by seed" in text
    assert text.count("\n") > table.num_rows
    md = format_table(table, "markdown")
    assert "paired by seed" in md
    assert sum(line.startswith("| ") for line in md.splitlines()) == table.num_rows + 1
    rows = list(csv.DictReader(io.StringIO(format_table(table, "csv"))))
    assert len(rows) == table.num_rows
    assert float(rows[-1]["difference"]) == table.column("difference")[-1].as_py()
    data = json.loads(format_table(table, "json"))
    assert "paired by seed" in data["note"]
    assert data["rows"][0]["method"] == "paired t"
    assert len(data["rows"]) == table.num_rows


def test_share_effects_shown_in_points(run_dir: Path) -> None:
    table = compare(run_dir, metrics=["mc_holder_share"], scenarios=[POLICY.name])
    text = format_table(table, "table")
    r = table.to_pylist()[0]
    assert f"{100 * r['baseline_mean']:.2f}%" in text
    assert " pp" in text


def test_undefined_values_are_empty_in_csv_and_null_in_json(tmp_path: Path) -> None:
    gaps = tuple(range(25, 37))
    base = FakeScenario("baseline", nan_months=gaps)
    other = FakeScenario("other", effect=0.01, nan_months=gaps)
    run = make_run(tmp_path / "r", [base, other])
    table = compare(run, metrics=["mean_starting_salary_mc"])
    r = table.to_pylist()[0]
    assert r["n_seeds"] == 0 and math.isnan(r["difference"])
    (csv_row,) = csv.DictReader(io.StringIO(format_table(table, "csv")))
    assert csv_row["difference"] == ""
    assert json.loads(format_table(table, "json"))["rows"][0]["difference"] is None
    assert "n/a" in format_table(table, "table")


# ==================================================================== CLI


def test_cli_compare_writes_formats(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(run_dir), "-m", "hires", "--window", "1:12"])
    assert result.exit_code == 0, result.output
    assert "credit_bearing_expansion" in result.output and "paired by seed" in result.output
    out = tmp_path / "effects.json"
    result = runner.invoke(
        app, ["compare", str(run_dir), "--format", "json", "--out", str(out), "--bootstrap"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["rows"][0]["method"] == "paired bootstrap"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "nope"], "unknown metric 'nope'; available:"),
        (["--baseline", "nope"], "scenarios present: baseline"),
        (["--month", "99"], "outside the run's months"),
        (["--window", "x"], "invalid month window"),
    ],
)
def test_cli_compare_refusals_exit_2(run_dir: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["compare", str(run_dir), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_compare_mismatched_seeds_exit_2(tmp_path: Path, run_dir: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    shutil.rmtree(broken / "metrics" / f"scenario={POLICY.name}" / "seed=3")
    result = CliRunner().invoke(app, ["compare", str(broken)])
    assert result.exit_code == 2
    assert "seeds do not match" in result.output and "missing from" in result.output
