"""Performance work keeps the model's results: key metric means at fixed seeds, before vs now.

``BEFORE`` holds the per-seed means over the reported months of the key metrics, recorded with
the model as it was before any performance work (commit d9a9fe3 of the population, market,
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
        "students_enrolled": 9846.866666666667,
        "new_enrolments": 230.13333333333333,
        "engaged_share": 0.6724293742154158,
        "mc_holder_share": 0.2692953526412383,
        "genai_mc_share": 0.1442827829760455,
        "credit_bearing_share_of_holders": 0.3816412384202419,
        "graduates_in_labour_force": 11292.933333333332,
        "recent_grad_unemployment_rate": 0.05303032550388123,
        "unemployed": 770.0833333333334,
        "vacancies": 487.0833333333333,
        "applications": 12315.95,
        "hires": 439.3,
        "mean_unemployment_duration_months": 15.033582894394788,
        "median_unemployment_duration_months": 7.741666666666666,
        "mean_starting_salary": 76902.841920043,
        "mean_starting_salary_mc": 83268.21965729565,
        "mean_starting_salary_no_mc": 69812.66488140472,
        "employers_hiring_mc_share_12m": 0.9057979104677576,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.7341145409725508,
    },
    2: {
        "students_enrolled": 9792.516666666666,
        "new_enrolments": 229.75,
        "engaged_share": 0.6547787514263465,
        "mc_holder_share": 0.26195815150291873,
        "genai_mc_share": 0.14224075963966876,
        "credit_bearing_share_of_holders": 0.2989024616032987,
        "graduates_in_labour_force": 11305.183333333332,
        "recent_grad_unemployment_rate": 0.05294471878832278,
        "unemployed": 784.05,
        "vacancies": 488.01666666666665,
        "applications": 12469.133333333333,
        "hires": 440.0,
        "mean_unemployment_duration_months": 15.006088682574513,
        "median_unemployment_duration_months": 7.866666666666666,
        "mean_starting_salary": 79033.29112777914,
        "mean_starting_salary_mc": 86317.03361189314,
        "mean_starting_salary_no_mc": 71060.9851657504,
        "employers_hiring_mc_share_12m": 0.9280999092005503,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.7192163117521972,
    },
    3: {
        "students_enrolled": 9695.216666666667,
        "new_enrolments": 227.48333333333332,
        "engaged_share": 0.6706026882823591,
        "mc_holder_share": 0.276365489170392,
        "genai_mc_share": 0.14746829335645364,
        "credit_bearing_share_of_holders": 0.3631824985576953,
        "graduates_in_labour_force": 11343.566666666668,
        "recent_grad_unemployment_rate": 0.05794039803707576,
        "unemployed": 876.7,
        "vacancies": 488.28333333333336,
        "applications": 13406.183333333332,
        "hires": 440.73333333333335,
        "mean_unemployment_duration_months": 15.769282524559845,
        "median_unemployment_duration_months": 9.35,
        "mean_starting_salary": 77644.19927250917,
        "mean_starting_salary_mc": 83525.26353963547,
        "mean_starting_salary_no_mc": 70750.29850203542,
        "employers_hiring_mc_share_12m": 0.9225176968432998,
        "universities_offering_mc_share": 0.5,
        "universities_credit_bearing_share": 0.5,
        "mean_skill_employed": 0.7342532240594668,
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
learning stream's order changed), so every metric downstream of MCs is checked distributionally.
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
