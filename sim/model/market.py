"""The entry-level labour market, cleared each month in vectorized numpy (the ``market`` stream).

Order within a month (:meth:`sim.model.model.HiringModel.step`): new graduates start the jobs they
accepted before graduating (:func:`start_offered_jobs`), people leave the modelled market at the
end of their career window (:func:`age_out`), jobs end at the separation rate (:func:`separate`),
labour demand opens and closes positions and vacancies lapse (:mod:`sim.model.demand`), open
positions are posted (:mod:`sim.model.vacancies`), then the matching round (:func:`match`): job
seekers and final-year students apply, each open vacancy reads a few applications and offers its job
to its best-scoring applicant who reaches the hiring standard, and each applicant accepts the best
offer. Unfilled vacancies stay open. A worker holds at most one job and a vacancy is filled at most
once, by construction: winners are the first row of each vacancy's group and acceptances the first
row of each person's group.

Employers read only a few of the applications each vacancy receives, so only those are drawn
(:func:`screened_applications`), from counts, with the law of sending every application and
screening a random subset; rare per-person events (separations, on-the-job search) are drawn
sparsely (:mod:`sim.model.sampling`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from sim.inputs.params import DISCIPLINES, Params
from sim.model import enrolment, wages
from sim.model.agents import EmployerTable
from sim.model.population import (
    DROPOUT,
    ENROLLED,
    GRADUATE,
    NEVER,
    NO_EMPLOYER,
    Population,
    reset_rows,
)
from sim.model.sampling import bernoulli_positions
from sim.model.vacancies import VacancyStock
from sim.model.wages import Hires

EXPERIENCE_CAP = np.iinfo(np.int16).max


@dataclass(frozen=True)
class MarketRound:
    """What happened in one month's matching round.

    Attributes:
        vacancies: Vacancies open for the round (the stock, including this month's postings).
        applications: Applications sent.
        hires: The hires made: jobs that start now and offers accepted by final-year students
            (their jobs start at graduation).
        unemployed_seekers: Rows of the unemployed people of the labour force when the round
            began, ascending (every round lists them; None only before the first round). No one
            loses a job or leaves the labour force during a round, so those of them still without
            a job after it are exactly the unemployed people of the labour force then.
        filled: Positions in the stock of the vacancies filled, ascending.
        lifetime_applications: Applications each filled vacancy received since it was posted,
            this month's included.
        hired_unemployed: Hires of people who were unemployed when the round began.
        student_seekers: Final-year students who searched.
    """

    vacancies: int
    applications: int
    hires: Hires
    unemployed_seekers: np.ndarray | None = None
    filled: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    lifetime_applications: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    hired_unemployed: int = 0
    student_seekers: int = 0


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


def age_out(pop: Population, emp: EmployerTable, p: Params, month: int) -> int:
    """Remove people whose career window has passed. Returns how many left.

    They are read from the population's exit-month buckets (:meth:`Population.exited_by`), not
    found by a pass over every row.
    """
    window = int(p["market.career_window_months"])
    rows = pop.exited_by(month - window)
    end_jobs(pop, emp, rows[pop.employer[rows] != NO_EMPLOYER], month)
    reset_rows(pop, rows)
    return int(rows.size)


def separate(
    pop: Population,
    emp: EmployerTable,
    p: Params,
    month: int,
    rng: np.random.Generator,
) -> int:
    """End jobs at the monthly separation rate. Returns how many jobs ended.

    Each employed person's job ends independently with ``employers.separation_rate``; the rows
    are drawn sparsely (:func:`sim.model.sampling.bernoulli_positions`), so the draws scale with the
    number leaving rather than with the population.
    """
    # Each employed row leaves with the rate: select from all rows sparsely, keep the employed.
    drawn = bernoulli_positions(rng, pop.employer.size, p["employers.separation_rate"])
    leaving = drawn[pop.employer[drawn] != NO_EMPLOYER]
    end_jobs(pop, emp, leaving, month)
    pop.unemployed_since[leaving] = month
    return int(leaving.size)


def competence(
    pop: Population,
    p: Params,
    person: np.ndarray,
    signal: np.ndarray,
    experience: np.ndarray,
) -> np.ndarray:
    """What an employer judges an applicant able to do: the skill signal, the degree and
    experience. The hiring standard applies to it (credentials only rank applicants who pass).

    Args:
        pop: The population.
        p: Parameters in force.
        person: Population row of each applicant.
        signal: Skill signal the employer observes, per application.
        experience: Months of work experience of each applicant.
    """
    # Applicants are graduates, dropouts and final-year students (who will hold the degree).
    score = signal + p["employers.degree_weight"] * (pop.status[person] != DROPOUT)
    score += p["employers.experience_weight"] * (experience / 12.0)
    return score


def scores(
    pop: Population,
    emp: EmployerTable,
    p: Params,
    person: np.ndarray,
    employer: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    """Ranking score of each application: what the employer observes, weighted its own way.

    The terms, summed in this order: the applicant's :func:`competence` (``base``: skill signal,
    degree, experience), an MC (as the employer weighs it), the credit-bearing bonus, a GenAI MC
    and the discipline match.
    """
    worth = wages.learned_worth(emp, p)
    mc_w = p["employers.mc_score_weight"] * p["employers.vignette_conversion"]
    mc_w = mc_w * (emp.mc_positive_draw < p["employers.mc_positive_share"]) * worth[:, 0]
    exp_w = p["employers.experience_weight"]
    genai_w = p["employers.genai_score_weight"] + np.where(
        emp.genai_high_draw < p["employers.genai_over_experience_share"], exp_w, 0.0
    )
    score = base + mc_w[employer] * pop.has_mc[person]
    score += p["employers.credit_bearing_score_bonus"] * pop.has_cb[person]
    score += (genai_w * worth[:, 1])[employer] * pop.has_genai[person]
    score += p["employers.discipline_match_weight"] * (
        pop.discipline[person] == emp.sector[employer]
    )
    return score


def searching_students(pop: Population, p: Params) -> np.ndarray:
    """Final-year students who search: in the last ``market.pre_graduation_search_months`` of
    their programme and without an accepted offer, ascending."""
    window = int(p["market.pre_graduation_search_months"])
    if window <= 0:
        return np.empty(0, dtype=np.int64)
    final_year = pop.months_enrolled >= int(p["students.program_months"]) - window
    final_year &= pop.status == ENROLLED
    rows = np.flatnonzero(final_year)
    # The offers are read for the final-year students only (a few per cent of the rows).
    return rows[pop.offer_employer[rows] == NO_EMPLOYER]


def match(
    pop: Population,
    emp: EmployerTable,
    stock: VacancyStock,
    p: Params,
    month: int,
    rng: np.random.Generator,
) -> MarketRound:
    """Run one matching round over the open vacancies and apply its hires.

    Seekers are the unemployed people of the market and the final-year students who search
    (:func:`searching_students`), who send ``market.applications_per_seeker`` applications each,
    and employed people searching on the job (each independently with
    ``market.on_the_job_search_prob``), who send one. Which applications reach which vacancy and
    which of them its employer screens (``employers.applicants_screened`` a month) is drawn by
    :func:`screened_applications`; only the screened ones are scored, and only those whose
    :func:`competence` reaches ``employers.hiring_standard`` can get an offer. Each vacancy's
    received applications are added to its lifetime count in ``stock``; the caller removes the
    filled vacancies from it.
    """
    n_vac = stock.size
    if n_vac == 0:  # nobody can be hired; the unemployed are still listed (job-finding rate 0)
        return MarketRound(0, 0, Hires.none(), _unemployed(pop, pop.employer != NO_EMPLOYER))
    seekers = _seekers(pop, p, rng)
    per_seeker = int(p["market.applications_per_seeker"])
    n_apps = per_seeker * seekers.n_full + (seekers.rows.size - seekers.n_full)
    if n_apps == 0:
        return MarketRound(
            n_vac, 0, Hires.none(), seekers.unemployed, student_seekers=seekers.students.size
        )
    apps, order = _screen(pop, emp, stock, p, month, rng, seekers, per_seeker)
    offers = _offer_rounds(pop, emp, p, month, apps, n_vac, seekers.rows.size)
    hires = _apply_hires(pop, emp, month, offers)
    filled_at = np.sort(order[offers.filled]) if offers.filled.size else offers.filled
    return MarketRound(
        n_vac,
        n_apps,
        hires,
        seekers.unemployed,
        filled=filled_at,
        lifetime_applications=stock.applications[filled_at].astype(np.int64),
        hired_unemployed=offers.hired_unemployed,
        student_seekers=int(seekers.students.size),
    )


@dataclass(frozen=True)
class _Seekers:
    """Who searches this month.

    Attributes:
        rows: Population rows of every seeker: the unemployed, the final-year students, then those
            searching on the job (three ascending runs).
        unemployed: Rows of the unemployed people of the labour force, ascending.
        students: Rows of the final-year students who search, ascending.
        n_full: Seekers without a job (the first ``n_full`` of ``rows``), who send
            ``market.applications_per_seeker`` applications each; the others send one.
    """

    rows: np.ndarray
    unemployed: np.ndarray
    students: np.ndarray
    n_full: int


def _unemployed(pop: Population, has_job: np.ndarray) -> np.ndarray:
    """Rows of the unemployed people of the labour force, ascending."""
    # In the labour force and not employed (for booleans, a > b is a & ~b: one pass fewer).
    return np.flatnonzero(np.greater(pop.status >= GRADUATE, has_job))


def _seekers(pop: Population, p: Params, rng: np.random.Generator) -> _Seekers:
    """This month's seekers; on-the-job searchers are drawn from ``rng``."""
    has_job = pop.employer != NO_EMPLOYER
    unemployed = _unemployed(pop, has_job)
    students = searching_students(pop, p)
    # On-the-job search: rows drawn sparsely with the probability, the employed ones kept.
    drawn = bernoulli_positions(rng, has_job.size, p["market.on_the_job_search_prob"])
    on_the_job = drawn[np.flatnonzero(has_job[drawn])]
    rows = np.concatenate([unemployed, students, on_the_job])
    return _Seekers(rows, unemployed, students, unemployed.size + students.size)


