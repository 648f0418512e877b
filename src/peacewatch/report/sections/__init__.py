"""The briefing's sections, one module each: `build(brief) -> Section`.

`ORDER` is the order they are built in (the claims and the key judgements read the sections
before them); `SHOWN` is the order a reader sees them.
"""

from __future__ import annotations

from collections.abc import Callable

from peacewatch.report.blocks import Brief, Section
from peacewatch.report.sections import (
    claims,
    cooperation,
    human_rights,
    humanitarian,
    outlook,
    political,
    regional,
    security,
    summary,
    vacuum,
    withdrawal,
)

MODULES = (
    security,
    political,
    cooperation,
    human_rights,
    withdrawal,
    vacuum,
    humanitarian,
    regional,
    outlook,
    claims,
    summary,
)
ORDER: tuple[tuple[str, str, Callable[[Brief], Section]], ...] = tuple(
    (m.KEY, m.TITLE, m.build) for m in MODULES
)
SHOWN = (
    "summary",
    "claims",
    "security",
    "political",
    "cooperation",
    "human-rights",
    "withdrawal",
    "vacuum",
    "humanitarian",
    "regional",
    "outlook",
)
