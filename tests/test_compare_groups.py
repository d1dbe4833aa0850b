"""Effects by group: exact zeros, recovered group effects, gap changes, plots, report, CLI, and
one end-to-end run whose groups partition the population."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.compare import (
    GROUP_METRICS,
    ORDERED_GAPS,
    CompareError,
    compare_groups,
    display_rows,
    format_table,
)
from sim.analysis.plots import PlotError, figure, plot
from sim.analysis.report import WHO_GAINS_KINDS, WHO_GAINS_METRICS, build_report
from sim.cli.main import app
from sim.experiments.store import load_run
from sim.observe.groups import GROUP_COLUMNS, GROUP_KINDS, GROUP_KINDS_BY_NAME
from tests.fakes import BASELINE, IDENTICAL, FakeScenario, group_values, make_run, model_run

SEEDS = (1, 2, 3, 4, 5, 6)
MONTHS = 24
WINDOW = (13, 24)  # the default: the last 12 months
ALL_OUTCOMES = [c for c, _ in GROUP_COLUMNS]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

TARGETED = FakeScenario(
    "targeted",
    noise=0.002,
    group_effects=(("discipline", "humanities_social", 0.05), ("ability_quartile", "q1", 0.04)),
    description="Helps humanities students and the lowest ability quartile.",
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("groups") / "demo"
    return make_run(root, [BASELINE, IDENTICAL, TARGETED], seeds=SEEDS, months=MONTHS, groups=True)


def _values(scenario: FakeScenario, kind: str, group: str, metric: str) -> np.ndarray:
    """Per seed: the outcome's mean over the window, computed from the fake directly."""
    out = []
    for seed in SEEDS:
        t = group_values(scenario, seed, MONTHS).to_pandas()
        rows = t[(t.group_kind == kind) & (t.group == group) & t.month.between(*WINDOW)]
        out.append(rows[metric].mean())
    return np.array(out)


def _t_ci(d: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return d.mean() - half, d.mean() + half


def _rows(table, **where) -> list[dict]:
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]


# ==================================================================== numbers


@pytest.mark.parametrize("kind", [k.name for k in GROUP_KINDS])
def test_identical_scenario_shows_exactly_zero_in_every_group(run_dir: Path, kind: str) -> None:
    table = compare_groups(run_dir, kind, scenarios=[IDENTICAL.name], metrics=ALL_OUTCOMES)
    groups = GROUP_KINDS_BY_NAME[kind].groups
    assert table.num_rows == len(ALL_OUTCOMES) * (len(groups) + 1)
    for r in table.to_pylist():
        assert r["n_seeds"] == len(SEEDS)
        assert r["difference"] == 0.0 and r["ci_low"] == 0.0 and r["ci_high"] == 0.0, r
        assert not r["excludes_zero"]
    assert set(table.column("group").to_pylist()) >= set(groups)


def test_default_metrics_and_row_order(run_dir: Path) -> None:
    table = compare_groups(run_dir, "discipline")
    assert tuple(dict.fromkeys(table.column("metric").to_pylist())) == GROUP_METRICS
    assert tuple(dict.fromkeys(table.column("scenario").to_pylist())) == (
        IDENTICAL.name,
        TARGETED.name,
    )
    first = _rows(table, scenario=IDENTICAL.name, metric=GROUP_METRICS[0])
    groups = GROUP_KINDS_BY_NAME["discipline"].groups
    assert [r["group"] for r in first[:-1]] == list(groups)
    assert [r["row_type"] for r in first] == ["group"] * len(groups) + ["gap"]
    assert table.column("unit").to_pylist()[: len(groups)] == ["share"] * len(groups)


