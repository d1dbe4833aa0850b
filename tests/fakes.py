"""Synthetic run folders in the layout of :mod:`sim.experiments.store`, for testing the analysis
side.

The numbers are built so that pairing by seed matters: every scenario shares its seed's
baseline path (a seed-level level shift plus month-to-month noise, both drawn from the seed
alone, as common random numbers would), then adds its own effect and a small amount of noise
of its own. A scenario with no effect and no noise is bitwise identical to the baseline.

With ``make_run(..., groups=True)`` the run also gets a groups table built the same way, one
path per (seed, group kind, group, outcome), with group levels rising with the group's index (the
last group of a kind has the highest level), each scenario's ``group_effects`` added to its
``effect`` within the named groups and its ``group_shifts`` added to the named outcomes. Counts of
people are whole numbers.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.compare import group_unit
from sim.inputs.params import REGISTRY, Value
from sim.observe.groups import GROUP_COLUMNS, GROUP_KINDS
from sim.observe.metrics import METRIC_NAMES, METRICS

SEED_SD = 0.05
"""Relative SD of the seed-level shift shared by all scenarios of a seed."""
MONTH_SD = 0.02
"""Relative SD of the month-to-month noise shared by all scenarios of a seed."""

_LEVELS = {
    "share": 0.3,
    "people": 1000.0,
    "vacancies": 800.0,
    "applications": 5000.0,
    "USD per year": 55_000.0,
    "months": 4.0,
    "skill SD": 0.5,
}


@dataclass(frozen=True)
class FakeScenario:
    """One synthetic scenario.

    Attributes:
        name: Scenario name.
        effect: Relative effect on every metric (0.02 raises each metric by 2%).
        noise: Relative SD of the scenario's own month-level noise (independent of baseline).
        params: Base-value overrides recorded in the file metadata.
        policies: Policies recorded in the file metadata (``Policy`` fields as dicts).
        description: Scenario description.
        seeds: Seeds to write for this scenario; None for the run's seeds.
        nan_months: Months whose ``mean_starting_salary_mc`` is NaN (no MC-holder hires).
        group_effects: ``(group_kind, group, relative effect)``: an effect added to ``effect``
            on every outcome of that group (groups table only).
        group_shifts: ``(group_kind, group, outcome, amount)``: an amount added to that outcome
            of that group in every month (groups table only), e.g. jobs moved between groups.
    """

    name: str
    effect: float = 0.0
    noise: float = 0.0
    params: tuple[tuple[str, Value], ...] = ()
    policies: tuple[dict[str, object], ...] = ()
    description: str = ""
    seeds: tuple[int, ...] | None = None
    nan_months: tuple[int, ...] = field(default=())
    group_effects: tuple[tuple[str, str, float], ...] = ()
    group_shifts: tuple[tuple[str, str, str, float], ...] = ()


def baseline_path(seed: int, metric_index: int, months: int) -> np.ndarray:
    """The seed's shared path of one metric (level times 1 + seed shift + month noise)."""
    unit = METRICS[metric_index].unit
    level = _LEVELS.get(unit, 1.0)
    rng = np.random.default_rng([seed, metric_index])
    shift = rng.normal(0.0, SEED_SD)
    return level * (1.0 + shift + rng.normal(0.0, MONTH_SD, months))


def scenario_values(scenario: FakeScenario, seed: int, months: int) -> dict[str, np.ndarray]:
    """Every metric column of one scenario and seed."""
    cols: dict[str, np.ndarray] = {"month": np.arange(1, months + 1, dtype=np.int32)}
    tag = zlib.crc32(scenario.name.encode())
    for i, name in enumerate(METRIC_NAMES):
        if name == "month":
            continue
        base = baseline_path(seed, i, months)
        if scenario.effect == 0.0 and scenario.noise == 0.0:
            values = base.copy()
        else:
            rng = np.random.default_rng([seed, i, tag])
            own = rng.normal(0.0, scenario.noise, months) if scenario.noise else 0.0
            values = base * (1.0 + scenario.effect) + base.mean() * own
        if name == "mean_starting_salary_mc" and scenario.nan_months:
            values[np.asarray(scenario.nan_months) - 1] = np.nan
        cols[name] = values
    return cols


