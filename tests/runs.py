"""Model runs shared by the tests: each (scenario, seed) runs once per test session.

A run is a pure function of its resolved scenario and its seed (common random numbers; see
:func:`sim.model.spawn_streams`), and :class:`sim.scenario.Scenario` is a frozen, hashable
dataclass, so tests that compare the same scenario at the same size and seed can share the run
instead of repeating it. Tests of that very determinism (same seed, same output) must call
:func:`sim.simulate.run_scenario` themselves.
"""

from __future__ import annotations

import functools

import pyarrow as pa

from sim.experiments.simulate import run_scenario
from sim.inputs.scenario import Scenario


@functools.cache
def run_metrics(scenario: Scenario, seed: int) -> pa.Table:
    """The monthly metrics table of ``scenario`` run with ``seed`` (an immutable Arrow table)."""
    return run_scenario(scenario, seed).metrics
