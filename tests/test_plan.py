"""plan_run and resolve_run from Python: what `hiresim run` plans, without the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.experiments import store
from sim.experiments.plan import PlanError, plan_run, resolve_run
from sim.experiments.runner import Progress, execute
from sim.inputs.scenario import default_scenario, load_scenario


def test_names_files_and_objects_plan_the_same_run(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\ndescription = "d"\nextends = "baseline"\n')
    other = load_scenario("full_blueprint")
    plan = plan_run(["baseline", toml, other], seeds=3, months=24, students=500, out=tmp_path / "r")
    assert [s.name for s in plan.scenarios] == ["baseline", "mine", "full_blueprint"]
    assert plan.seeds == (1, 2, 3)
    assert {(s.run.months, s.run.students) for s in plan.scenarios} == {(24, 500)}
    assert plan.scenarios[2] == other.with_run(months=24, students=500)
    assert plan.out == tmp_path / "r" and plan.name == "baseline+mine+full_blueprint"
    assert plan.command == () and not plan.agents
    assert not (tmp_path / "r").exists()  # planning writes nothing


def test_defaults_come_from_the_first_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = default_scenario().with_run(months=30, students=700, seeds=4)
    plan = plan_run([first, "full_blueprint"])
    assert plan.seeds == (1, 2, 3, 4)
    assert {(s.run.months, s.run.students) for s in plan.scenarios} == {(30, 700)}
    assert plan.out == Path("outputs") / "defaults+full_blueprint"
    named = plan_run(["baseline"], seeds=[7, 3], name="mine", agents=True, command=("x", "y"))
    assert named.seeds == (7, 3) and named.out == Path("outputs") / "mine"
    assert named.agents and named.command == ("x", "y") and named.tables[-1] == "employers"


def test_every_problem_is_listed_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "run"
    with pytest.raises(PlanError) as caught:
        plan_run(["baseline", "nope", "baseline"], seeds=[1, -2], months=0, out=out)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    for expected in (
        '(arguments): scenario = "nope": no scenario of that name',
        f"(arguments): out {out}: {tmp_path / 'file'} is a file, not a folder; choose another",
        "(arguments): seeds = [1, -2]: must be distinct and not negative",
        "(arguments): months = 0: out of range [1, 600]",
        "scenario 'baseline' is given twice",
    ):
        assert expected in text
    assert str(caught.value) == text
    assert not out.exists()


def test_no_scenario_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no scenario given"):
        plan_run([], out=tmp_path / "r")
    assert resolve_run([]).problems == ("no scenario given: name at least one",)


@given(
    st.one_of(
        st.integers(-3, 30),
        st.lists(st.integers(-3, 30), max_size=6),
    )
)
def test_seeds_are_a_count_or_distinct_non_negative_seeds(seeds: int | list[int]) -> None:
    resolved = resolve_run([default_scenario()], seeds=seeds)
    if isinstance(seeds, int):
        valid = seeds >= 1
        expected = tuple(range(1, seeds + 1))
    else:
        valid = bool(seeds) and min(seeds) >= 0 and len(set(seeds)) == len(seeds)
        expected = tuple(seeds)
    assert (resolved.problems == ()) == valid
    assert resolved.seeds == (expected if valid else ())
    assert len(resolved.scenarios) == 1  # the scenario itself is fine either way


def test_a_planned_run_executes_and_resumes(tmp_path: Path) -> None:
    plan = plan_run(["baseline"], seeds=2, months=2, students=100, out=tmp_path / "r")
    quiet = Progress(io.StringIO(), mode="quiet")
    first = execute(plan, workers=1, progress=quiet)
    assert (first.done, first.skipped, first.failed) == (2, 0, ())
    assert store.read_manifest(tmp_path / "r")["seeds"] == [1, 2]
    again = execute(plan, workers=1, progress=quiet)
    assert again.skipped == 2
