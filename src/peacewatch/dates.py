"""Parsing of user-given dates (CLI options, API arguments) with clear errors."""

from __future__ import annotations

from datetime import date

from peacewatch.errors import PeacewatchError


def parse_date(value: str | date | None, name: str) -> date | None:
    """`value` as a date (ISO `YYYY-MM-DD`), None for None; a PeacewatchError naming `name`."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeacewatchError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
