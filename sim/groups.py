"""Outcomes by group: who gains and who loses, computed each month from the population arrays.

Each group kind partitions every person the model follows (enrolled students, graduates and
dropouts in the labour market), so the group populations of a kind sum to the whole population.
Reductions are grouped ``bincount`` calls over the active rows: no Python loop over people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sim.metrics import MonthView
from sim.params import DISCIPLINES
from sim.population import (
    DROPOUT,
    ENROLLED,
    GRADUATE,
    ability_quartile,
)

if TYPE_CHECKING:
    from sim.model import HiringModel


@dataclass(frozen=True)
class GroupKind:
    """One way of splitting the population.

    Attributes:
        name: Group kind, as written in the ``group_kind`` column.
        groups: Group labels, in index order.
        description: How a person is assigned.
        assign: Group index of each given row.
    """

    name: str
    groups: tuple[str, ...]
    description: str
    assign: Callable[[HiringModel, np.ndarray], np.ndarray]


def _discipline(model: HiringModel, rows: np.ndarray) -> np.ndarray:
    return model.population.discipline[rows].astype(np.int64)


def _ability_quartile(model: HiringModel, rows: np.ndarray) -> np.ndarray:
    return ability_quartile(model.population.ability[rows]).astype(np.int64)


def _mc_status(model: HiringModel, rows: np.ndarray) -> np.ndarray:
    pop = model.population
    # genai (3) over credit_bearing (2) over any other MC (1) over none (0).
    has_mc, has_cb, has_genai = pop.has_mc[rows], pop.has_cb[rows], pop.has_genai[rows]
    status = np.where(has_genai, 3, np.where(has_cb, 2, has_mc.view(np.int8)))
    return status.astype(np.int64)


def _university_type(model: HiringModel, rows: np.ndarray) -> np.ndarray:
    unis = model.universities
    uni = model.population.university[rows]
    return unis.offers_mc[uni].astype(np.int64) + unis.credit_bearing[uni]


def _pathway(model: HiringModel, rows: np.ndarray) -> np.ndarray:
    # Free rows (status 0) land in group 0 too; the state code leaves them out of every count.
    return np.maximum(model.population.status[rows].astype(np.int64) - ENROLLED, 0)


GROUP_KINDS: tuple[GroupKind, ...] = (
    GroupKind("discipline", DISCIPLINES, "The person's discipline.", _discipline),
    GroupKind(
        "ability_quartile", ("q1", "q2", "q3", "q4"),
        "Quartile of latent ability (q1 lowest), fixed at entry.", _ability_quartile,
    ),
    GroupKind(
        "mc_status", ("none", "mc_other", "credit_bearing", "genai"),
        "MCs held: genai if any GenAI MC, else credit_bearing if any credit-bearing MC, else "
        "mc_other if any MC, else none.", _mc_status,
    ),
    GroupKind(
        "university_type", ("no_mc_offer", "mc_offer", "credit_bearing"),
        "What the person's university offers now: no MCs, MCs without credit, or "
        "credit-bearing MCs.", _university_type,
    ),
    GroupKind(
        "pathway", ("enrolled", "graduate", "dropout"),
        "Enrolled student, or left university as a graduate or a dropout.", _pathway,
    ),
)  # fmt: skip
"""Every group kind the groups table reports."""

GROUP_KINDS_BY_NAME: dict[str, GroupKind] = {k.name: k for k in GROUP_KINDS}

GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("population", "People in the group (enrolled and in the labour market)."),
    ("enrolled", "Enrolled students in the group."),
    ("labour_force", "Graduates and dropouts in the group."),
    ("employed", "Employed people in the group."),
    ("employment_rate", "Employed / labour force."),
    ("mc_holder_share", "Enrolled students holding an MC / enrolled students."),
    ("genai_mc_share", "Enrolled students holding a GenAI MC / enrolled students."),
    ("recent_grad_unemployment_rate", "Unemployed / graduates within 24 months of graduation."),
    ("hires", "Hires of group members this month."),
    ("mean_starting_salary", "Mean annual salary of the month's hires in the group."),
    ("median_starting_salary", "Median annual salary of the month's hires in the group."),
    ("mean_skill_employed", "Mean skill of the group's employed people."),
)
"""Outcome columns of the groups table, with definitions (NaN where a denominator is zero)."""


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _grouped_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` within each group (NaN for empty groups)."""
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


