"""Monthly metrics: each column's definition, declared once, and the reporters that compute them.

A reporter is a named function of the model and the month's view; :func:`collect` calls them all
at the end of a month. The view (:class:`MonthView`) packs each person's state (status, job,
MCs, discipline, ability quartile, university type...) into 14 bits and counts the people in each
state (last month's counts, moved for the rows whose state changed), so that a count-type metric
is a sum over a set of states, not a pass over the population; the view also holds the rows of
the employed (for the salary Gini) and of the unemployed (for spell lengths). Hire-based metrics
read the month's hires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, SupportsFloat

import numpy as np
import pyarrow as pa

from sim.inputs.params import DISCIPLINES
from sim.model import wages
from sim.model.expectations import CREDENTIALS
from sim.model.population import ENROLLED, GRADUATE, NO_EMPLOYER

if TYPE_CHECKING:
    from sim.model.model import HiringModel


@dataclass(frozen=True)
class Metric:
    """One column of the monthly metrics table.

    Attributes:
        name: Column name.
        unit: Unit (``share``, ``people``, ``USD per year``, ``months``...).
        description: Exact definition.
        label: Short label for plots.
    """

    name: str
    unit: str
    description: str
    label: str


METRICS: tuple[Metric, ...] = (
    Metric("month", "month", "Output month, 1..N (burn-in months are not reported).", "Month"),
    Metric("students_enrolled", "people", "Students enrolled at month end.", "Students enrolled"),
    Metric(
        "new_enrolments", "people", "Students who enrolled this month (intake).", "New enrolments"
    ),
    Metric(
        "engaged_share",
        "share",
        "Engaged students / enrolled students at month end.",
        "Engaged share",
    ),
    Metric(
        "mc_holder_share",
        "share",
        "Enrolled students holding at least one completed microcredential (MC) / enrolled.",
        "MC holders (students)",
    ),
    Metric(
        "genai_mc_share",
        "share",
        "Enrolled students holding a GenAI MC / enrolled.",
        "GenAI-MC holders (students)",
    ),
    Metric(
        "credit_bearing_share_of_holders",
        "share",
        "Enrolled MC holders holding a credit-bearing MC / enrolled MC holders.",
        "Credit-bearing share of holders",
    ),
    Metric(
        "graduates_in_labour_force",
        "people",
        "Graduates within the career window, employed or unemployed, at month end.",
        "Graduates in labour force",
    ),
    Metric(
        "recent_grad_unemployment_rate",
        "share",
        "Unemployed graduates / graduates in the labour force, among graduates within 24 "
        "months of graduation, at month end.",
        "Recent-graduate unemployment",
    ),
    Metric(
        "unemployed",
        "people",
        "Unemployed people (graduates and dropouts) in the labour force at month end.",
        "Unemployed",
    ),
    Metric(
        "vacancies",
        "vacancies",
        "Vacancies open during the month's matching round: the stock carried from last month "
        "less withdrawals, plus this month's postings. (Before hiresim 0.3 every vacancy was "
        "posted anew each month, so this was a monthly flow.)",
        "Vacancies",
    ),
    Metric(
        "open_vacancies",
        "vacancies",
        "Vacancies still open at month end (the stock after the matching round).",
        "Open vacancies",
    ),
    Metric(
        "vacancies_posted",
        "vacancies",
        "Vacancies posted this month: new positions, positions a worker (or a student who "
        "dropped out with an offer) left, and lapsed vacancies posted again.",
        "Vacancies posted",
    ),
    Metric(
        "vacancy_fill_rate",
        "share",
        "Vacancies filled this month / vacancies open during the month's matching round.",
        "Vacancy fill rate",
    ),
    Metric(
        "applications_per_vacancy",
        "applications",
        "Mean applications received since posting (this month's included) by the vacancies "
        "filled this month.",
        "Applications per filled vacancy",
    ),
    Metric(
        "job_finding_rate",
        "share",
        "People unemployed in the labour force when the month's matching round began (those "
        "whose job ended this month included) who were hired in it / those people.",
        "Job-finding rate",
    ),
    Metric(
        "positions",
        "positions",
        "Entry-level positions at month end: filled, promised to a final-year student, or open.",
        "Positions",
    ),
    Metric(
        "target_demand",
        "positions",
        "Target labour demand this month (sim.model.demand): jobs per labour force x "
        "the labour force "
        "demand serves x the cycle x the productivity factor.",
        "Target demand",
    ),
    Metric(
        "graduates_with_offer_share",
        "share",
        "Graduates who started a job accepted before graduating / graduates, in the latest "
        "month with graduates (this one or earlier; blank before the first).",
        "Graduates with a job at graduation",
    ),
    Metric(
        "observed_productivity",
        "skill SD",
        "Mean productivity employers have observed in their hires (discounted records, pooled "
        "over employers): what drives the pay level and the productivity factor of demand.",
        "Observed productivity of hires",
    ),
    Metric("applications", "applications", "Applications sent in the month.", "Applications"),
    Metric(
        "hires",
        "people",
        "Hires made in the month: first jobs, job changes and offers accepted by final-year "
        "students (whose jobs start at graduation).",
        "Hires",
    ),
    Metric(
        "mean_unemployment_duration_months",
        "months",
        "Mean completed months of the current spell of those unemployed at month end.",
        "Mean unemployment duration",
    ),
    Metric(
        "median_unemployment_duration_months",
        "months",
        "Median completed months of the current spell of those unemployed at month end, as "
        "labour-force surveys measure it.",
        "Median unemployment duration",
    ),
    Metric(
        "mean_starting_salary",
        "USD per year",
        "Mean annual salary of the month's hires (offers accepted by final-year students "
        "included).",
        "Mean starting salary",
    ),
    Metric(
        "mean_starting_salary_mc",
        "USD per year",
        "Mean annual salary of the month's hires who hold an MC.",
        "Mean starting salary, MC holders",
    ),
    Metric(
        "mean_starting_salary_no_mc",
        "USD per year",
        "Mean annual salary of the month's hires who hold no MC.",
        "Mean starting salary, no MC",
    ),
    Metric(
        "realised_mc_premium",
        "share of pay",
        "Mean salary of the month's hires holding an MC / mean salary of those without, minus 1 "
        "(raw: selection included; NaN when either side has no hire).",
        "Realised MC premium",
    ),
    Metric(
        "realised_cb_premium",
        "share of pay",
        "Mean salary of the month's hires holding a credit-bearing MC / mean salary of those "
        "holding no MC, minus 1 (raw: selection included; NaN when either side has no hire).",
        "Realised credit-bearing MC premium",
    ),
    Metric(
        "realised_genai_premium",
        "share of pay",
        "Mean salary of the month's hires holding a GenAI MC / mean salary of those holding no "
        "MC, minus 1 (raw: selection included; NaN when either side has no hire).",
        "Realised GenAI MC premium",
    ),
    Metric(
        "expected_mc_premium",
        "share of pay",
        "Premium students expect for an MC at month end (adaptive expectation of the realised "
        "premium, seen students.expectation_lag_months late).",
        "Expected MC premium",
    ),
    Metric(
        "expected_cb_premium",
        "share of pay",
        "Premium students expect for a credit-bearing MC at month end (adaptive expectation of "
        "the realised premium, seen students.expectation_lag_months late).",
        "Expected credit-bearing MC premium",
    ),
    Metric(
        "expected_genai_premium",
        "share of pay",
        "Premium students expect for a GenAI MC at month end (adaptive expectation of the realised "
        "premium, seen students.expectation_lag_months late).",
        "Expected GenAI MC premium",
    ),
    Metric(
        "employers_hiring_mc_share_12m",
        "share",
        "Employers with at least one MC-holder hire in the last 12 months / employers with "
        "any hire in the last 12 months.",
        "Employers hiring MC holders (12 m)",
    ),
    Metric(
        "universities_offering_mc_share",
        "share",
        "Universities offering MCs / universities.",
        "Universities offering MCs",
    ),
    Metric(
        "universities_credit_bearing_share",
        "share",
        "Universities with credit-bearing MCs / universities offering MCs.",
        "Credit-bearing share of MC offerers",
    ),
    Metric(
        "mean_skill_employed",
        "skill SD",
        "Mean skill of employed people at month end.",
        "Mean skill, employed",
    ),
    Metric(
        "salary_gini",
        "index",
        "Gini coefficient of the salaries of employed people at month end.",
        "Salary Gini",
    ),
    Metric(
        "employment_ratio_top_bottom_ability",
        "ratio",
        "Employment rate (employed / labour force) of the top ability quartile divided by "
        "that of the bottom quartile, at month end.",
        "Employment ratio, ability q4/q1",
    ),
)
"""Every monthly metric column, in table order."""

METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)


# ====================================================================== the month's states
RECENT_GRAD_MONTHS = 24
"""Graduates count as recent for the 24 months after graduation (months 0..23)."""

STATE_FIELDS: tuple[tuple[str, int], ...] = (
    ("status", 2),
    ("employed", 1),
    ("recent_graduate", 1),
    ("has_mc", 1),
    ("has_genai", 1),
    ("engaged", 1),
    ("has_cb", 1),
    ("discipline", 2),
    ("ability_quartile", 2),
    ("university_type", 2),
)
"""What a person's packed state records, as ``(field, bits)`` from the lowest bit up.

