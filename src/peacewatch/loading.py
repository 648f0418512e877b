"""Load a file into the store: stage, normalise, reject, enrich, diff and write in one transaction.

Idempotent: a file whose rows are all already in the store (same key, same content) writes
nothing. Events are kept as vintages (peacewatch.vintages): a file replaces current rows only
inside its scope (source family, country and the months its rows span), every release stays
stored, and the report says how many current rows were added, updated, removed and
superseded. Reference tables: a file replaces the rows of its scope (mission, country, dataset).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from peacewatch import enrich, keptfiles, loadreport, vintages
from peacewatch.errors import PeacewatchError, UnknownSourceError
from peacewatch.loadreport import LoadReport
from peacewatch.schema import EVENT_COLUMNS, SCHEMA_VERSION
from peacewatch.sources import acled, boundaries, geopko, reference, ucdp, unfatalities
from peacewatch.sources.base import (
    STAGING,
    LoadOptions,
    Reject,
    SourceSpec,
    Staged,
    ident,
    sha256_file,
    sql_str,
    stage_is_whole,
    true_row,
)
from peacewatch.store import LOADS_COLUMNS, Store, table_columns, table_key

REGISTRY: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        ucdp.UcdpGed(),
        ucdp.UcdpCandidate(),
        acled.Acled(),
        acled.AcledApiSnapshot(),
        geopko.GeoPko(),
        unfatalities.UnFatalities(),
        reference.Camps(),
        reference.Timeline(),
        reference.Humanitarian(),
        reference.Coups(),
        boundaries.Boundaries(),
    )
}

# Fault injection for the interrupted-load test: pause (seconds) after writing, before COMMIT.
PAUSE_ENV = "PEACEWATCH_TEST_PAUSE_BEFORE_COMMIT"

Step = Callable[[str], None]


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
    # On PostgreSQL the load computes in an in-memory DuckDB copy (docs/adr/026).
    with store.ingest() as work:
        sha: str | None = None
        report = None
        if _loaded_before(work, spec.name):
            step("hashing")
            sha = sha256_file(path)
            report = _still_loaded(work, spec.name, sha, path)
        if report is None:
            try:
                report = _stage_and_write(work, spec, path, sha, options, step)
            finally:
                _drop_temp(work.con)
    report.seconds = round(time.perf_counter() - started, 3)
    if report_dir is not None:
        loadreport.write(report, report_dir, path)
    return report


def _loaded_before(store: Store, loader: str) -> bool:
    """Whether this loader ever loaded into the store (else no file of it can be loaded)."""
    row = store.con.execute("SELECT count(*) FROM loads WHERE loader = ?", [loader]).fetchone()
    return bool(row and row[0])


def _still_loaded(store: Store, loader: str, sha: str, path: Path) -> LoadReport | None:
    """The report of an earlier load of these bytes, if its rows are all still stored.

    Then reading the file again would change nothing; else None.
    """
    row = store.con.execute(
        "SELECT load_id, source, target, layout, release, scopes, rows_read, rows_loaded, "
        "rows_rejected, rows_warned FROM loads WHERE sha256 = ? AND loader = ? "
        "AND schema_version IS NOT DISTINCT FROM ? ORDER BY load_id DESC LIMIT 1",
        [sha, loader, SCHEMA_VERSION],
    ).fetchone()
    if row is None:
        return None
    load_id, source, target, layout, release, scopes, read, loaded, rejected, warned = row
    scope_list = [s for s in (scopes or "").split(",") if s]
    if target == "events":
        # Every vintage stays stored: the load's versions are there, whatever is current now.
        counts = store.con.execute(
            "SELECT count(*), 0 FROM event_versions WHERE load_id = ?", [load_id]
        ).fetchone()
    else:
        marks = ", ".join("?" for _ in scope_list) or "NULL"
        counts = store.con.execute(
            f"SELECT count(*) FILTER (WHERE load_id = ?), count(*) FILTER (WHERE load_id <> ?) "
            f"FROM {ident(target)} WHERE scope IN ({marks})",
            [load_id, load_id, *scope_list],
        ).fetchone()
    if counts is None or counts[0] != loaded or counts[1] != 0:
        return None
    return LoadReport(
        source=source,
        target=target,
        layout=layout,
        file=str(path),
        sha256=sha,
        release=release,
        load_id=int(load_id),
        rows_read=int(read),
        rows_loaded=int(loaded),
        rows_rejected=int(rejected),
        rows_warned=int(warned),
        unchanged=int(loaded),
        already_loaded=True,
        scopes=scope_list,
    )


def _stage_and_write(
    store: Store, spec: SourceSpec, path: Path, sha: str | None, options: LoadOptions, step: Step
) -> LoadReport:
    """Stage and check the rows in temporary tables; enrich and write in one transaction.

    The file is kept (copied into the store's folder, peacewatch.keptfiles) on another core
    while DuckDB reads it, hashed and checked as UTF-8 text in the same read when its hash is
    not known yet (`sha` None: no earlier load of this loader can hold the file). The rows are
    first numbered from their ids alone; a file that turns out not to be all UTF-8 text is
    staged and checked again reading every field (sources.base.stage_csv). A copy no raw view
    reads (not a CSV file, a failed load) is removed at the end (`tidy_files`). Later tables
    carry `_row`, so their writes need not keep their order (`Store.unordered`). docs/adr/029
    and 031 have the measurements.
    """
    step("reading")
    try:
        with ThreadPoolExecutor(1) as pool:
            keeping = pool.submit(keptfiles.keep, path, store.files, sha)
            try:
                staged = spec.stage(store.con, path, replace(options, every_field=False))
                step("validating")
                with store.unordered():
                    report = _checked(store, staged, path)
                kept = keeping.result()
                if staged.read is not None and not kept.utf8:
                    staged = spec.stage(store.con, path, options)
                    with store.unordered():
                        report = _checked(store, staged, path)
                report.sha256 = kept.sha256
                with store.unordered():
                    return _enrich_and_write(
                        store, spec, staged, report, path, options, step, kept.name
                    )
            finally:
                keeping.cancel()
    finally:
        store.tidy_files()


def _checked(store: Store, staged: Staged, path: Path) -> LoadReport:
    """The report of the staged rows' checks (the rows in temp `norm`); the sha256 comes later."""
    report = LoadReport(
        source=staged.source,
        target=staged.target,
        layout=staged.layout,
        file=str(path),
        sha256="",
        release=staged.release,
        rows_read=staged.rows_read,
    )
    _normalise(store.con, staged, report)
    return report


def _enrich_and_write(
    store: Store,
    spec: SourceSpec,
    staged: Staged,
    report: LoadReport,
    path: Path,
    options: LoadOptions,
    step: Step,
    kept: str,
) -> LoadReport:
    """Enrich and diff the checked rows; then write them in one transaction.

    `kept`: the name of the kept copy of the file (a CSV file's raw rows are read from it).
    """
    con = store.con
    raw = kept if staged.read is not None else None
    step("enriching")
    if staged.target == "events":
        report.admin1_unassigned, report.actor_unknown = enrich.events(store)
        step("comparing")
        step("writing")
        with store.plain_strings(), store.transaction():
            _write_events(store, staged, report, path, spec.name, options, raw)
            _pause_before_commit()
        return report
    enrich.table(con, staged.target)
    step("comparing")
    _diff(store, staged, report)
    previous = con.execute(
        "SELECT max(load_id) FROM loads WHERE source = ? AND target = ? AND sha256 = ?",
        [staged.source, staged.target, report.sha256],
    ).fetchone()
    if previous and previous[0] is not None and report.added + report.updated + report.removed == 0:
        report.already_loaded = True
        report.load_id = int(previous[0])
        return report
    step("writing")
    with store.transaction():
        _write(store, staged, report, path, spec.name, raw)
        _pause_before_commit()
    return report


def _pause_before_commit() -> None:
    """Fault injection for the kill tests (PAUSE_ENV): wait, holding the open transaction."""
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        print("PEACEWATCH-PAUSED-BEFORE-COMMIT", file=sys.stderr, flush=True)
        time.sleep(float(pause))


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the load's temporary tables and views (whichever of them this load made)."""
    for name, kind in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = 'temp' ORDER BY table_type = 'VIEW' DESC"
    ).fetchall():
        if name in TEMP_NAMES:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {ident(name)}")
    con.execute(f"DROP TABLE IF EXISTS {STAGING}")


