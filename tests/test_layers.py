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
    "lazy": 0,
    "countries": 1,
    "missions": 1,
    "geo": 1,
    "actors": 1,
    "data": 1,
    "sources": 2,
    "keptfiles": 3,
    "store": 3,
    "dialect": 3,
    "pgstore": 3,
    "sparkstore": 3,
    "migrations": 3,
    "enrich": 3,
    "loadreport": 3,
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


# Issue 16: the layers above the store read through it (Store.frame / rows / row), never through
# its DuckDB connection. Below it, the loaders are the DuckDB ingest engine on every store (ADR
# 026: on PostgreSQL a load computes in an in-memory DuckDB store and is written back), so they
# use the connection; INGEST_ENGINE names them, and a module that stops using it leaves the list.
THROUGH_THE_STORE = ("forecast", "analysis", "report", "web")
# The store's engines: DuckDB (store), PostgreSQL (pgstore, its SQL dialect and migrations),
# Spark (sparkstore).
STORE_ITSELF = ("store", "pgstore", "sparkstore", "dialect", "migrations")
INGEST_ENGINE = {
    "enrich",
    "loading",
    "vintages",
    "sources/acled",
    "sources/base",
    "sources/boundaries",
    "sources/geopko",
    "sources/reference",
    "sources/ucdp",
    "sources/unfatalities",
}


def _reaches_the_connection(path: Path) -> list[str]:
    """`import duckdb`, `.con` or `.execute(` in a module: what the store should do for it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name == "duckdb" for a in node.names):
            found.append(f"line {node.lineno}: import duckdb")
        elif isinstance(node, ast.ImportFrom) and node.module == "duckdb":
            found.append(f"line {node.lineno}: from duckdb")
        elif isinstance(node, ast.Attribute) and node.attr in ("con", "execute"):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_layers_above_the_store_do_not_touch_its_connection():
    offences = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("").as_posix()
        if rel.split("/")[0] in STORE_ITSELF or rel.split("/")[0] not in LAYERS:
            continue
        hits = _reaches_the_connection(path)
        if hits and (rel.split("/")[0] in THROUGH_THE_STORE or rel not in INGEST_ENGINE):
            offences[rel] = hits[:3]
    assert offences == {}


def test_the_ingest_engine_list_is_true():
    """A module that no longer reaches the connection leaves INGEST_ENGINE (the list is true)."""
    clean = [
        rel for rel in sorted(INGEST_ENGINE) if not _reaches_the_connection(PACKAGE / f"{rel}.py")
    ]
    assert clean == []
