"""Stages import only from stages to their left (DESIGN.md data flow)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "peacewatch"

# Lower number = further left. A module may import only from its own or lower layers.
LAYERS = {
    "settings": 0,
    "dates": 0,
    "errors": 0,
    "csvsafe": 0,
    "schema": 0,
    "countries": 1,
    "missions": 1,
    "geo": 1,
    "actors": 1,
    "data": 1,
    "sources": 2,
    "store": 3,
    "loading": 3,
    "vintages": 3,
    "accounts": 3,
    "incidents": 3,
    "panel": 4,
    "results": 4,
    "indicators": 5,
    "analysis": 5,
    "forecast": 5,
    "api": 6,
    "notify": 6,
    "export": 6,
    "report": 7,
    "web": 7,
    "cli": 8,
    "__main__": 9,
    "__init__": 0,
}


def _layer(module: str) -> int:
    return LAYERS[module.split(".", maxsplit=1)[0]]


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        assert rel.parts[0] in LAYERS, f"{rel} is not placed in a layer"


def test_imports_go_left_only():
    offences = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        own = _layer(rel.parts[0])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("peacewatch."):
                    target = name.removeprefix("peacewatch.")
                    if _layer(target) > own:
                        offences.append(f"{rel} imports {name}")
                elif name == "peacewatch" and isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        if alias.name in LAYERS and _layer(alias.name) > own:
                            offences.append(f"{rel} imports peacewatch.{alias.name}")
    assert offences == []
