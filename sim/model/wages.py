"""What employers offer and what they learn a credential is worth (the ``employers`` stream).

An offer is the employer's base pay, scaled by the return to the applicant's skill signal relative
to the signal base pay is meant for (``wages.reference_signal``), plus
the MC premium at employers that pay one (E2: 9 in 10 state they would, 10-15%, through
``employers.premium_conversion``). Employers observe each hire's productivity and keep a
discounted record of how holders of each credential compare with all their hires. The learned
worth (1 = the prior belief) scales both the credential's weight in ranking and the premium, by
``employers.credential_learning``. Because holders are compared with the average hire, a
credential that everybody holds stops being worth anything: credential inflation can happen, it is
not assumed away. The productivity employers observe in all their hires (skill and AI skill) also
reaches pay: a share ``wages.productivity_pass_through`` of its difference from the reference
(:func:`pay_level`); the rest lowers the cost of output and raises labour demand
(:mod:`sim.model.demand`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.inputs.params import Params
from sim.model.agents import EmployerTable


@dataclass(frozen=True)
class Hires:
    """The month's hires, one entry per hire.

    Attributes:
        person: Population rows hired.
        employer: Employer of each hire.
        salary: Annual salary agreed.
        has_mc: Whether the hire holds an MC.
        has_genai: Whether the hire holds a GenAI MC.
    """

    person: np.ndarray
    employer: np.ndarray
    salary: np.ndarray
    has_mc: np.ndarray
    has_genai: np.ndarray

    @classmethod
    def none(cls) -> Hires:
        """No hires."""
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, np.empty(0, np.float64), np.empty(0, bool), np.empty(0, bool))


def learned_worth(emp: EmployerTable, p: Params) -> np.ndarray:
    """Effective worth of each credential to each employer, shape ``(E, 2)`` (1 = prior belief)."""
    lam = p["employers.credential_learning"]
    return 1.0 - lam + lam * emp.value


def premium_rates(emp: EmployerTable, p: Params) -> np.ndarray:
    """Premium each employer pays an eligible MC holder, as a share of salary (0 if none)."""
    if not p["employers.premium_enabled"]:
        return np.zeros(emp.base_pay.size)
    pays = emp.premium_draw < p["employers.premium_share"] * p["employers.premium_conversion"]
    lo, hi = p["employers.premium_min"], p["employers.premium_max"]
    rate = lo + emp.premium_level * (hi - lo)
    return np.where(pays, rate * np.maximum(learned_worth(emp, p)[:, 0], 0.0), 0.0)


def observed_productivity(emp: EmployerTable, p: Params) -> float:
    """Mean productivity employers have observed in their hires (their discounted records,
    pooled over employers); the reference productivity before any hire."""
    n = float(emp.all_n.sum())
    return float(emp.all_sum.sum()) / n if n > 0 else float(p["wages.reference_productivity"])


def pay_level(emp: EmployerTable, p: Params) -> float:
    """Factor on every offer for the productivity employers observe: the pass-through share of
    its log-output difference from the reference (1 at the reference)."""
    gap = observed_productivity(emp, p) - p["wages.reference_productivity"]
    return math.exp(p["wages.skill_return"] * p["wages.productivity_pass_through"] * gap)


def offer_salary(
    emp: EmployerTable,
    p: Params,
    employer: np.ndarray,
    signal: np.ndarray,
    has_mc: np.ndarray,
    has_cb: np.ndarray,
    rates: np.ndarray | None = None,
    level: float | None = None,
) -> np.ndarray:
    """Annual salary offered to applicants with skill ``signal`` by employers ``employer``.

    Each offer is computed on its own (element by element), so offers computed for a subset of
    applications equal those computed for all of them. ``rates``: :func:`premium_rates`, and
    ``level``: :func:`pay_level`, when the caller has them.
    """
    if rates is None:
        rates = premium_rates(emp, p)
    if level is None:
        level = pay_level(emp, p)
    relative = signal - p["wages.reference_signal"]
    pay = (emp.base_pay[employer] * level) * np.exp(p["wages.skill_return"] * relative)
    eligible = has_cb if p["employers.premium_requires_credit_bearing"] else has_mc
    return pay * (1.0 + np.where(eligible, rates[employer], 0.0))


def learn(
    emp: EmployerTable,
    p: Params,
    hires: Hires,
    productivity: np.ndarray,
) -> None:
    """Update each employer's record and learned worth of each credential from its new hires."""
    keep = 1.0 - p["employers.learning_rate"]
    n = emp.base_pay.size
    emp.all_n *= keep
    emp.all_sum *= keep
    emp.holder_n *= keep
    emp.holder_sum *= keep
    e = hires.employer
    emp.all_n += np.bincount(e, minlength=n)
    emp.all_sum += np.bincount(e, weights=productivity, minlength=n)
    priors = (p["employers.prior_mc_productivity_gap"], p["employers.prior_genai_productivity_gap"])
    k0 = p["employers.prior_strength"]
    mean_all = np.divide(emp.all_sum, emp.all_n, out=np.zeros(n), where=emp.all_n > 0)
    for c, held in enumerate((hires.has_mc, hires.has_genai)):
        emp.holder_n[:, c] += np.bincount(e[held], minlength=n)
        emp.holder_sum[:, c] += np.bincount(e[held], weights=productivity[held], minlength=n)
        hn = emp.holder_n[:, c]
        mean_holder = np.divide(emp.holder_sum[:, c], hn, out=np.zeros(n), where=hn > 0)
        ratio = (mean_holder - mean_all) / priors[c]
        emp.value[:, c] = np.clip((k0 + hn * ratio) / (k0 + hn), 0.0, 3.0)


def productivity(
    skill: np.ndarray, ai_skill: np.ndarray, p: Params, rng: np.random.Generator
) -> np.ndarray:
    """Productivity an employer observes in new hires: skill, AI skill and noise."""
    noise = p["employers.productivity_noise"] * rng.standard_normal(skill.size)
    return skill + p["employers.ai_skill_productivity"] * ai_skill + noise
