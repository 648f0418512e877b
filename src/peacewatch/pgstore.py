"""The server store: PostgreSQL, for a mission's many users writing while data is refreshed.

Same interface as the embedded store (`peacewatch.store.Store`): reads are the DuckDB-dialect
queries of the layers above, transpiled (`peacewatch.dialect`); writes go through
`transaction()`. The schema is created and migrated by Alembic (`peacewatch/migrations`).

Loads (`ingest`) are computed by DuckDB, the ingest engine (ADR 026): the data tables are read
into an in-memory DuckDB store, the loader runs there unchanged, and the tables it changed are
written back in one PostgreSQL transaction, under an advisory lock that makes loads take turns.
Readers, reporters and administrators are never blocked by a load (MVCC).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from psycopg.adapt import Loader

from peacewatch.dialect import to_postgres
from peacewatch.errors import StoreError
from peacewatch.schema import TABLES, VINTAGE_TABLES
from peacewatch.store import FramedStore, Params, Store

# The tables a load may change (copied into the ingest engine and written back); the
# application tables (users, incidents, alerts) are never touched by a load.
DATA_TABLES = ("loads", "events", "event_history", *TABLES, *VINTAGE_TABLES)
LOAD_LOCK = 726_001  # pg_advisory_lock key: one load at a time
PG_TYPES = {
    "VARCHAR": "TEXT",
    "DOUBLE": "DOUBLE PRECISION",
    "UBIGINT": "NUMERIC(20)",
    "BLOB": "BYTEA",
}
# Column types as DuckDB gives them to pandas: dates datetime64[us], integers int32 / int64
# (nullable Int32 / Int64 when a value is missing), booleans bool (nullable boolean).
DATE_OIDS = {1082, 1114}  # date, timestamp
INT_OIDS = {21: "int32", 23: "int32", 20: "int64"}  # int2, int4, int8
BOOL_OID = 16


def pg_type(duckdb_type: str) -> str:
    """A column type of the schema (DuckDB's names) in PostgreSQL's."""
    head, _, rest = duckdb_type.partition(" ")
    return " ".join(p for p in (PG_TYPES.get(head, head), rest) if p)


class _Number(Loader):
    """NUMERIC as int when whole (sums, hashes), else float: as DuckDB gives them."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if any(c in text for c in ".eEN") else int(text)


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection (each `transaction()` opens its own) with the store's loaders."""
    try:
        con = psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
    except psycopg.Error as exc:
        raise StoreError(f"{safe_url(url)}: cannot connect to the store ({exc})") from exc
    con.adapters.register_loader("numeric", _Number)
    return con


def safe_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    scheme, sep, rest = url.partition("://")
    who, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}{who.split(':', 1)[0]}@{host}"


