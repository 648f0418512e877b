"""Spark as a read engine for continent-scale panels (issue 16).

`SparkStore` answers the read interface of `peacewatch.store.Store` (`frame`, `rows`, `row`,
`temp_view`, `registered`, `admin1_polygons`) with Spark SQL: the layers' DuckDB-dialect
queries are transpiled by SQLGlot (`dialect.to_spark`) and run by a Spark session, local
(`local[2]`, the default) or on the cluster `PEACEWATCH_SPARK_MASTER` names (`spark://...`).
Its tables are Parquet copies of a store's `events`, `admin_boundaries` and `camps`
(`SparkStore.from_store`), or any GED-layout events already in the common schema. It is
read-only: loads go to DuckDB or PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from peacewatch.dialect import to_spark
from peacewatch.errors import StoreError
from peacewatch.store import FramedStore, Params, Store

READ_TABLES = ("events", "admin_boundaries", "camps")
MASTER_ENV = "PEACEWATCH_SPARK_MASTER"
MEMORY_ENV = "PEACEWATCH_SPARK_MEMORY"


def session(master: str | None = None, memory: str | None = None) -> Any:
    """A Spark session on 127.0.0.1 (no UI); `master` or PEACEWATCH_SPARK_MASTER or local[2].

    The driver's memory: `memory`, else PEACEWATCH_SPARK_MEMORY, else 4g (a continent's
    PRIO-GRID-month aggregates come back to the driver, which lays out the zeros).
    """
    memory = memory or os.environ.get(MEMORY_ENV) or "4g"
    # Everything on loopback: large task results travel through the block manager, which
    # otherwise binds the machine's outside address (results then lost: TaskResultLost).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession  # noqa: PLC0415 - the JVM only when asked

    chosen = master or os.environ.get(MASTER_ENV) or "local[2]"
    # PySpark 4.3 warns that pandas 3 is not fully supported; the panel's conversions are
    # checked against DuckDB's result (tests/test_sparkstore.py).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    spark = (
        SparkSession.builder.master(chosen)
        .appName("peacewatch")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkStore(FramedStore):
    """Spark SQL over Parquet tables in the store's schema (read-only)."""

    def __init__(self, spark: Any, tables: Path, label: str) -> None:
        self.spark = spark
        self.tables = tables
        self.path = Path(label)
        self.read_only = True
        for parquet in sorted(tables.glob("*.parquet")):
            spark.read.parquet(str(parquet)).createOrReplaceTempView(parquet.stem)

    @classmethod
    def from_store(
        cls, store: Store, folder: Path, spark: Any | None = None, where: str = "true"
    ) -> SparkStore:
        """Copy a store's tables (events: those `where` keeps) to Parquet in `folder`; open them."""
        folder.mkdir(parents=True, exist_ok=True)
        for table in READ_TABLES:
            query = f"SELECT * FROM {table}" + (f" WHERE {where}" if table == "events" else "")
            target = folder / f"{table}.parquet"
            if type(store) is Store:  # DuckDB writes Parquet itself, dates kept as dates
                store.con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)")
            else:
                store.frame(query).to_parquet(target, index=False)
        return cls(spark or session(), folder, f"spark:{store.path}")

    def close(self) -> None:
        """Nothing to close: the Spark session outlives the store (stop it with `.spark.stop`)."""

    def on_own_cursor(self) -> SparkStore:
        """The same store: Spark sessions are thread-safe."""
        return self

    def schema_version(self) -> int:
        """Spark holds copies of tables, not a versioned store."""
        return 0

    def check_version(self) -> None:
        """Nothing to check (see `schema_version`)."""

    def migrate(self) -> None:
        """Refused: a Spark store is read-only."""
        raise StoreError("a Spark store is read-only: load into DuckDB or PostgreSQL")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """Refused: a Spark store is read-only."""
        raise StoreError("a Spark store is read-only: load into DuckDB or PostgreSQL")
        yield  # pragma: no cover

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """Refused: a Spark store is read-only."""
        raise StoreError("a Spark store is read-only: load into DuckDB or PostgreSQL")
        yield  # pragma: no cover

    @contextmanager
    def ingest(self) -> Iterator[Store]:
        """Refused: a Spark store is read-only."""
        raise StoreError("a Spark store is read-only: load into DuckDB or PostgreSQL")
        yield  # pragma: no cover

    def write(self, sql: str, params: Params = None) -> int:
        """Refused: a Spark store is read-only."""
        raise StoreError("a Spark store is read-only: load into DuckDB or PostgreSQL")

    def _fetch(self, sql: str, params: Params, own_cursor: bool, how: Callable[[Any], Any]) -> Any:
        return how(self.spark.sql(to_spark(sql, params)))

    def frame(self, sql: str, params: Params = None, own_cursor: bool = False) -> pd.DataFrame:
        """The rows of a read query as a DataFrame (through Arrow), dates as datetime64[us]."""
        found = self.spark.sql(to_spark(sql, params))
        out = found.toPandas()
        for name, kind in found.dtypes:
            if kind == "date":
                out[name] = pd.to_datetime(out[name]).astype("datetime64[us]")
        return out

    def rows(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of a read query, as tuples."""
        return self._fetch(sql, params, own_cursor, lambda f: [tuple(r) for r in f.collect()])

    def row(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> tuple[Any, ...] | None:
        """The first row of a read query, None when there is none."""
        found = self._fetch(sql, params, own_cursor, lambda f: f.take(1))
        return tuple(found[0]) if found else None

    def records(
        self, sql: str, params: Params = None, own_cursor: bool = False
    ) -> list[dict[str, Any]]:
        """The rows of a read query as dicts."""
        return self._fetch(sql, params, own_cursor, lambda f: [r.asDict() for r in f.collect()])

    @contextmanager
    def temp_view(self, name: str, sql: str) -> Iterator[None]:
        """The query `sql` readable as the temporary view `name` while the block runs."""
        self.spark.sql(to_spark(sql, None)).createOrReplaceTempView(name)
        try:
            yield
        finally:
            self.spark.catalog.dropTempView(name)

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """`frame` readable as the temporary view `name` while the block runs."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "frame.parquet"  # Spark skips files named _*
            frame.to_parquet(path, index=False)
            self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
            try:
                yield
            finally:
                self.spark.catalog.dropTempView(name)

    def table_exists(self, name: str) -> bool:
        """Whether a table of this name was opened."""
        return bool(self.spark.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order."""
        return list(self.spark.table(name).columns)


__all__ = ["SparkStore", "session"]
