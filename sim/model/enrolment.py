"""Enrolment: the yearly intake, engagement, dropout and graduation (the ``enrolment`` stream).

Stated intentions (L1) enter only through the conversion parameters: a programme's realised
enrolment lift is ``1 + students.enrolment_conversion * (stated ratio - 1)``, and likewise for
engagement.
"""

from __future__ import annotations

import numpy as np

from sim.inputs.params import DISCIPLINES, Params
from sim.model.agents import UniversityTable
from sim.model.population import DROPOUT, ENROLLED, GRADUATE, NO_EMPLOYER, Population
from sim.model.sampling import bernoulli_subset, categorical


def enrolment_lift(p: Params, unis: UniversityTable) -> np.ndarray:
    """Realised relative enrolment probability of each university's programmes (1 = no MCs)."""
    conv = p["students.enrolment_conversion"]
    cb_ratio = p["students.enrol_intent_with_cb"] / p["students.enrol_intent_without_cb"]
    ratio = np.where(
        unis.credit_bearing,
        cb_ratio,
        np.where(unis.offers_mc, p["students.enrol_ratio_with_mc"], 1.0),
    )
    return 1.0 + conv * (ratio - 1.0)


def enrol_probability(p: Params, unis: UniversityTable) -> np.ndarray:
    """Probability that a prospective student of each university enrols."""
    return np.minimum(1.0, p["students.enrol_prob_no_mc"] * enrolment_lift(p, unis))


def engaged_probability(p: Params, unis: UniversityTable) -> np.ndarray:
    """Probability that a student of each university is engaged."""
    stated = p["students.engaged_intent_with_cb"] / p["students.engaged_intent_without_cb"]
    lift = 1.0 + p["students.engagement_conversion"] * (stated - 1.0)
    base = p["students.engaged_share_base"]
    return np.clip(np.where(unis.credit_bearing, base * lift, base), 0.0, 1.0)


def discipline_shares(p: Params) -> np.ndarray:
    """Shares of the disciplines, normalised to sum to one."""
    shares = np.array([p[f"students.share_{d}"] for d in DISCIPLINES], dtype=float)
    return shares / shares.sum()


def intake(
    pop: Population,
    unis: UniversityTable,
    p: Params,
    month: int,
    rng: np.random.Generator,
) -> int:
    """Enrol this year's intake: each university's pool enrols at its realised probability.

    Returns:
        The number of new students.
    """
    counts = rng.binomial(unis.pool, enrol_probability(p, unis))
    n = int(counts.sum())
    if n == 0:
        return 0
    rows = pop.free_rows(n)
    uni = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
    add_students(pop, rows, uni, p, month, rng, months_enrolled=np.zeros(n, np.int16))
    pop.engaged[rows] = rng.random(n) < engaged_probability(p, unis)[uni]
    return n


def add_students(
    pop: Population,
    rows: np.ndarray,
    uni: np.ndarray,
    p: Params,
    month: int,
    rng: np.random.Generator,
    months_enrolled: np.ndarray,
) -> None:
    """Fill ``rows`` with new enrolled students of universities ``uni``."""
    n = rows.size
    pop.status[rows] = ENROLLED
    pop.set_university(rows, uni)
    pop.discipline[rows] = categorical(rng, discipline_shares(p), n)
    ability = rng.standard_normal(n).astype(np.float32)
    pop.set_ability(rows, ability)
    pop.skill[rows] = ability
    pop.ai_skill[rows] = rng.standard_normal(n).astype(np.float32)
    pop.interest_draw[rows] = rng.random(n).astype(np.float32)
    pop.entry_month[rows] = month - months_enrolled
    pop.months_enrolled[rows] = months_enrolled


