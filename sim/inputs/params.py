"""The parameter registry and the calibration targets: every number the model uses, with provenance.

Each parameter is declared once, here, with its default, unit, valid range (or choices), a
one-line description, the kind of source (``report``, ``derived``, ``literature`` or
``assumption``) and the source itself. Report figures cite the evidence ids of
``docs/evidence.md`` (S1, E2, L1, ...). Survey figures are *stated attitudes*; where
one drives behaviour, a separate ``*_conversion`` parameter (an assumption unless sourced) says how
much of the stated figure becomes behaviour, so an analyst can discount it.

Calibration targets (figures the model should reproduce rather than consume) are declared in
:data:`TARGETS`. Every report figure of ``docs/evidence.md`` section A is either a parameter or a
target.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

SourceKind = Literal["report", "derived", "literature", "assumption"]
SOURCE_KINDS: tuple[str, ...] = ("report", "derived", "literature", "assumption")

REPORT_2025 = "Coursera, Microcredentials Impact Report 2025"
REPORT_2024 = "Coursera, Microcredentials Impact Report 2024 (university leaders)"
REPORT_2022 = "Coursera, 2022 employer survey (hiring vignettes)"

Value = float | int | bool | str

Params = Mapping[str, Any]
"""The parameter values in force, by dotted name, as the model's processes read them.

Each value has its parameter's type (:attr:`Param.kind`, checked when a scenario loads), which a
type checker cannot follow from a name: with ``Mapping[str, Value]`` every ``p["x"] * 2`` of a
numeric parameter would read as a possible string. So the values are ``Any`` here.
"""

DISCIPLINES: tuple[str, ...] = (
    "computing_engineering",
    "business",
    "sciences_health",
    "humanities_social",
)
"""Student disciplines, which are also the employers' sectors (index order is fixed)."""

TECHNICAL_DISCIPLINES: tuple[str, ...] = ("computing_engineering",)
"""Disciplines where GenAI microcredentials are offered without the across-disciplines policy."""


@dataclass(frozen=True)
class Param:
    """One model parameter and its provenance.

    Attributes:
        name: Dotted name, ``group.name``; the key used in scenario ``[params]``.
        default: Default value; its Python type fixes the parameter's type.
        unit: Unit of the value (``share``, ``per month``, ``USD per year``...).
        range: Inclusive ``(low, high)`` bounds for numbers; ``None`` for booleans and choices.
        description: One line an analyst understands.
        source_kind: ``report``, ``derived``, ``literature`` or ``assumption``.
        source: The figure or publication: report figures start with their evidence id.
        label: Short human label for tables and plots.
        choices: Allowed values for string parameters.
    """

    name: str
    default: Value
    unit: str
    range: tuple[float, float] | None
    description: str
    source_kind: SourceKind
    source: str
    label: str = ""
    choices: tuple[str, ...] | None = None

    @property
    def kind(self) -> type:
        """The Python type of the parameter's values (``bool``, ``int``, ``float`` or ``str``)."""
        return type(self.default)

    @property
    def group(self) -> str:
        """The first part of the dotted name (``employers``, ``students``...)."""
        return self.name.split(".", 1)[0]

    @property
    def evidence_id(self) -> str | None:
        """The evidence id the source starts with (``E2``), or None when it names none."""
        head = self.source.split(" ", 1)[0].rstrip(",;:")
        if len(head) >= 2 and head[0].isalpha() and head[0].isupper() and head[1:].isdigit():
            return head
        return None

    def range_text(self) -> str:
        """The allowed values as text: ``[0, 1]``, ``true|false`` or ``a|b|c``."""
        if self.choices is not None:
            return "|".join(self.choices)
        if self.kind is bool:
            return "true|false"
        assert self.range is not None
        lo, hi = self.range
        return f"[{_fmt(lo)}, {_fmt(hi)}]"

    def check(self, value: object) -> str | None:
        """Why ``value`` is not allowed for this parameter, or None when it is.

        Args:
            value: A candidate value, as read from TOML.

        Returns:
            A message naming the expected type or bound, or None.
        """
        kind = self.kind
        if kind is bool:
            return None if isinstance(value, bool) else "expected true or false"
        if kind is str:
            if not isinstance(value, str):
                return f"expected one of {self.range_text()}"
            assert self.choices is not None
            return None if value in self.choices else f"expected one of {self.range_text()}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number in {self.range_text()}"
        # An int is whole already; float() of a huge TOML integer would overflow.
        if kind is int and isinstance(value, float) and not value.is_integer():
            return f"expected a whole number in {self.range_text()}"
        if value != value:  # NaN
            return f"expected a number in {self.range_text()}"
        assert self.range is not None
        lo, hi = self.range
        if not lo <= value <= hi:
            return f"out of range {self.range_text()}"
        return None

    def coerce(self, value: Value) -> Value:
        """Return ``value`` in the parameter's own type (an int-valued float becomes int)."""
        if self.kind is int:
            return int(value)
        if self.kind is float:
            return float(value)
        return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _p(
    name: str,
    default: Value,
    unit: str,
    range_: tuple[float, float] | None,
    source_kind: SourceKind,
    source: str,
    description: str,
    label: str = "",
    choices: tuple[str, ...] | None = None,
) -> Param:
    return Param(
        name=name,
        default=default,
        unit=unit,
        range=range_,
        description=description,
        source_kind=source_kind,
        source=source,
        label=label or name.split(".", 1)[1].replace("_", " "),
        choices=choices,
    )


_FITTED = " (fitted by hiresim calibrate: scenarios/baseline_calibrated.toml)"

