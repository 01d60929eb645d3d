"""Inside `kairos.delivery` no module imports one that imports it back, not even under
TYPE_CHECKING (fanout ⇄ service and frequency ⇄ ports were the two circles)."""

from __future__ import annotations

import ast
from pathlib import Path

DELIVERY = Path(__file__).resolve().parents[3] / "layers" / "kairos" / "delivery"


def module_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in DELIVERY.rglob("*.py"):
        name = ".".join(path.relative_to(DELIVERY).with_suffix("").parts)
        edges[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("kairos.delivery."):
                    edges[name].add(target.removeprefix("kairos.delivery."))
    return {m: {t for t in ts if t in edges and t != m} for m, ts in edges.items()}


def test_no_import_circle_inside_delivery() -> None:
    edges = module_imports()
    circles = []

    def visit(start: str, node: str, path: list[str]) -> None:
        for following in sorted(edges[node]):
            if following == start:
                circles.append(" → ".join([*path, start]))
            elif following not in path:
                visit(start, following, [*path, following])

    for module in sorted(edges):
        visit(module, module, [module])
    assert circles == []


def test_the_test_sees_the_modules() -> None:
    edges = module_imports()
    assert "ports" in edges["frequency"]
    assert "ports" in edges["fanout"]
