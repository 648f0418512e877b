from peacewatch.loading import load_file
from tests.conftest import GEOPKO


def test_v21_raw_minusma_rows_and_locations(store):
    report = load_file(store, "geopko", GEOPKO / "geopko_v2.1_raw.csv.gz")
    assert report.layout == "geopko-v2.1-raw" and report.target == "deployments"
    assert report.rows_loaded == 18699 and report.rows_rejected == 0
    n, locations, first, last = store.con.execute(
        "SELECT count(*), count(DISTINCT location), min(year), max(year) FROM deployments "
        "WHERE mission = 'MINUSMA'"
    ).fetchone()
    assert (n, locations, first, last) == (442, 15, 2014, 2020)
    assert (
        store.con.execute(
            "SELECT count(*) FROM deployments WHERE mission = 'MINUSMA' AND country_iso3 <> 'MLI'"
        ).fetchone()[0]
        == 0
    )


def test_v23_frontmap_troop_sums_match_provenance(store):
    load_file(store, "geopko", GEOPKO / "FrontMap_v.2.3.csv")
    sums = dict(
        store.con.execute(
            "SELECT year, sum(no_troops) FROM deployments WHERE mission = 'MINUSMA' GROUP BY 1"
        ).fetchall()
    )
    assert [sums[y] for y in (2014, 2019, 2022, 2023, 2024)] == [26010, 45805, 18520, 35025, 300]
    assert (
        store.con.execute("SELECT count(*) FROM deployments WHERE mission = 'MINUSMA'").fetchone()[
            0
        ]
        == 229
    )


def test_the_four_files_go_to_their_tables_and_reload_changes_nothing(store):
    for name in (
        "geopko_v2.1_raw.csv.gz",
        "FrontMap_v.2.3.csv",
        "TTMap_v.2.3.csv",
        "TCCMap_v.2.3.csv",
    ):
        load_file(store, "geopko", GEOPKO / name)
    counts = {
        t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("deployments", "deployment_troop_types", "deployment_tccs")
    }
    assert counts == {
        "deployments": 18699 + 8783,
        "deployment_troop_types": 7372,
        "deployment_tccs": 4927,
    }
    again = load_file(store, "geopko", GEOPKO / "FrontMap_v.2.3.csv")
    assert again.already_loaded and again.unchanged == 8783