# What a load leaves in the temporary catalog while it runs.
TEMP_NAMES = frozenset(
    {
        "stage",
        "_stage_rest",
        "_stage_checked",
        "norm",
        "final",
        "_admin",
        "_cats",
        "_stage_ids",
        "_stage_keys",
        "_stage_shared",
    }
)


def _normalise(c: duckdb.DuckDBPyConnection, staged: Staged, report: LoadReport) -> None:
    """Run the source's SQL into temp `norm`; collect rejects (also duplicate ids) and warnings."""
    c.execute(f"CREATE OR REPLACE TEMP TABLE norm AS {staged.normalized_sql}")
    if staged.read is not None:
        row = c.execute("SELECT count(*) FROM norm").fetchone()
        if not stage_is_whole(c, int(row[0]) if row else 0):
            # A broken line shares its key with a good one: read every column (base.stage_csv).
            c.execute("CREATE OR REPLACE TEMP VIEW stage AS SELECT * FROM _stage_checked")
            c.execute(f"CREATE OR REPLACE TEMP TABLE norm AS {staged.normalized_sql}")
    # Duplicate ids: the first row keeps the id, later rows are rejected (hash aggregate, then
    # an update touching only the duplicates).
    c.execute(
        """UPDATE norm SET _reject_reason = 'duplicate id (also on an earlier row)',
               _reject_field = 'id', _reject_value = norm._key
           FROM (SELECT _key, min(_row) AS first_row FROM norm
                 WHERE _reject_reason IS NULL GROUP BY _key HAVING count(*) > 1) d
           WHERE norm._key = d._key AND norm._row > d.first_row
             AND norm._reject_reason IS NULL"""
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
    row = c.execute(
        "SELECT count(*), list(DISTINCT _scope ORDER BY _scope) FROM norm "
        "WHERE _reject_reason IS NULL"
    ).fetchone()
    report.rows_loaded = int(row[0]) if row else 0
    report.scopes = list(row[1] or []) if row else []


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


def _write(
    store: Store, staged: Staged, report: LoadReport, path: Path, loader: str, kept: str | None
) -> None:
    """Replace the scope's rows, keep the staged file as this load's raw table, record the load.

    Runs inside the load's transaction.
    """
    con = store.con
    target = staged.target
    loaded_from = f"{path.name} sha256:{report.sha256}"
    row = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()
    load_id = int(row[0]) if row else 1
    report.load_id = load_id
    where = _existing_filter(staged, target)
    con.execute(f"DELETE FROM {ident(target)} WHERE {where}")
    meta = {
        "scope": "_scope",
        "source_version": sql_str(report.release),
        "load_id": str(load_id),
        "source_row": "_row",
        "loaded_from": sql_str(loaded_from),
        "loaded_at": "current_timestamp::TIMESTAMP",
    }
    final_cols = {r[0] for r in con.execute("DESCRIBE final").fetchall()}
    con.execute(
        f"INSERT INTO {ident(target)} BY NAME "
        f"SELECT {_meta_select(target, final_cols, meta)} FROM final"
    )
    _insert_load_row(con, load_id, staged, report, path, loader, None)
    _keep_raw(store, staged, load_id, kept)
    if target == "admin_boundaries":
        enrich.reassign_admin1(store)


def _meta_select(target: str, final_cols: set[str], meta: dict[str, str]) -> str:
    select = []
    for col in table_columns(target):
        if col in meta:
            select.append(f"{meta[col]} AS {ident(col)}")
        elif col in final_cols:
            select.append(ident(col))
        else:
            select.append(f"NULL AS {ident(col)}")
    return ", ".join(select)


def _write_events(
    store: Store,
    staged: Staged,
    report: LoadReport,
    path: Path,
    loader: str,
    options: LoadOptions,
    kept: str | None,
) -> None:
    """Keep the file's rows as a new vintage, record its scopes and bring `events` up to date.

    Runs inside the load's transaction.
    """
    con = store.con
    row = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()
    load_id = int(row[0]) if row else 1
    report.load_id = load_id
    known = staged.known_at or vintages.known_at(
        staged.source, report.release, options.released, vintages.now()
    )
    report.known_at = known.isoformat(sep=" ")
    meta = {
        "scope": "_scope",
        "source_version": sql_str(report.release),
        "load_id": str(load_id),
        "source_row": "_row",
        "loaded_from": sql_str(f"{path.name} sha256:{report.sha256}"),
        "loaded_at": "current_timestamp::TIMESTAMP",
    }
    final_cols = {r[0] for r in con.execute("DESCRIBE final").fetchall()}
    versions = f"SELECT {_meta_select('events', final_cols, meta)} FROM final"
    mode = "replace" if staged.replace_scope else "upsert"
    con.execute(
        """INSERT INTO load_scopes
           SELECT ?, source, split_part(_scope, ':', 2), date_trunc('month', min(date_start)),
                  last_day(max(date_start)), ?, count(*)
           FROM norm WHERE _reject_reason IS NULL GROUP BY source, _scope ORDER BY _scope""",
        [load_id, mode],
    )
    areas = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT area FROM load_scopes WHERE load_id = ?", [load_id]
        ).fetchall()
    }
    report.periods = [
        f"{fam}:{area} {start:%Y-%m}..{end:%Y-%m}" if mode == "replace" else f"{fam}:{area}"
        for fam, area, start, end in con.execute(
            "SELECT family, area, period_start, period_end FROM load_scopes WHERE load_id = ? "
            "ORDER BY area",
            [load_id],
        ).fetchall()
    ]
    _insert_load_row(con, load_id, staged, report, path, loader, known)
    families = vintages.affected_families(staged.source)
    cols = ", ".join(ident(c) for c in EVENT_COLUMNS)
    if not staged.deletions and vintages.first_in_its_areas(
        store, families, tuple(sorted(areas)), load_id
    ):
        # Nothing else was ever stored here: every version is current, written once, to
        # `events` (the versions are read once from `final`; docs/adr/031).
        inserted = con.execute(f"INSERT INTO events ({cols}) SELECT {cols} FROM ({versions})")
        found = inserted.fetchone()
        change = vintages.Refresh(added=int(found[0]) if found else 0)
    else:
        con.execute(f"INSERT INTO event_history ({cols}) SELECT {cols} FROM ({versions})")
        areas |= _record_deletions(con, staged.deletions, load_id, report)
        change = (
            vintages.refresh_current(store, families, tuple(sorted(areas)), load_id)
            if areas
            else vintages.Refresh()
        )
    report.added, report.updated, report.removed = change.added, change.updated, change.removed
    report.superseded, report.unchanged = change.superseded, change.unchanged
    report.not_current = change.not_current
    con.execute(
        "UPDATE loads SET added = ?, updated = ?, removed = ?, unchanged = ? WHERE load_id = ?",
        [report.added, report.updated, report.removed, report.unchanged, load_id],
    )
    _keep_raw(store, staged, load_id, kept)