# Each row's state, packed into 6 bits so that one bincount per group kind gives every count:
# status (0 free, 1 enrolled, 2 graduate, 3 dropout), employed, recent graduate, MC, GenAI MC.
# Rows are reduced in place over the whole arrays (no gather of the active rows): free rows are
# counted in their own codes and left out of every sum.
_CODES = np.arange(64)
_STATUS, _EMPLOYED, _RECENT = _CODES & 3, (_CODES >> 2) & 1, (_CODES >> 3) & 1
_MC, _GENAI = (_CODES >> 4) & 1, (_CODES >> 5) & 1
_ACTIVE, _ENROLLED, _IN_LF = _STATUS >= ENROLLED, _STATUS == ENROLLED, _STATUS >= GRADUATE


@dataclass(frozen=True)
class RowState:
    """What every group kind's reductions need of the month's population, read once.

    Attributes:
        rows: The rows reduced over: every row (``slice(None)``), free ones included.
        code: Packed state of each row (see ``_CODES``).
        employed_skill: Skill of each row if employed, else 0.
    """

    rows: slice
    code: np.ndarray
    employed_skill: np.ndarray

    @classmethod
    def of(cls, model: HiringModel, view: MonthView) -> RowState:
        """Pack the state of every row once for the month, reusing the metrics' masks."""
        pop = model.population
        employed, recent = view.employed, view.recent_graduate
        code = pop.status.astype(np.int64)
        code |= employed.view(np.int8).astype(np.int64) << 2
        code |= recent.view(np.int8).astype(np.int64) << 3
        code |= pop.has_mc.view(np.int8).astype(np.int64) << 4
        code |= pop.has_genai.view(np.int8).astype(np.int64) << 5
        return cls(slice(None), code, np.where(employed, pop.skill, np.float32(0.0)))


def outcomes(model: HiringModel, kind: GroupKind, state: RowState) -> dict[str, np.ndarray]:
    """Every outcome column for each group of ``kind``, over the month's active rows."""
    n = len(kind.groups)
    g = kind.assign(model, state.rows)
    table = np.bincount(g * 64 + state.code, minlength=n * 64).reshape(n, 64).astype(np.float64)

    def count(mask: np.ndarray) -> np.ndarray:
        return table[:, mask & _ACTIVE].sum(axis=1)

    hires = model.record.market_round.hires
    hire_group = kind.assign(model, hires.person)
    hire_count = np.bincount(hire_group, minlength=n).astype(np.float64)
    salary_sum = np.bincount(hire_group, weights=hires.salary, minlength=n)
    skill_sum = np.bincount(g, weights=state.employed_skill, minlength=n)
    enrolled = _ENROLLED
    n_enrolled, n_lf, n_employed = count(enrolled), count(_IN_LF), count(_EMPLOYED == 1)
    return {
        "population": count(_ACTIVE),
        "enrolled": n_enrolled,
        "labour_force": n_lf,
        "employed": n_employed,
        "employment_rate": _ratio(n_employed, n_lf),
        "mc_holder_share": _ratio(count(enrolled & (_MC == 1)), n_enrolled),
        "genai_mc_share": _ratio(count(enrolled & (_GENAI == 1)), n_enrolled),
        "recent_grad_unemployment_rate": _ratio(
            count((_RECENT == 1) & (_EMPLOYED == 0)), count(_RECENT == 1)
        ),
        "hires": hire_count,
        "mean_starting_salary": _ratio(salary_sum, hire_count),
        "median_starting_salary": _grouped_median(hire_group, hires.salary, n),
        "mean_skill_employed": _ratio(skill_sum, n_employed),
    }


class GroupRecorder:
    """Collects the groups table month by month, as column chunks (no per-person loop)."""

    def __init__(self) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def collect(self, model: HiringModel, view: MonthView) -> None:
        """Record every group kind's outcomes for the model's current month."""
        state = RowState.of(model, view)
        for kind in GROUP_KINDS:
            cols = outcomes(model, kind, state)
            n = len(kind.groups)
            cols["month"] = np.full(n, model.month, dtype=np.int32)
            cols["group_kind"] = np.full(n, kind.name, dtype=object)
            cols["group"] = np.array(kind.groups, dtype=object)
            self._chunks.append(cols)

    def table(self) -> pa.Table:
        """The groups table: ``month``, ``group_kind``, ``group`` and every outcome column."""
        names = ("month", "group_kind", "group", *(c for c, _ in GROUP_COLUMNS))
        columns: dict[str, pa.Array] = {}
        for name in names:
            values = np.concatenate([c[name] for c in self._chunks]) if self._chunks else []
            if name == "month":
                columns[name] = pa.array(values, pa.int32())
            elif name in ("group_kind", "group"):
                columns[name] = pa.array(values, pa.string())
            else:
                columns[name] = pa.array(values, pa.float64())
        return pa.table(columns)


assert DROPOUT - ENROLLED == 2 and GRADUATE - ENROLLED == 1, "pathway labels follow status codes"
