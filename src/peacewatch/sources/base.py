"""What every loader shares: layout detection by header, CSV staging in DuckDB, reject records.

A source module does no writing to the store: it makes the file readable as the temporary view
`stage` (text columns plus `_row`) and returns the SQL that normalises it (`Staged`). The loader
(`peacewatch.loading`) runs that SQL, keeps the good rows, reports the rejected ones and writes
in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from peacewatch.errors import PeacewatchError, SourceFormatError

# The staging table: the file as read. The load's transaction renames it to the load's raw
# table; one left behind by a killed load is dropped when the store is next opened.
STAGING = "_staging"


@dataclass(frozen=True)
class Layout:
    """A column layout a loader knows, told apart by the columns it requires."""

    name: str
    required: frozenset[str]
    description: str = ""


@dataclass(frozen=True)
class Reject:
    """A rejected (or, with `kind="warning"`, suspect but kept) row."""

    row: int
    field: str
    value: str | None
    reason: str
    kind: str = "reject"


@dataclass
class Staged:
    """A staged file: the raw table, the normalising SQL and what was learnt while reading."""

    source: str
    target: str
    layout: str
    raw_table: str
    raw_columns: list[str]
    normalized_sql: str
    release: str
    replace_scope: bool = True
    csv_rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    known_at: dt.datetime | None = None  # when the data was known (default: from the release)
    deletions: list[str] = field(default_factory=list)  # event ids the source deleted
    read: CsvRead | None = None  # how a CSV file was read (its raw rows are read back so)


@dataclass(frozen=True)
class LoadOptions:
    """Options a user may give on `peacewatch load`."""

    release: str | None = None
    country: str | None = None
    mission: str | None = None
    released: dt.date | None = None  # when the release was published (default: from `release`)
    # Set by the loader, not the user: False when the file's bytes are known to be UTF-8 text,
    # so that numbering the rows need not read every field (`stage_csv`).
    every_field: bool = True


class SourceSpec(Protocol):
    """What a loader module provides."""

    name: str
    target: str
    layouts: tuple[Layout, ...]

    def stage(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions
    ) -> Staged:  # pragma: no cover - protocol
        """Make `path` readable as the temp view `stage`; return the SQL that normalises it."""
        ...


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def detect_layout(
    path: Path, source: str, header: Iterable[str], layouts: tuple[Layout, ...]
) -> Layout:
    """The first layout whose required columns are all in `header`, else a SourceFormatError."""
    cols = set(header)
    best: tuple[int, Layout] | None = None
    for layout in layouts:
        missing = layout.required - cols
        if not missing:
            return layout
        if best is None or len(missing) < best[0]:
            best = (len(missing), layout)
    assert best is not None
    raise SourceFormatError(
        path, source, best[1].required - cols, {lay.name: lay.required for lay in layouts}
    )


@dataclass(frozen=True)
class CsvHead:
    """The header of a CSV file and what its first lines say about the layout."""

    columns: list[str]
    has_hxl: bool
    trailing_empty: bool
    rows: list[list[str]] = field(default_factory=list)  # data rows in the first 64 KiB

    def values(self, column: str) -> list[str]:
        """The non-empty values of `column` in the first data rows (a sample)."""
        if column not in self.columns:
            return []
        at = self.columns.index(column)
        return [r[at].strip() for r in self.rows if len(r) > at and r[at].strip()]


def read_csv_head(path: Path) -> CsvHead:
    """Read the header, spot an HXL hashtag row and a trailing comma on data lines."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise PeacewatchError(f"{path}: cannot read ({exc.strerror})") from exc
    text = head.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(c.strip() for c in rows[0]):
        raise PeacewatchError(f"{path}: empty file or no header row")
    columns = [c.strip() for c in rows[0]]
    if columns and columns[-1] == "":
        columns = columns[:-1]
    second = rows[1] if len(rows) > 1 else []
    # An HXL row tags columns: every non-empty cell is a hashtag (a data row may hold one,
    # e.g. a source headline "#Ménaka", and must not be skipped).
    tags = [c.strip() for c in second if c.strip()]
    has_hxl = bool(tags) and all(c.startswith("#") for c in tags)
    first_data = rows[2] if has_hxl and len(rows) > 2 else (second if not has_hxl else [])
    trailing = len(first_data) == len(columns) + 1 and first_data[-1] == ""
    return CsvHead(columns, has_hxl, trailing, rows[2 if has_hxl else 1 : -1])