@dataclass(frozen=True)
class _Applications:
    """The screened applications, in seeker order (as they were sent), and the live ones.

    Attributes:
        vacancy: Vacancy of each screened application (position in the sector-sorted stock).
        who: Seeker of each (index into :attr:`_Seekers.rows`), ascending.
        person: Population row of each seeker.
        employer: Employer of each vacancy.
        signal: Skill signal the employer observes.
        live: Applications whose competence reaches the hiring standard, ascending.
        score: Ranking score of each live application (:func:`scores`).
    """

    vacancy: np.ndarray
    who: np.ndarray
    person: np.ndarray
    employer: np.ndarray
    signal: np.ndarray
    live: np.ndarray
    score: np.ndarray


def _screen(
    pop: Population,
    emp: EmployerTable,
    stock: VacancyStock,
    p: Params,
    month: int,
    rng: np.random.Generator,
    seekers: _Seekers,
    per_seeker: int,
) -> tuple[_Applications, np.ndarray]:
    """Draw the screened applications, judge and score them; count what each vacancy received.

    Returns:
        The applications, and the order that sorts the stock by sector (their vacancy numbers
        are positions in that order).
    """
    # Vacancies sorted by sector, so a share of applications can target the seeker's own sector.
    sector_of_vac = emp.sector[stock.employer]
    order = np.argsort(sector_of_vac, kind="stable")
    # The screened applications, by position among them: application i is by seekers[who[i]]
    # to vacancy[i], in seeker order (as they were sent). The others are never read.
    vacancy, who, received = screened_applications(
        rng,
        pop.discipline[seekers.rows],
        seekers.n_full,
        per_seeker,
        sector_of_vac[order],
        p["market.own_sector_share"],
        p["employers.applicants_screened"],
    )
    stock.applications[order] += received.astype(np.int32)
    person, employer = seekers.rows[who], stock.employer[order][vacancy]
    signal = p["employers.skill_signal_noise"] * rng.standard_normal(who.size)
    signal += enrolment.skill_as_seen(pop, person, p)
    # Seekers without a job come first: their experience is banked.
    from_employed = np.searchsorted(who, seekers.n_full)
    experience = pop.experience_months[person].astype(np.int32)
    experience[from_employed:] = pop.experience(month, person[from_employed:])
    base = competence(pop, p, person, signal, experience)
    # Only those whose competence reaches the hiring standard are scored.
    live = np.flatnonzero(base >= p["employers.hiring_standard"])
    score = scores(pop, emp, p, person[live], employer[live], base[live])
    return _Applications(vacancy, who, person, employer, signal, live, score), order


