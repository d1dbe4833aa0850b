"""Population state kept to avoid whole-array passes agrees with those passes.

The exit-month buckets (:meth:`sim.population.Population.exited_by`) must find exactly the rows a
full scan finds, and per-row values kept with the fields they derive from (the ability quartile)
must equal their recomputation, on a model whose freed rows are reused by later intakes.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import HiringModel
from sim.population import FREE, GRADUATE, NEVER, Population, ability_quartile
from sim.scenario import load_scenario


def _model(months: int, window: int | None = None) -> HiringModel:
    scenario = load_scenario("baseline").with_run(students=2000, months=months, burn_in_months=6)
    model = HiringModel(scenario, 11, groups=False)
    if window is not None:
        model.scenario = _with_window(model.scenario, window)
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
