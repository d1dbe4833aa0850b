"""Parameter sweeps: ``--vary`` options, grid and Latin-hypercube designs, derived scenarios.

``--vary name=v1,v2,...`` lists values; ``--vary name=lo:hi`` gives a range of a numeric
parameter. A grid design is the cartesian product of the lists (a range contributes ``--samples``
evenly spaced values); a Latin-hypercube design draws ``--samples`` points, stratified in every
dimension (a list is then sampled by index). Each design point becomes a scenario derived from
the base with :meth:`Scenario.with_params`, named ``<base>__p<NN>-<hash of the point>`` so the
same point always gets the same name. Everything is validated before anything runs, and every
problem is reported at once.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sim.inputs.params import REGISTRY, Param, Value

if TYPE_CHECKING:
    from sim.inputs.scenario import Scenario

Design = Literal["grid", "lhs"]
DESIGNS: tuple[str, ...] = ("grid", "lhs")
DEFAULT_LHS_SAMPLES = 10


class SweepError(Exception):
    """The sweep cannot be built; :attr:`problems` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Vary:
    """One ``--vary`` option, parsed.

    Attributes:
        param: The registry parameter.
        values: Listed values (``name=v1,v2``), coerced to the parameter's type; empty for a range.
        low: Range low end (``name=lo:hi``), else None.
        high: Range high end, else None.
        text: The option as given.
    """

    param: Param
    values: tuple[Value, ...] = ()
    low: float | None = None
    high: float | None = None
    text: str = ""

    @property
    def name(self) -> str:
        """The parameter's dotted name."""
        return self.param.name

    @property
    def is_range(self) -> bool:
        """Whether this is a ``lo:hi`` range rather than a list."""
        return self.low is not None


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the derived scenarios and their design.

    Attributes:
        base: The base scenario.
        scenarios: One derived scenario per design point.
        points: The varied values of each derived scenario, by scenario name.
        design: ``grid`` or ``lhs``.
        samples: Samples asked for (None when not given).
        design_seed: Seed of the Latin hypercube.
        vary: The ``--vary`` options as given.
    """

    base: Scenario
    scenarios: tuple[Scenario, ...]
    points: Mapping[str, Mapping[str, Value]]
    design: str
    samples: int | None
    design_seed: int
    vary: tuple[str, ...]

    @property
    def key(self) -> str:
        """A short hash of the whole sweep (the derived scenarios' definitions)."""
        text = "\n".join(f"{s.name} {s.hash}" for s in self.scenarios)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def default_name(self) -> str:
        """Default run-folder name: ``<base>-sweep-<key>``."""
        return f"{self.base.name}-sweep-{self.key}"

    def manifest_entry(self) -> dict[str, Any]:
        """The sweep's design, as recorded in the run's manifest under ``sweep``."""
        return {
            "base": self.base.name,
            "base_hash": self.base.hash,
            "design": self.design,
            "samples": self.samples,
            "design_seed": self.design_seed,
            "vary": list(self.vary),
            "parameters": list(next(iter(self.points.values()), {}).keys()),
            "points": [
                {"scenario": s.name, "hash": s.hash, "values": dict(self.points[s.name])}
                for s in self.scenarios
            ],
        }


def parse_vary(texts: Sequence[str]) -> tuple[list[Vary], list[str]]:
    """Parse ``--vary`` options against the parameter registry.

    Args:
        texts: Options such as ``employers.premium_min=0.01,0.03`` or ``market.x=1:10``.

    Returns:
        The parsed options and every problem found (empty when all are valid).
    """
    varies: list[Vary] = []
    problems: list[str] = []
    seen: set[str] = set()
    for text in texts:
        where = f"--vary {text}"
        name, sep, spec = text.partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not name or not spec:
            problems.append(f"{where}: expected name=v1,v2,... or name=lo:hi")
            continue
        param = REGISTRY.get(name)
        if param is None:
            match = difflib.get_close_matches(name, list(REGISTRY), n=1, cutoff=0.6)
            hint = f"; did you mean {match[0]!r}?" if match else ""
            problems.append(f"{where}: unknown parameter {name!r} (see `hiresim params`){hint}")
            continue
        if name in seen:
            problems.append(f"{where}: {name} is varied twice")
            continue
        seen.add(name)
        before = len(problems)
        if ":" in spec:
            low_text, _, high_text = spec.partition(":")
            if param.kind not in (int, float):
                problems.append(f"{where}: a range needs a numeric parameter; list the values")
                continue
            low = _parse_value(param, low_text.strip(), where, problems)
            high = _parse_value(param, high_text.strip(), where, problems)
            if len(problems) == before:
                assert low is not None and high is not None
                if float(low) >= float(high):
                    problems.append(f"{where}: the range must go from low to high")
                else:
                    varies.append(Vary(param, low=float(low), high=float(high), text=text))
        else:
            values = [_parse_value(param, v.strip(), where, problems) for v in spec.split(",")]
            if len(problems) == before:
                unique = tuple(dict.fromkeys(v for v in values if v is not None))
                varies.append(Vary(param, values=unique, text=text))
    return varies, problems


def _parse_value(param: Param, text: str, where: str, problems: list[str]) -> Value | None:
    value: Value
    if param.kind is bool:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            problems.append(f"{where}: {text!r} for {param.name}: expected true or false")
            return None
        value = lowered == "true"
    elif param.kind is str:
        value = text
    else:
        try:
            value = float(text)
        except ValueError:
            problems.append(
                f"{where}: {text!r} for {param.name}: expected a number in {param.range_text()}"
            )
            return None
        if param.kind is int and value.is_integer():
            value = int(value)
    message = param.check(value)
    if message is not None:
        problems.append(f"{where}: {text} for {param.name}: {message}")
        return None
    return param.coerce(value)


def design_points(
    varies: Sequence[Vary],
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
) -> list[dict[str, Value]]:
    """The design's points, each a mapping of varied parameter to value.

    Args:
        varies: Parsed ``--vary`` options.
        design: ``grid`` (cartesian product) or ``lhs`` (Latin hypercube).
        samples: Grid: points along each range. LHS: number of points (default
            :data:`DEFAULT_LHS_SAMPLES`).
        design_seed: Seed of the Latin hypercube, so a design is reproducible.

    Raises:
        SweepError: For a range in a grid without ``samples``, an unknown design, or bad
            ``samples``.
    """
    if not varies:
        raise SweepError(["give at least one --vary name=v1,v2,... or name=lo:hi"])
    if design == "grid":
        problems = []
        if samples is not None and samples < 2:
            problems.append("--samples must be at least 2 for grid ranges")
        if samples is None:
            problems += [
                f"--vary {v.text}: a range needs --design lhs, or --samples N for N evenly "
                "spaced grid values"
                for v in varies
                if v.is_range
            ]
        if problems:
            raise SweepError(problems)
        axes = [_grid_axis(v, samples or 0) for v in varies]
        return [
            dict(zip([v.name for v in varies], combo, strict=True))
            for combo in itertools.product(*axes)
        ]
    if design == "lhs":
        n = DEFAULT_LHS_SAMPLES if samples is None else samples
        if n < 1:
            raise SweepError(["--samples must be at least 1"])
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(varies), seed=design_seed).random(n)
        return [
            {v.name: _lhs_value(v, float(u)) for v, u in zip(varies, row, strict=True)}
            for row in unit
        ]
    raise SweepError([f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}"])


LOG_SPAN = 100.0
"""A positive range spanning this factor or more is scaled logarithmically (:class:`Scale`)."""


@dataclass(frozen=True)
class Scale:
    """A parameter's range mapped to ``[0, 1]``: the one map every design uses (sweeps' Latin
    hypercubes, calibration, sensitivity screens, robustness studies).

    Attributes:
        param: The parameter.
        span: The range mapped (default: the parameter's registry range).
        log: Whether the map is logarithmic (a positive range spanning :data:`LOG_SPAN` or more).
    """

    param: Param
    span: tuple[float, float] | None = None

    @property
    def log(self) -> bool:
        lo, hi = self.bounds
        return lo > 0 and hi / lo >= LOG_SPAN

    @property
    def bounds(self) -> tuple[float, float]:
        span = self.span if self.span is not None else self.param.range
        assert span is not None
        return float(span[0]), float(span[1])

    def to_unit(self, value: float) -> float:
        """The scaled position of ``value`` in ``[0, 1]``."""
        lo, hi = self.bounds
        if hi == lo:
            return 0.0
        if self.log:
            u = math.log(float(value) / lo) / math.log(hi / lo)
        else:
            u = (float(value) - lo) / (hi - lo)
        return min(1.0, max(0.0, u))

    def from_unit(self, u: float) -> Value:
        """The parameter value at scaled position ``u`` (clipped to ``[0, 1]``).

        Integers are rounded; floats keep six significant digits, so a value written to a
        scenario file is exactly the value that was simulated.
        """
        lo, hi = self.bounds
        u = min(1.0, max(0.0, float(u)))
        x = lo * (hi / lo) ** u if self.log else lo + u * (hi - lo)
        if self.param.kind is int:
            return int(min(hi, max(lo, math.floor(x + 0.5))))
        return min(hi, max(lo, float(f"{x:.6g}")))


def _grid_axis(vary: Vary, samples: int) -> list[Value]:
    if not vary.is_range:
        return list(vary.values)
    assert vary.low is not None and vary.high is not None
    step = (vary.high - vary.low) / (samples - 1)
    values = [vary.low + i * step for i in range(samples - 1)] + [vary.high]
    return list(dict.fromkeys(_in_type(vary.param, x) for x in values))


def _lhs_value(vary: Vary, u: float) -> Value:
    if not vary.is_range:
        return vary.values[min(int(u * len(vary.values)), len(vary.values) - 1)]
    assert vary.low is not None and vary.high is not None
    return Scale(vary.param, (vary.low, vary.high)).from_unit(u)


def _in_type(param: Param, x: float) -> Value:
    if param.kind is int:
        return math.floor(x + 0.5)  # half up, like the scenario's integer ramps
    return float(x)


def values_digest(values: Mapping[str, Value], length: int = 6) -> str:
    """A short hex hash of parameter values: the same values always give the same digest."""
    return hashlib.sha256(json.dumps(dict(values), sort_keys=True).encode()).hexdigest()[:length]


def point_name(base: str, index: int, width: int, values: Mapping[str, Value]) -> str:
    """``<base>__p<index>-<6 hex>``: the hash is of the varied values, so the name is stable."""
    return f"{base}__p{index:0{width}d}-{values_digest(values)}"


def build_sweep(
    base: Scenario,
    vary: Sequence[str],
    *,
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
) -> Sweep:
    """Parse, design and derive: one validated scenario per design point.

    Args:
        base: The scenario to vary (its run settings apply to every point).
        vary: ``--vary`` options.
        design: ``grid`` or ``lhs``.
        samples: See :func:`design_points`.
        design_seed: Seed of the Latin hypercube.

    Raises:
        SweepError: Listing every problem: bad options, out-of-range values, and design points
            that make an inconsistent scenario.
    """
    from sim.inputs.scenario import ScenarioError

    varies, problems = parse_vary(vary)
    if problems:
        raise SweepError(problems)
    points = design_points(varies, design, samples, design_seed)
    width = max(2, len(str(len(points))))
    scenarios: list[Scenario] = []
    named: dict[str, dict[str, Value]] = {}
    for i, point in enumerate(points, 1):
        name = point_name(base.name, i, width, point)
        shown = ", ".join(f"{k}={_show(v)}" for k, v in point.items())
        try:
            derived = base.with_params(
                point,
                name=name,
                description=f"{base.name} with {shown}"
                + (f". {base.description}" if base.description else ""),
            )
        except ScenarioError as exc:
            problems += [f"design point {name} ({shown}): {p.format()}" for p in exc.problems]
            continue
        scenarios.append(derived)
        named[name] = dict(point)
    if problems:
        raise SweepError(problems)
    return Sweep(
        base=base,
        scenarios=tuple(scenarios),
        points=named,
        design=design,
        samples=samples,
        design_seed=design_seed,
        vary=tuple(vary),
    )


def _show(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