class PgStore(FramedStore):
    """A PostgreSQL store. Open it with `Store.open(url)` (or `PgStore.open`)."""

    def __init__(self, con: psycopg.Connection[Any], url: str, read_only: bool) -> None:
        self.con = con  # type: ignore[assignment]
        self.url = url
        self.path = Path(safe_url(url))
        self.read_only = read_only
        self.memory_limit = "512MB"

    @classmethod
    def open(
        cls, path: Path | str, read_only: bool = False, memory_limit: str = "512MB"
    ) -> PgStore:
        """Connect; unless read-only, create or migrate the schema (Alembic, to head)."""
        url = str(path)
        store = cls(connect(url), url, read_only)
        store.memory_limit = memory_limit
        if read_only:
            store.check_version()
        else:
            store.migrate()
        return store

    @property
    def pg(self) -> psycopg.Connection[Any]:
        """The PostgreSQL connection."""
        return self.con  # type: ignore[return-value]

    def close(self) -> None:
        """Close the connection."""
        self.pg.close()

    def on_own_cursor(self) -> PgStore:
        """A store on a connection of its own (one per web request); close it after."""
        store = PgStore(connect(self.url), self.url, self.read_only)
        store.memory_limit = self.memory_limit
        return store

    def stored_prefix(self) -> str:
        """The schema of this store's own tables (`"public".`).

        A temporary view named like one of them comes first in PostgreSQL's search path.
        """
        row = self.row("SELECT current_schema()")
        assert row is not None
        return f'"{row[0]}".'

    def shadowed(self, name: str, select_sql: str) -> PgStore:
        """A read-only store on a connection of its own in which `name` reads `select_sql`.

        The view is temporary, first in the search path. Close the store after.
        """
        store = self.on_own_cursor()
        store.read_only = True
        try:
            store.write(f'CREATE TEMP VIEW "{name}" AS {select_sql}')
        except BaseException:
            store.close()
            raise
        return store

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (Alembic); refuses a store newer than this code."""
        from peacewatch.migrations import upgrade  # noqa: PLC0415 - Alembic only here

        self.check_version()
        upgrade(self.url, revision)

    def schema_version(self) -> int:
        """The schema version written in the store (0 before the first migration)."""
        if not self.table_exists("meta"):
            return 0
        row = self.row("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One PostgreSQL transaction: committed at the end, rolled back on any exception."""
        with self.pg.transaction():
            yield self.pg

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """One write transaction on a connection of its own (thread- and process-safe)."""
        con = connect(self.url)
        try:
            with con.transaction():
                yield PgStore(con, self.url, self.read_only)
        finally:
            con.close()

    def write(self, sql: str, params: Params = None) -> int:
        """Run one write statement (DuckDB dialect); returns the rows it touched."""
        text, values = to_postgres(sql, params)
        with psycopg.RawCursor(self.pg) as cur:
            cur.execute(text, values)
            return cur.rowcount

    def _fetch(self, sql: str, params: Params, own_cursor: bool, how: Callable[[Any], Any]) -> Any:
        text, values = to_postgres(sql, params)
        with psycopg.RawCursor(self.pg) as cur:
            cur.execute(text, values or None)
            return how(cur)

    def frame(self, sql: str, params: Params = None, own_cursor: bool = False) -> pd.DataFrame:
        """The rows of a read query as a DataFrame, dates as datetime64 (as from DuckDB)."""

        def build(cur: Any) -> pd.DataFrame:
            names = [d.name for d in cur.description]
            out = pd.DataFrame.from_records(cur.fetchall(), columns=names, coerce_float=True)
            for d in cur.description:
                column = out[d.name]
                if d.type_code in DATE_OIDS:
                    out[d.name] = pd.to_datetime(column).astype("datetime64[us]")
                elif d.type_code in INT_OIDS:
                    kind = INT_OIDS[d.type_code]
                    out[d.name] = column.astype(kind.capitalize() if column.isna().any() else kind)
                elif d.type_code == BOOL_OID:
                    out[d.name] = column.astype("boolean" if column.isna().any() else bool)
            return out

        return self._fetch(sql, params, own_cursor, build)

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """`frame` readable as the temporary table `name` while the block runs."""
        import duckdb  # noqa: PLC0415 - DuckDB types the frame's columns

        with duckdb.connect() as duck:
            duck.register("_frame", frame)
            types = [(r[0], r[1]) for r in duck.execute("DESCRIBE _frame").fetchall()]
            cols = ", ".join(f'"{c}" {pg_type(_plain(t))}' for c, t in types)
            self.write(f'CREATE TEMP TABLE "{name}" ({cols})')
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "frame.csv"
                duck.execute(f"COPY ({_csv_select(types, '_frame')}) TO '{csv}' (HEADER)")
                _copy_in(self.pg, name, [c for c, _ in types], csv)
        try:
            yield
        finally:
            self.write(f'DROP TABLE IF EXISTS "{name}"')

    def table_exists(self, name: str) -> bool:
        """Whether a table or view of this name exists in the public schema."""
        row = self.row(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name = ?",
            [name],
        )
        return bool(row and row[0])

    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order."""
        return [
            r[0]
            for r in self.rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
                [name],
            )
        ]

    @contextmanager
    def ingest(self) -> Iterator[Store]:
        """An in-memory DuckDB copy of the data tables for one load; its changes written back.

        Loads take turns (an advisory lock held from the copy to the commit); what the load
        changed is written in one transaction, so a failed load writes nothing.
        """
        with psycopg.RawCursor(self.pg) as cur:
            cur.execute("SELECT pg_advisory_lock($1)", [LOAD_LOCK])
        work = Store.open(":memory:", memory_limit=self.memory_limit)
        try:
            raw_before = self._mirror(work)
            before = _fingerprints(work)
            yield work
            changed = [t for t, f in _fingerprints(work).items() if before.get(t) != f]
            raw_after = set(_raw_tables(work))
            with self.transaction():
                for table in changed:
                    # Events not from a load (published incident reports) are the web app's,
                    # written while the load ran: never rewritten from the copy.
                    own = " WHERE load_id IS NOT NULL" if table == "events" else ""
                    self.write(f'DELETE FROM "{table}"{own}')
                    _copy_table(work, self.pg, table, own)
                for table in sorted(raw_after - raw_before):
                    # A new load's raw rows: the ingest engine's view over its kept file,
                    # written here as a table (the server keeps no files).
                    types = work.rows(f'DESCRIBE "{table}"')
                    cols = ", ".join(f'"{r[0]}" {pg_type(_plain(r[1]))}' for r in types)
                    self.write(f'CREATE TABLE "{table}" ({cols})')
                    _copy_table(work, self.pg, table)
                for table in sorted(raw_before - raw_after):
                    self.write(f'DROP TABLE "{table}" CASCADE')
                for source in sorted({_raw_source(t) for t in raw_after ^ raw_before}):
                    self._raw_view(source)
        finally:
            work.close()
            with psycopg.RawCursor(self.pg) as cur:
                cur.execute("SELECT pg_advisory_unlock($1)", [LOAD_LOCK])

    def _mirror(self, work: Store) -> set[str]:
        """Copy the data tables into `work`; raw tables as empty shells (names and columns)."""
        with tempfile.TemporaryDirectory() as tmp:
            for table in DATA_TABLES:
                csv = Path(tmp) / f"{table}.csv"
                dump = f'COPY "{table}" TO STDOUT (FORMAT csv, HEADER)'
                with (
                    csv.open("wb") as fh,
                    psycopg.RawCursor(self.pg) as cur,
                    cur.copy(dump) as copy,
                ):
                    for chunk in copy:
                        fh.write(chunk)
                types = work.rows(f'DESCRIBE "{table}"')
                select = ", ".join(_from_csv(r[0], r[1]) for r in types)
                spec = ", ".join(f"'{r[0]}': 'VARCHAR'" for r in types)
                work.con.execute(
                    f"INSERT INTO \"{table}\" SELECT {select} FROM read_csv('{csv}', "
                    f"header = true, columns = {{{spec}}}, quote = '\"', escape = '\"', "
                    "nullstr = '', allow_quoted_nulls = false)"
                )
        raw = set()
        for table in self._raw_names():
            cols = ", ".join(
                f'"{c}" VARCHAR' if c != "_row" else '"_row" BIGINT' for c in self.columns(table)
            )
            work.con.execute(f'CREATE TABLE "{table}" ({cols})')
            raw.add(table)
        return raw

    def _raw_names(self) -> list[str]:
        return [
            r[0]
            for r in self.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name LIKE 'raw\\_%\\_\\_load\\_%'"
            )
        ]

    def _raw_view(self, source: str) -> None:
        """`raw_<source>`: every kept raw table of the source, columns aligned by name."""
        view = f"raw_{source}"
        self.write(f'DROP VIEW IF EXISTS "{view}"')
        prefix = f"raw_{source}__load_"
        tables = sorted(t for t in self._raw_names() if t.startswith(prefix))
        if not tables:
            return
        columns = {t: [c for c in self.columns(t) if not c.startswith("_trailing")] for t in tables}
        every: list[str] = []
        for t in tables:
            every += [c for c in columns[t] if c not in every]
        pieces = []
        for t in tables:
            picks = ", ".join(f'"{c}"' if c in columns[t] else f'NULL AS "{c}"' for c in every)
            pieces.append(f'SELECT {int(t.removeprefix(prefix))} AS _load_id, {picks} FROM "{t}"')
        with psycopg.RawCursor(self.pg) as cur:
            cur.execute(f'CREATE VIEW "{view}" AS {" UNION ALL ".join(pieces)}')


def _plain(duckdb_type: str) -> str:
    """A DuckDB column type as one of the schema's (e.g. TIMESTAMP_NS -> TIMESTAMP)."""
    if duckdb_type.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if duckdb_type in {"HUGEINT", "UINTEGER"}:
        return "BIGINT"
    if duckdb_type in {"TINYINT", "SMALLINT", "UTINYINT", "USMALLINT"}:
        return "INTEGER"
    if duckdb_type == "FLOAT":
        return "DOUBLE"
    return duckdb_type