@dataclass(frozen=True)
class CsvRead:
    """How a CSV file was read: enough to read its rows again, numbered the same way.

    `options` are DuckDB `read_csv` options (every column as text, the file's header and HXL
    rows skipped); `first_row` is the spreadsheet row number of the first data row. The loader
    keeps the file itself (`loading`), and reads its raw rows back with these options.
    """

    options: str
    first_row: int
    trailing_empty: bool

    def scan(self, path: str, extra: str = "") -> str:
        """`read_csv(path, ...)` with these options (plus `extra`, e.g. ignore_errors)."""
        more = f", {extra}" if extra else ""
        return f"read_csv({sql_str(path)}, {self.options}{more})"

    def every_column(self, path: str, extra: str = "") -> str:
        """A subquery of the file's rows that reads every column, whatever the query uses.

        DuckDB checks a field (its encoding) only when its column is read: a query using a
        few columns would keep a line that a full read rejects, and the rows would be
        numbered differently. The filter is always true but names every column.
        """
        return (
            f"(SELECT * FROM {self.scan(path, extra)} WHERE length(coalesce(*COLUMNS(*), '')) >= 0)"
        )

    def numbered(self, path: str) -> str:
        """SELECT of the file's rows with `_row`, numbered as the load numbered them.

        Read on one thread, so that rows keep their order, and through `every_column`, so
        that a query reading a few columns skips the same broken lines as the load did.
        """
        drop = " EXCLUDE (_trailing_empty)" if self.trailing_empty else ""
        rows = self.every_column(path, "ignore_errors = true, parallel = false")
        return (
            f"SELECT *{drop}, CAST(row_number() OVER () + {self.first_row - 1} AS BIGINT) AS _row "
            f"FROM {rows}"
        )


@dataclass(frozen=True)
class CsvStaged:
    """A staged CSV file: broken lines, rows read (good and broken) and how it was read."""

    rejects: list[Reject]
    rows_read: int
    read: CsvRead


