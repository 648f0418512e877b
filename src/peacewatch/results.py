"""Heavy results computed once per store generation and reused (briefing, web pages, CLI).

The withdrawal-impact bootstrap and the forecasts take seconds; the briefing, the web pages and
the `impact` / `forecast` commands ask for the same ones. `cached(store, name, compute, *args)`
returns the result of `compute()` for this store's *generation* - a fingerprint of what the
store holds (every load, and the row count of every table the analyses read; incident reports
filed through the web app are left out, the heavy analyses do not read them) - and of the
peacewatch version. A new load changes the generation, so nothing stale is ever served.

Results are kept in the process and, for a store file, in `<store>.results/` beside it (one
pickle per result, readable only by the owner: as trusted as the store itself). A store that
cannot be written beside (read-only folder) keeps them in memory only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from peacewatch import __version__
from peacewatch.store import Store

T = TypeVar("T")
# Bump when a cached analysis changes what it returns for the same data.
CACHE_VERSION = 2
_TABLES = (
    "admin_boundaries",
    "camps",
    "coups",
    "deployments",
    "humanitarian",
    "timeline",
    "un_fatalities",
)
_memory: dict[str, Any] = {}
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def generation(store: Store) -> str:
    """A fingerprint of the store's contents as the heavy analyses see them."""
    parts: list[object] = [__version__, CACHE_VERSION, store.schema_version()]
    parts.append(store.rows("SELECT * FROM loads ORDER BY load_id"))
    parts.append(
        store.rows(
            "SELECT source, count(*), sum(fatalities_best) FROM events "
            "WHERE source <> 'incident' GROUP BY 1 ORDER BY 1"
        )
    )
    for table in _TABLES:
        if store.table_exists(table):
            parts.append(store.row(f"SELECT count(*) FROM {table}"))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def folder(store: Store) -> Path | None:
    """Where a store file's results are kept (None for an in-memory store)."""
    if str(store.path) in ("", ":memory:"):
        return None
    return store.path.with_name(store.path.name + ".results")


def cached(store: Store, name: str, compute: Callable[[], T], *args: object) -> T:
    """`compute()` for this store generation and these arguments, computed at most once."""
    where = folder(store)
    # In memory: no path; the generation (every load, with its time) tells stores apart.
    owner = str(store.path.resolve()) if where else ":memory:"
    asked = hashlib.sha256(repr((owner, name, args)).encode()).hexdigest()[:16]
    key = f"{name}-{asked}-{generation(store)[:16]}"
    with _lock(key):  # a second caller of the same result waits for the first
        return _get(store, key, where, compute)


def _lock(key: str) -> threading.Lock:
    with _guard:
        return _locks.setdefault(key, threading.Lock())


def _get(store: Store, key: str, where: Path | None, compute: Callable[[], T]) -> T:
    if key in _memory:
        return _memory[key]
    path = where / f"{key}.pkl" if where else None
    if path is not None and path.is_file():
        with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError):
            with path.open("rb") as fh:
                value = pickle.load(fh)  # noqa: S301 - our own file, beside the store
            _memory[key] = value
            return value
    value = compute()
    stem = key.rsplit("-", 1)[0] + "-"
    for old in [k for k in _memory if k.startswith(stem)]:
        del _memory[old]  # the same result of an older generation
    _memory[key] = value
    if path is not None:
        _save(path, value)
    return value


def _save(path: Path, value: object) -> None:
    """Write atomically (a part file renamed), owner-only; a folder we cannot write is skipped."""
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        name, asked, _generation = path.stem.rsplit("-", 2)
        for old in path.parent.glob(f"{name}-{asked}-*.pkl"):
            old.unlink(missing_ok=True)  # the same result of an older generation
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        return


def clear_memory() -> None:
    """Forget the results kept in this process (tests; the files stay)."""
    _memory.clear()
