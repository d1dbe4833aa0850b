"""Figures: every kind renders without warnings, and the CSV beside it holds the plotted numbers."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.plots import KINDS, PlotError, figure, plot, scenario_colours
from sim.cli.main import app
from tests.fakes import BASELINE, POLICY, FakeScenario, make_run, scenario_values

SEEDS = (1, 2, 3, 4, 5, 6)
MONTHS = 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plots") / "two"
    return make_run(root, [BASELINE, POLICY], seeds=SEEDS, months=MONTHS)


def _values(scenario: FakeScenario, metric: str) -> np.ndarray:
    """values[seed, month] of the fake run, computed directly."""
    return np.array([scenario_values(scenario, k, MONTHS)[metric] for k in SEEDS])


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _half(x: np.ndarray, axis: int = 0) -> np.ndarray:
    n = x.shape[axis]
    return stats.t.ppf(0.975, n - 1) * x.std(axis=axis, ddof=1) / np.sqrt(n)


def _render(run_dir: Path, metric: str, kind: str, out: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return plot(run_dir, metric, kind, out=out)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("metric", ["mean_starting_salary", "recent_grad_unemployment_rate"])
def test_every_kind_renders_a_real_image_without_warnings(
    run_dir: Path, tmp_path: Path, kind: str, metric: str
) -> None:
    path = _render(run_dir, metric, kind, tmp_path / f"{kind}.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 20_000
    pixels = imread(path)
    assert pixels.shape[0] > 400 and pixels.shape[1] > 800
    assert pixels[..., :3].std() > 0.05  # not a blank canvas
    assert path.with_suffix(".csv").stat().st_size > 0


def test_timeseries_csv_holds_mean_and_band(run_dir: Path, tmp_path: Path) -> None:
    metric = "mean_starting_salary"
    rows = _read_csv(_render(run_dir, metric, "timeseries", tmp_path / "t.png").with_suffix(".csv"))
    assert len(rows) == 2 * MONTHS
    for scenario in (BASELINE, POLICY):
        v = _values(scenario, metric)
        mine = [r for r in rows if r["scenario"] == scenario.name]
        assert [int(r["month"]) for r in mine] == list(range(1, MONTHS + 1))
        np.testing.assert_allclose([float(r["mean"]) for r in mine], v.mean(axis=0), rtol=1e-12)
        lo = v.mean(axis=0) - _half(v)
        np.testing.assert_allclose([float(r["ci_low"]) for r in mine], lo, rtol=1e-10)
        assert {int(r["n_seeds"]) for r in mine} == {len(SEEDS)}


def test_difference_csv_holds_paired_differences(run_dir: Path, tmp_path: Path) -> None:
    metric = "hires"
    rows = _read_csv(_render(run_dir, metric, "difference", tmp_path / "d.png").with_suffix(".csv"))
    d = _values(POLICY, metric) - _values(BASELINE, metric)
    assert {r["scenario"] for r in rows} == {POLICY.name}
    np.testing.assert_allclose([float(r["difference"]) for r in rows], d.mean(axis=0), rtol=1e-10)
    hi = d.mean(axis=0) + _half(d)
    np.testing.assert_allclose([float(r["ci_high"]) for r in rows], hi, rtol=1e-10)


def test_distribution_csv_holds_per_seed_window_means(run_dir: Path, tmp_path: Path) -> None:
    metric = "mc_holder_share"
    out = tmp_path / "dist.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = plot(run_dir, metric, "distribution", window="10:20", out=out)
    rows = _read_csv(path.with_suffix(".csv"))
    assert len(rows) == 2 * len(SEEDS)
    for scenario in (BASELINE, POLICY):
        expected = _values(scenario, metric)[:, 9:20].mean(axis=1)
        mine = [r for r in rows if r["scenario"] == scenario.name]
        assert [int(r["seed"]) for r in mine] == list(SEEDS)
        assert {(r["first_month"], r["last_month"]) for r in mine} == {("10", "20")}
        np.testing.assert_allclose([float(r["value"]) for r in mine], expected, rtol=1e-12)


def test_tornado_csv_holds_effects_with_cis(run_dir: Path, tmp_path: Path) -> None:
    metric = "mean_starting_salary"
    rows = _read_csv(_render(run_dir, metric, "tornado", tmp_path / "k.png").with_suffix(".csv"))
    (row,) = rows
    last12 = slice(MONTHS - 12, MONTHS)
    s = _values(POLICY, metric)[:, last12].mean(axis=1)
    b = _values(BASELINE, metric)[:, last12].mean(axis=1)
    ci = stats.ttest_rel(s, b).confidence_interval(0.95)
    assert row["scenario"] == POLICY.name
    assert float(row["difference"]) == pytest.approx((s - b).mean(), rel=1e-10)
    assert float(row["ci_low"]) == pytest.approx(ci.low, rel=1e-10)
    assert float(row["ci_high"]) == pytest.approx(ci.high, rel=1e-10)


def test_tornado_sorts_by_size(tmp_path: Path) -> None:
    small = FakeScenario("small", effect=0.005, noise=0.001)
    large = FakeScenario("large", effect=-0.03, noise=0.001)
    run = make_run(tmp_path / "r", [BASELINE, small, large], seeds=SEEDS, months=MONTHS)
    _, data = figure(run, "hires", "tornado")
    assert data.column("scenario").to_pylist() == ["large", "small"]


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_vector_formats_by_suffix(run_dir: Path, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = _render(run_dir, "hires", "difference", tmp_path / f"fig{suffix}")
    assert path.read_bytes().startswith(magic)
    assert path.with_suffix(".csv").exists()


def test_refusals(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PlotError, match="unsupported image format"):
        plot(run_dir, "hires", out=tmp_path / "x.jpg")
    with pytest.raises(PlotError, match="unknown plot kind"):
        figure(run_dir, "hires", "pie")  # type: ignore[arg-type]
    with pytest.raises(PlotError, match="baseline 'nope' not found"):
        figure(run_dir, "hires", "difference", baseline="nope")
    with pytest.raises(PlotError, match="scenario 'nope' not found"):
        figure(run_dir, "hires", "timeseries", scenarios=["nope"])
    with pytest.raises(PlotError, match="unknown metric"):
        figure(run_dir, "salary", "timeseries")
    assert not list(tmp_path.iterdir())


def test_difference_refuses_mismatched_seeds(tmp_path: Path) -> None:
    odd = FakeScenario("odd", effect=0.01, seeds=(1, 2, 3, 4, 5, 7))
    run = make_run(tmp_path / "r", [BASELINE, odd], seeds=SEEDS, months=MONTHS)
    with pytest.raises(PlotError, match="seeds do not match"):
        figure(run, "hires", "difference")


def test_figures_have_titles_units_legend_and_caption(run_dir: Path) -> None:
    fig, _ = figure(run_dir, "mean_starting_salary", "timeseries")
    ax = fig.axes[0]
    assert "Mean starting salary" in fig.get_suptitle()
    assert ax.get_ylabel() == "Mean starting salary (USD per year)"
    assert ax.get_xlabel() == "Month"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline", POLICY.name]
    caption = " ".join(t.get_text() for t in fig.texts)
    assert f"{len(SEEDS)} seeds per scenario" in caption and "5,000 students" in caption
    fig, _ = figure(run_dir, "mc_holder_share", "difference")
    assert fig.axes[0].get_ylabel() == "Difference from baseline (percentage points)"


def test_baseline_is_black_and_colours_are_stable(run_dir: Path) -> None:
    from sim.experiments.store import load_run

    colours = scenario_colours(load_run(run_dir))
    assert colours["baseline"] == "#000000"
    assert colours[POLICY.name] == "#0072B2"


def test_cli_plot_defaults_into_run_folder(run_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["plot", str(run_dir), "--metric", "hires", "--kind", "difference"]
    )
    assert result.exit_code == 0, result.output
    assert (run_dir / "plots" / "difference-hires.png").exists()
    assert (run_dir / "plots" / "difference-hires.csv").exists()
    out = tmp_path / "fig.svg"
    result = CliRunner().invoke(
        app,
        [
            "plot",
            str(run_dir),
            "-m",
            "hires",
            "-m",
            "vacancies",
            "-k",
            "tornado",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fig-tornado-hires.svg").exists()
    assert (tmp_path / "fig-tornado-vacancies.csv").exists()
    result = CliRunner().invoke(app, ["plot", str(run_dir), "-m", "nope"])
    assert result.exit_code == 2
    assert "unknown metric 'nope'" in result.output