# A key value shared by more rows than this sends the whole file down the ordered path.
_FEW_SHARED_KEYS = 100


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: CsvHead,
    key: str | None = None,
    table: str = "stage",
    every_field: bool = True,
) -> CsvStaged:
    """Make the temporary view `table` over a CSV file: text columns plus `_row`.

    `_row` is the row number as a spreadsheet shows it (header = row 1, HXL row = row 2), counted
    over the rows read; `true_row` moves it past rows the CSV reader rejected. Structurally
    broken lines (wrong encoding, wrong number of fields) are rejected by DuckDB's CSV reader and
    come back as `Reject`s with their line number; the rest is read.

    The file's text is not copied into the store (that write cost more than the whole typed
    read; docs/adr/031). One ordered pass keeps only the `key` column (the source's row id):
    its rowid is the row's position. A row whose key no other row shares is numbered through
    that key; the few rows sharing a key (or without one) are kept in order in a small table.
    Without a `key` every row takes that second road (small reference files).

    DuckDB checks a field (its encoding) only where its column is read. `every_field` makes
    the first pass read every field, so that it skips the same lines as the raw view does;
    a file known to be all UTF-8 text needs none of that (`every_field=False`: 0.7 s less
    for 1 M rows).
    """
    names = list(head.columns) + (["_trailing_empty"] if head.trailing_empty else [])
    if key not in head.columns:
        key = None
    skip = 2 if head.has_hxl else 1
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    read = CsvRead(
        f"header = false, skip = {skip}, columns = {columns}, quote = '\"', escape = '\"', "
        "delim = ',', strict_mode = false, null_padding = false",
        skip + 1,
        head.trailing_empty,
    )
    source = str(path)
    for name in (table, "_stage_checked", "_stage_rest", "_stage_keys"):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    for name in ("_stage_ids", "_stage_shared", STAGING):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    key_sql = ident(key) if key else "CAST(NULL AS VARCHAR)"
    # Written in the file's order (insertion order is kept: no join in this statement), so a
    # rowid is a position; rowids may start at an offset (inside a transaction), hence min().
    first = (read.every_column if every_field else read.scan)(source, "store_rejects = true")
    con.execute(f"CREATE TEMP TABLE _stage_ids AS SELECT {key_sql} AS _id FROM {first}")
    shared = [
        r[0]
        for r in con.execute(
            "SELECT _id FROM _stage_ids WHERE _id IS NOT NULL GROUP BY _id HAVING count(*) > 1 "
            f"LIMIT {_FEW_SHARED_KEYS + 1}"
        ).fetchall()
    ]
    listed = ", ".join(sql_str(k) for k in shared[:_FEW_SHARED_KEYS])
    unique = "_id IS NOT NULL" + (f" AND NOT list_contains([{listed}], _id)" if listed else "")
    con.execute(
        f"""CREATE TEMP VIEW _stage_keys AS
        SELECT _id, rowid - (SELECT min(rowid) FROM _stage_ids) + {read.first_row} AS _row,
               {unique} AS _unique
        FROM _stage_ids"""
    )
    row = con.execute("SELECT count(*) FILTER (WHERE NOT _unique) FROM _stage_keys").fetchone()
    rest = int(row[0]) if row else 0
    drop = " EXCLUDE (_trailing_empty)" if head.trailing_empty else ""
    plain = read.scan(source, "ignore_errors = true")
    if key is None or len(shared) > _FEW_SHARED_KEYS:
        # Every row, in order: its position in this table is its position among the rows read.
        con.execute(f"CREATE TEMP TABLE _stage_shared AS SELECT *{drop} FROM {plain}")
        con.execute(
            f"CREATE TEMP VIEW {table} AS SELECT *, "
            f"rowid - (SELECT min(rowid) FROM _stage_shared) + {read.first_row} AS _row "
            "FROM _stage_shared"
        )
        return _staged(con, read)
    # The rows sharing a key (or without one), in order: the n-th of them is the n-th such
    # row of `_stage_keys`. A filter on a constant list keeps this read free of joins (a join
    # would give up the order).
    column = ident(key)
    pick = f"{column} IS NULL" + (f" OR list_contains([{listed}], {column})" if listed else "")
    empty = "" if rest else " LIMIT 0"
    con.execute(
        f"CREATE TEMP TABLE _stage_shared AS SELECT *{drop} FROM {plain} WHERE {pick}{empty}"
    )
    con.execute(
        f"""CREATE TEMP VIEW _stage_rest AS SELECT s.* EXCLUDE (_pos), k._row FROM
        (SELECT *, rowid - (SELECT min(rowid) FROM _stage_shared) AS _pos FROM _stage_shared) s
        JOIN (SELECT _row, _id, row_number() OVER (ORDER BY _row) - 1 AS _pos
              FROM _stage_keys WHERE NOT _unique) k
          ON k._pos = s._pos AND k._id IS NOT DISTINCT FROM s.{column}"""
    )
    row = con.execute("SELECT count(*) FROM _stage_rest").fetchone()
    if (row is None or row[0] != rest) and not every_field:
        # A line the ids alone let through was rejected on reading every field: number the
        # rows reading every field.
        return stage_csv(con, path, head, key, table, every_field=True)
    if row is None or row[0] != rest:
        raise PeacewatchError(f"{path}: rows sharing a key were not read in file order")
    # The other rows are numbered through their key. A field is checked (its encoding) only
    # where its column is read: a line the full read rejected could come back here beside a
    # good row of the same key; `stage_is_whole` tells, and `every_column` closes it.
    body = f"""SELECT r.*{drop}, k._row FROM {{scan}} r
        JOIN _stage_keys k ON k._unique AND k._id = r.{column}
        UNION ALL BY NAME SELECT * FROM _stage_rest"""
    con.execute(f"CREATE TEMP VIEW {table} AS {body.format(scan=plain)}")
    con.execute(
        f"CREATE TEMP VIEW _stage_checked AS "
        f"{body.format(scan=read.every_column(source, 'ignore_errors = true'))}"
    )
    return _staged(con, read)


def _staged(con: duckdb.DuckDBPyConnection, read: CsvRead) -> CsvStaged:
    rejects = [
        Reject(
            row=int(line),
            field=str(column or ""),
            value=(csv_line or "")[:200],
            reason=f"{str(error_type).lower()}: {message}",
        )
        for line, column, error_type, csv_line, message in con.execute(
            "SELECT line, column_name, error_type, csv_line, error_message FROM reject_errors "
            "ORDER BY line"
        ).fetchall()
    ]
    n_read = con.execute("SELECT count(*) FROM _stage_ids").fetchone()
    return CsvStaged(rejects, int(n_read[0] if n_read else 0) + len(rejects), read)


