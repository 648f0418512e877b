import csv
import http.server
import threading
import zipfile
from collections import defaultdict
from functools import partial

import pytest

from peacewatch.errors import DownloadError, SourceFormatError
from peacewatch.loading import load_file
from peacewatch.sources import ucdp
from tests.conftest import GED_BFA, GED_MALI
from tests.gedfiles import read_rows, write_api_page, write_country, write_official

COMPARE = (
    "event_id, source, source_event_id, date_start, date_end, date_precision, country_iso3, "
    "gw_code, admin1, source_admin1, source_admin2, latitude, longitude, geo_precision, "
    "priogrid_gid, category, violence_type, actor1, actor2, actor1_category, actor2_category, "
    "fatalities_best, fatalities_low, fatalities_high, civilian_fatalities, notes, source_refs, "
    "record_hash"
)


def _events(store):
    return store.con.execute(f"SELECT {COMPARE} FROM events ORDER BY event_id").fetchall()


def test_mali_country_file_gives_2120_events(store):
    report = load_file(store, "ucdp-ged", GED_MALI)
    assert report.layout == "ged-country-download"
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2120, 2120, 0)
    assert store.con.execute("SELECT count(*) FROM events").fetchone()[0] == 2120


def test_yearly_fatalities_equal_a_plain_recount_of_the_file(store):
    expected = defaultdict(int)
    with GED_MALI.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            expected[int(row["year"])] += int(row["best_est"])
    load_file(store, "ucdp-ged", GED_MALI)
    got = dict(
        store.con.execute(
            "SELECT year(date_start), sum(fatalities_best) FROM events GROUP BY 1"
        ).fetchall()
    )
    assert got == dict(expected)
    # Published figures (PROVENANCE.md): 2013 881, 2018 1,281, 2020 1,509, 2022 3,650, 2023 2,109.
    assert [got[y] for y in (2013, 2018, 2020, 2022, 2023)] == [881, 1281, 1509, 3650, 2109]
    assert sum(got.values()) == 15742


def test_best_outside_low_high_is_a_warning_not_a_reject(store):
    report = load_file(store, "ucdp-ged", GED_MALI)
    outside = [w for w in report.warnings if w.reason.startswith("best outside")]
    assert len(outside) == 23
    assert report.rows_rejected == 0


def test_priogrid_and_violence_types_in_store(store):
    load_file(store, "ucdp-ged", GED_MALI)
    con = store.con
    assert (
        con.execute(
            "SELECT count(*) FROM events e JOIN raw_ucdp_ged r "
            "ON r._load_id = e.load_id AND r._row = e.source_row "
            "WHERE e.priogrid_gid <> CAST(r.priogrid_gid AS INTEGER) "
            "OR e.source_event_id <> r.id"
        ).fetchone()[0]
        == 0
    )
    by_type = dict(con.execute("SELECT violence_type, count(*) FROM events GROUP BY 1").fetchall())
    assert by_type == {1: 1252, 2: 326, 3: 542}
    assert (
        con.execute(
            "SELECT count(*) FROM events WHERE country_iso3 = 'MLI' AND gw_code = 432"
        ).fetchone()[0]
        == 2120
    )
    # GED never codes the UN mission as a side.
    assert con.execute("SELECT count(*) FROM events WHERE involves_peacekeepers").fetchone()[0] == 0


def test_raw_table_keeps_the_source_columns(store):
    load_file(store, "ucdp-ged", GED_MALI)
    cols = set(store.columns("raw_ucdp_ged"))
    assert {"best_est", "where_description", "conflict_new_id", "source_headline"} <= cols
    assert store.con.execute("SELECT count(*) FROM raw_ucdp_ged").fetchone()[0] == 2120


def test_official_layout_gives_identical_common_records(tmp_path, store):
    """Burkina Faso rows rewritten in the bulk GEDEvent layout load to the same records."""
    from peacewatch.store import Store

    header, rows = read_rows(GED_BFA)
    rows = rows[:300]
    country = write_country(tmp_path / "bfa_country.csv", header, rows)
    official = write_official(tmp_path / "GEDEvent_v99_1.csv", header, rows)
    load_file(store, "ucdp-ged", country)
    other = Store.open(tmp_path / "other.duckdb")
    report = load_file(other, "ucdp-ged", official)
    assert report.layout == "ged-official"
    assert report.release == "99.1"
    assert _events(other) == _events(store)
    assert len(_events(store)) == 300
    other.close()


def test_api_json_page_gives_identical_common_records(tmp_path, store):
    from peacewatch.store import Store

    header, rows = read_rows(GED_MALI)
    rows = rows[:120]
    load_file(store, "ucdp-ged", write_country(tmp_path / "mali_part.csv", header, rows))
    other = Store.open(tmp_path / "api.duckdb")
    report = load_file(other, "ucdp-ged", write_api_page(tmp_path / "page0.json", header, rows))
    assert report.layout == "ged-api-json"
    assert _events(other) == _events(store)
    other.close()