@pytest.mark.parametrize(
    ("kind", "helped", "effect"),
    [("discipline", "humanities_social", 0.05), ("ability_quartile", "q1", 0.04)],
)
def test_a_group_effect_is_recovered(run_dir: Path, kind: str, helped: str, effect: float) -> None:
    metric = "mean_starting_salary"
    table = compare_groups(run_dir, kind, scenarios=[TARGETED.name], metrics=[metric])
    for group in GROUP_KINDS_BY_NAME[kind].groups:
        (r,) = _rows(table, group=group)
        d = _values(TARGETED, kind, group, metric) - _values(BASELINE, kind, group, metric)
        lo, hi = _t_ci(d)
        assert r["difference"] == pytest.approx(d.mean(), rel=1e-10)
        assert r["ci_low"] == pytest.approx(lo, rel=1e-9) and r["ci_high"] == pytest.approx(hi)
        if group == helped:
            assert r["relative_difference"] == pytest.approx(effect, abs=0.005)
            assert r["excludes_zero"] and r["ci_low"] > 0
        else:
            assert abs(r["relative_difference"]) < 0.005


def _direct_gap(kind: str, metric: str, top: str, bottom: str) -> dict[str, object]:
    b_gap = _values(BASELINE, kind, top, metric) - _values(BASELINE, kind, bottom, metric)
    s_gap = _values(TARGETED, kind, top, metric) - _values(TARGETED, kind, bottom, metric)
    return {"b_gap": b_gap, "s_gap": s_gap, "change": s_gap - b_gap}


@pytest.mark.parametrize("kind", ["ability_quartile", "discipline", "mc_status"])
def test_gap_change_matches_a_direct_computation(run_dir: Path, kind: str) -> None:
    metric = "recent_grad_unemployment_rate"
    table = compare_groups(run_dir, kind, scenarios=[TARGETED.name], metrics=[metric])
    (gap,) = _rows(table, row_type="gap")
    groups = GROUP_KINDS_BY_NAME[kind].groups
    if kind in ORDERED_GAPS:
        top, bottom = ORDERED_GAPS[kind]
        assert gap["gap_rule"] == "natural order"
    else:
        means = {g: _values(BASELINE, kind, g, metric).mean() for g in groups}
        top, bottom = max(means, key=means.get), min(means, key=means.get)
        assert gap["gap_rule"] == "highest - lowest baseline mean"
    assert (gap["top_group"], gap["bottom_group"]) == (top, bottom)
    assert gap["group"] == f"{top} - {bottom}"
    direct = _direct_gap(kind, metric, top, bottom)
    change = direct["change"]
    lo, hi = _t_ci(change)
    assert gap["difference"] == pytest.approx(change.mean(), rel=1e-9, abs=1e-15)
    assert gap["ci_low"] == pytest.approx(lo, rel=1e-9) and gap["ci_high"] == pytest.approx(hi)
    assert gap["baseline_mean"] == pytest.approx(direct["b_gap"].mean(), rel=1e-12)
    assert gap["scenario_mean"] == pytest.approx(direct["s_gap"].mean(), rel=1e-12)
    b_lo, b_hi = _t_ci(direct["b_gap"])
    assert gap["baseline_ci_low"] == pytest.approx(b_lo, rel=1e-9)
    assert gap["baseline_ci_high"] == pytest.approx(b_hi, rel=1e-9)
    # The gap change is the difference of the top and bottom groups' own effects.
    (t_row,) = _rows(table, group=top)
    (b_row,) = _rows(table, group=bottom)
    assert gap["difference"] == pytest.approx(t_row["difference"] - b_row["difference"])
    if kind == "ability_quartile":  # q1 is helped by 4%: the q4 - q1 gap falls
        assert gap["excludes_zero"] and gap["ci_high"] < 0


def test_a_chosen_gap_and_its_refusals(run_dir: Path) -> None:
    metric = "mean_starting_salary"
    table = compare_groups(
        run_dir, "discipline", metrics=[metric], gap=("business", "sciences_health")
    )
    for gap in _rows(table, row_type="gap"):
        assert gap["group"] == "business - sciences_health" and gap["gap_rule"] == "chosen"
    for bad in [("business", "business"), ("business", "law")]:
        with pytest.raises(CompareError, match="invalid gap"):
            compare_groups(run_dir, "discipline", metrics=[metric], gap=bad)