def stage_is_whole(con: duckdb.DuckDBPyConnection, rows: int) -> bool:
    """Whether `rows` rows read through the view `stage` are the rows of the first read.

    More means a line that a read of every column rejected came back through a read of
    fewer columns (it shares its key with a good row): read `_stage_checked` instead.
    """
    row = con.execute("SELECT count(*) FROM _stage_ids").fetchone()
    return row is not None and row[0] == rows


def stage_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, table: str = "stage") -> None:
    """Stage a DataFrame (e.g. parsed JSON) as text columns with `_row` = 1-based record number."""
    text = frame.astype(object).where(frame.notna(), None)
    text = text.map(lambda v: None if v is None else str(v))
    text["_row"] = range(1, len(text) + 1)
    con.execute(f"DROP VIEW IF EXISTS {table}")
    con.execute(f"DROP TABLE IF EXISTS {STAGING}")
    con.register("_frame", text)
    cols = ", ".join(
        f"CAST({ident(str(c))} AS VARCHAR) AS {ident(str(c))}" for c in text.columns if c != "_row"
    )
    con.execute(f"CREATE TABLE {STAGING} AS SELECT {cols}, _row FROM _frame")
    con.unregister("_frame")
    con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {STAGING}")


def first_failure(checks: Mapping[str, tuple[str, str]]) -> tuple[str, str, str]:
    """SQL for the first failing check: (reason, field, value) CASE expressions.

    `checks` maps a SQL condition that is true for a bad row to (field, reason).
    """
    reason = ["CASE"]
    fld = ["CASE"]
    value = ["CASE"]
    for cond, (field_name, why) in checks.items():
        reason.append(f"WHEN {cond} THEN {sql_str(why)}")
        fld.append(f"WHEN {cond} THEN {sql_str(field_name)}")
        value.append(f"WHEN {cond} THEN CAST({ident(field_name)} AS VARCHAR)")
    for parts in (reason, fld, value):
        parts.append("END")
    return " ".join(reason), " ".join(fld), " ".join(value)


# SQL helpers for validating text columns.
def num(col: str, typ: str = "DOUBLE") -> str:
    """TRY_CAST of a trimmed text column (NULL for empty or 'NA')."""
    return f"TRY_CAST(NULLIF(NULLIF(trim({ident(col)}), ''), 'NA') AS {typ})"


def blank(col: str) -> str:
    """Condition: the text column is empty."""
    return f"(NULLIF(NULLIF(trim({ident(col)}), ''), 'NA') IS NULL)"


def bad_number(col: str, typ: str = "DOUBLE") -> str:
    """Condition: the column is non-empty but does not parse as `typ`."""
    return f"(NOT {blank(col)} AND {num(col, typ)} IS NULL)"


def text(col: str) -> str:
    """A text column, empty -> NULL."""
    return f"NULLIF(trim({ident(col)}), '')"


DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%g",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%g",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d %B %Y",
)


def date(col: str, formats: tuple[str, ...] = DATE_FORMATS) -> str:
    """A date parsed from text with any of `formats` (NULL if none fits)."""
    fmts = "[" + ", ".join(sql_str(f) for f in formats) + "]"
    return f"CAST(try_strptime(trim({ident(col)}), {fmts}) AS DATE)"


def formats_in_use(
    con: duckdb.DuckDBPyConnection, sample: list[str], formats: tuple[str, ...] = DATE_FORMATS
) -> tuple[str, ...]:
    """`formats` with those that parse the `sample` of the file's dates first.

    The same formats in another order: a date text fits one format at most (each must match
    the whole text), so the dates read are the same; `try_strptime` stops at the first format
    that fits, and trying the file's own format first makes reading its dates several times
    faster (1 M GED dates: 1.5 s -> 0.2 s). The sample: `CsvHead.values` of the date columns.
    """
    if not sample:
        return formats
    con.register("_date_sample", pd.DataFrame({"v": sample}))
    try:
        hits = con.execute(
            "SELECT "
            + ", ".join(f"count(try_strptime(v, {sql_str(f)}))" for f in formats)
            + " FROM _date_sample"
        ).fetchone()
    finally:
        con.unregister("_date_sample")
    if not hits:
        return formats
    order = sorted(range(len(formats)), key=lambda i: -int(hits[i] or 0))
    return tuple(formats[i] for i in order)


def true_row(provisional: int, broken_lines: list[int]) -> int:
    """Row number of a record read as `provisional`, counting the broken rows before it."""
    row = provisional
    for line in sorted(broken_lines):
        if line <= row:
            row += 1
    return row
