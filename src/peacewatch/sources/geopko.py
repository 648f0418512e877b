"""Geo-PKO deployments: the v2.1 raw file (location x map) and the v2.3 location-year tables.

Which file it is is told by its header: v2.1 raw -> `deployments` (one row per location per UN
deployment map, with month); v2.3 FrontMap -> `deployments` (location-year, `month` NULL);
v2.3 TTMap -> `deployment_troop_types`; v2.3 TCCMap -> `deployment_tccs`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from peacewatch.countries import name_table
from peacewatch.sources.base import (
    Layout,
    LoadOptions,
    Staged,
    bad_number,
    blank,
    detect_layout,
    first_failure,
    ident,
    num,
    read_csv_head,
    sql_str,
    stage_csv,
    text,
)

SOURCE = "geopko"
V21 = Layout(
    "geopko-v2.1-raw",
    frozenset(
        {
            "source",
            "mission",
            "year",
            "month",
            "location",
            "latitude",
            "longitude",
            "no.troops",
            "country",
        }
    ),
)
FRONT = Layout(
    "geopko-v2.3-frontmap",
    frozenset(
        {
            "mission",
            "year",
            "country",
            "location",
            "latitude",
            "longitude",
            "NoTroops",
            "ave.no.troops",
        }
    ),
)
TT = Layout(
    "geopko-v2.3-ttmap",
    frozenset(
        {
            "mission",
            "year",
            "location",
            "latitude",
            "longitude",
            "Infantry",
            "eng",
            "med",
            "sig",
            "av",
            "riv",
            "maint",
            "trans",
        }
    ),
)
TCC = Layout(
    "geopko-v2.3-tccmap",
    frozenset({"mission", "year", "location", "latitude", "longitude", "No.TCC", "year.overview"}),
)


def _checks() -> tuple[str, str, str]:
    return first_failure(
        {
            blank("mission"): ("mission", "missing mission"),
            f"{num('year', 'INTEGER')} IS NULL": ("year", "year missing or not a number"),
            f"({bad_number('latitude')} OR abs({num('latitude')}) > 90)": (
                "latitude",
                "latitude not a number or outside -90..90",
            ),
            f"({bad_number('longitude')} OR abs({num('longitude')}) > 180)": (
                "longitude",
                "longitude not a number or outside -180..180",
            ),
        }
    )


def _record_id(dataset: str, parts: list[str]) -> str:
    key = ", ".join(f"coalesce(trim({p}), '')" for p in parts)
    occurrence = f"row_number() OVER (PARTITION BY {key} ORDER BY s._row)"
    return f"{sql_str(dataset)} || ':' || concat_ws('|', {key}) || '#' || {occurrence}"


def _common(dataset: str, parts: list[str]) -> str:
    reason, field, value = _checks()
    rid = _record_id(dataset, parts)
    return f"""
        {rid} AS record_id,
        {rid} AS _key,
        {sql_str(dataset)} AS _scope,
        s._row AS _row,
        {sql_str(dataset)} AS dataset,
        {text("mission")} AS mission,
        {num("year", "INTEGER")} AS year,
        {text("location")} AS location,
        {num("latitude")} AS latitude,
        {num("longitude")} AS longitude,
        {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value"""


def deployments_v21_sql() -> str:
    """v2.1 raw rows -> `deployments`."""
    tccs = ", ".join(
        f"NULLIF(NULLIF(trim({ident(f'nameoftcc_{i}')}), 'NA'), '')" for i in range(1, 18)
    )
    parts = [
        "s.source",
        "s.mission",
        "s.year",
        "s.month",
        "s.location",
        "s.latitude",
        "s.longitude",
    ]
    return f"""
    SELECT {_common("geopko_v2.1", parts)},
        {text("country")} AS country, c.iso3 AS country_iso3,
        {num("month", "INTEGER")} AS month,
        CAST({num("no.troops")} AS INTEGER) AS no_troops,
        CAST(NULL AS DOUBLE) AS ave_no_troops,
        CAST({num("inf")} AS INTEGER) AS infantry,
        CAST({num("res")} AS INTEGER) AS reserve,
        CAST({num("hq")} AS INTEGER) AS hq,
        CAST({num("unpol.dummy")} AS INTEGER) AS unpol,
        CAST({num("unmo.dummy")} AS INTEGER) AS unmo,
        CAST({num("med")} AS INTEGER) AS medical,
        CAST({num("avia")} AS INTEGER) AS aviation,
        CAST({num("no.tcc")} AS INTEGER) AS no_tcc,
        NULLIF(concat_ws('; ', {tccs}), '') AS tccs,
        {text("source")} AS source_map,
        CASE WHEN c.iso3 IS NULL THEN 'country name not matched to an ISO3 code' END AS _warning,
        CASE WHEN c.iso3 IS NULL THEN 'country' END AS _warning_field
    FROM stage s LEFT JOIN _countries c ON c.name = trim(s.country)"""


def deployments_front_sql() -> str:
    """v2.3 FrontMap rows -> `deployments` (yearly)."""
    parts = ["s.mission", "s.year", "s.country", "s.location", "s.latitude", "s.longitude"]
    return f"""
    SELECT {_common("geopko_v2.3", parts)},
        {text("country")} AS country, c.iso3 AS country_iso3,
        CAST(NULL AS INTEGER) AS month,
        CAST({num("NoTroops")} AS INTEGER) AS no_troops,
        {num("ave.no.troops")} AS ave_no_troops,
        CAST({num("Infantry")} AS INTEGER) AS infantry,
        CAST({num("Reserve")} AS INTEGER) AS reserve,
        CAST({num("hq")} AS INTEGER) AS hq,
        CAST({num("UNPOL")} AS INTEGER) AS unpol,
        CAST({num("UNMO")} AS INTEGER) AS unmo,
        CAST({num("Med")} AS INTEGER) AS medical,
        CAST({num("Av")} AS INTEGER) AS aviation,
        CAST(NULL AS INTEGER) AS no_tcc,
        CAST(NULL AS VARCHAR) AS tccs,
        CAST(NULL AS VARCHAR) AS source_map,
        CASE WHEN c.iso3 IS NULL THEN 'country name not matched to an ISO3 code' END AS _warning,
        CASE WHEN c.iso3 IS NULL THEN 'country' END AS _warning_field
    FROM stage s LEFT JOIN _countries c ON c.name = trim(s.country)"""


def troop_types_sql() -> str:
    """v2.3 TTMap rows -> `deployment_troop_types`."""
    parts = ["s.mission", "s.year", "s.location", "s.latitude", "s.longitude"]
    cols = {
        "Infantry": "infantry",
        "eng": "engineering",
        "med": "medical",
        "sig": "signals",
        "av": "aviation",
        "riv": "riverine",
        "maint": "maintenance",
        "trans": "transport",
    }
    body = ", ".join(f"CAST({num(k)} AS INTEGER) AS {v}" for k, v in cols.items())
    return f"""
    SELECT {_common("geopko_v2.3_tt", parts)}, {body},
        CAST(NULL AS VARCHAR) AS _warning, CAST(NULL AS VARCHAR) AS _warning_field
    FROM stage s"""


def tccs_sql() -> str:
    """v2.3 TCCMap rows -> `deployment_tccs`."""
    parts = ["s.mission", "s.year", "s.location", "s.latitude", "s.longitude"]
    return f"""
    SELECT {_common("geopko_v2.3_tcc", parts)},
        CAST({num("No.TCC")} AS INTEGER) AS no_tcc, {text("year.overview")} AS tccs,
        CAST(NULL AS VARCHAR) AS _warning, CAST(NULL AS VARCHAR) AS _warning_field
    FROM stage s"""


TARGETS = {
    V21.name: ("deployments", deployments_v21_sql),
    FRONT.name: ("deployments", deployments_front_sql),
    TT.name: ("deployment_troop_types", troop_types_sql),
    TCC.name: ("deployment_tccs", tccs_sql),
}


class GeoPko:
    """`peacewatch load geopko PATH`: any of the four Geo-PKO files (told apart by header)."""

    name = "geopko"
    target = "deployments"
    layouts: tuple[Layout, ...] = (V21, FRONT, TT, TCC)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage a Geo-PKO file; it replaces the stored rows of the same dataset version."""
        head = read_csv_head(path)
        layout = detect_layout(path, SOURCE, head.columns, self.layouts)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        if "country" in head.columns:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT trim(country) FROM stage WHERE country IS NOT NULL"
                ).fetchall()
            ]
            con.register("_countries", name_table(names))
        target, sql = TARGETS[layout.name]
        release = options.release or ("2.1" if layout is V21 else "2.3")
        return Staged(
            source=SOURCE,
            target=target,
            layout=layout.name,
            raw_table="stage",
            raw_columns=head.columns,
            normalized_sql=sql(),
            release=release,
            csv_rejects=csv.rejects,
            rows_read=csv.rows_read,
            read=csv.read,
        )
