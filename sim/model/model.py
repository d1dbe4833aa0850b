"""The hiring model: a Mesa model that owns the clock, the random streams and the agents.

One step is one month. Months ``-burn_in + 1 .. 0`` are burn-in (base parameters, not reported);
months ``1 .. N`` are reported and are the months scenario policies refer to.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.inputs.params import DISCIPLINES, Params, Value
from sim.inputs.scenario import Scenario
from sim.model import demand, enrolment, expectations, learning, market, wages
from sim.model.agents import Employer, EmployerTable, University, UniversityTable
from sim.model.population import DROPOUT, GRADUATE, Population
from sim.model.sampling import categorical
from sim.model.vacancies import VacancyStock
from sim.model.wages import Hires

STREAMS: tuple[str, ...] = (
    "population", "enrolment", "learning", "market", "employers", "mesa",
)  # fmt: skip
"""Independent random streams, spawned in this order from the seed (never reorder: append)."""

UNIVERSITY_PARAMS: tuple[str, ...] = tuple(
    name for name in (
        "universities.mc_offer_share", "universities.mc_offer_plan_share",
        "universities.mc_offer_plan_conversion", "universities.credit_bearing_share",
        "universities.credit_bearing_plan_share", "universities.credit_bearing_plan_conversion",
        "universities.genai_across_disciplines_share", "universities.ai_literacy_share",
        "universities.faculty_development_share",
    )
)  # fmt: skip


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while creating many agents.

    Each Mesa agent is a few container objects, so creating ~80k of them triggers collections
    that walk every object in the process (in a process holding many objects, most of the time
    spent creating the agents). Nothing created here is garbage, so pausing loses nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def spawn_streams(seed: int) -> dict[str, np.random.Generator]:
    """One generator per process, all from ``seed``, independent of each other.

    A policy that changes how many draws one process makes leaves every other stream untouched,
    which keeps scenarios run on the same seed comparable (common random numbers).
    """
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}


@dataclass(frozen=True)
class SteadyState:
    """The cohort structure a population of this size has in the steady state.

    Used to start burn-in near equilibrium: yearly intakes thinned by the average dropout hazard.

    Attributes:
        annual_intake: Students enrolling each year.
        stages: Months enrolled of the cohorts present at the start (one per past intake).
        stage_weights: Share of enrolled students in each of those cohorts.
        completion: Share of an intake that graduates.
        last_graduation: Month the latest graduate cohort left (at or before the start).
    """

    annual_intake: float
    stages: np.ndarray
    stage_weights: np.ndarray
    completion: float
    last_graduation: int

    @classmethod
    def of(cls, p: Params, students: int, month: int) -> SteadyState:
        """The steady state for ``students`` enrolled students at ``month``."""
        program = int(p["students.program_months"])
        engaged = p["students.engaged_share_base"]
        hazard = (
            engaged * p["students.dropout_hazard_engaged"]
            + (1 - engaged) * p["students.dropout_hazard_disengaged"]
        )
        since_intake = ((month - 1) % 12 + 1 - int(p["students.intake_month"])) % 12
        stages = np.arange(since_intake + 1, program + 1, 12)
        stages = stages[stages < program]
        survival = (1.0 - hazard) ** stages
        to_graduation = (program - stages.max()) if stages.size else 12
        return cls(
            annual_intake=students / survival.sum() if stages.size else students,
            stages=stages,
            stage_weights=survival / survival.sum(),
            completion=(1.0 - hazard) ** program,
            last_graduation=month + to_graduation - 12,
        )


@dataclass
class MonthRecord:
    """Flows of the month that the reporters need besides the population state.

    Attributes:
        new_enrolments: Students enrolled this month.
        graduates: Students who graduated in the latest month with graduates (this one or
            earlier).
        started_at_graduation: Of them, those who started a job accepted before graduating.
        positions_opened: Positions opened toward target demand.
        vacancies_withdrawn: Vacancies withdrawn (their positions closed).
        vacancies_posted: Vacancies posted (new positions and positions left open by a worker).
        market_round: The matching round.
    """

    new_enrolments: int = 0
    graduates: int = 0
    started_at_graduation: int = 0
    positions_opened: int = 0
    vacancies_withdrawn: int = 0
    vacancies_posted: int = 0
    market_round: market.MarketRound = field(
        default_factory=lambda: market.MarketRound(0, 0, Hires.none())
    )


Observer = Callable[["HiringModel"], None]
"""What the model calls at the end of every reported month, with itself."""


class HiringModel(mesa.Model):
    """Students, universities and employers in a monthly entry-level labour market.

    Attributes:
        spec: The resolved scenario (parameters and policies). Not ``scenario``: Mesa 3.5's
            ``Model`` owns that name for its own scenario mechanism.
        month: Current month (<= 0 during burn-in).
        p: Parameter values in force this month.
        streams: Named random generators (see :data:`STREAMS`).
        population: Struct-of-arrays state of every person followed.
        universities: Per-university state behind the University agents.
        employers: Per-employer state behind the Employer agents.
        vacancies: The open vacancies.
        demand: Labour demand (target positions and what it follows).
        observers: Called with the model at the end of every reported month (``month >= 1``),
            in order: what records the run (:class:`sim.observe.recorder.MonthlyRecorder`).
        expectations: The premiums students expect from the hires they observe.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        *,
        students: int | None = None,
        months: int | None = None,
        burn_in_months: int | None = None,
        observers: Iterable[Observer] = (),
    ) -> None:
        self.streams = spawn_streams(seed)
        super().__init__(rng=self.streams["mesa"])
        run = scenario.run
        self.spec = scenario
        self.n_students = int(students if students is not None else run.students)
        self.months = int(months if months is not None else run.months)
        self.burn_in = int(burn_in_months if burn_in_months is not None else run.burn_in_months)
        self.month = -self.burn_in
        self.p: Params = scenario.params_at(self.month)
        self.observers: list[Observer] = list(observers)
        self.record = MonthRecord()
        self.expectations = expectations.Expectations.start(self.p)
        self.latest_graduation = (0, 0)
        self._university_params: tuple[Value, ...] = ()
        self._setup()

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        p, rng, n = self.p, self.streams["population"], self.n_students
        n_unis = max(2, round(n / p["universities.students_per_university"]))
        n_emps = max(2, round(n / p["employers.students_per_employer"]))
        cohorts = SteadyState.of(p, n, self.month)
        labour_force = cohorts.annual_intake * p["market.career_window_months"] / 12
        self.demand = demand.Demand.start(p, labour_force)

        self.universities = UniversityTable.create(rng, n_unis, p["universities.mc_offer_share"])
        with gc_paused():
            for i in range(n_unis):
                University(self, i)
        self._step_universities()
        weights = self.universities.weight
        mean_prob = np.average(enrolment.enrol_probability(p, self.universities), weights=weights)
        pool = cohorts.annual_intake / mean_prob * weights
        self.universities.pool = np.round(pool).astype(np.int64)

        sector_pay = np.array([p[f"employers.base_salary_{d}"] for d in DISCIPLINES])
        # Employers are drawn from their own stream, so labour-market parameters (how many
        # employers, how many positions) leave the students' draws untouched.
        self.employers = EmployerTable.create(
            self.streams["employers"],
            n_emps,
            round(self.demand.target),
            enrolment.discipline_shares(p),
            sector_pay,
            p["employers.salary_sigma"],
            p["employers.size_pareto_shape"],
            never=-(10**6),
        )
        with gc_paused():
            for j in range(n_emps):
                Employer(self, j)

        self.population = Population.empty(int(1.1 * (n + labour_force)) + 16)
        self._seed_students(rng, cohorts)
        self._seed_labour_force(rng, cohorts)
        self.vacancies = VacancyStock.empty()
        self.vacancies.post(self.employers, self.month)

    def _seed_students(self, rng: np.random.Generator, cohorts: SteadyState) -> None:
        """Students enrolled at the start of burn-in: one cohort per past intake, thinned by
        dropout as in the steady state."""
        pop, p, weights = self.population, self.p, self.universities.weight
        if cohorts.stages.size == 0:  # a short programme whose every cohort has just graduated
            return
        sizes = rng.multinomial(self.n_students, cohorts.stage_weights)
        stage = np.repeat(cohorts.stages, sizes).astype(np.int16)
        rows = pop.free_rows(stage.size)
        uni = categorical(rng, weights, stage.size).astype(np.int32)
        enrolment.add_students(pop, rows, uni, p, self.month, rng, months_enrolled=stage)
        engaged = enrolment.engaged_probability(p, self.universities)[uni]
        pop.engaged[rows] = rng.random(stage.size) < engaged

    def _seed_labour_force(self, rng: np.random.Generator, cohorts: SteadyState) -> None:
        """People who left university before burn-in: yearly graduate cohorts and a steady flow
        of dropouts over the career window, 95% of them employed."""
        pop, p, emp = self.population, self.p, self.employers
        program = int(p["students.program_months"])
        window = int(p["market.career_window_months"])
        grad_exits = cohorts.last_graduation - 12 * np.arange(window // 12 + 1)
        grad_exits = grad_exits[self.month - grad_exits < window]
        n_grad = rng.poisson(cohorts.annual_intake * cohorts.completion, grad_exits.size)
        n_drop = rng.poisson(cohorts.annual_intake * (1 - cohorts.completion) * window / 12)
        left = np.concatenate(
            [np.repeat(grad_exits, n_grad), self.month - rng.integers(0, window, n_drop)]
        )
        n = left.size
        dropout = np.arange(n) >= n_grad.sum()
        stage = np.full(n, program, dtype=np.int16)
        stage[dropout] = rng.integers(1, program, int(dropout.sum()))
        rows = pop.free_rows(n)
        uni = categorical(rng, self.universities.weight, n)
        enrolment.add_students(pop, rows, uni.astype(np.int32), p, self.month, rng, stage)
        for status, group in ((GRADUATE, ~dropout), (DROPOUT, dropout)):
            enrolment.leave_university(pop, rows[group], status, p, 0)
        pop.set_exit_month(rows, left)
        pop.unemployed_since[rows] = left
        slots = np.repeat(np.arange(emp.positions.size), emp.positions)
        rng.shuffle(slots)
        k = min(slots.size, round(0.95 * n))
        hired = rows[rng.permutation(n)[:k]]
        e = slots[:k]
        pop.employer[hired] = e
        pop.hired_month[hired] = pop.exit_month[hired]
        pop.salary[hired] = wages.offer_salary(
            emp, p, e, pop.skill[hired], pop.has_mc[hired], pop.has_cb[hired]
        )
        emp.filled += np.bincount(e, minlength=emp.filled.size)

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """Advance one month: universities, intake, study, learning, labour demand, matching,
        employers' learning, then the observers."""
        self.month += 1
        t, p, s = self.month, self.spec.params_at(self.month), self.streams
        self.p = p
        self._step_universities()
        pop, unis, emp, stock = self.population, self.universities, self.employers, self.vacancies
        rec = self.record = MonthRecord()
        if (t - 1) % 12 + 1 == p["students.intake_month"]:
            rec.new_enrolments = enrolment.intake(pop, unis, p, t, s["enrolment"])
        graduates, dropouts = enrolment.progress(pop, unis, p, t, s["enrolment"])
        started = market.start_offered_jobs(pop, emp, graduates, dropouts, t)
        if graduates.size:
            self.latest_graduation = (graduates.size, started)
        rec.graduates, rec.started_at_graduation = self.latest_graduation
        learning.complete(pop, unis, p, t, s["learning"])
        response = expectations.response(self.expectations, p)
        learning.start(pop, unis, p, t, s["learning"], response)
        market.age_out(pop, emp, p, t)
        market.separate(pop, emp, p, t, s["market"])
        productivity = wages.observed_productivity(emp, p)
        demand.update(self.demand, p, demand.labour_force(pop), productivity)
        rec.positions_opened, rec.vacancies_withdrawn = demand.adjust_positions(
            emp, stock, p, self.demand.target, s["employers"]
        )
        rec.vacancies_posted = stock.post(emp, t)
        rec.market_round = market.match(pop, emp, stock, p, t, s["market"])
        stock.remove(rec.market_round.filled)
        rec.vacancies_posted += stock.post(emp, t)  # positions left by job changers
        hires = rec.market_round.hires
        output = wages.productivity(
            *enrolment.skills_as_seen(pop, hires.person, p), p, s["employers"]
        )
        wages.learn(emp, p, hires, output)
        held = np.stack([hires.has_mc, pop.has_cb.take(hires.person), hires.has_genai])
        expectations.update(self.expectations, p, t, hires.salary, held)
        if t >= 1:
            for observe in self.observers:
                observe(self)

    def _step_universities(self) -> None:
        """Let universities revise their provision when a parameter that drives it has changed."""
        current = tuple(self.p[name] for name in UNIVERSITY_PARAMS)
        if current != self._university_params:
            self.agents_by_type[University].do("step")
            self._university_params = current

    def run(self) -> None:
        """Run burn-in and every reported month."""
        while self.month < self.months:
            self.step()
