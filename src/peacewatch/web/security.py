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
LOGIN_LIMIT = 5  # failed attempts per username and client ...
LOGIN_WINDOW = 300.0  # ... in this many seconds
SAFE = ("GET", "HEAD", "OPTIONS")
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
    """401 or 403 with a message (the app turns it into the common error shape)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Caller:
    """The user (or None: anonymous) and, for a browser session, its CSRF token."""

    user: User | None
    csrf: str | None = None
    via: str = "anonymous"


class LoginLimiter:
    """Failed logins per (username, client) in a sliding window; thread-safe."""

    def __init__(self, limit: int = LOGIN_LIMIT, window: float = LOGIN_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, username: str, client: str) -> bool:
        """Whether this pair has used up its attempts."""
        with self._lock:
            recent = self._failures[(username, client)]
            while recent and time.monotonic() - recent[0] > self.window:
                recent.popleft()
            return len(recent) >= self.limit

    def failed(self, username: str, client: str) -> None:
        """Record one failed attempt."""
        with self._lock:
            self._failures[(username, client)].append(time.monotonic())

    def succeeded(self, username: str, client: str) -> None:
        """Forget the failures after a good login."""
        with self._lock:
            self._failures.pop((username, client), None)


def caller(request: Request, store: Store) -> Caller:
    """Identify the caller; a bad token is a 401, never a silent anonymous call."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "Authorization: use 'Bearer <API token>'")
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
        raise AuthError(403, f"needs the {role} role or above")
    return who.user
