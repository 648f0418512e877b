"""Actor names -> actor categories, from a curated table (data/actor_categories.csv) plus rules.

Rules, in order: the first row of the curated table that matches the name (case-insensitive;
`exact`, `prefix`, `contains` or `regex`); then, for ACLED, the actor's `inter` code; else
`unknown`.
A row with a `state_iso3` names a state's own forces: they are `state_forces` in events in that
country and `foreign_state_forces` elsewhere (a neighbour's army across the border, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from peacewatch.countries import iso3_from_name
from peacewatch.missions import hosts

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


# What the sources' own names say (UCDP and ACLED name forms), for any country.
STATE = re.compile(
    r"^(?:Government|Military Forces|Police Forces|Gendarmerie|Armed Forces)\s+of\s+(?:the\s+)?"
    r"(?P<country>[^(:,]+)",
    re.IGNORECASE,
)
CIVILIANS = re.compile(r"^Civilians\b", re.IGNORECASE)
UNIDENTIFIED = re.compile(r"^Unidentified\b", re.IGNORECASE)
UN_MISSION = re.compile(
    r"\bUnited Nations\b.*\b(?:Mission|Force|Operation|Observer)", re.IGNORECASE
)


def from_name(name: str, country_iso3: str | None) -> str | None:
    """The category a source's name form gives, or None (the rules, in order).

    `Government of X` (UCDP), `Military Forces of X` / `Police Forces of X` (ACLED, with or
    without a period in brackets): state forces where X is the event's country, foreign state
    forces elsewhere; `Civilians` / `Civilians (X)`: civilians; a UN mission's name or acronym
    (data/missions.csv): peacekeepers. `Unidentified ...` names no one: None.
    """
    text = name.strip()
    if UNIDENTIFIED.match(text):
        return None
    state = STATE.match(text)
    if state:
        iso3 = iso3_from_name(state.group("country").strip())
        if iso3:
            return "state_forces" if iso3 == country_iso3 else "foreign_state_forces"
    if CIVILIANS.match(text):
        return "civilians"
    acronym = re.split(r"[:\s(]", text, maxsplit=1)[0].upper()
    if UN_MISSION.search(text) or acronym in hosts():
        return "peacekeepers"
    return None


def categorize(
    name: str | None,
    country_iso3: str | None = None,
    inter: int | None = None,
    source: str | None = None,
) -> str:
    """Category of actor `name` in an event in `country_iso3`.

    In order: the curated table (what rules cannot know: JNIM, IS Sahel, CMA, Dozo, Wagner in a
    Russian uniform ...); the sources' own name forms (`from_name`); ACLED's `inter` code; and
    for UCDP, a named side that is no government and no civilians is a non-state armed group
    (`other`). `unknown` only where the source names no one (or a name no rule knows).
    """
    if name is None or not str(name).strip():
        return "unknown"
    for rule in rules():
        if rule.matches(str(name)):
            if rule.state_iso3 and country_iso3 and rule.state_iso3 != country_iso3:
                return "foreign_state_forces"
            return rule.category
    found = from_name(str(name), country_iso3)
    if found:
        return found
    if inter is not None and inter in INTER_FALLBACK:
        if inter == 1 and country_iso3:  # ACLED's state forces: whose state?
            return "state_forces"
        return INTER_FALLBACK[inter]
    if source in ("ucdp_ged", "ucdp_candidate") and not UNIDENTIFIED.match(str(name)):
        return "other"
    return "unknown"


def categorize_frame(actors: pd.DataFrame) -> pd.Series:
    """Categories for a frame of distinct `name`, `country_iso3`, `inter` (and `source`)."""
    sources = actors["source"].tolist() if "source" in actors else [None] * len(actors)
    cats = [
        categorize(
            name if isinstance(name, str) else None,
            iso3 if isinstance(iso3, str) else None,
            int(inter) if pd.notna(inter) else None,
            source if isinstance(source, str) else None,
        )
        for name, iso3, inter, source in zip(
            actors["name"].tolist(),
            actors["country_iso3"].tolist(),
            actors["inter"].tolist(),
            sources,
            strict=True,
        )
    ]
    return pd.Series(
        cats,
        index=actors.index,
        dtype=object,
    )
