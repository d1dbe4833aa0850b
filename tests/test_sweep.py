"""Sweep designs: ``--vary`` parsing, grid and Latin-hypercube points, derived scenarios."""

from __future__ import annotations

import pytest

from sim.experiments.sweep import SweepError, build_sweep, design_points, parse_vary, point_name
from sim.inputs.scenario import Scenario, default_scenario

APPS = "market.applications_per_seeker"  # int in [1, 100]
SKILL = "wages.skill_return"  # float in [0, 1]
PREMIUM = "employers.premium_enabled"  # bool


def _base() -> Scenario:
    return default_scenario().with_run(months=6, students=200, burn_in_months=0)


def test_parse_vary_coerces_values_to_the_parameter_type() -> None:
    varies, problems = parse_vary([f"{APPS}=4,8.0,4", f"{SKILL}=0.05:0.2", f"{PREMIUM}=true,False"])
    assert problems == []
    apps, skill, premium = varies
    assert apps.values == (4, 8) and all(type(v) is int for v in apps.values)
    assert (skill.is_range, skill.low, skill.high) == (True, 0.05, 0.2)
    assert premium.values == (True, False)


def test_parse_vary_reports_every_problem_at_once() -> None:
    varies, problems = parse_vary(
        [
            f"{APPS}=0,4,101",
            f"{SKILL}=0.5:2",
            "market.job_switch_threshold=0.3:0.1",
            "wages.skil_return=1",
            f"{PREMIUM}=0:1",
            "employers.premium_requires_credit_bearing=maybe",
            "no_equals_sign",
            f"{APPS}=2.5",
        ]
    )
    assert varies == []
    text = "\n".join(problems)
    assert len(problems) == 9, text
    assert f"--vary {APPS}=0,4,101: 0 for {APPS}: out of range [1, 100]" in text
    assert f"--vary {APPS}=0,4,101: 101 for {APPS}: out of range [1, 100]" in text
    assert f"2 for {SKILL}: out of range [0, 1]" in text
    assert "the range must go from low to high" in text
    assert "did you mean 'wages.skill_return'?" in text
    assert "a range needs a numeric parameter" in text
    assert "expected true or false" in text
    assert "expected name=v1,v2,... or name=lo:hi" in text
    assert f"{APPS} is varied twice" in text


def test_grid_is_the_cartesian_product_in_option_order() -> None:
    varies, _ = parse_vary([f"{APPS}=4,8", f"{SKILL}=0.1,0.2,0.3"])
    points = design_points(varies, "grid")
    assert len(points) == 6
    assert points[0] == {APPS: 4, SKILL: 0.1}
    assert points[1] == {APPS: 4, SKILL: 0.2}
    assert points[-1] == {APPS: 8, SKILL: 0.3}


def test_grid_ranges_need_samples_and_are_evenly_spaced() -> None:
    varies, _ = parse_vary([f"{SKILL}=0:0.2", f"{APPS}=1:3"])
    with pytest.raises(SweepError) as info:
        design_points(varies, "grid")
    assert len(info.value.problems) == 2 and "--design lhs" in info.value.problems[0]
    points = design_points(varies, "grid", samples=5)
    skills = sorted({p[SKILL] for p in points})
    assert skills == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])
    assert sorted({p[APPS] for p in points}) == [1, 2, 3]  # 1, 1.5->2, 2, 2.5->3, 3 deduplicated
    assert len(points) == 5 * 3


def test_lhs_is_seeded_stratified_and_rounds_integers() -> None:
    varies, _ = parse_vary([f"{SKILL}=0:1", f"{APPS}=1:100", f"{PREMIUM}=true,false"])
    points = design_points(varies, "lhs", samples=8, design_seed=7)
    assert points == design_points(varies, "lhs", samples=8, design_seed=7)
    assert points != design_points(varies, "lhs", samples=8, design_seed=8)
    assert len(points) == 8
    # One point in each eighth of the skill range: the Latin-hypercube property.
    assert sorted(int(p[SKILL] * 8) for p in points) == list(range(8))
    assert all(type(p[APPS]) is int and 1 <= p[APPS] <= 100 for p in points)
    assert [p[PREMIUM] for p in points].count(True) == 4


def test_build_sweep_derives_named_validated_scenarios() -> None:
    base = _base()
    sweep = build_sweep(base, [f"{APPS}=4,8", f"{SKILL}=0.1,0.2"])
    names = [s.name for s in sweep.scenarios]
    assert len(names) == 4 and names[0].startswith("defaults__p01-") and len(names[0]) == 20
    assert names == [
        s.name for s in build_sweep(base, [f"{APPS}=4,8", f"{SKILL}=0.1,0.2"]).scenarios
    ]
    assert names[1] == point_name("defaults", 2, 2, {APPS: 4, SKILL: 0.2})
    first = sweep.scenarios[0]
    assert (first.value(APPS), first.value(SKILL)) == (4, 0.1)
    assert first.run == base.run
    assert f"{APPS}=4" in first.description
    assert sweep.points[names[3]] == {APPS: 8, SKILL: 0.2}
    assert len({s.hash for s in sweep.scenarios}) == 4
    entry = sweep.manifest_entry()
    assert entry["parameters"] == [APPS, SKILL]
    assert entry["points"][3] == {
        "scenario": names[3],
        "hash": sweep.scenarios[3].hash,
        "values": {APPS: 8, SKILL: 0.2},
    }
    assert sweep.default_name().startswith("defaults-sweep-")


def test_inconsistent_design_points_are_all_reported() -> None:
    # premium_min may not exceed premium_max (0.15 by default): two of three points break it.
    with pytest.raises(SweepError) as info:
        build_sweep(_base(), ["employers.premium_min=0.1,0.2,0.3"])
    assert len(info.value.problems) == 2
    assert "design point defaults__p02-" in info.value.problems[0]
    assert "employers.premium_min=0.2" in info.value.problems[0]
    assert "exceeds employers.premium_max" in info.value.problems[0]
