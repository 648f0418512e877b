"""User administration while the server runs: list users, disable one, revoke their tokens.

Admins use the page (/admin/users) or the JSON API (/api/admin/users...); `peacewatch users
disable|revoke` reaches the same routes with the server's control token when the running server
holds the store (docs/adr/016-revocation-while-serving.md). Every check of a session or token
reads the store, so a change takes effect on the caller's next request.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peacewatch import accounts
from peacewatch.web.deps import CallerDep, StoreDep
from peacewatch.web.security import check_csrf, require

router = APIRouter(tags=["admin"])
Action = Literal["disable", "revoke-tokens"]


def _apply(store: Any, username: str, action: str) -> dict[str, Any]:
    if action == "disable":
        accounts.disable_user(store, username)
        return {"username": username, "disabled": True}
    return {"username": username, "tokens_revoked": accounts.revoke_tokens(store, username)}


def _users(store: Any) -> list[dict[str, Any]]:
    tokens = accounts.token_counts(store)
    return [
        {**u, "created_at": str(u["created_at"]), "tokens": tokens.get(str(u["username"]), 0)}
        for u in accounts.list_users(store)
    ]


@router.get("/api/admin/users")
def api_users(store: StoreDep, who: CallerDep) -> dict[str, Any]:
    """Users with their role, state and number of live API tokens (admins)."""
    require(who, "admin")
    return {"items": _users(store)}


@router.post("/api/admin/users/{username}/{action}")
def api_user_action(
    request: Request, store: StoreDep, who: CallerDep, username: str, action: Action
) -> dict[str, Any]:
    """Disable a user (sessions and tokens end too) or revoke their API tokens (admins)."""
    check_csrf(request, who)
    require(who, "admin")
    return _apply(store, username, action)


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(store: StoreDep, who: CallerDep) -> HTMLResponse:
    """The admin page: every user, with disable and revoke buttons."""
    from peacewatch.web.pages import render  # noqa: PLC0415 - pages imports this module

    require(who, "admin")
    return render("admin_users.html.j2", who, users=_users(store))


@router.post("/admin/users/{username}/{action}", include_in_schema=False)
def users_page_action(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    username: str,
    action: Action,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Disable or revoke from the admin page."""
    check_csrf(request, who, csrf_token)
    require(who, "admin")
    _apply(store, username, action)
    return RedirectResponse("/admin/users", status_code=303)


def control_path(store_path: Path) -> Path:
    """Where a running server leaves its address and control token (beside the store)."""
    return store_path.with_name(store_path.name + ".serve.json")


def write_control(store_path: Path, url: str) -> tuple[Path, str]:
    """A fresh control token, written (mode 0600) with the server's URL; returns (file, token).

    Only the store's owner can read the file, and the token is accepted from this machine only.
    """
    token = "pwc_" + secrets.token_urlsafe(32)
    path = control_path(store_path)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"url": url, "pid": os.getpid(), "token": token}, fh)
    tmp.replace(path)
    return path, token
