"""The scenario and parameter commands: scenarios, validate, params, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sim.analysis import docs
from sim.cli.common import load_or_exit
from sim.cli.main import app
from sim.inputs.params import REGISTRY
from sim.inputs.scenario import PACKAGE_SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(PACKAGE_SCENARIOS.glob("*.toml"))
runner = CliRunner()

MISSPELT_AND_OUT_OF_RANGE = """
name = "bad"
descripton = "vacancies fall"
extends = "baseline"
[params]
"market.demand_cycle" = 7.5
"""


def test_scenarios_lists_names_and_descriptions() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for path in SHIPPED:
        assert path.stem in result.stdout
    assert "A recession for new graduates" in result.stdout


def test_validate_accepts_every_shipped_scenario() -> None:
    result = runner.invoke(app, ["validate", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("OK  ") == len(SHIPPED) >= 9


def test_validate_lists_a_misspelt_key_and_an_out_of_range_value_and_exits_2(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(MISSPELT_AND_OUT_OF_RANGE)
    good = PACKAGE_SCENARIOS / "recession.toml"
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"OK  {good}" in result.stdout
    assert "descripton" in result.stderr and "did you mean 'description'?" in result.stderr
    assert "params.market.demand_cycle = 7.5: out of range" in result.stderr
    assert "Traceback" not in result.output


def test_console_script_exits_2_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(MISSPELT_AND_OUT_OF_RANGE)
    (tmp_path / "syntax.toml").write_text('name = "x"\ndescription = \n')
    out = subprocess.run(
        [sys.executable, "-m", "sim.cli.main", "validate", "bad.toml", "syntax.toml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "did you mean 'description'?" in out.stderr
    assert "syntax.toml: TOML syntax error" in out.stderr and "line 2" in out.stderr


def test_params_json_has_every_key_filled_for_every_parameter() -> None:
    result = runner.invoke(app, ["params", "baseline", "--format", "json"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == list(REGISTRY)
    seven = ("name", "value", "unit", "range", "source_kind", "source", "description")
    for r in records:
        assert all(r[k] is not None and r[k] != "" for k in seven), r["name"]
        if r["source_kind"] == "report":
            assert REGISTRY[r["name"]].evidence_id is not None


def test_params_json_gives_ranges_as_numbers_and_the_tables_as_text() -> None:
    records = json.loads(runner.invoke(app, ["params", "--format", "json"]).stdout)
    by_name = {r["name"]: r["range"] for r in records}
    assert by_name["universities.students_per_university"] == [100, 100000]
    assert by_name["employers.premium_share"] == [0, 1]
    assert by_name["employers.premium_enabled"] == [False, True]
    for r in records:
        param = REGISTRY[r["name"]]
        if param.choices is not None:
            assert r["range"] == list(param.choices)
        elif param.kind is not bool:
            lo, hi = r["range"]
            assert type(lo) is type(hi) is param.kind and lo <= r["value"] <= hi
    (row,) = [
        line.split()
        for line in runner.invoke(app, ["params"]).stdout.splitlines()
        if line.startswith("universities.students_per_university ")
    ]
    assert row[:4] == ["universities.students_per_university", "500", "[100,", "100000]"]


def test_params_table_and_markdown_show_policies() -> None:
    table = runner.invoke(app, ["params", "recession"])
    assert table.exit_code == 0
    assert "0.82 from month 13 (target demand -18%) [recession]" in table.stdout
    markdown = runner.invoke(app, ["params", "recession", "-f", "markdown"])
    assert "| `market.demand_cycle` |" in markdown.stdout
    assert "- market.demand_cycle: ramp to 1.0 over months 37-48" in markdown.stdout


def test_params_diff_shows_only_what_differs_and_where_it_came_from(tmp_path: Path) -> None:
    result = runner.invoke(app, ["params", "recession", "--diff", "baseline", "-f", "json"])
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)["differences"]
    assert row["name"] == "market.demand_cycle"
    assert row["a_policies"] == [
        "0.82 from month 13 (target demand -18%) [recession]",
        "ramp to 1.0 over months 37-48 (recovery) [recession]",
    ]
    assert row["b_policies"] == []

    mine = tmp_path / "mine.toml"
    mine.write_text(
        'name = "mine"\ndescription = "d"\nextends = "recession"\n[run]\nmonths = 60\n'
        '[params]\n"employers.premium_share" = 0.5\n'
    )
    table = runner.invoke(app, ["params", str(mine), "--diff", "baseline"])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    share = next(line for line in lines if line.startswith("employers.premium_share"))
    assert share.split() == ["employers.premium_share", "0.5", "mine", "0.9", "default"]
    assert any(line.startswith("run.months") for line in lines)
    assert "A policy: 0.82 from month 13" in table.stdout
    assert not any(line.startswith("employers.separation_rate") for line in lines)

    same = runner.invoke(app, ["params", "baseline", "--diff", "baseline"])
    assert "no differences" in same.stdout


def test_unknown_scenario_exits_2_with_a_suggestion() -> None:
    result = runner.invoke(app, ["params", "recesion"])
    assert result.exit_code == 2
    assert "did you mean 'recession'?" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_load_or_exit_prints_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(MISSPELT_AND_OUT_OF_RANGE)
    with pytest.raises(typer.Exit) as info:
        load_or_exit(str(bad))
    assert info.value.exit_code == 2
    err = capsys.readouterr().err
    assert (
        "descripton" in err and "out of range" in err and "3 problems found." in err
    )  # misspelt, so also missing
    assert load_or_exit("baseline").name == "baseline"


def test_docs_check_fails_when_stale_and_passes_after_regenerating(tmp_path: Path) -> None:
    out = tmp_path / "parameters.md"
    out.write_text("# stale\n")
    stale = runner.invoke(app, ["docs", "--check", "--out", str(out)])
    assert stale.exit_code == 1 and "stale" in stale.stderr
    assert runner.invoke(app, ["docs", "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["docs", "--check", "--out", str(out)]).exit_code == 0
    text = out.read_text()
    assert all(f"`{name}`" in text for name in REGISTRY)
    assert "## Calibration targets" in text and "`employers_hired_mc_holder`" in text


def test_docs_parameters_md_is_current() -> None:
    path = ROOT / docs.DOC_PATH
    assert docs.parameters_md_is_current(path), (
        f"{path} is stale: run `hiresim docs` and commit the result"
    )
