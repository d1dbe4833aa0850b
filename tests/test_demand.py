"""The labour market's frictions and demand: each test would fail if its mechanism were missing.

Vacancies stay open until filled or withdrawn; screening capacity sets how fast they fill;
positions move toward target demand at the adjustment rate; demand follows the labour force over
the absorption horizon (not at all when the rate is 0) and graduates' productivity by the
elasticity; final-year students accept offers before graduating.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from sim.inputs.params import defaults
from sim.inputs.scenario import Scenario, load_scenario, loads_scenario
from sim.model import demand, market
from sim.model.agents import EmployerTable
from sim.model.model import HiringModel
from sim.model.vacancies import VacancyStock
from tests.runs import run_metrics

SEEDS = (1, 2, 3)
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def small(name: str = "baseline", months: int = 36, **params: object) -> Scenario:
    """A shipped scenario at 3,000 students with some parameters overridden."""
    sc = load_scenario(name)
    if params:
        sc = sc.with_params(params)
    return sc.with_run(students=3000, months=months, burn_in_months=24)


def window_mean(sc: Scenario, seed: int, column: str, first: int, last: int) -> float:
    table = run_metrics(sc, seed).to_pandas()
    return float(table[(table.month >= first) & (table.month <= last)][column].mean())


def employers(n: int, positions: int, filled: int) -> EmployerTable:
    """``n`` equal employers with ``positions`` positions each, ``filled`` of them held."""
    table = EmployerTable.create(
        np.random.default_rng(0), n, n * positions, np.full(4, 0.25), np.full(4, 60_000.0),
        0.1, 1.5, never=-(10**6),
    )  # fmt: skip
    table.demand_share = np.full(n, 1.0 / n)
    table.positions = np.full(n, positions, dtype=np.int64)
    table.filled = np.full(n, filled, dtype=np.int64)
    return table


# ====================================================================== the vacancy stock


@contextmanager
def stock_at_each_round() -> Iterator[list[tuple[np.ndarray, int]]]:
    """Record (posting months of the open vacancies, month) each time the round runs."""
    seen: list[tuple[np.ndarray, int]] = []
    original = market.match

    def wrapper(*args: object, **kwargs: object) -> market.MarketRound:
        seen.append((args[2].posted.copy(), args[4]))
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(market, "match", wrapper)
        yield seen


def test_a_vacancy_not_filled_stays_open_next_month_unless_withdrawn() -> None:
    # (A lapsed vacancy's position is posted again as a new vacancy, posted this month.)
    for rate in (0.0, 0.3):
        model = HiringModel(small(**{"market.vacancy_withdrawal_rate": rate}), 4)
        with stock_at_each_round() as seen:
            for _ in range(30):
                open_before = model.vacancies.size
                model.step()
                carried, month = seen[-1]
                old = int(np.count_nonzero(carried < month))
                # Every vacancy open at the end of last month is in this month's round, but for
                # those withdrawn (the demand is near its target, so withdrawals are the hazard's).
                assert old == open_before - model.record.vacancies_withdrawn
        if rate == 0.0:
            assert model.record.vacancies_withdrawn >= 0
        # Vacancies do live past their first month: the stock holds some posted months ago.
        assert (model.vacancies.posted < model.month).any()


def test_withdrawals_follow_the_withdrawal_rate() -> None:
    emp = employers(200, 10, 5)
    stock = VacancyStock.empty()
    stock.post(emp, 0)
    p = defaults() | {"market.vacancy_withdrawal_rate": 0.25}
    # At its target, vacancies lapse at the withdrawal rate and positions stay: each lapsed one
    # is posted again.
    _, withdrawn = demand.adjust_positions(emp, stock, p, 2000.0, np.random.default_rng(1))
    assert withdrawn == pytest.approx(0.25 * 1000, abs=4 * math.sqrt(1000 * 0.25 * 0.75))
    assert emp.positions.sum() == 2000
    assert stock.post(emp, 1) == withdrawn
    np.testing.assert_array_equal(emp.positions - emp.filled, stock.by_employer(200))


def test_fewer_applications_screened_fill_fewer_vacancies_a_month() -> None:
    rates = {
        screened: [
            window_mean(
                small(**{"employers.applicants_screened": screened}), s, "vacancy_fill_rate", 13, 36
            )
            for s in SEEDS
        ]
        for screened in (4.0, 1.0)
    }
    assert all(lo < hi for lo, hi in zip(rates[1.0], rates[4.0], strict=True)), rates


def test_a_vacancy_reads_at_most_its_screening_capacity_in_expectation() -> None:
    model = HiringModel(small(**{"employers.applicants_screened": 2.0}), 1)
    for _ in range(30):
        model.step()
    r = model.record.market_round
    # Lifetime applications pile up while vacancies wait; each month's are counted in.
    assert r.lifetime_applications.size == r.filled.size > 0
    assert (r.lifetime_applications >= 1).all()


# ====================================================================== labour demand


def test_a_drop_in_target_demand_lowers_positions_at_the_adjustment_rate() -> None:
    rate = 0.1
    p = defaults() | {"market.demand_adjustment_rate": rate, "market.vacancy_withdrawal_rate": 0.0}
    emp = employers(500, 40, 20)  # half the positions open: enough vacancies to withdraw
    stock = VacancyStock.empty()
    stock.post(emp, 0)
    start, target = 20_000, 16_000
    rng = np.random.default_rng(3)
    for month in range(1, 7):
        demand.adjust_positions(emp, stock, p, target, rng)
        stock.post(emp, month)
        gap = emp.positions.sum() - target
        expected = (start - target) * (1 - rate) ** month
        assert gap == pytest.approx(expected, rel=0.05), month
    np.testing.assert_array_equal(emp.positions - emp.filled, stock.by_employer(500))


def test_a_rise_in_target_demand_opens_positions_at_the_adjustment_rate() -> None:
    rate = 0.1
    p = defaults() | {"market.demand_adjustment_rate": rate, "market.vacancy_withdrawal_rate": 0.0}
    emp = employers(500, 20, 20)
    stock = VacancyStock.empty()
    opened, _ = demand.adjust_positions(emp, stock, p, 12_000.0, np.random.default_rng(4))
    assert opened == pytest.approx(rate * 2000, abs=4 * math.sqrt(rate * 2000))
    assert emp.positions.sum() == 10_000 + opened
    assert stock.post(emp, 1) == opened


def test_served_labour_force_follows_supply_at_the_absorption_rate_and_not_when_fixed() -> None:
    for rate in (0.0, 0.05):
        p = defaults() | {"market.supply_absorption_rate": rate}
        d = demand.Demand.start(p, 1000.0)
        for _ in range(12):
            demand.update(d, p, 1200, p["wages.reference_productivity"])
        assert d.served == pytest.approx(1200 - 200 * (1 - rate) ** 12)
        assert d.target == pytest.approx(p["employers.jobs_per_labour_force"] * d.served)


LARGER_INTAKE = """
name = "larger_intake"
description = "Every intake from month 1 is 60% larger (enrolment probability 0.5 -> 0.8)."
extends = "baseline"
[[policy]]
param = "students.enrol_prob_no_mc"
month = 1
value = 0.8
"""


def test_a_larger_intake_raises_positions_over_the_absorption_horizon_only_if_demand_follows() -> (
    None
):
    bigger = loads_scenario(LARGER_INTAKE, base_dir=SCENARIO_DIR)
    fixed = {"market.labour_demand_elasticity": 0.0}  # no productivity channel: supply alone
    for rate in (0.0, 0.05):
        for seed in SEEDS[:2]:
            pair = [
                sc.with_params(fixed | {"market.supply_absorption_rate": rate}).with_run(
                    students=3000, months=84, burn_in_months=24
                )
                for sc in (load_scenario("baseline"), bigger)
            ]
            target, positions = (
                [window_mean(sc, seed, column, 73, 84) for sc in pair]
                for column in ("target_demand", "positions")
            )
            if rate == 0.0:
                # A fixed stock of jobs: demand does not move at all. Positions differ only by
                # the attrition friction (employers above target close positions only as
                # vacancies open up, and a tighter market leaves fewer open).
                assert target[1] == target[0]
                assert abs(positions[1] / positions[0] - 1.0) < 0.01, positions
            else:
                # Graduates of the larger intakes enter from month 37; demand follows them.
                assert target[1] / target[0] - 1.0 > 0.1, target
                assert positions[1] / positions[0] - 1.0 > 0.05, positions


def test_a_productivity_gain_raises_target_demand_by_the_elasticity() -> None:
    p = defaults()
    beta, rho = p["wages.skill_return"], p["wages.productivity_pass_through"]
    eta = p["market.labour_demand_elasticity"]
    ref = p["wages.reference_productivity"]
    assert demand.productivity_factor(p, ref) == 1.0
    for gain in (0.25, 1.0):
        factor = demand.productivity_factor(p, ref + gain)
        # d log(target) = elasticity x d log(productivity per unit of pay).
        assert math.log(factor) == pytest.approx(eta * beta * (1 - rho) * gain)
        d = demand.Demand.start(p, 1000.0)
        demand.update(d, p, 1000, ref + gain)
        assert d.target == pytest.approx(p["employers.jobs_per_labour_force"] * 1000 * factor)
    no_elasticity = p | {"market.labour_demand_elasticity": 0.0}
    assert demand.productivity_factor(no_elasticity, ref + 1.0) == 1.0


def test_ai_literacy_raises_target_demand_and_pay_through_observed_productivity() -> None:
    diffs = []
    for seed in SEEDS:
        base, lit = small(months=48), small("ai_literacy", months=48)
        diffs.append(
            [window_mean(lit, seed, c, 37, 48) - window_mean(base, seed, c, 37, 48)
             for c in ("observed_productivity", "target_demand")]
        )  # fmt: skip
    diffs = np.array(diffs)
    assert (diffs[:, 0] > 0).all() and (diffs[:, 1] > 0).all(), diffs


# ====================================================================== search before graduation


def test_some_final_year_students_hold_offers_at_graduation() -> None:
    with_search = [window_mean(small(), s, "graduates_with_offer_share", 1, 36) for s in SEEDS]
    assert all(0.05 < share < 1.0 for share in with_search), with_search
    none = small(**{"market.pre_graduation_search_months": 0})
    assert all(window_mean(none, s, "graduates_with_offer_share", 1, 36) == 0 for s in SEEDS)


def test_search_before_graduation_flattens_the_graduation_saw_tooth() -> None:
    def amplitude(sc: Scenario, seed: int) -> float:
        table = run_metrics(sc, seed).to_pandas()
        table = table[table.month > 12]
        by_month = table.groupby((table.month - 1) % 12)["recent_grad_unemployment_rate"].mean()
        return float(by_month.max() - by_month.min())

    for seed in SEEDS:
        with_search = amplitude(small(), seed)
        without = amplitude(small(**{"market.pre_graduation_search_months": 0}), seed)
        assert with_search < without, (seed, with_search, without)