def _record_deletions(
    con: duckdb.DuckDBPyConnection, deletions: list[str], load_id: int, report: LoadReport
) -> set[str]:
    """Record the source's deletions of stored events; returns the areas they touch."""
    if not deletions:
        return set()
    con.register("_deleted", pd.DataFrame({"event_id": deletions}))
    con.execute(
        "INSERT INTO event_deletions SELECT DISTINCT d.event_id, ?, current_timestamp::TIMESTAMP "
        "FROM _deleted d WHERE d.event_id IN (SELECT event_id FROM event_versions)",
        [load_id],
    )
    con.unregister("_deleted")
    rows = con.execute(
        "SELECT DISTINCT split_part(v.scope, ':', 2) FROM event_versions v "
        "JOIN event_deletions d ON d.event_id = v.event_id WHERE d.load_id = ?",
        [load_id],
    ).fetchall()
    count = con.execute(
        "SELECT count(*) FROM event_deletions WHERE load_id = ?", [load_id]
    ).fetchone()
    report.deleted = int(count[0]) if count else 0
    return {r[0] for r in rows}


def _insert_load_row(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    staged: Staged,
    report: LoadReport,
    path: Path,
    loader: str,
    known: datetime | None,
) -> None:
    con.execute(
        f"INSERT INTO loads ({', '.join(LOADS_COLUMNS)}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, current_timestamp::TIMESTAMP), ?)",
        [
            load_id,
            staged.source,
            loader,
            staged.target,
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
            known,
            SCHEMA_VERSION,
        ],
    )


