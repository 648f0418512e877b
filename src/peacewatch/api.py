"""The Python API for notebooks: open a store, load files, get events, sources and loads as frames.

The CLI calls these same functions.

    >>> from peacewatch import api
    >>> store = api.open_store("peacewatch.duckdb")
    >>> mali = api.events(store, country="MLI", date_from="2020-01-01", geometry=True)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from peacewatch import actors, panel
from peacewatch.dates import parse_date
from peacewatch.errors import PeacewatchError
from peacewatch.loading import LoadReport, load_file
from peacewatch.schema import (
    ACTOR_CATEGORIES,
    CATEGORIES,
    EVENT_COLUMNS,
    EXPORT_COLUMNS,
    TABLES,
)
from peacewatch.settings import Settings
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store

__all__ = [
    "actor_table",
    "count_events",
    "event_filter",
    "events",
    "load",
    "loads",
    "open_store",
    "sources",
    "summary",
    "table",
    "un_fatalities_by_year",
]


def open_store(path: Path | str | None = None, read_only: bool = False) -> Store:
    """Open the store at `path` (default: the PEACEWATCH_STORE setting)."""
    settings = Settings.from_env()
    return Store.open(
        path or settings.store_location, read_only=read_only, memory_limit=settings.memory_limit
    )


def load(
    store: Store,
    source: str,
    path: Path | str,
    release: str | None = None,
    country: str | None = None,
    mission: str | None = None,
    report_dir: Path | None = None,
) -> LoadReport:
    """Load one file (see `peacewatch load --help` for the sources)."""
    return load_file(
        store, source, path, LoadOptions(release, country, mission), report_dir=report_dir
    )


def event_filter(
    country: str | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    category: str | None = None,
    source: str | None = None,
    actor_category: str | None = None,
    bbox: str | None = None,
    public_only: bool = False,
    admin1: str | None = None,
) -> tuple[str, list[object]]:
    """The SQL condition (and parameters) on `events` for these filters; clear errors.

    `country`: ISO3 codes, comma-separated; dates compare with `date_start` (inclusive);
    `actor_category`: either actor; `bbox`: "min_lon,min_lat,max_lon,max_lat" (WGS84);
    `public_only`: only rows whose licence allows passing them on (the licence guard);
    `source`: a source or a group (`ucdp`: GED and Candidate); `admin1`: an admin-1 code.
    """
    where: list[str] = ["coalesce(redistributable, false)" if public_only else "true"]
    params: list[object] = []
    if country:
        codes = [c.strip().upper() for c in country.split(",") if c.strip()]
        if any(len(c) != 3 or not c.isalpha() for c in codes):
            raise PeacewatchError(
                f"country: {country!r} is not a list of ISO3 codes (three letters, comma-separated)"
            )
        where.append(f"country_iso3 IN ({', '.join('?' for _ in codes)})")
        params.extend(codes)
    start, end = parse_date(date_from, "from"), parse_date(date_to, "to")
    if start and end and end < start:
        raise PeacewatchError(f"to: {end} is before from: {start}")
    if start:
        where.append("date_start >= ?")
        params.append(start)
    if end:
        where.append("date_start <= ?")
        params.append(end)
    if category:
        if category not in CATEGORIES:
            raise PeacewatchError(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
        where.append("category = ?")
        params.append(category)
    if source:
        names = panel.SOURCE_GROUPS.get(source, (source,))
        where.append(f"source IN ({', '.join('?' for _ in names)})")
        params.extend(names)
    if admin1:
        where.append("admin1_code = ?")
        params.append(admin1)
    if actor_category:
        if actor_category not in ACTOR_CATEGORIES:
            raise PeacewatchError(
                f"actor_category: {actor_category!r} is not one of {', '.join(ACTOR_CATEGORIES)}"
            )
        where.append("? IN (actor1_category, coalesce(actor2_category, ''))")
        params.append(actor_category)
    if bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
        except ValueError:
            raise PeacewatchError("bbox: four numbers min_lon,min_lat,max_lon,max_lat") from None
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise PeacewatchError("bbox: not min_lon <= max_lon, min_lat <= max_lat in range")
        where.append("longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?")
        params.extend([x0, x1, y0, y1])
    return " AND ".join(where), params


def events(
    store: Store,
    country: str | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    category: str | None = None,
    source: str | None = None,
    geometry: bool = False,
    columns: tuple[str, ...] = EXPORT_COLUMNS,
    actor_category: str | None = None,
    bbox: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    public_only: bool = False,
    admin1: str | None = None,
) -> pd.DataFrame:
    """Events in the common record, filtered (see event_filter), in date order.

    A GeoDataFrame (EPSG:4326) if `geometry`; one page with `limit` and `offset`.
    """
    condition, params = event_filter(
        country, date_from, date_to, category, source, actor_category, bbox, public_only, admin1
    )
    cols = ", ".join(f'"{c}"' for c in columns)
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    frame = store.frame(
        f"SELECT {cols} FROM events WHERE {condition} ORDER BY date_start, event_id{page}", params
    )
    if not geometry:
        return frame
    points = gpd.points_from_xy(frame["longitude"], frame["latitude"])
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def event_records(
    store: Store,
    columns: tuple[str, ...],
    limit: int,
    offset: int = 0,
    **filters: str | date | bool | None,
) -> list[dict[str, object]]:
    """One page of `events` as plain dicts, straight from DuckDB (no DataFrame).

    Dates are written as pandas writes a timestamp (`2019-03-25T00:00:00`), so the API's rows
    read the same whichever path made them. Runs on a cursor of its own (the web app's
    requests then query in parallel); it reads the stored events, never an as-of view.
    """
    condition, params = event_filter(**filters)  # type: ignore[arg-type]
    dated = [i for i, c in enumerate(columns) if EVENT_COLUMNS.get(c) == "DATE"]
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = store.rows(
        f"SELECT {cols} FROM events WHERE {condition} ORDER BY date_start, event_id "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params,
        own_cursor=True,
    )
    out = []
    for row in rows:
        values = list(row)
        for i in dated:
            if values[i] is not None:
                values[i] = values[i].isoformat() + "T00:00:00"
        out.append(dict(zip(columns, values, strict=True)))
    return out


def count_events(store: Store, **filters: str | date | bool | None) -> int:
    """How many events match the filters of `event_filter`."""
    condition, params = event_filter(**filters)  # type: ignore[arg-type]
    row = store.row(f"SELECT count(*) FROM events WHERE {condition}", params)
    return int(row[0]) if row else 0


def count_events_and_public(store: Store, **filters: str | date | None) -> tuple[int, int]:
    """How many events match the filters, and how many may be passed on (one scan, own cursor)."""
    condition, params = event_filter(**filters)  # type: ignore[arg-type]
    row = store.row(
        "SELECT count(*), count(*) FILTER (WHERE coalesce(redistributable, false)) "
        f"FROM events WHERE {condition}",
        params,
        own_cursor=True,
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


def sources(store: Store) -> pd.DataFrame:
    """What is loaded, per source and table: rows now stored, releases, files and last load."""
    return store.frame("""
        WITH latest AS (
            SELECT source, target, max(load_id) AS last_load, count(*) AS loads
            FROM loads GROUP BY ALL)
        SELECT l.source, l.target AS "table", latest.loads,
            (SELECT string_agg(DISTINCT x.release, '; ') FROM loads x
              WHERE x.source = l.source AND x.target = l.target) AS releases,
            (SELECT string_agg(DISTINCT x.file_name, '; ') FROM loads x
              WHERE x.source = l.source AND x.target = l.target) AS files,
            substr(l.sha256, 1, 12) AS last_sha256, l.loaded_at AS last_loaded_at
        FROM latest JOIN loads l ON l.load_id = latest.last_load
        ORDER BY l.source, l.target
        """).assign(
        rows=lambda d: [_rows(store, t, s) for s, t in zip(d["source"], d["table"], strict=True)]
    )


def _rows(store: Store, target: str, source: str) -> int:
    if target == "events":
        row = store.row("SELECT count(*) FROM events WHERE source = ?", [source])
    else:
        row = store.row(f'SELECT count(*) FROM "{target}"')
    return int(row[0]) if row else 0


def loads(store: Store) -> pd.DataFrame:
    """Every load with its provenance (file, sha256, release, time, rows read/loaded/rejected)."""
    return store.frame("SELECT * FROM loads ORDER BY load_id")


def summary(store: Store, country: str | None = None) -> pd.DataFrame:
    """Events and fatalities (best) per source and year, optionally for one country."""
    params: list[object] = []
    where = "true"
    if country:
        where = "country_iso3 = ?"
        params.append(country.upper())
    return store.frame(
        f"""SELECT source, country_iso3, year(date_start) AS year, count(*) AS events,
                CAST(sum(fatalities_best) AS BIGINT) AS fatalities_best,
                count(*) FILTER (WHERE category = 'attack_on_peacekeepers')
                    AS attacks_on_peacekeepers
            FROM events WHERE {where} GROUP BY ALL ORDER BY source, country_iso3, year""",
        params,
    )


def un_fatalities_by_year(store: Store, missions: list[str]) -> pd.DataFrame:
    """UN peacekeeper deaths per mission and year, all causes and malicious acts."""
    marks = ", ".join("?" for _ in missions)
    return store.frame(
        f"""SELECT mission, year(incident_date) AS year, count(*) AS fatalities,
                count(*) FILTER (WHERE malicious) AS malicious_act
            FROM un_fatalities WHERE mission IN ({marks}) GROUP BY ALL ORDER BY mission, year""",
        missions,
    )


def table(store: Store, name: str) -> pd.DataFrame:
    """A reference or context table (camps, timeline, humanitarian, deployments, ...)."""
    if name not in TABLES:
        raise PeacewatchError(f"table: {name!r} is not one of {', '.join(sorted(TABLES))}")
    return store.frame(f'SELECT * FROM "{name}"')


def actor_crosswalk(store: Store, country: str) -> pd.DataFrame:
    """One row per actor, source and name: category, first and last event, events and deaths.

    A name counts as the actor in the periods of the crosswalk (Ansar Dine as JNIM from 2017).
    """
    table = panel.actor_identities(store, "country_iso3 = ?", [country])
    key1, key2 = actors.actor_key_sql(1), actors.actor_key_sql(2)
    with store.registered("_identity", table):
        return store.frame(
            f"""WITH sides AS (
                 SELECT event_id, source, date_start, fatalities_best, actor1 AS name,
                        {key1} AS actor_key, actor1_category AS category
                 FROM events WHERE country_iso3 = ?
                 UNION ALL
                 SELECT event_id, source, date_start, fatalities_best, actor2, {key2},
                        actor2_category
                 FROM events WHERE country_iso3 = ? AND actor2 IS NOT NULL)
               , rows AS (
                 SELECT i.actor, s.source, s.name, s.actor_key AS source_id,
                     any_value(s.category) AS category,
                     CAST(min(s.date_start) AS DATE) AS first,
                     CAST(max(s.date_start) AS DATE) AS last,
                     count(DISTINCT s.event_id) AS events,
                     CAST(sum(s.fatalities_best) AS BIGINT) AS fatalities
                 FROM sides s JOIN _identity i ON i.name = s.name
                   AND i.actor_key IS NOT DISTINCT FROM s.actor_key
                   AND s.date_start BETWEEN i.valid_from AND i.valid_to
                 GROUP BY ALL)
               SELECT * FROM rows ORDER BY sum(fatalities) OVER (PARTITION BY actor) DESC,
                   actor, source, events DESC""",
            [country, country],
        )


def actor_table(store: Store, unknown_only: bool = False) -> pd.DataFrame:
    """Actor names as stored with their category and event counts (both sides)."""
    filt = "WHERE category = 'unknown'" if unknown_only else ""
    return store.frame(f"""SELECT actor, category, source, count(*) AS events FROM (
                SELECT actor1 AS actor, actor1_category AS category, source FROM events
                UNION ALL
                SELECT actor2, actor2_category, source FROM events WHERE actor2 IS NOT NULL)
            {filt} GROUP BY ALL ORDER BY events DESC, actor""")


def acled_last_timestamp(store: Store, country: str) -> int | None:
    """The latest ACLED `timestamp` (unix seconds) among the country's current ACLED rows.

    `load acled --api` asks for rows changed since then (an incremental update).
    """
    if not store.table_exists("raw_acled"):  # a view over the raw tables of ACLED loads
        return None
    row = store.row(
        """SELECT max(TRY_CAST(r."timestamp" AS BIGINT)) FROM raw_acled r
           JOIN events e ON e.load_id = r._load_id AND e.source_row = r._row
           WHERE e.source = 'acled' AND e.country_iso3 = ?""",
        [country.upper()],
    )
    return int(row[0]) if row and row[0] is not None else None
