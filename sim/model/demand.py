"""Labour demand: the target number of entry-level positions, and positions moving toward it.

Target demand is the product of named parameters (ODD 3.3.7)::

    target = jobs_per_labour_force * served * demand_cycle * productivity_factor

* ``served`` is the labour force demand serves: it follows the model's early-career labour force
  with a lag, closing ``market.supply_absorption_rate`` of the gap each month (0 keeps the stock
  of jobs the initial labour force had; Blanchard & Katz 1992 for the horizon).
* ``demand_cycle`` is the business cycle (1 in normal times; the recession scenario sets a path).
* ``productivity_factor`` is graduates' productivity per unit of pay, relative to the reference,
  to the power ``market.labour_demand_elasticity`` (Hamermesh 1993). Employers observe the
  productivity of their hires (:func:`sim.model.wages.observed_productivity`); a share
  ``wages.productivity_pass_through`` of a change reaches pay, the rest lowers the cost of output.

Positions move toward the target at ``market.demand_adjustment_rate`` (del Rio-Chanona et al.
2021): each employer's share of the gap is closed by openings when below (new positions, posted as
vacancies) and by withdrawing open vacancies when above (the position closes with the vacancy).
Every open vacancy is also withdrawn at ``market.vacancy_withdrawal_rate``. These are employers'
decisions and draw from the ``employers`` stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.inputs.params import Params
from sim.model.agents import EmployerTable
from sim.model.population import GRADUATE, Population
from sim.model.vacancies import VacancyStock


@dataclass
class Demand:
    """The market's labour demand this month.

    Attributes:
        served: Labour force that demand serves (follows the labour force with a lag).
        target: Target number of entry-level positions.
        productivity_factor: Productivity per unit of pay relative to the reference, to the
            power of the demand elasticity (1 at the reference).
    """

    served: float
    target: float
    productivity_factor: float = 1.0

    @classmethod
    def start(cls, p: Params, labour_force: float) -> Demand:
        """Demand at initialisation: serving ``labour_force``, at the reference productivity."""
        target = p["employers.jobs_per_labour_force"] * labour_force * p["market.demand_cycle"]
        return cls(served=float(labour_force), target=float(target))


def labour_force(pop: Population) -> int:
    """People in the early-career labour market (graduates and dropouts, employed or not)."""
    return int(np.count_nonzero(pop.status >= GRADUATE))


def productivity_factor(p: Params, productivity: float) -> float:
    """Productivity per unit of pay relative to the reference, to the power of the elasticity.

    Output per worker is ``exp(skill_return * q)`` for observed productivity ``q`` (in skill SD,
    valued at the return employers pay for skill); pay takes ``pass_through`` of a change, so a
    unit of output costs ``exp(-skill_return * (1 - pass_through) * (q - reference))`` relative
    to the reference.
    """
    gap = productivity - p["wages.reference_productivity"]
    per_pay = p["wages.skill_return"] * (1.0 - p["wages.productivity_pass_through"]) * gap
    return math.exp(p["market.labour_demand_elasticity"] * per_pay)


def update(demand: Demand, p: Params, labour: int, productivity: float) -> None:
    """Move the served labour force toward ``labour`` and set this month's target."""
    demand.served += p["market.supply_absorption_rate"] * (labour - demand.served)
    demand.productivity_factor = productivity_factor(p, productivity)
    demand.target = (
        p["employers.jobs_per_labour_force"]
        * demand.served
        * p["market.demand_cycle"]
        * demand.productivity_factor
    )


def adjust_positions(
    emp: EmployerTable,
    stock: VacancyStock,
    p: Params,
    target: float,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Open and close positions toward ``target``; withdraw vacancies. Returns (opened, withdrawn).

    Employer ``e``'s target is ``target * demand_share[e]`` and its gap ``g_e`` the target less
    its positions. Openings are Poisson with mean ``rate * g_e`` where the gap is positive (drawn
    as one Poisson total split over employers in proportion to their gaps: the same law). Where it
    is negative, each of the employer's open vacancies is withdrawn and its position closed with
    probability ``min(1, rate * |g_e| / open_e)``. Every other vacancy lapses at the withdrawal
    rate: it is withdrawn but its position stays open and is posted again (a new vacancy, with no
    applications), so lapses turn vacancies over without moving positions away from the target.
    """
    rate = p["market.demand_adjustment_rate"]
    gap = target * emp.demand_share - emp.positions
    grow = rate * np.maximum(gap, 0.0)
    total = float(grow.sum())
    opened = int(rng.poisson(total)) if total > 0 else 0
    if opened:
        # Few openings among many employers: invert the cumulative gaps (no guide table).
        cdf = np.cumsum(grow)
        where = np.minimum(
            cdf.searchsorted(rng.random(opened) * cdf[-1], side="right"), gap.size - 1
        )
        emp.positions += np.bincount(where, minlength=emp.positions.size)
    if stock.size == 0:
        return opened, 0
    open_ = stock.by_employer(emp.positions.size)
    excess = np.minimum(1.0, rate * np.maximum(-gap, 0.0) / np.maximum(open_, 1))[stock.employer]
    # One uniform per vacancy: below ``excess`` the position closes with it; above, it lapses
    # with the withdrawal rate and its position is posted again as a new vacancy.
    u = rng.random(stock.size)
    lapse = 1.0 - (1.0 - p["market.vacancy_withdrawal_rate"]) * (1.0 - excess)
    gone = np.flatnonzero(u < lapse)
    closed = gone[u[gone] < excess[gone]]
    emp.positions -= np.bincount(stock.employer[closed], minlength=emp.positions.size)
    stock.remove(gone)
    return opened, int(gone.size)