``status`` is the population's status code (``FREE`` for a free row), ``employed`` holds a job,
``recent_graduate`` is a graduate within :data:`RECENT_GRAD_MONTHS` of graduation, ``has_mc``,
``has_genai``, ``has_cb``, ``engaged`` and ``ability_quartile`` are the population's fields (the
last is :func:`sim.model.population.ability_quartile` of ability, kept per row), and
``university_type`` is 0 if the person's university offers no MCs, 1 if it offers MCs without
credit and 2 if they are credit-bearing. The first byte holds status and the yes/no fields, the
second the rest. Every count a reporter or the groups table needs is a sum over the people in a
set of states.
"""

_SHIFTS: dict[str, int] = {
    name: sum(bits for _, bits in STATE_FIELDS[:i]) for i, (name, _) in enumerate(STATE_FIELDS)
}
N_STATES = 1 << sum(bits for _, bits in STATE_FIELDS)
"""Number of packed states."""
assert N_STATES <= 1 << 16, "a packed state fits a uint16"
assert len(DISCIPLINES) <= 1 << dict(STATE_FIELDS)["discipline"], "disciplines fit their bits"


@dataclass(frozen=True)
class States:
    """The fields of packed states, one array per field of :data:`STATE_FIELDS`.

    One-bit fields are bool arrays, the others int64.
    """

    status: np.ndarray
    employed: np.ndarray
    recent_graduate: np.ndarray
    has_mc: np.ndarray
    has_genai: np.ndarray
    engaged: np.ndarray
    has_cb: np.ndarray
    discipline: np.ndarray
    ability_quartile: np.ndarray
    university_type: np.ndarray

    @classmethod
    def of(cls, state: np.ndarray) -> States:
        """Unpack the packed states ``state``."""
        state = np.asarray(state, dtype=np.int64)
        values = {}
        for name, bits in STATE_FIELDS:
            value = (state >> _SHIFTS[name]) & ((1 << bits) - 1)
            values[name] = value.astype(bool) if bits == 1 else value
        return cls(**values)


assert tuple(f.name for f in fields(States)) == tuple(name for name, _ in STATE_FIELDS)

STATES = States.of(np.arange(N_STATES))
"""The fields of every packed state: masks over them select states of :attr:`MonthView.people`."""


def pack_states(values: dict[str, np.ndarray]) -> np.ndarray:
    """The packed state (uint16) of each row, from one array per field of :data:`STATE_FIELDS`.

    Each field's values must lie in ``0 .. 2**bits - 1``; each field is read as one byte per row
    (bool, int8 and uint8 arrays as they are, wider ones converted). Each byte of the state is
    built eight rows at a time, as uint64 words over the byte arrays: a field shifted within its
    byte never spills into the next row's byte.
    """
    n = values["status"].size
    whole = n - n % 8
    shifted = np.empty(whole // 8, np.uint64)
    state_bytes: list[np.ndarray] = []
    for name, _ in STATE_FIELDS:
        value = np.ascontiguousarray(values[name])
        value = value.view(np.uint8) if value.dtype.itemsize == 1 else value.astype(np.uint8)
        byte, shift = divmod(_SHIFTS[name], 8)
        if shift == 0:  # the byte's first field
            state_bytes.append(value.copy())
            continue
        out = state_bytes[byte]
        np.left_shift(value[:whole].view(np.uint64), shift, out=shifted)
        words = out[:whole].view(np.uint64)
        words |= shifted
        out[whole:] |= value[whole:] << shift
    low, high = state_bytes
    state = high.astype(np.uint16)
    state <<= 8
    state |= low
    return state


def _by_state(state: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``np.bincount(state, weights, minlength=N_STATES)``.

    Counts (no weights) by ``np.add.at``, which reads the states as they are: about 15% faster
    than ``bincount``, which first copies them to int64. Weighted sums a block of rows at a
    time: in blocks, the int64 copy of the states stays in the cache (about 1 ms less per million
    rows); they are added block by block. Counts are exact either way.
    """
    if weights is None:
        # Counts: an unbuffered scatter-add, faster here than bincount's int64 copy of states.
        counts = np.zeros(N_STATES, np.int64)
        np.add.at(counts, state, 1)
        return counts
    block = 1 << 18
    if state.size <= block:
        return np.bincount(state, weights, minlength=N_STATES)
    total = np.zeros(N_STATES, np.int64 if weights is None else np.float64)
    for start in range(0, state.size, block):
        rows = slice(start, start + block)
        total += np.bincount(
            state[rows], None if weights is None else weights[rows], minlength=N_STATES
        )
    return total


