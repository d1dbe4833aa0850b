"""The labour market's sampling shortcuts keep the law of the straightforward process.

:func:`sim.model.market.screened_applications` draws only the applications employers screen, from
counts. Its law is compared here with the per-application process it replaces (every
application drawn, then screened), on small markets over many draws: the mean number of screened
applications of every (vacancy, seeker) pair, the distribution of the number screened per
vacancy and per seeker, and the covariances between vacancies.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.params import DISCIPLINES
from sim.model import market

N_GROUPS = len(DISCIPLINES)


def reference_screened(
    rng: np.random.Generator,
    discipline: np.ndarray,
    n_unemployed: int,
    per_seeker: int,
    vacancy_sector: np.ndarray,
    own_sector_share: float,
    applicants_screened: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The process itself: every application drawn, then each vacancy screens a random subset."""
    n_vac = vacancy_sector.size
    who = np.concatenate(
        [np.repeat(np.arange(n_unemployed), per_seeker), np.arange(n_unemployed, discipline.size)]
    )
    sector_vacancies = np.bincount(vacancy_sector, minlength=N_GROUPS)
    start = np.cumsum(sector_vacancies) - sector_vacancies
    d = discipline[who]
    own = (rng.random(who.size) < own_sector_share) & (sector_vacancies[d] > 0)
    own_pick = start[d] + (rng.random(who.size) * sector_vacancies[d]).astype(np.int64)
    any_pick = rng.integers(0, n_vac, who.size)
    vacancy = np.where(own, own_pick, any_pick)
    received = np.bincount(vacancy, minlength=n_vac)
    keep = rng.random(who.size) * received[vacancy] < applicants_screened
    return vacancy[keep], who[keep]


MARKETS = {
    # 12 unemployed seekers (3 applications each) and 6 on the job; sector 3 has no vacancy, so
    # its seekers' applications all go to any vacancy; about a quarter of applications screened.
    "scarce": dict(
        discipline=np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 1, 2, 0, 1, 3]),
        n_unemployed=12,
        per_seeker=3,
        vacancy_sector=np.array([0, 0, 0, 0, 1, 1, 2]),
        own_sector_share=0.6,
        applicants_screened=1.5,
    ),
    # Few applications per vacancy: most vacancies screen all they receive.
    "slack": dict(
        discipline=np.array([0, 1, 2, 3, 1, 2]),
        n_unemployed=4,
        per_seeker=2,
        vacancy_sector=np.array([0, 1, 1, 2, 3, 3]),
        own_sector_share=0.5,
        applicants_screened=2.0,
    ),
    # Many applications from few seekers: seekers often screened twice at one vacancy.
    "crowded": dict(
        discipline=np.array([1, 1, 2, 0]),
        n_unemployed=3,
        per_seeker=8,
        vacancy_sector=np.array([1, 1, 2]),
        own_sector_share=0.8,
        applicants_screened=3.0,
    ),
}


def _statistics(draw, market_args: dict, n_draws: int, seed: int) -> dict[str, np.ndarray]:
    """Per-draw statistics of the screened applications (one row per draw)."""
    rng = np.random.default_rng(seed)
    n_vac = market_args["vacancy_sector"].size
    n_seekers = market_args["discipline"].size
    pairs = np.zeros((n_draws, n_vac * n_seekers))
    for i in range(n_draws):
        vacancy, seeker = draw(rng, **market_args)[:2]
        pairs[i] = np.bincount(vacancy * n_seekers + seeker, minlength=n_vac * n_seekers)
    cube = pairs.reshape(n_draws, n_vac, n_seekers)
    per_vacancy, per_seeker = cube.sum(axis=2), cube.sum(axis=1)
    top = 8
    return {
        "pair": pairs,
        "vacancy_histogram": np.stack(
            [(per_vacancy == k).mean(axis=1) for k in range(top)], axis=1
        ),
        "seeker_histogram": np.stack([(per_seeker == k).mean(axis=1) for k in range(top)], axis=1),
        "vacancy_products": (per_vacancy[:, :, None] * per_vacancy[:, None, :]).reshape(
            n_draws, -1
        ),
        "repeat_pairs": (cube >= 2).sum(axis=(1, 2))[:, None].astype(float),
    }


