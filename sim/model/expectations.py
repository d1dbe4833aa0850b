"""Expected returns: what students believe an MC is worth, learned from the hires they observe.

Once a month, after the matching round, the month's hires give a *realised raw premium* for each
credential: the mean starting salary of the hires holding it over that of the hires holding no MC,
minus 1 (a share of pay, raw: selection and ranking included, as a student would see it). The
credentials are any MC, a credit-bearing MC and a GenAI MC. A month in which either side has
fewer than ``students.expectation_min_hires`` hires yields no observation.

Students see the realised premium ``students.expectation_lag_months`` months late and move their
expectation toward it by ``students.expectation_weight`` (adaptive expectations,
``expected += weight * (observed - expected)``). Expectations start at the baseline's realised
premiums (``students.reference_*_premium``), so the calibrated baseline stays calibrated; a weight
of 0 keeps them there (today's fixed beliefs).

The choices respond to the change in expected return from that reference (:func:`response`):
each propensity is multiplied by ``exp(students.return_elasticity * change)``, the change being
that of the premium of what the choice picks over its alternative: an MC over none for the start
(a credit-bearing MC for students whose university offers credit), credit-bearing over any MC for
the credit choice, GenAI over any MC for the GenAI choice. With the elasticity at 0 nothing is
multiplied and no draw changes (common random numbers with the mechanism-free model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.inputs.params import Params

CREDENTIALS: tuple[str, ...] = ("mc", "cb", "genai")
"""The credentials whose premium students follow, in array order."""

REFERENCE_PARAMS: tuple[str, ...] = tuple(f"students.reference_{c}_premium" for c in CREDENTIALS)

MAX_LAG = 36
"""Months of realised premiums kept (the upper bound of ``students.expectation_lag_months``)."""


@dataclass(frozen=True)
class Response:
    """Multipliers on the choices this month (1.0 each when students do not respond).

    Each choice follows the change in the expected return of what it chooses over its
    alternative: starting an MC over none (the plain MC premium, or the credit-bearing one for
    students whose university offers credit), credit over no credit (the credit-bearing premium
    over the MC premium), GenAI over another MC (the GenAI premium over the MC premium).

    Attributes:
        start: On the MC start propensity of those who cannot earn credit.
        start_credit: On the MC start propensity of students at credit-bearing universities.
        credit: On the probability that a started MC is credit-bearing (where offered).
        genai: On the probability that a started MC is a GenAI MC.
    """

    start: float = 1.0
    start_credit: float = 1.0
    credit: float = 1.0
    genai: float = 1.0


NO_RESPONSE = Response()


@dataclass
class Expectations:
    """Students' expected premiums and the realised premiums behind them.

    Attributes:
        expected: Expected premium of each credential (:data:`CREDENTIALS`), share of pay.
        realised: This month's realised raw premium of each credential (NaN when a side had no
            hires).
        observed: Realised premiums by month, a ring buffer of ``MAX_LAG + 1`` rows (row
            ``month % (MAX_LAG + 1)``), NaN where the month gave no observation.
    """

    expected: np.ndarray
    realised: np.ndarray
    observed: np.ndarray

    @classmethod
    def start(cls, p: Params) -> Expectations:
        """Expectations at the reference (baseline) premiums, nothing observed yet."""
        return cls(
            expected=np.array([float(p[name]) for name in REFERENCE_PARAMS]),
            realised=np.full(len(CREDENTIALS), np.nan),
            observed=np.full((MAX_LAG + 1, len(CREDENTIALS)), np.nan),
        )


def realised_premiums(salary: np.ndarray, held: np.ndarray, min_hires: int = 1) -> np.ndarray:
    """Raw premium of each credential over no MC among the month's hires.

    The premium of a credential is the mean salary of the hires holding it over that of the hires
    holding no MC, minus 1.

    Args:
        salary: Salary of each hire.
        held: Whether each hire holds each credential (:data:`CREDENTIALS`, the first being any
            MC), shape ``(len(CREDENTIALS), hires)``.
        min_hires: Fewest hires on either side for a premium (NaN otherwise).

    Returns:
        One premium per credential, NaN where a side has fewer than ``min_hires`` hires.
    """
    salary = salary.astype(np.float64)
    none = ~held[0]
    n_none = np.count_nonzero(none)
    n = np.count_nonzero(held, axis=1)
    out = np.full(held.shape[0], np.nan)
    if n_none < max(min_hires, 1):
        return out
    base = salary[none].sum() / n_none
    ok = n >= max(min_hires, 1)
    out[ok] = np.where(held[ok], salary, 0.0).sum(axis=1) / n[ok] / base - 1.0
    return out


def update(
    e: Expectations,
    p: Params,
    month: int,
    salary: np.ndarray,
    held: np.ndarray,
) -> None:
    """Record the month's realised premiums and move expectations toward the lagged ones.

    Args:
        e: The expectations, updated in place.
        p: Parameters in force.
        month: The month just matched.
        salary: Salary of each of the month's hires.
        held: Credentials held by each hire, shape ``(len(CREDENTIALS), hires)``.
    """
    e.realised = realised_premiums(salary, held)
    min_hires = int(p["students.expectation_min_hires"])
    counted = realised_premiums(salary, held, min_hires) if min_hires > 1 else e.realised
    rows = MAX_LAG + 1
    e.observed[month % rows] = counted
    weight = p["students.expectation_weight"]
    if weight == 0.0:
        return
    seen = e.observed[(month - int(p["students.expectation_lag_months"])) % rows]
    moved = np.isfinite(seen)
    e.expected[moved] += weight * (seen[moved] - e.expected[moved])


def response(e: Expectations, p: Params) -> Response:
    """This month's choice multipliers, each ``exp(elasticity * change in expected return)``.

    The change is the expected premium minus its reference: for the credit and GenAI choices, that
    of the credential's premium over the MC premium. Returns :data:`NO_RESPONSE` (no
    multiplication anywhere) when the elasticity is 0.
    """
    elasticity = p["students.return_elasticity"]
    if elasticity == 0.0:
        return NO_RESPONSE
    mc, cb, genai = (
        float(x) - float(p[name]) for x, name in zip(e.expected, REFERENCE_PARAMS, strict=True)
    )
    return Response(
        start=math.exp(elasticity * mc),
        start_credit=math.exp(elasticity * cb),
        credit=math.exp(elasticity * (cb - mc)),
        genai=math.exp(elasticity * (genai - mc)),
    )
