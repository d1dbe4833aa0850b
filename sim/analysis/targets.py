"""Checking a run against the calibration targets of :data:`sim.inputs.params.TARGETS`.

Each ``calibrated`` target names a monthly metric and a window of output months. A seed's value
is the metric's mean over that window (months where the metric is undefined are skipped); the
model's value is the mean over seeds, with a 95% t-interval across seeds. A target passes when
the model mean lies within ``value +- tolerance``. ``reference`` targets are stated attitudes with
no behavioural counterpart in the model: they are listed as not testable, with their note.

:func:`distance` is the calibration objective, shared with :mod:`sim.analysis.calibrate`: the sum
over calibrated targets of ``((model mean - value) / tolerance) ** 2``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.stats import CONFIDENCE, mean_ci, seed_window_means
from sim.analysis.tables import json_text, markdown_table, text_table
from sim.inputs.params import REPORT_2024, REPORT_2025, TARGETS, Target
from sim.observe.metrics import METRICS_BY_NAME

__all__ = [
    "FORMATS",
    "TargetCheck",
    "TargetsError",
    "calibrated_targets",
    "check",
    "check_run",
    "distance",
    "format_checks",
]

Status = Literal["pass", "fail", "no data", "not testable"]
FORMATS: tuple[str, ...] = ("table", "markdown", "json")


class TargetsError(ValueError):
    """A run that cannot be checked (no metrics table, unknown scenario)."""


def calibrated_targets(targets: Iterable[Target] = TARGETS) -> tuple[Target, ...]:
    """The targets the model is fitted to and checked against (status ``calibrated``)."""
    return tuple(t for t in targets if t.status == "calibrated" and t.metric is not None)


@dataclass(frozen=True)
class TargetCheck:
    """One target compared with the model.

    Attributes:
        target: The target.
        values: Per-seed window means (seeds where the metric is undefined left out).
        mean: Mean over seeds (NaN without data).
        ci_low: Lower bound of the 95% t-interval across seeds (NaN with fewer than 2 seeds).
        ci_high: Upper bound.
        status: ``pass``, ``fail``, ``no data`` (the run does not cover the window) or
            ``not testable`` (a reference target).
        detail: Why a target has no data, or a reference target's note.
    """

    target: Target
    values: tuple[float, ...]
    mean: float
    ci_low: float
    ci_high: float
    status: Status
    detail: str = ""

    @property
    def n(self) -> int:
        """Seeds the model mean is computed from."""
        return len(self.values)

    @property
    def error(self) -> float:
        """``(mean - value) / tolerance``: the signed distance in tolerance units."""
        t = self.target
        if not math.isfinite(self.mean):
            return math.nan
        return (self.mean - t.value) / t.tolerance if t.tolerance > 0 else math.nan

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields (undefined numbers as None)."""
        t = self.target
        return {
            "target": t.name,
            "status": self.status,
            "source": t.source,
            "metric": t.metric,
            "window": list(t.window) if t.metric else None,
            "value": t.value,
            "tolerance": t.tolerance,
            "low": t.value - t.tolerance,
            "high": t.value + t.tolerance,
            "n_seeds": self.n,
            "model_mean": _num(self.mean),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "error_in_tolerances": _num(self.error),
            "detail": self.detail,
        }


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def check(metrics: pa.Table, targets: Iterable[Target] = TARGETS) -> list[TargetCheck]:
    """Compare a scenario's monthly metrics (one or several seeds) with the targets.

    Args:
        metrics: One scenario's monthly metrics (``month``, the metrics, optionally ``seed``).
        targets: Targets to check (default: all, reference ones listed as not testable).

    Returns:
        One check per target, in the order given.
    """
    last_month = int(pc.max(metrics.column("month")).as_py()) if metrics.num_rows else 0
    out: list[TargetCheck] = []
    nan = math.nan
    for t in targets:
        if t.status != "calibrated" or t.metric is None:
            out.append(TargetCheck(t, (), nan, nan, nan, "not testable", t.note))
            continue
        if t.metric not in metrics.column_names:
            detail = f"the run has no {t.metric} column"
            out.append(TargetCheck(t, (), nan, nan, nan, "no data", detail))
            continue
        if last_month < t.window[1]:
            detail = f"window months {t.window[0]}-{t.window[1]}; the run has {last_month} months"
            out.append(TargetCheck(t, (), nan, nan, nan, "no data", detail))
            continue
        by_seed = seed_window_means(metrics, t.metric, t.window)
        values = tuple(v for _, v in sorted(by_seed.items()) if math.isfinite(v))
        mean, lo, hi = mean_ci(values)
        if not values:
            detail = f"{t.metric} is undefined in every month of the window"
            out.append(TargetCheck(t, (), nan, nan, nan, "no data", detail))
            continue
        # A hair of slack so that a mean printed as the band's edge counts as inside it.
        inside = abs(mean - t.value) <= t.tolerance + 1e-12
        out.append(TargetCheck(t, values, mean, lo, hi, "pass" if inside else "fail", t.note))
    return out


def distance(checks: Iterable[TargetCheck]) -> float:
    """The calibration objective: sum of squared errors in tolerance units over calibrated
    targets; infinite when a calibrated target has no data."""
    total = 0.0
    for c in checks:
        if c.status == "not testable":
            continue
        e = c.error
        if not math.isfinite(e):
            return math.inf
        total += e * e
    return total


