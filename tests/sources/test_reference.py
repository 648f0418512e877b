import pytest

from peacewatch.errors import PeacewatchError
from peacewatch.loading import load_file
from tests.conftest import REFERENCE


def test_camps_with_closure_dates_and_ogossagou_warning(store):
    report = load_file(store, "camps", REFERENCE / "minusma_camps.csv")
    assert report.rows_loaded == 16
    assert [w.row for w in report.warnings] == [2]  # Ogossagou has no coordinates
    rows = dict(
        store.con.execute(
            "SELECT name, closure_date FROM camps WHERE mission = 'MINUSMA'"
        ).fetchall()
    )
    assert str(rows["Ber"]) == "2023-08-13" and str(rows["Ogossagou"]) == "2023-08-03"
    assert (
        store.con.execute(
            "SELECT count(*) FROM camps WHERE country_iso3 = 'MLI' AND latitude IS NOT NULL"
        ).fetchone()[0]
        == 15
    )


def test_timeline_has_the_coups(store):
    load_file(store, "timeline", REFERENCE / "mali_timeline.csv")
    coups = [
        str(d)
        for (d,) in store.con.execute(
            "SELECT coalesce(end_date, date) FROM timeline WHERE category = 'coup' ORDER BY 1"
        ).fetchall()
    ]
    assert {"2012-03-22", "2020-08-18"} <= set(coups)
    assert any(c.startswith("2021-05") for c in coups)


def test_humanitarian_keeps_odd_dates_as_text(store):
    report = load_file(store, "humanitarian", REFERENCE / "humanitarian_mali.csv")
    assert report.rows_loaded == 55 and report.rows_rejected == 0
    assert {w.field for w in report.warnings} == {"as_of_date"}
    assert store.con.execute(
        "SELECT count(*) FROM humanitarian WHERE as_of_date IS NULL AND as_of_text IS NOT NULL"
    ).fetchone()[0] == len(report.warnings)


def test_country_must_be_known(tmp_path, store):
    path = tmp_path / "events_table.csv"
    path.write_text((REFERENCE / "mali_timeline.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PeacewatchError, match="--country"):
        load_file(store, "timeline", path)
