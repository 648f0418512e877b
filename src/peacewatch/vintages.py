"""Releases and vintages of event data: what a load covers, what is current, what was known when.

Every event row a load brings is kept as a version (one vintage per load): in `events` while
it is current, in `event_history` once it is not; the view `event_versions` shows both. A load
covers *scopes*: a source family (`ucdp_ged`, `ucdp_candidate`, `acled`), an area (the country)
and, for files, the months its rows span (`load_scopes`). Loads are ordered by when their
release was known (`loads.known_at`, then load id). A version is visible at a cut-off when its
load is at or before the cut-off and nothing after its load (up to the cut-off) hides it:

- a newer version of the same event;
- a newer file of the same family and area whose months include the event's month
  (a file replaces rows only inside the period its rows span);
- a final release of the area whose months include it, if the event is provisional
  (`SUPERSEDES`: GED final supersedes GED Candidate, month by month, in any load order);
- a deletion announced by the source (ACLED's deleted events).

`events` holds what is visible now (no cut-off) and is kept equal to it by every load, which
moves the versions that stop being visible to `event_history` (and back, should one become
visible again); a version is stored once (docs/adr/031). `as_of` gives a read-only view of the
store at an earlier cut-off ("what did we know then").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from peacewatch.errors import PeacewatchError
from peacewatch.schema import EVENT_COLUMNS, SUPERSEDES
from peacewatch.sources.base import sql_str
from peacewatch.store import Store, versions_sql

_FINAL = re.compile(r"^(\d{2})\.([1-9]\d*)$")
_CANDIDATE = re.compile(r"^(\d{2})\.0\.(\d{1,2})$")
INFINITY = datetime(9999, 12, 31)


def known_at(source: str, release: str, released: date | None, now: datetime) -> datetime:
    """When a release became known: `released` if given, else a date read from the release.

    GED final `YY.1` is taken as published on 30 June 20YY (UCDP releases GED each June);
    GED Candidate `YY.0.M` (month M of 20YY) at the end of the following month; anything
    else (an unstated release, an export) at load time. The loader records which was used.
    """
    if released is not None:
        return datetime.combine(released, time())
    if source == "ucdp_ged" and (m := _FINAL.match(release.strip())):
        return datetime(2000 + int(m.group(1)), 6, 30)
    if source == "ucdp_candidate" and (m := _CANDIDATE.match(release.strip())):
        year, month = 2000 + int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            following = date(year + month // 12, month % 12 + 1, 1)
            end = date(following.year + following.month // 12, following.month % 12 + 1, 1)
            return datetime.combine(end - timedelta(days=1), time())
    return now


@dataclass(frozen=True)
class Cut:
    """A cut-off: loads known at or before `known`, and (at that instant) up to `load_id`."""

    known: datetime = INFINITY
    load_id: int = 2**31 - 1
    label: str = "current"

    def loads_sql(self, prefix: str = "") -> str:
        """The visible loads (load_id, known_at) at this cut-off."""
        stamp = f"TIMESTAMP '{self.known:%Y-%m-%d %H:%M:%S}'"
        return (
            f"SELECT load_id, known_at FROM {prefix}loads WHERE target = 'events' AND "
            f"(known_at < {stamp} OR (known_at = {stamp} AND load_id <= {self.load_id}))"
        )


CURRENT = Cut()


def _later(a: str, b: str) -> str:
    """SQL: load (known_at, load_id) of alias a comes after that of alias b."""
    return (
        f"({a}.known_at > {b}._known OR ({a}.known_at = {b}._known AND {a}.load_id > {b}.load_id))"
    )


def _literals(values: tuple[str, ...]) -> str:
    return ", ".join(sql_str(v) for v in values)


def visible_sql(
    cut: Cut = CURRENT,
    families: tuple[str, ...] | None = None,
    areas: tuple[str, ...] | None = None,
    prefix: str = "",
) -> str:
    """SELECT of the event versions visible at `cut` (the columns of `events`).

    `families` / `areas` restrict the result (and the work) to those sources and countries;
    `prefix` qualifies the stored tables (`db.main.`) for views that shadow `events`.
    """
    where = ["true"]
    if families:
        where.append(f"v.source IN ({_literals(families)})")
    if areas:
        # Areas come from the files (a country code, or 'GW' + an unknown code): quoted.
        where.append(f"split_part(v.scope, ':', 2) IN ({_literals(areas)})")
    cols = ", ".join(f'n."{c}"' for c in EVENT_COLUMNS)
    finals = ", ".join(f"({sql_str(final)}, {sql_str(prov)})" for final, prov in SUPERSEDES.items())
    return f"""
    WITH lv AS ({cut.loads_sql(prefix)}),
    v AS (SELECT v.*, lv.known_at AS _known FROM ({versions_sql(prefix)}) v
          JOIN lv ON lv.load_id = v.load_id WHERE {" AND ".join(where)}),
    -- The newest version of each event: ranked on the narrow key columns, then joined back
    -- (ranking the whole wide rows cost 13 of a 1 M-event load's 46 s; issue 16).
    win AS (SELECT event_id, load_id FROM (SELECT event_id, load_id, _known FROM v)
            QUALIFY row_number() OVER (
                PARTITION BY event_id ORDER BY _known DESC, load_id DESC) = 1),
    n AS (SELECT v.* FROM v JOIN win ON win.event_id = v.event_id AND win.load_id = v.load_id),
    sc AS (SELECT s.*, lv.known_at FROM {prefix}load_scopes s JOIN lv ON lv.load_id = s.load_id),
    dl AS (SELECT d.event_id, d.load_id, lv.known_at FROM {prefix}event_deletions d
           JOIN lv ON lv.load_id = d.load_id),
    sup AS (SELECT * FROM (VALUES {finals}) t(final, provisional))
    SELECT {cols} FROM n
    WHERE NOT EXISTS (
        SELECT 1 FROM sc WHERE sc.mode = 'replace' AND sc.family = n.source
          AND sc.area = split_part(n.scope, ':', 2)
          AND n.date_start BETWEEN sc.period_start AND sc.period_end AND {_later("sc", "n")})
      AND NOT EXISTS (
        SELECT 1 FROM sc JOIN sup ON sup.final = sc.family
        WHERE sup.provisional = n.source AND sc.mode = 'replace'
          AND sc.area = split_part(n.scope, ':', 2)
          AND n.date_start BETWEEN sc.period_start AND sc.period_end)
      AND NOT EXISTS (
        SELECT 1 FROM dl WHERE dl.event_id = n.event_id AND {_later("dl", "n")})
    """


@dataclass
class Refresh:
    """How the current rows of the refreshed families and areas changed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    superseded: int = 0
    unchanged: int = 0
    not_current: int = 0


def refresh_current(
    store: Store, families: tuple[str, ...], areas: tuple[str, ...], load_id: int
) -> Refresh:
    """Make `events` equal to the visible versions of these families and areas; count changes.

    Runs in the caller's transaction, after load `load_id` stored its versions in
    `event_history`. Versions that stop being visible move from `events` to `event_history`,
    those that become visible move the other way: every version is stored once.
    """
    con = store.con
    cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _visible AS SELECT event_id, load_id, record_hash "
        f"FROM ({visible_sql(CURRENT, families, areas)})"
    )
    scope = (
        f"source IN ({_literals(families)}) AND split_part(scope, ':', 2) IN ({_literals(areas)})"
    )
    row = con.execute(
        f"""WITH old AS (SELECT event_id, record_hash, source FROM events WHERE {scope}),
                 new AS (SELECT event_id, record_hash, load_id FROM _visible)
        SELECT
            count(*) FILTER (WHERE old.event_id IS NULL),
            count(*) FILTER (WHERE old.event_id IS NOT NULL AND new.event_id IS NOT NULL
                             AND old.record_hash <> new.record_hash),
            count(*) FILTER (WHERE new.event_id IS NULL AND old.source = ?),
            count(*) FILTER (WHERE new.event_id IS NULL AND old.source <> ?),
            count(*) FILTER (WHERE old.record_hash = new.record_hash)
        FROM old FULL OUTER JOIN new ON old.event_id = new.event_id""",
        [families[0], families[0]],
    ).fetchone()
    assert row is not None
    hidden = con.execute(
        "SELECT count(*) FROM event_history v WHERE v.load_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM _visible n WHERE n.event_id = v.event_id AND n.load_id = v.load_id)",
        [load_id],
    ).fetchone()
    visible = (
        "(SELECT 1 FROM _visible n WHERE n.event_id = {t}.event_id AND n.load_id = {t}.load_id)"
    )
    leaving = f"{scope} AND load_id IS NOT NULL AND NOT EXISTS {visible.format(t='e')}"
    con.execute(f"INSERT INTO event_history ({cols}) SELECT {cols} FROM events e WHERE {leaving}")
    con.execute(f"DELETE FROM events e WHERE {leaving}")
    entering = f"EXISTS {visible.format(t='h')}"
    con.execute(f"INSERT INTO events ({cols}) SELECT {cols} FROM event_history h WHERE {entering}")
    con.execute(f"DELETE FROM event_history h WHERE {entering}")
    con.execute("DROP TABLE _visible")
    added, updated, removed, superseded, unchanged = (int(v) for v in row)
    return Refresh(added, updated, removed, superseded, unchanged, int(hidden[0] if hidden else 0))