_PARAMS: list[Param] = [
    # ---------------------------------------------------------------- universities
    _p(
        "universities.students_per_university",
        500,
        "students",
        (100, 100_000),
        "assumption",
        "assumption: sets how many University agents a population gets",
        "Enrolled students per university agent (fixes the number of universities).",
    ),
    _p(
        "universities.mc_offer_share",
        0.51,
        "share",
        (0.0, 1.0),
        "literature",
        f"{REPORT_2024}: 51% of institutions offer microcredentials",
        "Share of universities offering microcredentials (MCs) at the start.",
    ),
    _p(
        "universities.mc_offer_plan_share",
        0.68,
        "share",
        (0.0, 1.0),
        "literature",
        f"{REPORT_2024}: 68% of non-offerers plan to offer MCs within 5 years",
        "Share of non-offering universities that state a plan to offer MCs.",
    ),
    _p(
        "universities.mc_offer_plan_conversion",
        0.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: the baseline holds 2025 provision fixed",
        "Share of the stated plans to offer MCs that is realised (policy lever; ramp it).",
    ),
    _p(
        "universities.credit_bearing_share",
        0.53,
        "share",
        (0.0, 1.0),
        "report",
        f"U1 ({REPORT_2025}): 53% of MC-offering universities give credit-bearing options",
        "Share of MC-offering universities whose MCs carry degree credit at the start.",
    ),
    _p(
        "universities.credit_bearing_plan_share",
        0.82,
        "share",
        (0.0, 1.0),
        "report",
        f"U1 ({REPORT_2025}): 82% of MC-offering universities plan credit-bearing options",
        "Share of MC-offering universities that state a plan to make MCs credit-bearing.",
    ),
    _p(
        "universities.credit_bearing_plan_conversion",
        0.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: the baseline holds 2025 adoption fixed",
        "Share of the stated credit-bearing plans that is realised (policy lever; ramp it).",
    ),
    _p(
        "universities.genai_across_disciplines_share",
        0.0,
        "share",
        (0.0, 1.0),
        "report",
        f"B2 ({REPORT_2025} blueprint 2): GenAI integrated across all disciplines; 0 at baseline",
        "Share of universities integrating GenAI MCs into every discipline, not only technical.",
    ),
    _p(
        "universities.ai_literacy_share",
        0.0,
        "share",
        (0.0, 1.0),
        "report",
        f"B1 ({REPORT_2025} blueprint 1): AI-literacy programmes; 0 at baseline",
        "Share of universities running an AI-literacy programme for all their students.",
    ),
    _p(
        "universities.faculty_development_share",
        0.0,
        "share",
        (0.0, 1.0),
        "report",
        f"B3 ({REPORT_2025} blueprint 3): faculty development to teach AI; 0 at baseline",
        "Share of universities running faculty development for teaching AI and MCs.",
    ),
    # ---------------------------------------------------------------- students
    _p(
        "students.program_months",
        48,
        "months",
        (12, 72),
        "assumption",
        "assumption: a four-year bachelor's programme",
        "Length of a degree programme.",
    ),
    _p(
        "students.intake_month",
        9,
        "month of year",
        (1, 12),
        "assumption",
        "assumption: September intake",
        "Calendar month in which each year's intake enrols.",
    ),
    _p(
        "students.share_computing_engineering",
        0.22,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: rough share of US bachelor's degrees in computing and engineering",
        "Share of students (and of employers' sectors) in computing and engineering.",
    ),
    _p(
        "students.share_business",
        0.22,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: rough share of US bachelor's degrees in business",
        "Share of students (and of employers' sectors) in business.",
    ),
    _p(
        "students.share_sciences_health",
        0.26,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: rough share of US bachelor's degrees in sciences and health",
        "Share of students (and of employers' sectors) in sciences and health.",
    ),
    _p(
        "students.share_humanities_social",
        0.30,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: rough share of US bachelor's degrees in humanities and social sciences",
        "Share of students (and of employers' sectors) in humanities and social sciences.",
    ),
    _p(
        "students.enrol_prob_no_mc",
        0.5,
        "probability",
        (0.01, 1.0),
        "assumption",
        "assumption: scale only; the intake pool is sized so baseline enrolment matches the "
        "population",
        "Probability that a prospective student enrols in a programme without MCs.",
    ),
    _p(
        "students.enrol_intent_without_cb",
        0.36,
        "share",
        (0.01, 1.0),
        "report",
        f"L1 ({REPORT_2025}): 36% likely to enrol without credit-bearing MCs",
        "Stated likelihood of enrolling in a programme without credit-bearing MCs.",
    ),
    _p(
        "students.enrol_intent_with_cb",
        0.88,
        "share",
        (0.01, 1.0),
        "report",
        f"L1 ({REPORT_2025}): 88% likely to enrol with credit-bearing MCs",
        "Stated likelihood of enrolling in a programme with credit-bearing MCs.",
    ),
    _p(
        "students.enrol_ratio_with_mc",
        2.0,
        "ratio",
        (1.0, 5.0),
        "literature",
        f"{REPORT_2025}, press coverage: students 2x as likely to enrol if a programme includes "
        "an MC",
        "Stated relative likelihood of enrolling in a programme that offers (non-credit) MCs.",
    ),
    _p(
        "students.enrolment_conversion",
        0.15,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: stated enrolment intentions overstate behaviour",
        "Share of the stated relative enrolment lift that becomes real enrolment.",
    ),
    _p(
        "students.engaged_share_base",
        0.6,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: share of students engaged in a programme without credit-bearing MCs",
        "Probability a student is engaged where MCs are not credit-bearing.",
    ),
    _p(
        "students.engaged_intent_without_cb",
        0.40,
        "share",
        (0.01, 1.0),
        "report",
        f"L1 ({REPORT_2025}): 40% would stay engaged without credit-bearing MCs",
        "Stated share staying engaged without credit-bearing MCs.",
    ),
    _p(
        "students.engaged_intent_with_cb",
        0.89,
        "share",
        (0.01, 1.0),
        "report",
        f"L1 ({REPORT_2025}): 89% would stay engaged with credit-bearing MCs",
        "Stated share staying engaged with credit-bearing MCs.",
    ),
    _p(
        "students.engagement_conversion",
        0.3,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: stated engagement overstates behaviour",
        "Share of the stated relative engagement lift that becomes real engagement.",
    ),
    _p(
        "students.engagement_redraw_hazard",
        0.0833,
        "per month",
        (0.0, 1.0),
        "assumption",
        "assumption: engagement is reconsidered about once a year",
        "Monthly probability that a student's engagement is re-drawn from current conditions.",
    ),
    _p(
        "students.dropout_hazard_engaged",
        0.002,
        "per month",
        (0.0, 0.1),
        "assumption",
        "assumption: about 9% of engaged students leave over four years",
        "Monthly dropout probability of an engaged student.",
    ),
    _p(
        "students.dropout_hazard_disengaged",
        0.008,
        "per month",
        (0.0, 0.1),
        "assumption",
        "assumption: about 32% of disengaged students leave over four years",
        "Monthly dropout probability of a disengaged student.",
    ),
    _p(
        "students.mc_interest_share",
        0.9,
        "share",
        (0.0, 1.0),
        "report",
        f"S1 ({REPORT_2025}): ~9 in 10 students see MCs as key to job success",
        "Share of students who state that MCs matter (only they start MCs).",
    ),
    _p(
        "students.genai_priority_share",
        0.86,
        "share",
        (0.0, 1.0),
        "report",
        f"G1 ({REPORT_2025}): 86% of students rank GenAI as the most crucial technical skill",
        "Share of students who state GenAI is their priority skill.",
    ),
    _p(
        "students.genai_in_degree_support",
        0.96,
        "share",
        (0.0, 1.0),
        "report",
        f"S2 ({REPORT_2025}): 96% of students favour GenAI credentials inside degree programmes",
        "Share of students who favour GenAI credentials in their degree.",
    ),
    _p(
        "students.credit_preference_share",
        0.94,
        "share",
        (0.0, 1.0),
        "report",
        f"L2 ({REPORT_2025}): 94% of students eager for credentials that count toward the degree",
        "Share of students who state they want MCs that count toward their degree.",
    ),
    _p(
        "students.return_elasticity",
        0.1,
        "per unit of premium (share of pay)",
        (0.0, 20.0),
        "literature",
        "Beffy, Fougere & Maurel (2012), Review of Economics and Statistics 94(1): elasticity of "
        "field-of-study choice to expected earnings 0.09-0.12; Wiswall & Zafar (2015), Review of "
        "Economic Studies 82(2): choices respond to information about earnings, tastes dominate. "
        "0 = choices ignore returns (the model before issue 17)",
        "Semi-elasticity of the MC start, credit-bearing and GenAI choices to the expected "
        "premium: each is multiplied by exp(elasticity * (expected - reference premium)).",
        label="return elasticity",
    ),
    _p(
        "students.expectation_weight",
        0.1,
        "share per month",
        (0.0, 1.0),
        "assumption",
        "assumption: adaptive expectations with a half-life of about 7 months; 0 = fixed beliefs "
        "at the reference premiums",
        "Weight of each new observation of the realised premium in students' expectation.",
    ),
    _p(
        "students.expectation_lag_months",
        12,
        "months",
        (0, 36),
        "assumption",
        "assumption: students see the hiring of the cohort a year ahead of them; Long, Goldhaber "
        "& Huntington-Klein (2015), Economics of Education Review 49: majors follow wages seen "
        "about three years earlier",
        "Months between a hiring round and students seeing its premium.",
    ),
    _p(
        "students.expectation_min_hires",
        20,
        "hires",
        (1, 10_000),
        "assumption",
        "assumption: a month's premium counts only when both sides have this many hires",
        "Fewest hires with and without a credential for a month's premium to move expectations.",
    ),
    _p(
        "students.reference_mc_premium",
        0.132,
        "share of pay",
        (-1.0, 1.0),
        "assumption",
        "assumption: the baseline's realised raw MC premium, mean over months 1-12 of 10 seeds x "
        "20,000 students (seeds 0-9, elasticity 0: 0.132, standard error 0.005; metric "
        "realised_mc_premium)",
        "Expected MC premium at which MC starts are as calibrated (expectations start here).",
    ),
    _p(
        "students.reference_cb_premium",
        0.127,
        "share of pay",
        (-1.0, 1.0),
        "assumption",
        "assumption: the baseline's realised raw credit-bearing MC premium over no MC, mean over "
        "months 1-12 of 10 seeds x 20,000 students (seeds 0-9, elasticity 0: 0.127, standard "
        "error 0.004; metric realised_cb_premium)",
        "Expected credit-bearing premium at which the credit choice is as calibrated.",
    ),
    _p(
        "students.reference_genai_premium",
        0.154,
        "share of pay",
        (-1.0, 1.0),
        "assumption",
        "assumption: the baseline's realised raw GenAI MC premium over no MC, mean over months "
        "1-12 of 10 seeds x 20,000 students (seeds 0-9, elasticity 0: 0.154, standard error "
        "0.005; metric realised_genai_premium)",
        "Expected GenAI MC premium at which the GenAI choice is as calibrated.",
    ),
    # ---------------------------------------------------------------- learning
    _p(
        "learning.mc_start_hazard",
        0.0742,
        "per month",
        (0.0, 0.5),
        "assumption",
        "assumption: calibrated to ~1 in 3 students holding an MC" + _FITTED,
        "Monthly probability that an interested, engaged student starts an MC.",
    ),
    _p(
        "learning.disengaged_start_multiplier",
        0.4,
        "ratio",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Multiplier on the MC start hazard for disengaged students.",
    ),
    _p(
        "learning.interest_conversion",
        1.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: stated interest (S1) taken at face value",
        "Share of students stating interest in MCs who act on it.",
    ),
    _p(
        "learning.ability_selection",
        0.3,
        "log-hazard per SD",
        (-2.0, 2.0),
        "assumption",
        "assumption: abler students start more MCs (so an MC signals ability, as in Spence 1973)",
        "How much latent ability raises the MC start hazard (log scale, per SD).",
    ),
    _p(
        "learning.mc_duration_months",
        4,
        "months",
        (1, 24),
        "literature",
        "professional-certificate course descriptions: 3-6 months at under 10 h/week",
        "Months from starting to completing (or abandoning) an MC.",
    ),
    _p(
        "learning.mc_completion_prob",
        0.45,
        "probability",
        (0.0, 1.0),
        "literature",
        "Jordan 2015; HarvardX/MITx: ~45% of learners who submit a first assignment complete",
        "Probability that a started MC is completed.",
    ),
    _p(
        "learning.engaged_completion_multiplier",
        1.3,
        "ratio",
        (1.0, 3.0),
        "assumption",
        "assumption",
        "Multiplier on MC completion for engaged students (capped at probability 1).",
    ),
    _p(
        "learning.credit_bearing_completion_multiplier",
        1.2,
        "ratio",
        (1.0, 3.0),
        "assumption",
        "assumption: credit toward the degree keeps learners going (2024 report: 80% of leaders "
        "say credit-bearing MCs help retention)",
        "Multiplier on MC completion when the MC is credit-bearing.",
    ),
    _p(
        "learning.credit_choice_conversion",
        1.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: calibrated to L3 (41% of holders have a credit-bearing MC)",
        "Share of the stated preference for credit-bearing MCs (L2) realised where offered.",
    ),
    _p(
        "learning.genai_choice_conversion",
        0.873,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: calibrated to G2 (17% of students hold a GenAI MC)" + _FITTED,
        "Share of the stated GenAI priority (G1) that turns an MC start into a GenAI MC.",
    ),
    _p(
        "learning.genai_access_nontechnical",
        0.5,
        "ratio",
        (0.0, 1.0),
        "assumption",
        "assumption: outside technical disciplines GenAI MCs are harder to reach without B2",
        "Relative access to GenAI MCs for non-technical students where GenAI is not integrated.",
    ),
    _p(
        "learning.genai_integration_uptake_conversion",
        0.5,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Share of stated support for GenAI in degrees (S2) realised as extra GenAI-MC starts "
        "where GenAI is integrated across disciplines.",
    ),
    _p(
        "learning.mc_skill_gain",
        0.10,
        "skill SD",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Human capital an MC adds (in SDs of the initial skill distribution).",
    ),
    _p(
        "learning.genai_ai_skill_gain",
        0.5,
        "AI-skill SD",
        (0.0, 2.0),
        "assumption",
        "assumption",
        "AI skill a GenAI MC adds when it works.",
    ),
    _p(
        "learning.genai_skill_improve_share",
        0.9,
        "share",
        (0.0, 1.0),
        "report",
        f"G3 ({REPORT_2025}): ~9 in 10 GenAI-MC holders report better AI skills",
        "Share of GenAI MCs that raise the holder's AI skill.",
    ),
    _p(
        "learning.genai_skill_conversion",
        1.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: self-reported AI-skill gains (G3) taken at face value",
        "Share of self-reported AI-skill improvement that is real.",
    ),
    _p(
        "learning.degree_skill_gain_per_year",
        0.15,
        "skill SD per year",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Skill a year of study adds.",
    ),
    _p(
        "learning.ai_literacy_monthly_gain",
        0.01,
        "AI-skill SD per month",
        (0.0, 0.2),
        "assumption",
        "assumption: a whole programme of AI literacy adds about 0.5 SD",
        "AI skill an AI-literacy programme (B1) adds per enrolled month.",
    ),
    _p(
        "learning.faculty_completion_multiplier",
        1.25,
        "ratio",
        (1.0, 3.0),
        "assumption",
        "assumption: B3 faculty development raises completion",
        "Multiplier on MC completion at universities with faculty development (B3).",
    ),
    _p(
        "learning.faculty_skill_multiplier",
        1.25,
        "ratio",
        (1.0, 3.0),
        "assumption",
        "assumption: B3 faculty development raises what an MC teaches",
        "Multiplier on the skill an MC adds at universities with faculty development (B3).",
    ),
    _p(
        "learning.non_offering_start_multiplier",
        0.5,
        "ratio",
        (0.0, 1.0),
        "assumption",
        "assumption: open online MCs remain available where the university offers none",
        "Multiplier on the MC start hazard at universities that do not offer MCs.",
    ),
    _p(
        "learning.graduate_start_multiplier",
        0.3,
        "ratio",
        (0.0, 2.0),
        "assumption",
        "assumption: graduates keep learning, more slowly",
        "Multiplier on the MC start hazard after leaving university.",
    ),
    # ---------------------------------------------------------------- employers
    _p(
        "employers.students_per_employer",
        13,
        "students",
        (5, 10_000),
        "assumption",
        "assumption: sets how many Employer agents a population gets; calibrated to H1" + _FITTED,
        "Enrolled students per employer agent (fixes the number of employers).",
    ),
    _p(
        "employers.size_pareto_shape",
        1.5,
        "shape",
        (1.05, 5.0),
        "assumption",
        "assumption: firm sizes are heavy-tailed (Axtell 2001)",
        "Pareto shape of employers' entry-level headcount.",
    ),
    _p(
        "employers.jobs_per_labour_force",
        0.9833,
        "ratio",
        (0.5, 1.2),
        "assumption",
        "assumption: calibrated to recent-graduate unemployment of 5.3-5.8% (NY Fed)" + _FITTED,
        "Target entry-level positions per member of the early-career labour force that demand "
        "serves, in normal times at the reference productivity.",
    ),
    _p(
        "employers.separation_rate",
        0.014,
        "per month",
        (0.0, 0.2),
        "literature",
        "QuantEcon lake model; del Rio-Chanona et al. 2021: 0.013-0.016 per month",
        "Monthly probability that a worker's job ends.",
    ),
    _p(
        "employers.base_salary_computing_engineering",
        75_750.0,
        "USD per year",
        (10_000.0, 500_000.0),
        "literature",
        "NACE, class of 2024: engineering ~$76.7k, computer science ~$74.8k",
        "Mean entry-level salary offered by computing and engineering employers.",
    ),
    _p(
        "employers.base_salary_business",
        63_900.0,
        "USD per year",
        (10_000.0, 500_000.0),
        "literature",
        "NACE, class of 2024: business ~$63.9k",
        "Mean entry-level salary offered by business employers.",
    ),
    _p(
        "employers.base_salary_sciences_health",
        68_500.0,
        "USD per year",
        (10_000.0, 500_000.0),
        "literature",
        "NACE, class of 2024: all-graduate mean ~$68.5k",
        "Mean entry-level salary offered by sciences and health employers.",
    ),
    _p(
        "employers.base_salary_humanities_social",
        60_000.0,
        "USD per year",
        (10_000.0, 500_000.0),
        "assumption",
        "assumption: below the NACE all-graduate mean of ~$68.5k",
        "Mean entry-level salary offered by humanities and social-science employers.",
    ),
    _p(
        "employers.salary_sigma",
        0.35,
        "log SD",
        (0.0, 1.0),
        "literature",
        "BLS weekly-earnings percentiles: entry salaries lognormal sigma 0.35-0.45 in all; this "
        "is the between-employer part",
        "Spread of employers' base pay (lognormal sigma).",
    ),
    _p(
        "employers.mc_positive_share",
        0.96,
        "share",
        (0.0, 1.0),
        "report",
        f"E1 ({REPORT_2025}): 96% of employers say an MC strengthens an application",
        "Share of employers that score an MC positively.",
    ),
    _p(
        "employers.mc_score_weight",
        0.5,
        "score SD",
        (0.0, 3.0),
        "derived",
        f"{REPORT_2022}: holders 76% more likely to be hired in paired vignettes; P(win)=0.64 "
        "gives a weight of 0.5 noise SD",
        "Weight on holding an MC in an employer's ranking score (stated, before conversion).",
    ),
    _p(
        "employers.vignette_conversion",
        0.5,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: hiring vignettes overstate behaviour",
        "Share of the stated hiring preference for MC holders realised in real rankings.",
    ),
    _p(
        "employers.credit_bearing_score_bonus",
        0.1,
        "score SD",
        (0.0, 2.0),
        "assumption",
        "assumption",
        "Extra weight on a credit-bearing MC in the ranking score.",
    ),
    _p(
        "employers.genai_over_experience_share",
        0.5,
        "share",
        (0.0, 1.0),
        "assumption",
        f"G4 ({REPORT_2025}): 'many' employers prefer a less experienced GenAI-credentialed "
        "applicant; no share published (92% unverified): sweep it",
        "Share of employers that weigh a GenAI MC above a year of experience.",
    ),
    _p(
        "employers.genai_score_weight",
        0.2,
        "score SD",
        (0.0, 3.0),
        "assumption",
        "assumption",
        "Weight on a GenAI MC in the ranking score at other employers.",
    ),
    _p(
        "employers.experience_weight",
        0.3,
        "score SD per year",
        (0.0, 3.0),
        "assumption",
        "assumption",
        "Weight on a year of work experience in the ranking score.",
    ),
    _p(
        "employers.degree_weight",
        0.8,
        "score SD",
        (0.0, 5.0),
        "assumption",
        "assumption",
        "Weight on holding the degree (graduate rather than dropout) in the ranking score.",
    ),
    _p(
        "employers.discipline_match_weight",
        0.5,
        "score SD",
        (0.0, 5.0),
        "assumption",
        "assumption",
        "Weight on an applicant's discipline matching the employer's sector.",
    ),
    _p(
        "employers.applicants_screened",
        4.181,
        "applications per vacancy per month",
        (0.1, 1000.0),
        "assumption",
        "assumption: recruiters read a handful of a vacancy's applications a month, not all of "
        "them; with the hiring standard it sets how fast vacancies fill (DFH 2013, NACE)" + _FITTED,
        "Screening capacity: applications an open vacancy's employer reads each month, on "
        "average (a random subset of those received that month); the best one read that meets "
        "the hiring standard gets the offer.",
    ),
    _p(
        "employers.hiring_standard",
        1.2,
        "competence score (skill SD)",
        (-10.0, 10.0),
        "assumption",
        "assumption: employers leave a vacancy open rather than hire below a bar; calibrated to "
        "the monthly vacancy fill rate (DFH 2013, NACE)" + _FITTED,
        "Lowest competence (skill signal + degree + experience terms of the ranking score) an "
        "applicant must reach for an offer; credentials rank those who reach it. A vacancy "
        "whose screened applicants all fall short stays open.",
    ),
    _p(
        "employers.skill_signal_noise",
        1.0,
        "skill SD",
        (0.0, 5.0),
        "assumption",
        "assumption: interviews reveal skill with noise of one SD",
        "Noise on the skill an employer sees when ranking an applicant.",
    ),
    _p(
        "employers.ai_skill_productivity",
        0.3,
        "productivity per AI-skill SD",
        (0.0, 2.0),
        "assumption",
        "assumption",
        "How much AI skill adds to a worker's productivity.",
    ),
    _p(
        "employers.productivity_noise",
        0.5,
        "skill SD",
        (0.0, 5.0),
        "assumption",
        "assumption",
        "Noise on the productivity an employer observes in a new hire.",
    ),
    _p(
        "employers.prior_mc_productivity_gap",
        0.3,
        "skill SD",
        (0.01, 3.0),
        "assumption",
        "assumption: what employers believe at the start about MC holders' extra productivity",
        "Employers' prior belief of the productivity gap between MC holders and others.",
    ),
    _p(
        "employers.prior_genai_productivity_gap",
        0.3,
        "skill SD",
        (0.01, 3.0),
        "assumption",
        "assumption",
        "Employers' prior belief of the productivity gap of GenAI-MC holders.",
    ),
    _p(
        "employers.learning_rate",
        0.05,
        "per month",
        (0.0, 1.0),
        "assumption",
        "assumption: evidence decays with a half-life of about a year",
        "Monthly discount on old evidence when employers learn what credentials are worth.",
    ),
    _p(
        "employers.prior_strength",
        5.0,
        "hires",
        (0.1, 1000.0),
        "assumption",
        "assumption",
        "How many hires of evidence an employer's prior belief counts for.",
    ),
    _p(
        "employers.credential_learning",
        1.0,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: 1 = employers fully revise credential values from evidence; 0 = never",
        "How far learned productivity moves credential weights and premiums.",
    ),
    _p(
        "employers.premium_share",
        0.9,
        "share",
        (0.0, 1.0),
        "report",
        f"E2 ({REPORT_2025}): 9 in 10 employers would offer MC holders a higher starting salary",
        "Share of employers stating they would pay MC holders a premium.",
    ),
    _p(
        "employers.premium_conversion",
        0.7,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: not every stated premium is paid",
        "Share of employers stating a premium who actually pay it.",
    ),
    _p(
        "employers.premium_min",
        0.10,
        "share of salary",
        (0.0, 1.0),
        "report",
        f"E2 ({REPORT_2025}): 10-15% higher starting salary",
        "Lowest premium a paying employer offers.",
    ),
    _p(
        "employers.premium_max",
        0.15,
        "share of salary",
        (0.0, 1.0),
        "report",
        f"E2 ({REPORT_2025}): 10-15% higher starting salary",
        "Highest premium a paying employer offers.",
    ),
    _p(
        "employers.premium_requires_credit_bearing",
        False,
        "flag",
        None,
        "report",
        f"E2 ({REPORT_2025}), other coverage: the premium is for recognised, credit-bearing MCs",
        "Pay the premium only for credit-bearing MCs.",
    ),
    _p(
        "employers.premium_enabled",
        True,
        "flag",
        None,
        "assumption",
        "assumption: scenario switch (no_employer_premium turns it off)",
        "Whether any employer pays an MC premium.",
    ),
    # ---------------------------------------------------------------- market
    _p(
        "market.applications_per_seeker",
        10,
        "applications per month",
        (1, 100),
        "literature",
        "del Rio-Chanona et al. 2021 labour ABM code defaults: 10",
        "Applications an unemployed person sends each month.",
    ),
    _p(
        "market.on_the_job_search_prob",
        0.05,
        "per month",
        (0.0, 1.0),
        "literature",
        "del Rio-Chanona et al. 2021: employed search on the job with small probability",
        "Monthly probability that an employed worker sends one application.",
    ),
    _p(
        "market.own_sector_share",
        0.5,
        "share",
        (0.0, 1.0),
        "assumption",
        "assumption: half of applications go to the seeker's own sector",
        "Share of applications sent to vacancies in the seeker's own discipline's sector.",
    ),
    _p(
        "market.offer_rounds",
        3,
        "rounds per month",
        (1, 10),
        "assumption",
        "assumption: a declined offer goes to the runner-up within the month",
        "Offer rounds per month; in each, open vacancies offer to their best remaining applicant.",
    ),
    _p(
        "market.job_switch_threshold",
        0.05,
        "share of salary",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Pay rise an employed worker needs to accept another offer.",
    ),
    _p(
        "market.pre_graduation_search_months",
        6,
        "months",
        (0, 24),
        "literature",
        "NACE Student Survey 2014: 30% of job-seeking seniors had accepted an offer before "
        "graduation (survey Feb-Apr); on-campus recruiting runs through the final year",
        "Months before graduation in which final-year students search and may accept an offer "
        "that starts when they graduate (0 = no search before graduation).",
    ),
    _p(
        "market.vacancy_withdrawal_rate",
        0.05,
        "per month",
        (0.0, 1.0),
        "assumption",
        "assumption: a few per cent of job adverts lapse and are re-advertised each month",
        "Monthly probability that an open vacancy lapses: it is withdrawn and its position is "
        "posted again as a new vacancy (positions close only toward target demand).",
    ),
    _p(
        "market.demand_adjustment_rate",
        0.1,
        "per month",
        (0.0, 1.0),
        "literature",
        "del Rio-Chanona et al. 2021 (J. R. Soc. Interface): employment moves toward target "
        "demand at about 0.1 a month",
        "Monthly share of the gap between positions and target demand closed (openings when "
        "below, withdrawals of open vacancies when above).",
    ),
    _p(
        "market.supply_absorption_rate",
        0.02,
        "per month",
        (0.0, 1.0),
        "literature",
        "Blanchard & Katz 1992 (BPEA): a regional labour-market shock is absorbed over 5-7 "
        "years; 0.02 a month is a mean lag of about 4 years. 0 = demand never follows supply (a "
        "fixed stock of jobs when market.labour_demand_elasticity is 0 too)",
        "Monthly share of the gap between the labour force that demand serves and the current "
        "labour force closed: how fast jobs follow the supply of graduates (0 = never).",
    ),
    _p(
        "market.labour_demand_elasticity",
        0.3,
        "elasticity",
        (0.0, 1.5),
        "literature",
        "Hamermesh 1993 (Labor Demand): constant-output own-wage elasticities around 0.3 in "
        "absolute value",
        "Elasticity of target demand to graduates' productivity per unit of pay (relative to "
        "the reference productivity).",
    ),
    _p(
        "market.demand_cycle",
        1.0,
        "ratio",
        (0.1, 2.0),
        "assumption",
        "assumption: 1 = normal times; the recession scenario's path is set to match the JOLTS "
        "fall in job openings, 4.8M to 2.3M, mid-2007 to mid-2009",
        "Business-cycle multiplier on target labour demand.",
    ),
    _p(
        "market.career_window_months",
        60,
        "months",
        (24, 240),
        "assumption",
        "assumption: the model follows people for 5 years after they leave university",
        "Months after leaving university that a person stays in the modelled labour market.",
    ),
    # ---------------------------------------------------------------- wages
    _p(
        "wages.skill_return",
        0.08,
        "log salary per skill SD",
        (0.0, 1.0),
        "assumption",
        "assumption: with employer spread gives total sigma near 0.35-0.45 (BLS)",
        "Return to the skill signal in the offered salary.",
    ),
    _p(
        "wages.reference_signal",
        1.558,
        "skill SD",
        (-5.0, 10.0),
        "assumption",
        "assumption: calibrated to the NACE mean starting salary of ~$68.5k" + _FITTED,
        "Skill signal at which an applicant is offered the employer's base pay.",
    ),
    _p(
        "wages.productivity_pass_through",
        0.7,
        "share",
        (0.0, 1.0),
        "literature",
        "Stansbury & Summers 2018 (NBER w24165): 0.7-1 of productivity growth reaches pay",
        "Share of a change in the productivity employers observe in their hires (skill and AI "
        "skill) passed to offered pay; the rest lowers the cost of a unit of output and so "
        "raises labour demand.",
    ),
    _p(
        "wages.reference_productivity",
        0.75,
        "skill SD",
        (-5.0, 10.0),
        "assumption",
        "assumption: about the baseline's observed productivity of hires in months 1-12, so "
        "that base pay and jobs_per_labour_force hold at baseline (set by hand, not fitted)",
        "Observed productivity of hires at which employers offer base pay and labour demand is "
        "jobs_per_labour_force times the labour force it serves.",
    ),
    _p(
        "wages.raise_after_mc_prob",
        0.28,
        "probability",
        (0.0, 1.0),
        "literature",
        f"{REPORT_2025}, press coverage: 28% of entry-level employees got a raise after an MC",
        "Probability that an employed worker who completes an MC gets a raise.",
    ),
    _p(
        "wages.raise_after_mc_size",
        0.05,
        "share of salary",
        (0.0, 1.0),
        "assumption",
        "assumption",
        "Size of the raise after completing an MC while employed.",
    ),
]