@pytest.mark.law  # scripts/test-matrix: the main leg only
@pytest.mark.parametrize("name", sorted(MARKETS))
def test_screened_applications_have_the_law_of_the_per_application_process(name: str) -> None:
    args, n_draws = MARKETS[name], 6000
    new = _statistics(market.screened_applications, args, n_draws, seed=11)
    ref = _statistics(reference_screened, args, n_draws, seed=12)
    for stat in new:
        a, b = new[stat], ref[stat]
        se = np.sqrt(a.var(axis=0) / n_draws + b.var(axis=0) / n_draws)
        diff = a.mean(axis=0) - b.mean(axis=0)
        z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)
        assert np.all(np.abs(z) < 4.5), f"{stat}: max |z| = {np.abs(z).max():.2f}"
        # A statistic that never varies must agree exactly (e.g. impossible pairs stay at 0).
        fixed = se == 0
        assert np.array_equal(a.mean(axis=0)[fixed], b.mean(axis=0)[fixed]), stat


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_unemployed=st.integers(0, 30),
    n_on_the_job=st.integers(0, 10),
    per_seeker=st.integers(1, 12),
    n_vac=st.integers(1, 25),
    own_sector_share=st.sampled_from([0.0, 0.3, 1.0]),
    applicants_screened=st.sampled_from([1.0, 2.5, 1000.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_screened_applications_are_well_formed(
    data: st.DataObject,
    n_unemployed: int,
    n_on_the_job: int,
    per_seeker: int,
    n_vac: int,
    own_sector_share: float,
    applicants_screened: float,
    seed: int,
) -> None:
    n_seekers = n_unemployed + n_on_the_job
    discipline = np.array(
        data.draw(st.lists(st.integers(0, N_GROUPS - 1), min_size=n_seekers, max_size=n_seekers)),
        dtype=np.int8,
    )
    sectors = data.draw(st.lists(st.integers(0, N_GROUPS - 1), min_size=n_vac, max_size=n_vac))
    vacancy_sector = np.sort(np.array(sectors, dtype=np.int8))
    vacancy, seeker, received = market.screened_applications(
        np.random.default_rng(seed),
        discipline,
        n_unemployed,
        per_seeker,
        vacancy_sector,
        own_sector_share,
        applicants_screened,
    )
    assert vacancy.size == seeker.size
    assert np.all((vacancy >= 0) & (vacancy < n_vac))
    assert np.all((seeker >= 0) & (seeker < n_seekers))
    key = seeker * n_vac + vacancy
    assert np.all(np.diff(key) >= 0), "sorted by seeker, then vacancy"
    sent = np.where(np.arange(n_seekers) < n_unemployed, per_seeker, 1)
    assert np.all(np.bincount(seeker, minlength=n_seekers) <= sent)
    # Every application sent is received by some vacancy; a vacancy screens only what it got.
    assert received.size == n_vac and received.sum() == sent.sum()
    assert np.all(np.bincount(vacancy, minlength=n_vac) <= received)
    if applicants_screened >= per_seeker * n_seekers:
        # Every vacancy screens everything it receives: every application is there.
        assert np.array_equal(np.bincount(seeker, minlength=n_seekers), sent)
    if own_sector_share == 1.0:
        # Every application goes to the seeker's own sector when it has vacancies.
        has_vacancies = np.bincount(vacancy_sector, minlength=N_GROUPS) > 0
        own = has_vacancies[discipline[seeker]]
        assert np.all(vacancy_sector[vacancy[own]] == discipline[seeker[own]])


@pytest.mark.parametrize(("n", "k"), [(1, 1), (10, 3), (10, 6), (10, 10), (1000, 40)])
def test_distinct_uniform_draws_without_replacement_in_random_order(n: int, k: int) -> None:
    rng, n_draws = np.random.default_rng(5), 4000
    draws = np.array([market._distinct_uniform(rng, n, k) for _ in range(n_draws)])
    assert draws.shape == (n_draws, k)
    assert all(np.unique(row).size == k for row in draws)
    assert draws.min() >= 0 and draws.max() < n
    # Each position holds each value with probability 1 / n.
    for position in (0, k - 1):
        freq = np.bincount(draws[:, position], minlength=n) / n_draws
        se = np.sqrt((1 / n) * (1 - 1 / n) / n_draws)
        assert np.all(np.abs(freq - 1 / n) <= 5 * se)


def _first_appearances(value: np.ndarray) -> np.ndarray:
    """The distinct values of ``value`` in order of first appearance, by sorting."""
    _, first = np.unique(value, return_index=True)
    return value[np.sort(first)]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5000), st.floats(0.0, 0.5), st.integers(0, 2**32 - 1))
