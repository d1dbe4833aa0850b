"""What a run records each reported month: the metrics row and, when asked, the outcomes by group.

The model knows nothing of metrics: it calls its observers at the end of every reported month
(:attr:`sim.model.model.HiringModel.observers`). A :class:`MonthlyRecorder` is such an observer; it
builds the month's view once (:meth:`sim.observe.metrics.MonthView.of`) and hands it to the metric
reporters and the group recorder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from sim.observe import metrics
from sim.observe.groups import GroupRecorder

if TYPE_CHECKING:
    from sim.model.model import HiringModel


class MonthlyRecorder:
    """Records each reported month of a model it observes.

    Attributes:
        rows: The metrics, one dict per reported month (:data:`sim.observe.metrics.METRIC_NAMES`).
        groups: The outcomes by group (None when not requested).
    """

    def __init__(self, groups: bool = True) -> None:
        self.rows: list[dict[str, float]] = []
        self.groups = GroupRecorder() if groups else None
        self._view: metrics.MonthView | None = None

    def __call__(self, model: HiringModel) -> None:
        """Record the model's current month."""
        view = self._view = metrics.MonthView.of(model, self._view)
        self.rows.append(metrics.collect(model, view))
        if self.groups is not None:
            self.groups.collect(model, view)

    def metrics_table(self) -> pa.Table:
        """The metrics recorded so far, one row per month (:func:`sim.observe.metrics.to_table`)."""
        return metrics.to_table(self.rows)

    def groups_table(self) -> pa.Table | None:
        """The outcomes by group recorded so far (None when not requested)."""
        return self.groups.table() if self.groups is not None else None