# The first load of a source's areas skips the general comparison (issue 16: on 1 M events
# it cost 19 of 43 s). A switch so that a test can run the general path on the same data.
FIRST_LOAD_FAST_PATH = True


def first_in_its_areas(
    store: Store, families: tuple[str, ...], areas: tuple[str, ...], load_id: int
) -> bool:
    """Whether load `load_id` (its scopes recorded, no version stored yet) is first here.

    True when no other load ever touched these areas and no version of these families is
    stored in them: then no version can hide another (no older versions, no other load's
    scopes of any family, so no supersession). Every version of the load is then current and
    goes straight to `events` (the general path gives the same rows; tests/test_vintages.py
    compares them). A load that announces deletions never takes this road.
    """
    if not FIRST_LOAD_FAST_PATH or not areas:
        return False
    marks = ", ".join("?" for _ in areas)
    fams = ", ".join("?" for _ in families)
    row = store.row(
        f"""SELECT
            (SELECT count(*) FROM load_scopes WHERE area IN ({marks}) AND load_id <> ?),
            (SELECT count(*) FROM ({versions_sql()}) WHERE source IN ({fams})
               AND split_part(scope, ':', 2) IN ({marks})),
            (SELECT count(*) FROM events WHERE source IN ({fams})
               AND split_part(scope, ':', 2) IN ({marks})),
            (SELECT count(*) FROM event_deletions WHERE load_id = ?)""",
        [*areas, load_id, *families, *areas, *families, *areas, load_id],
    )
    return row is not None and not any(row)


