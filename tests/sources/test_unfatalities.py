import csv

from peacewatch.loading import load_file
from tests.conftest import REFERENCE, UN_FATALITIES


def test_minusma_total_and_malicious_acts(store):
    report = load_file(store, "un-fatalities", UN_FATALITIES)
    assert report.rows_loaded == 4429
    assert report.release == "last_update 2025-04-04"
    total, malicious = store.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE malicious) FROM un_fatalities "
        "WHERE mission = 'MINUSMA'"
    ).fetchone()
    assert (total, malicious) == (311, 174)


def test_minusma_by_year_matches_the_reference_table(store):
    load_file(store, "un-fatalities", UN_FATALITIES)
    with (REFERENCE / "minusma_fatalities_by_year.csv").open(encoding="utf-8") as fh:
        expected = {
            int(r["year"]): (int(r["total_fatalities"]), int(r["malicious_act"]))
            for r in csv.DictReader(fh)
        }
    got = {
        y: (t, m)
        for y, t, m in store.con.execute(
            "SELECT year(incident_date), count(*), count(*) FILTER (WHERE malicious) "
            "FROM un_fatalities WHERE mission = 'MINUSMA' GROUP BY 1"
        ).fetchall()
    }
    assert got == expected
