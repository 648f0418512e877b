"""Turn a store written by this peacewatch back into the shape of an older schema (tests)."""

from __future__ import annotations

from peacewatch.store import Store, versions_sql


def as_schema_6(store: Store) -> None:
    """Schema 7 -> the shape of 6: every version as a row of the table `event_versions`."""
    con = store.con
    con.execute(f"CREATE TABLE _versions AS {versions_sql()}")
    con.execute("DROP VIEW event_versions")
    con.execute("DROP TABLE event_history")
    con.execute("ALTER TABLE _versions RENAME TO event_versions")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