def affected_families(family: str) -> tuple[str, ...]:
    """The families whose current rows a load of `family` can change (itself first)."""
    provisional = SUPERSEDES.get(family)
    return (family, provisional) if provisional else (family,)


def cut_for(store: Store, as_of: date | str | None = None, release: str | None = None) -> Cut:
    """The cut-off for `--as-of DATE` or `--release R`.

    `--as-of`: releases known by the end of that day; `--release`: everything known at the
    moment release R became known, R included.
    """
    if as_of is not None and release is not None:
        raise PeacewatchError("give --as-of or --release, not both")
    if release is not None:
        row = store.row(
            "SELECT max(known_at) FROM loads WHERE target = 'events' AND release = ?", [release]
        )
        if row is None or row[0] is None:
            known = [
                r[0]
                for r in store.rows(
                    "SELECT DISTINCT release FROM loads WHERE target = 'events' ORDER BY 1"
                )
            ]
            raise PeacewatchError(
                f"release: no events loaded from release {release!r}; loaded: "
                + (", ".join(known) or "none")
            )
        return Cut(row[0], 2**31 - 1, f"release {release}")
    if as_of is None:
        return CURRENT
    day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    return Cut(datetime.combine(day, time(23, 59, 59)), 2**31 - 1, f"as of {day.isoformat()}")


def as_of(store: Store, cut: Cut) -> Store:
    """A store whose `events` are those visible at `cut` (a temporary view of its own).

    Everything that reads `events` (panels, indicators, backtests, exports) then computes as of
    the cut-off; published incident reports count from the time they were published. The store
    itself when `cut` is CURRENT; otherwise a store to close after (DuckDB: a cursor,
    PostgreSQL: a connection).
    """
    if cut == CURRENT:
        return store
    prefix = store.stored_prefix()
    cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    stamp = f"TIMESTAMP '{cut.known:%Y-%m-%d %H:%M:%S}'"
    return store.shadowed(
        "events",
        f"SELECT {cols} FROM ({visible_sql(cut, prefix=prefix)}) AS visible "
        f"UNION ALL SELECT {cols} FROM {prefix}events WHERE load_id IS NULL "
        f"AND loaded_at <= {stamp}",
    )


def coverage(store: Store, country: str | None = None) -> pd.DataFrame:
    """Which months of each country come from which release, now (one row per source release).

    Columns: country_iso3, source, release, load_id, known_at, first_month, last_month, months,
    events, fatalities.
    """
    where, params = "e.load_id IS NOT NULL", []
    if country:
        where += " AND e.country_iso3 = ?"
        params.append(country.upper())
    return store.frame(
        f"""SELECT e.country_iso3, e.source, l.release, e.load_id, l.known_at,
               strftime(min(e.date_start), '%Y-%m') AS first_month,
               strftime(max(e.date_start), '%Y-%m') AS last_month,
               count(DISTINCT date_trunc('month', e.date_start)) AS months,
               count(*) AS events, sum(e.fatalities_best) AS fatalities
            FROM events e JOIN loads l ON l.load_id = e.load_id
            WHERE {where} GROUP BY ALL ORDER BY e.country_iso3, e.source, first_month""",
        params,
    )


def now() -> datetime:
    """The load time (UTC, naive as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


__all__ = [
    "CURRENT",
    "Cut",
    "Refresh",
    "affected_families",
    "as_of",
    "coverage",
    "cut_for",
    "first_in_its_areas",
    "known_at",
    "refresh_current",
    "versions_sql",
    "visible_sql",
]
