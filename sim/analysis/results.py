"""The generated results page: the shipped headline scenarios run, compared and checked.

``hiresim results`` (and ``make results``) runs every shipped policy scenario against
``baseline`` on common seeds through :mod:`sim.experiments.runner` (so a rerun skips finished runs),
then writes one Markdown page from the existing analysis code: the paired effects of
:func:`sim.analysis.compare.compare` and :func:`sim.analysis.compare.compare_who_gains` rendered by
:func:`sim.analysis.compare.format_table`, and the calibration targets of
:func:`sim.analysis.targets.check_run` rendered by :func:`sim.analysis.targets.format_checks`. The
page is stamped with the hiresim version, the date and the command that made it, so numbers quoted
from it can be traced and regenerated.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim import __version__
from sim.analysis.compare import Window, compare, compare_who_gains, format_table
from sim.analysis.targets import check_run, format_checks
from sim.experiments.runner import RunPlan
from sim.experiments.store import atomic_path, scan_parts
from sim.inputs.scenario import Scenario, load_scenario

HEADLINE_SCENARIOS: tuple[str, ...] = (
    "baseline",
    "credit_bearing_expansion",
    "genai_across_disciplines",
    "ai_literacy",
    "faculty_development",
    "full_blueprint",
    "no_employer_premium",
    "mc_saturation",
    "recession",
    "premium_for_credit_only",
)
"""The scenarios of the results page, baseline first (every other one is compared with it)."""

HEADLINE_METRICS: tuple[str, ...] = (
    "recent_grad_unemployment_rate",
    "mean_starting_salary",
    "mean_starting_salary_mc",
    "mc_holder_share",
    "positions",
)
"""The metrics of the headline table."""

RECESSION_WINDOW = Window(13, 48)
"""Output months in which the ``recession`` scenario's demand is below normal (shock and recovery);
a shorter run uses the part it has."""

RECESSION_METRICS: tuple[str, ...] = (
    "recent_grad_unemployment_rate",
    "open_vacancies",
    "positions",
    "hires",
    "job_finding_rate",
    "mean_starting_salary",
)
"""The metrics of the recession table (over :data:`RECESSION_WINDOW`)."""

CREDIT_ONLY_METRICS: tuple[str, ...] = (
    "credit_bearing_share_of_holders",
    "mean_starting_salary_mc",
    "expected_mc_premium",
)
"""The metrics of ``premium_for_credit_only`` against its parent ``credit_bearing_expansion``."""

WHO_GAINS_SCENARIOS: tuple[str, ...] = (
    "credit_bearing_expansion",
    "genai_across_disciplines",
    "full_blueprint",
    "mc_saturation",
)
"""Scenarios whose employment effect is split between MC holders and non-holders."""


@dataclass(frozen=True)
class ResultsSettings:
    """What the results page runs.

    Attributes:
        seeds: Common seeds 1..N.
        students: Population of every run.
        months: Reported months of every run (after each scenario's burn-in).
        run_dir: The run folder (kept, so a rerun resumes and an analyst can query it).
        out: The Markdown file written.
    """

    seeds: int = 10
    students: int = 20_000
    months: int = 120
    run_dir: Path = Path("outputs/results")
    out: Path = Path("docs/results.md")


def headline_scenarios(settings: ResultsSettings) -> tuple[Scenario, ...]:
    """The shipped headline scenarios with the settings' months and students (in their hashes).

    Raises:
        ScenarioError: When the settings are out of the allowed ranges.
    """
    return tuple(
        load_scenario(name).with_run(months=settings.months, students=settings.students)
        for name in HEADLINE_SCENARIOS
    )


def results_plan(settings: ResultsSettings, command: Sequence[str]) -> RunPlan:
    """The run behind the page: every headline scenario on seeds 1..N into ``settings.run_dir``.

    Args:
        settings: Seeds, size and folders.
        command: The command that asked for it (recorded in the manifest, printed to resume).
    """
    return RunPlan(
        out=settings.run_dir,
        scenarios=headline_scenarios(settings),
        seeds=tuple(range(1, settings.seeds + 1)),
        command=tuple(command),
        name="results",
    )


def other_seeds(settings: ResultsSettings) -> list[str]:
    """Problems: headline scenarios in the run folder with seeds beyond 1..N (one per scenario).

    The page's paired comparisons read every seed of the folder, so a folder made with more
    seeds would not match the page's stated size.
    """
    wanted = set(range(1, settings.seeds + 1))
    extra: dict[str, list[int]] = {}
    for scenario, seed in sorted(scan_parts(settings.run_dir)):
        if scenario in HEADLINE_SCENARIOS and seed not in wanted:
            extra.setdefault(scenario, []).append(seed)
    return [
        f"--run-dir {settings.run_dir}: {scenario} has seeds {', '.join(map(str, seeds))} beyond "
        f"--seeds {settings.seeds}; give --seeds {max(seeds)} or another --run-dir"
        for scenario, seeds in extra.items()
    ]


def _body(markdown: str) -> str:
    """A rendered table as a section body, without its trailing newline."""
    return markdown.rstrip("\n")


def render(
    settings: ResultsSettings,
    command: Sequence[str],
    *,
    today: dt.date | None = None,
) -> str:
    """The results page for a finished run, as Markdown.

    Args:
        settings: The settings the run was made with (``run_dir`` is read).
        command: The command that made the page, stamped at the top.
        today: The date stamped (default: today, UTC).

    Raises:
        CompareError: When the run folder lacks a scenario or seed the tables need.
        TargetsError: When the baseline's metrics cannot be read.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    run = settings.run_dir
    shipped = load_scenario("baseline").run
    headline = compare(run, metrics=HEADLINE_METRICS)
    last_year = Window(headline.column("first_month")[0].as_py(), settings.months)
    recession = ["The run is too short to reach the recession (month 13)."]
    if settings.months >= RECESSION_WINDOW.first:
        window = Window(RECESSION_WINDOW.first, min(RECESSION_WINDOW.last, settings.months))
        table = compare(run, scenarios=["recession"], metrics=RECESSION_METRICS, window=window)
        recession = [
            f"`recession` against `baseline` over {window.label} (the demand shock and its "
            "recovery); by the run's last year it is over.",
            "",
            _body(format_table(table, "markdown")),
        ]
    credit_only = compare(
        run,
        baseline="credit_bearing_expansion",
        scenarios=["premium_for_credit_only"],
        metrics=CREDIT_ONLY_METRICS,
    )
    who = compare_who_gains(run, scenarios=WHO_GAINS_SCENARIOS)
    targets = check_run(run, "baseline")
    size = (
        f"{settings.seeds} common seeds (1-{settings.seeds}), {settings.students:,} students, "
        f"{settings.months} reported months after {shipped.burn_in_months} months of burn-in"
    )
    own = (shipped.seeds, shipped.students, shipped.months)
    smaller = ""
    if (settings.seeds, settings.students, settings.months) != own:
        smaller = (
            f"This is not the size the scenarios ship with ({shipped.seeds} seeds, "
            f"{shipped.students:,} students, {shipped.months} months, what `hiresim results` "
            "runs without options): intervals are wider with fewer seeds and smaller "
            "populations. "
        )
    lines = [
        "# Results",
        "",
        "<!-- Generated by `hiresim results`; do not edit by hand: rerun the command below. -->",
        "",
        f"Generated by hiresim {__version__} on {today.isoformat()} with:",
        "",
        f"    {shlex.join(command)}",
        "",
        f"Run: {size}; the runs are in `{run}` (rerunning the command reuses them). "
        + smaller
        + "Every scenario runs on the same seeds, so each effect is a difference paired by seed, "
        "with a 95% t-interval over seeds. Read `README.md`, *Read before quoting a number*, "
        "before quoting any of them: stated survey attitudes become behaviour through named "
        "`*_conversion` assumptions, and these effects hold at their default values.",
        "",
        "## Headline effects in the run's last year",
        "",
        f"Each shipped policy against `baseline` over {last_year.label} (each seed's value is "
        "its mean over those months).",
        "",
        _body(format_table(headline, "markdown")),
        "",
        "## The recession while demand is low",
        "",
        *recession,
        "",
        "## Students' response to a premium paid for credit-bearing MCs only",
        "",
        "`premium_for_credit_only` against its parent `credit_bearing_expansion` (the same "
        "provision; from month 13 employers pay the premium only for credit-bearing MCs), "
        f"over {last_year.label}: what MC holders are paid, the premium students expect, and "
        "how far they shift toward credit-bearing MCs (`students.return_elasticity`).",
        "",
        _body(format_table(credit_only, "markdown")),
        "",
        "## Who gains: MC holders, non-holders, everyone",
        "",
        "Employed people and labour force per 1,000 students, and employment rates, in the "
        "run's last year. The counts add up (holders + non-holders = total), so the verdict "
        "says whether a policy creates jobs or moves them between the groups.",
        "",
        _body(format_table(who, "markdown")),
        "",
        "## Calibration targets (`baseline` of this run)",
        "",
        "Each calibrated target's metric averaged over its window (output months 1-12) per seed; "
        "a target passes when the mean over seeds lies within its tolerance.",
        "",
        _body(format_checks(targets.checks, "markdown", targets.note())),
        "",
    ]
    return "\n".join(lines)


def write_results(
    settings: ResultsSettings,
    command: Sequence[str],
    *,
    today: dt.date | None = None,
) -> Path:
    """Render the page for a finished run and write it to ``settings.out`` (all or nothing).

    Args and raises: as :func:`render`.

    Returns:
        The path written.
    """
    text = render(settings, command, today=today)
    with atomic_path(settings.out) as tmp:
        tmp.write_text(text)
    return settings.out
