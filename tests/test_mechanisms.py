"""Mechanism tests: each would fail if the mechanism it names were missing from the model.

Every comparison is paired by seed (the same seed gives the same population and draws in every
scenario, see :func:`sim.model.model.spawn_streams`) and made on means over a window of months, on
small populations so the whole file runs in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.inputs.scenario import Scenario, load_scenario, loads_scenario
from sim.model.model import HiringModel
from sim.model.population import GRADUATE
from sim.observe.recorder import MonthlyRecorder
from tests.runs import run_metrics

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SEEDS = (1, 2, 3)


def scenario(
    name: str, students: int, months: int, burn_in: int = 24, **params: object
) -> Scenario:
    """A shipped scenario, optionally with parameters overridden, at a small size."""
    sc = load_scenario(name)
    if params:
        sc = sc.with_params(params)
    return sc.with_run(students=students, months=months, burn_in_months=burn_in)


def metrics(sc: Scenario) -> list[pa.Table]:
    """The monthly metrics of ``sc`` for each seed of :data:`SEEDS`."""
    return [run_metrics(sc, seed) for seed in SEEDS]


def window(table: pa.Table, column: str, first: int, last: int) -> np.ndarray:
    """Values of ``column`` in months ``first..last``."""
    month = table.column("month")
    keep = pc.and_(pc.greater_equal(month, first), pc.less_equal(month, last))
    return table.filter(keep).column(column).to_numpy().astype(float)


def mean(table: pa.Table, column: str, first: int, last: int) -> float:
    """Mean of ``column`` over months ``first..last``."""
    values = window(table, column, first, last)
    assert values.size and not np.isnan(values).any(), f"{column}: no clean values to average"
    return float(values.mean())


def paired(
    base: Sequence[pa.Table], other: Sequence[pa.Table], column: str, first: int, last: int
) -> np.ndarray:
    """Per-seed difference ``other - base`` of the window means of ``column``."""
    return np.array(
        [
            mean(o, column, first, last) - mean(b, column, first, last)
            for b, o in zip(base, other, strict=True)
        ]
    )


# ============================================================== E2: the starting-salary premium


def _premium_ratio(table: pa.Table, first: int, last: int) -> float:
    mc = window(table, "mean_starting_salary_mc", first, last)
    no_mc = window(table, "mean_starting_salary_no_mc", first, last)
    return float(mc.mean() / no_mc.mean())


def test_turning_the_premium_off_lowers_mc_holders_starting_salary_relative_to_others() -> None:
    # 5000 students over 36 months: about 4,000 hires per run, so the ratio is stable per seed.
    base = metrics(scenario("baseline", 5000, 36))
    off = metrics(scenario("no_employer_premium", 5000, 36))
    ratio_on = np.array([_premium_ratio(t, 1, 36) for t in base])
    ratio_off = np.array([_premium_ratio(t, 1, 36) for t in off])
    # Holders are paid more with the premium (E2: 10-15% at ~63% of employers) ...
    assert (ratio_on > 1.05).all(), ratio_on
    # ... and the gap shrinks once no employer pays it (expected drop ~0.08).
    assert (ratio_off < ratio_on).all(), (ratio_on, ratio_off)
    assert (ratio_on - ratio_off).mean() > 0.03, (ratio_on, ratio_off)


def test_the_premium_switch_as_a_base_parameter_acts_the_same_way() -> None:
    base = metrics(scenario("baseline", 5000, 36))
    off = metrics(scenario("baseline", 5000, 36, **{"employers.premium_enabled": False}))
    drop = np.array(
        [
            _premium_ratio(b, 1, 36) - _premium_ratio(o, 1, 36)
            for b, o in zip(base, off, strict=True)
        ]
    )
    assert (drop > 0).all() and drop.mean() > 0.03, drop


# ============================================================== U1 / L1: credit-bearing MCs

CREDIT_NOW = """
name = "credit_now"
description = "Every MC-offering university makes its MCs credit-bearing from month 1."
extends = "baseline"

