"""Scenario files: TOML loading, ``extends`` chains, policies, validation and a stable hash.

A scenario file says, in a few lines, how a policy departs from its parent::

    name = "recession"
    description = "Target labour demand falls 18% for two years from month 13, then recovers."
    extends = "baseline"

    [run]
    months = 120

    [params]
    "employers.premium_conversion" = 0.6     # or: [params.employers] premium_conversion = 0.6

    [[policy]]                                # a step: `value` from output month 13 on
    param = "market.demand_cycle"
    month = 13
    value = 0.82

    [[policy]]                                # a ramp: linear from month 37 to month 48
    param = "market.demand_cycle"
    start = 37
    end = 48
    value = 1.0                               # optional `from = ...`
    note = "recovery"

:func:`load_scenario` resolves the ``extends`` chain into one frozen :class:`Scenario` holding
every registry parameter. A child's ``[params]`` override its parent's, its policies come after
its parent's and ``[run]`` merges key by key. Every problem in every file of the chain is gathered
before :class:`ScenarioError` is raised, so an analyst fixes them all in one pass.

Names (in arguments and in ``extends``) resolve beside the referring file, then in
``./scenarios/``, then in the scenarios shipped with the package.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

from sim.inputs.params import REGISTRY, Value, cross_check, defaults

__all__ = [
    "PACKAGE_SCENARIOS",
    "RUN_LIMITS",
    "Policy",
    "Problem",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "ScenarioInfo",
    "default_scenario",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
    "loads_scenario",
    "scenario_dirs",
]

PACKAGE_SCENARIOS = Path(str(files("sim.inputs.scenarios")))
"""The scenarios shipped with the package: the repository's ``scenarios/`` folder, installed as the
package data ``sim.inputs.scenarios``."""

RUN_LIMITS: Mapping[str, tuple[int, int]] = {
    "months": (1, 600),
    "students": (100, 10_000_000),
    "seeds": (1, 1000),
    "burn_in_months": (0, 600),
}
"""Inclusive bounds of each ``[run]`` setting."""

TOP_KEYS: tuple[str, ...] = ("name", "description", "extends", "run", "params", "policy")
POLICY_KEYS: tuple[str, ...] = ("param", "month", "start", "end", "value", "from", "note")
# Scenario names become file names and Parquet partition values, so keep them plain.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_NAME_RULE = "a name of letters, digits, '_', '-' or '.'"
_HASH_VERSION = "hiresim-scenario-1"
_ARGS = "(arguments)"


# ==================================================================== data


@dataclass(frozen=True)
class Policy:
    """A change to one parameter during a run.

    A step (``end`` is None) sets ``value`` from output month ``start`` on. A ramp (``end`` set)
    goes linearly from ``from_value`` at month ``start`` to ``value`` at month ``end`` and then
    holds; ``from_value`` None means the value in effect at month ``start - 1`` (given the base
    value and the policies listed before this one). Integer parameters are rounded (half up);
    boolean and string parameters cannot ramp.

    Attributes:
        param: Dotted parameter name.
        start: First output month (1-based) the policy acts in.
        value: Value from ``start`` (step) or reached at ``end`` (ramp).
        end: Last month of a ramp; None for a step.
        from_value: Value of a ramp at ``start``; None for the value in effect before.
        note: Free text for the reader.
    """

    param: str
    start: int
    value: Value
    end: int | None = None
    from_value: Value | None = None
    note: str = ""

    @property
    def is_ramp(self) -> bool:
        """Whether the policy is a linear ramp rather than a step."""
        return self.end is not None

    def describe(self) -> str:
        """One line for people: ``0.7 from month 13`` or ``ramp to 1 over months 37-48``."""
        if self.end is None:
            text = f"{_show(self.value)} from month {self.start}"
        else:
            origin = "" if self.from_value is None else f"from {_show(self.from_value)} "
            text = f"ramp {origin}to {_show(self.value)} over months {self.start}-{self.end}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class RunSettings:
    """How a scenario is run by default (the CLI can override each setting).

    Attributes:
        months: Output months reported after burn-in.
        students: Population size (enrolled students).
        seeds: Number of replications.
        burn_in_months: Months simulated, and not reported, before month 1.
    """

    months: int = 120
    students: int = 20_000
    seeds: int = 10
    burn_in_months: int = 60


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes:
        file: The file (or ``(arguments)``, ``<overrides>``...) the problem is in.
        key: Key path in that file (``params.employers.premium_min``, ``policy[2].end``).
        value: The value given; None when the key is missing or has no single value.
        message: What is wrong and what is allowed.
        hint: A suggestion such as ``did you mean 'description'?``.
    """

    file: str
    key: str
    value: object
    message: str
    hint: str | None = None

    def format(self) -> str:
        """The problem on one line: ``file: key = value: message; hint``."""
        where = _one_line(self.key)
        if self.value is not None:
            shown = _show(self.value)
            where = f"{where} = {shown}" if where else shown
        file, message = _one_line(self.file), _one_line(self.message)
        text = f"{file}: {where}: {message}" if where else f"{file}: {message}"
        return f"{text}; {_one_line(self.hint)}" if self.hint else text


