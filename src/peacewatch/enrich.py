"""Enrich a load's checked rows: admin-1 by point in polygon, actor categories, content hashes.

The loader (`peacewatch.loading`) has the file's rows checked in the temporary table `norm`;
`events` makes `final`, the view of its good rows with their region, PRIO-GRID cell, actor
categories and content hash, which the load writes; `table` does the same for a reference
table. `admin_map` places points in the loaded admin-1 polygons for any caller.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from peacewatch import actors, geo
from peacewatch.schema import CONTENT_COLUMNS, TABLES
from peacewatch.sources.base import ident
from peacewatch.store import Store

# A row of `norm` that no check rejected; the checks' own columns (not written).
GOOD = "_reject_reason IS NULL"
NORM_ONLY = "_reject_reason, _reject_field, _reject_value, _warning, _warning_field"


def admin_map(store: Store, coords_sql: str, by_country: bool = False) -> pd.DataFrame:
    """Admin-1 of each distinct (latitude, longitude) from `coords_sql`, by point in polygon.

    Polygons are the loaded `admin_boundaries`. With `by_country` (events: `coords_sql` also
    gives `country_iso3`), a point goes to a region of the country its source codes it in - an
    event belongs to that country - and a point outside that country's polygons (border
    simplification) to the nearest of them, `admin1_method = 'nearest'`. Otherwise (or where the
    country is unknown) any polygon containing the point; a point inside none gets NULLs.
    `admin1_country` is the country of the region found.
    """
    cols = "latitude, longitude" + (", country_iso3" if by_country else "")
    bounds = store.admin1_polygons()
    # No boundaries loaded: no point can be placed, and the points need not be read.
    found = "" if not bounds.empty else " AND false"
    coords = store.frame(
        f"SELECT DISTINCT {cols} FROM ({coords_sql}) "
        f"WHERE latitude IS NOT NULL AND longitude IS NOT NULL{found}"
    )
    out = coords.assign(
        admin1=None, admin1_code=None, admin1_boundary=None, admin1_method=None, admin1_country=None
    )
    if bounds.empty or coords.empty:
        return out
    if not by_country:
        _assign(out, out.index, bounds, nearest=False)
        return out
    known = out["country_iso3"].notna()
    _assign(out, out.index[~known], bounds, nearest=False)
    for iso3, rows in out[known].groupby("country_iso3").groups.items():
        own = bounds[bounds["country_iso3"] == iso3].reset_index(drop=True)
        if not own.empty:
            _assign(out, rows, own, nearest=True)
    return out


def _assign(out: pd.DataFrame, rows: pd.Index, bounds: pd.DataFrame, nearest: bool) -> None:
    """Fill admin1 columns of `rows` of `out` from `bounds` (inside, else nearest if asked)."""
    if len(rows) == 0:
        return
    lat, lon = out.loc[rows, "latitude"], out.loc[rows, "longitude"]
    polygons = list(bounds["geometry"])
    idx = geo.locate_points(lat, lon, polygons)
    method = np.array(["inside" if i >= 0 else "" for i in idx], dtype=object)
    if nearest and (idx < 0).any():
        missing = idx < 0
        idx[missing] = geo.nearest_polygons(lat[missing], lon[missing], polygons)
        method[missing] = "nearest"
    hit = idx >= 0
    target = rows[hit]
    out.loc[target, "admin1"] = bounds["name"].to_numpy()[idx[hit]]
    out.loc[target, "admin1_code"] = bounds["admin_code"].to_numpy()[idx[hit]]
    out.loc[target, "admin1_boundary"] = bounds["boundary_version"].to_numpy()[idx[hit]]
    out.loc[target, "admin1_method"] = method[hit]
    out.loc[target, "admin1_country"] = bounds["country_iso3"].to_numpy()[idx[hit]]


def _actor_categories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    distinct = con.execute(
        f"""SELECT DISTINCT actor1 AS name, country_iso3, actor1_inter AS inter, source,
                actor1_id AS actor_id, actor1_gw AS gw
            FROM norm WHERE {GOOD}
           UNION SELECT DISTINCT actor2, country_iso3, actor2_inter, source, actor2_id, actor2_gw
            FROM norm WHERE {GOOD}"""
    ).df()
    distinct["category"] = actors.categorize_frame(distinct)
    return distinct


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """`frame` as the temporary table `name` (read by views that outlive a registration)."""
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _lookups(g: str) -> str:
    """The joins from normalised event rows (alias `g`) to their region and actor categories."""
    actors = "".join(
        f"""
        LEFT JOIN _cats c{n} ON c{n}.name IS NOT DISTINCT FROM {g}.actor{n}
            AND c{n}.country_iso3 IS NOT DISTINCT FROM {g}.country_iso3
            AND c{n}.inter IS NOT DISTINCT FROM {g}.actor{n}_inter
            AND c{n}.source = {g}.source
            AND c{n}.actor_id IS NOT DISTINCT FROM {g}.actor{n}_id
            AND c{n}.gw IS NOT DISTINCT FROM {g}.actor{n}_gw"""
        for n in (1, 2)
    )
    return f"""
        LEFT JOIN _admin a ON a.latitude = {g}.latitude AND a.longitude = {g}.longitude
            AND a.country_iso3 IS NOT DISTINCT FROM {g}.country_iso3{actors}"""


ACTOR1_CATEGORY = "coalesce(c1.category, 'unknown')"
ACTOR2_CATEGORY = "CASE WHEN {g}.actor2 IS NULL THEN NULL ELSE coalesce(c2.category, 'unknown') END"


def events(store: Store) -> tuple[int, int]:
    """Add PRIO-GRID ids, admin-1 from loaded boundaries, actor categories and content hash.

    Returns the good rows with coordinates but no region, and those with an unknown actor.
    `final` is a view of the good rows of `norm` joined to the region and actor look-ups:
    the write reads it once, with no second wide temporary copy of the rows.
    """
    con = store.con
    _temp_table(con, "_cats", _actor_categories(con))
    _temp_table(
        con,
        "_admin",
        admin_map(
            store,
            f"SELECT latitude, longitude, country_iso3 FROM norm WHERE {GOOD}",
            by_country=True,
        ),
    )
    category = (
        "CASE WHEN g.source = 'acled' AND ("
        "(g.source_event_type = 'Battles' AND 'peacekeepers' IN (c1.category, c2.category)) OR "
        "(g.source_event_type IN ('Explosions/Remote violence', 'Violence against civilians') "
        "AND c2.category = 'peacekeepers')) THEN 'attack_on_peacekeepers' ELSE g.category END"
    )
    enriched = f"""
        SELECT g.* EXCLUDE (actor1_inter, actor2_inter, actor1_gw, actor2_gw, category,
                {NORM_ONLY}),
            {category} AS category,
            a.admin1, a.admin1_code, a.admin1_boundary, a.admin1_method,
            CAST(NULL AS VARCHAR) AS admin2,
            {geo.priogrid_sql("g.latitude", "g.longitude")} AS priogrid_gid,
            {ACTOR1_CATEGORY} AS actor1_category,
            {ACTOR2_CATEGORY.format(g="g")} AS actor2_category,
            (coalesce(c1.category, '') = 'peacekeepers'
                OR coalesce(c2.category, '') = 'peacekeepers') AS involves_peacekeepers
        FROM norm g
        {_lookups("g")}
        WHERE g.{GOOD}"""
    hash_cols = ", ".join(ident(c) for c in CONTENT_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW final AS "
        f"SELECT *, hash({hash_cols}) AS record_hash FROM ({enriched})"
    )
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE a.admin1 IS NULL AND k.latitude IS NOT NULL),
            count(*) FILTER (WHERE {ACTOR1_CATEGORY} = 'unknown'
                             OR {ACTOR2_CATEGORY.format(g="k")} = 'unknown')
        FROM norm k {_lookups("k")} WHERE k.{GOOD}"""
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def table(c: duckdb.DuckDBPyConnection, target: str) -> None:
    """Reference tables: PRIO-GRID id where the table has one, and the content hash."""
    _key, own = TABLES[target]
    cols = [r[0] for r in c.execute("DESCRIBE norm").fetchall()]
    extra = ""
    if "priogrid_gid" in own and "priogrid_gid" not in cols:
        extra = f", {geo.priogrid_sql('latitude', 'longitude')} AS priogrid_gid"
    content = ", ".join(ident(k) for k in own if k not in {"geometry_wkb", "priogrid_gid"})
    if "geometry_wkb" in own:
        content += ", md5(CAST(geometry_wkb AS VARCHAR))"
    c.execute(
        f"CREATE OR REPLACE TEMP TABLE final AS SELECT * EXCLUDE ({NORM_ONLY}){extra}, "
        f"hash({content}) AS record_hash FROM norm WHERE {GOOD}"
    )


def reassign_admin1(store: Store) -> int:
    """Set admin1 of every stored event from the loaded boundaries; returns events assigned."""
    con = store.con
    amap = admin_map(
        store,
        "SELECT latitude, longitude, country_iso3 FROM events UNION "
        "SELECT latitude, longitude, country_iso3 FROM event_history",
        by_country=True,
    )
    con.register("_admin", amap)
    for table in ("events", "event_history"):
        con.execute(
            f"""UPDATE {table} e SET admin1 = a.admin1, admin1_code = a.admin1_code,
                   admin1_boundary = a.admin1_boundary, admin1_method = a.admin1_method
               FROM _admin a WHERE a.latitude = e.latitude AND a.longitude = e.longitude
                 AND a.country_iso3 IS NOT DISTINCT FROM e.country_iso3"""
        )
    con.unregister("_admin")
    row = con.execute("SELECT count(*) FROM events WHERE admin1 IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


__all__ = ["GOOD", "NORM_ONLY", "admin_map", "events", "reassign_admin1", "table"]