GROUP_LEVEL_STEP = 0.1
"""Group ``i`` of a kind has ``1 + i * GROUP_LEVEL_STEP`` times the outcome's base level."""


def group_baseline_path(
    seed: int, kind_index: int, group_index: int, column_index: int, months: int
) -> np.ndarray:
    """The seed's shared path of one group outcome."""
    name = GROUP_COLUMNS[column_index][0]
    level = _LEVELS.get(group_unit(name), 1.0) * (1.0 + GROUP_LEVEL_STEP * group_index)
    rng = np.random.default_rng([seed, 1000 + kind_index, group_index, column_index])
    shift = rng.normal(0.0, SEED_SD)
    return level * (1.0 + shift + rng.normal(0.0, MONTH_SD, months))


def group_values(scenario: FakeScenario, seed: int, months: int) -> pa.Table:
    """One scenario and seed's groups table: ``month``, ``group_kind``, ``group``, outcomes."""
    tag = zlib.crc32(scenario.name.encode())
    extra = {(k, g): e for k, g, e in scenario.group_effects}
    shifts = {(k, g, c): a for k, g, c, a in scenario.group_shifts}
    parts = []
    for ki, kind in enumerate(GROUP_KINDS):
        for gi, group in enumerate(kind.groups):
            effect = scenario.effect + extra.get((kind.name, group), 0.0)
            cols: dict[str, object] = {
                "month": pa.array(np.arange(1, months + 1), pa.int32()),
                "group_kind": pa.array([kind.name] * months, pa.string()),
                "group": pa.array([group] * months, pa.string()),
            }
            for ci, (name, _) in enumerate(GROUP_COLUMNS):
                base = group_baseline_path(seed, ki, gi, ci, months)
                if effect == 0.0 and scenario.noise == 0.0:
                    values = base.copy()
                else:
                    rng = np.random.default_rng([seed, ki, gi, ci, tag])
                    own = rng.normal(0.0, scenario.noise, months) if scenario.noise else 0.0
                    values = base * (1.0 + effect) + base.mean() * own
                values = values + shifts.get((kind.name, group, name), 0.0)
                # Counts of people are whole numbers, as in a real run: their sums are exact.
                cols[name] = np.round(values) if group_unit(name) == "people" else values
            parts.append(pa.table(cols))
    return pa.concat_tables(parts).sort_by([("month", "ascending")])


def scenario_json(scenario: FakeScenario, months: int, students: int, seeds: Sequence[int]) -> dict:
    """The resolved scenario as the runner records it in file metadata (``Scenario.to_dict``)."""
    params = {name: p.default for name, p in REGISTRY.items()}
    params.update(dict(scenario.params))
    fields = {"end": None, "from_value": None, "note": ""}
    policies = [{**fields, **p} for p in scenario.policies]
    digest = zlib.crc32(json.dumps([sorted(params.items()), policies]).encode())
    return {
        "name": scenario.name,
        "description": scenario.description or f"Synthetic scenario {scenario.name}.",
        "hash": f"{digest:08x}",
        "params": params,
        "policies": policies,
        "run": {"months": months, "students": students, "seeds": len(seeds), "burn_in_months": 12},
    }


