"""Scenario files: extends chains, policies in time, the hash, validation and a loader fuzz."""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.params import ORDERED_PAIRS, REGISTRY, SHARE_GROUPS, Value, defaults
from sim.inputs.scenario import (
    PACKAGE_SCENARIOS,
    Policy,
    Problem,
    RunSettings,
    Scenario,
    ScenarioError,
    default_scenario,
    find_scenario,
    list_scenarios,
    load_scenario,
    loads_scenario,
)

SHIPPED = (
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
VACANCIES = "market.demand_cycle"


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``<folder>/<name>.toml`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(ref: str | Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(ref, **kwargs)
    return info.value.problems


def keys(problems: list[Problem]) -> set[str]:
    return {p.key for p in problems}


# ==================================================================== shipped scenarios


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_from_the_package(name: str) -> None:
    scenario = load_scenario(PACKAGE_SCENARIOS / f"{name}.toml")
    assert scenario.name == name
    assert len(scenario.description) > 80
    assert [n for n, _ in scenario.params] == list(REGISTRY)
    assert scenario.chain[0] == name and scenario.chain[-1] == "baseline"


def test_every_shipped_scenario_is_listed() -> None:
    listed = {info.name: info for info in list_scenarios()}
    assert set(SHIPPED) <= set(listed)
    assert listed["recession"].description.startswith("A recession")


def test_baseline_is_the_registry_defaults_with_the_standard_run() -> None:
    baseline = load_scenario("baseline")
    assert baseline.values() == defaults()
    assert baseline.policies == ()
    assert (baseline.run.months, baseline.run.students, baseline.run.seeds) == (120, 20_000, 10)
    assert baseline.hash == default_scenario().with_run(**asdict(baseline.run)).hash


def test_full_blueprint_adds_the_three_blueprint_ramps_to_the_credit_bearing_expansion() -> None:
    full = load_scenario("full_blueprint")
    assert full.chain == ("full_blueprint", "credit_bearing_expansion", "baseline")
    assert [p.param for p in full.policies] == [
        "universities.credit_bearing_plan_conversion",
        "universities.ai_literacy_share",
        "universities.genai_across_disciplines_share",
        "universities.faculty_development_share",
    ]
    assert full.policy_origins[0] == "credit_bearing_expansion"
    month_24 = full.params_at(24)
    assert month_24["universities.ai_literacy_share"] == 1.0
    assert month_24["universities.credit_bearing_plan_conversion"] == pytest.approx(23 / 35)
    assert full.params_at(36)["universities.credit_bearing_plan_conversion"] == 1.0


def test_mc_saturation_and_no_employer_premium_policies() -> None:
    saturation = load_scenario("mc_saturation")
    assert saturation.params_at(0)["students.mc_interest_share"] == 0.9
    assert saturation.params_at(1)["students.mc_interest_share"] == 1.0
    assert saturation.params_at(24)["learning.mc_start_hazard"] == 0.4
    assert saturation.value("learning.interest_conversion") == 1.0
    no_premium = load_scenario("no_employer_premium")
    assert no_premium.params_at(0)["employers.premium_enabled"] is True
    assert no_premium.params_at(1)["employers.premium_enabled"] is False


# ==================================================================== policies in time


def test_recession_step_then_ramp_month_by_month() -> None:
    recession = load_scenario("recession")
    at = {m: recession.params_at(m)[VACANCIES] for m in (-47, 0, 1, 12, 13, 36, 37, 42, 48, 120)}
    assert at[-47] == at[0] == at[1] == at[12] == 1.0  # burn-in and before the step
    assert at[13] == at[36] == at[37] == 0.82  # the ramp starts from the value in effect
    assert at[42] == pytest.approx(0.82 + 0.18 * 5 / 11)
    assert at[48] == at[120] == 1.0  # exactly the target, then held
    assert recession.value(VACANCIES) == 1.0  # the base value is unchanged


def test_ramp_with_from_value_and_integer_rounding(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ramps",
        """
name = "ramps"
description = "two ramps"
[[policy]]
param = "market.applications_per_seeker"   # an integer parameter
start = 1
end = 3
value = 11
from = 10
[[policy]]
param = "employers.premium_share"
start = 5
end = 9
from = 0.2
value = 0.6
""",
    )
    s = load_scenario(path)
    seekers = [s.params_at(m)["market.applications_per_seeker"] for m in range(0, 5)]
    assert seekers == [10, 10, 11, 11, 11]  # 10.5 at month 2 rounds half up
    assert all(type(v) is int for v in seekers)
    premium = [s.params_at(m)["employers.premium_share"] for m in (4, 5, 7, 9, 10)]
    assert premium == pytest.approx([0.9, 0.2, 0.4, 0.6, 0.6])


def test_params_at_gives_a_fresh_dict() -> None:
    recession = load_scenario("recession")
    recession.params_at(20)[VACANCIES] = 99.0
    assert recession.params_at(20)[VACANCIES] == 0.82


# ==================================================================== extends


def test_extends_chain_overrides_params_merges_run_and_appends_policies(tmp_path: Path) -> None:
    write(
        tmp_path,
        "grand",
        """
name = "grand"
description = "root"
[run]
months = 60
seeds = 3
[params]
"employers.premium_share" = 0.5
"employers.separation_rate" = 0.02
[[policy]]
param = "employers.premium_share"
month = 10
value = 0.4
""",
    )
    write(
        tmp_path,
        "parent",
        """
name = "parent"
description = "middle"
extends = "grand"
[run]
seeds = 5
[params.employers]
premium_share = 0.6
""",
    )
    child = write(
        tmp_path,
        "child",
        """
name = "child"
description = "leaf"
extends = "parent"
[params]
employers.separation_rate = 0.01
[[policy]]
param = "employers.premium_share"
month = 20
value = 0.3
""",
    )
    s = load_scenario(child)
    assert s.chain == ("child", "parent", "grand")
    assert s.value("employers.premium_share") == 0.6
    assert s.value("employers.separation_rate") == 0.01
    assert dict(s.origins) == {
        "employers.premium_share": "parent",
        "employers.separation_rate": "child",
    }
    assert s.run == RunSettings(months=60, students=20_000, seeds=5, burn_in_months=60)
    assert [p.start for p in s.policies] == [10, 20]
    assert s.policy_origins == ("grand", "child")
    assert [s.params_at(m)["employers.premium_share"] for m in (9, 10, 20)] == [0.6, 0.4, 0.3]
    assert s.source == str(child)


def test_names_resolve_beside_the_file_then_scenarios_then_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_scenario("baseline") == PACKAGE_SCENARIOS / "baseline.toml"
    local = write(tmp_path / "scenarios", "baseline", 'name = "baseline"\ndescription = "local"')
    assert find_scenario("baseline") == Path("scenarios/baseline.toml").absolute()
    beside = write(tmp_path / "mine", "baseline", 'name = "baseline"\ndescription = "beside"')
    child = write(tmp_path / "mine", "child", 'name = "c"\ndescription = "c"\nextends = "baseline"')
    assert load_scenario(child).chain == ("c", "baseline")
    assert find_scenario("baseline", base_dir=beside.parent) == beside
    listed = {i.name: i for i in list_scenarios()}
    assert listed["baseline"].description == "local" and listed["baseline"].path == local.absolute()
    assert "recession" in listed  # still found in the package


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a", 'name = "a"\ndescription = "a"\nextends = "b"')
    write(tmp_path, "b", 'name = "b"\ndescription = "b"\nextends = "a"')
    (problem,) = problems_of(tmp_path / "a.toml")
    assert problem.key == "extends" and "cycle: a -> b -> a" in problem.message
    write(tmp_path, "me", 'name = "me"\ndescription = "x"\nextends = "me"')
    (problem,) = problems_of(tmp_path / "me.toml")
    assert "cycle" in problem.message


def test_unknown_extends_suggests_a_name(tmp_path: Path) -> None:
    path = write(tmp_path, "x", 'name = "x"\ndescription = "x"\nextends = "recesion"')
    (problem,) = problems_of(path)
    assert problem.key == "extends" and problem.value == "recesion"
    assert problem.hint == "did you mean 'recession'?"


def test_unknown_scenario_name_suggests_one() -> None:
    with pytest.raises(ScenarioError) as info:
        find_scenario("basline")
    assert info.value.problems[0].hint == "did you mean 'baseline'?"


def test_parent_problems_are_listed_with_the_parent_file(tmp_path: Path) -> None:
    write(tmp_path, "p", 'name = "p"\ndescription = "p"\n[params]\n"employers.premium_share" = 2')
    child = write(tmp_path, "c", 'name = "c"\ndescription = "c"\nextends = "p"\n[run]\nmonths = 0')
    found = problems_of(child)
    assert {(Path(p.file).name, p.key) for p in found} == {
        ("c.toml", "run.months"),
        ("p.toml", "params.employers.premium_share"),
    }


# ==================================================================== hash and round trips


def test_hash_ignores_key_order_style_source_and_names(tmp_path: Path) -> None:
    a = write(
        tmp_path / "one",
        "a",
        """
name = "a"
description = "first"
[params]
"employers.premium_share" = 0.5
"students.program_months" = 36
[[policy]]
param = "employers.premium_share"
month = 3
value = 1
""",
    )
    b = write(
        tmp_path / "two",
        "b",
        """
description = "second"
name = "b"
[[policy]]
value = 1.0
month = 3
param = "employers.premium_share"
[params.students]
program_months = 36.0
[params.employers]
premium_share = 0.5
""",
    )
    sa, sb = load_scenario(a), load_scenario(b)
    assert sa.hash == sb.hash
    assert (sa.params, sa.policies, sa.run) == (sb.params, sb.policies, sb.run)
    assert len(sa.hash) == 64 and int(sa.hash, 16) >= 0
    assert sa.with_run(months=60).hash != sa.hash
    assert sa.with_params({"employers.premium_share": 0.4}).hash != sa.hash


def test_hash_is_stable_across_processes() -> None:
    code = (
        "import sys; from sim.inputs.scenario import load_scenario; "
        "print(' '.join(load_scenario(n).hash for n in sys.argv[1:]))"
    )
    expected = " ".join(load_scenario(n).hash for n in SHIPPED)
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code, *SHIPPED],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert out.stdout.strip() == expected


@pytest.mark.parametrize("name", SHIPPED)
def test_to_dict_round_trips_through_json(name: str) -> None:
    s = load_scenario(name)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["name"] == name and d["hash"] == s.hash and d["description"] == s.description
    back = Scenario.from_dict(d)
    assert back == s and back.hash == s.hash
    assert back.origins == s.origins and back.policy_origins == s.policy_origins
    assert back.chain == s.chain and back.source == s.source
    assert pickle.loads(pickle.dumps(s)) == s


def test_from_dict_validates(tmp_path: Path) -> None:
    d = load_scenario("recession").to_dict()
    d["params"]["market.demand_cylce"] = 0.5
    d["policies"][0]["value"] = 7.0
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(d)
    problems = info.value.problems
    assert {p.key for p in problems} == {
        "params.market.demand_cylce",
        "policy[1].value",
    }
    assert problems[0].hint == "did you mean 'market.demand_cycle'?"


# ==================================================================== with_run and with_params


def test_with_run_changes_settings_and_validates() -> None:
    recession = load_scenario("recession")
    short = recession.with_run(months=24, students=2000)
    assert short.run == replace(recession.run, months=24, students=2000)
    assert short.policies == recession.policies  # policies beyond month 24 just never act
    assert recession.with_run(months=None, seeds=3).run == replace(recession.run, seeds=3)
    with pytest.raises(ScenarioError) as info:
        recession.with_run(months=0, sedes=3)
    assert [p.key for p in info.value.problems] == ["months", "sedes"]
    assert info.value.problems[1].hint == "did you mean 'seeds'?"


def test_with_params_overrides_and_records_the_origin() -> None:
    recession = load_scenario("recession")
    swept = recession.with_params({"employers.premium_share": 0.5}, name="sweep-1")
    assert swept.name == "sweep-1" and swept.description == recession.description
    assert swept.value("employers.premium_share") == 0.5
    assert dict(swept.origins)["employers.premium_share"] == "override"
    assert swept.policies == recession.policies
    assert swept.params_at(13)[VACANCIES] == 0.82


def test_with_params_lists_every_problem() -> None:
    baseline = load_scenario("baseline")
    with pytest.raises(ScenarioError) as info:
        baseline.with_params(
            {"employers.premium_shar": 0.5, "students.program_months": 2.5}, name="bad name"
        )
    found = {p.key: p for p in info.value.problems}
    assert set(found) == {"name", "params.employers.premium_shar", "params.students.program_months"}
    assert found["params.employers.premium_shar"].hint == "did you mean 'employers.premium_share'?"
    with pytest.raises(ScenarioError, match=r"sum to 1\.28"):
        baseline.with_params({"students.share_business": 0.5})
    with pytest.raises(ScenarioError, match="exceeds"):
        baseline.with_params({"employers.premium_min": 0.2})


# ==================================================================== validation


BROKEN = """
name = "broken"
descripton = "a misspelt key"
extends = "baseline"
[run]
months = 60
seedz = 3
students = 5
[params]
"market.demand_cycel" = 1.0
"employers.premium_share" = 1.5
"students.program_months" = "four years"
employers.demand_cycle = 0.5
[[policy]]
param = "employers.premium_enabled"
start = 3
end = 2
value = false
[[policy]]
param = "employers.premium_share"
month = 61
value = 0.5
[[policy]]
param = "employers.premium_share"
month = 2
frm = 0.1
[[policy]]
param = "employers.premium_share"
month = 2
value = 0.1
from = 0.2
"""


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "broken", BROKEN))
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {
        "descripton",
        "description",
        "run.seedz",
        "run.students",
        "params.market.demand_cycel",
        "params.employers.premium_share",
        "params.students.program_months",
        "params.employers.demand_cycle",
        "policy[1].end",
        "policy[1].param",
        "policy[2].month",
        "policy[3].frm",
        "policy[3].value",
        "policy[4].from",
    }
    assert by_key["descripton"].hint == "did you mean 'description'?"
    assert by_key["run.seedz"].hint == "did you mean 'seeds'?"
    assert by_key["run.students"].message == "out of range [100, 10000000]"
    assert by_key["params.market.demand_cycel"].hint == ("did you mean 'market.demand_cycle'?")
    # Matched on the part after the group when the group is wrong.
    assert by_key["params.employers.demand_cycle"].hint == ("did you mean 'market.demand_cycle'?")
    assert by_key["params.employers.premium_share"].message == "out of range [0, 1]"
    assert by_key["params.employers.premium_share"].value == 1.5
    assert "cannot ramp" in by_key["policy[1].param"].message
    assert "end after it starts" in by_key["policy[1].end"].message
    assert "[1, 60]" in by_key["policy[2].month"].message
    assert by_key["policy[3].frm"].hint == "did you mean 'from'?"
    assert by_key["policy[3].value"].message.startswith("missing")
    lines = ScenarioError(problems).format().splitlines()
    assert len(lines) == len(problems)
    assert all(line.startswith(str(tmp_path / "broken.toml")) for line in lines)
    assert "params.employers.premium_share = 1.5: out of range [0, 1]" in "\n".join(lines)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax", 'name = "x"\ndescription = "y"\n[params\n')
    (problem,) = problems_of(path)
    assert "TOML syntax error" in problem.message and "line 3" in problem.message


def test_unreadable_files_are_problems(tmp_path: Path) -> None:
    (tmp_path / "bytes.toml").write_bytes(b'name = "\xff"')
    (problem,) = problems_of(tmp_path / "bytes.toml")
    assert "UTF-8" in problem.message
    (problem,) = problems_of(tmp_path / "missing.toml")
    assert problem.message == "no such file"


def test_missing_required_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "empty", '[[policy]]\nparam = "employers.premium_share"\n')
    assert keys(problems_of(path)) == {"name", "description", "policy[1].month", "policy[1].value"}


def test_policy_that_breaks_a_cross_check_names_the_month(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cross",
        """
name = "cross"
description = "premium_min ramps above premium_max"
[[policy]]
param = "employers.premium_min"
start = 5
end = 15
value = 0.25      # 0.1 + 0.015 a month passes premium_max = 0.15 in month 9
""",
    )
    (problem,) = problems_of(path)
    assert problem.key == "policy" and problem.message.startswith("from month 9 on")


def test_policy_horizon_names_the_file_that_set_the_months(tmp_path: Path) -> None:
    write(
        tmp_path,
        "long",
        'name = "long"\ndescription = "l"\n'
        '[[policy]]\nparam = "employers.premium_share"\nmonth = 100\nvalue = 0.5\n',
    )
    short = write(
        tmp_path, "short", 'name = "short"\ndescription = "s"\nextends = "long"\n[run]\nmonths = 60'
    )
    (problem,) = problems_of(short)
    assert problem.file.endswith("long.toml") and problem.key == "policy[1].month"
    assert str(short) in problem.message


def test_scenario_error_survives_pickling() -> None:
    err = ScenarioError([Problem("f.toml", "k", 1, "bad", "did you mean 'j'?")])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and str(back) == str(err)


def test_value_of_an_unknown_parameter_suggests_one() -> None:
    with pytest.raises(KeyError, match=re.escape("did you mean 'employers.premium_share'")):
        default_scenario().value("employers.premium_shar")


# ==================================================================== fuzz

PARAM_NAMES = list(REGISTRY)
GROUPS = sorted({n.split(".", 1)[0] for n in PARAM_NAMES})

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=700),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
param_names = st.one_of(
    st.sampled_from(PARAM_NAMES),
    st.sampled_from(PARAM_NAMES).map(lambda n: n[:-1]),
    st.text(max_size=20),
)
policies = st.fixed_dictionaries(
    {},
    optional={
        "param": st.one_of(param_names, values),
        "month": st.one_of(st.integers(-2, 130), values),
        "start": st.one_of(st.integers(-2, 130), values),
        "end": st.one_of(st.integers(-2, 130), values),
        "value": values,
        "from": values,
        "note": st.one_of(st.text(max_size=8), values),
        "mnoth": values,
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.just("fuzz"), values),
        "description": st.one_of(st.just("a fuzzed scenario"), values),
        "extends": st.one_of(st.sampled_from(["baseline", "recession", "nope", "a/b"]), values),
        "run": st.one_of(
            st.dictionaries(
                st.sampled_from(["months", "students", "seeds", "burn_in_months", "montsh"]),
                st.one_of(st.integers(-10, 10**8), values),
                max_size=4,
            ),
            values,
        ),
        "params": st.one_of(
            st.dictionaries(param_names, values, max_size=5),
            st.dictionaries(
                st.sampled_from(GROUPS), st.dictionaries(st.text(max_size=30), values), max_size=3
            ),
            values,
        ),
        "policy": st.one_of(st.lists(policies, max_size=4), values),
        "extra": values,
    },
)


def valid_value(name: str) -> st.SearchStrategy[Value]:
    """Values a parameter accepts."""
    param = REGISTRY[name]
    if param.kind is bool:
        return st.booleans()
    assert param.range is not None
    lo, hi = param.range
    if param.kind is int:
        return st.integers(math.ceil(lo), int(hi))
    return st.floats(lo, hi)


valid_pairs = st.sampled_from(PARAM_NAMES).flatmap(lambda n: st.tuples(st.just(n), valid_value(n)))
plausible_policies = st.sampled_from(PARAM_NAMES).flatmap(
    lambda n: st.fixed_dictionaries(
        {"param": st.just(n), "value": valid_value(n)},
        optional={
            "month": st.integers(0, 130),
            "start": st.integers(1, 120),
            "end": st.integers(1, 120),
            "from": valid_value(n),
            "note": st.text(max_size=8),
        },
    )
)
plausible_documents = st.fixed_dictionaries(
    {"name": st.just("fuzz"), "description": st.just("a fuzzed scenario")},
    optional={
        "extends": st.sampled_from(["baseline", "recession", "full_blueprint", "nope"]),
        "run": st.fixed_dictionaries(
            {}, optional={"months": st.integers(0, 130), "seeds": st.integers(0, 5)}
        ),
        "params": st.one_of(
            st.lists(valid_pairs, max_size=5).map(dict),
            st.dictionaries(param_names, values, max_size=2),
        ),
        "policy": st.lists(plausible_policies, max_size=3),
    },
)


def toml_value(value: object) -> str:
    """``value`` as a TOML value (inline tables and arrays for containers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def assert_scenario_or_problems(load: Any) -> None:
    """``load()`` gives a resolved Scenario or a ScenarioError listing well-formed problems."""
    try:
        scenario = load()
    except ScenarioError as err:
        assert err.problems
        assert all(isinstance(p, Problem) and p.message for p in err.problems)
        assert len(err.format().split("\n")) == len(err.problems)
    else:
        assert isinstance(scenario, Scenario)
        assert [n for n, _ in scenario.params] == PARAM_NAMES
        assert len(scenario.hash) == 64
        assert Scenario.from_dict(scenario.to_dict()) == scenario


@settings(max_examples=300, deadline=None)
@given(st.one_of(documents, plausible_documents))
def test_fuzz_documents_never_raise_anything_else(doc: dict[str, Any]) -> None:
    text = "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in doc.items())
    assert_scenario_or_problems(lambda: loads_scenario(text))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_fuzz_text_never_raises_anything_else(data: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_bytes(data)
        assert_scenario_or_problems(lambda: load_scenario(path))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(param_names, values, max_size=4), values)
def test_fuzz_with_params_and_from_dict(overrides: dict[str, Value], junk: object) -> None:
    baseline = default_scenario()
    assert_scenario_or_problems(lambda: baseline.with_params(overrides))
    broken = {**baseline.to_dict(), "params": junk, "policies": junk, "run": junk}
    assert_scenario_or_problems(lambda: Scenario.from_dict(broken))


# Parameters free of cross-parameter rules, so any in-range ramp is a valid scenario.
_LINKED = {n for group in SHARE_GROUPS.values() for n in group} | {
    n for pair in ORDERED_PAIRS for n in pair
}
RAMP_PARAMS = [p for p in REGISTRY.values() if p.kind in (int, float) and p.name not in _LINKED]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_ramps_stay_in_range_and_keep_their_type(data: st.DataObject) -> None:
    param = data.draw(st.sampled_from(RAMP_PARAMS))
    assert param.range is not None
    lo, hi = param.range
    ends = st.integers(math.ceil(lo), int(hi)) if param.kind is int else st.floats(lo, hi)
    start = data.draw(st.integers(1, 100))
    end = data.draw(st.integers(start + 1, 120))
    policy = Policy(param.name, start, data.draw(ends), end=end, from_value=data.draw(ends))
    scenario = Scenario.from_dict({**default_scenario().to_dict(), "policies": [asdict(policy)]})
    for month in (start - 1, start, (start + end) // 2, end, end + 1):
        value = scenario.params_at(month)[param.name]
        assert type(value) is param.kind
        assert lo <= value <= hi


def test_hash_ignores_the_number_of_seeds_but_not_the_horizon() -> None:
    base = load_scenario("baseline")
    assert base.with_run(seeds=40).hash == base.hash
    assert base.with_run(months=60).hash != base.hash
    assert base.with_run(students=1000).hash != base.hash
