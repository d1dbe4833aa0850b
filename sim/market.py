"""The entry-level labour market, cleared each month in vectorized numpy (the ``market`` stream).

Order within a month: people leave the modelled market at the end of their career window, jobs
end at the separation rate, employers post vacancies for open positions, job seekers apply, each
vacancy offers its job to its best-scoring applicant, and each applicant accepts the best offer.
A worker holds at most one job and a vacancy is filled at most once, by construction: winners are
the first row of each vacancy's group and acceptances the first row of each person's group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim import wages
from sim.agents import EmployerTable
from sim.params import DISCIPLINES, Value
from sim.population import GRADUATE, NEVER, NO_EMPLOYER, Population, reset_rows
from sim.wages import Hires

EXPERIENCE_CAP = np.iinfo(np.int16).max


@dataclass(frozen=True)
class MarketRound:
    """What happened in one month's matching round.

    Attributes:
        vacancies: Vacancies open for the round.
        applications: Applications sent.
        hires: The hires made.
    """

    vacancies: int
    applications: int
    hires: Hires


def end_jobs(pop: Population, emp: EmployerTable, rows: np.ndarray, month: int) -> None:
    """End the jobs of ``rows`` (employed people): free the positions, bank the experience."""
    if rows.size == 0:
        return
    emp.filled -= np.bincount(pop.employer[rows], minlength=emp.filled.size)
    tenure = month - pop.hired_month[rows]
    pop.experience_months[rows] = np.minimum(
        pop.experience_months[rows].astype(np.int32) + tenure, EXPERIENCE_CAP
    )
    pop.employer[rows] = NO_EMPLOYER
    pop.salary[rows] = 0.0
    pop.hired_month[rows] = NEVER


def age_out(pop: Population, emp: EmployerTable, p: Mapping[str, Value], month: int) -> int:
    """Remove people whose career window has passed. Returns how many left."""
    window = int(p["market.career_window_months"])
    rows = np.flatnonzero((pop.exit_month <= month - window) & (pop.status >= GRADUATE))
    end_jobs(pop, emp, rows[pop.employer[rows] != NO_EMPLOYER], month)
    reset_rows(pop, rows)
    return int(rows.size)


def separate(
    pop: Population,
    emp: EmployerTable,
    p: Mapping[str, Value],
    month: int,
    rng: np.random.Generator,
) -> int:
    """End jobs at the monthly separation rate. Returns how many jobs ended."""
    employed = np.flatnonzero(pop.employer != NO_EMPLOYER)
    leaving = employed[rng.random(employed.size) < p["employers.separation_rate"]]
    end_jobs(pop, emp, leaving, month)
    pop.unemployed_since[leaving] = month
    return int(leaving.size)


def post_vacancies(
    emp: EmployerTable, p: Mapping[str, Value], rng: np.random.Generator
) -> np.ndarray:
    """Post vacancies for open positions; return the employer of each vacancy.

    Each open position is posted with probability ``employers.vacancy_multiplier`` and the rest
    are withdrawn. Withdrawn positions come back each month at ``employers.position_recovery_rate``
    times the multiplier, so the stock of withdrawn positions stays bounded while a downturn lasts
    (about ``(1 - m) / (r * m)`` months of open positions) and drains once it ends.
    """
    share = p["employers.vacancy_multiplier"]
    missing = np.maximum(emp.base_positions - emp.positions, 0)
    emp.positions += rng.binomial(missing, p["employers.position_recovery_rate"] * share)
    open_ = np.maximum(emp.positions - emp.filled, 0)
    posted = rng.binomial(open_, share)
    emp.positions -= open_ - posted
    return np.repeat(np.arange(emp.positions.size), posted)


def scores(
    pop: Population,
    emp: EmployerTable,
    p: Mapping[str, Value],
    person: np.ndarray,
    employer: np.ndarray,
    signal: np.ndarray,
    month: int,
) -> np.ndarray:
    """Ranking score of each application: what the employer observes, weighted its own way."""
    terms = _ScoreTerms.of(pop, emp, p, person, month)
    return terms.score(np.arange(person.size), employer, signal, pop.discipline[person])


@dataclass(frozen=True)
class _ScoreTerms:
    """What :func:`scores` sums, read once: per seeker (``s_*``) and per employer (``e_*``)."""

    s_degree: np.ndarray
    s_experience: np.ndarray
    s_mc: np.ndarray
    s_cb: np.ndarray
    s_genai: np.ndarray
    e_mc: np.ndarray
    e_genai: np.ndarray
    e_sector: np.ndarray
    discipline_weight: float

    @classmethod
    def of(
        cls,
        pop: Population,
        emp: EmployerTable,
        p: Mapping[str, Value],
        seekers: np.ndarray,
        month: int,
    ) -> _ScoreTerms:
        worth = wages.learned_worth(emp, p)
        mc_w = p["employers.mc_score_weight"] * p["employers.vignette_conversion"]
        mc_w = mc_w * (emp.mc_positive_draw < p["employers.mc_positive_share"]) * worth[:, 0]
        exp_w = p["employers.experience_weight"]
        genai_w = p["employers.genai_score_weight"] + np.where(
            emp.genai_high_draw < p["employers.genai_over_experience_share"], exp_w, 0.0
        )
        return cls(
            s_degree=p["employers.degree_weight"] * (pop.status[seekers] == GRADUATE),
            s_experience=exp_w * (pop.experience(month, seekers) / 12.0),
            s_mc=pop.has_mc[seekers],
            s_cb=p["employers.credit_bearing_score_bonus"] * pop.has_cb[seekers],
            s_genai=pop.has_genai[seekers],
            e_mc=mc_w,
            e_genai=genai_w * worth[:, 1],
            e_sector=emp.sector,
            discipline_weight=p["employers.discipline_match_weight"],
        )

    def score(
        self, who: np.ndarray, employer: np.ndarray, signal: np.ndarray, discipline: np.ndarray
    ) -> np.ndarray:
        """Scores of applications by seekers ``who`` to ``employer`` (term by term, in order)."""
        score = signal + self.s_degree[who]
        score += self.s_experience[who]
        score += self.e_mc[employer] * self.s_mc[who]
        score += self.s_cb[who]
        score += self.e_genai[employer] * self.s_genai[who]
        score += self.discipline_weight * (discipline == self.e_sector[employer])
        return score


CHUNK = 1 << 15
"""Applications processed together: per-chunk temporaries stay in the CPU cache."""


def match(
    pop: Population,
    emp: EmployerTable,
    vacancy_employer: np.ndarray,
    p: Mapping[str, Value],
    month: int,
    rng: np.random.Generator,
) -> MarketRound:
    """Run one matching round and apply its hires."""
    has_job = pop.employer != NO_EMPLOYER
    employed_rows = np.flatnonzero(has_job)
    seekers_unemployed = np.flatnonzero((pop.status >= GRADUATE) & ~has_job)
    u_otj = rng.random(employed_rows.size)
    n_vac = vacancy_employer.size
    if n_vac == 0:
        return MarketRound(0, 0, Hires.none())
    on_the_job = employed_rows[u_otj < p["market.on_the_job_search_prob"]]
    per_seeker = int(p["market.applications_per_seeker"])
    # Each application is sent by seekers[who]; person-level fields are read once per seeker.
    seekers = np.concatenate([seekers_unemployed, on_the_job])
    n_unemployed = seekers_unemployed.size
    who = np.concatenate(
        [np.repeat(np.arange(n_unemployed), per_seeker), np.arange(n_unemployed, seekers.size)]
    )
    n_apps = who.size
    if n_apps == 0:
        return MarketRound(n_vac, 0, Hires.none())

    # Vacancies sorted by sector, so a share of applications can target the seeker's own sector.
    sector_of_vac = emp.sector[vacancy_employer]
    order = np.argsort(sector_of_vac, kind="stable")
    vacancy_employer = vacancy_employer[order]
    counts = np.bincount(sector_of_vac, minlength=len(DISCIPLINES))
    starts = np.cumsum(counts) - counts
    u = rng.random((2, n_apps))

    # Each application's vacancy, a chunk at a time.
    # Case 0: any vacancy; case 1 + d: a vacancy of sector d. Pick = offset + floor(u * size).
    size = np.concatenate([[n_vac], counts]).astype(np.float64)
    offset = np.concatenate([[0], starts])
    has_vacancy = counts > 0
    own_share = p["market.own_sector_share"]
    s_discipline = pop.discipline[seekers]
    vacancy = np.empty(n_apps, dtype=np.int64)
    for lo in range(0, n_apps, CHUNK):
        part = slice(lo, lo + CHUNK)
        disc = s_discipline[who[part]]
        own = (u[0, part] < own_share) & has_vacancy[disc]
        case = own.view(np.int8) * (disc + 1)
        v = (u[1, part] * size[case]).astype(np.int64)
        v += offset[case]
        np.minimum(v, n_vac - 1, out=v)
        vacancy[part] = v

    # Screening: each vacancy's employer reads a random subset of its applications, about
    # employers.applicants_screened of them, so the best applicant in the whole market does not
    # win every vacancy they applied to.
    screened = rng.random(n_apps) * np.bincount(vacancy, minlength=n_vac)[vacancy]
    screened = np.flatnonzero(screened < p["employers.applicants_screened"])

    # The screened applications' employer, skill signal and score (the others are never read).
    # From here on, applications are indexed by position among the screened ones.
    who, vacancy = who[screened], vacancy[screened]
    employer = vacancy_employer[vacancy]
    signal = p["employers.skill_signal_noise"] * rng.standard_normal(screened.size)
    signal += pop.skill[seekers][who]
    terms = _ScoreTerms.of(pop, emp, p, seekers, month)
    score = terms.score(who, employer, signal, s_discipline[who])

    # Offer rounds: each open vacancy offers its job to its best remaining applicant, and each
    # applicant accepts the best offer (people in a job only for a large enough rise). Vacancies
    # whose offer was declined go to their runner-up in the next round.
    hired_person, hired_employer, hired_salary = [], [], []
    offered = np.zeros(seekers.size, dtype=bool)
    # Rank of each seeker by population row (both parts of ``seekers`` are ascending runs).
    rank = np.empty(seekers.size, dtype=np.int64)
    rank[np.argsort(seekers, kind="stable")] = np.arange(seekers.size)
    # Live applications, ascending, with their vacancy, score and seeker (compacted each round).
    app, app_vacancy, app_score, app_who = np.arange(who.size), vacancy, score, who
    rounds = int(p["market.offer_rounds"])
    for round_ in range(rounds):
        if app.size == 0:
            break
        win = app[_best_of_groups(app_vacancy, app_score, n_vac)]
        o_person, o_employer = seekers[who[win]], employer[win]
        o_salary = wages.offer_salary(
            emp, p, o_employer, signal[win], pop.has_mc[o_person], pop.has_cb[o_person]
        )
        # Each person's best offer (ties to the first vacancy), in ascending person order.
        best = _best_of_groups(rank[who[win]], o_salary, seekers.size)
        h_person, h_employer, h_salary = o_person[best], o_employer[best], o_salary[best]
        current = pop.employer[h_person]
        better = h_salary > pop.salary[h_person] * (1.0 + p["market.job_switch_threshold"])
        accept = (current == NO_EMPLOYER) | (better & (h_employer != current))
        filled_vacancy = vacancy[win[best[accept]]]
        h_person, h_employer, h_salary = h_person[accept], h_employer[accept], h_salary[accept]
        end_jobs(pop, emp, h_person[pop.employer[h_person] != NO_EMPLOYER], month)
        pop.employer[h_person] = h_employer
        hired_person.append(h_person)
        hired_employer.append(h_employer)
        hired_salary.append(h_salary)
        # Filled vacancies and every applicant who received an offer leave the round.
        done_vacancy = np.zeros(n_vac, dtype=bool)
        done_vacancy[filled_vacancy] = True
        offered[who[win]] = True
        if round_ + 1 < rounds:
            keep = np.flatnonzero(~done_vacancy[app_vacancy] & ~offered[app_who])
            app, app_vacancy = app[keep], app_vacancy[keep]
            app_score, app_who = app_score[keep], app_who[keep]

    h_person = np.concatenate(hired_person) if hired_person else np.empty(0, np.int64)
    h_employer = np.concatenate(hired_employer) if hired_employer else np.empty(0, np.int64)
    h_salary = np.concatenate(hired_salary) if hired_salary else np.empty(0, np.float64)
    pop.salary[h_person] = h_salary
    pop.hired_month[h_person] = month
    pop.unemployed_since[h_person] = NEVER
    emp.filled += np.bincount(h_employer, minlength=emp.filled.size)
    has_mc = pop.has_mc[h_person]
    emp.last_hire[h_employer] = month
    emp.last_mc_hire[h_employer[has_mc]] = month
    hires = Hires(h_person, h_employer, h_salary, has_mc, pop.has_genai[h_person])
    return MarketRound(n_vac, n_apps, hires)


def _best_of_groups(group: np.ndarray, score: np.ndarray, n_groups: int) -> np.ndarray:
    """Position of the highest-scoring element of each group, in ascending group order.

    Ties go to the earliest position, so this is exactly the first row of each group after a
    stable sort by ``(group, -score)``, without the sort: two scatter passes (a maximum, then a
    minimum among the positions reaching it), linear in the number of elements.
    """
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, group, score)
    top = np.flatnonzero(score == best[group])
    first = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group[top], top)
    return first[first != np.iinfo(np.int64).max]
