"""The plain-Mesa reference: N agents doing a trivial step, stepped the Mesa way.

Each step is ``model.agents.shuffle_do("step")``; an agent's step makes one random draw and one
attribute update. This is the per-agent Python cost that a vectorized population avoids, and
:mod:`benchmarks.scale` prints the model's throughput as a multiple of it.
"""

from __future__ import annotations

import time

import mesa


class TrivialAgent(mesa.Agent):
    """An agent whose step is one random draw and one attribute update."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.wealth = 0.0

    def step(self) -> None:
        self.wealth += self.random.random()


class TrivialModel(mesa.Model):
    """``n`` trivial agents, shuffled and stepped each model step."""

    def __init__(self, n: int, rng: int = 0) -> None:
        super().__init__(rng=rng)
        TrivialAgent.create_agents(self, n)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def measure(agents: int, steps: int, seed: int = 0) -> dict[str, object]:
    """Time ``steps`` steps of a model of ``agents`` agents (creation timed separately)."""
    t0 = time.perf_counter()
    model = TrivialModel(agents, rng=seed)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    elapsed = time.perf_counter() - t0
    return {
        "agents": agents,
        "steps": steps,
        "mesa_version": mesa.__version__,
        "setup_seconds": round(setup, 3),
        "step_seconds": round(elapsed, 3),
        "agent_steps_per_second": round(agents * steps / elapsed),
    }


if __name__ == "__main__":
    print(measure(100_000, 5))
