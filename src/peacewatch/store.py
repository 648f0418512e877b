"""The embedded store: one DuckDB file with a versioned schema; every write in one transaction."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from peacewatch import keptfiles
from peacewatch.errors import StoreError
from peacewatch.schema import (
    APP_TABLES,
    EVENT_COLUMNS,
    INCIDENT_COLUMNS_V6,
    META_COLUMNS,
    SCHEMA_VERSION,
    TABLES,
    VINTAGE_TABLES,
)
from peacewatch.settings import is_store_url

LOADS_COLUMNS: dict[str, str] = {
    "load_id": "INTEGER PRIMARY KEY",
    "source": "VARCHAR",
    "loader": "VARCHAR",
    "target": "VARCHAR",
    "layout": "VARCHAR",
    "file_name": "VARCHAR",
    "file_path": "VARCHAR",
    "sha256": "VARCHAR",
    "release": "VARCHAR",
    "loaded_at": "TIMESTAMP",
    "scopes": "VARCHAR",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_rejected": "BIGINT",
    "rows_warned": "BIGINT",
    "added": "BIGINT",
    "updated": "BIGINT",
    "removed": "BIGINT",
    "unchanged": "BIGINT",
    # When the release was published (known): orders vintages; see peacewatch.vintages.
    "known_at": "TIMESTAMP",
    # The schema the load was read under: a load read under an older one is read again when
    # its file is loaded again (the newer normalisers may take more from it).
    "schema_version": "INTEGER",
}


def _ddl(name: str, columns: dict[str, str], key: str | None) -> str:
    cols = ", ".join(f'"{c}" {t}{" PRIMARY KEY" if c == key else ""}' for c, t in columns.items())
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


def versions_sql(prefix: str = "") -> str:
    """SELECT of every stored event version: the current loaded rows and the history.

    A version is stored once (docs/adr/031): in `events` while current, in `event_history`
    after. The view `event_versions` is this query; `prefix` qualifies the tables (`db.main.`)
    for the as-of cursors, which shadow `events` with a temporary view that a view reading
    `events` would bind to (DuckDB binds view bodies by name).
    """
    cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    return (
        f"SELECT {cols} FROM {prefix}events WHERE load_id IS NOT NULL "
        f"UNION ALL SELECT {cols} FROM {prefix}event_history"
    )


def table_columns(name: str) -> dict[str, str]:
    """Own plus meta columns of a stored table (`events` or one of schema.TABLES)."""
    if name == "events":
        return dict(EVENT_COLUMNS)
    own = TABLES[name][1]
    return {**own, **META_COLUMNS}


def table_key(name: str) -> str:
    """Key column of a stored table."""
    return "event_id" if name == "events" else TABLES[name][0]


def _records(cursor: Any) -> list[dict[str, Any]]:
    """Rows of an executed cursor (DuckDB or psycopg) as dicts."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# Positional (`?`) or named (`$name`) query parameters.
Params = Sequence[object] | Mapping[str, object] | None


