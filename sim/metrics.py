"""Monthly metrics: each column's definition, declared once, and the reporters that compute them.

A reporter is a named function of the model; :func:`collect` calls them all at the end of a
month. Reporters read the population arrays and the per-month market counters without copying the
population.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sim.population import ENROLLED, GRADUATE, NO_EMPLOYER, ability_quartile

if TYPE_CHECKING:
    from sim.model import HiringModel


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
    Metric("vacancies", "vacancies", "Vacancies open for the month's matching round.", "Vacancies"),
    Metric("applications", "applications", "Applications sent in the month.", "Applications"),
    Metric("hires", "people", "Hires made in the month (first jobs and job changes).", "Hires"),
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
        "Mean annual salary of the month's hires.",
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


# ====================================================================== reporters
RECENT_GRAD_MONTHS = 24
"""Graduates count as recent for the 24 months after graduation (months 0..23)."""


@dataclass(frozen=True)
class MonthView:
    """Masks and index sets shared by the month's reporters, computed once per month.

    Attributes:
        month: The month.
        enrolled: Rows of enrolled students.
        labour_force: Boolean mask of graduates and dropouts.
        employed: Boolean mask of people in a job.
        unemployed: Rows of unemployed people in the labour force.
        recent_graduate: Boolean mask of graduates within 24 months of graduation.
    """

    month: int
    enrolled: np.ndarray
    labour_force: np.ndarray
    employed: np.ndarray
    unemployed: np.ndarray
    recent_graduate: np.ndarray

    @classmethod
    def of(cls, model: HiringModel) -> MonthView:
        """Build the view of ``model`` at its current month."""
        pop = model.population
        lf = pop.status >= GRADUATE
        employed = pop.employer != NO_EMPLOYER
        return cls(
            month=model.month,
            enrolled=np.flatnonzero(pop.status == ENROLLED),
            labour_force=lf,
            employed=employed,
            unemployed=np.flatnonzero(lf & ~employed),
            recent_graduate=(pop.status == GRADUATE)
            & (model.month - pop.exit_month < RECENT_GRAD_MONTHS),
        )


def _share(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(values.mean(dtype=np.float64)) if values.size else float("nan")


def students_enrolled(model: HiringModel, v: MonthView) -> float:
    return float(v.enrolled.size)


def new_enrolments(model: HiringModel, v: MonthView) -> float:
    return float(model.record.new_enrolments)


def engaged_share(model: HiringModel, v: MonthView) -> float:
    return _share(model.population.engaged[v.enrolled].sum(), v.enrolled.size)


def mc_holder_share(model: HiringModel, v: MonthView) -> float:
    return _share(model.population.has_mc[v.enrolled].sum(), v.enrolled.size)


def genai_mc_share(model: HiringModel, v: MonthView) -> float:
    return _share(model.population.has_genai[v.enrolled].sum(), v.enrolled.size)


def credit_bearing_share_of_holders(model: HiringModel, v: MonthView) -> float:
    pop = model.population
    holders = v.enrolled[pop.has_mc[v.enrolled]]
    return _share(pop.has_cb[holders].sum(), holders.size)


def graduates_in_labour_force(model: HiringModel, v: MonthView) -> float:
    return float(np.count_nonzero(model.population.status == GRADUATE))


def recent_grad_unemployment_rate(model: HiringModel, v: MonthView) -> float:
    recent = v.recent_graduate
    return _share(np.count_nonzero(recent & ~v.employed), np.count_nonzero(recent))


def unemployed(model: HiringModel, v: MonthView) -> float:
    return float(v.unemployed.size)


def vacancies(model: HiringModel, v: MonthView) -> float:
    return float(model.record.market_round.vacancies)


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
    return _mean(model.population.skill[v.employed])


def salary_gini(model: HiringModel, v: MonthView) -> float:
    salaries = np.sort(model.population.salary[v.employed]).astype(np.float64)
    n = salaries.size
    if n == 0 or salaries[-1] <= 0:
        return float("nan")
    # Exact Gini of the sorted values: sum_i (2i - n - 1) x_i / (n sum x), i = 1..n.
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    return float(weights @ salaries / (n * salaries.sum()))


def employment_ratio_top_bottom_ability(model: HiringModel, v: MonthView) -> float:
    pop = model.population
    lf = np.flatnonzero(v.labour_force)
    quartile = ability_quartile(pop.ability[lf])
    employed = v.employed[lf]
    rate = [_share(np.count_nonzero(employed[quartile == q]), np.count_nonzero(quartile == q))
            for q in (3, 0)]  # fmt: skip
    return _share(rate[0], rate[1]) if rate[1] == rate[1] else float("nan")


REPORTERS: dict[str, Callable[[HiringModel, MonthView], float]] = {
    m.name: globals()[m.name] for m in METRICS if m.name != "month"
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
