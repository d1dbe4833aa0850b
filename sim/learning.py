"""Learning: starting and completing microcredentials (the ``learning`` stream).

Students who state that MCs matter (S1, through ``learning.interest_conversion``) start MCs at a
monthly hazard that is higher for the engaged and the able (so an MC is partly a signal of
ability). A started MC is GenAI with a probability set by G1 and access (technical disciplines, or
any discipline where GenAI is integrated, B2), and credit-bearing where the university offers
credit and the student wants it (L2). After ``learning.mc_duration_months`` it is completed with a
probability from the completion literature, raised by engagement, credit and faculty development
(B3). A completed MC adds skill; a GenAI MC adds AI skill to those it works for (G3).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.agents import UniversityTable
from sim.params import DISCIPLINES, TECHNICAL_DISCIPLINES, Value
from sim.population import ENROLLED, FREE, MC_GENAI, MC_REGULAR, NEVER, Population

TECHNICAL = np.array([d in TECHNICAL_DISCIPLINES for d in DISCIPLINES])


def complete(
    pop: Population,
    unis: UniversityTable,
    p: Mapping[str, Value],
    month: int,
    rng: np.random.Generator,
) -> int:
    """Finish the MCs that end this month: complete some, abandon the rest.

    Returns:
        The number of MCs completed.
    """
    rows = pop.mcs_ending(month)
    if rows.size == 0:
        return 0
    u = rng.random((3, rows.size))
    enrolled = pop.status[rows] == ENROLLED
    faculty = enrolled & unis.faculty_dev[pop.university[rows]]
    prob = np.full(rows.size, p["learning.mc_completion_prob"])
    prob[enrolled & pop.engaged[rows]] *= p["learning.engaged_completion_multiplier"]
    prob[pop.mc_cb[rows]] *= p["learning.credit_bearing_completion_multiplier"]
    prob[faculty] *= p["learning.faculty_completion_multiplier"]
    done = u[0] < prob

    pop.mc_end_month[rows] = NEVER
    rows, faculty, u = rows[done], faculty[done], u[:, done]
    genai = pop.mc_kind[rows] == MC_GENAI
    pop.has_mc[rows] = True
    pop.has_cb[rows] |= pop.mc_cb[rows]
    pop.has_genai[rows] |= genai
    pop.mc_count[rows] = np.minimum(pop.mc_count[rows].astype(np.int16) + 1, 127)

    gain = np.where(
        faculty, p["learning.mc_skill_gain"] * p["learning.faculty_skill_multiplier"],
        p["learning.mc_skill_gain"],
    )  # fmt: skip
    pop.skill[rows] += gain.astype(np.float32)
    works = p["learning.genai_skill_improve_share"] * p["learning.genai_skill_conversion"]
    ai_gain = genai & (u[1] < works)
    pop.ai_skill[rows[ai_gain]] += np.float32(p["learning.genai_ai_skill_gain"])

    employed = pop.employer[rows] >= 0
    raise_ = employed & (u[2] < p["wages.raise_after_mc_prob"])
    pop.salary[rows[raise_]] *= np.float32(1.0 + p["wages.raise_after_mc_size"])
    return int(rows.size)


def start(
    pop: Population,
    unis: UniversityTable,
    p: Mapping[str, Value],
    month: int,
    rng: np.random.Generator,
) -> int:
    """Start new MCs among people not already taking one.

    One uniform draw per person decides whether an MC starts; the choices of kind and credit are
    drawn for the starters only (a few per cent of the rows).

    Returns:
        The number of MCs started.
    """
    rows = np.flatnonzero((pop.mc_end_month == NEVER) & (pop.status != FREE))
    u = rng.random(rows.size)

    dis = p["learning.disengaged_start_multiplier"]
    non = p["learning.non_offering_start_multiplier"]
    # Multiplier of each (enrolled, engaged, university offers MCs) case; 0 = left university.
    multiplier = p["learning.mc_start_hazard"] * np.array(
        [p["learning.graduate_start_multiplier"], dis * non, non, dis, 1.0]
    )
    # Where GenAI is integrated across disciplines, its support (S2) adds GenAI starts of its own.
    embedded_rate = (
        p["learning.mc_start_hazard"]
        * p["students.genai_in_degree_support"]
        * p["learning.genai_integration_uptake_conversion"]
    )
    integrating = bool(unis.genai_across.any())
    # A draw at or above a bound on every row's hazard starts nothing, so the hazard is computed
    # only for the rows drawing below it (the same rows start as when computed for all).
    selection = p["learning.ability_selection"]
    extremes = np.array([pop.ability.min(), pop.ability.max()], dtype=np.float32)
    bound = float(multiplier.max()) * float(np.exp(selection * extremes).max()) * (1 + 1e-6)
    below = np.flatnonzero(u < bound + (embedded_rate if integrating else 0.0))
    rows, u = rows[below], u[below]

    enrolled = pop.status[rows] == ENROLLED
    uni = pop.university[rows]
    interest = p["students.mc_interest_share"] * p["learning.interest_conversion"]
    hazard = np.exp(selection * pop.ability[rows]).astype(np.float64)
    hazard *= pop.interest_draw[rows] < interest
    case = enrolled.view(np.int8) * (
        1 + pop.engaged[rows].view(np.int8) + 2 * unis.offers_mc[uni].view(np.int8)
    )
    hazard *= multiplier[case]
    if integrating:
        started = np.flatnonzero(u < hazard + embedded_rate * (unis.genai_across[uni] & enrolled))
    else:
        started = np.flatnonzero(u < hazard)
    chosen, uni, enrolled = rows[started], uni[started], enrolled[started]
    from_embedded = u[started] >= np.minimum(hazard[started], 1.0)

    v = rng.random((2, chosen.size))
    integrated = unis.genai_across[uni] & enrolled
    access = np.where(
        TECHNICAL[pop.discipline[chosen]] | integrated, 1.0, p["learning.genai_access_nontechnical"]
    )
    genai_prob = access * p["students.genai_priority_share"] * p["learning.genai_choice_conversion"]
    genai = from_embedded | (v[0] < genai_prob)
    credit = unis.credit_bearing[uni] & enrolled
    credit &= v[1] < p["students.credit_preference_share"] * p["learning.credit_choice_conversion"]

    pop.schedule_mc_end(chosen, month + int(p["learning.mc_duration_months"]))
    pop.mc_kind[chosen] = np.where(genai, MC_GENAI, MC_REGULAR)
    pop.mc_cb[chosen] = credit
    return int(chosen.size)
