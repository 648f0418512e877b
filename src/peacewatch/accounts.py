"""Users, roles, sessions and API tokens of the web app, in the store.

Passwords are hashed with argon2 (argon2-cffi); session ids and API tokens are random 32-byte
secrets of which only a SHA-256 is stored, so a copy of the store lets nobody log in. Roles, from
least to most: viewer (published public incidents, no reporter names), reporter (files
incidents, sees their own), analyst (sees and reviews every incident, restricted included),
admin (an analyst who also manages users).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from peacewatch.errors import PeacewatchError
from peacewatch.schema import ROLES
from peacewatch.store import Store

HASHER = PasswordHasher()
SESSION_HOURS = 12
MIN_PASSWORD = 10
# One write at a time through the app's connection (DuckDB: one writer per process).
WRITE_LOCK = threading.RLock()
# Verifying against a fixed dummy hash takes as long as a real check: no user enumeration.
_DUMMY_HASH = HASHER.hash("peacewatch-no-such-user")


@dataclass(frozen=True)
class User:
    """A signed-in user (never carries the password hash)."""

    username: str
    role: str

    @property
    def cleared(self) -> bool:
        """May see restricted incidents and reporter identities."""
        return self.role in ("analyst", "admin")

    def at_least(self, role: str) -> bool:
        """Whether this user's role is `role` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def digest(secret: str) -> str:
    """The SHA-256 kept in place of a secret (sessions, tokens)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(store: Store, username: str, role: str, password: str) -> User:
    """Create a user; a clear error for a bad name, role, short password or existing user."""
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise PeacewatchError(f"username: {username!r} must be letters, digits, '.', '-' or '_'")
    if role not in ROLES:
        raise PeacewatchError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise PeacewatchError(f"password: at least {MIN_PASSWORD} characters")
    with WRITE_LOCK, store.writing() as w:
        if w.row("SELECT 1 FROM users WHERE username = ?", [username]):
            raise PeacewatchError(f"username: {username!r} exists already")
        w.write(
            "INSERT INTO users VALUES (?, ?, ?, false, ?)",
            [username, role, HASHER.hash(password), _now()],
        )
    return User(username, role)


def list_users(store: Store) -> list[dict[str, object]]:
    """Username, role, disabled and creation time of every user (no hashes)."""
    rows = store.rows(
        "SELECT username, role, disabled, created_at FROM users ORDER BY username",
        own_cursor=True,
    )
    return [dict(zip(("username", "role", "disabled", "created_at"), r, strict=True)) for r in rows]


def disable_user(store: Store, username: str) -> None:
    """Disable a user and end their sessions and tokens."""
    with WRITE_LOCK, store.writing() as w:
        if not w.row("SELECT 1 FROM users WHERE username = ?", [username]):
            raise PeacewatchError(f"username: no user {username!r}")
        w.write("UPDATE users SET disabled = true WHERE username = ?", [username])
        w.write("DELETE FROM user_sessions WHERE username = ?", [username])
        w.write("DELETE FROM api_tokens WHERE username = ?", [username])


def revoke_tokens(store: Store, username: str) -> int:
    """Revoke every API token of a user (and end their sessions); returns tokens revoked."""
    with WRITE_LOCK, store.writing() as w:
        if not w.row("SELECT 1 FROM users WHERE username = ?", [username]):
            raise PeacewatchError(f"username: no user {username!r}")
        row = w.row("SELECT count(*) FROM api_tokens WHERE username = ?", [username])
        count = int(row[0]) if row else 0
        w.write("DELETE FROM api_tokens WHERE username = ?", [username])
        w.write("DELETE FROM user_sessions WHERE username = ?", [username])
    return count


def token_counts(store: Store) -> dict[str, int]:
    """Live API tokens per user."""
    rows = store.rows(
        "SELECT username, count(*) FROM api_tokens GROUP BY username", own_cursor=True
    )
    return {r[0]: int(r[1]) for r in rows}


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the password matches and the account is active, else None."""
    row = store.row(
        "SELECT role, password_hash, disabled FROM users WHERE username = ?",
        [username],
        own_cursor=True,
    )
    try:
        HASHER.verify(row[1] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row[2]:
        return None
    return User(username, row[0])


def _active(store: Store, username: str) -> User | None:
    row = store.row(
        "SELECT role FROM users WHERE username = ? AND NOT disabled", [username], own_cursor=True
    )
    return User(username, row[0]) if row else None


def start_session(store: Store, user: User) -> tuple[str, str]:
    """A new session: (session secret for the cookie, CSRF token for the forms)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with WRITE_LOCK, store.writing() as w:
        w.write(
            "INSERT INTO user_sessions VALUES (?, ?, ?, ?)",
            [digest(secret), user.username, csrf, _now() + timedelta(hours=SESSION_HOURS)],
        )
    return secret, csrf


def session_user(store: Store, secret: str) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None."""
    row = store.row(
        "SELECT username, csrf_token FROM user_sessions WHERE session_hash = ? AND expires_at > ?",
        [digest(secret), _now()],
        own_cursor=True,
    )
    if not row:
        return None
    user = _active(store, row[0])
    return (user, row[1]) if user else None


def end_session(store: Store, secret: str) -> None:
    """Log out: forget the session."""
    with WRITE_LOCK, store.writing() as w:
        w.write("DELETE FROM user_sessions WHERE session_hash = ?", [digest(secret)])


def issue_token(store: Store, username: str, label: str = "") -> str:
    """A new API token for scripts (shown once; only its hash is kept)."""
    if _active(store, username) is None:
        raise PeacewatchError(f"username: no active user {username!r}")
    token = "pw_" + secrets.token_urlsafe(32)
    with WRITE_LOCK, store.writing() as w:
        w.write(
            "INSERT INTO api_tokens VALUES (?, ?, ?, ?)", [digest(token), username, label, _now()]
        )
    return token


def token_user(store: Store, token: str) -> User | None:
    """The active user behind an API token, or None."""
    row = store.row(
        "SELECT username FROM api_tokens WHERE token_hash = ?", [digest(token)], own_cursor=True
    )
    return _active(store, row[0]) if row else None
