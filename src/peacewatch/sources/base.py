"""What every loader shares: layout detection by header, CSV staging in DuckDB, reject records.

A source module does no writing to the store: it stages the file into a temporary DuckDB table
(`stage`) and returns the SQL that normalises it (`Staged`). The loader (`peacewatch.loading`)
runs that SQL, keeps the good rows, reports the rejected ones and writes in one transaction.
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


@dataclass(frozen=True)
class LoadOptions:
    """Options a user may give on `peacewatch load`."""

    release: str | None = None
    country: str | None = None
    mission: str | None = None
    released: dt.date | None = None  # when the release was published (default: from `release`)


class SourceSpec(Protocol):
    """What a loader module provides."""

    name: str
    target: str
    layouts: tuple[Layout, ...]

    def stage(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions
    ) -> Staged:  # pragma: no cover - protocol
        """Stage `path` into temp table `stage`; return the SQL that normalises it."""
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
    return CsvHead(columns, has_hxl, trailing)


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, head: CsvHead, table: str = "stage"
) -> tuple[list[Reject], int]:
    """Read a CSV file as text columns into the staging table; `table` is a view on it.

    `_row` is the row number as a spreadsheet shows it (header = row 1, HXL row = row 2), counted
    over the rows read; `true_row` moves it past rows the CSV reader rejected.
    Structurally broken lines (wrong encoding, wrong number of fields) are rejected by DuckDB's
    CSV reader and come back as `Reject`s with their line number; the rest is read.
    Returns the rejects and the number of data rows read (good and broken).
    """
    names = list(head.columns) + (["_trailing_empty"] if head.trailing_empty else [])
    skip = 2 if head.has_hxl else 1
    first_row = skip + 1
    con.execute(f"DROP VIEW IF EXISTS {table}")
    con.execute(f"DROP TABLE IF EXISTS {STAGING}")
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    con.execute(
        f"""CREATE TABLE {STAGING} AS
        SELECT * FROM read_csv({sql_str(str(path))}, header = false, skip = {skip},
            columns = {columns}, quote = '"', escape = '"', delim = ',',
            store_rejects = true, strict_mode = false, null_padding = false)"""
    )
    # rowid follows the file's order (insertion order is preserved while staging); rowids may
    # start at an offset (e.g. inside a transaction), hence the min().
    con.execute(f"ALTER TABLE {STAGING} ADD COLUMN _row BIGINT")
    con.execute(
        f"UPDATE {STAGING} SET _row = rowid - (SELECT min(rowid) FROM {STAGING}) + {first_row}"
    )
    drop = " EXCLUDE (_trailing_empty)" if head.trailing_empty else ""
    con.execute(f"CREATE TEMP VIEW {table} AS SELECT *{drop} FROM {STAGING}")
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
    n_read = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return rejects, int(n_read[0] if n_read else 0) + len(rejects)


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


def true_row(provisional: int, broken_lines: list[int]) -> int:
    """Row number of a record read as `provisional`, counting the broken rows before it."""
    row = provisional
    for line in sorted(broken_lines):
        if line <= row:
            row += 1
    return row
