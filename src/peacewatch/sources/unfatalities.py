"""UN peacekeeping fatalities (DPPA/DPOSS open dataset): one row per death, no location."""

from __future__ import annotations

from pathlib import Path

import duckdb

from peacewatch.sources.base import (
    Layout,
    LoadOptions,
    Staged,
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

SOURCE = "un_fatalities"
LAYOUT = Layout(
    "dppa-dposs-fatalities",
    frozenset(
        {
            "id",
            "incident_date",
            "casualty_id",
            "mission_acronym",
            "type_of_incident",
            "casualty_personnel_type",
        }
    ),
)


def normalize_sql() -> str:
    """SELECT over `stage` -> `un_fatalities` rows."""
    reason, field, value = first_failure(
        {
            blank("id"): ("id", "missing id"),
            f"{date('incident_date')} IS NULL": ("incident_date", "unparseable or missing date"),
            blank("mission_acronym"): ("mission_acronym", "missing mission"),
        }
    )
    rid = f"{sql_str(SOURCE)} || ':' || trim(s.id)"
    return f"""
    SELECT {rid} AS record_id, {rid} AS _key, {sql_str(SOURCE)} AS _scope, s._row AS _row,
        {text("mission_acronym")} AS mission,
        {date("incident_date")} AS incident_date,
        {text("casualty_id")} AS casualty_id,
        {text("type_of_casualty")} AS type_of_casualty,
        {text("gender")} AS gender,
        {text("casualty_nationality")} AS casualty_nationality,
        {text("casualty_personnel_type")} AS personnel_type,
        {text("type_of_incident")} AS type_of_incident,
        trim(s.type_of_incident) = 'Malicious Act' AS malicious,
        {text("isocode3")} AS nationality_iso3,
        CAST({num("m49_code")} AS INTEGER) AS m49_code,
        {reason} AS _reject_reason, {field} AS _reject_field, {value} AS _reject_value,
        CAST(NULL AS VARCHAR) AS _warning, CAST(NULL AS VARCHAR) AS _warning_field
    FROM stage s"""


class UnFatalities:
    """`peacewatch load un-fatalities PATH`: the file replaces all stored UN fatality rows."""

    name = "un-fatalities"
    target = "un_fatalities"
    layouts: tuple[Layout, ...] = (LAYOUT,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage the fatalities file; the release is its `last_update` date unless given."""
        head = read_csv_head(path)
        detect_layout(path, SOURCE, head.columns, self.layouts)
        csv = stage_csv(con, path, head, every_field=options.every_field)
        release = options.release
        if release is None and "last_update" in head.columns:
            row = con.execute("SELECT max(trim(last_update)) FROM stage").fetchone()
            release = f"last_update {row[0]}" if row and row[0] else None
        return Staged(
            source=SOURCE,
            target=self.target,
            layout=LAYOUT.name,
            raw_table="stage",
            raw_columns=head.columns,
            normalized_sql=normalize_sql(),
            release=release or "unstated",
            csv_rejects=csv.rejects,
            rows_read=csv.rows_read,
            read=csv.read,
        )
