"""Universities and employers: Mesa agents whose state lives in per-type numpy tables.

Each agent is a view onto one row of its type's table, so an analyst can inspect
``model.agents_by_type[Employer]`` agent by agent, while the monthly market acts on whole columns
at once (no Python loop over employers). Universities decide their own provision in
:meth:`University.step`, run through Mesa's ``AgentSet.do``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.inputs.params import DISCIPLINES

if TYPE_CHECKING:
    from sim.model.model import HiringModel

CREDENTIALS: tuple[str, ...] = ("mc", "genai")
"""Credentials whose productivity employers learn: any MC, and a GenAI MC."""


def stratified_draws(rng: np.random.Generator, n: int) -> np.ndarray:
    """The midpoints of ``n`` equal strata of [0, 1), in random order.

    Comparing them with a share ``s`` selects exactly ``round(s * n)`` rows, so a handful of
    universities still reproduces a reported share.
    """
    return (rng.permutation(n) + 0.5) / max(n, 1)


@dataclass
class UniversityTable:
    """Per-university state, one row per University agent.

    Attributes:
        weight: Share of the intake pool, summing to one (float64).
        pool: Prospective students each intake (int64).
        offer_draw: Propensity to offer MCs; offers when below the current share.
        credit_draw: Propensity to make MCs credit-bearing, stratified among initial offerers and
            among non-offerers separately.
        genai_draw: Propensity to integrate GenAI across disciplines (B2).
        literacy_draw: Propensity to run an AI-literacy programme (B1).
        faculty_draw: Propensity to run faculty development (B3).
        offers_mc: Offers microcredentials.
        credit_bearing: Its MCs carry degree credit.
        genai_across: GenAI MCs open to every discipline.
        ai_literacy: Runs an AI-literacy programme.
        faculty_dev: Runs faculty development.
    """

    weight: np.ndarray
    pool: np.ndarray
    offer_draw: np.ndarray
    credit_draw: np.ndarray
    genai_draw: np.ndarray
    literacy_draw: np.ndarray
    faculty_draw: np.ndarray
    offers_mc: np.ndarray
    credit_bearing: np.ndarray
    genai_across: np.ndarray
    ai_literacy: np.ndarray
    faculty_dev: np.ndarray

    @classmethod
    def create(
        cls, rng: np.random.Generator, n: int, initial_offer_share: float
    ) -> UniversityTable:
        """Draw ``n`` universities of lognormal sizes; the model sizes their intake pools."""
        weights = rng.lognormal(0.0, 0.5, n)
        offer_draw = stratified_draws(rng, n)
        credit_draw = np.empty(n)
        initial = offer_draw < initial_offer_share
        for group in (initial, ~initial):
            credit_draw[group] = stratified_draws(rng, int(group.sum()))
        false = np.zeros(n, dtype=bool)
        return cls(
            weight=weights / weights.sum(),
            pool=np.zeros(n, dtype=np.int64),
            offer_draw=offer_draw,
            credit_draw=credit_draw,
            genai_draw=stratified_draws(rng, n),
            literacy_draw=stratified_draws(rng, n),
            faculty_draw=stratified_draws(rng, n),
            offers_mc=false.copy(),
            credit_bearing=false.copy(),
            genai_across=false.copy(),
            ai_literacy=false.copy(),
            faculty_dev=false.copy(),
        )


class University(mesa.Agent):
    """A university deciding which microcredential provision it offers.

    Each month it compares its fixed propensities with the current shares (which policies move),
    so provision follows the scenario deterministically given the seed, and the universities most
    inclined to adopt adopt first.

    Attributes:
        index: Row in the model's :class:`UniversityTable`.
        offers_mc: Offers microcredentials (2024 report: 51% of institutions; plans to 68%).
        credit_bearing: MCs carry degree credit (U1: 53% of offerers; plans to 82%).
        genai_across: GenAI MCs integrated across all disciplines (blueprint B2).
        ai_literacy: Runs an AI-literacy programme (blueprint B1).
        faculty_dev: Runs faculty development for teaching AI (blueprint B3).
        pool: Prospective students at each intake.
    """

    model: HiringModel

    def __init__(self, model: HiringModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _table(self) -> UniversityTable:
        return self.model.universities

    offers_mc = property(lambda self: bool(self._table.offers_mc[self.index]))
    credit_bearing = property(lambda self: bool(self._table.credit_bearing[self.index]))
    genai_across = property(lambda self: bool(self._table.genai_across[self.index]))
    ai_literacy = property(lambda self: bool(self._table.ai_literacy[self.index]))
    faculty_dev = property(lambda self: bool(self._table.faculty_dev[self.index]))
    pool = property(lambda self: int(self._table.pool[self.index]))

    def step(self) -> None:
        """Set this month's provision from the current (policy-adjusted) shares."""
        p = self.model.p
        t, i = self._table, self.index
        offer_share = p["universities.mc_offer_share"] + (1 - p["universities.mc_offer_share"]) * (
            p["universities.mc_offer_plan_share"] * p["universities.mc_offer_plan_conversion"]
        )
        credit_share = (
            p["universities.credit_bearing_share"]
            + (p["universities.credit_bearing_plan_share"] - p["universities.credit_bearing_share"])
            * p["universities.credit_bearing_plan_conversion"]
        )
        t.offers_mc[i] = t.offer_draw[i] < offer_share
        t.credit_bearing[i] = t.offers_mc[i] and t.credit_draw[i] < credit_share
        t.genai_across[i] = t.genai_draw[i] < p["universities.genai_across_disciplines_share"]
        t.ai_literacy[i] = t.literacy_draw[i] < p["universities.ai_literacy_share"]
        t.faculty_dev[i] = t.faculty_draw[i] < p["universities.faculty_development_share"]


