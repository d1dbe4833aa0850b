"""Monthly metrics: each column's definition, declared once, and the reporters that compute them.

A reporter is a named function of the model; :func:`collect` calls them all at the end of a
month. Reporters read the population arrays and the per-month market counters without copying the
population.
"""

from __future__ import annotations

from dataclasses import dataclass


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
)
"""Every monthly metric column, in table order."""

METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