# ====================================================================== reporters
@dataclass(frozen=True)
class MonthView:
    """What the month's reporters read, computed once per month (:meth:`of`).

    Attributes:
        month: The month.
        state: Packed state (:data:`STATE_FIELDS`) of every population row, free rows included
            (with status ``FREE``).
        people: Rows in each packed state (int64, length :data:`N_STATES`).
        employed_skill: Summed skill of the employed people in each packed state (float64).
        employed: Rows of employed people, ascending.
        unemployed: Rows of unemployed people in the labour force, ascending.
    """

    month: int
    state: np.ndarray
    people: np.ndarray
    employed_skill: np.ndarray
    employed: np.ndarray
    unemployed: np.ndarray

    @classmethod
    def of(cls, model: HiringModel, previous: MonthView | None = None) -> MonthView:
        """Build the view of ``model`` at its current month: one pass over the population to pack
        every row's state, the count of the people in each state, and the rows of the employed
        and the unemployed.

        Args:
            model: The model, at the month to view.
            previous: The view of the month before, if any: the counts are then its counts
                corrected where a row's state changed (a few per cent of the rows in a month)
                instead of a count of every row. The same counts either way.
        """
        pop, unis, month = model.population, model.universities, model.month
        employed = pop.employer != NO_EMPLOYER
        university_type = unis.offers_mc.view(np.uint8) + unis.credit_bearing.view(np.uint8)
        state = pack_states(
            {
                "status": pop.status,
                "employed": employed,
                # month - exit_month < RECENT_GRAD_MONTHS, without a subtraction over every row
                "recent_graduate": (pop.exit_month > month - RECENT_GRAD_MONTHS)
                & (pop.status == GRADUATE),
                "has_mc": pop.has_mc,
                "has_genai": pop.has_genai,
                "engaged": pop.engaged,
                "has_cb": pop.has_cb,
                "discipline": pop.discipline,
                "ability_quartile": pop.ability_quartile,
                "university_type": pop.by_university(university_type),
            }
        )
        employed_rows = np.flatnonzero(employed)
        return cls(
            month=month,
            state=state,
            people=_recount(state, previous),
            employed_skill=_by_state(state.take(employed_rows), pop.skill.take(employed_rows)),
            employed=employed_rows,
            unemployed=_unemployed_rows(model, employed),
        )

    def count(self, where: np.ndarray) -> int:
        """People in the states ``where`` (a boolean mask over :data:`STATES`)."""
        return int(self.people[where].sum())