@dataclass(frozen=True)
class _Offers:
    """The offers accepted in a round's offer rounds.

    Attributes:
        person: Row of each person hired (ascending within each offer round).
        employer: Their employer.
        salary: Their offered salary.
        filled: Vacancies filled (positions in the sector-sorted stock).
        hired_unemployed: Hires of people who were unemployed when the round began.
    """

    person: np.ndarray
    employer: np.ndarray
    salary: np.ndarray
    filled: np.ndarray
    hired_unemployed: int


def _offer_rounds(
    pop: Population,
    emp: EmployerTable,
    p: Params,
    month: int,
    apps: _Applications,
    n_vac: int,
    n_seekers: int,
) -> _Offers:
    """Offer rounds: each open vacancy offers its job to its best remaining applicant, and each
    applicant accepts the best offer (people in a job only for a large enough rise). Vacancies
    whose offer was declined go to their runner-up in the next round. People in a job who accept
    leave it here (:func:`end_jobs`) and take the new one."""
    # Offered salaries are computed for each round's winners only (the others are never read).
    rates, level = wages.premium_rates(emp, p), wages.pay_level(emp, p)
    person, employer, signal, who = apps.person, apps.employer, apps.signal, apps.who
    # Live applications, ascending, with their vacancy, score and seeker (compacted each round).
    app, app_score = apps.live, apps.score
    app_vacancy, app_who = apps.vacancy[app], who[app]
    hired_person, hired_employer, hired_salary, filled = [], [], [], []
    hired_unemployed = 0
    offered = np.zeros(n_seekers, dtype=bool)
    rounds = int(p["market.offer_rounds"])
    for round_ in range(rounds):
        if app.size == 0:
            break
        # Winners in application order: each seeker's offers together, in vacancy order.
        win = app[_best_of_groups(app_vacancy, app_score, n_vac)]
        o_person, o_employer = person[win], employer[win]
        o_salary = wages.offer_salary(
            emp, p, o_employer, signal[win], pop.has_mc[o_person], pop.has_cb[o_person], rates,
            level,
        )  # fmt: skip
        # Each person's best offer (ties to the first vacancy), in ascending person order
        # (seekers are three ascending runs: unemployed, students, on the job).
        best = _best_of_runs(who[win], o_salary)
        best = best[np.argsort(o_person[best], kind="stable")]
        h_person, h_employer, h_salary = o_person[best], o_employer[best], o_salary[best]
        current = pop.employer[h_person]
        better = h_salary > pop.salary[h_person] * (1.0 + p["market.job_switch_threshold"])
        jobless = current == NO_EMPLOYER
        accept = jobless | (better & (h_employer != current))
        hired_unemployed += int(np.count_nonzero(jobless & (pop.status[h_person] >= GRADUATE)))
        filled.append(apps.vacancy[win[best[accept]]])
        h_person, h_employer, h_salary = h_person[accept], h_employer[accept], h_salary[accept]
        end_jobs(pop, emp, h_person[~jobless[accept]], month)
        pop.employer[h_person] = h_employer
        hired_person.append(h_person)
        hired_employer.append(h_employer)
        hired_salary.append(h_salary)
        # Filled vacancies and every applicant who received an offer leave the round.
        done_vacancy = np.zeros(n_vac, dtype=bool)
        done_vacancy[filled[-1]] = True
        offered[who[win]] = True
        if round_ + 1 < rounds:
            keep = np.flatnonzero(~done_vacancy[app_vacancy] & ~offered[app_who])
            app, app_vacancy = app[keep], app_vacancy[keep]
            app_score, app_who = app_score[keep], app_who[keep]
    return _Offers(
        np.concatenate(hired_person) if hired_person else np.empty(0, np.int64),
        np.concatenate(hired_employer) if hired_employer else np.empty(0, np.int64),
        np.concatenate(hired_salary) if hired_salary else np.empty(0, np.float64),
        np.concatenate(filled) if filled else np.empty(0, np.int64),
        hired_unemployed,
    )