REGISTRY: Mapping[str, Param] = {p.name: p for p in _PARAMS}
"""Every model parameter by dotted name, in declaration order."""

assert len(REGISTRY) == len(_PARAMS), "duplicate parameter name"

SHARE_GROUPS: Mapping[str, tuple[str, ...]] = {
    "discipline shares": tuple(f"students.share_{d}" for d in DISCIPLINES),
}
"""Parameter groups whose values must sum to 1 (checked when a scenario is validated)."""

ORDERED_PAIRS: tuple[tuple[str, str], ...] = (
    ("employers.premium_min", "employers.premium_max"),
    ("universities.credit_bearing_share", "universities.credit_bearing_plan_share"),
)
"""(low, high) parameter pairs where low must not exceed high."""


def defaults() -> dict[str, Value]:
    """Every parameter's default value, by name."""
    return {name: p.default for name, p in REGISTRY.items()}


def cross_check(values: Mapping[str, Value]) -> list[tuple[str, str]]:
    """Problems that involve more than one parameter.

    Args:
        values: A full set of parameter values.

    Returns:
        ``(key, message)`` pairs, empty when the set is consistent.
    """
    problems: list[tuple[str, str]] = []
    for label, names in SHARE_GROUPS.items():
        total = sum(float(values[n]) for n in names)
        if abs(total - 1.0) > 1e-6:
            problems.append((names[0], f"{label} ({', '.join(names)}) sum to {total:g}, not 1"))
    for lo, hi in ORDERED_PAIRS:
        if float(values[lo]) > float(values[hi]):
            problems.append((lo, f"{lo}={values[lo]} exceeds {hi}={values[hi]}"))
    return problems