RECOUNT_ABOVE = 0.25
"""Above this share of rows whose state changed since the previous view, count every row."""


def _recount(state: np.ndarray, previous: MonthView | None) -> np.ndarray:
    """People in each packed state: ``previous.people`` moved for the rows whose state changed
    (exact: counts are integers), or a count of every row."""
    if previous is None or previous.state.shape != state.shape:
        return _by_state(state)
    changed = np.flatnonzero(state != previous.state)
    if changed.size > RECOUNT_ABOVE * state.size:
        return _by_state(state)
    people = previous.people.copy()
    people -= np.bincount(previous.state.take(changed), minlength=N_STATES)
    people += np.bincount(state.take(changed), minlength=N_STATES)
    return people


def _unemployed_rows(model: HiringModel, employed: np.ndarray) -> np.ndarray:
    """Rows of the unemployed people of the labour force, ascending.

    When the month's matching round listed the unemployed (nothing after it in the month changes
    who is employed or in the labour force), those of them still without a job; otherwise a pass
    over every row.
    """
    pop = model.population
    listed = model.record.market_round.unemployed_seekers
    if listed is not None:
        return listed[pop.employer.take(listed) == NO_EMPLOYER]
    # In the labour force and not employed (for booleans, a > b is a & ~b).
    return np.flatnonzero(np.greater(pop.status >= GRADUATE, employed))


