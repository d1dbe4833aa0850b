"""The stock of open vacancies: posted when a position is open, kept until filled or withdrawn.

Every entry-level position is either filled (a worker, or a student who accepted an offer that
starts at graduation) or open, and every open position is one vacancy in the stock: after each
change of positions or jobs, :meth:`VacancyStock.post` tops each employer's vacancies up to its
open positions, so ``vacancies of e == positions[e] - filled[e]`` holds by construction. A vacancy
remembers the month it was posted and the applications it has received; the matching round
(:func:`sim.model.market.match`) fills some, the rest stay open into the next month. Withdrawals
close the position with the vacancy (:func:`sim.model.demand.adjust_positions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.agents import EmployerTable


@dataclass
class VacancyStock:
    """The open vacancies, one entry per vacancy, in posting order.

    Attributes:
        employer: Employer of each vacancy (int32).
        posted: Month each vacancy was posted (int32).
        applications: Applications each has received since it was posted (int32).
    """

    employer: np.ndarray
    posted: np.ndarray
    applications: np.ndarray

    @classmethod
    def empty(cls) -> VacancyStock:
        """No vacancies."""
        return cls(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.int32))

    @property
    def size(self) -> int:
        """Vacancies open."""
        return int(self.employer.size)

    def by_employer(self, n_employers: int) -> np.ndarray:
        """Open vacancies of each employer (int64)."""
        return np.bincount(self.employer, minlength=n_employers)

    def post(self, emp: EmployerTable, month: int) -> int:
        """Post a vacancy for every open position that has none. Returns how many were posted."""
        missing = emp.positions - emp.filled - self.by_employer(emp.positions.size)
        missing = np.maximum(missing, 0)
        new = np.repeat(np.arange(missing.size, dtype=np.int32), missing)
        if new.size:
            self.employer = np.concatenate([self.employer, new])
            self.posted = np.concatenate([self.posted, np.full(new.size, month, np.int32)])
            self.applications = np.concatenate([self.applications, np.zeros(new.size, np.int32)])
        return int(new.size)

    def remove(self, gone: np.ndarray) -> None:
        """Remove the vacancies at positions ``gone`` (filled or withdrawn)."""
        if gone.size == 0:
            return
        keep = np.ones(self.size, dtype=bool)
        keep[gone] = False
        self.employer = self.employer[keep]
        self.posted = self.posted[keep]
        self.applications = self.applications[keep]
