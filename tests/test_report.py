"""The HTML report: one self-contained file, embedded images, escaped text, the right content."""

from __future__ import annotations

import base64
import json
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.report import (
    KEY_METRICS,
    build_report,
    parameter_differences,
    report,
    scenario_summary,
)
from sim.cli.main import app
from sim.inputs.params import REGISTRY
from tests.fakes import BASELINE, IDENTICAL, POLICY, FakeScenario, make_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_PNG = "data:image/png;base64,"


class _Collector(HTMLParser):
    """Tags, their attributes and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("report") / "demo", [BASELINE, IDENTICAL, POLICY])


@pytest.fixture(scope="module")
def page(run_dir: Path) -> tuple[Path, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = report(run_dir)
    return path, path.read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(run_dir: Path, page: tuple[Path, str]) -> None:
    path, text = page
    assert path == run_dir / "report.html"
    assert not (run_dir / "plots").exists()  # the figures live only inside the page
    parsed = _parse(text)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "iframe" not in parsed.tags
    links = [(tag, k, v) for tag, k, v in parsed.attrs if k in ("src", "href")]
    assert links, "expected embedded images"
    for _tag, _key, value in links:
        assert not value.lower().startswith(("http://", "https://", "//")), value
    assert "url(" not in text and "@import" not in text


def test_images_are_embedded_pngs(page: tuple[Path, str]) -> None:
    parsed = _parse(page[1])
    sources = [v for tag, k, v in parsed.attrs if tag == "img" and k == "src"]
    # Time series, paired difference and tornado for each key metric.
    assert len(sources) == 3 * len(KEY_METRICS)
    for src in sources:
        assert src.startswith(DATA_PNG)
        png = base64.b64decode(src.removeprefix(DATA_PNG), validate=True)
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    alts = [v for tag, k, v in parsed.attrs if tag == "img" and k == "alt"]
    assert all(alts)


def test_report_content(page: tuple[Path, str]) -> None:
    text = " ".join(_parse(page[1]).text)
    for expected in (
        BASELINE.description,
        POLICY.description,
        "1, 2, 3, 4, 5, 6, 7, 8",
        "5,000 students",
        "36 output months (after 12 burn-in months)",
        "mesa 3.3.1",
        "2 min 30 s",
        "paired by seed",
        "mean_starting_salary_mc",
        "universities.credit_bearing_plan_conversion",
        "ramp to 1 over months 1-36",
        REGISTRY["universities.credit_bearing_plan_conversion"].source,
        REGISTRY["employers.separation_rate"].source,
    ):
        assert expected in text, expected


def test_comparison_table_matches_compare(run_dir: Path, page: tuple[Path, str]) -> None:
    from sim.analysis.compare import compare, display_rows

    _, rows = display_rows(compare(run_dir, metrics=list(KEY_METRICS)))
    text = page[1]
    for row in rows:
        assert f'<td class="num">{row[6]}</td>' in text.replace("&#x27;", "'")


@pytest.fixture(scope="module")
def odd_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of a run whose policy's description is HTML and with one task failed."""
    nasty = FakeScenario(
        "nasty", effect=0.01, description='<script>alert("x")</script> & <a href="http://e.x">'
    )
    run = make_run(tmp_path_factory.mktemp("odd") / "r", [BASELINE, nasty])
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tasks"].append(
        {"scenario": "extra", "seed": 1, "status": "failed", "error": "ValueError: boom <1>"}
    )
    (run / "manifest.json").write_text(json.dumps(manifest))
    return build_report(run)


def test_text_is_escaped(odd_page: str) -> None:
    text = odd_page
    assert "<script>" not in text and 'href="http://e.x"' not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in text


def test_baseline_only_run_has_no_effects(tmp_path: Path) -> None:
    run = make_run(tmp_path / "r", [BASELINE])
    parsed = _parse(build_report(run))
    assert "no effects to compare" in " ".join(parsed.text)
    assert sum(1 for tag in parsed.tags if tag == "img") == len(KEY_METRICS)


def test_missing_baseline_is_said(tmp_path: Path) -> None:
    run = make_run(tmp_path / "r", [POLICY])
    text = " ".join(_parse(build_report(run)).text)
    assert "No baseline scenario 'baseline'" in text


def test_failed_tasks_are_listed(odd_page: str) -> None:
    text = " ".join(_parse(odd_page).text)
    assert "1 task(s) failed" in text and "ValueError: boom <1>" in text


def test_parameter_differences(run_dir: Path) -> None:
    rows = {r["parameter"]: r for r in parameter_differences(run_dir).to_pylist()}
    assert set(rows) == {"universities.credit_bearing_plan_conversion", "employers.separation_rate"}
    policy = rows["universities.credit_bearing_plan_conversion"]
    assert policy["baseline"] == policy["same_as_baseline"] == "0"
    assert policy[POLICY.name] == "0, then ramp to 1 over months 1-36 (U1: 53% -> 82%)"
    assert policy["source_kind"] == "assumption"
    rate = rows["employers.separation_rate"]
    assert (rate["baseline"], rate[POLICY.name], rate["unit"]) == ("0.014", "0.012", "per month")


def test_scenario_summary(run_dir: Path) -> None:
    rows = {r["scenario"]: r for r in scenario_summary(run_dir).to_pylist()}
    assert list(rows) == [BASELINE.name, IDENTICAL.name, POLICY.name]
    assert rows[POLICY.name]["n_seeds"] == 8 and rows[POLICY.name]["tasks_done"] == 8
    assert rows[POLICY.name]["policies"].startswith("universities.credit_bearing_plan_conversion")
    assert rows[BASELINE.name]["hash"] == rows[IDENTICAL.name]["hash"] != rows[POLICY.name]["hash"]


def test_cli_report(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    result = CliRunner().invoke(
        app, ["report", str(run_dir), "--out", str(out), "-m", "hires", "--window", "1:12"]
    )
    assert result.exit_code == 0, result.output
    parsed = _parse(out.read_text(encoding="utf-8"))
    assert sum(1 for tag in parsed.tags if tag == "img") == 3
    assert "months 1-12" in " ".join(parsed.text)
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "hiresim run folder" in result.output