def _apply_hires(pop: Population, emp: EmployerTable, month: int, offers: _Offers) -> Hires:
    """Start the accepted jobs; final-year students hold theirs until graduation
    (:func:`start_offered_jobs`). Returns the hires."""
    h_person, h_employer, h_salary = offers.person, offers.employer, offers.salary
    student = pop.status[h_person] == ENROLLED
    starts, promised = h_person[~student], h_person[student]
    pop.employer[promised] = NO_EMPLOYER
    pop.offer_employer[promised] = h_employer[student]
    pop.offer_salary[promised] = h_salary[student]
    pop.salary[starts] = h_salary[~student]
    pop.hired_month[starts] = month
    pop.unemployed_since[starts] = NEVER
    emp.filled += np.bincount(h_employer, minlength=emp.filled.size)
    has_mc = pop.has_mc[h_person]
    emp.last_hire[h_employer] = month
    emp.last_mc_hire[h_employer[has_mc]] = month
    return Hires(h_person, h_employer, h_salary, has_mc, pop.has_genai[h_person])


def start_offered_jobs(
    pop: Population, emp: EmployerTable, graduates: np.ndarray, dropouts: np.ndarray, month: int
) -> int:
    """Start the jobs that new graduates accepted before graduating; release dropouts' offers.

    Returns how many jobs started. A dropout's promised position is freed (the employer posts it
    again).
    """
    offer = pop.offer_employer[dropouts]
    emp.filled -= np.bincount(offer[offer != NO_EMPLOYER], minlength=emp.filled.size)
    pop.offer_employer[dropouts] = NO_EMPLOYER
    pop.offer_salary[dropouts] = 0.0
    starting = graduates[pop.offer_employer[graduates] != NO_EMPLOYER]
    pop.employer[starting] = pop.offer_employer[starting]
    pop.salary[starting] = pop.offer_salary[starting]
    pop.hired_month[starting] = month
    pop.unemployed_since[starting] = NEVER
    pop.offer_employer[starting] = NO_EMPLOYER
    pop.offer_salary[starting] = 0.0
    return int(starting.size)


