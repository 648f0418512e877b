"""Who is calling: session cookies (with CSRF tokens) or API tokens; login rate limits; headers.

A request is authenticated by `Authorization: Bearer <token>` (scripts) or by the session cookie
(browsers). Unsafe methods with a session cookie must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); bearer-token calls need none (no ambient credential).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import Request

from peacewatch import accounts
from peacewatch.accounts import User
from peacewatch.store import Store

SESSION_COOKIE = "pw_session"
LOGIN_CSRF_COOKIE = "pw_login_csrf"
LOGIN_LIMIT = 5  # failed attempts per username and client address ...
LOGIN_WINDOW = 300.0  # ... in this many seconds
ACCOUNT_LIMIT = 10  # failed attempts per username from any address ...
ACCOUNT_WINDOW = 900.0  # ... in this many seconds
SAFE = ("GET", "HEAD", "OPTIONS")
# The identity of `peacewatch users ...` asking the running server (ADR 016).
CONTROL_USER = "(peacewatch command line)"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Cache-Control": "no-store",
}


class AuthError(Exception):
    """401 or 403 with a message (the app turns it into the common error shape).

    `template` and `values` as in `PeacewatchError.tell`: pages show it translated.
    """

    def __init__(self, status: int, template: str, /, **values: object) -> None:
        self.message = template.format(**values) if values else template
        super().__init__(self.message)
        self.status = status
        self.template, self.values = template, values


@dataclass
class Caller:
    """The user (or None: anonymous) and, for a browser session, its CSRF token."""

    user: User | None
    csrf: str | None = None
    via: str = "anonymous"
    lang: str = "en"  # the page language (web/lang.py)
    here: str = "/"  # this page's path and query (the language links come back to it)


class LoginLimiter:
    """Failed logins in sliding windows, per (username, client address) and per username.

    The client address is the peer's (see `client_address`): a header the client writes
    cannot spread attempts over fresh keys. The per-account limit caps guessing from many
    addresses. Thread-safe.
    """

    def __init__(
        self,
        limit: int = LOGIN_LIMIT,
        window: float = LOGIN_WINDOW,
        account_limit: int = ACCOUNT_LIMIT,
        account_window: float = ACCOUNT_WINDOW,
    ) -> None:
        self.limit, self.window = limit, window
        self.account_limit, self.account_window = account_limit, account_window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._accounts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _recent(times: deque[float], window: float) -> int:
        while times and time.monotonic() - times[0] > window:
            times.popleft()
        return len(times)

    def blocked(self, username: str, client: str) -> bool:
        """Whether this pair, or this account, has used up its attempts."""
        with self._lock:
            pair = self._recent(self._failures[(username, client)], self.window)
            account = self._recent(self._accounts[username], self.account_window)
            return pair >= self.limit or account >= self.account_limit

    def failed(self, username: str, client: str) -> None:
        """Record one failed attempt."""
        with self._lock:
            now = time.monotonic()
            self._failures[(username, client)].append(now)
            self._accounts[username].append(now)

    def succeeded(self, username: str, client: str) -> None:
        """Forget this pair's failures after a good login (the account's stay counted)."""
        with self._lock:
            self._failures.pop((username, client), None)


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The address the request came from: the TCP peer, unless the peer is a trusted proxy.

    Behind proxies listed in PEACEWATCH_TRUSTED_PROXIES, the nearest address in
    X-Forwarded-For that is not itself a trusted proxy; from anyone else the header is ignored.
    """
    peer = request.scope.get("client")
    address = str(peer[0]) if peer else "?"
    if address not in trusted_proxies:
        return address
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return address


def licensed(who: Caller, roles: tuple[str, ...]) -> bool:
    """May this caller see raw rows of non-redistributable sources (ACLED)? Never anonymous."""
    return who.user is not None and who.user.role in roles


def caller(request: Request, store: Store) -> Caller:
    """Identify the caller; a bad token is a 401, never a silent anonymous call."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "Authorization: use 'Bearer <API token>'")
        control = getattr(request.app.state, "control_digest", None)
        if control and hmac.compare_digest(accounts.digest(token.strip()), control):
            peer = request.scope.get("client")
            if not peer or peer[0] not in ("127.0.0.1", "::1"):
                raise AuthError(403, "the server's control token works from this machine only")
            return Caller(User(CONTROL_USER, "admin"), None, "control")
        user = accounts.token_user(store, token.strip())
        if user is None:
            raise AuthError(401, "the API token is unknown or its user is disabled")
        return Caller(user, None, "token")
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        found = accounts.session_user(store, secret)
        if found:
            return Caller(found[0], found[1], "session")
    return Caller(None)


def check_csrf(request: Request, who: Caller, form_token: str | None = None) -> None:
    """Unsafe methods from a browser session must echo the session's CSRF token."""
    if request.method in SAFE or who.via != "session":
        return
    sent = form_token or request.headers.get("x-csrf-token") or ""
    if not who.csrf or not hmac.compare_digest(sent, who.csrf):
        raise AuthError(403, "CSRF token missing or wrong: reload the page and try again")


def require(who: Caller, role: str) -> User:
    """The user if signed in with `role` or above; 401 or 403 otherwise."""
    if who.user is None:
        raise AuthError(401, "sign in first (session cookie or API token)")
    if not who.user.at_least(role):
        raise AuthError(403, "needs the {role} role or above", role=role)
    return who.user
