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