def _best_of_runs(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Position of the highest-scoring element of each run of equal ``group`` values.

    Ties go to the earliest position: :func:`_best_of_groups` for groups stored contiguously,
    with segment reductions instead of scatters.
    """
    if group.size == 0:
        return np.empty(0, dtype=np.int64)
    new_run = np.empty(group.size, dtype=bool)
    new_run[0] = True
    np.not_equal(group[1:], group[:-1], out=new_run[1:])
    start = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    top = np.flatnonzero(score == np.maximum.reduceat(score, start)[run])
    first = np.empty(top.size, dtype=bool)
    first[:1] = True
    np.not_equal(run[top[1:]], run[top[:-1]], out=first[1:])
    return top[first]


def _best_of_groups(group: np.ndarray, score: np.ndarray, n_groups: int) -> np.ndarray:
    """Positions of the highest-scoring element of each group, ascending.

    Ties go to the earliest position, so these are exactly the first rows of the groups after a
    stable sort by ``(group, -score)``, without the sort: two scatter passes (a maximum, then a
    minimum among the positions reaching it), linear in the number of elements.
    """
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, group, score)
    top = np.flatnonzero(score == best[group])
    first = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group[top], top)
    return top[first[group[top]] == top]


def screened_applications(
    rng: np.random.Generator,
    discipline: np.ndarray,
    n_unemployed: int,
    per_seeker: int,
    vacancy_sector: np.ndarray,
    own_sector_share: float,
    applicants_screened: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The applications that employers screen, drawn without drawing the others.

    The market's law: seekers ``0 .. n_unemployed - 1`` send ``per_seeker`` applications each and
    the others one each. Each application independently goes, with probability
    ``own_sector_share`` (if that sector has vacancies), to a uniformly random vacancy of the
    sector of the seeker's discipline, and otherwise to a uniformly random vacancy. A vacancy
    that receives ``c`` applications screens each independently with probability
    ``min(1, applicants_screened / c)``. Only about ``applicants_screened`` per vacancy are read,
    a tenth of those sent at baseline, so the screened ones are drawn from counts instead, with
    the same law:

    1. Seekers of discipline ``d`` send ``A_d`` applications; ``N_d ~ Binomial(A_d, q_d)`` of
       them go to their own sector (``q_d`` as above), the others to any vacancy. Of the latter,
       the numbers landing in each sector are multinomial (in proportion to its vacancies).
    2. Each application landing in sector ``d``, from either source, is at a uniformly random
       vacancy of ``d``: the numbers ``c_v`` received are multinomial within the sector, and a
       vacancy screens ``m_v ~ Binomial(c_v, min(1, S / c_v))`` of them.
    3. Given the counts, which applications are screened is a uniformly random subset of the
       sector's arrivals (every application being alike). Its split between own-sector and
       any-vacancy arrivals is hypergeometric, and the any-vacancy ones screened in each sector
       are disjoint uniform subsets of all any-vacancy applications: sequential multivariate
       hypergeometric draws over the seekers' disciplines.
    4. Within discipline ``d``, the own-sector and any-vacancy applications that are screened
       are disjoint uniform subsets of the ``A_d`` applications (which ones went to their own
       sector is uniform given ``N_d``): together, ``k_d`` of them drawn without replacement,
       in random order. Applications are numbered ``per_seeker`` per unemployed seeker, then
       one per on-the-job seeker, so each number maps to its seeker; a seeker can appear twice
       at one vacancy, as when two of its applications land there.
    5. Which screened application fills which screened slot of a sector is a uniformly random
       pairing: each sector's slots (``m_v`` per vacancy) are shuffled and cut into one run per
       source discipline, and each discipline's applications, in their random order, fill its
       runs sector by sector.

    Args:
        rng: The market's random stream.
        discipline: Discipline of each seeker (index into :data:`sim.inputs.params.DISCIPLINES`).
        n_unemployed: The first ``n_unemployed`` seekers send ``per_seeker`` applications.
        per_seeker: Applications each of those sends; every other seeker sends one.
        vacancy_sector: Sector of each vacancy, in ascending order.
        own_sector_share: Probability an application goes to the seeker's own sector.
        applicants_screened: ``S``: applications a vacancy screens on average (when it has more).

    Returns:
        ``(vacancy, seeker, received)``: the vacancy and seeker of each screened application,
        sorted by seeker, then vacancy; and the applications each vacancy received (screened or
        not).
    """
    n_groups = len(DISCIPLINES)
    n_vac = vacancy_sector.size
    # Discipline d's applications are numbered 0 .. apps[d] - 1: per_seeker for each of its
    # unemployed seekers, then one for each of its on-the-job seekers (seekers[by_discipline]).
    unemployed_discipline = discipline[:n_unemployed]
    on_the_job_discipline = discipline[n_unemployed:]
    by_discipline = np.concatenate(
        [
            np.argsort(unemployed_discipline, kind="stable"),
            n_unemployed + np.argsort(on_the_job_discipline, kind="stable"),
        ]
    )
    n_unemployed_of = np.bincount(unemployed_discipline, minlength=n_groups)
    n_on_the_job_of = np.bincount(on_the_job_discipline, minlength=n_groups)
    unemployed_start = np.cumsum(n_unemployed_of) - n_unemployed_of
    on_the_job_start = n_unemployed + np.cumsum(n_on_the_job_of) - n_on_the_job_of
    unemployed_apps = per_seeker * n_unemployed_of
    apps = unemployed_apps + n_on_the_job_of

    # 1-2. Where applications land and how many each vacancy screens.
    sector_vacancies = np.bincount(vacancy_sector, minlength=n_groups)
    own_apps = rng.binomial(apps, own_sector_share * (sector_vacancies > 0))
    any_apps = apps - own_apps
    any_in_sector = rng.multinomial(any_apps.sum(), sector_vacancies / n_vac)
    received = _uniform_counts(rng, own_apps + any_in_sector, sector_vacancies)
    read = _screened_counts(rng, received, applicants_screened)
    read_in_sector = np.bincount(vacancy_sector, weights=read, minlength=n_groups).astype(np.int64)

    # 3. source[d, e]: screened applications in sector d sent by seekers of discipline e.
    read_own = rng.hypergeometric(own_apps, any_in_sector, read_in_sector)
    source = np.zeros((n_groups, n_groups), dtype=np.int64)
    any_left = any_apps.copy()
    for d in range(n_groups):
        source[d] = rng.multivariate_hypergeometric(any_left, read_in_sector[d] - read_own[d])
        any_left -= source[d]
    source[np.arange(n_groups), np.arange(n_groups)] += read_own

    # 4. The screened applications of each discipline, and their seekers.
    picks = source.sum(axis=0)
    positions = []  # in by_discipline
    for e in range(n_groups):
        number = _distinct_uniform(rng, apps[e], picks[e])
        positions.append(
            np.where(
                number < unemployed_apps[e],
                unemployed_start[e] + number // per_seeker,
                on_the_job_start[e] - unemployed_apps[e] + number,
            )
        )
    position = np.concatenate(positions)

    # 5. Pair them with the screened slots: each sector's slots (one per screened application of
    # its vacancies) are shuffled and cut into one run per source discipline; a discipline's
    # applications, in their random order, fill its runs sector by sector.
    # int64 slots: numpy shuffles pointer-sized items with a specialised loop (about a third
    # faster than int32 ones); the permutation drawn is the same.
    slot_vacancy = np.repeat(np.arange(n_vac, dtype=np.int64), read)
    sector_end = np.cumsum(read_in_sector)
    for start, stop in zip(sector_end - read_in_sector, sector_end, strict=True):
        rng.shuffle(slot_vacancy[start:stop])
    # Run (d, e), for sector d's slots and discipline e's applications, in ``position``.
    run_end = np.cumsum(source, axis=0) + (np.cumsum(picks) - picks)
    run_start = run_end - source
    runs = [
        position[run_start[d, e] : run_end[d, e]] for d in range(n_groups) for e in range(n_groups)
    ]
    seeker = by_discipline[np.concatenate(runs)]
    # Sorted by seeker, then vacancy: both packed in one int64.
    shift = int(n_vac).bit_length()
    key = (seeker << shift) | slot_vacancy
    key.sort()
    return key & ((1 << shift) - 1), key >> shift, received


POISSON_SLACK = 4.0
"""How far below its target a group's Poisson total is aimed, in standard deviations (plus 2)."""


def _uniform_counts(rng: np.random.Generator, totals: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Balls thrown uniformly into cells: ``totals[g]`` into the ``sizes[g]`` cells of group ``g``.

    Returns the count of each cell (groups in order), one multinomial per group. Independent
    Poisson counts of equal mean are multinomial given their sum, so each group is drawn as
    Poisson counts with a mean a little short of ``totals[g] / sizes[g]``, topped up with the
    missing balls thrown one by one; a group whose Poisson sum overshoots (about once in 10^5)
    is drawn again with ``rng.multinomial``. That costs a Poisson draw per cell (one uniform,
    see :func:`_draw_from_table`) instead of a binomial one.
    """
    group = np.repeat(np.arange(sizes.size), sizes)
    start = np.cumsum(sizes) - sizes
    short = totals - POISSON_SLACK * (np.sqrt(totals) + 2.0)
    short_mean = np.maximum(short, 0.0) / np.maximum(sizes, 1)
    counts = _poisson(rng, short_mean, group)
    missing = totals - np.bincount(group, weights=counts, minlength=sizes.size).astype(np.int64)
    for g in np.flatnonzero(missing < 0):
        cells = slice(start[g], start[g] + sizes[g])
        counts[cells] = rng.multinomial(totals[g], np.full(sizes[g], 1.0 / sizes[g]))
        missing[g] = 0
    of = np.repeat(np.arange(sizes.size), missing)
    cell = start[of] + rng.integers(0, sizes[of])
    return counts + np.bincount(cell, minlength=counts.size)


def _screened_counts(
    rng: np.random.Generator, received: np.ndarray, applicants_screened: float
) -> np.ndarray:
    """How many applications each vacancy screens: ``Binomial(c, min(1, S / c))`` of its ``c``."""
    top = int(received.max(initial=0))
    width = min(top, int(applicants_screened + 12.0 * math.sqrt(applicants_screened) + 30.0)) + 1
    if (top + 1) * width > TABLE_CELLS:
        read = received.copy()
        over = np.flatnonzero(received > applicants_screened)
        read[over] = rng.binomial(received[over], applicants_screened / received[over])
        return read
    # One row per count c = 0 .. top; values past the width are below 1e-20 in all of them.
    c, k = np.arange(top + 1)[:, None], np.arange(width)
    p = np.minimum(1.0, applicants_screened / np.maximum(c, 1))
    log_fact = _log_factorials(top)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = log_fact[c] - log_fact[k] - log_fact[np.maximum(c - k, 0)]
        log_pmf += k * np.log(p) + (c - k) * np.log1p(-p)
    pmf = np.where(k <= c, np.exp(log_pmf), 0.0)
    read_all = c[:, 0] <= applicants_screened
    pmf[read_all] = k == c[read_all]
    return _draw_from_table(rng, pmf, received)


def _poisson(rng: np.random.Generator, mean: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Poisson variates of mean ``mean[row]`` (a few distinct means, many variates)."""
    top = float(mean.max(initial=0.0))
    width = int(top + 12.0 * math.sqrt(top) + 30.0)
    if mean.size * width > TABLE_CELLS:
        return rng.poisson(mean[row])
    # Values past the width are below 1e-20 for every mean.
    k = np.arange(width)
    positive = mean > 0
    log_mean = np.log(np.where(positive, mean, 1.0))[:, None]
    pmf = np.where(
        positive[:, None], np.exp(k * log_mean - mean[:, None] - _log_factorials(width - 1)), k == 0
    )
    return _draw_from_table(rng, pmf, row)


def _log_factorials(top: int) -> np.ndarray:
    """``log(k!)`` for ``k = 0 .. top``."""
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, top + 1)))])