def test_wrong_header_fails_at_once_naming_missing_columns(tmp_path, store):
    bad = tmp_path / "not_ged.csv"
    bad.write_text("id,year,deaths\n1,2020,3\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as info:
        load_file(store, "ucdp-ged", bad)
    message = str(info.value)
    assert "not_ged.csv" in message and "missing columns" in message
    assert "best" in message and "ged-official" in message and "ged-country-download" in message
    assert store.con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0


def test_bad_rows_are_rejected_with_row_and_reason_and_good_rows_load(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    rows = [dict(r) for r in rows[:8]]
    rows[1]["date_start"] = "31/31/2020 00:00:00"  # row 3
    rows[2]["latitude"] = "123.5"  # row 4
    rows[3]["best_est"] = "-3"  # row 5
    rows[4]["id"] = ""  # row 6
    rows[5]["best_est"] = "many"  # row 7
    path = write_country(tmp_path / "bad.csv", header, rows)
    report = load_file(store, "ucdp-ged", path, report_dir=tmp_path / "reports")
    got = [(r.row, r.field, r.reason) for r in report.rejects]
    assert got == [
        (3, "date_start", "unparseable or missing date"),
        (4, "latitude", "latitude not a number or outside -90..90"),
        (5, "best_est", "fatality count negative or not a whole number"),
        (6, "id", "missing id"),
        (7, "best_est", "fatality count missing or not a number"),
    ]
    assert report.rows_loaded == 3
    assert store.con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    with open(report.rejects_path, encoding="utf-8") as fh:
        lines = list(csv.DictReader(fh))
    assert [int(r["row"]) for r in lines] == [3, 4, 5, 6, 7]
    assert lines[1]["value"] == "123.5" and lines[0]["file"] == "bad.csv"


def test_wrong_encoding_row_is_rejected_and_rest_loads(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    path = write_country(tmp_path / "enc.csv", header, rows[:4])
    data = path.read_bytes().split(b"\n")
    # Line 3 (the second data row) gets a Latin-1 byte in where_description.
    data[2] = data[2].replace(b",", b",\xe9", 1)
    path.write_bytes(b"\n".join(data))
    report = load_file(store, "ucdp-ged", path)
    assert report.rows_loaded == 3
    assert len(report.rejects) == 1
    assert report.rejects[0].row == 3 and "encoding" in report.rejects[0].reason


def test_duplicate_ids_keep_the_first_row(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    path = write_country(tmp_path / "dup.csv", header, [rows[0], rows[1], rows[0]])
    report = load_file(store, "ucdp-ged", path)
    assert report.rows_loaded == 2
    assert [(r.row, r.reason) for r in report.rejects] == [
        (4, "duplicate id (also on an earlier row)")
    ]


@pytest.fixture
def ged_server(tmp_path):
    """A local HTTP server serving ged991-csv.zip (a small official-layout file)."""
    header, rows = read_rows(GED_MALI)
    root = tmp_path / "www"
    root.mkdir()
    csv_path = write_official(tmp_path / "GEDEvent_v99_1.csv", header, rows[:50])
    with zipfile.ZipFile(root / "ged991-csv.zip", "w") as archive:
        archive.write(csv_path, "GEDEvent_v99_1.csv")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.network
def test_download_fetches_the_zip_into_the_cache_and_loads(ged_server, tmp_path, store):
    cache = tmp_path / "cache"
    path = ucdp.download("99.1", ged_server, cache)
    assert path.name == "GEDEvent_v99_1.csv" and path.is_relative_to(cache)
    report = load_file(store, "ucdp-ged", path)
    assert report.rows_loaded == 50 and report.release == "99.1"
    # Cached: a second call does not need the server.
    assert ucdp.download("99.1", "http://127.0.0.1:9/none", cache) == path


@pytest.mark.network
def test_download_of_a_missing_version_fails_cleanly(ged_server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        ucdp.download("98.1", ged_server, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.part"))
    with pytest.raises(DownloadError, match="MAJOR.MINOR"):
        ucdp.download_url(ged_server, "latest")


def test_side_ids_and_gleditsch_ward_codes_are_read_where_the_file_has_them(tmp_path, store):
    """Side ids are kept in every layout; a bulk file's `gwnoa` / `gwnob` decide whether a
    side is the country's own state or another (before any name rule)."""
    header, rows = read_rows(GED_MALI)
    rows = [dict(r) for r in rows[:40]]
    for r in rows:
        r["gwnoa"] = "432" if r["side_a"] == "Government of Mali" else ""
        r["gwnob"] = ""
    stranger = rows[0]  # a side no rule knows by its name, with a state's code
    stranger["side_b"], stranger["side_b_new_id"], stranger["gwnob"] = (
        "Sahel State Forces",
        "99999",
        "436, 432",  # Niger first: a second code is a co-belligerent, not read
    )
    path = write_official(tmp_path / "GEDEvent_v99_1.csv", [*header, "gwnoa", "gwnob"], rows)
    load_file(store, "ucdp-ged", path)
    got = store.con.execute(
        "SELECT source_event_id, actor1_id, actor2_id, actor2_category FROM events"
    ).df()
    got = got.set_index("source_event_id")
    assert got.loc[stranger["id"], "actor2_id"] == "99999"
    assert got.loc[stranger["id"], "actor2_category"] == "foreign_state_forces"
    by_id = {r["id"]: (r["side_a_new_id"], r["side_b_new_id"]) for r in rows}
    assert {
        k: (a, b) for k, a, b in zip(got.index, got["actor1_id"], got["actor2_id"], strict=True)
    } == by_id
    # without the code, the same name is a non-state group, as UCDP's named sides are
    from peacewatch.store import Store

    plain = {k: v for k, v in stranger.items() if k not in ("gwnoa", "gwnob")}
    with Store.open(tmp_path / "plain.duckdb") as other:
        load_file(other, "ucdp-ged", write_country(tmp_path / "plain.csv", header, [plain]))
        assert other.con.execute("SELECT actor2_category FROM events").fetchone() == ("other",)
