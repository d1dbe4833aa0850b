"""The groups table: partitions of the population, consistency with the monthly metrics."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from sim.experiments.simulate import run_scenario
from sim.inputs.scenario import load_scenario
from sim.observe.groups import GROUP_COLUMNS, GROUP_KINDS, _grouped_median


@pytest.fixture(scope="module")
def result():
    scenario = load_scenario("full_blueprint").with_run(burn_in_months=24, months=18)
    return run_scenario(scenario, 11, students=3000)


def test_every_kind_partitions_the_population_every_month(result) -> None:
    groups = result.groups.to_pandas()
    totals = groups.groupby(["month", "group_kind"])["population"].sum().unstack()
    assert set(totals.columns) == {k.name for k in GROUP_KINDS}
    # every kind sums to the same whole in each month
    assert (totals.nunique(axis=1) == 1).all()
    assert (totals.iloc[:, 0] > 0).all()


def test_group_counts_add_up_to_the_monthly_metrics(result) -> None:
    groups = result.groups.to_pandas()
    metrics = result.metrics.to_pandas().set_index("month")
    for kind in GROUP_KINDS:
        per_month = groups[groups.group_kind == kind.name].groupby("month")
        np.testing.assert_array_equal(
            per_month["enrolled"].sum().to_numpy(), metrics["students_enrolled"].to_numpy()
        )
        np.testing.assert_array_equal(
            per_month["hires"].sum().to_numpy(), metrics["hires"].to_numpy()
        )
        unemployed = per_month["labour_force"].sum() - per_month["employed"].sum()
        np.testing.assert_array_equal(unemployed.to_numpy(), metrics["unemployed"].to_numpy())


def test_table_has_every_group_and_column(result) -> None:
    table = result.groups
    expected = {"month", "group_kind", "group", *(c for c, _ in GROUP_COLUMNS)}
    assert set(table.column_names) == expected
    months = pc.unique(table["month"]).to_pylist()
    assert len(table) == len(months) * sum(len(k.groups) for k in GROUP_KINDS)
    for col, _ in GROUP_COLUMNS:
        if col == "mean_skill_employed":  # skill is centred on zero and may be negative
            continue
        values = table[col].to_numpy(zero_copy_only=False)
        finite = values[~np.isnan(values)]
        assert (finite >= 0).all(), col


def test_mc_status_groups_match_their_definition(result) -> None:
    groups = result.groups.to_pandas()
    status = groups[groups.group_kind == "mc_status"].set_index(["month", "group"])
    last = status.xs(status.index.get_level_values(0).max(), level="month")
    assert last.loc["none", "mc_holder_share"] == 0.0
    assert last.loc["genai", "genai_mc_share"] == 1.0
    assert last.loc["mc_other", "genai_mc_share"] == 0.0


def test_grouped_median_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    group = rng.integers(0, 5, 200)
    values = rng.normal(size=200)
    got = _grouped_median(group, values, 6)
    for g in range(5):
        assert got[g] == pytest.approx(np.median(values[group == g]))
    assert np.isnan(got[5])
