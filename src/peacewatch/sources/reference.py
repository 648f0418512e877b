"""The curated reference tables: mission camps, the political timeline, humanitarian figures.

Country and mission are data: pass `--country ISO3` / `--mission NAME`, or let them be read from
the file name (`minusma_camps.csv` -> MINUSMA, Mali; `mali_timeline.csv` -> Mali).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from peacewatch.countries import iso3_from_name, name_table
from peacewatch.errors import PeacewatchError
from peacewatch.missions import host_of
from peacewatch.sources.base import (
    CsvStaged,
    Layout,
    LoadOptions,
    Staged,
    bad_number,
    blank,
    date,
    detect_layout,
    first_failure,
    num,
    read_csv_head,
    sql_str,
    stage_csv,
    text,
)

REF_DATES = ("%Y-%m-%d", "%Y-%m")


def _precision_of(col: str) -> str:
    return (
        f"CASE WHEN regexp_matches(trim({col}), '^\\d{{4}}-\\d{{2}}$') THEN 'month' "
        f"WHEN regexp_matches(trim({col}), '^\\d{{4}}$') THEN 'year' ELSE 'day' END"
    )


def infer_country(path: Path, options: LoadOptions, mission: str | None = None) -> str:
    """ISO3 from --country, from the mission, or from a country name in the file name."""
    if options.country:
        return options.country.upper()
    host = host_of(mission) if mission else None
    if host:
        return host
    for token in re.split(r"[_\-. ]+", path.stem):
        iso3 = iso3_from_name(token)
        if iso3:
            return iso3
    raise PeacewatchError(
        f"{path}: cannot tell which country this table is about; pass --country ISO3"
    )


def infer_mission(path: Path, options: LoadOptions) -> str:
    """Mission from --mission or from a mission acronym in the file name."""
    if options.mission:
        return options.mission.upper()
    for token in re.split(r"[_\-. ]+", path.stem):
        if host_of(token):
            return token.upper()
    raise PeacewatchError(
        f"{path}: cannot tell which mission these camps belong to; pass --mission"
    )


CAMPS = Layout(
    "reference-camps",
    frozenset(
        {"camp_id", "name", "latitude", "longitude", "closure_date", "closure_date_precision"}
    ),
)
TIMELINE = Layout(
    "reference-timeline", frozenset({"date", "end_date", "date_precision", "category", "event"})
)
HUMANITARIAN = Layout(
    "reference-humanitarian",
    frozenset({"year", "indicator", "value", "as_of_date", "source_org"}),
)


def _opt(columns: list[str], name: str) -> str:
    return text(name) if name in columns else "CAST(NULL AS VARCHAR)"


class _Reference:
    name = ""
    target = ""
    layouts: tuple[Layout, ...] = ()

    def _staged(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        options: LoadOptions,
        sql: str,
        columns: list[str],
        csv: CsvStaged,
    ) -> Staged:
        return Staged(
            source=self.target,
            target=self.target,
            layout=self.layouts[0].name,
            raw_table="stage",
            raw_columns=columns,
            normalized_sql=sql,
            release=options.release or f"file {path.name}",
            csv_rejects=csv.rejects,
            rows_read=csv.rows_read,
            read=csv.read,
        )


class Camps(_Reference):
    """`peacewatch load camps PATH`: mission sites with coordinates and handover dates."""

    name = "camps"
    target = "camps"
    layouts: tuple[Layout, ...] = (CAMPS,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage a camps table; it replaces the stored camps of the same mission."""
        head = read_csv_head(path)
        detect_layout(path, "camps", head.columns, self.layouts)
        mission = infer_mission(path, options)
        iso3 = infer_country(path, options, mission)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        cols = head.columns
        reason, field, value = first_failure(
            {
                blank("camp_id"): ("camp_id", "missing id"),
                f"({bad_number('latitude')} OR abs({num('latitude')}) > 90)": (
                    "latitude",
                    "latitude not a number or outside -90..90",
                ),
                f"({bad_number('longitude')} OR abs({num('longitude')}) > 180)": (
                    "longitude",
                    "longitude not a number or outside -180..180",
                ),
                f"(NOT {blank('closure_date')} AND {date('closure_date', REF_DATES)} IS NULL)": (
                    "closure_date",
                    "unparseable date",
                ),
            }
        )
        rid = f"{sql_str(mission)} || ':' || trim(s.camp_id)"
        sql = f"""
        SELECT {rid} AS record_id, {rid} AS _key, {sql_str("camps:" + mission)} AS _scope,
            s._row AS _row, trim(s.camp_id) AS camp_id, {sql_str(mission)} AS mission,
            {sql_str(iso3)} AS country_iso3, {text("name")} AS name,
            {_opt(cols, "site_type")} AS site_type,
            {num("latitude")} AS latitude, {num("longitude")} AS longitude,
            {_opt(cols, "admin1_region_geopko")} AS source_admin1,
            {_opt(cols, "opened")} AS opened,
            {date("closure_date", REF_DATES)} AS closure_date,
            {text("closure_date_precision")} AS closure_date_precision,
            {_opt(cols, "handed_over_to")} AS handed_over_to,
            {_opt(cols, "withdrawal_phase")} AS withdrawal_phase,
            CAST({num("handover_order")} AS INTEGER) AS handover_order,
            {_opt(cols, "post_handover_event_date")} AS post_handover_event_date,
            {_opt(cols, "post_handover_event")} AS post_handover_event,
            {_opt(cols, "coord_source")} AS coord_source,
            {_opt(cols, "sources")} AS sources,
            {_opt(cols, "confidence")} AS confidence,
            {_opt(cols, "notes")} AS notes,
            {_opt(cols, "handover_notes")} AS handover_notes,
            {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value,
            CASE WHEN {blank("latitude")} OR {blank("longitude")}
                 THEN 'no coordinates: site kept but left out of spatial work' END AS _warning,
            CASE WHEN {blank("latitude")} OR {blank("longitude")} THEN 'latitude' END
                AS _warning_field
        FROM stage s"""
        staged = self._staged(con, path, options, sql, cols, csv)
        staged.release = options.release or f"{mission} camps table ({path.name})"
        return staged


