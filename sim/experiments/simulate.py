"""Run one scenario for one seed: the Python entry point for notebooks, the CLI and workers."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from sim.inputs.scenario import Scenario
from sim.model.model import HiringModel
from sim.observe import snapshots
from sim.observe.recorder import MonthlyRecorder


@dataclass(frozen=True)
class RunResult:
    """Tables from one run of one scenario for one seed.

    Attributes:
        metrics: One row per reported month, columns :data:`sim.observe.metrics.METRIC_NAMES`.
        groups: One row per month, group kind and group (None when not requested).
        students: End-of-run student snapshot (None unless requested).
        employers: End-of-run employer snapshot (None unless requested).
    """

    metrics: pa.Table
    groups: pa.Table | None = None
    students: pa.Table | None = None
    employers: pa.Table | None = None


def run_scenario(
    scenario: Scenario,
    seed: int,
    *,
    months: int | None = None,
    students: int | None = None,
    agents: bool = False,
    groups: bool = True,
) -> RunResult:
    """Run ``scenario`` with ``seed`` through burn-in and every reported month.

    Args:
        scenario: The resolved scenario.
        seed: Seed of every random stream; the same seed gives the same population and draws
            in every scenario.
        months: Reported months (default: the scenario's ``[run]`` table).
        students: Enrolled students at the start (default: the scenario's ``[run]`` table).
        agents: Also return end-of-run student and employer snapshots.
        groups: Also return the monthly outcomes by group.

    Returns:
        The run's tables.
    """
    recorder = MonthlyRecorder(groups=groups)
    model = HiringModel(scenario, seed, students=students, months=months, observers=[recorder])
    model.run()
    return RunResult(
        metrics=recorder.metrics_table(),
        groups=recorder.groups_table(),
        students=snapshots.students_table(model) if agents else None,
        employers=snapshots.employers_table(model) if agents else None,
    )