@dataclass(frozen=True)
class RunCheck:
    """The checks of one scenario of a run folder.

    Attributes:
        run_dir: The run folder.
        scenario: The scenario checked.
        seeds: Its seeds.
        students: Population, when recorded.
        months: Output months in the run.
        checks: One per target.
    """

    run_dir: Path
    scenario: str
    seeds: tuple[int, ...]
    students: int | None
    months: int
    checks: list[TargetCheck]

    @property
    def failed(self) -> list[TargetCheck]:
        """Calibrated targets that did not pass (fail or no data)."""
        return [c for c in self.checks if c.status in ("fail", "no data")]

    def note(self) -> str:
        """One line on what was checked."""
        pop = f"{self.students:,} students" if self.students else "population not recorded"
        n = len(self.seeds)
        return (
            f"{self.run_dir} scenario {self.scenario}: {n} seed{'' if n == 1 else 's'}, {pop}, "
            f"{self.months} months. Model: mean over seeds of each seed's window mean, with a "
            f"{CONFIDENCE:.0%} t-interval across seeds; pass when the mean lies within "
            "value +- tolerance."
        )


def check_run(run_dir: Path | str, scenario: str = "baseline") -> RunCheck:
    """Check one scenario of a run folder against every target.

    Raises:
        TargetsError: When the folder holds no readable metrics or not that scenario.
    """
    from sim.experiments.store import read_manifest, read_table

    run_dir = Path(run_dir)
    try:
        table = read_table(run_dir, "metrics")
    except (FileNotFoundError, OSError, pa.ArrowException) as exc:
        raise TargetsError(f"cannot read the metrics of {run_dir}: {exc}") from exc
    if table.num_rows == 0:
        raise TargetsError(f"{run_dir} holds no metrics yet")
    present = sorted(set(table.column("scenario").to_pylist()))
    if scenario not in present:
        raise TargetsError(
            f"{run_dir} has no scenario {scenario!r}; it holds: {', '.join(present)} "
            "(choose one with --scenario)"
        )
    rows = table.filter(pc.equal(table.column("scenario"), scenario))
    try:
        manifest = read_manifest(run_dir)
    except (OSError, ValueError):
        manifest = {}
    students = manifest.get("students")
    return RunCheck(
        run_dir=run_dir,
        scenario=scenario,
        seeds=tuple(sorted(set(rows.column("seed").to_pylist()))),
        students=students if isinstance(students, int) else None,
        months=int(pc.max(rows.column("month")).as_py()),
        checks=check(rows.drop_columns(["scenario"])),
    )


# ==================================================================== output


def _is_share(metric: str | None) -> bool:
    return metric is not None and METRICS_BY_NAME[metric].unit == "share"


def _level(x: float, share: bool) -> str:
    if not math.isfinite(x):
        return "n/a"
    if share:
        return f"{100 * x:.1f}%"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _source_short(source: str) -> str:
    """A source for a narrow column: its evidence id, else the report or publisher named."""
    head = source.split(" ", 1)[0].rstrip(",;:")
    if len(head) >= 2 and head[0].isupper() and head[1:].isdigit():
        return head
    for title, short in ((REPORT_2025, "Report 2025"), (REPORT_2024, "Report 2024")):
        source = source.replace(title, short)
    head = source.split(":", 1)[0]
    return head if len(head) <= 34 else head[:31] + "..."


def display_rows(checks: Sequence[TargetCheck], *, short: bool) -> list[list[str]]:
    """Rows of text cells, one per target (header first)."""
    header = ["target", "source", "target value", "window", "model mean [95% CI]", "n", "result"]
    rows = [header]
    for c in checks:
        t = c.target
        share = _is_share(t.metric)
        source = _source_short(t.source) if short else t.source
        if c.status == "not testable":
            band = _level(t.value, share=True)
            rows.append([t.name, source, band, "-", "-", "-", f"not testable: {t.note}"])
            continue
        tol = f"{100 * t.tolerance:.1f}" if share else _level(t.tolerance, share)
        band = f"{_level(t.value, share)} ± {tol}"
        window = f"{t.window[0]}-{t.window[1]}"
        if c.status == "no data":
            model = f"({c.detail})"
        elif math.isfinite(c.ci_low):
            lo, hi = _level(c.ci_low, share), _level(c.ci_high, share)
            model = f"{_level(c.mean, share)} [{lo}, {hi}]"
        else:
            model = _level(c.mean, share)
        rows.append([t.name, source, band, window, model, str(c.n), c.status.upper()])
    return rows


def format_checks(checks: Sequence[TargetCheck], fmt: str = "table", note: str = "") -> str:
    """Render checks as an aligned text table, Markdown or JSON.

    Args:
        checks: From :func:`check`.
        fmt: ``table``, ``markdown`` or ``json``.
        note: A line saying what was checked (printed under the table, or as ``note`` in JSON).
    """
    if fmt not in FORMATS:
        raise TargetsError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    calibrated = [c for c in checks if c.status != "not testable"]
    passed = sum(c.status == "pass" for c in calibrated)
    summary = f"{passed} of {len(calibrated)} calibrated targets pass."
    if fmt == "json":
        payload = {
            "note": note,
            "summary": {"passed": passed, "calibrated": len(calibrated)},
            "distance": _num(distance(checks)),
            "targets": [c.as_dict() for c in checks],
        }
        return json_text(payload)
    rows = display_rows(checks, short=fmt == "table")
    tail = f"{note}\n" if note else ""
    if fmt == "markdown":
        tail = f"_{note}_\n\n" if note else ""
        return markdown_table(rows[0], rows[1:]) + "\n" + tail + summary + "\n"
    return text_table(rows[0], rows[1:]) + "\n" + tail + summary + "\n"