def raw_table_name(source: str, load_id: int) -> str:
    """The table holding the file of load `load_id` as read (text columns plus `_row`)."""
    return f"raw_{source}__load_{load_id}"


def _keep_raw(store: Store, staged: Staged, load_id: int, kept: str | None) -> None:
    """Keep the file's rows as this load's raw table and rebuild the view `raw_<source>`.

    A CSV file's raw table is a view over its kept copy (peacewatch.keptfiles), read with the
    options it was loaded with; other files (JSON pages, GIS files) were staged as a table,
    which is renamed. The raw table holds every row read, rejected ones too (`_row` links
    events to it through `events.source_row`); raw tables no stored row refers to any more
    are dropped (their kept files are removed after the commit).
    """
    con = store.con
    source = staged.source
    name = ident(raw_table_name(source, load_id))
    if staged.read is not None and kept is not None:
        con.execute(f"CREATE VIEW {name} AS {staged.read.numbered(kept)}")
    else:
        con.execute(f"ALTER TABLE {STAGING} RENAME TO {name}")
    prefix = f"raw_{source}__load_"
    pieces = []
    for table, kind in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "AND starts_with(table_name, ?) ORDER BY table_name",
        [prefix],
    ).fetchall():
        old_id = int(table.removeprefix(prefix))
        target_row = con.execute("SELECT target FROM loads WHERE load_id = ?", [old_id]).fetchone()
        if target_row and target_row[0] == "events":
            # Events keep every vintage, and the vintage's raw rows with it.
            target_row = ("event_versions",)
        used = (
            target_row
            and con.execute(
                f"SELECT count(*) FROM {ident(target_row[0])} WHERE load_id = ?", [old_id]
            ).fetchone()
        )
        if not used or not used[0]:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {ident(table)}")
            continue
        skip = [c for c in store.columns(table) if c.startswith("_trailing")]
        exclude = f" EXCLUDE ({', '.join(ident(c) for c in skip)})" if skip else ""
        pieces.append(f"SELECT {old_id} AS _load_id, *{exclude} FROM {ident(table)}")
    view = ident(f"raw_{source}")
    con.execute(f"DROP VIEW IF EXISTS {view}")
    if pieces:
        con.execute(f"CREATE VIEW {view} AS {' UNION ALL BY NAME '.join(pieces)}")


__all__ = ["REGISTRY", "LoadReport", "load_file", "spec_for"]
