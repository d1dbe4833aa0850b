"""Performance work keeps the model's results: key metric means at fixed seeds, before vs now.

``BEFORE`` holds the per-seed means over the reported months of the key metrics, re-recorded
after the salary-model, screening and calibration changes (employer pay normalised per sector,
offered pay relative to ``wages.reference_signal``, employers screening a random subset of
applications, calibrated defaults); first recorded with the model as it
was before any performance work (commit d9a9fe3 of the population, market,
learning, enrolment, wages and agents modules), baseline scenario, 10,000 students, 60 reported
months after the scenario's burn-in, seeds 1-3.

Optimisations that keep the order of every random draw must reproduce these values exactly
(``EXACT``). One that changes the draw order says so in its commit, and the metrics it affects
are checked distributionally: the mean over the seeds within a few between-seed SDs.

A deliberate change of the model itself (not a performance change) changes these values: re-record
them then, with the command in ``_record`` below, and say so in that commit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.scenario import load_scenario
from sim.simulate import run_scenario

STUDENTS, MONTHS, SEEDS = 10_000, 60, (1, 2, 3)

BEFORE: dict[int, dict[str, float]] = {
    1: {
        "students_enrolled": 9800.833333333334,
        "new_enrolments": 228.21666666666667,
        "engaged_share": 0.6686597111121662,
        "mc_holder_share": 0.3059619914892096,
        "genai_mc_share": 0.16416014667057724,
        "credit_bearing_share_of_holders": 0.3761825444337384,
        "graduates_in_labour_force": 11240.066666666668,
        "recent_grad_unemployment_rate": 0.05512608800155141,
        "unemployed": 571.8833333333333,
        "vacancies": 443.78333333333336,
        "applications": 10362.433333333332,
        "hires": 414.98333333333335,
        "mean_unemployment_duration_months": 3.836484272962259,
        "median_unemployment_duration_months": 1.9333333333333333,
        "mean_starting_salary": 73961.31362735396,
        "mean_starting_salary_mc": 79707.1314111783,
        "mean_starting_salary_no_mc": 66975.65020926116,
        "employers_hiring_mc_share_12m": 0.808965331758404,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.6888535733721926,
    },
    2: {
        "students_enrolled": 9698.1,
        "new_enrolments": 228.71666666666667,
        "engaged_share": 0.6585774853600912,
        "mc_holder_share": 0.3041744396655636,
        "genai_mc_share": 0.1584566996645793,
        "credit_bearing_share_of_holders": 0.2874643736298987,
        "graduates_in_labour_force": 11303.316666666668,
        "recent_grad_unemployment_rate": 0.05072531195937418,
        "unemployed": 533.2,
        "vacancies": 453.1166666666667,
        "applications": 10036.366666666667,
        "hires": 424.68333333333334,
        "mean_unemployment_duration_months": 3.1526164941599846,
        "median_unemployment_duration_months": 1.8666666666666667,
        "mean_starting_salary": 67746.2141000625,
        "mean_starting_salary_mc": 72602.05230319874,
        "mean_starting_salary_no_mc": 61904.14003145876,
        "employers_hiring_mc_share_12m": 0.9135545978808526,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.6754521077940437,
    },
    3: {
        "students_enrolled": 9845.7,
        "new_enrolments": 229.28333333333333,
        "engaged_share": 0.6704750917617555,
        "mc_holder_share": 0.3143488429516505,
        "genai_mc_share": 0.16719542961037304,
        "credit_bearing_share_of_holders": 0.35858296158751235,
        "graduates_in_labour_force": 11348.766666666666,
        "recent_grad_unemployment_rate": 0.05160778247787611,
        "unemployed": 537.2833333333333,
        "vacancies": 452.5833333333333,
        "applications": 10054.566666666668,
        "hires": 422.28333333333336,
        "mean_unemployment_duration_months": 3.0538655023022714,
        "median_unemployment_duration_months": 1.8833333333333333,
        "mean_starting_salary": 68144.1653080694,
        "mean_starting_salary_mc": 72693.25128407576,
        "mean_starting_salary_no_mc": 62477.01614018545,
        "employers_hiring_mc_share_12m": 0.903759766208202,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.6854247518705269,
    },
}

EXACT: frozenset[str] = frozenset(
    {
        # Driven by the enrolment and population streams and the universities, which no
        # performance change has touched the draw order of.
        "students_enrolled",
        "new_enrolments",
        "engaged_share",
        "graduates_in_labour_force",
        "universities_offering_mc_share",
        "universities_credit_bearing_share",
    }
)
"""Metrics whose per-seed means must be reproduced bit for bit (draw order unchanged).

learning.start draws fewer numbers since commit "learning.start: one draw per person..." (the
learning stream's order changed), and market.match draws the skill-signal noise for screened
applications only (the market stream's order changed), so every metric downstream of MCs or the
market is checked distributionally.
"""

SEED_SD: dict[str, float] = {
    "mc_holder_share": 0.0101,
    "genai_mc_share": 0.00619,
    "credit_bearing_share_of_holders": 0.0665,
    "recent_grad_unemployment_rate": 0.00452,
    "unemployed": 54.3,
    "vacancies": 3.59,
    "applications": 541.0,
    "hires": 2.26,
    "mean_unemployment_duration_months": 0.435,
    "median_unemployment_duration_months": 0.422,
    "mean_starting_salary": 2550.0,
    "mean_starting_salary_mc": 2800.0,
    "mean_starting_salary_no_mc": 2430.0,
    "employers_hiring_mc_share_12m": 0.0152,
    "mean_skill_employed": 0.0116,
}
"""Between-seed SD of each metric's mean (20 seeds, before the performance work)."""

Z = 4.0
"""Distributional check: |mean over the seeds, now - before| <= Z * SD * sqrt(2 / n_seeds)."""


def _means(seed: int) -> dict[str, float]:
    scenario = load_scenario("baseline")
    table = run_scenario(scenario, seed, months=MONTHS, students=STUDENTS, groups=False).metrics
    return {name: float(np.nanmean(table[name].to_numpy().astype(float))) for name in BEFORE[seed]}


def _record() -> None:  # pragma: no cover - the command that produced BEFORE
    # python -c "from tests.test_perf_equivalence import _record; _record()"
    for seed in SEEDS:
        print(seed, _means(seed))


@pytest.fixture(scope="module")
def now() -> dict[int, dict[str, float]]:
    return {seed: _means(seed) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_metrics_identical_at_fixed_seed(now: dict[int, dict[str, float]], seed: int) -> None:
    differ = {
        name: (BEFORE[seed][name], now[seed][name])
        for name in sorted(EXACT)
        if now[seed][name] != BEFORE[seed][name]
    }
    assert not differ, f"metric means changed at seed {seed} (before, now): {differ}"


def test_other_metrics_statistically_unchanged(now: dict[int, dict[str, float]]) -> None:
    assert set(SEED_SD) | EXACT == set(BEFORE[1])
    for name, sd in SEED_SD.items():
        before = sum(BEFORE[s][name] for s in SEEDS) / len(SEEDS)
        after = sum(now[s][name] for s in SEEDS) / len(SEEDS)
        tolerance = Z * sd * math.sqrt(2 / len(SEEDS))
        assert abs(after - before) <= tolerance, (name, before, after, tolerance)
