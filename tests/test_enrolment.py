"""enrolment.progress against the per-student probabilities it implements.

progress draws engagement redraws and dropouts sparsely; the test repeats one month many times
from one state and compares how often students of each kind end the month engaged, drop out or
graduate with the probabilities written out directly from the model's definition.
"""

from __future__ import annotations

import copy

import numpy as np

from sim.inputs.scenario import load_scenario
from sim.model import enrolment
from sim.model.model import HiringModel
from sim.model.population import DROPOUT, ENROLLED, GRADUATE

REPEATS = 200


def test_progress_probabilities_per_student() -> None:
    scenario = load_scenario("baseline").with_run(students=4000, months=1, burn_in_months=1)
    model = HiringModel(scenario, 5)
    model.step()
    pop, unis = model.population, model.universities
    unis.credit_bearing[:] = np.arange(unis.weight.size) % 2 == 0  # two engagement probabilities
    unis.offers_mc[:] |= unis.credit_bearing
    unis.ai_literacy[:] = np.arange(unis.weight.size) % 3 == 0
    p = dict(model.p)
    p["students.dropout_hazard_disengaged"] = 0.05  # enough dropouts to test in 200 months
    p["students.dropout_hazard_engaged"] = 0.01

    enrolled = pop.status == ENROLLED
    last_month = np.flatnonzero(enrolled)[::5]  # a fifth of the students finish this month
    pop.months_enrolled[last_month] = p["students.program_months"] - 1
    uni = np.maximum(pop.university, 0)
    redraw = p["students.engagement_redraw_hazard"]
    engaged_prob = enrolment.engaged_probability(p, unis)[uni]
    engaged_after = redraw * engaged_prob + (1 - redraw) * pop.engaged
    he, hd = p["students.dropout_hazard_engaged"], p["students.dropout_hazard_disengaged"]
    drop = engaged_after * he + (1 - engaged_after) * hd
    finishing = enrolled & (pop.months_enrolled + 1 >= p["students.program_months"])
    assert finishing.any() and (enrolled & ~finishing).any()

    counts = {"engaged": np.zeros(pop.capacity), "dropout": np.zeros(pop.capacity),
              "graduate": np.zeros(pop.capacity)}  # fmt: skip
    rng = np.random.default_rng(2)
    for _ in range(REPEATS):
        trial = copy.deepcopy(pop)
        graduates, dropouts = enrolment.progress(trial, unis, p, 1, rng)
        np.testing.assert_array_equal(
            graduates, np.flatnonzero(enrolled & (trial.status == GRADUATE))
        )
        np.testing.assert_array_equal(
            np.sort(dropouts), np.flatnonzero(enrolled & (trial.status == DROPOUT))
        )
        counts["engaged"] += trial.engaged & enrolled
        counts["dropout"] += (trial.status == DROPOUT) & enrolled
        counts["graduate"] += (trial.status == GRADUATE) & enrolled
        # Deterministic parts: a month more for every student, AI literacy where it runs.
        np.testing.assert_array_equal(
            trial.months_enrolled[enrolled], pop.months_enrolled[enrolled] + 1
        )
        literate = enrolled & unis.ai_literacy[uni]
        np.testing.assert_array_equal(trial.ai_literacy_months, pop.ai_literacy_months + literate)

    expected = {"engaged": engaged_after, "dropout": drop, "graduate": (1 - drop) * finishing}
    groups = {
        "engaged before": enrolled & pop.engaged,
        "disengaged before": enrolled & ~pop.engaged,
        "finishing": finishing,
        "credit-bearing university": enrolled & unis.credit_bearing[uni],
    }
    for what, prob in expected.items():
        for name, rows in groups.items():
            mean = REPEATS * prob[rows].sum()
            sd = np.sqrt(REPEATS * (prob[rows] * (1 - prob[rows])).sum())
            z = (counts[what][rows].sum() - mean) / sd
            assert abs(z) < 5, (what, name, z)
    # Nobody outside study is touched.
    assert not counts["dropout"][~enrolled].any() and not counts["graduate"][~enrolled].any()


def test_employers_see_a_students_study_gains_so_far_and_graduation_adds_the_same() -> None:
    scenario = load_scenario("ai_literacy").with_run(students=3000, months=30, burn_in_months=2)
    model = HiringModel(scenario, 2)
    model.run()
    pop, p = model.population, model.p
    rows = np.flatnonzero(pop.status != 0)
    seen, seen_ai = enrolment.skills_as_seen(pop, rows, p)
    studying = pop.status[rows] == ENROLLED
    # Everyone outside study is seen as they are; students with what study has added so far.
    np.testing.assert_array_equal(seen[~studying], pop.skill[rows[~studying]])
    np.testing.assert_array_equal(seen_ai[~studying], pop.ai_skill[rows[~studying]])
    gain = p["learning.degree_skill_gain_per_year"] * pop.months_enrolled[rows[studying]] / 12
    np.testing.assert_allclose(seen[studying] - pop.skill[rows[studying]], gain, rtol=1e-5)
    assert (seen_ai[studying] > pop.ai_skill[rows[studying]]).any()  # AI literacy months count
    # Graduation adds exactly the gains employers saw.
    students = rows[studying]
    expected = seen[studying].copy(), seen_ai[studying].copy()
    enrolment.leave_university(pop, students, GRADUATE, p, model.month)
    np.testing.assert_array_equal(pop.skill[students], expected[0])
    np.testing.assert_array_equal(pop.ai_skill[students], expected[1])
