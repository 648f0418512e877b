"""Actor names -> actor categories, from a curated table (data/actor_categories.csv) plus rules.

Rules, in order: what the source's own codes say (a UCDP side's Gleditsch-Ward code: the
government of the event's country -> state forces, another state's -> foreign state forces);
the first row of the curated table that matches the source's actor id (`id`, e.g. `ucdp:1`
for UCDP's Civilians) or the name (case-insensitive; `exact`, `prefix`, `contains` or
`regex`); the sources' name forms; for ACLED, the actor's `inter` code; else `unknown`.
A row with a `state_iso3` names a state's own forces: they are `state_forces` in events in that
country and `foreign_state_forces` elsewhere (a neighbour's army across the border, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from peacewatch.countries import iso3_from_gw, iso3_from_name
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

    def matches(self, name: str, actor_key: str | None = None) -> bool:
        """Whether `name` (or the source's actor id, `actor_key`) fits this rule."""
        if self.match == "id":
            return actor_key is not None and actor_key.casefold() == self.pattern.casefold()
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


def actor_key(source: str | None, actor_id: str | None) -> str | None:
    """A source's actor id as one key across files: UCDP side id 6716 -> `ucdp:6716`."""
    if actor_id is None or not str(actor_id).strip() or not source:
        return None
    family = "ucdp" if source.startswith("ucdp") else source
    return f"{family}:{str(actor_id).strip()}"


def actor_key_sql(side: int) -> str:
    """SQL over `events` for `actor_key` of side 1 or 2."""
    col = f"actor{side}_id"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL ELSE (CASE WHEN source LIKE 'ucdp%' THEN 'ucdp' "
        f"ELSE source END) || ':' || {col} END"
    )


def categorize(
    name: str | None,
    country_iso3: str | None = None,
    inter: int | None = None,
    source: str | None = None,
    key: str | None = None,
    gw: int | None = None,
) -> str:
    """Category of actor `name` in an event in `country_iso3`.

    In order: the side's Gleditsch-Ward code where the source gives one (UCDP `gwnoa` /
    `gwnob`: the event country's government -> state forces, another's -> foreign state
    forces); the curated table, by the source's actor id (`key`, see `actor_key`) or by name
    (what rules cannot know: JNIM, IS Sahel, CMA, Dozo, Wagner in a Russian uniform ...); the
    sources' own name forms (`from_name`); ACLED's `inter` code; and for UCDP, a named side
    that is no government and no civilians is a non-state armed group (`other`). `unknown`
    only where the source names no one (or a name no rule knows).
    """
    if gw is not None:
        state = iso3_from_gw(gw)
        if state:
            return "state_forces" if state == country_iso3 else "foreign_state_forces"
    if (name is None or not str(name).strip()) and key is None:
        return "unknown"
    name = "" if name is None else str(name)
    for rule in rules():
        if rule.matches(name, key):
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
    """Categories for a frame of distinct `name`, `country_iso3`, `inter`.

    Optional columns `source`, `actor_id` (the source's own actor id) and `gw` (the side's
    Gleditsch-Ward code).
    """
    blank: list[object] = [None] * len(actors)

    def column(name: str) -> list[object]:
        return actors[name].tolist() if name in actors else blank

    cats = [
        categorize(
            name if isinstance(name, str) else None,
            iso3 if isinstance(iso3, str) else None,
            int(inter) if pd.notna(inter) else None,
            source if isinstance(source, str) else None,
            actor_key(source, actor_id) if isinstance(source, str) and pd.notna(actor_id) else None,
            int(gw) if gw is not None and pd.notna(gw) else None,
        )
        for name, iso3, inter, source, actor_id, gw in zip(
            actors["name"].tolist(),
            actors["country_iso3"].tolist(),
            actors["inter"].tolist(),
            column("source"),
            column("actor_id"),
            column("gw"),
            strict=True,
        )
    ]
    return pd.Series(
        cats,
        index=actors.index,
        dtype=object,
    )


# One actor across sources: the crosswalk (data/actor_crosswalk.csv) first, with dated
# affiliations (Ansar Dine -> JNIM from 2 March 2017, Wagner -> Africa Corps from 2024), then the
# sources' own name forms.
FAR_PAST, FAR_FUTURE = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")


@lru_cache(maxsize=1)
def crosswalk_rules() -> tuple[tuple[ActorRule, pd.Timestamp, pd.Timestamp], ...]:
    """The crosswalk's rows: (rule whose `category` is the actor, valid from, valid to)."""
    with resources.files("peacewatch.data").joinpath("actor_crosswalk.csv").open() as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return tuple(
        (
            ActorRule(str(r["pattern"]), str(r["match"]), str(r["actor"]), None, str(r["note"])),
            pd.Timestamp(r["valid_from"]) if r["valid_from"] else FAR_PAST,
            pd.Timestamp(r["valid_to"]) if r["valid_to"] else FAR_FUTURE,
        )
        for r in table.to_dict("records")
    )


def _short(name: str) -> str:
    """ACLED's `SHORT: long name (qualifier)` and UCDP's `Name (X)` as `SHORT` / `Name`."""
    text = name.split(":", 1)[0] if ":" in name else name
    return re.sub(r"\s*\([^)]*\)", "", text).strip()


def identities(
    name: str, country_iso3: str | None, key: str | None = None
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """The actor a name stands for, per period: [(actor, from, to), ...] covering every date.

    The crosswalk's rows that match the name or the source's actor id (`key`, e.g.
    `ucdp:6716`), each for its period; outside them (or without
    any), the sources' own forms: a state's forces are `Government of X` (UCDP and ACLED alike),
    civilians `Civilians`, a UN mission its acronym, an ACLED `SHORT: long name` its short name,
    and `Name (X)` its name without the bracket. `Unidentified ...` stays as it is.
    """
    text = name.strip()
    if " and/or " in text:  # the source itself cannot tell which: an actor of its own
        return [(text, FAR_PAST, FAR_FUTURE)]
    dated = sorted(
        {
            (rule.category, start, end)
            for rule, start, end in crosswalk_rules()
            if rule.matches(text, key)
        },
        key=lambda d: (d[1], d[2]),
    )
    state = STATE.match(text)
    iso3 = iso3_from_name(state.group("country").strip()) if state else None
    if iso3:
        default = f"Government of {state.group('country').strip()}"  # type: ignore[union-attr]
    elif CIVILIANS.match(text):
        default = "Civilians"
    else:
        default = _short(text) if not UNIDENTIFIED.match(text) else text
        acronym = re.split(r"[:\s(]", text, maxsplit=1)[0].upper()
        if acronym in hosts():
            default = acronym
    if not dated:
        return [(default, FAR_PAST, FAR_FUTURE)]
    out: list[tuple[str, pd.Timestamp, pd.Timestamp]] = []
    cursor = FAR_PAST
    for actor, start, end in dated:
        if end < cursor:  # a second row (name and id) for a period already covered
            continue
        if start > cursor:
            out.append((default, cursor, start - pd.Timedelta(days=1)))
        out.append((actor, max(start, cursor), end))
        cursor = max(cursor, end + pd.Timedelta(days=1))
        if cursor > FAR_FUTURE:
            break
    if cursor <= FAR_FUTURE:
        out.append((default, cursor, FAR_FUTURE))
    return out


def identity_table(names: pd.DataFrame) -> pd.DataFrame:
    """Per distinct `name`, `actor_key`, `country_iso3`: actor, valid_from, valid_to (dates)."""
    keys = names["actor_key"] if "actor_key" in names else pd.Series([None] * len(names))
    rows = [
        {
            "name": name,
            "actor_key": key if isinstance(key, str) else None,
            "country_iso3": iso3,
            "actor": actor,
            "valid_from": a.date(),
            "valid_to": b.date(),
        }
        for name, key, iso3 in zip(names["name"], keys, names["country_iso3"], strict=True)
        if isinstance(name, str) and name.strip()
        for actor, a, b in identities(
            name,
            iso3 if isinstance(iso3, str) else None,
            key if isinstance(key, str) else None,
        )
    ]
    return pd.DataFrame(
        rows, columns=["name", "actor_key", "country_iso3", "actor", "valid_from", "valid_to"]
    )
