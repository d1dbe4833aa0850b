"""The layers stay one-way: every import inside ``sim`` points to its own layer or one below.

    cli, explore  ->  analysis  ->  experiments  ->  observe  ->  model  ->  inputs

A module may import from its own layer and the layers to its right, never to its left (the
package root, ``sim/__init__.py``, is the public facade and may name anything). Imports made only
for type checking count too: a type that points up the layers is a dependency that points up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
LAYERS = ("inputs", "model", "observe", "experiments", "analysis", "cli")
"""Bottom to top; ``explore`` (the web page) sits with ``cli`` at the top."""
RANK = {name: i for i, name in enumerate(LAYERS)} | {"explore": len(LAYERS) - 1}


def _layer(module: str) -> str | None:
    """The layer of a dotted module name inside ``sim`` (None for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "sim" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``sim`` module imported by the file at ``path``, with its line."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("sim.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sim":  # from sim import x: x is a subpackage (or the facade's)
                found += [(node.lineno, f"sim.{a.name}") for a in node.names]
            elif node.module.startswith("sim."):
                found.append((node.lineno, node.module))
    return found


MODULES = sorted(p for p in SIM.rglob("*.py") if p != SIM / "__init__.py")


def test_every_module_is_in_a_layer() -> None:
    for path in MODULES:
        layer = path.relative_to(SIM).parts[0]
        assert layer in RANK, f"{path.relative_to(SIM.parent)} is in no layer"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SIM.parent)))
def test_imports_point_down_the_layers(path: Path) -> None:
    own = path.relative_to(SIM).parts[0]
    wrong = []
    for line, module in _imports(path):
        layer = _layer(module)
        if layer in RANK and RANK[layer] > RANK[own]:
            wrong.append(f"line {line}: {module} ({layer} is above {own})")
    assert not wrong, f"{path.relative_to(SIM.parent)} imports up the layers:\n" + "\n".join(wrong)
