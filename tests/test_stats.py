"""The shared statistics: windows, per-seed window means, t-intervals and paired differences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.analysis.stats import (
    AnalysisError,
    Window,
    mean_ci,
    paired_difference,
    resolve_window,
    seed_values,
    seed_window_means,
    t_half_width,
    t_quantile,
)
from sim.experiments.store import load_run
from tests.fakes import FakeScenario, make_run, scenario_values

# Values in hundredths: seed-level metrics, not denormal numbers whose squares underflow.
finite = st.integers(-(10**8), 10**8).map(lambda i: i / 100)
samples = st.lists(finite, min_size=2, max_size=40)


# ==================================================================== t quantiles


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        # Student's t table (e.g. Abramowitz & Stegun, table 26.10), to the digits printed there.
        (0.975, 1, 12.706),
        (0.975, 2, 4.303),
        (0.975, 4, 2.776),
        (0.975, 9, 2.262),
        (0.975, 29, 2.045),
        (0.95, 10, 1.812),
        (0.995, 5, 4.032),
        (0.9995, 1, 636.619),
    ],
)
def test_t_quantile_matches_the_printed_table(p: float, df: float, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_is_symmetric_and_tends_to_the_normal() -> None:
    assert t_quantile(0.5, 3) == pytest.approx(0.0, abs=1e-12)  # scipy 1.13 gives 7e-17
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7), rel=1e-14)
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)
    assert t_quantile(0.975, 3.5) == pytest.approx(stats.t.ppf(0.975, 3.5))  # real df (Welch)


# ==================================================================== mean and interval


@given(samples)
def test_interval_contains_the_mean_and_is_symmetric(values: list[float]) -> None:
    mean, lo, hi = mean_ci(values)
    assert mean == pytest.approx(np.mean(values), abs=1e-6)
    assert lo <= mean <= hi
    assert hi - mean == pytest.approx(mean - lo, abs=1e-6)


@given(samples, st.floats(min_value=0.5, max_value=0.99))
def test_higher_confidence_gives_a_wider_interval(values: list[float], conf: float) -> None:
    _, lo, hi = mean_ci(values, conf)
    _, lo99, hi99 = mean_ci(values, 0.995)
    assert hi99 - lo99 >= hi - lo


@settings(max_examples=50)
@given(st.lists(finite, min_size=2, max_size=10, unique=True), st.integers(2, 6))
def test_width_shrinks_as_the_same_values_are_seen_more_often(values: list[float], k: int) -> None:
    # Repeating a sample k times keeps its mean and (nearly) its spread but multiplies n by k.
    _, lo, hi = mean_ci(values)
    _, lo_k, hi_k = mean_ci(values * k)
    assert hi_k - lo_k < hi - lo


def test_mean_ci_matches_scipy_and_leaves_out_undefined_values() -> None:
    v = [3.0, 4.5, math.nan, 5.0, 2.5, math.inf]
    finite_v = np.array([3.0, 4.5, 5.0, 2.5])
    lo, hi = stats.t.interval(0.95, 3, loc=finite_v.mean(), scale=stats.sem(finite_v))
    mean, got_lo, got_hi = mean_ci(v)
    assert mean == finite_v.mean()
    assert (got_lo, got_hi) == pytest.approx((lo, hi), rel=1e-12)
    assert math.isnan(mean_ci([])[0])
    one = mean_ci([2.0, math.nan])
    assert one[0] == 2.0 and math.isnan(one[1]) and math.isnan(one[2])
    assert math.isnan(t_half_width(np.array([1.0])))


# ==================================================================== paired differences


def test_relative_interval_is_delta_method_on_pairs() -> None:
    b = np.array([10.0, 12.0, 9.0, 11.0, 10.5])
    s = np.array([10.4, 12.3, 9.5, 11.2, 11.0])
    r = paired_difference(b, s)
    ratio = s.mean() / b.mean()
    z = (s - ratio * b) / b.mean()
    half = stats.t.ppf(0.975, 4) * z.std(ddof=1) / math.sqrt(5)
    assert r.relative == pytest.approx(ratio - 1.0)
    assert r.rel_ci_low == pytest.approx(ratio - 1.0 - half)
    assert r.rel_ci_high == pytest.approx(ratio - 1.0 + half)


def test_paired_interval_and_welch_width_match_scipy() -> None:
    b = np.array([10.0, 12.0, 9.0, 11.0, 10.5, 9.7])
    s = np.array([10.4, 12.3, 9.5, 11.2, 11.0, 9.9])
    r = paired_difference(b, s)
    ci = stats.ttest_rel(s, b).confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    welch = stats.ttest_ind(s, b, equal_var=False).confidence_interval(0.95)
    assert r.unpaired_ci_width == pytest.approx(welch.high - welch.low, rel=1e-10)


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=30))
def test_paired_interval_is_the_mean_ci_of_the_differences(
    pairs: list[tuple[float, float]],
) -> None:
    b = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs])
    r = paired_difference(b, s)
    mean, lo, hi = mean_ci(list(s - b))
    assert (r.difference, r.ci_low, r.ci_high) == (mean, lo, hi)
    assert r.ci_low <= r.difference <= r.ci_high
    assert r.unpaired_ci_width >= 0.0


def test_welch_width_survives_variances_whose_squares_underflow() -> None:
    # Found by hypothesis: a variance of ~1e-182 squares to 0.0, which divided by zero.
    r = paired_difference(np.array([0.0, 0.0]), np.array([0.0, 8.395826601977344e-91]))
    assert 0.0 < r.unpaired_ci_width < 1e-88


def test_nan_months_are_skipped_and_undefined_seeds_dropped() -> None:
    b = np.array([1.0, 2.0, math.nan, 4.0])
    s = np.array([1.5, 2.5, 3.5, math.nan])
    r = paired_difference(b, s)
    assert r.n == 2
    assert r.difference == pytest.approx(0.5)
    single = paired_difference(np.array([1.0]), np.array([2.0]))
    assert single.n == 1 and single.difference == 1.0 and math.isnan(single.ci_low)
    with pytest.raises(AnalysisError, match="unknown method"):
        paired_difference(b, s, method="jackknife")  # type: ignore[arg-type]


# ==================================================================== windows and window means


def test_windows() -> None:
    assert resolve_window(36) == Window(25, 36)
    assert resolve_window(6) == Window(1, 6)
    assert resolve_window(36, month=12) == Window(12, 12)
    assert resolve_window(36, window="1:12") == Window(1, 12)
    assert Window.parse("7") == Window(7, 7)
    assert (Window(7, 7).label, Window(49, 60).label) == ("month 7", "months 49-60")
    with pytest.raises(AnalysisError, match="outside the run's months 1-36"):
        resolve_window(36, window="30:40")
    with pytest.raises(AnalysisError, match="either a month or a window"):
        resolve_window(36, month=3, window="1:2")
    for bad in ("a:b", "5:2", "0:3", "1:2:3"):
        with pytest.raises(AnalysisError, match="invalid month window"):
            Window.parse(bad)


def test_seed_values_average_the_window_skipping_nan(tmp_path: Path) -> None:
    gappy = FakeScenario("baseline", nan_months=(25, 26, 30))
    run = load_run(make_run(tmp_path / "r", [gappy], seeds=(4, 9)))
    values = seed_values(run.metrics, ["mean_starting_salary_mc", "hires"], Window(25, 36))
    for seed, got_mc, got_hires in zip(
        values.column("seed").to_pylist(),
        values.column("mean_starting_salary_mc").to_pylist(),
        values.column("hires").to_pylist(),
        strict=True,
    ):
        cols = scenario_values(gappy, seed, 36)
        assert got_mc == pytest.approx(np.nanmean(cols["mean_starting_salary_mc"][24:36]))
        assert got_hires == pytest.approx(cols["hires"][24:36].mean())


def test_seed_window_means_use_only_the_window_and_skip_nan() -> None:
    table = pa.table(
        {
            "seed": [1, 1, 1, 2, 2, 2],
            "month": [1, 2, 3, 1, 2, 3],
            "x": [1.0, 3.0, 100.0, math.nan, 4.0, 100.0],
        }
    )
    assert seed_window_means(table, "x", (1, 2)) == {1: 2.0, 2: 4.0}
    undefined = seed_window_means(table, "x", (1, 1))
    assert undefined[1] == 1.0 and math.isnan(undefined[2])
    one_seed = pa.table({"month": [1, 2, 3], "x": [1.0, 2.0, 101.0]})
    assert seed_window_means(one_seed, "x", (2, 3)) == {0: 51.5}
