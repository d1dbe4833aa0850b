"""Sparse Bernoulli selection: the law of ``flatnonzero(rng.random(n) < p)``, fewer draws."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.sampling import bernoulli_positions, bernoulli_subset, categorical


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 5000),
    p=st.one_of(st.sampled_from([0.0, 1.0, -0.5, 1.5]), st.floats(0.0, 1.0)),
    seed=st.integers(0, 2**32 - 1),
)
def test_positions_are_ascending_distinct_and_in_range(n: int, p: float, seed: int) -> None:
    pos = bernoulli_positions(np.random.default_rng(seed), n, p)
    assert pos.dtype == np.int64
    assert np.all(np.diff(pos) > 0)
    assert pos.size == 0 or (pos[0] >= 0 and pos[-1] < n)
    if p <= 0:
        assert pos.size == 0
    if p >= 1:
        assert pos.size == n


def test_same_seed_same_selection() -> None:
    a = bernoulli_positions(np.random.default_rng(7), 100_000, 0.01)
    b = bernoulli_positions(np.random.default_rng(7), 100_000, 0.01)
    assert np.array_equal(a, b)


def test_each_position_selected_with_probability_p() -> None:
    # Small n and many repetitions: the hit count of every position is Binomial(reps, p),
    # so the chi-square statistic over positions has about n degrees of freedom.
    rng = np.random.default_rng(2024)
    n, p, reps = 50, 0.03, 20_000
    hits = np.zeros(n)
    totals = np.empty(reps)
    for r in range(reps):
        pos = bernoulli_positions(rng, n, p)
        hits[pos] += 1
        totals[r] = pos.size
    expected = reps * p
    chi2 = float((((hits - expected) ** 2) / (expected * (1 - p))).sum())
    assert chi2 < n + 5 * np.sqrt(2 * n), chi2  # about 5 SDs above its mean
    # The count per draw is Binomial(n, p): mean and variance.
    assert abs(totals.mean() - n * p) < 5 * np.sqrt(n * p * (1 - p) / reps)
    assert abs(totals.var() / (n * p * (1 - p)) - 1) < 0.1


def test_large_n_count_matches_binomial() -> None:
    rng = np.random.default_rng(3)
    n, p = 2_000_000, 0.004
    counts = np.array([bernoulli_positions(rng, n, p).size for _ in range(40)])
    sd = np.sqrt(n * p * (1 - p))
    assert abs(counts.mean() - n * p) < 5 * sd / np.sqrt(counts.size)


def test_consecutive_positions_are_independent() -> None:
    # Gaps between selections are geometric: P(position i+1 | position i) = p.
    rng = np.random.default_rng(11)
    pos = bernoulli_positions(rng, 5_000_000, 0.02)
    gaps = np.diff(pos)
    share_adjacent = float(np.mean(gaps == 1))
    assert abs(share_adjacent - 0.02) < 5 * np.sqrt(0.02 * 0.98 / gaps.size)
    assert abs(gaps.mean() - 1 / 0.02) < 5 * np.sqrt((1 - 0.02) / 0.02**2 / gaps.size)


def test_subset_keeps_order_of_rows() -> None:
    rows = np.arange(10, 100_010, 3)
    picked = bernoulli_subset(np.random.default_rng(1), rows, 0.05)
    assert np.all(np.isin(picked, rows))
    assert np.all(np.diff(picked) > 0)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1e3)), min_size=1, max_size=3000
    ).filter(lambda w: sum(w) > 0),
    size=st.integers(0, 20_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_categorical_is_rng_choice_exactly(weights: list[float], size: int, seed: int) -> None:
    p = np.array(weights) / sum(weights)
    expected = np.random.default_rng(seed).choice(p.size, size=size, p=p)
    got = categorical(np.random.default_rng(seed), p, size)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