def iter_params() -> Iterator[Param]:
    """The registry's parameters in declaration order."""
    return iter(REGISTRY.values())


# ==================================================================== calibration targets

TargetStatus = Literal["calibrated", "reference"]


@dataclass(frozen=True)
class Target:
    """A figure the model should reproduce, with where to read it.

    Attributes:
        name: Short identifier.
        value: Target value.
        tolerance: Half-width of the acceptable band around ``value``.
        source: Evidence id and publication.
        metric: Monthly metric column it is compared with; None for a figure with no
            behavioural counterpart in the model (a stated attitude kept for the record).
        window: Inclusive ``(first, last)`` output months averaged for the comparison.
        status: ``calibrated`` (fitted and checked) or ``reference`` (recorded, not testable).
        note: How the model reads it, or why it cannot.
    """

    name: str
    value: float
    tolerance: float
    source: str
    metric: str | None
    window: tuple[int, int] = (1, 12)
    status: TargetStatus = "calibrated"
    note: str = ""


TARGETS: tuple[Target, ...] = (
    Target(
        "employers_hired_mc_holder",
        0.87,
        0.05,
        f"H1 ({REPORT_2025})",
        "employers_hiring_mc_share_12m",
        note="employers with an MC-holder hire in 12 months, among employers that hired",
    ),
    Target(
        "holders_with_credit_bearing_mc",
        0.41,
        0.05,
        f"L3 ({REPORT_2025})",
        "credit_bearing_share_of_holders",
    ),
    Target("students_with_genai_mc", 0.17, 0.03, f"G2 ({REPORT_2025})", "genai_mc_share"),
    Target(
        "students_with_any_mc",
        0.33,
        0.05,
        f"{REPORT_2025}, press coverage: 1 in 3 US students hold an MC",
        "mc_holder_share",
    ),
    Target(
        "credit_bearing_share_of_offerers",
        0.53,
        0.03,
        f"U1 ({REPORT_2025})",
        "universities_credit_bearing_share",
    ),
    Target(
        "recent_grad_unemployment",
        0.055,
        0.01,
        "Federal Reserve Bank of New York: recent graduates (22-27) 5.3-5.8% in 2025",
        "recent_grad_unemployment_rate",
    ),
    Target(
        "vacancy_fill_rate",
        0.525,
        0.225,
        "Davis, Faberman & Haltiwanger 2013 (QJE): vacancy durations of 20-30 working days, "
        "about 0.6-0.7 filled a month; NACE Recruiting Benchmarks: about 75 days from posting to "
        "acceptance in college recruiting, about 0.33 a month",
        "vacancy_fill_rate",
        note="the band 0.3-0.75 spans both sources: all entry-level hiring and college recruiting",
    ),
    Target(
        "applications_per_vacancy",
        71.0,
        30.0,
        "Institute of Student Employers, Student Recruitment Survey 2023/24: about 1.2M "
        "applications for about 17k graduate vacancies",
        "applications_per_vacancy",
        note="the pooled figure (71); the average over employers (140) is pulled up by a few "
        "popular employers, and the survey is one year of one country, so the band is wide "
        "(41-101)",
    ),
    Target(
        "mean_starting_salary",
        68_500.0,
        3_500.0,
        "NACE salary survey, class of 2024: mean entry-level salary ~$68.5k",
        "mean_starting_salary",
        note="mean annual salary of the month's hires (graduates, dropouts, job changers and "
        "final-year students accepting an offer)",
    ),
    Target(
        "seniors_with_offer_before_graduation",
        0.30,
        0.0,
        "NACE Student Survey 2014 (and 2012-2016): about 30% of job-seeking graduating seniors "
        "had accepted an offer, surveyed February-April",
        "graduates_with_offer_share",
        status="reference",
        note="surveyed months before graduation and among those who applied, so a lower bound "
        "for the model's share of graduates who start a job at graduation",
    ),
    Target(
        "students_mc_improves_prospects",
        0.85,
        0.0,
        f"S3 ({REPORT_2025})",
        None,
        status="reference",
        note="stated belief of MC holders; the model has no counterpart of a belief",
    ),
    Target(
        "students_mc_helps_success",
        0.91,
        0.0,
        f"S3 ({REPORT_2025})",
        None,
        status="reference",
        note="stated expectation of MC holders; no behavioural counterpart",
    ),
    Target(
        "students_eager_credit_2023",
        0.55,
        0.0,
        f"L2 ({REPORT_2025}), 2023 figure",
        None,
        status="reference",
        note="earlier survey wave, shows the trend only",
    ),
    Target(
        "employers_more_likely_hire",
        0.85,
        0.0,
        f"{REPORT_2025}, press coverage: 85% of employers more likely to hire an MC holder",
        None,
        status="reference",
        note="stated; the model uses E1 and the 2022 vignettes for the hiring weight",
    ),
    Target(
        "promotion_after_mc",
        0.21,
        0.0,
        f"{REPORT_2025}, press coverage: 21% of entry-level employees promoted after an MC",
        None,
        status="reference",
        note="the model has no job ladder",
    ),
    Target(
        "training_saving",
        0.20,
        0.0,
        f"{REPORT_2025}, press coverage: employers save up to 20% on entry-level training",
        None,
        status="reference",
        note="the model has no training costs",
    ),
)
"""Calibration and reference targets; ``reference`` ones are recorded, not fitted."""

TARGETS_BY_NAME: Mapping[str, Target] = {t.name: t for t in TARGETS}
