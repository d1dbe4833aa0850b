"""The month's view and its reporters against a plain computation: one mask per metric and group.

The metrics and the groups table are computed from packed person states counted once per month
(``sim.observe.metrics.MonthView``). Here every column is computed again the straightforward way,
from the population arrays with one boolean mask per count, on a small model month by month: counts
must match exactly, sums up to their order of summation.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs.scenario import load_scenario
from sim.model.model import HiringModel
from sim.model.population import ENROLLED, GRADUATE, NO_EMPLOYER, ability_quartile
from sim.observe import metrics
from sim.observe.groups import GROUP_COLUMNS, GROUP_KINDS, GroupRecorder
from sim.observe.metrics import (
    N_STATES,
    RECENT_GRAD_MONTHS,
    STATE_FIELDS,
    MonthView,
    States,
    pack_states,
)

RTOL = 1e-12


# ====================================================================== the reference
def _share(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(values.mean(dtype=np.float64)) if values.size else float("nan")


def reference_metrics(model: HiringModel) -> dict[str, float]:
    """Every metric from one boolean mask per count over the population."""
    pop, month = model.population, model.month
    hires, emp, unis = model.record.market_round.hires, model.employers, model.universities
    enrolled = pop.status == ENROLLED
    lf = pop.status >= GRADUATE
    employed = pop.employer != NO_EMPLOYER
    unemployed = lf & ~employed
    recent = (pop.status == GRADUATE) & (month - pop.exit_month < RECENT_GRAD_MONTHS)
    spells = month - pop.unemployed_since[unemployed]
    salaries = np.sort(pop.salary[employed]).astype(np.float64)
    n = salaries.size
    rank_weights = 2.0 * np.arange(1, n + 1) - n - 1
    quartile = ability_quartile(pop.ability)
    rate_q4 = _share(np.sum(lf & employed & (quartile == 3)), np.sum(lf & (quartile == 3)))
    rate_q1 = _share(np.sum(lf & employed & (quartile == 0)), np.sum(lf & (quartile == 0)))
    return {
        "month": month,
        "students_enrolled": float(np.sum(enrolled)),
        "new_enrolments": float(model.record.new_enrolments),
        "engaged_share": _share(np.sum(enrolled & pop.engaged), np.sum(enrolled)),
        "mc_holder_share": _share(np.sum(enrolled & pop.has_mc), np.sum(enrolled)),
        "genai_mc_share": _share(np.sum(enrolled & pop.has_genai), np.sum(enrolled)),
        "credit_bearing_share_of_holders": _share(
            np.sum(enrolled & pop.has_mc & pop.has_cb), np.sum(enrolled & pop.has_mc)
        ),
        "graduates_in_labour_force": float(np.sum(pop.status == GRADUATE)),
        "recent_grad_unemployment_rate": _share(np.sum(recent & ~employed), np.sum(recent)),
        "unemployed": float(np.sum(unemployed)),
        "vacancies": float(model.record.market_round.vacancies),
        "open_vacancies": float(model.vacancies.employer.size),
        "vacancies_posted": float(model.record.vacancies_posted),
        "vacancy_fill_rate": model.record.market_round.filled.size
        / model.record.market_round.vacancies,
        "applications_per_vacancy": _mean(model.record.market_round.lifetime_applications),
        "job_finding_rate": model.record.market_round.hired_unemployed
        / np.count_nonzero(model.record.market_round.unemployed_seekers + 1),
        "positions": float(emp.positions.sum()),
        "target_demand": float(model.demand.target),
        "graduates_with_offer_share": model.record.started_at_graduation / model.record.graduates,
        "observed_productivity": float(emp.all_sum.sum() / emp.all_n.sum()),
        "applications": float(model.record.market_round.applications),
        "hires": float(hires.person.size),
        "mean_unemployment_duration_months": _mean(spells),
        "median_unemployment_duration_months": (
            float(np.median(spells)) if spells.size else float("nan")
        ),
        "mean_starting_salary": _mean(hires.salary),
        "mean_starting_salary_mc": _mean(hires.salary[hires.has_mc]),
        "mean_starting_salary_no_mc": _mean(hires.salary[~hires.has_mc]),
        **{
            f"realised_{name}_premium": (
                _mean(hires.salary[held]) / _mean(hires.salary[~hires.has_mc]) - 1.0
                if held.any() and not hires.has_mc.all()
                else float("nan")
            )
            for name, held in (
                ("mc", hires.has_mc),
                ("cb", pop.has_cb[hires.person]),
                ("genai", hires.has_genai),
            )
        },
        # State, not a count: read back (tests/test_expectations.py checks the updating).
        **{
            f"expected_{name}_premium": float(model.expectations.expected[i])
            for i, name in enumerate(("mc", "cb", "genai"))
        },
        "employers_hiring_mc_share_12m": _share(
            np.sum(emp.last_mc_hire > month - 12), np.sum(emp.last_hire > month - 12)
        ),
        "universities_offering_mc_share": float(np.mean(unis.offers_mc)),
        "universities_credit_bearing_share": _share(
            np.sum(unis.credit_bearing), np.sum(unis.offers_mc)
        ),
        "mean_skill_employed": _mean(pop.skill[employed]),
        "salary_gini": (
            float(rank_weights @ salaries / (n * salaries.sum()))
            if n and salaries[-1] > 0
            else float("nan")
        ),
        "employment_ratio_top_bottom_ability": (
            _share(rate_q4, rate_q1) if rate_q1 == rate_q1 else float("nan")
        ),
    }


def reference_group_of_rows(model: HiringModel, kind: str, rows: np.ndarray) -> np.ndarray:
    """Each row's group index under ``kind``, read from the population and universities."""
    pop, unis = model.population, model.universities
    if kind == "discipline":
        return pop.discipline[rows].astype(np.int64)
    if kind == "ability_quartile":
        return ability_quartile(pop.ability[rows]).astype(np.int64)
    if kind == "mc_status":
        genai, cb, mc = pop.has_genai[rows], pop.has_cb[rows], pop.has_mc[rows]
        return np.where(genai, 3, np.where(cb, 2, np.where(mc, 1, 0)))
    if kind == "university_type":
        uni = pop.university[rows]
        return unis.offers_mc[uni].astype(np.int64) + unis.credit_bearing[uni]
    assert kind == "pathway"
    return pop.status[rows].astype(np.int64) - ENROLLED


