"""End-of-run snapshots of students and employers as Arrow tables (``hiresim run --agents``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sim.inputs.params import DISCIPLINES
from sim.model import wages
from sim.model.population import FREE, NEVER, STATUS_NAMES

if TYPE_CHECKING:
    from sim.model.model import HiringModel


def _labels(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Codes as a dictionary-encoded string column."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(names), pa.string())
    )


def students_table(model: HiringModel) -> pa.Table:
    """One row per person the model follows at the end of the run."""
    pop = model.population
    rows = np.flatnonzero(pop.status != FREE)
    status_names = [STATUS_NAMES[k] for k in sorted(STATUS_NAMES)]
    exit_month = pop.exit_month[rows]
    return pa.table(
        {
            "person": pa.array(rows, pa.int64()),
            "status": _labels(pop.status[rows], status_names),
            "university": pa.array(pop.university[rows], pa.int32()),
            "discipline": _labels(pop.discipline[rows], DISCIPLINES),
            "ability": pa.array(pop.ability[rows]),
            "skill": pa.array(pop.skill[rows]),
            "ai_skill": pa.array(pop.ai_skill[rows]),
            "engaged": pa.array(pop.engaged[rows]),
            "has_mc": pa.array(pop.has_mc[rows]),
            "has_credit_bearing_mc": pa.array(pop.has_cb[rows]),
            "has_genai_mc": pa.array(pop.has_genai[rows]),
            "mc_count": pa.array(pop.mc_count[rows]),
            "exit_month": pa.array(
                np.where(exit_month == NEVER, 0, exit_month), mask=exit_month == NEVER
            ),
            "employer": pa.array(pop.employer[rows], mask=pop.employer[rows] < 0),
            "salary": pa.array(pop.salary[rows]),
            "experience_months": pa.array(pop.experience(model.month, rows), pa.int32()),
        }
    )


def employers_table(model: HiringModel) -> pa.Table:
    """One row per employer at the end of the run."""
    emp, p = model.employers, model.p
    return pa.table(
        {
            "employer": pa.array(np.arange(emp.sector.size), pa.int32()),
            "sector": _labels(emp.sector, DISCIPLINES),
            "demand_share": pa.array(emp.demand_share),
            "positions": pa.array(emp.positions),
            "filled": pa.array(emp.filled),
            "base_pay": pa.array(emp.base_pay),
            "premium_rate": pa.array(wages.premium_rates(emp, p)),
            "mc_worth": pa.array(emp.value[:, 0]),
            "genai_worth": pa.array(emp.value[:, 1]),
            "last_hire_month": pa.array(emp.last_hire),
        }
    )
