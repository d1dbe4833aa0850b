"""Who gains at whose expense: employment of MC holders, non-holders and in total, with a verdict
per policy. Fake runs whose truth is known (a pure transfer, a net gain, a net loss, no effect),
the CLI and the report, and one real model run whose counts add up."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.compare import (
    VERDICT_RULES,
    CompareError,
    compare_who_gains,
    display_rows,
    employment_verdict,
)
from sim.analysis.report import KEY_METRICS, build_report
from sim.analysis.stats import PairedResult
from sim.cli.main import app
from sim.observe.groups import EMPLOYMENT_MEASURES, HOLDING_GROUPS, MC_HOLDER_GROUPS
from tests.fakes import BASELINE, IDENTICAL, FakeScenario, group_values, make_run, model_run

SEEDS = (1, 2, 3, 4, 5)
MONTHS = 24
WINDOW = (13, 24)  # the default: the last 12 months
STUDENTS = 5000
JOBS = 30.0  # jobs moved or added each month
PER_1000 = 1000.0 * JOBS / STUDENTS
COUNT, LABOUR_FORCE, RATE = (m.name for m in EMPLOYMENT_MEASURES)


def _shift(group: str, amount: float) -> tuple[str, str, str, float]:
    return ("mc_status", group, "employed", amount)


TRANSFER = FakeScenario(
    "transfer", group_shifts=(_shift("genai", JOBS), _shift("none", -JOBS)), description="Pure."
)
REVERSE = FakeScenario(
    "reverse", group_shifts=(_shift("credit_bearing", -JOBS), _shift("none", JOBS))
)
NET_GAIN = FakeScenario(
    "net_gain", group_shifts=(_shift("genai", JOBS / 2), _shift("mc_other", JOBS / 2))
)
NET_LOSS = FakeScenario("net_loss", group_shifts=(_shift("none", -JOBS),))
MOVED = FakeScenario(
    "moved",
    group_shifts=(
        _shift("genai", JOBS),
        ("mc_status", "genai", "labour_force", JOBS + 2),
        _shift("none", -JOBS),
        ("mc_status", "none", "labour_force", -JOBS - 2),
    ),
    description="People gain an MC and take their jobs with them.",
)
SCENARIOS = [BASELINE, IDENTICAL, TRANSFER, REVERSE, NET_GAIN, NET_LOSS, MOVED]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("who_gains") / "demo"
    return make_run(root, SCENARIOS, seeds=SEEDS, months=MONTHS, students=STUDENTS, groups=True)


@pytest.fixture(scope="module")
def table(run_dir: Path):
    return compare_who_gains(run_dir)


def _row(table, scenario: str, metric: str, group: str) -> dict:
    (row,) = [
        r
        for r in table.to_pylist()
        if (r["scenario"], r["metric"], r["group"]) == (scenario, metric, group)
    ]
    return row


def _verdict(table, scenario: str) -> str:
    return _row(table, scenario, COUNT, "total")["verdict"]


# ==================================================================== known truths


def test_a_pure_transfer_leaves_the_total_at_exactly_zero(table) -> None:
    total = _row(table, TRANSFER.name, COUNT, "total")
    assert total["difference"] == 0.0 and total["ci_low"] == 0.0 and total["ci_high"] == 0.0
    holders = _row(table, TRANSFER.name, COUNT, "mc_holders")
    non_holders = _row(table, TRANSFER.name, COUNT, "non_holders")
    assert holders["difference"] == pytest.approx(PER_1000, rel=1e-12)
    assert non_holders["difference"] == pytest.approx(-PER_1000, rel=1e-12)
    assert holders["excludes_zero"] and non_holders["excludes_zero"]
    assert total["verdict"] == "transfer to MC holders"
    # Nobody changed group, so the losers' employment rate fell: displacement.
    assert _row(table, TRANSFER.name, RATE, "non_holders")["ci_high"] < 0
    assert "displacement: non-holders' employment rate" in total["verdict_text"]
    assert _row(table, TRANSFER.name, RATE, "total")["difference"] == pytest.approx(0, abs=1e-15)


def test_a_transfer_of_people_with_their_jobs_reads_as_composition(table) -> None:
    total = _row(table, MOVED.name, COUNT, "total")
    assert total["difference"] == 0.0 and total["verdict"] == "transfer to MC holders"
    size = _row(table, MOVED.name, LABOUR_FORCE, "mc_holders")
    assert size["difference"] == pytest.approx(1000.0 * (JOBS + 2) / STUDENTS, rel=1e-12)
    assert _row(table, MOVED.name, LABOUR_FORCE, "total")["difference"] == 0.0
    assert "; composition: MC holders' labour force +6.4" in total["verdict_text"]
    assert "displacement" not in total["verdict_text"]


def test_verdicts_follow_the_truth(table) -> None:
    assert _verdict(table, REVERSE.name) == "transfer to non-holders"
    assert _verdict(table, NET_GAIN.name) == "net gain"
    assert _verdict(table, NET_LOSS.name) == "net loss"
    assert _verdict(table, IDENTICAL.name) == "no clear net effect"
    gain = _row(table, NET_GAIN.name, COUNT, "total")
    assert gain["difference"] == pytest.approx(PER_1000, rel=1e-12) and gain["ci_low"] > 0
    assert gain["verdict_text"].startswith(f"net gain: total +{PER_1000:.1f} [")
    loss = _row(table, NET_LOSS.name, COUNT, "total")
    assert loss["difference"] == pytest.approx(-PER_1000, rel=1e-12) and loss["ci_high"] < 0
    assert _row(table, NET_LOSS.name, COUNT, "mc_holders")["difference"] == 0.0


def test_counts_add_up_and_rates_are_ratios_of_sums(table) -> None:
    for s in (s.name for s in SCENARIOS[1:]):
        parts = [_row(table, s, COUNT, g) for g in ("mc_holders", "non_holders")]
        total = _row(table, s, COUNT, "total")
        for col in ("baseline_mean", "scenario_mean", "difference"):
            assert parts[0][col] + parts[1][col] == pytest.approx(total[col], rel=1e-12, abs=1e-9)
    # The holders' rate: summed employed over summed labour force each month, then the window.
    per_seed = []
    for scenario in (BASELINE, TRANSFER):
        values = []
        for seed in SEEDS:
            t = group_values(scenario, seed, MONTHS).to_pandas()
            t = t[(t.group_kind == "mc_status") & t.group.isin(MC_HOLDER_GROUPS)]
            t = t[t.month.between(*WINDOW)].groupby("month")[["employed", "labour_force"]].sum()
            values.append((t.employed / t.labour_force).mean())
        per_seed.append(np.array(values))
    rate = _row(table, TRANSFER.name, RATE, "mc_holders")
    assert rate["difference"] == pytest.approx((per_seed[1] - per_seed[0]).mean(), rel=1e-10)
    assert rate["baseline_mean"] == pytest.approx(per_seed[0].mean(), rel=1e-12)


def test_row_order_units_and_kinds(table) -> None:
    first = [r for r in table.to_pylist() if r["scenario"] == TRANSFER.name]
    assert [(r["metric"], r["group"]) for r in first] == [
        (m.name, g) for m in EMPLOYMENT_MEASURES for g in HOLDING_GROUPS
    ]
    assert [r["unit"] for r in first] == ["per 1,000 students"] * 6 + ["share"] * 3
    assert [r["row_type"] for r in first] == ["group", "group", "total"] * 3
    assert {r["group_kind"] for r in first} == {"mc_holding"}
    assert {r["n_seeds"] for r in first} == {len(SEEDS)}


def _paired(diff: float, lo: float, hi: float) -> PairedResult:
    return PairedResult(5, 1.0, 1.0 + diff, diff, lo, hi, diff, lo, hi, 1.0)


FLAT = (0, -1, 1)


@pytest.mark.parametrize(
    ("holders", "non_holders", "total", "size", "rates", "verdict", "reading"),
    [
        ((2, 1, 3), (-2, -3, -1), FLAT, FLAT, (FLAT, FLAT), "transfer to MC holders",
         "employment rates:"),
        ((2, 1, 3), (-2, -3, -1), FLAT, (2, 1, 3), (FLAT, (-1, -2, -0.5)),
         "transfer to MC holders", "composition: MC holders' labour force +2"),
        ((-2, -3, -1), (2, 1, 3), FLAT, FLAT, ((-1, -2, -0.5), FLAT),
         "transfer to non-holders", "displacement: MC holders' employment rate"),
        ((2, -1, 5), (-2, -3, -1), FLAT, FLAT, (FLAT, FLAT), "no clear net effect", None),
        ((2, 1, 3), FLAT, (2, 0.5, 3.5), FLAT, (FLAT, FLAT), "net gain", None),
        ((-2, -3, -1), FLAT, (-2, -3, -0.5), FLAT, (FLAT, FLAT), "net loss", None),
        ((2, math.nan, math.nan), (0, math.nan, math.nan), (2, math.nan, math.nan), FLAT,
         (FLAT, FLAT), "undetermined", None),
    ],
)  # fmt: skip
def test_the_verdict_rule(holders, non_holders, total, size, rates, verdict, reading) -> None:
    employed = {"mc_holders": holders, "non_holders": non_holders, "total": total}
    labour_force = {"mc_holders": size, "non_holders": FLAT, "total": FLAT}
    rate = dict(zip(("mc_holders", "non_holders"), rates, strict=True)) | {"total": FLAT}
    got, line = employment_verdict(
        *({g: _paired(*v) for g, v in m.items()} for m in (employed, labour_force, rate))
    )
    assert got == verdict and got in VERDICT_RULES and line.startswith(f"{verdict}: total ")
    if reading is None:
        assert not any(f"; {k}" in line for k in ("composition", "displacement", "employment"))
    else:
        assert reading in line


def test_refusals(run_dir: Path, tmp_path: Path) -> None:
    plain = make_run(tmp_path / "plain", [BASELINE, TRANSFER], seeds=(1, 2), months=12)
    with pytest.raises(CompareError, match="no groups table"):
        compare_who_gains(plain)
    with pytest.raises(CompareError, match="baseline 'nope' not found"):
        compare_who_gains(run_dir, baseline="nope")
    short = make_run(
        tmp_path / "short",
        [BASELINE, FakeScenario("fewer", seeds=(1, 2))],
        seeds=(1, 2, 3),
        months=12,
        groups=True,
    )
    with pytest.raises(CompareError, match="seeds do not match"):
        compare_who_gains(short)


# ==================================================================== CLI and report


def test_cli_who_gains_formats(run_dir: Path, table) -> None:
    runner = CliRunner()
    base = ["compare", str(run_dir), "--who-gains"]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "Verdict (employment):" in text.output
    for line in (r["verdict_text"] for r in table.to_pylist()):
        assert line in text.output
    md = runner.invoke(app, [*base, "-f", "markdown"]).output
    assert "| transfer | employed_per_1000_students | total |" in md
    assert f"- {TRANSFER.name}: transfer to MC holders: total +0.00" in md
    rows_csv = list(csv.DictReader(io.StringIO(runner.invoke(app, [*base, "-f", "csv"]).output)))
    assert len(rows_csv) == table.num_rows
    assert {r["verdict"] for r in rows_csv if r["scenario"] == NET_GAIN.name} == {"net gain"}
    doc = json.loads(runner.invoke(app, [*base, "-f", "json"]).output)
    assert doc["verdicts"][NET_LOSS.name].startswith("net loss: total -")
    assert len(doc["rows"]) == table.num_rows and "composition" in doc["note"]
    one = runner.invoke(app, [*base, "-s", NET_GAIN.name, "--window", "1:12", "--bootstrap"])
    assert one.exit_code == 0 and "net_gain: net gain" in one.output
    words = " ".join(one.output.split())
    assert "mean over months 1-12" in words and "percentile bootstrap" in words


def test_cli_refuses_who_gains_with_by_or_metric(run_dir: Path) -> None:
    runner = CliRunner()
    for extra in (["--by", "discipline"], ["-m", "hires"]):
        result = runner.invoke(app, ["compare", str(run_dir), "--who-gains", *extra])
        assert result.exit_code == 2 and "drop --by and --metric" in result.output


def test_report_has_the_employment_table_and_verdicts(run_dir: Path, table) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # One key metric: the section read here does not depend on them, and each draws three
        # figures (tests/test_report.py builds the report with all of them).
        text = build_report(run_dir, metrics=KEY_METRICS[:1])
    section = text[text.index("<h2>Who gains</h2>") : text.index("<h2>Parameters")]
    assert "<h3>Employment: MC holders, non-holders and total</h3>" in section
    assert section.index("Employment: MC holders") < section.index("<h3>Gap changes</h3>")
    for s, line in ((r["scenario"], r["verdict_text"]) for r in table.to_pylist()):
        assert f"<li>{s}: {line.replace(chr(39), '&#x27;')}</li>" in section
    header, rows = display_rows(table)
    column = header.index("difference [95% CI]")
    for row in rows:
        assert f'<td class="num">{row[column]}</td>' in section
    assert section.count('total">') == table.num_rows // 3  # class "total" or "sig total"


# ==================================================================== a real run


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real_who_gains") / "small"
    names = ("baseline", "genai_across_disciplines")
    return model_run(out, names, students=3000, seeds=(1, 2))


def test_real_run_counts_add_up(real_run: Path) -> None:
    from sim.experiments.store import read_table
    from sim.observe.groups import employment_by_holding

    groups = read_table(real_run, "groups")
    by_holding = employment_by_holding(groups, {"baseline": 3000, "genai_across_disciplines": 3000})
    t = by_holding.to_pandas().set_index(["scenario", "seed", "month", "group"])
    counts = t["employed"].unstack("group")
    assert len(counts) == 2 * 2 * 24 and (counts["total"] > 0).all()
    # Whole people: the holders' and non-holders' jobs are exactly the total.
    assert (counts["mc_holders"] + counts["non_holders"] == counts["total"]).all()
    # The total is everyone employed, as every other group kind counts them.
    g = groups.to_pandas()
    pathway = g[g.group_kind == "pathway"].groupby(["scenario", "seed", "month"])["employed"].sum()
    np.testing.assert_array_equal(counts["total"].to_numpy(), pathway.loc[counts.index].to_numpy())
    # The policy makes more holders: both their jobs and their labour force grow.
    effects = compare_who_gains(real_run)
    assert effects.num_rows == 9 and set(effects.column("n_seeds").to_pylist()) == {2}
    rows = {(r["metric"], r["group"]): r for r in effects.to_pylist()}
    for measure in (COUNT, LABOUR_FORCE):
        for col in ("baseline_mean", "scenario_mean", "difference"):
            parts = rows[measure, "mc_holders"][col] + rows[measure, "non_holders"][col]
            assert parts == pytest.approx(rows[measure, "total"][col], rel=1e-12, abs=1e-9)
    assert rows[COUNT, "mc_holders"]["difference"] > 0 > rows[COUNT, "non_holders"]["difference"]
    assert rows[COUNT, "total"]["verdict"] in VERDICT_RULES
    assert all(0.0 <= rows[RATE, g]["baseline_mean"] <= 1.0 for g in HOLDING_GROUPS)
