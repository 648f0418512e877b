"""ACLED event exports: the current (2023-) layout and the older HDX layout, with or without HXL.

Mapping to the common record (documented in README and docs/adr/003-taxonomy.md):
event_type -> category (Battles -> battle, Explosions/Remote violence -> explosion_remote,
Violence against civilians -> violence_against_civilians, Protests/Riots -> protest_riot,
Strategic developments -> strategic_development; events against a peacekeeping actor become
attack_on_peacekeepers in the loader); violence_type derived from the actor codes (civilians
targeted -> 3, a state actor involved -> 1, two non-state actors -> 2); civilian_fatalities =
fatalities for Violence against civilians (ACLED counts those as civilian deaths), else NULL.
ACLED gives one fatality number: low/high stay NULL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from peacewatch.countries import country_table
from peacewatch.errors import PeacewatchError
from peacewatch.sources.base import (
    Layout,
    LoadOptions,
    Staged,
    blank,
    date,
    detect_layout,
    first_failure,
    formats_in_use,
    num,
    read_csv_head,
    sql_str,
    stage_csv,
    stage_frame,
    text,
)

SOURCE = "acled"
LICENCE = "ACLED Terms of Use: raw rows not redistributable; cite ACLED (acleddata.com)"

_CORE = frozenset(
    {
        "event_id_cnty",
        "event_date",
        "time_precision",
        "event_type",
        "sub_event_type",
        "actor1",
        "actor2",
        "inter1",
        "inter2",
        "iso",
        "admin1",
        "admin2",
        "latitude",
        "longitude",
        "geo_precision",
        "fatalities",
    }
)
CURRENT = Layout("acled-2023", _CORE | {"disorder_type", "civilian_targeting"}, "ACLED API/export")
PRE2023 = Layout("acled-pre-2023", _CORE | {"data_id"}, "ACLED export before 20 Mar 2023 (HDX)")
API_PAGE = Layout("acled-api-json", _CORE | {"timestamp"}, "ACLED API read pages (JSON)")

DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d-%m-%Y", "%d/%m/%Y")

CATEGORY = """CASE trim(s.event_type)
    WHEN 'Battles' THEN 'battle'
    WHEN 'Explosions/Remote violence' THEN 'explosion_remote'
    WHEN 'Violence against civilians' THEN 'violence_against_civilians'
    WHEN 'Protests' THEN 'protest_riot'
    WHEN 'Riots' THEN 'protest_riot'
    WHEN 'Strategic developments' THEN 'strategic_development'
    ELSE 'other' END"""

INTER_LABELS = {
    "state forces": 1,
    "rebel group": 2,
    "political militia": 3,
    "identity militia": 4,
    "rioters": 5,
    "protesters": 6,
    "civilians": 7,
    "external/other forces": 8,
}


def _inter(col: str) -> str:
    labels = " ".join(f"WHEN {sql_str(k)} THEN {v}" for k, v in INTER_LABELS.items())
    return (
        f"coalesce({num(col, 'INTEGER')}, CASE lower(trim(s.{col})) {labels} END, "
        f"CASE WHEN {blank(col)} THEN 0 END)"
    )


def normalize_sql(date_formats: tuple[str, ...] = DATE_FORMATS) -> str:
    """SELECT over temp view `stage` producing the normalised columns plus checks.

    Each text field is parsed once (inner query); the checks use the parsed values.
    """
    parsed = f"""
        SELECT s.*,
            {date("event_date", date_formats)} AS p_date,
            {num("latitude")} AS p_lat, {num("longitude")} AS p_lon,
            {num("fatalities")} AS p_fat,
            {num("time_precision", "INTEGER")} AS p_tprec,
            {num("geo_precision", "INTEGER")} AS p_gprec,
            {num("iso", "INTEGER")} AS p_iso,
            {_inter("inter1")} AS p_i1, {_inter("inter2")} AS p_i2,
            trim(s.event_type) AS p_type
        FROM stage s"""
    reason, field, value = first_failure(
        {
            blank("event_id_cnty"): ("event_id_cnty", "missing id"),
            "p_date IS NULL": ("event_date", "unparseable or missing date"),
            f"((NOT {blank('latitude')} AND p_lat IS NULL) OR abs(p_lat) > 90)": (
                "latitude",
                "latitude not a number or outside -90..90",
            ),
            f"((NOT {blank('longitude')} AND p_lon IS NULL) OR abs(p_lon) > 180)": (
                "longitude",
                "longitude not a number or outside -180..180",
            ),
            "p_fat IS NULL": ("fatalities", "fatality count missing or not a number"),
            "(p_fat < 0 OR p_fat <> floor(p_fat))": (
                "fatalities",
                "fatality count negative or not a whole number",
            ),
        }
    )
    return f"""
    SELECT
        {sql_str(SOURCE)} || ':' || trim(s.event_id_cnty) AS event_id,
        {sql_str(SOURCE)} AS source,
        trim(s.event_id_cnty) AS source_event_id,
        p_date AS date_start,
        p_date AS date_end,
        CASE p_tprec WHEN 1 THEN 'day' WHEN 2 THEN 'week' WHEN 3 THEN 'month' END
            AS date_precision,
        p_tprec AS date_precision_code,
        c.iso3 AS country_iso3,
        c.gw_code AS gw_code,
        {text("admin1")} AS source_admin1,
        {text("admin2")} AS source_admin2,
        p_lat AS latitude,
        p_lon AS longitude,
        p_gprec AS geo_precision,
        CASE p_gprec WHEN 1 THEN 'exact' WHEN 2 THEN 'near' WHEN 3 THEN 'region' END
            AS geo_precision_label,
        {CATEGORY} AS category,
        {text("event_type")} AS source_event_type,
        {text("sub_event_type")} AS source_sub_event_type,
        CASE
            WHEN p_type = 'Violence against civilians' THEN 3
            WHEN p_type IN ('Battles', 'Explosions/Remote violence') THEN
                CASE WHEN p_i1 = 7 OR p_i2 = 7 THEN 3
                     WHEN p_i1 = 1 OR p_i2 = 1 THEN 1
                     WHEN p_i2 > 0 THEN 2 END
        END AS violence_type,
        {text("actor1")} AS actor1,
        {text("actor2")} AS actor2,
        CAST(NULL AS VARCHAR) AS actor1_id,
        CAST(NULL AS VARCHAR) AS actor2_id,
        p_i1 AS actor1_inter,
        p_i2 AS actor2_inter,
        CAST(NULL AS INTEGER) AS actor1_gw,
        CAST(NULL AS INTEGER) AS actor2_gw,
        CAST(p_fat AS INTEGER) AS fatalities_best,
        CAST(NULL AS INTEGER) AS fatalities_low,
        CAST(NULL AS INTEGER) AS fatalities_high,
        CASE WHEN p_type = 'Violence against civilians' THEN CAST(p_fat AS INTEGER) END
            AS civilian_fatalities,
        {text("notes")} AS notes,
        {text("source")} AS source_refs,
        {sql_str(LICENCE)} AS licence,
        false AS redistributable,
        s._row AS _row,
        {sql_str(SOURCE)} || ':' || trim(s.event_id_cnty) AS _key,
        {sql_str(SOURCE)} || ':' || coalesce(c.iso3, 'ISO' || trim(s.iso)) AS _scope,
        {reason} AS _reject_reason,
        {field} AS _reject_field,
        {value} AS _reject_value,
        CASE WHEN c.iso3 IS NULL THEN 'unknown ISO numeric country code in iso' END AS _warning,
        CASE WHEN c.iso3 IS NULL THEN 'iso' END AS _warning_field
    FROM ({parsed}) s
    LEFT JOIN _countries c ON c.iso_numeric = s.p_iso
    """


def _register_countries(con: duckdb.DuckDBPyConnection) -> None:
    """The ISO numeric -> ISO3 look-up the normalising SQL joins (`_countries`)."""
    table = country_table().dropna(subset=["iso_numeric"]).drop_duplicates("iso_numeric")
    con.register("_countries", table)


class Acled:
    """`peacewatch load acled PATH`: an ACLED CSV export (current or pre-2023 layout)."""

    name = "acled"
    target = "events"
    layouts: tuple[Layout, ...] = (CURRENT, PRE2023)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage an ACLED export; it replaces the stored ACLED rows of the countries it covers."""
        _register_countries(con)
        head = read_csv_head(path)
        layout = detect_layout(path, SOURCE, head.columns, self.layouts)
        csv = stage_csv(con, path, head, key="event_id_cnty", every_field=options.every_field)
        release = options.release
        if release is None and "timestamp" in head.columns:
            row = con.execute(f"SELECT max({num('timestamp', 'BIGINT')}) FROM stage").fetchone()
            if row and row[0]:
                stamp = datetime.fromtimestamp(int(row[0]), tz=UTC).date().isoformat()
                release = f"export of {stamp} (latest event timestamp)"
        return Staged(
            source=SOURCE,
            target=self.target,
            layout=layout.name + ("+hxl" if head.has_hxl else ""),
            raw_table="stage",
            raw_columns=head.columns,
            normalized_sql=normalize_sql(
                formats_in_use(con, head.values("event_date"), DATE_FORMATS)
            ),
            release=release or "unstated",
            csv_rejects=csv.rejects,
            rows_read=csv.rows_read,
            read=csv.read,
        )


