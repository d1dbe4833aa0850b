"""Population state kept to avoid whole-array passes agrees with those passes.

The exit-month buckets (:meth:`sim.model.population.Population.exited_by`) must find exactly the
rows a full scan finds, and per-row values kept with the fields they derive from (the ability
quartile) (the ability quartile, the rows beyond an ability cut, a value of each row's university)
must equal their recomputation, on a model
whose freed rows are reused by later intakes; so must the month view's unemployed rows, read from
the matching round's list.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs.scenario import load_scenario
from sim.model import learning
from sim.model.model import HiringModel
from sim.model.population import FREE, GRADUATE, NEVER, Population, ability_quartile, reset_rows
from sim.observe import metrics
from sim.observe.recorder import MonthlyRecorder


def _model(months: int, window: int | None = None) -> HiringModel:
    scenario = load_scenario("baseline").with_run(students=2000, months=months, burn_in_months=6)
    model = HiringModel(scenario, 11)
    if window is not None:
        model.spec = _with_window(model.spec, window)
    return model


def _with_window(scenario: object, window: int) -> object:
    """``scenario`` with every month's career window set to ``window``."""
    params_at = scenario.params_at

    class Shortened:
        def __getattr__(self, name: str) -> object:
            return getattr(scenario, name)

        def params_at(self, month: int) -> dict[str, object]:
            p = dict(params_at(month))
            p["market.career_window_months"] = window
            return p

    return Shortened()


@pytest.mark.parametrize("window", [None, 7])
def test_exit_buckets_find_what_a_full_scan_finds(
    monkeypatch: pytest.MonkeyPatch, window: int | None
) -> None:
    original = Population.exited_by
    calls: list[int] = []

    def checked(pop: Population, month: int) -> np.ndarray:
        scan = np.flatnonzero((pop.exit_month <= month) & (pop.status >= GRADUATE))
        rows = original(pop, month)
        np.testing.assert_array_equal(rows, scan)
        calls.append(rows.size)
        return rows

    monkeypatch.setattr(Population, "exited_by", checked)
    model = _model(months=40, window=window)
    start_capacity = model.population.capacity
    first_entry = model.population.entry_month.copy()
    model.run()
    pop = model.population
    assert len(calls) == model.burn_in + model.months
    assert sum(calls) > 0
    # Rows were freed and reused by later intakes (same rows, later entry).
    old = np.arange(min(start_capacity, pop.capacity))
    assert (pop.entry_month[old] > np.maximum(first_entry[old], NEVER + 1)).any()


def test_set_exit_month_with_one_month_per_row() -> None:
    pop = Population.empty(10)
    rows = np.array([1, 3, 4, 8])
    pop.status[rows] = GRADUATE
    pop.set_exit_month(rows, np.array([5, 2, 5, 9], dtype=np.int32))
    np.testing.assert_array_equal(pop.exit_month[rows], [5, 2, 5, 9])
    np.testing.assert_array_equal(pop.exited_by(1), [])
    np.testing.assert_array_equal(pop.exited_by(5), [1, 3, 4])
    np.testing.assert_array_equal(pop.exited_by(5), [])  # buckets are dropped once read
    np.testing.assert_array_equal(pop.exited_by(20), [8])


def test_kept_ability_quartile_equals_its_recomputation_after_reuse() -> None:
    model = _model(months=30, window=7)
    model.run()
    pop = model.population
    assert (pop.status == FREE).any() and (pop.status != FREE).any()
    np.testing.assert_array_equal(pop.ability_quartile, ability_quartile(pop.ability))
    pop.grow(5)
    np.testing.assert_array_equal(pop.ability_quartile, ability_quartile(pop.ability))


def test_kept_rows_beyond_an_ability_cut_equal_their_recomputation_after_reuse() -> None:
    model = _model(months=30, window=7)
    model.run()  # learning.start asks for the rows beyond its cut every month
    pop = model.population
    selection = model.p["learning.ability_selection"]
    assert selection > 0
    mask, rows = learning._factor_above(pop, selection, learning.FACTOR_BOUND)
    factor = np.exp(selection * pop.ability.astype(np.float64))
    np.testing.assert_array_equal(mask, factor > learning.FACTOR_BOUND)
    np.testing.assert_array_equal(rows, np.flatnonzero(mask))
    assert rows.size > 0


