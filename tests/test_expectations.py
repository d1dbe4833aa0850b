"""Expected returns (sim.model.expectations): realised premiums, adaptive updating with a lag, and
the choices that follow them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.simulate import run_scenario
from sim.inputs.params import defaults
from sim.inputs.scenario import load_scenario
from sim.model import expectations, learning
from sim.model.expectations import NO_RESPONSE, Expectations, realised_premiums

SMALL = {"students": 3000, "months": 36, "burn_in_months": 24}
STRONG = {  # a response strong enough to see on 3,000 students
    "students.return_elasticity": 10.0,
    "students.expectation_weight": 0.1,
    "students.expectation_min_hires": 5,
}
NEW_COLUMNS = {
    f"{kind}_{c}_premium" for kind in ("realised", "expected") for c in expectations.CREDENTIALS
}


def _metrics(
    name: str, seed: int, months: int = 36, students: int = 3000, **params: object
) -> pa.Table:
    run = SMALL | {"months": months, "students": students}
    scenario = load_scenario(name).with_params(params).with_run(**run)
    return run_scenario(scenario, seed).metrics


def _column(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


# ====================================================================== the pieces
def test_realised_premiums_are_mean_salary_ratios_over_hires_without_an_mc() -> None:
    salary = np.array([100.0, 100.0, 120.0, 130.0, 110.0])
    held = np.array(
        [
            [False, False, True, True, True],  # any MC
            [False, False, True, False, False],  # credit-bearing
            [False, False, False, False, False],  # GenAI: nobody
        ]
    )
    out = realised_premiums(salary, held)
    np.testing.assert_allclose(out[:2], [120.0 / 100.0 - 1.0, 0.2])
    assert np.isnan(out[2])
    # Too few hires on a side: no premium.
    assert np.isnan(realised_premiums(salary, held, min_hires=3)).all()
    assert np.isfinite(realised_premiums(salary, held, min_hires=2)[0])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(0, 40),
    st.floats(0.05, 0.95),
    st.integers(1, 5),
)
def test_realised_premiums_match_a_plain_computation(
    seed: int, n: int, share: float, min_hires: int
) -> None:
    rng = np.random.default_rng(seed)
    salary = rng.uniform(20_000, 150_000, n)
    mc = rng.random(n) < share
    held = np.stack([mc, mc & (rng.random(n) < 0.5), mc & (rng.random(n) < 0.3)])
    out = realised_premiums(salary, held, min_hires)
    for c in range(3):
        with_c, none = salary[held[c]], salary[~mc]
        if min(with_c.size, none.size) < min_hires:
            assert np.isnan(out[c])
        else:
            np.testing.assert_allclose(
                out[c], with_c.mean() / none.mean() - 1.0, rtol=1e-12, atol=1e-14
            )


def test_expectations_move_toward_what_was_seen_lag_months_ago() -> None:
    p = defaults() | {"students.expectation_weight": 0.5, "students.expectation_lag_months": 2,
                      "students.expectation_min_hires": 1}  # fmt: skip
    e = Expectations.start(p)
    start = e.expected.copy()
    salary = np.array([100.0, 150.0])
    held = np.array([[False, True]] * 3)  # every premium 0.5
    for month in (1, 2):  # nothing observed two months before months 1 and 2
        expectations.update(e, p, month, salary, held)
        np.testing.assert_array_equal(e.expected, start)
    expectations.update(e, p, 3, salary[:1], held[:, :1])  # month 3: no MC hire, premium NaN
    np.testing.assert_allclose(e.expected, start + 0.5 * (0.5 - start))  # month 1's premium
    assert np.isnan(e.realised).all()
    before = e.expected.copy()
    expectations.update(e, p, 5, salary, held)  # sees month 3: nothing to learn
    np.testing.assert_array_equal(e.expected, before)


def test_no_elasticity_no_response_and_fixed_beliefs_at_weight_zero() -> None:
    p = defaults() | {"students.return_elasticity": 0.0}
    e = Expectations.start(p)
    e.expected += 0.3
    assert expectations.response(e, p) is NO_RESPONSE
    p = defaults() | {"students.expectation_weight": 0.0}
    e = Expectations.start(p)
    expectations.update(e, p, 1, np.array([1.0, 9.0]), np.array([[False, True]] * 3))
    np.testing.assert_array_equal(e.expected, Expectations.start(p).expected)
    assert expectations.response(e, p) == expectations.Response()


# ====================================================================== common random numbers
def test_elasticity_zero_is_the_model_without_the_mechanism(monkeypatch) -> None:
    seed = 4
    on = _metrics("no_employer_premium", seed, **(STRONG | {"students.return_elasticity": 0.0}))
    assert len(set(_column(on, "expected_mc_premium"))) > 1, "expectations should move"
    # The model without the mechanism: learning.start never given a response.
    start = learning.start
    monkeypatch.setattr(learning, "start", lambda *args: start(*args[:5]))
    monkeypatch.setattr(expectations, "response", lambda *args: None)
    off = _metrics("no_employer_premium", seed, **(STRONG | {"students.return_elasticity": 0.0}))
    for name in on.column_names:
        if name not in NEW_COLUMNS:
            a, b = _column(on, name), _column(off, name)
            np.testing.assert_array_equal(a, b, err_msg=name)  # NaN-aware, bit for bit


# ====================================================================== the response
def test_removing_the_premium_lowers_uptake_after_the_lag_and_not_before() -> None:
    lag = 6
    params = STRONG | {"students.expectation_lag_months": lag}
    later = []
    for seed in (1, 2):
        base = _metrics("baseline", seed, **params)
        off = _metrics("no_employer_premium", seed, **params)
        # Before students see the change, they believe and choose the same.
        b_exp, o_exp = _column(base, "expected_mc_premium"), _column(off, "expected_mc_premium")
        np.testing.assert_array_equal(b_exp[:lag], o_exp[:lag])
        b_share, o_share = _column(base, "mc_holder_share"), _column(off, "mc_holder_share")
        np.testing.assert_array_equal(b_share[: lag + 1], o_share[: lag + 1])
        # ...then the expected premium falls toward nothing and fewer students hold MCs.
        assert o_exp[-12:].mean() < b_exp[-12:].mean() - 0.05
        later.append(o_share[-12:].mean() - b_share[-12:].mean())
    assert max(later) < -0.02, later


def test_a_premium_for_credit_bearing_mcs_only_raises_their_share_of_holders() -> None:
    # From month 13 plain MCs earn no premium: students who cannot earn credit start fewer MCs,
    # and those who can choose credit more often.
    params = STRONG | {"students.expectation_lag_months": 3}
    diff = []
    for seed in (1, 2):
        cb = _metrics("credit_bearing_expansion", seed, 48, 5000, **params)
        only = _metrics("premium_for_credit_only", seed, 48, 5000, **params)
        share = "credit_bearing_share_of_holders"
        np.testing.assert_array_equal(_column(only, share)[:12], _column(cb, share)[:12])
        diff.append(_column(only, share)[-12:].mean() - _column(cb, share)[-12:].mean())
    assert min(diff) > 0.02, diff


def test_expected_premiums_converge_toward_the_realised_ones() -> None:
    # Beliefs start far off (0.5); with no response they cannot move the market they learn from.
    wrong = {f"students.reference_{c}_premium": 0.5 for c in expectations.CREDENTIALS}
    params = wrong | {
        "students.return_elasticity": 0.0,
        "students.expectation_weight": 0.2,
        "students.expectation_min_hires": 5,
        "students.expectation_lag_months": 0,
    }
    table = _metrics("baseline", 3, **params)
    for c in expectations.CREDENTIALS:
        expected, realised = (_column(table, f"{k}_{c}_premium") for k in ("expected", "realised"))
        target = np.nanmean(realised)
        assert abs(0.5 - target) > 0.3  # where beliefs started, before burn-in
        assert abs(expected[-12:].mean() - target) < 0.03, c
