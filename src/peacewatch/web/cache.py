"""Security headers on every response, and a cache of anonymous GET answers.

One pure-ASGI middleware; the cached routes: events, panels, map, indicators, forecasts, sources.

Only anonymous requests (no Authorization header, no session cookie) are answered from the
cache or kept in it: what a signed-in caller sees depends on their role (licensed rows), and a
revoked token must be refused on its next request, never answered from a cache.

Those answers depend only on the store. They are dropped only when a write changes what they
read - a published incident, which becomes an event (`invalidate`, called by the routes that
publish) - never because of a failed, anonymous or unrelated request: one bad POST emptied the
cache of slow analyses before (a denial of service). An answer computed while a write happened
is not kept.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from peacewatch.web.security import SESSION_COOKIE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHED_PATHS = ("/api/events", "/api/panels", "/api/map/admin1", "/api/map/grid",
                "/api/map/camps", "/api/indicators", "/api/forecasts", "/api/sources",
                "/api/impact")  # fmt: skip
MAX_ENTRIES = 256
MAX_BYTES = 8_000_000
Entry = tuple[int, list[tuple[bytes, bytes]], bytes]


class ResponseCache:
    """LRU of request key -> (status, headers, body); thread-safe."""

    def __init__(self, entries: int = MAX_ENTRIES) -> None:
        self.entries = entries
        self._store: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    @staticmethod
    def key(method: str, path: str, query: bytes, anonymous: bool = True) -> str | None:
        """The cache key of a cacheable request, else None."""
        if method != "GET" or path not in CACHED_PATHS or not anonymous:
            return None
        return f"{path}?{'&'.join(sorted(query.decode('latin-1').split('&')))}"

    @property
    def generation(self) -> int:
        """Bumped by every write: an answer computed across one is not kept."""
        with self._lock:
            return self._generation

    def get(self, key: str) -> Entry | None:
        """The cached entry, if any."""
        with self._lock:
            hit = self._store.get(key)
            if hit is not None:
                self._store.move_to_end(key)
            return hit

    def put(self, key: str, entry: Entry, generation: int) -> None:
        """Keep an entry unless a write happened since `generation` or it is too large."""
        if len(entry[2]) > MAX_BYTES:
            return
        with self._lock:
            if generation == self._generation:
                self._store[key] = entry
                while len(self._store) > self.entries:
                    self._store.popitem(last=False)

    def invalidate(self) -> None:
        """Forget everything (after a write that changes events)."""
        with self._lock:
            self._store.clear()
            self._generation += 1


_MEMO_LOCK = threading.Lock()


def memo(state: Any, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
    """Compute once per store state: results of slow analyses (forecasts, impact, briefing).

    `state` is the app's state (`state.memo`, `state.response_cache`). Entries are keyed by the
    response cache's generation, and entries of older generations are dropped here, so a write
    frees what it made stale. Concurrent first requests for one key wait for one computation
    (a lock per key), rather than each computing it.
    """
    generation = state.response_cache.generation
    memory: dict[tuple[object, ...], Any] = state.memo
    full = (*key, generation)
    if full in memory:
        return memory[full]
    with _MEMO_LOCK:
        locks: dict[tuple[object, ...], threading.Lock] | None = getattr(state, "memo_locks", None)
        if locks is None:
            locks = state.memo_locks = {}
        stale = [k for k in memory if k[-1] != generation]
        for old in stale:
            memory.pop(old, None)
            locks.pop(old, None)
        if stale:
            gc.unfreeze()  # what was kept for the old store state may be collected again
        lock = locks.setdefault(full, threading.Lock())
    with lock:
        if full not in memory:
            memory[full] = compute()
            # What is kept lives until the store changes: out of the collector's way, so a
            # full collection does not walk the kept panels' and rows' objects on every pass.
            gc.freeze()
    return memory[full]


class CacheAndHeaders:
    """ASGI middleware: security headers on every response; cached answers for CACHED_PATHS."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, headers: dict[str, str]) -> None:
        self.app, self.cache = app, cache
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    def _with_headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        return headers + [(k, v) for k, v in self.headers if k not in present]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the cache, or run the app and keep what it answers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        key = self.cache.key(
            method, scope["path"], scope.get("query_string", b""), _anonymous(scope)
        )
        hit = self.cache.get(key) if key else None
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        generation = self.cache.generation
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._with_headers(list(message.get("headers", [])))
                started.update(status=message["status"], headers=message["headers"])
            elif message["type"] == "http.response.body" and key:
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and started.get("status") == 200:
                    entry = (200, started["headers"], b"".join(chunks))
                    self.cache.put(key, entry, generation)
            await send(message)

        await self.app(scope, receive, capture)


_SESSION = SESSION_COOKIE.encode() + b"="


def _anonymous(scope: Scope) -> bool:
    """No credentials at all: neither an Authorization header nor a session cookie."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and _SESSION in value):
            return False
    return True