def reference_groups(model: HiringModel) -> dict[str, list[float]]:
    """Every groups-table column for the month, kind after kind, group after group."""
    pop, month = model.population, model.month
    hires = model.record.market_round.hires
    active = np.flatnonzero(pop.status >= ENROLLED)
    status, employed = pop.status[active], pop.employer[active] != NO_EMPLOYER
    enrolled, lf = status == ENROLLED, status >= GRADUATE
    recent = (status == GRADUATE) & (month - pop.exit_month[active] < RECENT_GRAD_MONTHS)
    has_mc, has_genai, skill = pop.has_mc[active], pop.has_genai[active], pop.skill[active]
    table: dict[str, list[float]] = {"group_kind": [], "group": []}
    table.update({c: [] for c, _ in GROUP_COLUMNS})
    for kind in GROUP_KINDS:
        group = reference_group_of_rows(model, kind.name, active)
        hire_group = reference_group_of_rows(model, kind.name, hires.person)
        for g, label in enumerate(kind.groups):
            member = group == g
            salary = hires.salary[hire_group == g]
            columns = {
                "population": np.sum(member),
                "enrolled": np.sum(member & enrolled),
                "labour_force": np.sum(member & lf),
                "employed": np.sum(member & employed),
                "employment_rate": _share(np.sum(member & employed), np.sum(member & lf)),
                "mc_holder_share": _share(
                    np.sum(member & enrolled & has_mc), np.sum(member & enrolled)
                ),
                "genai_mc_share": _share(
                    np.sum(member & enrolled & has_genai), np.sum(member & enrolled)
                ),
                "recent_grad_unemployment_rate": _share(
                    np.sum(member & recent & ~employed), np.sum(member & recent)
                ),
                "hires": salary.size,
                "mean_starting_salary": _mean(salary),
                "median_starting_salary": float(np.median(salary)) if salary.size else np.nan,
                "mean_skill_employed": _mean(skill[member & employed]),
            }
            table["group_kind"].append(kind.name)
            table["group"].append(label)
            for name, value in columns.items():
                table[name].append(float(value))
    return table


