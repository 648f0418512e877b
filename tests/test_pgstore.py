"""The PostgreSQL store: versioned migrations, the transpiled reads, loads all or nothing."""

import psycopg
import pytest

from peacewatch import loading, migrations
from peacewatch.dialect import to_postgres
from peacewatch.errors import StoreError
from peacewatch.loading import load_file
from peacewatch.pgstore import PgStore, safe_url
from peacewatch.store import Store
from tests.conftest import GED_MALI, new_database
from tests.gedfiles import read_rows, write_country


def test_a_new_store_is_migrated_to_the_newest_revision_once(pg_server):
    url = new_database(pg_server, "fresh")
    with Store.open(url) as st:
        assert isinstance(st, PgStore)
        assert st.schema_version() == 7
        assert {"events", "event_history", "event_versions", "loads", "incidents", "users"} <= {
            r[0] for r in st.rows("SELECT table_name FROM information_schema.tables")
        }
    assert migrations.current(url) == "0003"
    with Store.open(url) as again:  # opening again runs nothing
        assert again.schema_version() == 7
    assert migrations.current(url) == "0003"


def test_a_schema_5_store_keeps_its_incidents_and_gains_the_new_columns(pg_server):
    """Upgrade from the previous schema: revision 0001 (schema 5), a report filed, then head."""
    url = new_database(pg_server, "upgrade")
    migrations.upgrade(url, "0001")
    with psycopg.connect(url, autocommit=True) as con:
        assert con.execute("SELECT value FROM meta").fetchone() == ("5",)
        con.execute(
            "INSERT INTO incidents (incident_id, occurred_on, latitude, longitude, category, "
            "confidentiality, status, reporter, version, created_at, updated_at) VALUES "
            "(1, '2023-05-01', 14.5, -4.2, 'ied', 'internal', 'submitted', 'r1', 1, now(), now())"
        )
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'incidents'"
            )
        }
        assert "injured" not in columns
    with Store.open(url) as st:
        assert st.schema_version() == 7
        assert st.rows(
            "SELECT incident_id, category, injured, missing, occurred_time FROM incidents"
        ) == [(1, "ied", 0, 0, None)]
    assert migrations.current(url) == "0003"


def test_a_schema_6_store_keeps_every_version_once(pg_server):
    """Upgrade 0002 -> 0003: the current versions stay in `events` only, the others move to
    `event_history`, and the view `event_versions` shows the same versions as the table did."""
    url = new_database(pg_server, "versions")
    migrations.upgrade(url, "0002")
    rows = [
        ("ucdp_ged:1", 1, 5),  # version of load 1, replaced by load 2
        ("ucdp_ged:1", 2, 6),  # current
        ("ucdp_ged:2", 1, 3),  # current
    ]
    with psycopg.connect(url, autocommit=True) as con:
        for event_id, load_id, deaths in rows:
            con.execute(
                "INSERT INTO event_versions (event_id, load_id, fatalities_best, scope) "
                "VALUES (%s, %s, %s, 'ucdp_ged:MLI')",
                [event_id, load_id, deaths],
            )
        for event_id, load_id, deaths in rows[1:]:
            con.execute(
                "INSERT INTO events (event_id, load_id, fatalities_best, scope) "
                "VALUES (%s, %s, %s, 'ucdp_ged:MLI')",
                [event_id, load_id, deaths],
            )
        con.execute(
            "INSERT INTO events (event_id, fatalities_best, scope) "
            "VALUES ('incident:7', 1, 'incident')"
        )
    with Store.open(url) as st:
        assert st.schema_version() == 7
        assert st.rows("SELECT event_id, load_id, fatalities_best FROM event_history") == [
            ("ucdp_ged:1", 1, 5)
        ]
        assert sorted(
            st.rows("SELECT event_id, load_id, fatalities_best FROM event_versions")
        ) == sorted(rows)
        assert st.row("SELECT count(*) FROM events")[0] == 3


def test_a_newer_schema_is_refused(pg_store):
    pg_store.write("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this peacewatch"):
        Store.open(pg_store.url)


def test_duckdb_queries_are_transpiled_with_postgresqls_own_parameters():
    text, values = to_postgres(
        "SELECT a FROM t WHERE b = $name AND c LIKE '%x?' AND d = $name AND e = $other",
        {"other": 2, "name": 1},
    )
    assert text == "SELECT a FROM t WHERE b = $1 AND c LIKE '%x?' AND d = $1 AND e = $2"
    assert values == [1, 2]
    text, values = to_postgres(
        "SELECT a FROM t WHERE b IN (SELECT unnest(?)) AND c = ?", [["x"], 3]
    )
    assert "CAST($1 AS TEXT[])" in text and values == [["x"], 3]
    with pytest.raises(StoreError, match="cannot run on PostgreSQL"):
        to_postgres("SELECT * EXCLUDE (a) FROM t", None)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT country_iso3, year(date_start) AS y, count(*) AS n, sum(fatalities_best) AS f "
        "FROM events GROUP BY ALL ORDER BY ALL",
        "SELECT count(*) FROM (SELECT DISTINCT admin1 FROM events WHERE admin1 IS NOT NULL)",
        "SELECT make_date(2020, m, 1) AS d FROM generate_series(1, 3) t(m) ORDER BY d",
        "SELECT any_value(source) FROM events",
    ],
)
def test_a_query_gives_the_same_rows_on_both_engines(sql, store, pg_store):
    """Each DuckDB idiom the layers use (GROUP BY ALL, unnamed subqueries, make_date, ...)."""
    header, rows = read_rows(GED_MALI)
    small = write_country(store.path.parent / "m.csv", header, rows[:300])
    load_file(store, "ucdp-ged", small)
    load_file(pg_store, "ucdp-ged", small)
    assert pg_store.rows(sql) == store.rows(sql)


def test_a_failed_load_writes_nothing_and_frees_the_next(pg_store, monkeypatch, tmp_path):
    header, rows = read_rows(GED_MALI)
    load_file(pg_store, "ucdp-ged", write_country(tmp_path / "a.csv", header, rows[:50]))
    before = pg_store.rows("SELECT count(*), sum(fatalities_best) FROM events")
    loads = pg_store.rows("SELECT count(*) FROM loads")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loading.vintages, "refresh_current", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        load_file(pg_store, "ucdp-ged", write_country(tmp_path / "b.csv", header, rows[:80]))
    assert pg_store.rows("SELECT count(*), sum(fatalities_best) FROM events") == before
    assert pg_store.rows("SELECT count(*) FROM loads") == loads
    monkeypatch.undo()
    report = load_file(pg_store, "ucdp-ged", write_country(tmp_path / "c.csv", header, rows[:80]))
    assert report.added == 30
    assert pg_store.row("SELECT count(*) FROM events")[0] == 80


def test_a_password_in_the_url_is_never_shown():
    assert safe_url("postgresql://ana:s3cret@db:5432/pw") == "postgresql://ana@db:5432/pw"
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://ana:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(caught.value)