class AcledApiSnapshot:
    """`peacewatch load acled-api FILE`: a snapshot of ACLED API pages (`load acled --api`).

    Rows replace stored ACLED rows by id only (an API answer is not a whole release); the
    deletions it lists are applied; it is known from the time it was fetched.
    """

    name = "acled-api"
    target = "events"
    layouts: tuple[Layout, ...] = (API_PAGE,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage the snapshot's events as text columns; keep its deletions for the writer."""
        try:
            snapshot = json.loads(path.read_text(encoding="utf-8"))
            events, deleted = snapshot["events"], snapshot["deleted"]
            fetched = datetime.fromisoformat(snapshot["fetched_at"])
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise PeacewatchError(f"{path}: not an ACLED API snapshot ({exc})") from exc
        _register_countries(con)
        frame = pd.DataFrame(events)
        if frame.empty:
            frame = pd.DataFrame(columns=sorted(API_PAGE.required))
        detect_layout(path, SOURCE, frame.columns, self.layouts)
        stage_frame(con, frame)
        return Staged(
            source=SOURCE,
            target=self.target,
            layout=API_PAGE.name,
            raw_table="stage",
            raw_columns=[str(c) for c in frame.columns],
            normalized_sql=normalize_sql(),
            release=options.release or f"ACLED API, fetched {fetched:%Y-%m-%d %H:%M} UTC",
            replace_scope=False,
            rows_read=len(frame),
            known_at=fetched.replace(tzinfo=None),
            deletions=[f"{SOURCE}:{row['event_id_cnty']}" for row in deleted],
        )
