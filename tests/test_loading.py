import os
import subprocess
import sys
import time

import pytest

from peacewatch.errors import UnknownSourceError
from peacewatch.loading import PAUSE_ENV, load_file
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store
from tests.conftest import GED_MALI, ROOT
from tests.gedfiles import read_rows, write_country
from tests.killing import kill_at_commit


@pytest.fixture
def store(engine_empty_store):
    """Part of the parity suite: these loads run on DuckDB and on PostgreSQL."""
    return engine_empty_store


def _counts(store):
    return (
        store.row("SELECT count(*), sum(fatalities_best) FROM events"),
        store.row("SELECT count(*) FROM loads")[0],
        store.row("SELECT count(*) FROM raw_ucdp_ged")[0]
        if store.table_exists("raw_ucdp_ged")
        else 0,
    )


def test_a_first_load_records_the_files_hash_taken_beside_the_read(store, tmp_path):
    """The first load of a loader hashes while staging; the hash must still be the file's."""
    import hashlib

    path = write_country(tmp_path / "first.csv", *_head(80))
    report = load_file(store, "ucdp-ged", path)
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert store.row("SELECT sha256 FROM loads")[0] == report.sha256


def test_a_repeat_load_is_recognised_before_the_file_is_read(store, tmp_path, monkeypatch):
    """A loader that loaded before hashes first: the same bytes are not staged again."""
    from peacewatch import loading

    path = write_country(tmp_path / "again.csv", *_head(80))
    first = load_file(store, "ucdp-ged", path)

    def unread(*args, **kwargs):
        raise AssertionError("the file was staged again")

    monkeypatch.setattr(loading.ucdp.UcdpGed, "stage", unread)
    second = load_file(store, "ucdp-ged", path)
    assert second.already_loaded and second.load_id == first.load_id


def _head(n):
    header, rows = read_rows(GED_MALI)
    return header, rows[:n]


def test_loading_the_same_file_twice_changes_nothing(store):
    first = load_file(store, "ucdp-ged", GED_MALI)
    before = _counts(store)
    snapshot = store.rows("SELECT * FROM events ORDER BY event_id")
    second = load_file(store, "ucdp-ged", GED_MALI)
    assert second.already_loaded and second.load_id == first.load_id
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 2120)
    assert _counts(store) == before
    assert store.rows("SELECT * FROM events ORDER BY event_id") == snapshot


def test_a_newer_release_replaces_rows_and_counts_changes(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    v1 = write_country(tmp_path / "ged_v1.csv", header, rows[:100])
    load_file(store, "ucdp-ged", v1, LoadOptions(release="1"))
    revised = [dict(r) for r in rows[:100]]
    revised[0]["best_est"] = str(int(revised[0]["best_est"]) + 5)  # revised toll
    revised[0]["high_est"] = str(int(revised[0]["high_est"]) + 5)
    del revised[1]  # deleted event
    revised.append(rows[100])  # new event
    v2 = write_country(tmp_path / "ged_v2.csv", header, revised)
    report = load_file(store, "ucdp-ged", v2, LoadOptions(release="2"))
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 98)
    assert store.row("SELECT count(*) FROM events")[0] == 100
    assert store.row("SELECT count(*) FROM events WHERE source_version = '2'")[0] == 100
    # Both releases' raw rows are kept (a vintage each).
    assert store.row("SELECT count(*) FROM raw_ucdp_ged")[0] == 200
    gone = "ucdp_ged:" + rows[1]["id"]
    assert store.row("SELECT count(*) FROM events WHERE event_id = ?", [gone])[0] == 0
    # Release 1 is kept as a vintage: loading its bytes again changes nothing.
    back = load_file(store, "ucdp-ged", v1, LoadOptions(release="1"))
    assert back.already_loaded and (back.added, back.updated, back.removed) == (0, 0, 0)
    assert store.row("SELECT count(*) FROM event_versions")[0] == 200


def test_other_countries_are_left_alone(tmp_path, store):
    from tests.conftest import GED_BFA

    load_file(store, "ucdp-ged", GED_BFA)
    header, rows = read_rows(GED_MALI)
    load_file(store, "ucdp-ged", write_country(tmp_path / "m.csv", header, rows[:10]))
    by_country = dict(store.rows("SELECT country_iso3, count(*) FROM events GROUP BY 1"))
    assert by_country == {"BFA": 1504, "MLI": 10}


def test_unknown_source_lists_the_known_ones(store):
    with pytest.raises(UnknownSourceError, match="ucdp-ged"):
        load_file(store, "gdelt", GED_MALI)