def _from_csv(column: str, duckdb_type: str) -> str:
    """Read one column of a PostgreSQL CSV dump as its DuckDB type (bytea comes as hex)."""
    if duckdb_type == "BLOB":
        return f'unhex(substr("{column}", 3))'
    if duckdb_type == "BOOLEAN":
        return f"""CAST("{column}" = 't' AS BOOLEAN)"""
    return f'CAST("{column}" AS {duckdb_type})'


def _csv_select(types: list[tuple[str, str]], table: str) -> str:
    """A SELECT writing `table` as PostgreSQL's CSV reads it (bytea as hex)."""
    picks = [f"""'\\x' || hex("{c}") AS "{c}\"""" if t == "BLOB" else f'"{c}"' for c, t in types]
    return f'SELECT {", ".join(picks)} FROM "{table}"'


def _copy_in(pg: psycopg.Connection[Any], table: str, columns: list[str], csv: Path) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    load = f'COPY "{table}" ({cols}) FROM STDIN (FORMAT csv, HEADER)'
    with pg.cursor() as cur, csv.open("rb") as fh, cur.copy(load) as copy:
        while chunk := fh.read(1 << 20):
            copy.write(chunk)


def _copy_table(work: Store, pg: psycopg.Connection[Any], table: str, where: str = "") -> None:
    """Write the rows of `table` in the DuckDB `work` (those `where` picks) into PostgreSQL's."""
    types = [(r[0], r[1]) for r in work.rows(f'DESCRIBE "{table}"')]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "table.csv"
        work.con.execute(f"COPY ({_csv_select(types, table)}{where}) TO '{csv}' (HEADER)")
        _copy_in(pg, table, [c for c, _ in types], csv)


def _fingerprints(work: Store) -> dict[str, tuple[Any, ...] | None]:
    return {t: work.row(f'SELECT count(*), bit_xor(hash(t)) FROM "{t}" t') for t in DATA_TABLES}


def _raw_tables(work: Store) -> list[str]:
    """The ingest engine's raw tables: shells of the stored ones, views over new kept files."""
    return [
        r[0]
        for r in work.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() "
            "AND table_name LIKE 'raw\\_%\\_\\_load\\_%' ESCAPE '\\'"
        )
    ]


def _raw_source(table: str) -> str:
    return table.removeprefix("raw_").rsplit("__load_", 1)[0]


__all__ = ["DATA_TABLES", "PgStore", "pg_type", "safe_url"]