def test_against_and_bootstrap(run_dir: Path) -> None:
    plain = compare_groups(run_dir, "mc_status", scenarios=[TARGETED.name])
    against = compare_groups(run_dir, "mc_status", scenarios=[TARGETED.name], against=run_dir)
    assert set(against.column("baseline").to_pylist()) == {"demo/baseline"}
    assert against.column("difference").equals(plain.column("difference"))
    boot = compare_groups(run_dir, "ability_quartile", method="bootstrap", n_boot=500)
    assert set(boot.column("method").to_pylist()) == {"paired bootstrap"}
    for r in _rows(boot, scenario=IDENTICAL.name):
        assert r["ci_low"] == r["ci_high"] == 0.0


def test_unknown_group_kind_lists_the_kinds(run_dir: Path) -> None:
    with pytest.raises(CompareError) as info:
        compare_groups(run_dir, "gender")
    for kind in GROUP_KINDS:
        assert kind.name in str(info.value)
    result = CliRunner().invoke(app, ["compare", str(run_dir), "--by", "gender"])
    assert result.exit_code == 2
    assert "unknown group kind 'gender'" in result.output and "ability_quartile" in result.output


def test_other_refusals(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(CompareError, match=r"unknown group metric 'salary_gini'.*employment_rate"):
        compare_groups(run_dir, "discipline", metrics=["salary_gini"])
    with pytest.raises(CompareError, match="baseline 'nope' not found"):
        compare_groups(run_dir, "discipline", baseline="nope")
    plain = make_run(tmp_path / "plain", [BASELINE, TARGETED], seeds=(1, 2), months=12)
    with pytest.raises(CompareError, match="no groups table"):
        compare_groups(plain, "discipline")
    lacking = make_run(
        tmp_path / "lacking",
        [BASELINE, FakeScenario("short", seeds=(1,))],
        seeds=(1, 2),
        months=12,
        groups=True,
    )
    with pytest.raises(CompareError, match="seeds do not match"):
        compare_groups(lacking, "discipline")


# ==================================================================== output formats and CLI


def test_cli_formats(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["compare", str(run_dir), "--by", "ability_quartile", "-s", TARGETED.name]
    result = runner.invoke(app, [*base, "-f", "markdown"])
    assert result.exit_code == 0, result.output
    assert "| scenario | metric | group | unit | n |" in result.output
    assert "| gap: q4 - q1 |" in result.output and "natural order (q4 - q1)" in result.output
    result = runner.invoke(app, [*base, "-f", "csv", "-m", "hires"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["group"] for r in rows] == ["q1", "q2", "q3", "q4", "q4 - q1"]
    assert rows[-1]["row_type"] == "gap" and rows[0]["baseline_ci_low"] == ""
    out = tmp_path / "g.json"
    result = runner.invoke(app, [*base, "-f", "json", "--gap", "q3:q2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert "difference-in-differences" in data["note"]
    assert {r["group"] for r in data["rows"] if r["row_type"] == "gap"} == {"q3 - q2"}
    text = runner.invoke(app, base).output
    assert text == format_table(
        compare_groups(run_dir, "ability_quartile", scenarios=[TARGETED.name])
    )
    for args, message in [
        (["--gap", "q4"], "TOP:BOTTOM"),
        (["--gap", "q4:q9"], "invalid gap"),
    ]:
        result = runner.invoke(app, [*base, *args])
        assert result.exit_code == 2 and message in result.output
    result = runner.invoke(app, ["compare", str(run_dir), "--gap", "q4:q1"])
    assert result.exit_code == 2 and "--gap needs --by" in result.output


# ==================================================================== plot and report


def test_plot_by_renders_without_warnings_and_writes_its_csv(run_dir: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread

    metric = "recent_grad_unemployment_rate"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = plot(run_dir, metric, by="discipline", out=tmp_path / "g.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    assert imread(path)[..., :3].std() > 0.05
    with path.with_suffix(".csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = compare_groups(run_dir, "discipline", metrics=[metric])
    assert len(rows) == expected.num_rows == 2 * (len(GROUP_KINDS_BY_NAME["discipline"].groups) + 1)
    for row, want in zip(rows, expected.to_pylist(), strict=True):
        assert row["group"] == want["group"] and row["scenario"] == want["scenario"]
        assert float(row["difference"]) == pytest.approx(want["difference"], rel=1e-12, abs=0)


def test_plot_by_cli_and_refusals(run_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["plot", str(run_dir), "--by", "ability_quartile", "-m", "mean_starting_salary"]
    )
    assert result.exit_code == 0, result.output
    image = run_dir / "plots" / "groups-ability_quartile-mean_starting_salary.png"
    assert image.exists() and image.with_suffix(".csv").exists()
    result = runner.invoke(app, ["plot", str(run_dir), "--by", "gender", "-m", "hires"])
    assert result.exit_code == 2 and "unknown group kind" in result.output
    result = runner.invoke(
        app, ["plot", str(run_dir), "--by", "discipline", "-m", "hires", "-k", "tornado"]
    )
    assert result.exit_code == 2 and "--kind does not apply" in result.output
    with pytest.raises(PlotError, match="needs a group kind"):
        figure(run_dir, "hires", "groups")
    with pytest.raises(PlotError, match="does not apply"):
        figure(run_dir, "hires", "timeseries", by="discipline")


def test_report_has_a_who_gains_section(run_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = build_report(run_dir)
    section = text[text.index("<h2>Who gains</h2>") : text.index("<h2>Parameters")]
    assert "<h3>Gap changes</h3>" in section
    for kind in WHO_GAINS_KINDS:
        assert f"<code>{kind}</code>" in section
    assert "gap: q4 - q1" in section and "difference-in-differences" in section
    images = section.count('<img src="data:image/png;base64,')
    assert images == len(WHO_GAINS_KINDS) * len(WHO_GAINS_METRICS)
    for kind in WHO_GAINS_KINDS:
        effects = compare_groups(run_dir, kind, metrics=list(WHO_GAINS_METRICS))
        header, rows = display_rows(effects)
        column = header.index("difference [95% CI]")
        for row in rows:  # every effect and gap change of the table is in the page
            assert f'<td class="num">{row[column]}</td>' in section


def test_report_without_groups_says_so(tmp_path: Path) -> None:
    plain = make_run(tmp_path / "plain", [BASELINE, TARGETED], seeds=(1, 2, 3), months=12)
    text = build_report(plain)
    section = text[text.index("<h2>Who gains</h2>") : text.index("<h2>Parameters")]
    assert "has no groups table" in section and "<img" not in section


# ==================================================================== a real run


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "tiny"
    names = ("baseline", "genai_across_disciplines")
    return model_run(out, names, students=1500, seeds=(1, 2, 3))


def test_real_run_groups_partition_the_population(real_run: Path) -> None:
    from sim.experiments.store import read_table

    groups = read_table(real_run, "groups").to_pandas()
    metrics = read_table(real_run, "metrics").to_pandas()
    keys = ["scenario", "seed", "month"]
    assert len(metrics) == 2 * 3 * 24
    totals = groups.groupby([*keys, "group_kind"])[["population", "enrolled", "labour_force"]].sum()
    population = totals["population"].unstack("group_kind")
    assert set(population.columns) == {k.name for k in GROUP_KINDS}
    assert len(population) == len(metrics)  # every scenario, seed and month
    # Each kind's groups add up to the same whole: the enrolled plus the labour force.
    whole = (totals["enrolled"] + totals["labour_force"]).unstack("group_kind")
    assert (population.to_numpy() == whole.to_numpy()).all()
    assert (population.nunique(axis=1) == 1).all() and (population.iloc[:, 0] > 0).all()
    enrolled = totals["enrolled"].unstack("group_kind")
    by_month = metrics.set_index(keys)
    for kind in GROUP_KINDS:
        np.testing.assert_array_equal(
            enrolled[kind.name].to_numpy(),
            by_month.loc[enrolled.index, "students_enrolled"].to_numpy(),
        )
    # The comparison by group runs on the written dataset.
    table = compare_groups(real_run, "discipline", metrics=["population", "mc_holder_share"])
    assert table.num_rows == 2 * (len(GROUP_KINDS_BY_NAME["discipline"].groups) + 1)
    assert set(table.column("n_seeds").to_pylist()) == {3}
    assert load_run(real_run).group_kinds() == tuple(k.name for k in GROUP_KINDS)
    assert pc.min(read_table(real_run, "groups").column("month")).as_py() == 1
