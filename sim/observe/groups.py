"""Outcomes by group: who gains and who loses, computed each month from the month's view.

Each group kind partitions every person the model follows (enrolled students, graduates and
dropouts in the labour market), so the group populations of a kind sum to the whole population.
A kind assigns a group to each packed state of :mod:`sim.observe.metrics`
(:data:`sim.observe.metrics.STATES`), so its counts are sums of the month's people by state
(:attr:`MonthView.people`): no pass over the population per kind. Hire-based columns read the
month's hires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.inputs.params import DISCIPLINES
from sim.model.population import DROPOUT, ENROLLED, GRADUATE
from sim.observe.metrics import STATES, Metric, MonthView, States

if TYPE_CHECKING:
    from sim.model.model import HiringModel


@dataclass(frozen=True)
class GroupKind:
    """One way of splitting the population.

    Attributes:
        name: Group kind, as written in the ``group_kind`` column.
        groups: Group labels, in index order.
        description: How a person is assigned.
        assign: Group index of each given state (:class:`sim.observe.metrics.States`).
    """

    name: str
    groups: tuple[str, ...]
    description: str
    assign: Callable[[States], np.ndarray]


def _discipline(s: States) -> np.ndarray:
    return s.discipline


def _ability_quartile(s: States) -> np.ndarray:
    return s.ability_quartile


def _mc_status(s: States) -> np.ndarray:
    # genai (3) over credit_bearing (2) over any other MC (1) over none (0).
    return np.where(s.has_genai, 3, np.where(s.has_cb, 2, s.has_mc.astype(np.int64)))


def _university_type(s: States) -> np.ndarray:
    return s.university_type


def _pathway(s: States) -> np.ndarray:
    # Free states (status 0) land in group 0 too; they are left out of every count.
    return np.maximum(s.status - ENROLLED, 0)


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

# ------------------------------------------------------------- employment by MC holding
MC_HOLDER_GROUPS: tuple[str, ...] = ("mc_other", "credit_bearing", "genai")
"""The ``mc_status`` groups of people holding at least one MC (the rest, ``none``, hold none)."""
HOLDING_GROUPS: tuple[str, ...] = ("mc_holders", "non_holders", "total")
"""Rows of the employment split: holders (:data:`MC_HOLDER_GROUPS`), non-holders, everyone."""
EMPLOYMENT_MEASURES: tuple[Metric, ...] = (
    Metric(
        "employed_per_1000_students",
        "per 1,000 students",
        "Employed people of the group (graduates and dropouts holding a job) at month end, per "
        "1,000 students of the run's population setting (run.students). Holders + non-holders = "
        "total: the jobs the group holds.",
        "Employed per 1,000 students",
    ),
    Metric(
        "labour_force_per_1000_students",
        "per 1,000 students",
        "Graduates and dropouts of the group (employed or not) at month end, per 1,000 students "
        "of the run's population setting: the group's size in the labour market. Holders + "
        "non-holders = total.",
        "Labour force per 1,000 students",
    ),
    Metric(
        "employment_rate",
        "share",
        "Employed / labour force (graduates and dropouts) of the group at month end: its "
        "members' chance of holding a job.",
        "Employment rate",
    ),
)
"""Employment of MC holders, non-holders and everyone, derived from the ``mc_status`` rows of the
groups table by :func:`employment_by_holding`."""


def employment_by_holding(groups: pa.Table, students: Mapping[str, int]) -> pa.Table:
    """Employment of MC holders, non-holders and everyone, month by month, from a groups table.

    Sums the ``employed`` and ``labour_force`` counts of the ``mc_status`` groups into
    :data:`HOLDING_GROUPS` and computes :data:`EMPLOYMENT_MEASURES` from the sums, so the counts
    of holders and non-holders add up to the total (up to rounding in the last bit).

    Args:
        groups: A groups table with ``scenario``, ``seed``, ``month``, ``group_kind``, ``group``,
            ``employed`` and ``labour_force``.
        students: The population setting of each scenario of the table.

    Returns:
        Columns ``scenario``, ``seed``, ``month``, ``group`` (a :data:`HOLDING_GROUPS` label),
        ``employed``, ``labour_force`` and each measure.
    """
    rows = groups.filter(pc.equal(groups.column("group_kind"), "mc_status"))
    holder = pc.is_in(rows.column("group"), pa.array(MC_HOLDER_GROUPS))
    keys = ["scenario", "seed", "month"]
    sums = ["employed", "labour_force"]
    parts = []
    for label, mask in (
        ("mc_holders", holder),
        ("non_holders", pc.invert(holder)),
        ("total", pa.array(np.ones(rows.num_rows, dtype=bool))),
    ):
        summed = rows.filter(mask).group_by(keys).aggregate([(c, "sum") for c in sums])
        summed = summed.rename_columns([c.removesuffix("_sum") for c in summed.column_names])
        parts.append(summed.append_column("group", pa.array([label] * summed.num_rows)))
    table = pa.concat_tables(parts)
    employed = table.column("employed").to_numpy()
    per = np.array([students[s] for s in table.column("scenario").to_pylist()], dtype=np.float64)
    labour_force = table.column("labour_force").to_numpy()
    table = table.append_column("employed_per_1000_students", pa.array(1000.0 * employed / per))
    table = table.append_column(
        "labour_force_per_1000_students", pa.array(1000.0 * labour_force / per)
    )
    return table.append_column("employment_rate", pa.array(_ratio(employed, labour_force)))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _grouped_median(
    group: np.ndarray, values: np.ndarray, n_groups: int, *, values_sorted: bool = False
) -> np.ndarray:
    """Median of ``values`` within each group (NaN for empty groups).

    ``values_sorted``: the values are ascending, so a stable sort by group orders them too.
    """
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    order = np.argsort(group, kind="stable") if values_sorted else np.lexsort((values, group))
    g, v = group[order], values[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


# Every kind's groups side by side, in table order: kind k holds groups _OFFSETS[k] to
# _OFFSETS[k + 1] - 1.
_OFFSETS = np.cumsum([0, *(len(k.groups) for k in GROUP_KINDS)])
N_GROUPS = int(_OFFSETS[-1])
"""Groups of every kind: the rows of the groups table each month."""


def _group_of_state(kind: GroupKind, offset: int) -> np.ndarray:
    group = np.asarray(kind.assign(STATES))
    # A state no person can be in (university type 3) belongs to no group: index N_GROUPS.
    return np.where(group < len(kind.groups), group + offset, N_GROUPS)


assert N_GROUPS < 127, "group indices fit int8"
_GROUP_OF_STATE = np.stack(
    [_group_of_state(k, off) for k, off in zip(GROUP_KINDS, _OFFSETS[:-1], strict=True)]
).astype(np.int8)  # small integers: a stable argsort of them is a radix sort
"""Group of every packed state (:data:`sim.observe.metrics.STATES`) for each kind: (kinds,
states)."""

_KIND_LABELS = np.array([k.name for k in GROUP_KINDS for _ in k.groups], dtype=object)
_GROUP_LABELS = np.array([g for k in GROUP_KINDS for g in k.groups], dtype=object)

_ACTIVE = STATES.status >= ENROLLED
_COUNTS: dict[str, np.ndarray] = {
    "population": _ACTIVE,
    "enrolled": STATES.status == ENROLLED,
    "labour_force": STATES.status >= GRADUATE,
    "employed": _ACTIVE & STATES.employed,
    "enrolled_mc": (STATES.status == ENROLLED) & STATES.has_mc,
    "enrolled_genai": (STATES.status == ENROLLED) & STATES.has_genai,
    "recent_graduate": _ACTIVE & STATES.recent_graduate,
    "recent_unemployed": _ACTIVE & STATES.recent_graduate & ~STATES.employed,
}
"""The people counts the outcomes need, each as the packed states it sums (free rows in none)."""
_COUNT_STATES = np.column_stack(list(_COUNTS.values())).astype(np.float64)


def _sum_by_group(by_state: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """Each column of ``by_state`` (states x columns) summed over each group's states, for every
    kind: (groups x columns). Only the ``occupied`` states (the others hold zeros) are read.

    One weighted ``bincount``, not a matrix product: a threaded BLAS call stalls when the other
    cores are busy (as in a sweep) and leaves its threads spinning on them.
    """
    columns = by_state.shape[1]
    key = _GROUP_OF_STATE[:, occupied].astype(np.intp)[:, :, None] * columns + np.arange(columns)
    weights = np.broadcast_to(by_state[occupied], key.shape)
    sums = np.bincount(key.ravel(), weights.ravel(), minlength=(N_GROUPS + 1) * columns)
    return sums.reshape(N_GROUPS + 1, columns)[:N_GROUPS]


def outcomes(model: HiringModel, view: MonthView) -> dict[str, np.ndarray]:
    """Every outcome column for every group of every kind in the view's month, in table order
    (length :data:`N_GROUPS`)."""
    by_state = np.column_stack([_COUNT_STATES * view.people[:, None], view.employed_skill])
    # Counts are sums of whole numbers below 2**53: exact in float64, in any order.
    *counts, skill_sum = _sum_by_group(by_state, np.flatnonzero(view.people)).T
    n = dict(zip(_COUNTS, counts, strict=True))

    hires = model.record.market_round.hires
    kinds = len(GROUP_KINDS)
    group = _GROUP_OF_STATE[:, view.state[hires.person]]  # (kinds, hires)
    # Each kind's hires in hire order, kind after kind: every group's sum runs in hire order.
    hire_count = np.bincount(group.ravel(), minlength=N_GROUPS + 1)[:N_GROUPS].astype(np.float64)
    salary_sum = np.bincount(
        group.ravel(), weights=np.tile(hires.salary, kinds), minlength=N_GROUPS + 1
    )[:N_GROUPS]
    order = np.argsort(hires.salary)  # ties need no order: a median reads values only
    median = _grouped_median(
        group[:, order].ravel(),
        np.tile(hires.salary[order], kinds),
        N_GROUPS + 1,
        values_sorted=True,
    )[:N_GROUPS]
    return {
        "population": n["population"],
        "enrolled": n["enrolled"],
        "labour_force": n["labour_force"],
        "employed": n["employed"],
        "employment_rate": _ratio(n["employed"], n["labour_force"]),
        "mc_holder_share": _ratio(n["enrolled_mc"], n["enrolled"]),
        "genai_mc_share": _ratio(n["enrolled_genai"], n["enrolled"]),
        "recent_grad_unemployment_rate": _ratio(n["recent_unemployed"], n["recent_graduate"]),
        "hires": hire_count,
        "mean_starting_salary": _ratio(salary_sum, hire_count),
        "median_starting_salary": median,
        "mean_skill_employed": _ratio(skill_sum, n["employed"]),
    }


class GroupRecorder:
    """Collects the groups table month by month, as column chunks (no per-person loop)."""

    def __init__(self) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def collect(self, model: HiringModel, view: MonthView) -> None:
        """Record every group kind's outcomes for the model's current month."""
        cols = outcomes(model, view)
        cols["month"] = np.full(N_GROUPS, model.month, dtype=np.int32)
        cols["group_kind"] = _KIND_LABELS
        cols["group"] = _GROUP_LABELS
        self._chunks.append(cols)

    def table(self) -> pa.Table:
        """The groups table: ``month``, ``group_kind``, ``group`` and every outcome column."""
        names = ("month", "group_kind", "group", *(c for c, _ in GROUP_COLUMNS))
        columns: dict[str, pa.Array] = {}
        for name in names:
            values: np.ndarray | list[object] = (
                np.concatenate([c[name] for c in self._chunks]) if self._chunks else []
            )
            if name == "month":
                columns[name] = pa.array(values, pa.int32())
            elif name in ("group_kind", "group"):
                columns[name] = pa.array(values, pa.string())
            else:
                columns[name] = pa.array(values, pa.float64())
        return pa.table(columns)


assert DROPOUT - ENROLLED == 2 and GRADUATE - ENROLLED == 1, "pathway labels follow status codes"
