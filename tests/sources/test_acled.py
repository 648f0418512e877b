import csv
from collections import Counter

import pytest

from peacewatch.errors import SourceFormatError
from peacewatch.loading import load_file
from tests.conftest import ACLED_SAMPLE

INTER_LABEL = {
    "1": "State forces",
    "2": "Rebel group",
    "3": "Political militia",
    "4": "Identity militia",
    "5": "Rioters",
    "6": "Protesters",
    "7": "Civilians",
    "8": "External/Other forces",
    "0": "",
}
CURRENT_HEADER = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]


def _sample_rows():
    with ACLED_SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows[1:]  # the HXL row


def test_sample_loads_all_rows_skipping_the_hxl_row(store):
    report = load_file(store, "acled", ACLED_SAMPLE)
    assert report.layout == "acled-pre-2023+hxl"
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (1534, 1534, 0)
    total = store.con.execute("SELECT sum(fatalities_best) FROM events").fetchone()[0]
    assert total == 3854  # PROVENANCE.md
    assert report.release == "export of 2020-08-03 (latest event timestamp)"


def test_event_types_map_to_the_taxonomy(store):
    load_file(store, "acled", ACLED_SAMPLE)
    rows = _sample_rows()
    by_type = Counter(r["event_type"] for r in rows)
    got = dict(
        store.con.execute("SELECT source_event_type, count(*) FROM events GROUP BY 1").fetchall()
    )
    assert got == dict(by_type)
    cats = dict(store.con.execute("SELECT category, count(*) FROM events GROUP BY 1").fetchall())
    assert cats["protest_riot"] == by_type["Protests"] + by_type["Riots"]
    assert cats["strategic_development"] == by_type["Strategic developments"]
    # Battles with MINUSMA and attacks on it become attack_on_peacekeepers.
    minusma = [
        r
        for r in rows
        if "MINUSMA" in r["actor2"] or (r["event_type"] == "Battles" and "MINUSMA" in r["actor1"])
    ]
    minusma = [
        r
        for r in minusma
        if r["event_type"]
        in {"Battles", "Explosions/Remote violence", "Violence against civilians"}
    ]
    assert cats["attack_on_peacekeepers"] == len(minusma) > 0
    assert cats["battle"] + cats["explosion_remote"] + cats["violence_against_civilians"] + cats[
        "attack_on_peacekeepers"
    ] == sum(
        by_type[t] for t in ("Battles", "Explosions/Remote violence", "Violence against civilians")
    )


def test_violence_type_and_civilian_fatalities_rules(store):
    load_file(store, "acled", ACLED_SAMPLE)
    con = store.con
    vac = con.execute(
        "SELECT count(*), sum(fatalities_best) = sum(civilian_fatalities) FROM events "
        "WHERE source_event_type = 'Violence against civilians' AND violence_type = 3"
    ).fetchone()
    assert vac == (542, True)
    assert (
        con.execute(
            "SELECT count(*) FROM events "
            "WHERE fatalities_low IS NOT NULL OR fatalities_high IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    assert con.execute("SELECT bool_and(NOT redistributable) FROM events").fetchone()[0]


def test_current_layout_with_text_inter_labels_gives_the_same_records(tmp_path, store):
    """The 2023 layout (disorder_type, civilian_targeting, text inter labels) maps the same."""
    from peacewatch.store import Store

    rows = _sample_rows()[:200]
    path = tmp_path / "acled_2023.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CURRENT_HEADER, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            out = dict(r)
            out["inter1"], out["inter2"] = INTER_LABEL[r["inter1"]], INTER_LABEL[r["inter2"]]
            out["disorder_type"] = "Political violence"
            out["civilian_targeting"] = ""
            out["tags"] = ""
            writer.writerow(out)
    old = tmp_path / "acled_old.csv"
    with ACLED_SAMPLE.open(encoding="utf-8") as src:
        lines = src.read().splitlines(keepends=True)
    old.write_text("".join(lines[:2]) + "".join(_raw_lines(lines, 200)), encoding="utf-8")
    load_file(store, "acled", old)
    other = Store.open(tmp_path / "new.duckdb")
    report = load_file(other, "acled", path)
    assert report.layout == "acled-2023"
    query = (
        "SELECT event_id, category, violence_type, actor1_category, actor2_category, "
        "fatalities_best, date_start, country_iso3, record_hash FROM events ORDER BY 1"
    )
    assert other.con.execute(query).fetchall() == store.con.execute(query).fetchall()
    other.close()


def _raw_lines(lines, n):
    """The first n data records of the sample as text (records may span lines)."""
    import io

    text = "".join(lines[2:])
    reader = csv.reader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, rec in enumerate(reader):
        if i == n:
            break
        writer.writerow(rec)
    return [out.getvalue()]


def test_non_acled_file_is_refused(tmp_path, store):
    path = tmp_path / "x.csv"
    path.write_text("event_id_cnty,event_date\nMLI1,2020-01-01\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="acled-pre-2023"):
        load_file(store, "acled", path)
