from peacewatch.loading import load_file
from tests.conftest import BOUNDARIES, GED_MALI


def test_mali_regions_and_admin1_by_point_in_polygon(store):
    report = load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    assert report.rows_loaded == 9
    names = {n for (n,) in store.con.execute("SELECT name FROM admin_boundaries").fetchall()}
    assert {"Kidal", "Gao", "Mopti", "Bamako"} <= names
    load_file(store, "ucdp-ged", GED_MALI)
    # Hand check: GED's own adm_1 agrees with the polygon for the bulk of events.
    agree, total = store.con.execute(
        "SELECT count(*) FILTER (WHERE source_admin1 = admin1 || ' region' "
        "OR (source_admin1 = 'Tombouctou region' AND admin1 = 'Timbuktu') "
        "OR (source_admin1 = 'Segou region' AND admin1 = 'Ségou') "
        "OR (source_admin1 = 'Ménaka region' AND admin1 = 'Gao')), "
        "count(*) FILTER (WHERE source_admin1 IS NOT NULL AND admin1 IS NOT NULL) FROM events"
    ).fetchone()
    assert agree / total > 0.97
    assert (
        store.con.execute(
            "SELECT count(DISTINCT admin1_boundary) FROM events WHERE admin1 IS NOT NULL"
        ).fetchone()[0]
        == 1
    )


def test_boundaries_loaded_after_events_reassign_admin1(store):
    load_file(store, "ucdp-ged", GED_MALI)
    assert store.con.execute("SELECT count(admin1) FROM events").fetchone()[0] == 0
    load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    assert store.con.execute("SELECT count(admin1) FROM events").fetchone()[0] > 2000
