"""The shape the house keeps: no import cycle between the production packages, no
module past ~400 lines, and development tooling outside what the Lambda layer ships."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "kairos"


def package_imports() -> dict[str, set[str]]:
    """`kairos.<a>` → the `kairos.<b>` it imports (modules at the top count as packages)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in LAYER.rglob("*.py"):
        source = path.relative_to(LAYER).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "kairos" and len(parts) > 1 and parts[1] != source:
                    edges[source].add(parts[1])
    return edges


def test_no_cycle_between_packages() -> None:
    edges = package_imports()
    cycles = []

    def visit(start: str, node: str, path: list[str]) -> None:
        for following in sorted(edges.get(node, ())):
            if following == start:
                cycles.append(" → ".join([*path, start]))
            elif following not in path:
                visit(start, following, [*path, following])

    for package in sorted(edges):
        visit(package, package, [package])
    assert cycles == []


def test_the_wiring_is_imported_by_no_domain_package() -> None:
    edges = package_imports()
    assert [p for p, targets in edges.items() if "wiring" in targets] == []


def test_no_production_module_past_400_lines() -> None:
    long = {
        str(p.relative_to(LAYER)): n
        for p in LAYER.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert long == {}


def test_development_tooling_is_not_in_the_layer() -> None:
    shipped = {p.relative_to(LAYER).parts[0] for p in LAYER.iterdir()}
    assert not shipped & {"local", "commands", "cli.py", "memory"}