def _share(numerator: SupportsFloat, denominator: SupportsFloat) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(values.mean(dtype=np.float64)) if values.size else float("nan")


_ENROLLED = STATES.status == ENROLLED
_IN_LABOUR_FORCE = STATES.status >= GRADUATE


def students_enrolled(model: HiringModel, v: MonthView) -> float:
    return float(v.count(_ENROLLED))


def new_enrolments(model: HiringModel, v: MonthView) -> float:
    return float(model.record.new_enrolments)


def engaged_share(model: HiringModel, v: MonthView) -> float:
    return _share(v.count(_ENROLLED & STATES.engaged), v.count(_ENROLLED))


def mc_holder_share(model: HiringModel, v: MonthView) -> float:
    return _share(v.count(_ENROLLED & STATES.has_mc), v.count(_ENROLLED))


def genai_mc_share(model: HiringModel, v: MonthView) -> float:
    return _share(v.count(_ENROLLED & STATES.has_genai), v.count(_ENROLLED))


def credit_bearing_share_of_holders(model: HiringModel, v: MonthView) -> float:
    holders = _ENROLLED & STATES.has_mc
    return _share(v.count(holders & STATES.has_cb), v.count(holders))


def graduates_in_labour_force(model: HiringModel, v: MonthView) -> float:
    return float(v.count(STATES.status == GRADUATE))


def recent_grad_unemployment_rate(model: HiringModel, v: MonthView) -> float:
    recent = STATES.recent_graduate
    return _share(v.count(recent & ~STATES.employed), v.count(recent))


def unemployed(model: HiringModel, v: MonthView) -> float:
    return float(v.unemployed.size)


def vacancies(model: HiringModel, v: MonthView) -> float:
    return float(model.record.market_round.vacancies)


def open_vacancies(model: HiringModel, v: MonthView) -> float:
    return float(model.vacancies.size)


def vacancies_posted(model: HiringModel, v: MonthView) -> float:
    return float(model.record.vacancies_posted)


def vacancy_fill_rate(model: HiringModel, v: MonthView) -> float:
    r = model.record.market_round
    return _share(r.filled.size, r.vacancies)


def applications_per_vacancy(model: HiringModel, v: MonthView) -> float:
    return _mean(model.record.market_round.lifetime_applications)


def job_finding_rate(model: HiringModel, v: MonthView) -> float:
    r = model.record.market_round
    listed = r.unemployed_seekers
    return _share(r.hired_unemployed, listed.size if listed is not None else 0)


def positions(model: HiringModel, v: MonthView) -> float:
    return float(model.employers.positions.sum())


def target_demand(model: HiringModel, v: MonthView) -> float:
    return float(model.demand.target)


def graduates_with_offer_share(model: HiringModel, v: MonthView) -> float:
    return _share(model.record.started_at_graduation, model.record.graduates)


def observed_productivity(model: HiringModel, v: MonthView) -> float:
    return wages.observed_productivity(model.employers, model.p)


def applications(model: HiringModel, v: MonthView) -> float:
    return float(model.record.market_round.applications)


def hires(model: HiringModel, v: MonthView) -> float:
    return float(model.record.market_round.hires.person.size)


