"""Request dependencies: a per-request store cursor and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from peacewatch.store import Store
from peacewatch.web.security import Caller, caller


def request_store(request: Request) -> Iterator[Store]:
    """A per-request Store on its own cursor of the app's connection (thread-safe)."""
    base: Store = request.app.state.store
    cursor = base.con.cursor()
    try:
        yield Store(cursor, base.path, base.read_only)
    finally:
        cursor.close()


StoreDep = Annotated[Store, Depends(request_store)]


def who(request: Request, store: StoreDep) -> Caller:
    """The caller (user or anonymous) of this request."""
    return caller(request, store)


CallerDep = Annotated[Caller, Depends(who)]