@dataclass
class EmployerTable:
    """Per-employer state, one row per Employer agent.

    Attributes:
        sector: Index into :data:`sim.inputs.params.DISCIPLINES` (int8).
        demand_share: The employer's share of the market's target demand (its heavy-tailed size;
            float64, sums to 1).
        positions: Current entry-level positions: filled, or open as vacancies (int64).
        filled: Positions held by workers the model follows or promised to a student who accepted
            an offer before graduating (int64).
        base_pay: Mean annual pay the employer offers (float64).
        premium_draw: Pays an MC premium when below the current paying share.
        premium_level: Where in the premium range its premium sits, uniform in [0, 1).
        mc_positive_draw: Scores MCs positively when below the E1 share.
        genai_high_draw: Weighs a GenAI MC above a year of experience when below the G4 share.
        last_hire: Month of the latest hire (int32).
        last_mc_hire: Month of the latest hire of an MC holder (int32).
        all_n, all_sum: Discounted count and productivity sum of all hires.
        holder_n, holder_sum: The same for hires holding each credential (shape ``(E, 2)``).
        value: Learned worth of each credential relative to the prior belief (shape ``(E, 2)``;
            1 = as believed at the start).
    """

    sector: np.ndarray
    demand_share: np.ndarray
    positions: np.ndarray
    filled: np.ndarray
    base_pay: np.ndarray
    premium_draw: np.ndarray
    premium_level: np.ndarray
    mc_positive_draw: np.ndarray
    genai_high_draw: np.ndarray
    last_hire: np.ndarray
    last_mc_hire: np.ndarray
    all_n: np.ndarray
    all_sum: np.ndarray
    holder_n: np.ndarray
    holder_sum: np.ndarray
    value: np.ndarray

    @classmethod
    def create(
        cls,
        rng: np.random.Generator,
        n: int,
        total_positions: int,
        sector_shares: np.ndarray,
        sector_pay: np.ndarray,
        pay_sigma: float,
        size_shape: float,
        never: int,
    ) -> EmployerTable:
        """Draw ``n`` employers sharing ``total_positions`` entry-level positions."""
        sector = rng.choice(len(DISCIPLINES), size=n, p=sector_shares).astype(np.int8)
        sizes = rng.pareto(size_shape, n) + 1.0
        base = np.floor(total_positions * sizes / sizes.sum()).astype(np.int64)
        short = int(total_positions - base.sum())
        if short > 0:
            base[rng.choice(n, size=short, p=sizes / sizes.sum())] += 1
        base_pay = rng.lognormal(0.0, pay_sigma, n)
        # Scale each sector so its position-weighted mean pay is the sector's mean salary: with
        # heavy-tailed sizes one large employer's draw would otherwise move the whole market.
        weight = np.bincount(sector, weights=base * base_pay, minlength=len(DISCIPLINES))
        positions = np.bincount(sector, weights=base, minlength=len(DISCIPLINES))
        mean = np.divide(weight, positions, out=np.ones_like(weight), where=positions > 0)
        base_pay *= (sector_pay / mean)[sector]
        return cls(
            sector=sector,
            demand_share=sizes / sizes.sum(),
            positions=base,
            filled=np.zeros(n, dtype=np.int64),
            base_pay=base_pay,
            premium_draw=rng.random(n),
            premium_level=rng.random(n),
            mc_positive_draw=rng.random(n),
            genai_high_draw=rng.random(n),
            last_hire=np.full(n, never, dtype=np.int32),
            last_mc_hire=np.full(n, never, dtype=np.int32),
            all_n=np.zeros(n),
            all_sum=np.zeros(n),
            # Column-major: each credential's column (what wages.learn updates) is contiguous.
            holder_n=np.zeros((n, len(CREDENTIALS)), order="F"),
            holder_sum=np.zeros((n, len(CREDENTIALS)), order="F"),
            value=np.ones((n, len(CREDENTIALS)), order="F"),
        )


class Employer(mesa.Agent):
    """An employer hiring entry-level graduates.

    It posts vacancies for its open positions, ranks applicants by a score of what it can observe
    (degree, experience, MCs, a noisy signal of skill), offers a salary with an MC premium when it
    pays one, and learns from its hires' productivity what each credential is worth. Those
    decisions run for all employers at once in :mod:`sim.model.market` and :mod:`sim.model.wages`;
    this agent exposes one employer's row.

    Attributes:
        index: Row in the model's :class:`EmployerTable`.
        sector: Its sector (a discipline name).
        positions: Current entry-level positions.
        filled: Positions held (or promised to a student with an offer).
        open_vacancies: Its vacancies open now.
        base_pay: Mean annual pay it offers.
        mc_value: Learned worth of an MC relative to its prior belief.
        genai_value: Learned worth of a GenAI MC relative to its prior belief.
    """

    model: HiringModel

    def __init__(self, model: HiringModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _table(self) -> EmployerTable:
        return self.model.employers

    sector = property(lambda self: DISCIPLINES[int(self._table.sector[self.index])])
    positions = property(lambda self: int(self._table.positions[self.index]))
    filled = property(lambda self: int(self._table.filled[self.index]))
    open_vacancies = property(
        lambda self: int(np.count_nonzero(self.model.vacancies.employer == self.index))
    )
    base_pay = property(lambda self: float(self._table.base_pay[self.index]))
    mc_value = property(lambda self: float(self._table.value[self.index, 0]))
    genai_value = property(lambda self: float(self._table.value[self.index, 1]))
