"""Load a file into the store: stage, normalise, reject, enrich, diff and write in one transaction.

Idempotent: a file whose rows are all already in the store (same key, same content) writes
nothing. A newer release of a file covering the same scope (for events: source and country)
replaces that scope's rows and the report says how many were added, updated and removed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import shapely

from peacewatch import actors, geo
from peacewatch.errors import PeacewatchError, UnknownSourceError
from peacewatch.schema import CONTENT_COLUMNS, TABLES
from peacewatch.sources import acled, boundaries, geopko, reference, ucdp, unfatalities
from peacewatch.sources.base import (
    LoadOptions,
    Reject,
    SourceSpec,
    Staged,
    ident,
    sha256_file,
    sql_str,
    true_row,
)
from peacewatch.store import Store, table_columns, table_key

REGISTRY: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        ucdp.UcdpGed(),
        acled.Acled(),
        geopko.GeoPko(),
        unfatalities.UnFatalities(),
        reference.Camps(),
        reference.Timeline(),
        reference.Humanitarian(),
        boundaries.Boundaries(),
    )
}

# Fault injection for the interrupted-load test: pause (seconds) after writing, before COMMIT.
PAUSE_ENV = "PEACEWATCH_TEST_PAUSE_BEFORE_COMMIT"

Step = Callable[[str], None]


@dataclass
class LoadReport:
    """What a load did, as printed and as written to the summary file."""

    source: str
    target: str
    layout: str
    file: str
    sha256: str
    release: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    already_loaded: bool = False
    scopes: list[str] = field(default_factory=list)
    admin1_unassigned: int = 0
    actor_unknown: int = 0
    seconds: float = 0.0
    summary_path: str | None = None
    rejects_path: str | None = None
    warnings_path: str | None = None
    rejects: list[Reject] = field(default_factory=list, repr=False)
    warnings: list[Reject] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, object]:
        """The report without the row lists (those go to the rejects / warnings files)."""
        out = asdict(self)
        out.pop("rejects")
        out.pop("warnings")
        return out


def spec_for(name: str) -> SourceSpec:
    """The loader registered under `name`, or an error listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownSourceError(
            f"unknown source {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def _noop(_: str) -> None:
    return None


def load_file(
    store: Store,
    source: str,
    path: Path | str,
    options: LoadOptions | None = None,
    report_dir: Path | None = None,
    step: Step = _noop,
) -> LoadReport:
    """Load one file with the loader `source`; see the module docstring."""
    started = time.perf_counter()
    spec = spec_for(source)
    path = Path(path)
    if not path.is_file():
        raise PeacewatchError(f"{path}: no such file")
    options = options or LoadOptions()
    con = store.con
    step("hashing")
    sha = sha256_file(path)
    step("reading")
    staged = spec.stage(con, path, options)
    step("validating")
    report = LoadReport(
        source=staged.source,
        target=staged.target,
        layout=staged.layout,
        file=str(path),
        sha256=sha,
        release=staged.release,
        rows_read=staged.rows_read,
    )
    _normalise(con, staged, report)
    step("enriching")
    if staged.target == "events":
        _enrich_events(store, report)
    else:
        _enrich_table(con, staged.target)
    step("comparing")
    _diff(store, staged, report)
    previous = con.execute(
        "SELECT max(load_id) FROM loads WHERE source = ? AND target = ? AND sha256 = ?",
        [staged.source, staged.target, sha],
    ).fetchone()
    if previous and previous[0] is not None and report.added + report.updated + report.removed == 0:
        report.already_loaded = True
        report.load_id = int(previous[0])
    else:
        step("writing")
        _write(store, staged, report, path)
    report.seconds = round(time.perf_counter() - started, 3)
    if report_dir is not None:
        _write_reports(report, report_dir, path)
    for table in ("stage", "norm", "good", "final"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return report


def _normalise(c: duckdb.DuckDBPyConnection, staged: Staged, report: LoadReport) -> None:
    """Run the source's SQL into temp `norm`, split rejects and warnings, keep `good`."""
    c.execute(
        f"""CREATE OR REPLACE TEMP TABLE norm AS
        SELECT *, row_number() OVER (PARTITION BY _key ORDER BY _row) AS _dup
        FROM ({staged.normalized_sql})"""
    )
    c.execute(
        """UPDATE norm SET _reject_reason = 'duplicate id (also on an earlier row)',
               _reject_field = 'id', _reject_value = _key
           WHERE _reject_reason IS NULL AND _dup > 1"""
    )
    broken = [r.row for r in staged.csv_rejects]
    rejects = list(staged.csv_rejects)
    for row, fld, value, reason in c.execute(
        "SELECT _row, _reject_field, _reject_value, _reject_reason FROM norm "
        "WHERE _reject_reason IS NOT NULL ORDER BY _row"
    ).fetchall():
        rejects.append(Reject(true_row(int(row), broken), fld, value, reason))
    warnings = [
        Reject(true_row(int(row), broken), fld or "", None, reason, kind="warning")
        for row, fld, reason in c.execute(
            "SELECT _row, _warning_field, _warning FROM norm "
            "WHERE _reject_reason IS NULL AND _warning IS NOT NULL ORDER BY _row"
        ).fetchall()
    ]
    rejects.sort(key=lambda r: r.row)
    report.rejects, report.warnings = rejects, warnings
    report.rows_rejected, report.rows_warned = len(rejects), len(warnings)
    c.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT * EXCLUDE (_reject_reason, _reject_field, "
        "_reject_value, _warning, _warning_field, _dup) FROM norm WHERE _reject_reason IS NULL"
    )
    n = c.execute("SELECT count(*) FROM good").fetchone()
    report.rows_loaded = int(n[0]) if n else 0
    scopes = c.execute("SELECT DISTINCT _scope FROM good ORDER BY 1").fetchall()
    report.scopes = [s[0] for s in scopes]


def admin_map(store: Store, coords_sql: str) -> pd.DataFrame:
    """Admin-1 of each distinct (latitude, longitude) from `coords_sql`, by point in polygon.

    Polygons are the loaded `admin_boundaries`; a point inside none gets NULLs.
    """
    con = store.con
    coords = con.execute(
        f"SELECT DISTINCT latitude, longitude FROM ({coords_sql}) "
        "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    ).df()
    bounds = con.execute(
        "SELECT name, admin_code, boundary_version, geometry_wkb FROM admin_boundaries "
        "WHERE admin_level = 1 ORDER BY boundary_version DESC, record_id"
    ).df()
    out = coords.assign(admin1=None, admin1_code=None, admin1_boundary=None)
    if bounds.empty or coords.empty:
        return out
    polygons = shapely.from_wkb(bounds["geometry_wkb"].map(bytes).to_numpy())
    idx = geo.locate_points(coords["latitude"], coords["longitude"], list(polygons))
    hit = idx >= 0
    out.loc[hit, "admin1"] = bounds["name"].to_numpy()[idx[hit]]
    out.loc[hit, "admin1_code"] = bounds["admin_code"].to_numpy()[idx[hit]]
    out.loc[hit, "admin1_boundary"] = bounds["boundary_version"].to_numpy()[idx[hit]]
    return out


def _actor_categories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    distinct = con.execute(
        """SELECT DISTINCT actor1 AS name, country_iso3, actor1_inter AS inter FROM good
           UNION SELECT DISTINCT actor2, country_iso3, actor2_inter FROM good"""
    ).df()
    distinct["category"] = actors.categorize_frame(distinct)
    return distinct


def _enrich_events(store: Store, report: LoadReport) -> None:
    """Add PRIO-GRID ids, admin-1 from loaded boundaries, actor categories and content hash."""
    con = store.con
    cats = _actor_categories(con)
    amap = admin_map(store, "SELECT latitude, longitude FROM good")
    con.register("_cats", cats)
    con.register("_admin", amap)
    hash_cols = ", ".join(f"f.{ident(c)}" for c in CONTENT_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE final AS
        SELECT g.* EXCLUDE (actor1_inter, actor2_inter),
            a.admin1, a.admin1_code, a.admin1_boundary,
            CAST(NULL AS VARCHAR) AS admin2,
            {geo.priogrid_sql("g.latitude", "g.longitude")} AS priogrid_gid,
            coalesce(c1.category, 'unknown') AS actor1_category,
            CASE WHEN g.actor2 IS NULL THEN NULL ELSE coalesce(c2.category, 'unknown') END
                AS actor2_category,
            (coalesce(c1.category, '') = 'peacekeepers'
                OR coalesce(c2.category, '') = 'peacekeepers') AS involves_peacekeepers
        FROM good g
        LEFT JOIN _admin a ON a.latitude = g.latitude AND a.longitude = g.longitude
        LEFT JOIN _cats c1 ON c1.name IS NOT DISTINCT FROM g.actor1
            AND c1.country_iso3 IS NOT DISTINCT FROM g.country_iso3
            AND c1.inter IS NOT DISTINCT FROM g.actor1_inter
        LEFT JOIN _cats c2 ON c2.name IS NOT DISTINCT FROM g.actor2
            AND c2.country_iso3 IS NOT DISTINCT FROM g.country_iso3
            AND c2.inter IS NOT DISTINCT FROM g.actor2_inter"""
    )
    con.execute(
        "UPDATE final SET category = 'attack_on_peacekeepers' "
        "WHERE source = 'acled' AND source_event_type IN ('Battles', 'Explosions/Remote violence', "
        "'Violence against civilians') AND ("
        "(source_event_type = 'Battles' AND involves_peacekeepers) OR "
        "(actor2_category = 'peacekeepers'))"
    )
    con.execute("ALTER TABLE final ADD COLUMN record_hash UBIGINT")
    con.execute(f"UPDATE final f SET record_hash = hash({hash_cols})")
    con.unregister("_cats")
    con.unregister("_admin")
    row = con.execute(
        "SELECT count(*) FILTER (WHERE admin1 IS NULL AND latitude IS NOT NULL), "
        "count(*) FILTER (WHERE actor1_category = 'unknown' OR actor2_category = 'unknown') "
        "FROM final"
    ).fetchone()
    if row:
        report.admin1_unassigned, report.actor_unknown = int(row[0]), int(row[1])


def _enrich_table(c: duckdb.DuckDBPyConnection, target: str) -> None:
    """Reference tables: PRIO-GRID id where the table has one, and the content hash."""
    _key, own = TABLES[target]
    cols = [r[0] for r in c.execute("DESCRIBE good").fetchall()]
    extra = ""
    if "priogrid_gid" in own and "priogrid_gid" not in cols:
        extra = f", {geo.priogrid_sql('latitude', 'longitude')} AS priogrid_gid"
    c.execute(f"CREATE OR REPLACE TEMP TABLE final AS SELECT *{extra} FROM good")
    content = ", ".join(ident(k) for k in own if k != "geometry_wkb")
    if "geometry_wkb" in own:
        content += ", md5(CAST(geometry_wkb AS VARCHAR))"
    c.execute("ALTER TABLE final ADD COLUMN record_hash UBIGINT")
    c.execute(f"UPDATE final SET record_hash = hash({content})")


def _existing_filter(staged: Staged, target: str) -> str:
    """SQL condition selecting the stored rows this load replaces."""
    key = table_key(target)
    if staged.replace_scope:
        return "scope IN (SELECT DISTINCT _scope FROM final)"
    return f"{ident(key)} IN (SELECT _key FROM final)"


def _diff(store: Store, staged: Staged, report: LoadReport) -> None:
    con = store.con
    key = table_key(staged.target)
    where = _existing_filter(staged, staged.target)
    row = con.execute(
        f"""WITH old AS (SELECT {ident(key)} AS k, record_hash FROM {ident(staged.target)}
                         WHERE {where}),
                 new AS (SELECT _key AS k, record_hash FROM final)
        SELECT
            count(*) FILTER (WHERE old.k IS NULL),
            count(*) FILTER (WHERE new.k IS NULL),
            count(*) FILTER (WHERE old.k IS NOT NULL AND new.k IS NOT NULL
                             AND old.record_hash <> new.record_hash),
            count(*) FILTER (WHERE old.record_hash = new.record_hash)
        FROM old FULL OUTER JOIN new ON old.k = new.k"""
    ).fetchone()
    assert row is not None
    report.added, report.removed, report.updated, report.unchanged = (int(v) for v in row)


def _write(store: Store, staged: Staged, report: LoadReport, path: Path) -> None:
    con = store.con
    target = staged.target
    raw = f"raw_{staged.source}"
    loaded_from = f"{path.name} sha256:{report.sha256}"
    with store.transaction():
        row = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()
        load_id = int(row[0]) if row else 1
        report.load_id = load_id
        where = _existing_filter(staged, target)
        con.execute(f"DELETE FROM {ident(target)} WHERE {where}")
        columns = table_columns(target)
        meta = {
            "scope": "_scope",
            "source_version": sql_str(report.release),
            "load_id": str(load_id),
            "loaded_from": sql_str(loaded_from),
            "loaded_at": "current_timestamp::TIMESTAMP",
        }
        final_cols = {r[0] for r in con.execute("DESCRIBE final").fetchall()}
        select = []
        for col in columns:
            if col in meta:
                select.append(f"{meta[col]} AS {ident(col)}")
            elif col in final_cols:
                select.append(ident(col))
            else:
                select.append(f"NULL AS {ident(col)}")
        con.execute(f"INSERT INTO {ident(target)} SELECT {', '.join(select)} FROM final")
        _write_raw(store, staged, raw, load_id)
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                staged.source,
                target,
                staged.layout,
                path.name,
                str(path.resolve()),
                report.sha256,
                report.release,
                ",".join(report.scopes),
                report.rows_read,
                report.rows_loaded,
                report.rows_rejected,
                report.rows_warned,
                report.added,
                report.updated,
                report.removed,
                report.unchanged,
            ],
        )
        if target == "admin_boundaries":
            reassign_admin1(store)
        pause = os.environ.get(PAUSE_ENV)
        if pause:
            print("PEACEWATCH-PAUSED-BEFORE-COMMIT", file=sys.stderr, flush=True)
            time.sleep(float(pause))


def _write_raw(store: Store, staged: Staged, raw: str, load_id: int) -> None:
    """Keep the source's own columns (as text) for the loaded rows in `raw_<source>`."""
    con = store.con
    if not store.table_exists(raw):
        con.execute(
            f"CREATE TABLE {ident(raw)} (_key VARCHAR, _scope VARCHAR, _load_id INTEGER, "
            "_row BIGINT)"
        )
    # DuckDB column names are case-insensitive: 'Med' (v2.3) and 'med' (v2.1) share a column.
    present = {c.casefold() for c in store.columns(raw)}
    for col in staged.raw_columns:
        if col.casefold() not in present:
            con.execute(f"ALTER TABLE {ident(raw)} ADD COLUMN {ident(col)} VARCHAR")
            present.add(col.casefold())
    if staged.replace_scope:
        con.execute(f"DELETE FROM {ident(raw)} WHERE _scope IN (SELECT DISTINCT _scope FROM final)")
    else:
        con.execute(f"DELETE FROM {ident(raw)} WHERE _key IN (SELECT _key FROM final)")
    cols = ", ".join(f"s.{ident(c)}" for c in staged.raw_columns)
    con.execute(
        f"INSERT INTO {ident(raw)} BY NAME SELECT f._key, f._scope, {load_id} AS _load_id, "
        f"s._row, {cols} FROM {staged.raw_table} s JOIN final f ON f._row = s._row"
    )


def reassign_admin1(store: Store) -> int:
    """Set admin1 of every stored event from the loaded boundaries; returns events assigned."""
    con = store.con
    amap = admin_map(store, "SELECT latitude, longitude FROM events")
    con.register("_admin", amap)
    con.execute(
        """UPDATE events e SET admin1 = a.admin1, admin1_code = a.admin1_code,
               admin1_boundary = a.admin1_boundary
           FROM _admin a WHERE a.latitude = e.latitude AND a.longitude = e.longitude"""
    )
    con.unregister("_admin")
    row = con.execute("SELECT count(*) FROM events WHERE admin1 IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


def _write_reports(report: LoadReport, report_dir: Path, path: Path) -> None:
    """Summary JSON plus rejects / warnings CSV, each written whole (temp file, then rename)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = report_dir / f"{report.source}-{path.stem}-{stamp}"
    for kind, rows in (("rejects", report.rejects), ("warnings", report.warnings)):
        if not rows:
            continue
        out = base.with_name(base.name + f".{kind}.csv")
        tmp = out.with_suffix(".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "row", "field", "value", "reason"])
            for r in rows:
                writer.writerow([path.name, r.row, r.field, r.value, r.reason])
        tmp.replace(out)
        setattr(report, f"{kind}_path", str(out))
    summary = base.with_name(base.name + ".summary.json")
    report.summary_path = str(summary)
    tmp = summary.with_suffix(".tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
    tmp.replace(summary)


__all__ = ["REGISTRY", "LoadReport", "load_file", "reassign_admin1", "spec_for"]