def _spells(model: HiringModel, v: MonthView) -> np.ndarray:
    return v.month - model.population.unemployed_since[v.unemployed]


def mean_unemployment_duration_months(model: HiringModel, v: MonthView) -> float:
    return _mean(_spells(model, v))


def median_unemployment_duration_months(model: HiringModel, v: MonthView) -> float:
    spells = _spells(model, v)
    return float(np.median(spells)) if spells.size else float("nan")


def mean_starting_salary(model: HiringModel, v: MonthView) -> float:
    return _mean(model.record.market_round.hires.salary)


def mean_starting_salary_mc(model: HiringModel, v: MonthView) -> float:
    h = model.record.market_round.hires
    return _mean(h.salary[h.has_mc])


def mean_starting_salary_no_mc(model: HiringModel, v: MonthView) -> float:
    h = model.record.market_round.hires
    return _mean(h.salary[~h.has_mc])


def _premium(kind: str, index: int) -> Callable[[HiringModel, MonthView], float]:
    """Reporter of a premium students see (``realised``) or believe (``expected``)."""

    def reporter(model: HiringModel, v: MonthView) -> float:
        return float(getattr(model.expectations, kind)[index])

    return reporter


_PREMIUMS = {
    f"{kind}_{c}_premium": _premium(kind, i)
    for kind in ("realised", "expected")
    for i, c in enumerate(CREDENTIALS)
}


def employers_hiring_mc_share_12m(model: HiringModel, v: MonthView) -> float:
    emp = model.employers
    since = v.month - 12
    return _share(
        np.count_nonzero(emp.last_mc_hire > since), np.count_nonzero(emp.last_hire > since)
    )


def universities_offering_mc_share(model: HiringModel, v: MonthView) -> float:
    return float(model.universities.offers_mc.mean())


def universities_credit_bearing_share(model: HiringModel, v: MonthView) -> float:
    unis = model.universities
    return _share(unis.credit_bearing.sum(), unis.offers_mc.sum())


def mean_skill_employed(model: HiringModel, v: MonthView) -> float:
    return _share(v.employed_skill.sum(), v.employed.size)


def salary_gini(model: HiringModel, v: MonthView) -> float:
    salaries = model.population.salary.take(v.employed)
    salaries.sort()
    salaries = salaries.astype(np.float64)
    n = salaries.size
    if n == 0 or salaries[-1] <= 0:
        return float("nan")
    # Exact Gini of the sorted values: sum_i (2i - n - 1) x_i / (n sum x), i = 1..n.
    weights = np.arange(1 - n, n, 2, dtype=np.float64)  # 2i - n - 1: 1 - n, 3 - n, ..., n - 1
    # einsum, not a BLAS dot: a threaded BLAS call stalls when the other cores are busy.
    return float(np.einsum("i,i->", weights, salaries) / (n * salaries.sum()))


def employment_ratio_top_bottom_ability(model: HiringModel, v: MonthView) -> float:
    lf, quartile = _IN_LABOUR_FORCE, STATES.ability_quartile
    employed = lf & STATES.employed
    rate = [_share(v.count(employed & (quartile == q)), v.count(lf & (quartile == q)))
            for q in (3, 0)]  # fmt: skip
    return _share(rate[0], rate[1]) if rate[1] == rate[1] else float("nan")


REPORTERS: dict[str, Callable[[HiringModel, MonthView], float]] = {
    m.name: _PREMIUMS.get(m.name) or globals()[m.name] for m in METRICS if m.name != "month"
}
"""Reporter function of every metric column but ``month``, by column name."""


def collect(model: HiringModel, view: MonthView) -> dict[str, float]:
    """One row of metrics for the model's current month, from its view (:meth:`MonthView.of`)."""
    row: dict[str, float] = {"month": model.month}
    for name, reporter in REPORTERS.items():
        row[name] = reporter(model, view)
    return row


def to_table(rows: list[dict[str, float]]) -> pa.Table:
    """The monthly rows as an Arrow table: ``month`` int32, every metric float64, in order."""
    columns = {"month": pa.array([r["month"] for r in rows], pa.int32())}
    for name in METRIC_NAMES[1:]:
        columns[name] = pa.array([r[name] for r in rows], pa.float64())
    return pa.table(columns)
