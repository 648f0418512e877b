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