[[policy]]
param = "universities.credit_bearing_plan_conversion"
month = 1
value = 1.0
"""

ALL_OFFER_NONE_CREDIT = {
    "universities.mc_offer_share": 1.0,
    "universities.credit_bearing_share": 0.0,
    "universities.credit_bearing_plan_share": 1.0,
}
"""Every university offers MCs, none credit-bearing, all plan it: adoption moves everyone."""


def test_credit_bearing_adoption_raises_enrolment_and_engagement() -> None:
    run = {"students": 5000, "months": 36, "burn_in_months": 24}
    base = load_scenario("baseline").with_params(ALL_OFFER_NONE_CREDIT).with_run(**run)
    adopt = loads_scenario(CREDIT_NOW, base_dir=SCENARIO_DIR)
    adopt = adopt.with_params(ALL_OFFER_NONE_CREDIT).with_run(**run)
    before, after = metrics(base), metrics(adopt)
    for b, a in zip(before, after, strict=True):
        assert mean(b, "universities_credit_bearing_share", 1, 36) == 0.0
        assert mean(a, "universities_credit_bearing_share", 1, 36) == 1.0

    # L1 through students.enrolment_conversion: a lift of about 6% on every intake.
    def intake_mean(table: pa.Table) -> float:
        values = window(table, "new_enrolments", 1, 36)
        return float(values[values > 0].mean())

    lift = np.array(
        [intake_mean(a) / intake_mean(b) - 1.0 for b, a in zip(before, after, strict=True)]
    )
    assert (lift > 0).all() and lift.mean() > 0.03, lift
    # L1 through students.engagement_conversion: engagement rises as students reconsider it.
    engaged = paired(before, after, "engaged_share", 13, 36)
    assert (engaged > 0.05).all(), engaged


def test_the_credit_bearing_expansion_scenario_raises_engagement() -> None:
    # 20,000 students make 40 universities, 20 offering MCs: U1's 53% -> 82% moves about six
    # of them (at 5,000 students a single, possibly small, university adopts).
    base = metrics(scenario("baseline", 20_000, 48))
    expansion = metrics(scenario("credit_bearing_expansion", 20_000, 48))
    adopted = paired(base, expansion, "universities_credit_bearing_share", 37, 48)
    assert (adopted > 0).all(), adopted
    engaged = paired(base, expansion, "engaged_share", 25, 48)
    assert (engaged > 0).all() and engaged.mean() > 0.005, engaged


# ============================================================== a vacancy shock


def test_a_vacancy_shock_raises_unemployment_during_the_shock() -> None:
    base = metrics(scenario("baseline", 3000, 36))
    shock = metrics(scenario("recession", 3000, 36))
    for b, s in zip(base, shock, strict=True):
        # Common random numbers: nothing differs before the shock starts in month 13.
        for column in ("vacancies", "unemployed", "hires"):
            np.testing.assert_array_equal(window(b, column, 1, 12), window(s, column, 1, 12))
    vacancies = np.array(
        [
            mean(s, "vacancies", 13, 36) / mean(b, "vacancies", 13, 36)
            for b, s in zip(base, shock, strict=True)
        ]
    )
    assert (vacancies < 0.9).all(), vacancies
    unemployed = np.array(
        [
            mean(s, "unemployed", 13, 36) / mean(b, "unemployed", 13, 36)
            for b, s in zip(base, shock, strict=True)
        ]
    )
    assert (unemployed > 1.2).all(), unemployed
    recent = paired(base, shock, "recent_grad_unemployment_rate", 13, 36)
    assert (recent > 0.02).all(), recent


# ============================================================== B2: GenAI across disciplines


def test_genai_across_disciplines_raises_the_genai_mc_share() -> None:
    base = metrics(scenario("baseline", 3000, 36))
    genai = metrics(scenario("genai_across_disciplines", 3000, 36))
    rise = paired(base, genai, "genai_mc_share", 13, 36)
    assert (rise > 0.02).all() and rise.mean() > 0.04, rise
    # Enrolment is a separate stream: the policy leaves it untouched.
    for b, g in zip(base, genai, strict=True):
        assert b.column("students_enrolled").equals(g.column("students_enrolled"))


# ============================================================== B1 and B3


def test_faculty_development_raises_the_mc_holder_share() -> None:
    base = metrics(scenario("baseline", 3000, 36))
    faculty = metrics(scenario("faculty_development", 3000, 36))
    rise = paired(base, faculty, "mc_holder_share", 25, 36)
    assert (rise > 0.01).all(), rise


def test_ai_literacy_raises_graduates_ai_skill() -> None:
    gains = []
    for seed in SEEDS:
        skills = []
        for name in ("baseline", "ai_literacy"):
            model = HiringModel(scenario(name, 3000, 36), seed)
            model.run()
            pop = model.population
            recent = (pop.status == GRADUATE) & (pop.exit_month >= 13)
            skills.append(pop.ai_skill[recent].astype(float))
        assert skills[0].size == skills[1].size > 0  # same seed, same graduates
        gains.append(skills[1].mean() - skills[0].mean())
    assert min(gains) > 0.05, gains


# ============================================================== credential inflation


def test_mc_saturation_lowers_what_employers_learn_an_mc_is_worth() -> None:
    worth, holders = [], []
    for seed in SEEDS:
        row = []
        for name in ("baseline", "mc_saturation"):
            recorder = MonthlyRecorder(groups=False)
            model = HiringModel(scenario(name, 3000, 84), seed, observers=[recorder])
            model.run()
            hired = model.employers.all_n > 0
            row.append(float(model.employers.value[hired, 0].mean()))
            holders.append(recorder.rows[-1]["mc_holder_share"])
        worth.append(row)
    worth_arr = np.array(worth)
    # MCs became common ...
    rise = np.array(holders[1::2]) - np.array(holders[0::2])
    assert (rise > 0.1).all(), holders
    # ... and employers learned that holding one says less: the credential inflated.
    drop = worth_arr[:, 0] - worth_arr[:, 1]
    assert (drop > 0).all() and drop.mean() > 0.05, worth_arr
