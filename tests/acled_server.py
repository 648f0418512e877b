"""A local stand-in for the ACLED API (127.0.0.1 only), speaking the documented protocol.

`POST /oauth/token` (password and refresh_token grants, client_id=acled), `GET
/api/acled/read` (bearer token; `iso`, `timestamp` + `timestamp_where=>=`, `limit`, `page`;
answers `{"status", "success", "count", "data"}`) and `GET /api/deleted/read`
(`deleted_timestamp` + `_where=>=`). Faults are injected per (path, page): an HTTP 429 with
Retry-After, a connection dropped in the middle of the body, or a stall; and a token that
expires after a number of reads. Its data are the rows of the real ACLED sample in shared/data,
rewritten in the current (2023-) API layout.
"""

from __future__ import annotations

import csv
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

EMAIL = "analyst@example.org"
PASSWORD = "s3cret-Acled-pass"
DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
NUMBERS = ("year", "time_precision", "inter1", "inter2", "interaction", "iso", "geo_precision",
           "fatalities", "timestamp")  # fmt: skip


def current_layout_rows(path: Path) -> list[dict[str, Any]]:
    """The sample's rows as the current API returns them (no data_id; disorder_type added)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        next(reader)  # the HXL row
        rows = []
        for raw in reader:
            row: dict[str, Any] = {
                k: v for k, v in raw.items() if k not in ("data_id", "event_id_no_cnty", "iso3")
            }
            row["disorder_type"] = DISORDER.get(row["event_type"], "Strategic developments")
            row["civilian_targeting"] = (
                "Civilian targeting" if row["event_type"] == "Violence against civilians" else ""
            )
            row["tags"] = ""
            for key in NUMBERS:
                row[key] = int(row[key]) if row[key] not in ("", None) else None
            row["latitude"], row["longitude"] = float(row["latitude"]), float(row["longitude"])
            rows.append(row)
    return rows


class _QuietServer(ThreadingHTTPServer):
    """A client that hung up (the stall and drop faults) is no error of the server's.

    socketserver prints such a traceback to whatever `sys.stderr` is when the handler thread
    wakes, which may be a later test's captured command output (a flaky `Traceback` there).
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeAcled:
    """State of the fake API: events by id, deletions, tokens, faults and a request log."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.events = {r["event_id_cnty"]: dict(r) for r in rows}
        self.deleted: list[dict[str, Any]] = []
        self.tokens: dict[str, int] = {}  # live access token -> reads served
        self.refresh: set[str] = set()
        self.expire_after: int | None = None
        self.faults: dict[tuple[str, int], str] = {}
        self.stall_seconds = 30.0
        self.log: list[tuple[str, dict[str, Any]]] = []
        self.passwords_seen: list[str] = []
        self._n = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- changes a test makes between syncs
    def edit(self, event_id: str, **changes: Any) -> None:
        """Edit an event: new values and a new timestamp (as ACLED does)."""
        self.events[event_id].update(changes, timestamp=int(time.time()) + 1)

    def delete(self, event_id: str) -> None:
        """Delete an event and list it on the deletions endpoint."""
        self.events.pop(event_id)
        self.deleted.append({"event_id_cnty": event_id, "deleted_timestamp": int(time.time()) + 1})

    def add(self, row: dict[str, Any]) -> None:
        """A new event."""
        self.events[row["event_id_cnty"]] = {**row, "timestamp": int(time.time()) + 1}

    # --- serving
    def start(self) -> str:
        """Serve on 127.0.0.1 (a free port) in a daemon thread; returns the base URL."""
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                return

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                state.log.append(("token", {k: v for k, v in form.items() if k != "password"}))
                if urlparse(self.path).path != "/oauth/token" or form.get("client_id") != "acled":
                    self._json(400, {"error": "invalid_client"})
                    return
                with state.lock:
                    if form.get("grant_type") == "password":
                        state.passwords_seen.append(form.get("password", ""))
                        ok = form.get("username") == EMAIL and form.get("password") == PASSWORD
                    elif form.get("grant_type") == "refresh_token":
                        ok = form.get("refresh_token") in state.refresh
                        state.refresh.discard(form.get("refresh_token", ""))
                    else:
                        ok = False
                    if not ok:
                        self._json(401, {"error": "invalid_grant"})
                        return
                    state._n += 1
                    token, refresh = f"access-{state._n}", f"refresh-{state._n}"
                    state.tokens[token] = 0
                    state.refresh.add(refresh)
                self._json(
                    200,
                    {
                        "access_token": token,
                        "refresh_token": refresh,
                        "expires_in": 86400,
                        "token_type": "Bearer",
                    },
                )

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                state.log.append((url.path, query))
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                with state.lock:
                    if token not in state.tokens:
                        self._json(401, {"error": "invalid token"})
                        return
                    if state.expire_after is not None and state.tokens[token] >= state.expire_after:
                        del state.tokens[token]
                        self._json(401, {"error": "token expired"})
                        return
                    state.tokens[token] += 1
                page = int(query.get("page", 1))
                fault = state.faults.pop((url.path, page), None)
                if fault == "429":
                    self._json(429, {"error": "too many requests"}, {"Retry-After": "0"})
                    return
                if fault == "stall":
                    time.sleep(state.stall_seconds)
                rows = self._rows(url.path, query)
                limit = int(query.get("limit", 5000))
                chunk = rows[(page - 1) * limit : page * limit]
                if fault == "drop":
                    data = json.dumps({"status": 200, "data": chunk}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._json(200, {"status": 200, "success": True, "count": len(chunk),
                                 "data": chunk})  # fmt: skip

            def _rows(self, path: str, query: dict[str, str]) -> list[dict[str, Any]]:
                with state.lock:
                    if path == "/api/deleted/read":
                        since = int(query.get("deleted_timestamp", 0))
                        return [d for d in state.deleted if d["deleted_timestamp"] >= since]
                    rows = sorted(state.events.values(), key=lambda r: r["event_id_cnty"])
                if "iso" in query:
                    rows = [r for r in rows if str(r["iso"]) == query["iso"]]
                if "timestamp" in query and query.get("timestamp_where") == ">=":
                    rows = [r for r in rows if r["timestamp"] >= int(query["timestamp"])]
                return rows

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reads(self, path: str = "/api/acled/read") -> list[dict[str, Any]]:
        """The query parameters of every read of `path`."""
        return [q for p, q in self.log if p == path]
