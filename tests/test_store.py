import pytest

from peacewatch.errors import StoreError
from peacewatch.schema import SCHEMA_VERSION, TABLES
from peacewatch.store import Store


def test_new_store_has_the_versioned_schema(store):
    assert store.schema_version() == SCHEMA_VERSION
    for name in ("events", "loads", *TABLES):
        assert store.table_exists(name), name


def test_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('x', 'y')")
        raise RuntimeError("boom")
    assert store.con.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone()[0] == 0


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    with Store.open(path) as st:
        st.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_read_only_open_of_a_missing_store_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="load data first"):
        Store.open(tmp_path / "none.duckdb", read_only=True)


def test_a_schema_3_store_gains_the_side_ids_and_a_reload_fills_them(tmp_path):
    """Schema 3 -> 4: the columns appear (NULL); the same file, loaded again, is read again
    (its earlier load was read under schema 3) and fills them from the raw file's side ids,
    nothing added or removed; a further load changes nothing."""
    import pandas as pd

    from peacewatch.loading import load_file
    from tests.conftest import GED_MALI
    from tests.oldstores import as_schema_6

    path = tmp_path / "v3.duckdb"
    with Store.open(path) as st:
        load_file(st, "ucdp-ged", GED_MALI)
        as_schema_6(st)
        for table in ("events", "event_versions"):
            st.con.execute(f"ALTER TABLE {table} DROP COLUMN actor1_id")
            st.con.execute(f"ALTER TABLE {table} DROP COLUMN actor2_id")
        st.con.execute("ALTER TABLE loads DROP COLUMN schema_version")
        st.con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == SCHEMA_VERSION
        assert st.con.execute("SELECT count(actor1_id) FROM events").fetchone() == (0,)
        report = load_file(st, "ucdp-ged", GED_MALI)
        assert not report.already_loaded and (report.added, report.removed) == (0, 0)
        assert st.con.execute("SELECT count(*), count(actor1_id) FROM events").fetchone() == (
            2120,
            2120,
        )
        again = load_file(st, "ucdp-ged", GED_MALI)
        assert again.already_loaded and (again.added, again.updated) == (0, 0)
        stored = st.con.execute(
            "SELECT source_event_id, actor1_id, actor2_id FROM events ORDER BY 1"
        ).df()
    raw = pd.read_csv(GED_MALI, index_col=False, dtype=str)
    raw = raw.sort_values("id").reset_index(drop=True)
    assert stored["source_event_id"].tolist() == raw["id"].str.strip().tolist()
    assert stored["actor1_id"].tolist() == raw["side_a_new_id"].str.strip().tolist()
    assert stored["actor2_id"].tolist() == raw["side_b_new_id"].str.strip().tolist()


def test_a_schema_5_store_keeps_its_incidents_and_gains_time_injured_missing(tmp_path):
    """Schema 5 -> 6: the incidents table gets occurred_time, injured and missing; the reports
    already filed keep every field and read 0 injured, 0 missing, no time."""
    from peacewatch import accounts, incidents
    from tests.oldstores import as_schema_6

    path = tmp_path / "v5.duckdb"
    with Store.open(path) as st:
        rita = accounts.add_user(st, "rita", "reporter", "correct horse battery")
        filed = incidents.create(
            st,
            rita,
            {
                "occurred_on": "2024-02-10",
                "latitude": 14.49,
                "longitude": -4.19,
                "category": "ied",
                "killed_civilians": 2,
            },
        )
        for column in ("occurred_time", "injured", "missing"):
            st.con.execute(f"ALTER TABLE incidents DROP COLUMN {column}")
        as_schema_6(st)
        st.con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == SCHEMA_VERSION == 7
        row = st.con.execute(
            "SELECT killed_civilians, category, occurred_time, injured, missing FROM incidents "
            "WHERE incident_id = ?",
            [filed["incident_id"]],
        ).fetchone()
        assert row == (2, "ied", None, 0, 0)
        later = incidents.create(
            st,
            rita,
            {
                "occurred_on": "2024-02-11",
                "occurred_time": "6:05",
                "latitude": 16.27,
                "longitude": -0.04,
                "category": "ied",
                "injured": 3,
                "missing": 1,
            },
        )
        assert (later["occurred_time"], later["injured"], later["missing"]) == ("06:05", 3, 1)


def test_unordered_writes_switch_insertion_order_off_and_back(store):
    setting = "SELECT current_setting('preserve_insertion_order')"
    assert store.row(setting)[0] is True
    with store.unordered():
        assert store.row(setting)[0] is False
    assert store.row(setting)[0] is True
    with pytest.raises(RuntimeError), store.unordered():
        raise RuntimeError("a failed write")
    assert store.row(setting)[0] is True


def test_plain_strings_switch_fsst_off_and_back(store):
    setting = "SELECT current_setting('disabled_compression_methods')"
    assert store.row(setting)[0] == ""
    with store.plain_strings():
        assert store.row(setting)[0].lower() == "fsst"
    assert store.row(setting)[0] == ""
    with pytest.raises(RuntimeError), store.plain_strings():
        raise RuntimeError("a failed write")
    assert store.row(setting)[0] == ""


def test_a_schema_6_store_keeps_every_version_once(tmp_path):
    """Schema 6 -> 7: the versions that are current rows stay in `events` only, the others
    move to `event_history`; the view `event_versions` shows what the table held."""
    from peacewatch.loading import load_file
    from tests.conftest import GED_MALI
    from tests.gedfiles import read_rows, write_country
    from tests.oldstores import as_schema_6

    header, rows = read_rows(GED_MALI)
    newer = [dict(r) for r in rows[:500]]
    newer[0]["best_est"] = str(int(newer[0]["best_est"]) + 3)
    versions = "SELECT event_id, load_id, record_hash FROM event_versions ORDER BY ALL"
    current = "SELECT * FROM events ORDER BY event_id"
    path = tmp_path / "v6.duckdb"
    with Store.open(path) as st:
        load_file(st, "ucdp-ged", GED_MALI)
        load_file(st, "ucdp-ged", write_country(tmp_path / "newer.csv", header, newer))
        before = (st.rows(versions), st.rows(current))
        as_schema_6(st)
        assert st.row("SELECT count(*) FROM event_versions")[0] == 2120 + 500
    with Store.open(path) as st:
        assert st.schema_version() == SCHEMA_VERSION == 7
        assert (st.rows(versions), st.rows(current)) == before
        history = st.row("SELECT count(*) FROM event_history")[0]
        assert history == 2120 + 500 - st.row("SELECT count(*) FROM events")[0]
        both = st.row(
            "SELECT count(*) FROM (SELECT event_id, load_id FROM events "
            "INTERSECT SELECT event_id, load_id FROM event_history)"
        )[0]
        assert both == 0
