"""The ACLED API as a living source: OAuth tokens, paged reads, incremental updates, deletions.

The protocol (SOURCES.md 4.1; ACLED's own R client `acledR`): a password grant at
`{base}/oauth/token` (`grant_type=password`, `client_id=acled`, the account's e-mail as
username) gives a bearer token valid 24 hours and a refresh token; `{base}/api/acled/read`
answers `{"status": 200, "count": n, "data": [...]}` pages of at most `limit` rows (`page` from
1; a short page is the last); `timestamp=<unix>&timestamp_where=>=` asks only for rows changed
since; `{base}/api/deleted/read` lists `event_id_cnty, deleted_timestamp` of deleted events.

This module only talks HTTP and returns rows: the loader (peacewatch.acled_sync) writes them
in one transaction once every page has arrived, so an interrupted sync writes nothing.
Credentials come from the environment or the system keyring and never reach a log, an error
message or the store.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from peacewatch.errors import DownloadError, PeacewatchError

LOG = logging.getLogger("peacewatch.acled_api")
PAGE_SIZE = 5000
KEYRING_SERVICE = "peacewatch-acled"
RETRY_STATUS = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Credentials:
    """An ACLED account (the password is never shown by repr)."""

    email: str
    password: str = field(repr=False)


def credentials(env: dict[str, str] | None = None) -> Credentials:
    """ACLED_EMAIL and ACLED_PASSWORD from the environment, or the password from the keyring.

    Keyring: service `peacewatch-acled`, user = the e-mail (`keyring set peacewatch-acled
    you@example.org`). A clear error when neither gives a password.
    """
    env = dict(os.environ) if env is None else env
    email = env.get("ACLED_EMAIL", "").strip()
    if not email:
        raise PeacewatchError(
            "ACLED API: set ACLED_EMAIL (the account's e-mail) and ACLED_PASSWORD, or store the "
            f"password in the system keyring (service {KEYRING_SERVICE!r}, user = the e-mail)"
        )
    password = env.get("ACLED_PASSWORD") or _keyring_password(email)
    if not password:
        raise PeacewatchError(
            f"ACLED API: no password for {email}: set ACLED_PASSWORD or store it in the "
            f"keyring (service {KEYRING_SERVICE!r})"
        )
    return Credentials(email, password)


def _keyring_password(email: str) -> str | None:
    try:
        import keyring  # noqa: PLC0415 - optional at run time (no backend on a headless box)

        return keyring.get_password(KEYRING_SERVICE, email)
    except Exception:  # no backend, a locked keyring ...: the same as no password
        return None


class AcledClient:
    """A client of one ACLED API base URL; tokens are fetched, refreshed and kept in memory."""

    def __init__(
        self,
        base_url: str,
        creds: Credentials,
        page_size: int = PAGE_SIZE,
        retries: int = 5,
        timeout: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self._creds = creds
        self.page_size = page_size
        self.retries = retries
        self.clock, self.sleep = clock, sleep
        self._http = httpx.Client(timeout=timeout)
        self._token: str | None = None
        self._refresh: str | None = None
        self._expires = 0.0
        self.requests = 0

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> AcledClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _grant(self, form: dict[str, str]) -> None:
        response = self._send("POST", "/oauth/token", data={**form, "client_id": "acled"})
        if response.status_code != 200:
            raise DownloadError(
                f"ACLED API: sign-in refused (HTTP {response.status_code}); check the account "
                "and its API access"
            )
        body = response.json()
        if not body.get("access_token"):
            raise DownloadError("ACLED API: the token answer has no access_token")
        self._token = str(body["access_token"])
        self._refresh = body.get("refresh_token")
        # Refresh a minute before the stated expiry (ACLED: 24 hours).
        self._expires = self.clock() + float(body.get("expires_in", 86400)) - 60

    def token(self) -> str:
        """A valid access token: the kept one, a refreshed one, or a new password grant."""
        if self._token and self.clock() < self._expires:
            return self._token
        if self._refresh:
            try:
                self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh})
                return str(self._token)
            except DownloadError:
                self._refresh = None
        self._grant(
            {
                "grant_type": "password",
                "username": self._creds.email,
                "password": self._creds.password,
                "scope": "authenticated",
            }
        )
        return str(self._token)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries on 429/5xx (Retry-After honoured) and dropped connections."""
        delay = 1.0
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                response = self._http.request(method, self.base + path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise DownloadError(f"ACLED API {path}: {type(exc).__name__}") from None
                LOG.warning("ACLED API %s: %s; retrying", path, type(exc).__name__)
            else:
                if response.status_code not in RETRY_STATUS or attempt == self.retries:
                    return response
                wait = response.headers.get("retry-after")
                LOG.warning("ACLED API %s: HTTP %s; retrying", path, response.status_code)
                if wait and wait.isdigit():
                    delay = float(wait)
            self.sleep(delay)
            delay = min(delay * 2, 60.0)
        raise DownloadError(f"ACLED API {path}: no answer")  # pragma: no cover - loop returns

    def _read(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One page of a read endpoint; a 401 (expired token) gets one new token and a retry."""
        for fresh in (False, True):
            response = self._send(
                "GET",
                path,
                params={"_format": "json", **params},
                headers={"Authorization": f"Bearer {self.token()}"},
            )
            if response.status_code == 401 and not fresh:
                self._token, self._expires = None, 0.0
                continue
            if response.status_code == 403:
                raise DownloadError("ACLED API: this account is not allowed API access (403)")
            if response.status_code != 200:
                raise DownloadError(f"ACLED API {path}: HTTP {response.status_code}")
            body = response.json()
            data = body.get("data")
            if not isinstance(data, list):
                raise DownloadError(f"ACLED API {path}: the answer has no data list")
            return data
        raise DownloadError(f"ACLED API {path}: the new token was refused too (401)")

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            rows = self._read(path, {**params, "limit": self.page_size, "page": page})
            yield rows
            if len(rows) < self.page_size:
                return
            page += 1

    def events(self, iso: int, since: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of a country's events (ISO numeric code), changed at or after `since`."""
        params: dict[str, Any] = {"iso": iso}
        if since is not None:
            params.update(timestamp=since, timestamp_where=">=")
        yield from self._pages("/api/acled/read", params)

    def deleted(self, since: int = 0) -> list[dict[str, Any]]:
        """Events deleted at or after `since`: `event_id_cnty` and `deleted_timestamp`."""
        params = {"deleted_timestamp": since, "deleted_timestamp_where": ">="}
        return [row for page in self._pages("/api/deleted/read", params) for row in page]


def fetch_snapshot(
    client: AcledClient,
    iso3: str,
    iso_numeric: int,
    since: int | None,
    folder: Path,
    progress: Callable[[int], None] = lambda _: None,
) -> Path:
    """Fetch every page (and the deletions) and write them as one snapshot file.

    The file (`acled-api-ISO3-<time>.json`: events, deleted, country, since, fetched_at) is
    written whole - a `.part` file renamed at the end - so a sync killed while fetching leaves
    no snapshot and the store untouched. `peacewatch load acled-api FILE` loads it (again).
    """
    fetched_at = datetime.now(UTC).replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    for page in client.events(iso_numeric, since):
        rows.extend(page)
        progress(len(rows))
    deleted = client.deleted(since or 0)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"acled-api-{iso3}-{fetched_at:%Y%m%dT%H%M%SZ}.json"
    part = out.with_name(out.name + ".part")
    snapshot = {
        "source": "ACLED API",
        "api": client.base,
        "country_iso3": iso3,
        "since": since,
        "fetched_at": fetched_at.isoformat(),
        "events": rows,
        "deleted": deleted,
    }
    part.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    part.replace(out)
    return out