def _start_load(store_path, extra_env=None):
    env = {**os.environ, **(extra_env or {})}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peacewatch",
            "load",
            "ucdp-ged",
            str(GED_MALI),
            "--store",
            str(store_path),
            "--report-dir",
            str(store_path.parent / "reports"),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_killed_load_leaves_the_store_as_it_was(tmp_path):
    """Really kill a loading process after it wrote everything but before COMMIT."""
    from tests.conftest import GED_BFA

    path = tmp_path / "kill.duckdb"
    with Store.open(path) as st:
        load_file(st, "ucdp-ged", GED_BFA)
        before = _counts(st)
    kill_at_commit(_start_load(path, {PAUSE_ENV: "60"}))
    # The killed load had kept its file; no raw view reads it: the next writer removes it.
    folder = path.with_name(path.name + ".files")
    assert len(list(folder.iterdir())) == 2
    with Store.open(path) as st:
        assert {p.name for p in folder.iterdir()} == st.kept_in_use()
        assert len(st.kept_in_use()) == 1
        assert _counts(st) == before
        assert (
            st.con.execute("SELECT count(*) FROM events WHERE country_iso3 = 'MLI'").fetchone()[0]
            == 0
        )
        tables = {
            n
            for (n,) in st.con.execute(
                "SELECT table_name FROM information_schema.tables"
            ).fetchall()
        }
        assert "_staging" not in tables
        assert not [t for t in tables if t.startswith("raw_ucdp_ged__load_") and t.endswith("_2")]
    # And the same load, not interrupted, then completes.
    done = _start_load(path)
    assert done.wait(timeout=120) == 0, done.stderr.read()
    with Store.open(path) as st:
        assert st.con.execute("SELECT count(*) FROM events").fetchone()[0] == 1504 + 2120


@pytest.mark.slow
def test_a_load_killed_at_any_moment_is_all_or_nothing(tmp_path):
    from tests.conftest import GED_BFA

    path = tmp_path / "kill2.duckdb"
    with Store.open(path) as st:
        load_file(st, "ucdp-ged", GED_BFA)
    for delay in (0.5, 1.0, 1.5, 2.0):
        proc = _start_load(path)
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=30)
        with Store.open(path) as st:
            n = st.con.execute("SELECT count(*) FROM events").fetchone()[0]
            loads = st.con.execute("SELECT count(*) FROM loads").fetchone()[0]
        assert (n, loads) in {(1504, 1), (1504 + 2120, 2)}, (delay, n, loads)


def test_keys_stay_unique_and_raw_rows_link_back(tmp_path, store):
    from tests.conftest import ACLED_SAMPLE, GED_BFA

    for _ in range(2):
        load_file(store, "ucdp-ged", GED_MALI)
        load_file(store, "ucdp-ged", GED_BFA)
        load_file(store, "acled", ACLED_SAMPLE)
    assert store.row("SELECT count(*) - count(DISTINCT event_id) FROM events")[0] == 0
    # Every event finds its raw row, and the raw row has the same source id.
    linked = store.row(
        "SELECT count(*) FROM events e JOIN raw_acled r "
        "ON r._load_id = e.load_id AND r._row = e.source_row "
        "WHERE r.event_id_cnty = e.source_event_id"
    )[0]
    assert linked == 1534
    # Every vintage keeps its raw rows: a later partial file adds a raw table, drops none.
    header, rows = read_rows(GED_MALI)
    load_file(store, "ucdp-ged", write_country(tmp_path / "m.csv", header, rows[:5]))
    raw_tables = store.row(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE starts_with(table_name, 'raw_ucdp_ged__')"
    )[0]
    assert raw_tables == 3  # Mali's file, Burkina Faso's file and the 5-row Mali file


def test_an_event_gets_a_region_of_its_own_country(mali_store):
    """Mali GED events were placed in Algerian, Burkinabe, Nigerien and Mauritanian regions
    (Adrar, Oudalan, Tahoua, Hodh el Gharbi) and those became Mali units. A point outside its
    country's (simplified) polygons now goes to the nearest region of that country, flagged.
    Recounted with geopandas from the raw file and the boundary file."""
    import geopandas as gpd
    import pandas as pd

    from peacewatch import panel
    from tests.conftest import CURRENT_BOUNDARIES

    raw = pd.read_csv(GED_MALI, index_col=False)
    points = gpd.GeoDataFrame(
        raw[["id"]], geometry=gpd.points_from_xy(raw["longitude"], raw["latitude"]), crs=4326
    )
    mali = gpd.read_file(CURRENT_BOUNDARIES[0]).rename(columns={"ADM1_FR": "name"})
    inside = gpd.sjoin(points, mali[["geometry"]], predicate="intersects", how="inner")
    outside = set(raw["id"].astype(str)) - set(inside["id"].astype(str))
    rows = dict(
        mali_store.rows(
            "SELECT admin1_method, count(*) FROM events WHERE source = 'ucdp_ged' "
            "AND country_iso3 = 'MLI' GROUP BY 1"
        )
    )
    assert rows == {"inside": 2120 - len(outside), "nearest": len(outside)} and outside
    foreign = mali_store.row(
        "SELECT count(*) FROM events e JOIN admin_boundaries b ON b.admin_code = e.admin1_code "
        "WHERE b.country_iso3 <> e.country_iso3"
    )[0]
    assert foreign == 0
    units = set(panel.panel(mali_store, "admin1", "MLI", "2012-01-01", "2023-12-31")["unit_name"])
    assert units == set(mali["name"]) and not {"Adrar", "Oudalan", "Tahoua"} & units