def test_distinct_uniform_keeps_first_appearances_of_its_draws(
    n: int, share: float, seed: int
) -> None:
    """The value-indexed table (reused between calls) finds exactly the first appearances."""
    k = max(1, int(share * n))
    got = market._distinct_uniform(np.random.default_rng(seed), n, k)
    if 2 * k > n:
        np.testing.assert_array_equal(got, np.random.default_rng(seed).permutation(n)[:k])
        return
    # The same stream: the draws it consumed, in the order consumed (doubling on a shortfall).
    rng, draws = np.random.default_rng(seed), int(-n * np.log1p(-k / n) + 6 * np.sqrt(k) + 16)
    while True:
        distinct = _first_appearances(rng.integers(0, n, draws))
        if distinct.size >= k:
            break
        draws *= 2
    np.testing.assert_array_equal(got, distinct[:k])


def test_skill_as_seen_is_the_skill_of_skills_as_seen() -> None:
    from sim.inputs.scenario import load_scenario
    from sim.model import enrolment
    from sim.model.model import HiringModel

    scenario = load_scenario("baseline").with_run(students=2000, months=14, burn_in_months=2)
    model = HiringModel(scenario, 4)
    model.run()
    rows = np.flatnonzero(model.population.status != 0)
    seen = enrolment.skill_as_seen(model.population, rows, model.p)
    np.testing.assert_array_equal(
        seen, enrolment.skills_as_seen(model.population, rows, model.p)[0]
    )