def make_run(
    run_dir: Path,
    scenarios: Sequence[FakeScenario],
    *,
    seeds: Sequence[int] = (1, 2, 3, 4, 5, 6, 7, 8),
    months: int = 36,
    students: int = 5000,
    groups: bool = False,
) -> Path:
    """Write a synthetic run folder: metrics Parquet files with metadata, and a manifest.

    Args:
        run_dir: Folder to create.
        scenarios: The scenarios to write.
        seeds: The run's seeds (a scenario may override its own).
        months: Output months.
        students: Population recorded in metadata and manifest.
        groups: Also write a groups table (:func:`group_values`).

    Returns:
        ``run_dir``.
    """
    run_dir = Path(run_dir)
    tasks = []
    resolved = {}
    for sc in scenarios:
        sc_seeds = sc.seeds if sc.seeds is not None else tuple(seeds)
        resolved[sc.name] = scenario_json(sc, months, students, sc_seeds)
        for seed in sc_seeds:
            cols = scenario_values(sc, seed, months)
            table = pa.table(cols)
            meta = {
                "hiresim.scenario": json.dumps(resolved[sc.name]),
                "hiresim.scenario_hash": resolved[sc.name]["hash"],
                "hiresim.seed": str(seed),
                "hiresim.version": "0.1.0",
                "mesa.version": "3.3.1",
                "numpy.version": np.__version__,
                "pyarrow.version": pa.__version__,
                "python.version": "3.11.2",
            }
            table = table.replace_schema_metadata(meta)
            folder = run_dir / "metrics" / f"scenario={sc.name}" / f"seed={seed}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "part-0.parquet")
            if groups:
                folder = run_dir / "groups" / f"scenario={sc.name}" / f"seed={seed}"
                folder.mkdir(parents=True, exist_ok=True)
                group_table = group_values(sc, seed, months).replace_schema_metadata(meta)
                pq.write_table(group_table, folder / "part-0.parquet")
            tasks.append({"scenario": sc.name, "seed": seed, "status": "done", "wall_seconds": 1.5})
    names = [sc.name for sc in scenarios]
    manifest = {
        "name": run_dir.name,
        "command": ["hiresim", "run", *names],
        "command_line": "hiresim run " + " ".join(names),
        "status": "done",
        "scenarios": [
            {"name": n, "hash": r["hash"], "description": r["description"]}
            for n, r in resolved.items()
        ],
        "seeds": list(seeds),
        "tasks": tasks,
        "started": "2026-01-01T10:00:00+00:00",
        "ended": "2026-01-01T10:02:30+00:00",
        "wall_seconds": 150.0,
        "students": students,
        "months": months,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return run_dir


def model_run(
    out: Path, names: Sequence[str], *, students: int, seeds: Sequence[int], months: int = 24
) -> Path:
    """A real (small) model run of shipped scenarios into ``out``, 12 burn-in months, quietly.

    Args:
        out: The run folder.
        names: Shipped scenario names.
        students: Population.
        seeds: Seeds.
        months: Output months.

    Returns:
        ``out``, after checking every task finished.
    """
    import io

    from sim.experiments.runner import Progress, RunPlan, execute
    from sim.inputs.scenario import load_scenario

    scenarios = tuple(
        load_scenario(name).with_run(months=months, students=students, burn_in_months=12)
        for name in names
    )
    report = execute(
        RunPlan(out=out, scenarios=scenarios, seeds=tuple(seeds)),
        workers=1,
        progress=Progress(io.StringIO(), mode="quiet"),
    )
    assert report.exit_code == 0 and report.done == len(names) * len(seeds)
    return out


BASELINE = FakeScenario("baseline", description="Baseline: 2025 provision held fixed.")
IDENTICAL = FakeScenario("same_as_baseline", description="Identical to the baseline.")
POLICY = FakeScenario(
    "credit_bearing_expansion",
    effect=0.02,
    noise=0.002,
    params=(("employers.separation_rate", 0.012),),
    policies=(
        {
            "param": "universities.credit_bearing_plan_conversion",
            "start": 1,
            "end": 36,
            "value": 1.0,
            "note": "U1: 53% -> 82%",
        },
    ),
    description="Credit-bearing MCs expand: planned provision is realised.",
)
