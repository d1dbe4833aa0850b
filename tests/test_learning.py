"""learning.start and learning.complete against the per-person probabilities they implement.

start draws its candidates sparsely, in groups with different bounds, and thins them; the test
repeats it many times from one state and compares how often each kind of person starts (and
starts a GenAI or credit-bearing MC) with the probabilities written out directly from the model's
definition, so a wrong bound, a wrong group or a lost row would show.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.inputs.scenario import load_scenario
from sim.model import learning
from sim.model.model import HiringModel
from sim.model.population import ENROLLED, FREE, MC_GENAI, NEVER, Population

REPEATS = 300


def _state(selection: float, hazard: float) -> tuple[HiringModel, dict[str, object]]:
    """A small model whose universities mix every provision, with the start parameters set."""
    scenario = load_scenario("baseline").with_run(students=3000, months=1, burn_in_months=1)
    model = HiringModel(scenario, 7)
    model.step()
    unis = model.universities
    n = unis.weight.size
    rng = np.random.default_rng(0)
    unis.offers_mc[:] = rng.random(n) < 0.6
    unis.credit_bearing[:] = unis.offers_mc & (rng.random(n) < 0.5)
    unis.genai_across[:] = rng.random(n) < 0.5
    p = dict(model.p)
    p["learning.ability_selection"] = selection
    p["learning.mc_start_hazard"] = hazard
    return model, p


def _expected(pop: Population, model: HiringModel, p: dict[str, object]) -> dict[str, np.ndarray]:
    """Per row: probability of starting, of starting a GenAI MC and a credit-bearing one."""
    unis = model.universities
    eligible = (pop.mc_end_month == NEVER) & (pop.status != FREE)
    enrolled = pop.status == ENROLLED
    uni = np.maximum(pop.university, 0)
    m0 = p["learning.mc_start_hazard"]
    dis = p["learning.disengaged_start_multiplier"]
    non = p["learning.non_offering_start_multiplier"]
    case = np.where(
        enrolled,
        np.where(pop.engaged, 1.0, dis) * np.where(unis.offers_mc[uni], 1.0, non),
        p["learning.graduate_start_multiplier"],
    )
    interest = p["students.mc_interest_share"] * p["learning.interest_conversion"]
    factor = np.exp(p["learning.ability_selection"] * pop.ability).astype(np.float64)
    hazard = m0 * case * factor * (pop.interest_draw < interest)
    integrated = unis.genai_across[uni] & enrolled
    embedded = (
        m0
        * p["students.genai_in_degree_support"]
        * p["learning.genai_integration_uptake_conversion"]
        * integrated
    )
    start = np.minimum(hazard + embedded, 1.0) * eligible
    from_embedded = np.maximum(start - np.minimum(hazard, 1.0), 0.0) * eligible
    technical = learning.TECHNICAL[pop.discipline]
    access = np.where(technical | integrated, 1.0, p["learning.genai_access_nontechnical"])
    genai_prob = access * p["students.genai_priority_share"] * p["learning.genai_choice_conversion"]
    credit_prob = p["students.credit_preference_share"] * p["learning.credit_choice_conversion"]
    return {
        "start": start,
        "genai": from_embedded + (start - from_embedded) * genai_prob,
        "credit": start * credit_prob * (unis.credit_bearing[uni] & enrolled),
        "high": factor > learning.FACTOR_BOUND,
        "enrolled": enrolled & eligible,
        "integrated": integrated & eligible,
    }


@pytest.mark.parametrize(
    ("selection", "hazard"),
    [(0.3, 0.0742), (1.0, 0.2), (-0.8, 0.1)],
    ids=["default", "strong-selection-capped", "negative-selection"],
)
def test_start_probabilities_per_person(selection: float, hazard: float) -> None:
    model, p = _state(selection, hazard)
    pop = model.population
    expected = _expected(pop, model, p)
    counts = {"start": np.zeros(pop.capacity), "genai": np.zeros(pop.capacity),
              "credit": np.zeros(pop.capacity)}  # fmt: skip
    rng = np.random.default_rng(1)
    for _ in range(REPEATS):
        trial = copy.deepcopy(pop)
        n = learning.start(trial, model.universities, p, 1, rng)
        started = trial.mc_end_month != pop.mc_end_month
        assert started.sum() == n
        counts["start"] += started
        counts["genai"] += started & (trial.mc_kind == MC_GENAI)
        counts["credit"] += started & trial.mc_cb
    groups = {
        "all": np.ones(pop.capacity, bool),
        "left university": ~expected["enrolled"],
        "enrolled": expected["enrolled"],
        "high ability factor": expected["high"],
        "integrated": expected["integrated"],
    }
    assert expected["high"].any() and expected["integrated"].any()
    for what in ("start", "genai", "credit"):
        prob = expected[what]
        for name, rows in groups.items():
            mean = REPEATS * prob[rows].sum()
            sd = np.sqrt(REPEATS * (prob[rows] * (1 - prob[rows])).sum())
            if sd == 0:
                assert counts[what][rows].sum() == mean, (what, name)
                continue
            z = (counts[what][rows].sum() - mean) / sd
            assert abs(z) < 5, (what, name, z)
    # Row by row: nobody who cannot start does, everybody certain to start does.
    assert not counts["start"][expected["start"] == 0].any()
    assert (counts["start"][expected["start"] == 1] == REPEATS).all()


def test_start_leaves_starters_in_ascending_order() -> None:
    model, p = _state(0.3, 0.0742)
    pop = model.population
    end = 1 + int(p["learning.mc_duration_months"])
    assert learning.start(pop, model.universities, p, 1, np.random.default_rng(3)) > 0
    # mcs_ending passes a single month's starts on as they are: they must be ascending.
    np.testing.assert_array_equal(pop.mcs_ending(end), np.flatnonzero(pop.mc_end_month == end))