class Timeline(_Reference):
    """`peacewatch load timeline PATH`: dated political and security events of one country."""

    name = "timeline"
    target = "timeline"
    layouts: tuple[Layout, ...] = (TIMELINE,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage a timeline; it replaces the stored timeline of the same country."""
        head = read_csv_head(path)
        detect_layout(path, "timeline", head.columns, self.layouts)
        iso3 = infer_country(path, options)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        cols = head.columns
        reason, field, value = first_failure(
            {
                f"{date('date', REF_DATES)} IS NULL": ("date", "unparseable or missing date"),
                blank("event"): ("event", "missing event text"),
                f"(NOT {blank('end_date')} AND {date('end_date', REF_DATES)} IS NULL)": (
                    "end_date",
                    "unparseable date",
                ),
            }
        )
        rid = (
            f"'timeline:' || {sql_str(iso3)} || ':' || trim(s.date) || ':' || "
            f"substr(md5(trim(s.event)), 1, 12)"
        )
        sql = f"""
        SELECT {rid} AS record_id, {rid} AS _key, {sql_str("timeline:" + iso3)} AS _scope,
            s._row AS _row, {sql_str(iso3)} AS country_iso3,
            {date("date", REF_DATES)} AS date, {date("end_date", REF_DATES)} AS end_date,
            coalesce({text("date_precision")}, {_precision_of("s.date")}) AS date_precision,
            {text("category")} AS category, {text("event")} AS event,
            {_opt(cols, "location")} AS location, {_opt(cols, "actors")} AS actors,
            {_opt(cols, "reported_fatalities")} AS reported_fatalities,
            {_opt(cols, "source")} AS sources, {_opt(cols, "confidence")} AS confidence,
            {_opt(cols, "notes")} AS notes,
            {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value,
            CAST(NULL AS VARCHAR) AS _warning, CAST(NULL AS VARCHAR) AS _warning_field
        FROM stage s"""
        return self._staged(con, path, options, sql, cols, csv)


class Humanitarian(_Reference):
    """`peacewatch load humanitarian PATH`: yearly humanitarian figures (long format)."""

    name = "humanitarian"
    target = "humanitarian"
    layouts: tuple[Layout, ...] = (HUMANITARIAN,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage a humanitarian table; it replaces the stored figures of the same country."""
        head = read_csv_head(path)
        detect_layout(path, "humanitarian", head.columns, self.layouts)
        iso3 = infer_country(path, options)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        cols = head.columns
        reason, field, value = first_failure(
            {
                f"{num('year', 'INTEGER')} IS NULL": ("year", "year missing or not a number"),
                blank("indicator"): ("indicator", "missing indicator"),
                f"({num('value')} IS NULL OR {num('value')} < 0)": (
                    "value",
                    "value missing, negative or not a number",
                ),
            }
        )
        odd_date = f"(NOT {blank('as_of_date')} AND {date('as_of_date', REF_DATES)} IS NULL)"
        key_parts = (
            "concat_ws('|', trim(s.year), trim(s.indicator), trim(s.as_of_date), "
            "trim(s.source_org), " + (_opt(cols, "scope")) + ")"
        )
        occurrence = f"row_number() OVER (PARTITION BY {key_parts} ORDER BY s._row)"
        rid = (
            f"'humanitarian:' || {sql_str(iso3)} || ':' || substr(md5({key_parts}), 1, 16) "
            f"|| '#' || {occurrence}"
        )
        sql = f"""
        SELECT {rid} AS record_id, {rid} AS _key, {sql_str("humanitarian:" + iso3)} AS _scope,
            s._row AS _row, {sql_str(iso3)} AS country_iso3,
            {num("year", "INTEGER")} AS year, {text("indicator")} AS indicator,
            {num("value")} AS value, {date("as_of_date", REF_DATES)} AS as_of_date,
            {text("as_of_date")} AS as_of_text,
            {_opt(cols, "scope")} AS coverage, {text("source_org")} AS source_org,
            {_opt(cols, "source_url")} AS source_url, {_opt(cols, "confidence")} AS confidence,
            {_opt(cols, "notes")} AS notes,
            {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value,
            CASE WHEN {odd_date} THEN 'as_of_date is not a date: kept as text in as_of_text'
                END AS _warning,
            CASE WHEN {odd_date} THEN 'as_of_date' END AS _warning_field
        FROM stage s"""
        return self._staged(con, path, options, sql, cols, csv)


COUPS = Layout(
    "powell-thyne-coups",
    frozenset({"country", "ccode", "year", "month", "day", "coup"}),
)


class Coups(_Reference):
    """`peacewatch load coups PATH`: Powell & Thyne's list of coup attempts (all countries)."""

    name = "coups"
    target = "coups"
    layouts: tuple[Layout, ...] = (COUPS,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage the coup list; it replaces the stored list. ISO3 from the country name."""
        head = read_csv_head(path)
        detect_layout(path, "coups", head.columns, self.layouts)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        names = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT trim(country) FROM stage WHERE country IS NOT NULL"
            ).fetchall()
        ]
        con.register("_names", name_table(names))
        day = "make_date(CAST(s.year AS INTEGER), CAST(s.month AS INTEGER), CAST(s.day AS INTEGER))"
        valid = (
            f"({num('year', 'INTEGER')} IS NOT NULL AND {num('month', 'INTEGER')} BETWEEN 1 AND 12 "
            f"AND {num('day', 'INTEGER')} BETWEEN 1 AND 31)"
        )
        reason, field, value = first_failure(
            {
                blank("country"): ("country", "missing country"),
                f"NOT {valid}": ("year", "year, month or day missing or out of range"),
                f"{num('coup', 'INTEGER')} NOT IN (1, 2)": ("coup", "coup not 1 or 2"),
            }
        )
        version = "max(trim(s.version)) OVER ()" if "version" in head.columns else "NULL"
        rid = (
            "'coup:' || trim(s.country) || ':' || trim(s.year) || '-' || trim(s.month) || '-' "
            "|| trim(s.day)"
        )
        sql = f"""
        SELECT {rid} AS record_id, {rid} AS _key, 'coups' AS _scope, s._row AS _row,
            trim(s.country) AS country, n.iso3 AS country_iso3,
            CAST({num("ccode")} AS INTEGER) AS cow_code,
            CASE WHEN {valid} THEN {day} END AS date,
            {num("coup", "INTEGER")} = 2 AS successful,
            {version} AS dataset_version,
            {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value,
            CASE WHEN n.iso3 IS NULL THEN 'country name not matched to an ISO3 code' END
                AS _warning,
            CASE WHEN n.iso3 IS NULL THEN 'country' END AS _warning_field
        FROM stage s LEFT JOIN _names n ON n.name = trim(s.country)"""
        staged = self._staged(con, path, options, sql, head.columns, csv)
        if options.release is None and "version" in head.columns:
            row = con.execute("SELECT max(trim(version)) FROM stage").fetchone()
            staged.release = f"Powell & Thyne {row[0]}" if row and row[0] else staged.release
        return staged