# ====================================================================== fast path = reference
COUNT_METRICS = (
    "students_enrolled", "new_enrolments", "graduates_in_labour_force", "unemployed",
    "vacancies", "applications", "hires",
)  # fmt: skip
COUNT_COLUMNS = ("population", "enrolled", "labour_force", "employed", "hires")


@pytest.fixture(scope="module")
def months() -> list[tuple[dict, dict, dict, dict]]:
    """Fast and reference metrics and groups for every reported month of a small model whose
    scenario has credit-bearing and GenAI MCs, so that every group is populated."""
    model = HiringModel(load_scenario("full_blueprint"), 1, students=4000, months=15,
                        burn_in_months=24)  # fmt: skip
    out = []
    while model.month < model.months:
        model.step()
        if model.month < 1:
            continue
        view = MonthView.of(model)
        recorder = GroupRecorder()
        recorder.collect(model, view)
        fast_groups = recorder.table().to_pydict()
        out.append(
            (metrics.collect(model, view), reference_metrics(model), fast_groups,
             reference_groups(model))
        )  # fmt: skip
    return out


def test_metrics_match_the_reference_every_month(months) -> None:
    for fast, reference, _, _ in months:
        assert list(fast) == list(reference)
        for name in fast:
            if name in COUNT_METRICS or name == "month":
                assert fast[name] == reference[name], (fast["month"], name)
            else:
                np.testing.assert_allclose(
                    fast[name], reference[name], rtol=RTOL, atol=0, err_msg=name
                )


def test_groups_match_the_reference_every_month(months) -> None:
    for _, fast_metrics, fast, reference in months:
        assert set(fast["month"]) == {fast_metrics["month"]}
        assert fast["group_kind"] == reference["group_kind"]
        assert fast["group"] == reference["group"]
        for name, _ in GROUP_COLUMNS:
            got, want = np.array(fast[name], float), np.array(reference[name], float)
            if name in COUNT_COLUMNS:
                np.testing.assert_array_equal(got, want, err_msg=name)
            else:
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=name)


def test_every_group_is_populated_and_hired_from(months) -> None:
    """The comparison covers every group: each has people and hires over the months compared
    (enrolled students too: final-year students accept offers before graduating)."""
    _, _, _, last = months[-1]
    assert min(last["population"]) > 0
    hires = np.sum([m[3]["hires"] for m in months], axis=0)
    hired = {(k, g) for k, g, h in zip(last["group_kind"], last["group"], hires, strict=True)
             if h > 0}  # fmt: skip
    never = {(k.name, g) for k in GROUP_KINDS for g in k.groups} - hired
    assert never == set()


# ====================================================================== packing and counting
@pytest.mark.parametrize("n", [0, 1, 7, 8, 13, 1000])
def test_pack_states_round_trips_every_field(n: int) -> None:
    rng = np.random.default_rng(n)
    dtypes = {"status": np.int8, "discipline": np.int8, "ability_quartile": np.int8,
              "university_type": np.int64}  # fmt: skip
    values = {}
    for name, bits in STATE_FIELDS:
        drawn = rng.integers(0, 1 << bits, n)
        values[name] = drawn.astype(bool) if bits == 1 else drawn.astype(dtypes[name])
    state = pack_states(values)
    assert state.dtype == np.uint16 and state.shape == (n,)
    assert int(state.max(initial=0)) < N_STATES
    unpacked = States.of(state)
    for name, _ in STATE_FIELDS:
        np.testing.assert_array_equal(getattr(unpacked, name), values[name], err_msg=name)


def test_counts_by_state_match_bincount_past_one_block() -> None:
    rng = np.random.default_rng(0)
    state = rng.integers(0, N_STATES, 700_000).astype(np.uint16)
    weights = rng.normal(size=state.size).astype(np.float32)
    np.testing.assert_array_equal(metrics._by_state(state), np.bincount(state, minlength=N_STATES))
    np.testing.assert_allclose(
        metrics._by_state(state, weights),
        np.bincount(state, weights, minlength=N_STATES),
        rtol=1e-9,
        atol=1e-9,
    )
