"""PROVISIONAL stand-in for the model entry point, so that runner/store/analysis work can proceed.

It will be replaced by the real model run (same signature) in the model commit. It produces
seeded random-walk tables with the real metric columns; nothing here is a model result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sim.metrics import METRIC_NAMES


@dataclass(frozen=True)
class RunResult:
    """Tables from one run of one scenario for one seed.

    Attributes:
        metrics: One row per output month, columns :data:`sim.metrics.METRIC_NAMES`.
        groups: One row per month, group kind and group (None when not requested).
        students: End-of-run student snapshot (None unless requested).
        employers: End-of-run employer snapshot (None unless requested).
    """

    metrics: pa.Table
    groups: pa.Table | None = None
    students: pa.Table | None = None
    employers: pa.Table | None = None


def run_scenario(
    scenario: object,
    seed: int,
    *,
    months: int | None = None,
    students: int | None = None,
    agents: bool = False,
    groups: bool = True,
) -> RunResult:
    """PROVISIONAL: seeded random walks with the metric columns (see module docstring)."""
    run = getattr(scenario, "run", None)
    months = months or (run.months if run is not None else 120)
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"month": pa.array(np.arange(1, months + 1), pa.int32())}
    for name in METRIC_NAMES[1:]:
        cols[name] = pa.array(0.5 + np.cumsum(rng.normal(0, 0.01, months)), pa.float64())
    return RunResult(metrics=pa.table(cols))