def progress(
    pop: Population,
    unis: UniversityTable,
    p: Params,
    month: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Advance enrolled students one month: engagement, dropout, graduation.

    Returns:
        The rows of this month's ``(graduates, dropouts)``.
    """
    enrolled = pop.status == ENROLLED
    rows = np.flatnonzero(enrolled)

    # Events of a few per cent a month are drawn sparsely (sim.model.sampling): each student is
    # redrawn with the redraw hazard, and the new state is drawn for the redrawn only.
    redraw = bernoulli_subset(rng, rows, p["students.engagement_redraw_hazard"])
    engaged = engaged_probability(p, unis)[pop.university[redraw]]
    pop.engaged[redraw] = rng.random(redraw.size) < engaged

    if unis.ai_literacy.any():
        # Whole arrays: a free row's university (-1) reads the last university, masked out.
        literate = np.take(unis.ai_literacy, pop.university)
        literate &= enrolled
        np.add(pop.ai_literacy_months, literate.view(np.int8), out=pop.ai_literacy_months)

    # Dropout at the hazard of the student's (new) engagement: candidates at the larger hazard,
    # each kept with probability hazard / larger hazard.
    engaged_hazard = p["students.dropout_hazard_engaged"]
    disengaged_hazard = p["students.dropout_hazard_disengaged"]
    larger = max(engaged_hazard, disengaged_hazard)
    maybe = bernoulli_subset(rng, rows, larger)
    hazard = np.where(pop.engaged[maybe], engaged_hazard, disengaged_hazard)
    drop = maybe[rng.random(maybe.size) * larger < hazard]

    np.add(pop.months_enrolled, enrolled.view(np.int8), out=pop.months_enrolled)
    enrolled[drop] = False
    grad = np.flatnonzero(enrolled & (pop.months_enrolled >= p["students.program_months"]))
    leave_university(pop, grad, GRADUATE, p, month)
    leave_university(pop, drop, DROPOUT, p, month)
    return grad, drop


def study_gains(pop: Population, rows: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Skill and AI skill that study has given ``rows`` so far (float32 arrays).

    Added to a student's skill when they leave university; employers judging a final-year
    student (:mod:`sim.model.market`) see it too, as the skill the degree has built.
    """
    ai_skill = np.float32(p["learning.ai_literacy_monthly_gain"]) * pop.ai_literacy_months[
        rows
    ].astype(np.float32)
    return _degree_gain(pop, rows, p), ai_skill


def _degree_gain(pop: Population, rows: np.ndarray, p: Params) -> np.ndarray:
    """Skill the degree has given ``rows`` so far (float32)."""
    years = pop.months_enrolled[rows].astype(np.float32) / 12.0
    return np.float32(p["learning.degree_skill_gain_per_year"]) * years


def skills_as_seen(pop: Population, rows: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Skill and AI skill of ``rows`` as employers see them: a student's with study's gains so
    far (:func:`study_gains`), everyone else's as held."""
    skill, ai_skill = pop.skill[rows], pop.ai_skill[rows]  # copies (integer indexing)
    studying = np.flatnonzero(pop.status[rows] == ENROLLED)
    if studying.size:
        gain, ai_gain = study_gains(pop, rows[studying], p)
        skill[studying] += gain
        ai_skill[studying] += ai_gain
    return skill, ai_skill


def skill_as_seen(pop: Population, rows: np.ndarray, p: Params) -> np.ndarray:
    """Skill of ``rows`` as employers see it: :func:`skills_as_seen` without the AI skill."""
    skill = pop.skill[rows]  # a copy (integer indexing)
    studying = np.flatnonzero(pop.status[rows] == ENROLLED)
    if studying.size:
        skill[studying] += _degree_gain(pop, rows[studying], p)
    return skill


def leave_university(pop: Population, rows: np.ndarray, status: int, p: Params, month: int) -> None:
    """Move ``rows`` from study into the labour market as unemployed graduates or dropouts.

    Study adds skill for the months enrolled, and AI literacy adds AI skill for the months spent
    at a university running the programme.
    """
    if rows.size == 0:
        return
    skill, ai_skill = study_gains(pop, rows, p)
    pop.skill[rows] += skill
    pop.ai_skill[rows] += ai_skill
    pop.status[rows] = status
    pop.set_exit_month(rows, month)
    pop.employer[rows] = NO_EMPLOYER
    pop.unemployed_since[rows] = month