TABLE_CELLS = 1 << 18
"""Largest probability table :func:`_draw_from_table` is used with (numpy's samplers beyond)."""


def _draw_from_table(rng: np.random.Generator, pmf: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One variate per element of ``row``: the value ``k`` with probability ``pmf[row, k]``.

    Numpy draws each Poisson or binomial variate with its own rejection or inversion loop, tens
    of nanoseconds apiece. Here the variates come from a few small distributions (the rows), so
    each is one uniform ``u`` inverted in its row's cumulative table: the value is the first
    ``k`` whose cumulative probability exceeds ``u``, exactly as likely as ``pmf`` says (to the
    rounding of the table). A guide (for each ``1 / bins`` of probability, the smallest value a
    uniform there can give) finds a start, and whole-array passes step the few variates that
    need it. The last value of a row also takes any mass past the table.
    """
    n_rows, width = pmf.shape
    cdf = np.cumsum(pmf, axis=1)
    cdf[:, -1] = np.inf
    bins = 1 << (width - 1).bit_length()  # a power of two: cdf * bins is exact
    # guide[r, i] = #{k : cdf[r, k] <= i / bins}: the count of values with ceil(cdf * bins) <= i.
    cell = np.minimum(np.ceil(cdf * bins), bins).astype(np.int64)
    cell += np.arange(n_rows)[:, None] * (bins + 1)
    guide = np.bincount(cell.ravel(), minlength=n_rows * (bins + 1)).reshape(n_rows, bins + 1)
    guide = np.cumsum(guide, axis=1)[:, :bins]
    u = rng.random(row.size)
    value = guide[row, (u * bins).astype(np.int64)]
    flat, base = cdf.ravel(), row * width
    step = np.arange(row.size)
    while step.size:
        step = step[flat[base[step] + value[step]] <= u[step]]
        value[step] += 1
    return value


_SCRATCH = threading.local()


def _scratch(n: int) -> np.ndarray:
    """An int32 work array of at least ``n`` elements, this thread's own, contents undefined."""
    table = getattr(_SCRATCH, "table", None)
    if table is None or table.size < n:
        table = _SCRATCH.table = np.empty(
            max(n, 2 * (0 if table is None else table.size)), np.int32
        )
    return table[:n]


def _distinct_uniform(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``k`` draws from ``range(n)`` without replacement, in random order (int64)."""
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if 2 * k > n:
        return rng.permutation(n)[:k]
    # The distinct values of an i.i.d. uniform stream, in order of first appearance, are draws
    # without replacement. Draw enough for k of them with overwhelming probability (the
    # expected number of distinct values in m draws is n(1 - exp(-m/n))); start again with more
    # on a shortfall. A draw is a first appearance when no earlier draw has its value: writing
    # the draw indices into a value-indexed table from the last draw to the first leaves each
    # value's first index there. The table is reused between calls (a fresh one costs a page
    # fault per page touched) and never read where this call did not write.
    draws = int(-n * math.log1p(-k / n) + 6.0 * math.sqrt(k) + 16.0)
    while True:
        value = rng.integers(0, n, draws)
        index = np.arange(draws, dtype=np.int32)  # draws < n < 2**31: the count of applications
        first_index = _scratch(n)
        first_index[value[::-1]] = index[::-1]
        distinct = value[first_index[value] == index]
        if distinct.size >= k:
            return distinct[:k]
        draws *= 2
