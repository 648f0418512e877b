"""Actor names -> actor categories, from a curated table (data/actor_categories.csv) plus rules.

Rules, in order: the first row of the curated table that matches the name (case-insensitive;
`exact`, `prefix`, `contains` or `regex`); then, for ACLED, the actor's `inter` code; else
`unknown`.
A row with a `state_iso3` names a state's own forces: they are `state_forces` in events in that
country and `foreign_state_forces` elsewhere (Burkina Faso's army in Mali, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

# ACLED inter codes (SOURCES.md 4.1) used when no curated row matches.
INTER_FALLBACK = {
    1: "state_forces",
    2: "other",
    3: "other",
    4: "communal_militia",
    5: "other",
    6: "other",
    7: "civilians",
    8: "other",
}


@dataclass(frozen=True)
class ActorRule:
    """One row of the curated table."""

    pattern: str
    match: str
    category: str
    state_iso3: str | None
    note: str

    def matches(self, name: str) -> bool:
        """Whether `name` fits this rule."""
        n, p = name.casefold(), self.pattern.casefold()
        if self.match == "exact":
            return n == p
        if self.match == "prefix":
            return n.startswith(p) and (len(n) == len(p) or not n[len(p)].isalnum())
        if self.match == "contains":
            return p in n
        return re.search(self.pattern, name, flags=re.IGNORECASE) is not None


@lru_cache(maxsize=1)
def rules() -> tuple[ActorRule, ...]:
    """The curated table, in order."""
    with resources.files("peacewatch.data").joinpath("actor_categories.csv").open() as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return tuple(
        ActorRule(
            str(r["pattern"]),
            str(r["match"]),
            str(r["category"]),
            str(r["state_iso3"]) or None,
            str(r["note"]),
        )
        for r in table.to_dict("records")
    )


def categorize(name: str | None, country_iso3: str | None = None, inter: int | None = None) -> str:
    """Category of actor `name` in an event in `country_iso3` (ACLED `inter` code as fallback)."""
    if name is None or not str(name).strip():
        return "unknown"
    for rule in rules():
        if rule.matches(str(name)):
            if rule.state_iso3 and country_iso3 and rule.state_iso3 != country_iso3:
                return "foreign_state_forces"
            return rule.category
    if inter is not None and inter in INTER_FALLBACK:
        return INTER_FALLBACK[inter]
    return "unknown"


def categorize_frame(actors: pd.DataFrame) -> pd.Series:
    """Categories for a frame with columns `name`, `country_iso3`, `inter` (distinct rows)."""
    cats = [
        categorize(
            name if isinstance(name, str) else None,
            iso3 if isinstance(iso3, str) else None,
            int(inter) if pd.notna(inter) else None,
        )
        for name, iso3, inter in zip(
            actors["name"].tolist(),
            actors["country_iso3"].tolist(),
            actors["inter"].tolist(),
            strict=True,
        )
    ]
    return pd.Series(
        cats,
        index=actors.index,
        dtype=object,
    )