class ScenarioError(Exception):
    """A scenario could not be resolved; :attr:`problems` lists every reason at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        """Every problem, one per line."""
        return "\n".join(p.format() for p in self.problems)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        # Keep the problems when the error crosses a process boundary.
        return (ScenarioError, (self.problems,))


class ScenarioInfo(NamedTuple):
    """A scenario found on the search path."""

    name: str
    description: str
    path: Path


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: every parameter's value, the policies and the run settings.

    Equality and :attr:`hash` depend on the content only; ``source``, ``chain``, ``origins`` and
    ``policy_origins`` record where the content came from.

    Attributes:
        name: Scenario name.
        description: What the scenario changes and why.
        params: Every registry parameter as ``(name, value)``, in registry order.
        policies: Changes during the run, parents' first.
        run: Default run settings.
        source: The file it was loaded from, if any.
        chain: Scenario names along the ``extends`` chain, this one first.
        origins: ``(param, scenario name)`` for each parameter set by a file along the chain
            (``override`` for :meth:`with_params`); the rest are registry defaults.
        policy_origins: The scenario name each policy came from, parallel to ``policies``.
    """

    name: str
    description: str
    params: tuple[tuple[str, Value], ...]
    policies: tuple[Policy, ...]
    run: RunSettings
    source: str | None = field(default=None, compare=False)
    chain: tuple[str, ...] = field(default=(), compare=False)
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    policy_origins: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def _values(self) -> dict[str, Value]:
        return dict(self.params)

    @cached_property
    def _schedule(self) -> _Schedule:
        return _Schedule(self._values, self.policies)

    def value(self, name: str) -> Value:
        """The base value (before policies) of one parameter.

        Raises:
            KeyError: For an unknown name, with a suggestion.
        """
        try:
            return self._values[name]
        except KeyError:
            hint = param_hint(name)
            raise KeyError(f"unknown parameter {name!r}" + (f"; {hint}" if hint else "")) from None

    def values(self) -> dict[str, Value]:
        """Every parameter's base value (before policies), by name; a new dict."""
        return dict(self._values)

    def params_at(self, month: int) -> dict[str, Value]:
        """Every parameter's value in one month, policies applied.

        Args:
            month: Output month; 0 and below are burn-in months, which use the base values.

        Returns:
            A new dict of every parameter's value.
        """
        return self._schedule.at(month)

    @cached_property
    def hash(self) -> str:
        """Hex SHA-256 of the canonical JSON of params, policies and run settings.

        Name, description and provenance are left out, so two files stating the same scenario
        share a hash; so is ``run.seeds``, which says how many replications to run, not what
        any one replication computes (so adding seeds to a run resumes it). The JSON is built
        from sorted keys and Python's shortest float repr, so the hash is the same in every
        process and on every machine.
        """
        payload = {
            "version": _HASH_VERSION,
            "params": dict(self.params),
            "policies": [_canonical_policy(p) for p in self.policies],
            "run": {k: v for k, v in asdict(self.run).items() if k != "seeds"},
        }
        text = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as JSON-able data (:meth:`from_dict` reads it back)."""
        return {
            "name": self.name,
            "description": self.description,
            "hash": self.hash,
            "params": dict(self.params),
            "policies": [asdict(p) for p in self.policies],
            "run": asdict(self.run),
            "source": self.source,
            "chain": list(self.chain),
            "origins": dict(self.origins),
            "policy_origins": list(self.policy_origins),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scenario:
        """Rebuild a scenario from :meth:`to_dict` output, validating it again.

        Parameters missing from ``d["params"]`` take their registry defaults. Policy months are
        not checked against the horizon (:meth:`with_run` may have shortened it).

        Raises:
            ScenarioError: When the data does not describe a valid scenario.
        """
        if not isinstance(d, Mapping):
            raise ScenarioError([Problem("<dict>", "", None, "expected a mapping")])
        file = str(d.get("source") or "<dict>")
        policies = d.get("policies", [])
        doc: dict[str, Any] = {
            "name": d.get("name"),
            "description": d.get("description"),
            "params": d.get("params", {}),
            "run": d.get("run", {}),
            "policy": [_policy_fields_to_toml(p) for p in policies]
            if isinstance(policies, list)
            else policies,
        }
        problems: list[Problem] = []
        layer = _parse_document(doc, file, problems)
        origins = d.get("origins")
        if isinstance(origins, Mapping):
            layer.param_origins = {
                k: str(v) for k, v in origins.items() if k in layer.params and isinstance(v, str)
            }
        else:
            layer.param_origins = {}
        policy_origins = d.get("policy_origins")
        if isinstance(policy_origins, list) and len(policy_origins) == len(layer.policies):
            for entry, origin in zip(layer.policies, policy_origins, strict=True):
                entry.origin = str(origin)
        chain = d.get("chain")
        return _build(
            [layer],
            problems,
            check_horizon=False,
            source=d.get("source") if isinstance(d.get("source"), str) else None,
            chain=tuple(str(c) for c in chain) if isinstance(chain, list) else (),
        )

    def with_run(self, **changes: object) -> Scenario:
        """A copy with some run settings changed (``months=24``, ``students=2000``...).

        A None value leaves that setting as it is, so CLI options that default to None can be
        passed straight through. Any other value is checked (a whole number in the setting's
        range), so values typed by a person can be passed as read. Policies beyond a shortened
        horizon simply never act.

        Raises:
            ScenarioError: For an unknown setting or a value out of range.
        """
        problems: list[Problem] = []
        given = {k: v for k, v in changes.items() if v is not None}
        run = _parse_run(given, _ARGS, problems, prefix="")
        if problems:
            raise ScenarioError(problems)
        return replace(self, run=replace(self.run, **run))

    def with_params(
        self,
        overrides: Mapping[str, Value],
        name: str | None = None,
        description: str | None = None,
    ) -> Scenario:
        """A copy with some parameters' base values changed, validated like a file.

        Args:
            overrides: New values by dotted name.
            name: New name (default: this scenario's).
            description: New description (default: this scenario's).

        Raises:
            ScenarioError: For an unknown name, a bad value or an inconsistent set.
        """
        problems: list[Problem] = []
        doc = {
            "name": self.name if name is None else name,
            "description": self.description if description is None else description,
            "params": dict(overrides),
        }
        layer = _parse_document(doc, "<overrides>", problems)
        layer.param_origins = dict.fromkeys(layer.params, "override")
        return _build(
            [_layer_of(self), layer],
            problems,
            check_horizon=False,
            source=self.source,
            chain=self.chain,
        )


def default_scenario() -> Scenario:
    """The registry defaults as a scenario named ``defaults``, with no policies."""
    return Scenario(
        name="defaults",
        description="Every parameter at its registry default; no policies.",
        params=tuple(defaults().items()),
        policies=(),
        run=RunSettings(),
    )


# ==================================================================== finding files


def scenario_dirs(base_dir: Path | None = None) -> list[Path]:
    """The folders searched for scenario names, in order (duplicates removed).

    Args:
        base_dir: The referring file's folder, searched first.
    """
    dirs: list[Path] = []
    seen: set[Path] = set()
    for d in (base_dir, Path.cwd() / "scenarios", PACKAGE_SCENARIOS):
        if d is None:
            continue
        try:
            real = d.resolve()
        except (OSError, RuntimeError):
            continue
        if real not in seen:
            seen.add(real)
            dirs.append(d)
    return dirs


def find_scenario(name: str, base_dir: Path | None = None) -> Path:
    """The file a scenario name or path refers to.

    A reference ending in ``.toml`` or containing a path separator is a path (relative to
    ``base_dir`` when given). Otherwise ``<name>.toml`` is looked for in :func:`scenario_dirs`.

    Raises:
        ScenarioError: When nothing matches, with a suggestion.
    """
    found = _find(name, base_dir)
    if found is not None:
        return found
    raise ScenarioError([_not_found(name, base_dir, _ARGS, "scenario")])


def list_scenarios(base_dir: Path | None = None) -> list[ScenarioInfo]:
    """Every scenario on the search path, the first of each name (as resolution picks it).

    Args:
        base_dir: A folder searched before ``./scenarios`` and the package's.

    Returns:
        Name, description and path of each, sorted by name. A file that cannot be read has a
        description saying so.
    """
    found: dict[str, ScenarioInfo] = {}
    for d in scenario_dirs(base_dir):
        try:
            paths = sorted(d.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            if path.stem in found or not _NAME.match(path.stem):
                continue
            try:
                doc = tomllib.loads(path.read_text(encoding="utf-8"))
                description = doc.get("description")
                if not isinstance(description, str):
                    description = "(no description)"
            except (OSError, ValueError, RecursionError) as e:
                description = f"(cannot read: {e})"
            found[path.stem] = ScenarioInfo(path.stem, description, path)
    return [found[k] for k in sorted(found)]


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(".toml") or "/" in ref or "\\" in ref


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # ValueError: embedded NUL byte
        return False


def _find(ref: str, base_dir: Path | None) -> Path | None:
    if _looks_like_path(ref):
        path = Path(ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path if _is_file(path) else None
    if not _NAME.match(ref):
        return None
    for d in scenario_dirs(base_dir):
        path = d / f"{ref}.toml"
        if _is_file(path):
            return path
    return None


def _not_found(ref: str, base_dir: Path | None, file: str, key: str) -> Problem:
    if _looks_like_path(ref):
        return Problem(file, key, ref, "no such file")
    if not _NAME.match(ref):
        return Problem(file, key, ref, f"expected {_NAME_RULE}, or a path to a .toml file")
    looked = ", ".join(str(d) if str(d) != "." else "./" for d in scenario_dirs(base_dir))
    names = [info.name for info in list_scenarios(base_dir)]
    return Problem(
        file, key, ref, f"no scenario of that name (looked in {looked})", _did_you_mean(ref, names)
    )


# ==================================================================== loading


def load_scenario(ref: str | Path, *, base_dir: Path | None = None) -> Scenario:
    """Load and resolve a scenario named by a path or by name.

    Args:
        ref: A path to a TOML file, or a name looked up by :func:`find_scenario`.
        base_dir: Folder searched first for names (and that relative paths are relative to).

    Returns:
        The resolved scenario.

    Raises:
        ScenarioError: Listing every problem along the ``extends`` chain.
    """
    if isinstance(ref, Path):
        path = ref if ref.is_absolute() or base_dir is None else base_dir / ref
        if not _is_file(path):
            raise ScenarioError([Problem(str(path), "", None, "no such file")])
    else:
        path = find_scenario(ref, base_dir)
    problems: list[Problem] = []
    first = _read_layer(path, problems)
    return _resolve(first, path.parent, [_real(path)], problems, source=str(path))


def loads_scenario(text: str, *, file: str = "<text>", base_dir: Path | None = None) -> Scenario:
    """Resolve a scenario from TOML text; ``extends`` names resolve from ``base_dir`` first.

    Raises:
        ScenarioError: Listing every problem along the ``extends`` chain.
    """
    problems: list[Problem] = []
    first = _parse_text(text, file, problems)
    return _resolve(first, base_dir, [], problems, source=None)


def _resolve(
    first: _Layer,
    first_dir: Path | None,
    seen: list[Path],
    problems: list[Problem],
    source: str | None,
) -> Scenario:
    """Follow ``extends`` from ``first`` (each parent resolves beside its child) and build."""
    layers = [first]
    layer, look_in = first, first_dir
    while layer.extends is not None:
        parent = _find(layer.extends, look_in)
        if parent is None:
            problems.append(_not_found(layer.extends, look_in, layer.file, "extends"))
            break
        real = _real(parent)
        if real in seen:
            names = [lay.label for lay in layers] + [layer.extends]
            problems.append(
                Problem(layer.file, "extends", layer.extends, "cycle: " + " -> ".join(names))
            )
            break
        seen.append(real)
        layer, look_in = _read_layer(parent, problems), parent.parent
        layers.append(layer)
    return _build(
        list(reversed(layers)),
        problems,
        check_horizon=True,
        source=source,
        chain=tuple(lay.label for lay in layers),
    )


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


@dataclass
class _PolicyEntry:
    policy: Policy
    origin: str  # name of the scenario that states it


@dataclass
class _Layer:
    """One file's valid content; its problems go to the shared list."""

    file: str
    name: str | None = None
    description: str | None = None
    extends: str | None = None
    params: dict[str, Value] = field(default_factory=dict)
    param_origins: dict[str, str] = field(default_factory=dict)
    bad_params: set[str] = field(default_factory=set)
    run: dict[str, int] = field(default_factory=dict)
    policies: list[_PolicyEntry] = field(default_factory=list)
    # (key path, month) of every whole-number policy month, valid policy or not, so that the
    # horizon check (which needs the merged run.months) sees them all.
    policy_months: list[tuple[str, int]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or Path(self.file).stem


def _layer_of(scenario: Scenario) -> _Layer:
    """An already-valid scenario as the root layer of a new resolution."""
    origins = dict(scenario.origins)
    policy_origins = scenario.policy_origins or (scenario.name,) * len(scenario.policies)
    return _Layer(
        file=scenario.source or scenario.name,
        name=scenario.name,
        description=scenario.description,
        params=scenario.values(),
        param_origins=origins,
        run=asdict(scenario.run),
        policies=[
            _PolicyEntry(p, origin)
            for p, origin in zip(scenario.policies, policy_origins, strict=True)
        ],
    )


def _read_layer(path: Path, problems: list[Problem]) -> _Layer:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.append(Problem(file, "", None, f"cannot read the file: {e.strerror or e}"))
        return _Layer(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(Problem(file, "", None, f"not UTF-8 text (bad byte at offset {e.start})"))
        return _Layer(file)
    return _parse_text(text, file, problems)


def _parse_text(text: str, file: str, problems: list[Problem]) -> _Layer:
    try:
        doc = tomllib.loads(text)
    except (ValueError, RecursionError) as e:  # TOMLDecodeError is a ValueError
        problems.append(Problem(file, "", None, f"TOML syntax error: {e}"))
        return _Layer(file)
    return _parse_document(doc, file, problems)


def _parse_document(doc: Mapping[str, Any], file: str, problems: list[Problem]) -> _Layer:
    """Check one document's keys and values; keep what is valid."""
    layer = _Layer(file)
    for key, value in doc.items():
        if key not in TOP_KEYS:
            problems.append(
                Problem(
                    file,
                    key,
                    value,
                    f"unknown top-level key (allowed: {', '.join(TOP_KEYS)})",
                    _did_you_mean(key, TOP_KEYS),
                )
            )
    name = doc.get("name")
    if name is None:
        problems.append(Problem(file, "name", None, f"missing: required, {_NAME_RULE}"))
    elif not isinstance(name, str) or not _NAME.match(name):
        problems.append(Problem(file, "name", name, f"expected {_NAME_RULE}"))
    else:
        layer.name = name
    description = doc.get("description")
    if description is None:
        problems.append(
            Problem(file, "description", None, "missing: required, a sentence for the reader")
        )
    elif not isinstance(description, str) or not description.strip():
        problems.append(Problem(file, "description", description, "expected non-empty text"))
    else:
        layer.description = description
    extends = doc.get("extends")
    if extends is not None:
        if isinstance(extends, str) and extends:
            layer.extends = extends
        else:
            problems.append(
                Problem(file, "extends", extends, "expected a scenario name or a path to a file")
            )
    if "run" in doc:
        layer.run = _parse_run(doc["run"], file, problems, prefix="run.")
    if "params" in doc:
        _parse_params(doc["params"], layer, problems)
    if "policy" in doc:
        layer.policies = _parse_policies(doc["policy"], layer, problems)
    layer.param_origins = dict.fromkeys(layer.params, layer.label)
    return layer


def _as_int(value: object) -> int | None:
    """``value`` as an int when it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _parse_run(table: object, file: str, problems: list[Problem], prefix: str) -> dict[str, int]:
    if not isinstance(table, Mapping):
        problems.append(Problem(file, prefix.rstrip("."), table, "expected a table [run]"))
        return {}
    run: dict[str, int] = {}
    for key, value in table.items():
        if key not in RUN_LIMITS:
            problems.append(
                Problem(
                    file,
                    prefix + str(key),
                    value,
                    f"unknown run setting (allowed: {', '.join(RUN_LIMITS)})",
                    _did_you_mean(str(key), RUN_LIMITS),
                )
            )
            continue
        lo, hi = RUN_LIMITS[key]
        number = _as_int(value)
        if number is None:
            problems.append(
                Problem(file, prefix + key, value, f"expected a whole number in [{lo}, {hi}]")
            )
        elif not lo <= number <= hi:
            problems.append(Problem(file, prefix + key, value, f"out of range [{lo}, {hi}]"))
        else:
            run[key] = number
    return run


def _flatten(table: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(dotted name, value)`` for every leaf of nested tables, in file order.

    Iterative, so deeply nested tables cannot exhaust the stack; a table at a parameter's own
    name is returned as the (wrong-typed) value rather than descended into.
    """
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = list(reversed(list(table.items())))
    while stack:
        key, value = stack.pop()
        if isinstance(value, Mapping) and value and key not in REGISTRY:
            stack.extend(reversed([(f"{key}.{k}", v) for k, v in value.items()]))
        else:
            out.append((key, value))
    return out


def _parse_params(table: object, layer: _Layer, problems: list[Problem]) -> None:
    file = layer.file
    if not isinstance(table, Mapping):
        problems.append(Problem(file, "params", table, "expected a table [params]"))
        return
    for name, value in _flatten(table):
        key = f"params.{name}"
        param = REGISTRY.get(name)
        if param is None:
            problems.append(
                Problem(
                    file,
                    key,
                    value,
                    "unknown parameter (see `hiresim params`)",
                    param_hint(name),
                )
            )
        elif name in layer.params or name in layer.bad_params:
            problems.append(Problem(file, key, value, "set twice in this file"))
        elif (message := param.check(value)) is not None:
            problems.append(Problem(file, key, value, message))
            layer.bad_params.add(name)
        else:
            layer.params[name] = param.coerce(value)


def _parse_policies(entries: object, layer: _Layer, problems: list[Problem]) -> list[_PolicyEntry]:
    file = layer.file
    if not isinstance(entries, list):
        problems.append(
            Problem(file, "policy", entries, "expected [[policy]] entries (an array of tables)")
        )
        return []
    parsed: list[_PolicyEntry] = []
    for i, entry in enumerate(entries, 1):
        key = f"policy[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(
                Problem(file, key, entry, "expected a table with param, month and value")
            )
            continue
        before = len(problems)
        for k, v in entry.items():
            if k not in POLICY_KEYS:
                problems.append(
                    Problem(
                        file,
                        f"{key}.{k}",
                        v,
                        f"unknown policy key (allowed: {', '.join(POLICY_KEYS)})",
                        _did_you_mean(str(k), POLICY_KEYS),
                    )
                )
        policy = _parse_policy(entry, file, key, problems, layer.policy_months)
        if policy is not None and len(problems) == before:
            parsed.append(_PolicyEntry(policy, layer.label))
    return parsed


def _parse_policy(
    entry: Mapping[str, Any],
    file: str,
    key: str,
    problems: list[Problem],
    months: list[tuple[str, int]],
) -> Policy | None:
    """One ``[[policy]]`` table as a Policy, or None after recording its problems.

    Every whole-number month given is appended to ``months`` as ``(key path, month)``.
    """
    ok = True

    def bad(sub: str, value: object, message: str, hint: str | None = None) -> None:
        nonlocal ok
        ok = False
        problems.append(Problem(file, f"{key}.{sub}" if sub else key, value, message, hint))

    name = entry.get("param")
    param = None
    if name is None:
        bad("param", None, "missing: required, a parameter's dotted name")
    elif not isinstance(name, str):
        bad("param", name, "expected a parameter's dotted name")
    elif (param := REGISTRY.get(name)) is None:
        bad("param", name, "unknown parameter (see `hiresim params`)", param_hint(name))

    def month(sub: str) -> int | None:
        number = _as_int(entry[sub])
        if number is None:
            bad(sub, entry[sub], "expected a whole month number (1 = first output month)")
        else:
            months.append((f"{key}.{sub}", number))
        return number

    start = end = None
    has = {k: k in entry for k in ("month", "start", "end")}
    if has["month"] and (has["start"] or has["end"]):
        bad("", None, "give `month` (a step) or `start` and `end` (a ramp), not both")
    elif has["month"]:
        start = month("month")
    elif has["start"]:
        start = month("start")
        end = month("end") if has["end"] else None
    elif has["end"]:
        bad("start", None, "missing: a ramp needs `start` as well as `end`")
    else:
        bad("month", None, "missing: required, `month` (a step) or `start` and `end` (a ramp)")
    if start is not None and end is not None and end <= start:
        bad("end", entry["end"], f"a ramp must end after it starts (start = {start})")

    ramp = has["end"] and not has["month"]
    if param is not None and ramp and param.kind in (bool, str):
        bad("param", name, f"a {param.kind.__name__} parameter cannot ramp; use `month` (a step)")

    def checked(sub: str) -> Value | None:
        value = entry[sub]
        if param is None:
            return None
        message = param.check(value)
        if message is not None:
            bad(sub, value, message)
            return None
        return param.coerce(value)

    value = from_value = None
    if "value" not in entry:
        bad("value", None, "missing: required, the parameter's new value")
    else:
        value = checked("value")
    if "from" in entry:
        if not ramp:
            bad("from", entry["from"], "`from` applies only to a ramp (`start` and `end`)")
        else:
            from_value = checked("from")
    note = entry.get("note", "")
    if not isinstance(note, str):
        bad("note", note, "expected text")
    if not ok or param is None or start is None or value is None:
        return None
    return Policy(
        param=param.name, start=start, value=value, end=end, from_value=from_value, note=note
    )


def _build(
    layers: list[_Layer],
    problems: list[Problem],
    *,
    check_horizon: bool,
    source: str | None,
    chain: tuple[str, ...],
) -> Scenario:
    """Merge layers (root first), run the checks that need the whole, and build the Scenario."""
    values = defaults()
    origins: dict[str, str] = {}
    bad: set[str] = set()
    run: dict[str, int] = {}
    run_files: dict[str, str] = {}
    entries: list[_PolicyEntry] = []
    for layer in layers:
        values.update(layer.params)
        origins.update(layer.param_origins)
        bad |= layer.bad_params
        run.update(layer.run)
        run_files.update(dict.fromkeys(layer.run, layer.file))
        entries.extend(layer.policies)
    leaf = layers[-1]
    settings = RunSettings(**run)

    if check_horizon:
        months = settings.months
        where = f"run.months = {months}" + (
            f", set in {run_files['months']}" if "months" in run_files else ", the default"
        )
        for layer in layers:
            for key, month in layer.policy_months:
                if not 1 <= month <= months:
                    problems.append(
                        Problem(
                            layer.file,
                            key,
                            month,
                            f"outside the run's months [1, {months}] ({where})",
                        )
                    )

    consistent = True
    for key, message in cross_check(values):
        # A rule broken only because a bad value was left out would repeat a listed problem.
        if not any(name in message for name in bad):
            problems.append(Problem(leaf.file, f"params.{key}", values[key], message))
        consistent = False

    policies = tuple(e.policy for e in entries)
    if consistent and not problems and policies:
        problems.extend(_check_policy_months(values, policies, settings.months, leaf.file))
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=leaf.name or leaf.label,
        description=leaf.description or "",
        params=tuple((name, values[name]) for name in REGISTRY),
        policies=policies,
        run=settings,
        source=source,
        chain=chain,
        origins=tuple((name, origins[name]) for name in REGISTRY if name in origins),
        policy_origins=tuple(e.origin for e in entries),
    )


def _check_policy_months(
    values: dict[str, Value], policies: tuple[Policy, ...], months: int, file: str
) -> list[Problem]:
    """Cross-parameter rules in every month where policies change values."""
    schedule = _Schedule(values, policies)
    first = min(p.start for p in policies)
    last = max(p.end or p.start for p in policies)
    problems: list[Problem] = []
    reported: set[str] = set()
    for month in range(max(first, 1), min(last, months) + 1):
        for key, message in cross_check(schedule.at(month)):
            if key not in reported:
                reported.add(key)
                problems.append(Problem(file, "policy", None, f"from month {month} on, {message}"))
    return problems


# ==================================================================== policies in time


class _Schedule:
    """Parameter values month by month: the base plus, for policy parameters, their plans."""

    __slots__ = ("base", "plans", "whole")

    def __init__(self, base: dict[str, Value], policies: Iterable[Policy]) -> None:
        self.base = base
        self.plans: dict[str, list[tuple[int, int | None, Value, Value]]] = {}
        for p in policies:
            steps = self.plans.setdefault(p.param, [])
            if p.end is None:
                steps.append((p.start, None, p.value, p.value))
            else:
                begin = p.from_value
                if begin is None:
                    begin = self._eval(p.param, steps, p.start - 1)
                steps.append((p.start, p.end, begin, p.value))
        self.whole = {name: type(base.get(name)) is int for name in self.plans}

    def _eval(
        self, name: str, steps: list[tuple[int, int | None, Value, Value]], month: int
    ) -> Value:
        value = self.base[name]
        for start, end, begin, target in steps:
            if month < start:
                continue
            if end is None or month >= end:
                value = target
            else:
                t = (month - start) / (end - start)
                x = (1.0 - t) * float(begin) + t * float(target)
                value = math.floor(x + 0.5) if self.whole.get(name) else x
        return value

    def at(self, month: int) -> dict[str, Value]:
        out = dict(self.base)
        if month >= 1:
            for name, steps in self.plans.items():
                out[name] = self._eval(name, steps, month)
        return out


# ==================================================================== helpers


def _canonical_policy(p: Policy) -> dict[str, Any]:
    param = REGISTRY.get(p.param)

    def norm(v: Value | None) -> Value | None:
        return v if v is None or param is None else param.coerce(v)

    return {
        "param": p.param,
        "start": p.start,
        "end": p.end,
        "value": norm(p.value),
        "from_value": norm(p.from_value),
        "note": p.note,
    }


def _policy_fields_to_toml(p: object) -> object:
    """A :meth:`Scenario.to_dict` policy in ``[[policy]]`` form, for one parser to check both."""
    if not isinstance(p, Mapping):
        return p
    out = {k: v for k, v in p.items() if k not in ("from_value", "end") and v is not None}
    if p.get("end") is not None:
        out["end"] = p["end"]
    if p.get("from_value") is not None:
        out["from"] = p["from_value"]
    return out


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def param_hint(name: str) -> str | None:
    """A near-miss parameter name, matched whole or by the part after the group."""
    hint = _did_you_mean(name, REGISTRY)
    if hint is not None:
        return hint
    leaves = {full.split(".", 1)[1]: full for full in REGISTRY}
    match = difflib.get_close_matches(name.rsplit(".", 1)[-1], list(leaves), n=1, cutoff=0.75)
    return f"did you mean {leaves[match[0]]!r}?" if match else None


_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """``text`` with control characters escaped, so one problem stays on one line."""
    return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


def _show(value: object) -> str:
    """A value as TOML would write it, on one line and shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = repr(value)
        except RecursionError:
            text = "<deeply nested value>"
    text = _one_line(text)
    return text if len(text) <= 60 else text[:57] + "..."
