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

import math
from dataclasses import dataclass

import numpy as np

from sim.inputs.params import DISCIPLINES, TECHNICAL_DISCIPLINES, Params
from sim.model.agents import UniversityTable
from sim.model.expectations import NO_RESPONSE, Response
from sim.model.population import ENROLLED, FREE, MC_GENAI, MC_REGULAR, NEVER, Population
from sim.model.sampling import bernoulli_positions, bernoulli_subset

TECHNICAL = np.array([d in TECHNICAL_DISCIPLINES for d in DISCIPLINES])

FACTOR_BOUND = 2.0
"""Bound on the ability factor ``exp(selection * ability)`` of the rows whose starts are drawn
sparsely; rows above it (about 1 in 100 at the default selection) draw a uniform each."""


def complete(
    pop: Population,
    unis: UniversityTable,
    p: Params,
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
    credit = pop.mc_cb[rows]
    # The multipliers apply one after the other, each where its condition holds.
    prob = np.full(rows.size, p["learning.mc_completion_prob"])
    multiply = p["learning.engaged_completion_multiplier"]
    np.multiply(prob, multiply, out=prob, where=enrolled & pop.engaged[rows])
    multiply = p["learning.credit_bearing_completion_multiplier"]
    np.multiply(prob, multiply, out=prob, where=credit)
    faculty = None
    if unis.faculty_dev.any():
        faculty = enrolled & unis.faculty_dev[pop.university[rows]]
        np.multiply(prob, p["learning.faculty_completion_multiplier"], out=prob, where=faculty)
    done = np.flatnonzero(u[0] < prob)

    pop.mc_end_month[rows] = NEVER
    rows = rows[done]
    genai = pop.mc_kind[rows] == MC_GENAI
    pop.has_mc[rows] = True
    pop.has_cb[rows[credit[done]]] = True
    pop.has_genai[rows[genai]] = True
    count = pop.mc_count[rows]
    pop.mc_count[rows] = count + (count < np.iinfo(count.dtype).max)  # saturating

    gain = p["learning.mc_skill_gain"]
    if faculty is None:
        pop.skill[rows] += np.float32(gain)
    else:
        with_faculty = gain * p["learning.faculty_skill_multiplier"]
        pop.skill[rows] += np.where(faculty[done], with_faculty, gain).astype(np.float32)
    works = p["learning.genai_skill_improve_share"] * p["learning.genai_skill_conversion"]
    ai_gain = rows[genai & (u[1, done] < works)]
    pop.ai_skill[ai_gain] += np.float32(p["learning.genai_ai_skill_gain"])

    raise_ = rows[u[2, done] < p["wages.raise_after_mc_prob"]]
    raise_ = raise_[pop.employer[raise_] >= 0]  # only those employed get one
    pop.salary[raise_] *= np.float32(1.0 + p["wages.raise_after_mc_size"])
    return int(rows.size)


def start(
    pop: Population,
    unis: UniversityTable,
    p: Params,
    month: int,
    rng: np.random.Generator,
    response: Response = NO_RESPONSE,
) -> int:
    """Start new MCs among people not already taking one.

    Each person starts with probability ``min(1, hazard + embedded)``. Rather than one uniform per
    person, candidates are drawn sparsely (:mod:`sim.model.sampling`) at a bound on the probability
    of their group, and a candidate starts when a uniform draw on ``[0, bound)`` falls below its own
    probability: the same law, with draws for a few hundred thousand candidates instead of every
    person. The groups are those who left university (lowest multiplier), students, and anyone
    whose ability factor exceeds :data:`FACTOR_BOUND` (about 1 in 100, bound 1: a uniform each).
    The choices of kind and credit are drawn for the starters only (a few per cent of the rows).

    ``response`` multiplies the start propensity (by the university's credit offer), the
    credit-bearing and the GenAI choice by how the premiums students expect differ from the
    baseline's (:mod:`sim.model.expectations`). Start multipliers below 1 leave the sampling bounds,
    hence the candidates drawn, as they are (only fewer of them start); one above 1 raises the
    bounds with it.

    Returns:
        The number of MCs started.
    """
    rates = _StartRates.of(p, response, integrating=bool(unis.genai_across.any()))
    rows, u, factor = _draw_candidates(pop, rates, p["learning.ability_selection"], rng)
    chosen, from_embedded = _starters(pop, unis, p, rates, response, rows, u, factor)
    genai, credit = _kind_and_credit(pop, unis, p, response, chosen, from_embedded, rng)
    pop.schedule_mc_end(chosen, month + int(p["learning.mc_duration_months"]))
    pop.mc_kind[chosen] = np.where(genai, np.int8(MC_GENAI), np.int8(MC_REGULAR))
    pop.mc_cb[chosen] = credit
    return int(chosen.size)


@dataclass(frozen=True)
class _StartRates:
    """The month's start propensities before ability and interest.

    Attributes:
        case: Multiplier of each (enrolled, engaged, university offers MCs) case; index 0 is
            those who left university (see :func:`_starters` for the index).
        embedded_rate: The GenAI starts of their own where GenAI is integrated across
            disciplines (S2's support).
        head: The factor both were raised by for the largest response above 1 (1 without a
            response), so the sampling bounds cover every row's own propensity.
        responds: Whether students respond to the returns they expect.
        integrating: Whether any university integrates GenAI across disciplines.
    """

    case: np.ndarray
    embedded_rate: float
    head: float
    responds: bool
    integrating: bool

    @classmethod
    def of(cls, p: Params, response: Response, integrating: bool) -> _StartRates:
        """The propensities in force, raised to the largest response (if above 1)."""
        dis = p["learning.disengaged_start_multiplier"]
        non = p["learning.non_offering_start_multiplier"]
        case = p["learning.mc_start_hazard"] * np.array(
            [p["learning.graduate_start_multiplier"], dis * non, non, dis, 1.0]
        )
        embedded_rate = (
            p["learning.mc_start_hazard"]
            * p["students.genai_in_degree_support"]
            * p["learning.genai_integration_uptake_conversion"]
        )
        # When students expect less, the same candidates are drawn and fewer of them start (the
        # response multiplies each starter's own probability in _starters).
        responds = response is not NO_RESPONSE
        head = max(response.start, response.start_credit, 1.0) if responds else 1.0
        if responds:
            case, embedded_rate = case * head, embedded_rate * head
        return cls(case, embedded_rate, head, responds, integrating)

    @property
    def embedded(self) -> float:
        """The embedded rate where some university integrates GenAI, else 0."""
        return self.embedded_rate if self.integrating else 0.0


def _draw_candidates(
    pop: Population, rates: _StartRates, selection: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates drawn per group at a bound on its members' probability: those who left
    university, students, and (bound 1) anyone whose ability factor exceeds FACTOR_BOUND.

    Returns:
        The candidates' rows (ascending within each group), their uniform draws on
        ``[0, bound)`` and their ability factors, keeping only the draws below the group's
        largest propensity (the rest cannot start).
    """
    multiplier, embedded = rates.case, rates.embedded
    can_start = pop.mc_end_month == NEVER
    high, above = _factor_above(pop, selection, FACTOR_BOUND)
    margin = 1 + 1e-6  # covers float32 rounding of the factor
    left_bound = min(multiplier[0] * FACTOR_BOUND * margin, 1.0)
    studying_bound = min((multiplier[1:].max() * FACTOR_BOUND + embedded) * margin, 1.0)
    # Those who left (half the rows): drawn among all rows and kept where members, which is
    # cheaper than listing the members first.
    left = bernoulli_positions(rng, pop.capacity, left_bound)
    # can_start > high: can start and not high (for booleans, a > b is a & ~b).
    left = left[(pop.status[left] > ENROLLED) & np.greater(can_start[left], high[left])]
    studying = pop.status == ENROLLED
    studying &= can_start
    studying[above] = False  # the rows of ~high: about 1 in 100
    studying = bernoulli_subset(rng, np.flatnonzero(studying), studying_bound)
    above = above[can_start[above] & (pop.status[above] != FREE)]
    groups = (  # (candidates, bound, largest case multiplier, largest embedded rate)
        (left, left_bound, multiplier[0], 0.0),
        (studying, studying_bound, multiplier[1:].max(), embedded),
        (above, 1.0, multiplier.max(), embedded),
    )
    rows_of, u_of, factor_of = [], [], []
    for candidates, bound, largest, embedded_bound in groups:
        u = rng.random(candidates.size) * bound  # uniform on [0, bound) given candidacy
        # The ability factor alone bounds the probability: a draw at or above it cannot start,
        # so the other columns are read only for the rest (about half).
        factor = np.exp(selection * pop.ability[candidates]).astype(np.float64)
        keep = np.flatnonzero(u < largest * factor + embedded_bound)
        rows_of.append(candidates[keep])
        u_of.append(u[keep])
        factor_of.append(factor[keep])
    return np.concatenate(rows_of), np.concatenate(u_of), np.concatenate(factor_of)


def _starters(
    pop: Population,
    unis: UniversityTable,
    p: Params,
    rates: _StartRates,
    response: Response,
    rows: np.ndarray,
    u: np.ndarray,
    factor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates whose draw falls below their own probability (ability factor, stated
    interest, case, response, embedded GenAI starts).

    Returns:
        The starters' rows, ascending, and whether each started through the embedded GenAI
        rate alone (its draw at or above its own hazard).
    """
    enrolled = pop.status[rows] == ENROLLED
    uni = pop.university[rows]
    interest = p["students.mc_interest_share"] * p["learning.interest_conversion"]
    hazard = factor
    hazard *= pop.interest_draw[rows] < interest
    case = enrolled.view(np.int8) * (
        1 + pop.engaged[rows].view(np.int8) + 2 * unis.offers_mc[uni].view(np.int8)
    )
    hazard *= rates.case[case]
    embedding = (
        rates.embedded_rate * (unis.genai_across[uni] & enrolled) if rates.integrating else None
    )
    if rates.responds:
        # Each row's own response, over the head the propensities were raised by.
        own = (
            np.where(unis.credit_bearing[uni] & enrolled, response.start_credit, response.start)
            / rates.head
        )
        hazard *= own
        if embedding is not None:
            embedding *= own
    if embedding is not None:
        started = np.flatnonzero(u < hazard + embedding)
    else:
        started = np.flatnonzero(u < hazard)
    # Starters in ascending row order (each group's are ascending: a merge of three runs).
    started = started[np.argsort(rows[started], kind="stable")]
    return rows[started], u[started] >= np.minimum(hazard[started], 1.0)


def _kind_and_credit(
    pop: Population,
    unis: UniversityTable,
    p: Params,
    response: Response,
    chosen: np.ndarray,
    from_embedded: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each starter's MC is GenAI (access, G1, embedded starts) and credit-bearing
    (the university's offer and L2).

    Returns:
        The GenAI and credit-bearing masks over ``chosen``.
    """
    uni = pop.university[chosen]
    enrolled = pop.status[chosen] == ENROLLED
    v = rng.random((2, chosen.size))
    integrated = unis.genai_across[uni] & enrolled
    access = np.where(
        TECHNICAL[pop.discipline[chosen]] | integrated, 1.0, p["learning.genai_access_nontechnical"]
    )
    genai_prob = access * p["students.genai_priority_share"] * p["learning.genai_choice_conversion"]
    credit_prob = p["students.credit_preference_share"] * p["learning.credit_choice_conversion"]
    if response is not NO_RESPONSE:
        genai_prob = genai_prob * response.genai
        credit_prob = credit_prob * response.credit
    genai = from_embedded | (v[0] < genai_prob)
    credit = unis.credit_bearing[uni] & enrolled
    credit &= v[1] < credit_prob
    return genai, credit


def _factor_above(pop: Population, selection: float, bound: float) -> tuple[np.ndarray, np.ndarray]:
    """Mask of the rows whose ability factor ``exp(selection * ability)`` exceeds ``bound``, and
    those rows, ascending (kept by the population from month to month: ability is fixed)."""
    if selection == 0.0:
        return np.zeros(pop.capacity, dtype=bool), np.empty(0, dtype=np.int64)
    # Clipped to the float32 range: a tiny selection gives a cut beyond every finite ability,
    # and comparing float32 abilities with it must not overflow the cast.
    largest = float(np.finfo(np.float32).max)
    cut = min(max(math.log(bound) / selection, -largest), largest)
    return pop.ability_beyond(cut, above=selection > 0)
