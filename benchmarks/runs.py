"""Throughput of multi-seed runs: runs per minute for 1 and 2 process workers.

Run with ``python -m benchmarks.runs`` (``--help`` for the knobs). Each measurement runs one
scenario on several seeds into a fresh temporary folder with the process executor, timing the
whole call (pool start-up and writing included), and the results go to
``benchmarks/results/runs-<time>.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sim.experiments import store
from sim.experiments.runner import Progress, RunPlan, execute
from sim.inputs.scenario import load_scenario

RESULTS = Path(__file__).resolve().parent / "results"


def measure(
    scenario: str, seeds: int, months: int, students: int, workers: int
) -> dict[str, float]:
    """Time one multi-seed run of ``scenario`` on ``workers`` process workers.

    Returns:
        ``runs``, ``wall_seconds`` and ``runs_per_minute``.
    """
    resolved = load_scenario(scenario).with_run(months=months, students=students)
    with tempfile.TemporaryDirectory(prefix="hiresim-bench-") as tmp:
        plan = RunPlan(
            out=Path(tmp) / "run", scenarios=(resolved,), seeds=tuple(range(1, seeds + 1))
        )
        t0 = time.perf_counter()
        report = execute(plan, workers=workers, progress=Progress(io.StringIO(), mode="quiet"))
        wall = time.perf_counter() - t0
    if report.exit_code != 0:
        raise RuntimeError(f"benchmark run failed: {[f.error for f in report.failed]}")
    return {
        "runs": seeds,
        "wall_seconds": round(wall, 3),
        "runs_per_minute": round(seeds / wall * 60, 2),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Measure, print a table and write the JSON; returns what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seeds", type=int, default=8, help="runs per measurement")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",")]

    rows = {}
    print(f"{args.scenario}: {args.seeds} seeds x {args.months} months, {args.students} students")
    print(f"{'workers':>8} {'wall s':>8} {'runs/min':>10} {'speed-up':>9}")
    for workers in worker_counts:
        rows[workers] = measure(args.scenario, args.seeds, args.months, args.students, workers)
        speedup = rows[workers]["runs_per_minute"] / rows[worker_counts[0]]["runs_per_minute"]
        rows[workers]["speedup"] = round(speedup, 2)
        r = rows[workers]
        print(
            f"{workers:>8} {r['wall_seconds']:>8.2f} {r['runs_per_minute']:>10.1f} {speedup:>8.2f}x"
        )

    result = {
        "benchmark": "runs",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": vars(args),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "versions": store.versions(),
        "results": {str(w): r for w, r in rows.items()},
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"runs-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