class Store:
    """A DuckDB store file. Open it with `Store.open(path)`; close it with `close()`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        read_only: bool,
        files: Path | None = None,
        own_files: bool = False,
    ) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        # The folder of the source files kept beside the store (peacewatch.keptfiles).
        self.files = files if files is not None else keptfiles.folder_for(Path(path))
        self._own_files = own_files

    @classmethod
    def open(cls, path: Path | str, read_only: bool = False, memory_limit: str = "512MB") -> Store:
        """Open (and, unless read-only, create or migrate) the store at `path`.

        A `postgresql://` URL opens the server store (`peacewatch.pgstore.PgStore`).
        """
        if is_store_url(path):
            from peacewatch.pgstore import PgStore  # noqa: PLC0415 - psycopg only when asked

            return PgStore.open(path, read_only, memory_limit)
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError(f"{path}: no store here yet; load data first (peacewatch load ...)")
        memory = str(path) == ":memory:"
        if not (memory or read_only):
            path.parent.mkdir(parents=True, exist_ok=True)
        files = keptfiles.temporary_folder() if memory else keptfiles.folder_for(path)
        config: dict[str, str | bool | int | float | list[str]] = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": memory_limit,
            # The raw views name their kept file without a folder (peacewatch.keptfiles).
            "file_search_path": str(files),
        }
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from exc
        store = cls(con, path, read_only, files, own_files=memory)
        if not read_only:
            store.migrate()
            # A load killed before its COMMIT leaves its staging table (never its data rows)
            # and perhaps a kept file no view reads.
            con.execute("DROP TABLE IF EXISTS _staging")
            store.tidy_files()
        else:
            store.check_version()
        return store

    def close(self) -> None:
        """Close the connection (and remove an in-memory store's kept files)."""
        self.con.close()
        if self._own_files:
            shutil.rmtree(self.files, ignore_errors=True)

    def copy_to(self, target: Path | str) -> Path:
        """A copy of this store at `target`: the file, checkpointed, and its kept files.

        Kept files are never written again once kept, so the copy links them where the file
        system allows (else copies them).
        """
        target = Path(target)
        self.con.execute("CHECKPOINT")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        if self.files.is_dir():
            shutil.copytree(self.files, keptfiles.folder_for(target), copy_function=_link_or_copy)
        return target

    def kept_in_use(self) -> set[str]:
        """The kept source files the store's raw views read."""
        found: set[str] = set()
        for (sql,) in self.con.execute(
            "SELECT sql FROM duckdb_views() WHERE NOT temporary "
            "AND database_name = current_database() AND starts_with(view_name, 'raw_')"
        ).fetchall():
            found |= keptfiles.read_by(sql or "")
        return found

    def tidy_files(self) -> list[str]:
        """Remove kept files no raw view reads any more (the store's writer only)."""
        return keptfiles.tidy(self.files, self.kept_in_use())

    def on_own_cursor(self) -> Store:
        """A Store on a cursor of its own of this connection (one per web request).

        Thread-safe; closing it closes the cursor only.
        """
        return Store(self.con.cursor(), self.path, self.read_only, self.files)

    def stored_prefix(self) -> str:
        """The qualifier of this store's own tables (`"db".main.`), past a temporary view.

        DuckDB binds a view's body by name when it is read: a view that shadows `events`
        reads the stored table through this prefix.
        """
        row = self.con.execute("SELECT current_database()").fetchone()
        assert row is not None
        return f'"{row[0]}".main.'

    def shadowed(self, name: str, select_sql: str) -> Store:
        """A read-only store of its own in which `name` reads `select_sql` (a temporary view).

        For a cut-off (`vintages.as_of`): every query of the layers above that reads `name`
        then reads the view. Close it after (on DuckDB that closes a cursor only).
        """
        cursor = self.con.cursor()
        cursor.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {select_sql}')
        return Store(cursor, self.path, True, self.files)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The schema version written in the store (0 for a new file)."""
        if not self.table_exists("meta"):
            return 0
        row = self.row("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    def check_version(self) -> None:
        """Refuse a store written by a newer peacewatch."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this peacewatch "
                f"({SCHEMA_VERSION}); upgrade peacewatch"
            )

    def migrate(self) -> None:
        """Create the tables of the current schema version (in one transaction)."""
        self.check_version()
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return
        with self.transaction():
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            self.con.execute(_ddl("loads", LOADS_COLUMNS, None))
            # No primary-key index on the data tables: the loader guarantees unique keys (it
            # rejects duplicates and replaces whole scopes), and an ART index over millions of
            # keys would cost memory and load time (docs/adr/007-load-speed.md).
            self.con.execute(_ddl("events", EVENT_COLUMNS, None))
            for name in TABLES:
                self.con.execute(_ddl(name, table_columns(name), None))
            for name, columns in APP_TABLES.items():
                self.con.execute(_ddl(name, columns, None))
            self.con.execute("CREATE SEQUENCE IF NOT EXISTS incident_ids START 1")
            if found:
                # The older migrations below still read and fill the version table.
                self.con.execute(_ddl("event_versions", EVENT_COLUMNS, None))
            self.con.execute(_ddl("event_history", EVENT_COLUMNS, None))
            for name, columns in VINTAGE_TABLES.items():
                self.con.execute(_ddl(name, columns, None))
            if 0 < found < 6:
                self._incident_details_from_v5()
            if 0 < found < 4:
                self._actor_ids_from_v3()
            if 0 < found < 3:
                self._vintages_from_v2()
            if found:
                self._history_from_v6()
            self.con.execute(f"CREATE OR REPLACE VIEW event_versions AS {versions_sql()}")
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )

    def _history_from_v6(self) -> None:
        """Schema 6 -> 7: a version is stored once; `event_versions` becomes a view.

        The versions that are the current rows stay in `events` only; the others move to
        `event_history` (docs/adr/031).
        """
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        self.con.execute(
            f"INSERT INTO event_history ({cols}) SELECT {cols} FROM event_versions v "
            "WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = v.event_id "
            "AND e.load_id = v.load_id)"
        )
        self.con.execute("DROP TABLE event_versions")

    def _incident_details_from_v5(self) -> None:
        """Schema 5 -> 6: incidents get a time of day, injured and missing (0 for old reports).

        DuckDB adds columns without constraints: the counts come in with their default and
        every write goes through `incidents.validate`, which never leaves them NULL.
        """
        for column, kind in INCIDENT_COLUMNS_V6.items():
            plain = kind.replace(" NOT NULL", "")
            self.con.execute(f"ALTER TABLE incidents ADD COLUMN IF NOT EXISTS {column} {plain}")

    def _actor_ids_from_v3(self) -> None:
        """Schema 3 -> 4: events keep the sources' actor ids (NULL until the file is reloaded)."""
        for table in ("events", "event_versions"):
            for column in ("actor1_id", "actor2_id"):
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR")
        self.con.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS schema_version INTEGER")

    def _vintages_from_v2(self) -> None:
        """Schema 2 -> 3: the stored events become the first vintage of their loads."""
        con = self.con
        con.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS known_at TIMESTAMP")
        con.execute("UPDATE loads SET known_at = loaded_at WHERE known_at IS NULL")
        con.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS admin1_method VARCHAR")
        con.execute("ALTER TABLE camps ADD COLUMN IF NOT EXISTS handover_notes VARCHAR")
        con.execute(
            "INSERT INTO event_versions BY NAME SELECT * FROM events WHERE load_id IS NOT NULL"
        )
        con.execute(
            """INSERT INTO load_scopes
               SELECT load_id, source, split_part(scope, ':', 2),
                   date_trunc('month', min(date_start)),
                   last_day(max(date_start)), 'replace', count(*)
               FROM events WHERE load_id IS NOT NULL GROUP BY load_id, source, scope"""
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT, or ROLLBACK on any exception (then re-raised)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def unordered(self) -> Iterator[None]:
        """Let DuckDB write tables without keeping the rows in the order they were read.

        A bulk write that keeps insertion order takes twice as long within the memory limit
        (1 M events into `event_versions`: 5.9 s kept, 2.8 s free; docs/adr/029). For writes
        whose order nothing reads (rows carry their own `_row`, `load_id`); restored after.
        """
        row = self.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        before = bool(row[0]) if row else True
        self.con.execute("SET preserve_insertion_order = false")
        try:
            yield
        finally:
            self.con.execute(f"SET preserve_insertion_order = {str(before).lower()}")

    @contextmanager
    def plain_strings(self) -> Iterator[None]:
        """Write long strings without FSST compression while the block runs; restored after.

        FSST is the costliest of DuckDB's string compressions to write: without it 1 M events
        load 6% faster and take 22% more room in the store (182 against 149 MiB; docs/adr/031).
        """
        row = self.con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()
        before = str(row[0]) if row and row[0] else ""
        methods = ",".join(m for m in (before, "fsst") if m)
        self.con.execute(f"SET disabled_compression_methods = '{methods}'")
        try:
            yield
        finally:
            self.con.execute(f"SET disabled_compression_methods = '{before}'")

    @contextmanager
    def ingest(self) -> Iterator[Store]:
        """The store a load computes in: this one (DuckDB is the ingest engine itself)."""
        yield self

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """One write transaction on a cursor of its own (thread-safe: one per web request).

        Statements run with `write` on the store yielded; committed at the end, rolled back
        on any exception. The application's writers (users, incidents, alerts) use this.
        """
        cursor = self.con.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            yield Store(cursor, self.path, self.read_only, self.files)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    def write(self, sql: str, params: Params = None) -> int:
        """Run one write statement (inside `transaction()` for more than one)."""
        found = self.con.execute(sql) if params is None else self.con.execute(sql, params)
        row = found.fetchone() if found.description else None
        return int(row[0]) if row and isinstance(row[0], int) else 0

    def frame(self, sql: str, params: Params = None, own_cursor: bool = False) -> pd.DataFrame:
        """The rows of a read query, as a DataFrame.

        With `rows` and `row`, the one way the layers above read (an import-layer test keeps
        them off the connection): the seam where another engine will run the same query.
        `own_cursor`: run on a cursor of its own, so that a web worker thread does not share
        the connection's open result with another (temporary views are not seen there).
        """
        return self._fetch(sql, params, own_cursor, lambda found: found.df())

    def rows(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of a read query, as tuples (see `frame`)."""
        return self._fetch(sql, params, own_cursor, lambda found: found.fetchall())

    def row(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> tuple[Any, ...] | None:
        """The first row of a read query, None when there is none (see `frame`)."""
        return self._fetch(sql, params, own_cursor, lambda found: found.fetchone())

    def records(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> list[dict[str, Any]]:
        """The rows of a read query as dicts of column name to value (Python types)."""
        return self._fetch(sql, params, own_cursor, _records)

    def arrays(self, sql: str, params: Params = None) -> dict[str, np.ndarray]:
        """The columns of a read query as numpy arrays: bulk numbers without a DataFrame.

        For queries without NULLs (the panel's aggregates); much faster than `frame` for
        hundreds of thousands of rows (DuckDB's fetchnumpy, no pandas blocks).
        """
        try:
            return self._fetch(sql, params, False, lambda found: found.fetchnumpy())
        except duckdb.OutOfMemoryException as exc:
            raise StoreError(_out_of_memory(exc)) from exc

    def batches(
        self, sql: str, rows: int, params: Params = None
    ) -> tuple[list[str], Iterator[dict[str, np.ndarray]]]:
        """The column names of a read query and its rows as numpy batches of at most `rows`.

        Streamed: DuckDB runs the query within its memory limit (spilling sorts and
        aggregates to disk) and hands over one batch at a time, never the whole result. Read
        the iterator to its end before the next query on this store. An engine beyond its
        memory limit says so as a `StoreError`.
        """
        try:
            reader = self._fetch(sql, params, False, lambda found: found.to_arrow_reader(rows))
        except duckdb.OutOfMemoryException as exc:
            raise StoreError(_out_of_memory(exc)) from exc
        names = list(reader.schema.names)

        def read() -> Iterator[dict[str, np.ndarray]]:
            try:
                for batch in reader:
                    yield {n: batch.column(n).to_numpy(zero_copy_only=False) for n in names}
            except duckdb.OutOfMemoryException as exc:
                raise StoreError(_out_of_memory(exc)) from exc

        return names, read()

    def _fetch(
        self,
        sql: str,
        params: Params,
        own_cursor: bool,
        how: Callable[[duckdb.DuckDBPyConnection], Any],
    ) -> Any:
        con = self.con.cursor() if own_cursor else self.con
        try:
            return how(con.execute(sql) if params is None else con.execute(sql, params))
        finally:
            if own_cursor:
                con.close()

    @contextmanager
    def temp_view(self, name: str, sql: str) -> Iterator[None]:
        """The query `sql` readable as the temporary view `name` while the block runs."""
        self.write(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        try:
            yield
        finally:
            self.write(f"DROP VIEW IF EXISTS {name}")

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """`frame` readable by queries as the view `name` while the block runs."""
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    def table_exists(self, name: str) -> bool:
        """Whether a table of this name exists in the main schema."""
        row = self.row(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = ?",
            [name],
        )
        return bool(row and row[0])

    def admin1_polygons(self, country: str | None = None) -> pd.DataFrame:
        """Loaded admin-1 polygons of one country, or of all, newest boundary version first.

        Columns: admin_code, name, boundary_version, country_iso3 and `geometry` (shapely).
        """
        where, params = "admin_level = 1", []
        if country:
            where += " AND country_iso3 = ?"
            params.append(country)
        frame = self.frame(
            "SELECT admin_code, name, boundary_version, country_iso3, geometry_wkb "
            "FROM admin_boundaries "
            f"WHERE {where} ORDER BY boundary_version DESC, record_id",
            params,
        )
        geometry = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
        return frame.drop(columns="geometry_wkb").assign(geometry=list(geometry))

    def restricted_sources(self) -> set[str]:
        """Event sources with rows whose licence forbids passing raw rows on (e.g. ACLED)."""
        return {
            r[0]
            for r in self.rows(
                "SELECT DISTINCT source FROM events WHERE NOT coalesce(redistributable, false)"
            )
        }

    def attributions(self, sources: set[str] | None = None) -> dict[str, str]:
        """Licence and citation text of each loaded event source (of `sources` if given)."""
        rows = self.rows(
            "SELECT source, min(licence) FROM events WHERE licence IS NOT NULL GROUP BY source "
            "ORDER BY source"
        )
        return {s: text for s, text in rows if sources is None or s in sources}

    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order."""
        return [
            r[0]
            for r in self.rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [name],
            )
        ]


def _link_or_copy(source: str, target: str) -> None:
    """A hard link to `source` at `target`, or a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _out_of_memory(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else "out of memory"
    return (
        f"the store ran out of memory ({first}); raise PEACEWATCH_MEMORY_LIMIT "
        "(e.g. 2GB) or ask for a smaller panel"
    )


class FramedStore(Store):
    """A store on an engine without numpy or streamed fetches (PostgreSQL, Spark).

    `arrays` and `batches` go through `frame`: the result is fetched whole, then sliced.
    """

    def arrays(self, sql: str, params: Params = None) -> dict[str, np.ndarray]:
        """The columns of a read query as numpy arrays (through `frame`)."""
        frame = self.frame(sql, params)
        return {str(name): frame[name].to_numpy() for name in frame.columns}

    def batches(
        self, sql: str, rows: int, params: Params = None
    ) -> tuple[list[str], Iterator[dict[str, np.ndarray]]]:
        """The rows of a read query in numpy batches (fetched whole, then sliced)."""
        arrays = self.arrays(sql, params)
        total = len(next(iter(arrays.values()))) if arrays else 0

        def read() -> Iterator[dict[str, np.ndarray]]:
            for start in range(0, total, max(rows, 1)):
                yield {n: a[start : start + rows] for n, a in arrays.items()}

        return list(arrays), read()