@pytest.mark.parametrize("slack", [market.POISSON_SLACK, -2.0])
def test_uniform_counts_are_multinomial(slack: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each group's counts are multinomial, also when the Poisson draw overshoots (slack < 0)."""
    monkeypatch.setattr(market, "POISSON_SLACK", slack)
    rng, n_draws = np.random.default_rng(9), 4000
    totals, sizes = np.array([400, 0, 3, 50]), np.array([5, 2, 4, 1])
    counts = np.array([market._uniform_counts(rng, totals, sizes) for _ in range(n_draws)])
    group = np.repeat(np.arange(sizes.size), sizes)
    for g in range(sizes.size):
        in_group = counts[:, group == g]
        assert np.all(in_group.sum(axis=1) == totals[g])
    p = 1 / sizes[group]
    n = totals[group]
    mean_se = np.sqrt(n * p * (1 - p) / n_draws)
    z = np.divide(counts.mean(axis=0) - n * p, mean_se, out=np.zeros(p.size), where=mean_se > 0)
    assert np.all(np.abs(z) < 5)
    var = counts.var(axis=0)
    expected_var = n * p * (1 - p)
    assert np.allclose(var, expected_var, rtol=0.1, atol=1e-9)


def _histogram_z(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |z| between the value frequencies of two samples of the same size."""
    top = int(max(a.max(), b.max())) + 1
    fa, fb = np.bincount(a, minlength=top) / a.size, np.bincount(b, minlength=top) / b.size
    se = np.sqrt((fa * (1 - fa) + fb * (1 - fb)) / a.size)
    return float(np.max(np.abs(fa - fb) / np.where(se > 0, se, 1.0)))


def test_draw_from_table_follows_each_rows_probabilities() -> None:
    pmf = np.array([[0.5, 0.0, 0.25, 0.25], [0.0, 0.0, 0.0, 1.0], [0.1, 0.2, 0.3, 0.4]])
    row = np.repeat(np.arange(3), 40_000)
    value = market._draw_from_table(np.random.default_rng(2), pmf, row)
    for r in range(3):
        freq = np.bincount(value[row == r], minlength=4) / 40_000
        se = np.sqrt(pmf[r] * (1 - pmf[r]) / 40_000)
        assert np.all(np.abs(freq - pmf[r]) <= 5 * se)


@pytest.mark.parametrize("table_cells", [market.TABLE_CELLS, 0])
@pytest.mark.parametrize("screened", [1.0, 4.0, 2.5])
def test_screened_counts_are_binomial(
    screened: float, table_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By table, and by numpy's sampler when the table would be too large (table_cells=0)."""
    monkeypatch.setattr(market, "TABLE_CELLS", table_cells)
    received = np.tile(np.array([0, 1, 2, 3, 5, 9, 30, 80]), 20_000)
    rng = np.random.default_rng(4)
    read = market._screened_counts(rng, received, screened)
    expected = np.where(
        received > screened,
        rng.binomial(received, np.minimum(1.0, screened / np.maximum(received, 1))),
        received,
    )
    for c in np.unique(received):
        assert _histogram_z(read[received == c], expected[received == c]) < 5, c


@pytest.mark.parametrize("table_cells", [market.TABLE_CELLS, 0])
def test_poisson_by_table_matches_numpy(table_cells: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(market, "TABLE_CELLS", table_cells)
    mean = np.array([0.0, 0.7, 28.0, 300.0])
    row = np.repeat(np.arange(mean.size), 30_000)
    rng = np.random.default_rng(8)
    value = market._poisson(rng, mean, row)
    expected = rng.poisson(mean[row])
    for r in range(mean.size):
        assert _histogram_z(value[row == r], expected[row == r]) < 5, mean[r]


def _first_of_groups_reference(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """First row of each group after a stable sort by (group, -score), as ascending positions."""
    order = np.lexsort((-score, group))
    head = np.concatenate(([True], group[order][1:] != group[order][:-1])) if group.size else []
    return np.sort(order[np.asarray(head, dtype=bool)])


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(0, 6), st.integers(-3, 3)), max_size=60),
)
def test_best_of_groups_and_runs_pick_the_first_top_scorer(values: list[tuple[int, int]]) -> None:
    group = np.array([g for g, _ in values], dtype=np.int64)
    score = np.array([s for _, s in values], dtype=np.float64)  # small integers: many ties
    expected = _first_of_groups_reference(group, score)
    assert np.array_equal(market._best_of_groups(group, score, 7), expected)
    # Stored contiguously (sorted by group, stably), the groups are runs.
    order = np.argsort(group, kind="stable")
    runs = market._best_of_runs(group[order], score[order])
    assert np.array_equal(np.sort(order[runs]), expected)


def test_offers_computed_for_a_subset_equal_those_computed_for_all() -> None:
    from sim.inputs.scenario import load_scenario
    from sim.model import wages
    from sim.model.model import HiringModel

    scenario = load_scenario("baseline").with_run(students=3000, months=1, burn_in_months=1)
    model = HiringModel(scenario, 2)
    model.step()
    emp, p, rng = model.employers, model.p, np.random.default_rng(4)
    n = 5001
    employer = rng.integers(0, emp.base_pay.size, n)
    signal = rng.normal(0.0, 1.0, n)
    has_mc, has_cb = rng.random(n) < 0.4, rng.random(n) < 0.2
    every = wages.offer_salary(emp, p, employer, signal, has_mc, has_cb)
    subset = np.sort(rng.choice(n, 777, replace=False))
    some = wages.offer_salary(
        emp, p, employer[subset], signal[subset], has_mc[subset], has_cb[subset],
        wages.premium_rates(emp, p),
    )  # fmt: skip
    np.testing.assert_array_equal(some, every[subset])
