"""The people of the model as struct-of-arrays numpy state: one row per person, one array per field.

A person enters as an enrolled student, leaves university as a graduate or a dropout, then stays
in the early-career labour market for ``market.career_window_months`` before leaving the model.
Rows whose person has left are ``FREE`` and are reused by later intakes, so the arrays stay near
the size of the active population. Every rule acts on whole arrays (or index subsets of them); no
code loops over people.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass, fields

import numpy as np

FREE, ENROLLED, GRADUATE, DROPOUT = 0, 1, 2, 3
STATUS_NAMES: dict[int, str] = {FREE: "free", ENROLLED: "enrolled", GRADUATE: "graduate",
                                DROPOUT: "dropout"}  # fmt: skip

NO_EMPLOYER = -1
NEVER = np.iinfo(np.int32).min // 2
"""Sentinel month for 'has not happened'."""

MC_REGULAR, MC_GENAI = 0, 1

ABILITY_QUARTILE_CUTS = np.array([-0.6744897501960817, 0.0, 0.6744897501960817], np.float32)
"""Quartile boundaries of latent ability (standard normal), fixed at entry."""


def ability_quartile(ability: np.ndarray | np.floating) -> np.ndarray:
    """Quartile index (0 = lowest) of each ability: how many cuts lie strictly below it."""
    cuts = ABILITY_QUARTILE_CUTS
    return (ability > cuts[0]).view(np.int8) + (ability > cuts[1]) + (ability > cuts[2])


@dataclass
class Population:
    """Struct-of-arrays state of every person the model follows.

    Attributes:
        status: ``FREE``, ``ENROLLED``, ``GRADUATE`` or ``DROPOUT`` (int8).
        university: Index of the person's university (int32).
        discipline: Index into :data:`sim.inputs.params.DISCIPLINES` (int8).
        ability: Latent ability, standard normal, fixed at entry (float32).
        ability_quartile: :func:`ability_quartile` of ``ability``, kept with it (int8; that of
            the blank ability, 0, on a free row). Set both with :meth:`set_ability`.
        skill: Human capital in SDs of entry skill; grows with study and MCs (float32).
        ai_skill: AI skill; grows with GenAI MCs and AI literacy (float32).
        interest_draw: Uniform draw compared with the stated-interest share (float32).
        engaged: Whether the student is engaged in the programme (bool).
        entry_month: Month the person enrolled (int32).
        months_enrolled: Months spent in the programme so far (int16).
        ai_literacy_months: Enrolled months at a university with AI literacy (int16).
        exit_month: Month the person left university, ``NEVER`` while enrolled (int32).
        has_mc: Holds at least one completed microcredential (bool).
        has_cb: Holds a credit-bearing MC (bool).
        has_genai: Holds a GenAI MC (bool).
        mc_count: Completed MCs (int8, saturating).
        mc_end_month: Month the MC in progress ends, ``NEVER`` when none (int32).
        mc_kind: Kind of the MC in progress, ``MC_REGULAR`` or ``MC_GENAI`` (int8).
        mc_cb: Whether the MC in progress is credit-bearing (bool).
        employer: Index of the current employer, ``NO_EMPLOYER`` when not employed (int32).
        salary: Current annual salary, 0 when not employed (float32).
        hired_month: Month the current job started (int32).
        experience_months: Months employed before the current job (int16).
        unemployed_since: Month the current unemployment spell began (int32).
        offer_employer: Employer whose offer a final-year student accepted, ``NO_EMPLOYER`` when
            none; the job starts at graduation (int32).
        offer_salary: Annual salary of that offer, 0 when none (float32).
    """

    status: np.ndarray
    university: np.ndarray
    discipline: np.ndarray
    ability: np.ndarray
    ability_quartile: np.ndarray
    skill: np.ndarray
    ai_skill: np.ndarray
    interest_draw: np.ndarray
    engaged: np.ndarray
    entry_month: np.ndarray
    months_enrolled: np.ndarray
    ai_literacy_months: np.ndarray
    exit_month: np.ndarray
    has_mc: np.ndarray
    has_cb: np.ndarray
    has_genai: np.ndarray
    mc_count: np.ndarray
    mc_end_month: np.ndarray
    mc_kind: np.ndarray
    mc_cb: np.ndarray
    employer: np.ndarray
    salary: np.ndarray
    hired_month: np.ndarray
    experience_months: np.ndarray
    unemployed_since: np.ndarray
    offer_employer: np.ndarray
    offer_salary: np.ndarray

    def __post_init__(self) -> None:
        self._mc_ending: dict[int, list[np.ndarray]] = {}
        self._exits: dict[int, list[np.ndarray]] = {}
        # (cut, above, mask, rows) of the last ability_beyond call, kept current as rows change.
        self._beyond: tuple[float, bool, np.ndarray, np.ndarray] | None = None
        # (table, table.take(university)) of the last by_university call, kept current likewise.
        self._by_university: tuple[np.ndarray, np.ndarray] | None = None

    def set_university(self, rows: np.ndarray, university: np.ndarray) -> None:
        """Set the university of ``rows`` (new people), keeping :meth:`by_university` current.

        Set ``university`` only through this method (or :func:`reset_rows`).
        """
        self.university[rows] = university
        if self._by_university is not None:
            table, values = self._by_university
            values[rows] = table.take(university)

    def by_university(self, table: np.ndarray) -> np.ndarray:
        """``table.take(university)``: a value of each row's university (a free row's university,
        -1, reads the last entry).

        Kept from call to call while ``table`` is unchanged, and updated where rows are filled or
        freed: a pass over every row only when the table changes. Callers must not modify it.
        """
        if self._by_university is not None:
            kept, values = self._by_university
            if kept.dtype == table.dtype and np.array_equal(kept, table):
                return values
        values = table.take(self.university)
        self._by_university = (table.copy(), values)
        return values

    def set_ability(self, rows: np.ndarray, ability: np.ndarray) -> None:
        """Set the ability of ``rows`` (new people), with what is kept from it.

        Set ``ability`` only through this method (or :func:`reset_rows`), so the ability
        quartile and :meth:`ability_beyond` stay current.
        """
        self.ability[rows] = ability
        self.ability_quartile[rows] = ability_quartile(ability)
        if self._beyond is not None:
            cut, above, mask, beyond_rows = self._beyond
            beyond = ability > cut if above else ability < cut
            mask[rows] = beyond
            if beyond.any():
                self._beyond = (cut, above, mask, np.union1d(beyond_rows, rows[beyond]))

    def ability_beyond(self, cut: float, above: bool) -> tuple[np.ndarray, np.ndarray]:
        """Mask of the rows whose ability is beyond ``cut`` (above it, or below it when not
        ``above``), and those rows, ascending: ``mask`` and ``flatnonzero(mask)``.

        Ability is fixed at entry, so both are kept from call to call for the same cut, and
        updated where rows are filled or freed: a pass over every row only when the cut changes.
        Callers must not modify them.
        """
        cut, above = float(cut), bool(above)
        if self._beyond is not None and self._beyond[:2] == (cut, above):
            mask, rows = self._beyond[2:]
            rows = rows[mask[rows]]  # rows freed since the last call are no longer beyond
        else:
            mask = self.ability > cut if above else self.ability < cut
            rows = np.flatnonzero(mask)
        self._beyond = (cut, above, mask, rows)
        return mask, rows

    def _blank_rows_changed(self, rows: np.ndarray | None) -> None:
        """Update what is kept from ability and university for ``rows`` reset to blank (None:
        rows appended)."""
        if self._by_university is not None:
            table, values = self._by_university
            blank = table.take(int(_DTYPES["university"][1]))
            if rows is None:
                grown = np.full(self.capacity, blank, dtype=values.dtype)
                grown[: values.size] = values
                self._by_university = (table, grown)
            else:
                values[rows] = blank
        if self._beyond is None:
            return
        cut, above, mask, beyond_rows = self._beyond
        blank = np.float32(_DTYPES["ability"][1])
        if (blank > cut) if above else (blank < cut):
            self._beyond = None  # a blank row is beyond the cut: recomputed at the next call
        elif rows is None:
            grown = np.zeros(self.capacity, dtype=bool)
            grown[: mask.size] = mask
            self._beyond = (cut, above, grown, beyond_rows)
        else:
            mask[rows] = False

    def set_exit_month(self, rows: np.ndarray, month: int | np.ndarray) -> None:
        """Set ``exit_month`` of ``rows`` to ``month`` (one month, or one per row) and remember
        them in the bucket of their exit month.

        Set ``exit_month`` only through this method, so :meth:`exited_by` can find the people
        whose exit month has passed without scanning every row.
        """
        self.exit_month[rows] = month
        if rows.size == 0:
            return
        if np.ndim(month) == 0:
            self._exits.setdefault(int(month), []).append(rows)
            return
        months = np.asarray(month, dtype=np.int64)
        # Rows grouped by month, ascending within each (a stable sort; a radix sort of int16
        # offsets when the months span less than 2**15, as they do: one career window).
        low = int(months.min())
        offset = months - low
        if int(offset.max()) < 1 << 15:
            offset = offset.astype(np.int16)
        order = np.argsort(offset, kind="stable")
        grouped = months[order]
        starts = np.flatnonzero(grouped[1:] != grouped[:-1]) + 1
        keys = grouped[np.concatenate([[0], starts])]
        for key, part in zip(keys, np.split(rows[order], starts), strict=True):
            self._exits.setdefault(int(key), []).append(part)

    def exited_by(self, month: int) -> np.ndarray:
        """Graduates and dropouts who left university at or before ``month``, ascending:
        ``flatnonzero((exit_month <= month) & (status >= GRADUATE))``.

        Read from the buckets of exit months up to ``month`` (and those buckets dropped), keeping
        only rows that still qualify (a person who left the model, or a reused row, is skipped).
        Callers must remove the rows returned, as they are no longer in any bucket.
        """
        keys = [key for key in self._exits if key <= month]
        if not keys:
            return np.empty(0, dtype=np.int64)
        parts = [rows for key in keys for rows in self._exits.pop(key)]
        rows = np.concatenate(parts)
        rows = rows[(self.exit_month[rows] <= month) & (self.status[rows] >= GRADUATE)]
        if len(parts) > 1:
            # Each part is ascending: a stable (merge) sort of a few runs, then repeats dropped.
            rows.sort(kind="stable")
            rows = rows[np.concatenate([[True], rows[1:] != rows[:-1]])]
        return rows

    def schedule_mc_end(self, rows: np.ndarray, month: int) -> None:
        """Set ``mc_end_month`` of ``rows`` to ``month`` and remember them in that month's bucket.

        Set ``mc_end_month`` only through this method, so :meth:`mcs_ending` can find the MCs that
        end in a month without scanning every row.
        """
        self.mc_end_month[rows] = month
        if rows.size:
            self._mc_ending.setdefault(int(month), []).append(rows)

    def mcs_ending(self, month: int) -> np.ndarray:
        """Rows whose MC ends in ``month``, ascending: ``flatnonzero(mc_end_month == month)``.

        Read from the month's bucket (and the bucket dropped), keeping only rows whose end month
        is still ``month`` (a person who left the model, or a reused row, is skipped).
        """
        bucket = self._mc_ending.pop(int(month), None)
        if not bucket:
            return np.empty(0, dtype=np.int64)
        # Usually one array, from one month's starts (ascending, distinct): no sort needed.
        rows = bucket[0] if len(bucket) == 1 else np.unique(np.concatenate(bucket))
        return rows[self.mc_end_month[rows] == month]

    @classmethod
    def empty(cls, capacity: int) -> Population:
        """A population of ``capacity`` FREE rows."""
        keep_freed_memory()
        n = int(capacity)
        return cls(**{name: _blank(name, n) for name in _FIELDS})

    @property
    def capacity(self) -> int:
        """Number of rows, free or not."""
        return int(self.status.shape[0])

    def grow(self, extra: int) -> None:
        """Append ``extra`` FREE rows (amortised: callers ask for generous growth)."""
        for name in _FIELDS:
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, _blank(name, extra)]))
        self._blank_rows_changed(None)

    def free_rows(self, n: int) -> np.ndarray:
        """Indices of ``n`` FREE rows, growing the arrays when there are too few."""
        free = np.flatnonzero(self.status == FREE)
        if free.size < n:
            self.grow(max(n - free.size, self.capacity // 2))
            free = np.flatnonzero(self.status == FREE)
        return free[:n]

    def employed(self) -> np.ndarray:
        """Boolean mask of people holding a job."""
        return self.employer != NO_EMPLOYER

    def experience(self, month: int, rows: np.ndarray) -> np.ndarray:
        """Months of work experience of ``rows`` at ``month`` (past jobs plus the current one)."""
        employed = self.employer[rows] != NO_EMPLOYER
        current = np.where(employed, month - self.hired_month[rows], 0)
        return self.experience_months[rows] + current


_DTYPES: dict[str, tuple[np.dtype, int | float]] = {
    "status": (np.dtype(np.int8), FREE),
    "university": (np.dtype(np.int32), -1),
    "discipline": (np.dtype(np.int8), 0),
    "ability": (np.dtype(np.float32), 0.0),
    "ability_quartile": (np.dtype(np.int8), 1),  # ability_quartile(0.0): set with ability
    "skill": (np.dtype(np.float32), 0.0),
    "ai_skill": (np.dtype(np.float32), 0.0),
    "interest_draw": (np.dtype(np.float32), 1.0),
    "engaged": (np.dtype(bool), False),
    "entry_month": (np.dtype(np.int32), NEVER),
    "months_enrolled": (np.dtype(np.int16), 0),
    "ai_literacy_months": (np.dtype(np.int16), 0),
    "exit_month": (np.dtype(np.int32), NEVER),
    "has_mc": (np.dtype(bool), False),
    "has_cb": (np.dtype(bool), False),
    "has_genai": (np.dtype(bool), False),
    "mc_count": (np.dtype(np.int8), 0),
    "mc_end_month": (np.dtype(np.int32), NEVER),
    "mc_kind": (np.dtype(np.int8), MC_REGULAR),
    "mc_cb": (np.dtype(bool), False),
    "employer": (np.dtype(np.int32), NO_EMPLOYER),
    "salary": (np.dtype(np.float32), 0.0),
    "hired_month": (np.dtype(np.int32), NEVER),
    "experience_months": (np.dtype(np.int16), 0),
    "unemployed_since": (np.dtype(np.int32), NEVER),
    "offer_employer": (np.dtype(np.int32), NO_EMPLOYER),
    "offer_salary": (np.dtype(np.float32), 0.0),
}
_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Population))
assert set(_FIELDS) == set(_DTYPES), "every Population field needs a dtype and a blank value"
assert ability_quartile(np.float32(_DTYPES["ability"][1])) == _DTYPES["ability_quartile"][1]


_ALLOCATOR_TUNED = False


def keep_freed_memory() -> None:
    """Let this process reuse freed memory for the month's large temporary arrays (glibc only).

    Every month allocates and frees arrays of millions of elements. glibc's default returns them
    to the system (``mmap``/``munmap``, heap trimming), so each new array is faulted in and
    zeroed page by page again: about a quarter of the run time at a million students. Serving
    arrays up to 32 MiB from the heap and trimming it only past 1 GiB of free space removes those
    page faults (peak RSS is unchanged: freed memory is reused, not added). Runs once per process;
    a no-op off glibc or when a ``MALLOC_*`` variable chooses the allocator settings. Results do
    not depend on it.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return
    _ALLOCATOR_TUNED = True
    if any(name.startswith("MALLOC_") for name in os.environ):
        return
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)
    mallopt(m_top_pad, 64 << 20)


def _blank(name: str, n: int) -> np.ndarray:
    dtype, fill = _DTYPES[name]
    return np.full(n, fill, dtype=dtype)


def reset_rows(pop: Population, rows: np.ndarray) -> None:
    """Return ``rows`` to their blank (FREE) values: the one way a person leaves the model."""
    for name in _FIELDS:
        _, fill = _DTYPES[name]
        getattr(pop, name)[rows] = fill
    pop._blank_rows_changed(rows)