@pytest.mark.parametrize(("cut", "above"), [(0.5, True), (-0.5, False), (-0.5, True), (0.5, False)])
def test_rows_beyond_an_ability_cut_follow_new_freed_and_appended_rows(
    cut: float, above: bool
) -> None:
    rng = np.random.default_rng(3)
    pop = Population.empty(50)

    def check() -> None:
        expected = pop.ability > cut if above else pop.ability < cut
        mask, rows = pop.ability_beyond(cut, above)
        np.testing.assert_array_equal(mask, expected)
        np.testing.assert_array_equal(rows, np.flatnonzero(expected))

    pop.set_ability(np.arange(10, 40), rng.standard_normal(30).astype(np.float32))
    check()
    reset_rows(pop, np.arange(12, 30, 3))
    check()
    pop.set_ability(np.array([13, 2, 45]), rng.standard_normal(3).astype(np.float32))
    check()
    pop.grow(7)
    pop.set_ability(np.array([55, 4]), np.array([2.0, -2.0], dtype=np.float32))
    check()
    check()  # asked twice for the same cut


@pytest.mark.parametrize("name", ["baseline", "recession"])
def test_view_rows_and_counts_equal_a_full_scan(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    original = metrics.MonthView.of.__func__
    listed: list[bool] = []
    moved: list[bool] = []

    def checked(
        cls: type, model: HiringModel, previous: metrics.MonthView | None = None
    ) -> metrics.MonthView:
        view = original(cls, model, previous)
        pop = model.population
        scan = np.flatnonzero((pop.status >= GRADUATE) & (pop.employer < 0))
        np.testing.assert_array_equal(view.unemployed, scan)
        # The counts moved from last month's view equal a count of every row.
        np.testing.assert_array_equal(
            view.people, np.bincount(view.state, minlength=metrics.N_STATES)
        )
        listed.append(model.record.market_round.unemployed_seekers is not None)
        moved.append(previous is not None)
        return view

    monkeypatch.setattr(metrics.MonthView, "of", classmethod(checked))
    scenario = load_scenario(name).with_run(students=2000, months=30, burn_in_months=6)
    HiringModel(scenario, 5, observers=[MonthlyRecorder()]).run()
    assert len(listed) == 30 and any(listed)
    assert moved.count(True) == 29  # every month after the first from the month before


@pytest.mark.parametrize("name", ["baseline", "full_blueprint"])
def test_kept_university_values_equal_their_recomputation_after_reuse(name: str) -> None:
    scenario = load_scenario(name).with_run(students=2000, months=30, burn_in_months=6)
    model = HiringModel(scenario, 11, observers=[MonthlyRecorder()])
    model.spec = _with_window(model.spec, 7)
    model.run()  # the month view asks for each row's university type every reported month
    pop, unis = model.population, model.universities
    table = unis.offers_mc.view(np.uint8) + unis.credit_bearing.view(np.uint8)
    np.testing.assert_array_equal(pop.by_university(table), table.take(pop.university))
    pop.grow(9)
    np.testing.assert_array_equal(pop.by_university(table), table.take(pop.university))
    other = np.arange(table.size, dtype=np.int16)
    np.testing.assert_array_equal(pop.by_university(other), other.take(pop.university))


def test_university_values_follow_new_and_freed_rows() -> None:
    pop = Population.empty(20)
    table = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    np.testing.assert_array_equal(pop.by_university(table), np.full(20, 5))  # free rows: last
    pop.set_university(np.array([2, 7, 9]), np.array([0, 2, 1], dtype=np.int32))
    reset_rows(pop, np.array([7]))
    expected = table.take(pop.university)
    np.testing.assert_array_equal(pop.by_university(table), expected)
    assert expected[2] == 3 and expected[7] == 5 and expected[9] == 1
    changed = table.copy()
    changed[0] = 0
    np.testing.assert_array_equal(pop.by_university(changed), changed.take(pop.university))
