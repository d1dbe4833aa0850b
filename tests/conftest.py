"""The suite's markers, registered for ``pytest -m`` (scripts/test-matrix selects on them)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the suite's markers, so that ``-m`` selects on them without a warning."""
    config.addinivalue_line(
        "markers",
        "browser: drives the explorer page in Chromium (scripts/test-matrix runs these on the "
        "main leg only: the page's Python code paths are tested on every leg without a browser)",
    )
    config.addinivalue_line(
        "markers",
        "bench: runs the benchmark script (scripts/test-matrix runs these on the main leg only: "
        "it is a developer's tool, run on demand on this machine; what it runs, run_scenario "
        "and the runner, is tested on every leg)",
    )
    config.addinivalue_line(
        "markers",
        "law: a statistical test of a sampling law over thousands of draws (scripts/test-matrix "
        "runs these on the main leg only: they test numpy's arithmetic, which is the same code on "
        "every Python; every other test of the same functions runs on every leg)",
    )
