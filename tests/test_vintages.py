"""Releases and vintages: partial files, GED Candidate files, supersession and `as of`.

Every expected total is recounted from the shared Mali GED file with plain pandas.
"""

import os
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from peacewatch import panel, vintages
from peacewatch.errors import PeacewatchError
from peacewatch.loading import PAUSE_ENV, load_file
from peacewatch.schema import SCHEMA_VERSION
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store
from tests.conftest import ENGINES, GED_BFA, GED_MALI, ROOT, new_database
from tests.gedfiles import read_rows, write_official
from tests.killing import kill_at_commit
from tests.oldstores import as_schema_6


@pytest.fixture
def store(engine_empty_store):
    """Releases, vintages and cut-offs: the same tests on DuckDB and PostgreSQL."""
    return engine_empty_store


def _truth() -> pd.DataFrame:
    frame = pd.read_csv(GED_MALI, index_col=False)
    frame["start"] = pd.to_datetime(frame["date_start"], format="%m/%d/%Y %H:%M:%S")
    return frame


def _totals(store, source=None):
    where = "country_iso3 = 'MLI'" + (f" AND source = '{source}'" if source else "")
    n, deaths = store.row(
        f"SELECT count(*), coalesce(sum(fatalities_best), 0) FROM events WHERE {where}"
    )
    return int(n), int(deaths)


def _count(frame):
    return len(frame), int(frame["best_est"].sum())


def test_a_partial_final_file_replaces_only_the_months_it_covers(tmp_path, store):
    """Finding 1: a GED file holding only Mali's 2023 rows removed the 1,801 earlier events."""
    truth = _truth()
    load_file(store, "ucdp-ged", GED_MALI)
    header, rows = read_rows(GED_MALI)
    only_2023 = write_official(
        tmp_path / "ged_mali_2023.csv", header, [r for r in rows if r["year"] == "2023"]
    )
    report = load_file(store, "ucdp-ged", only_2023)
    assert report.removed == 0
    assert report.periods == ["ucdp_ged:MLI 2023-01..2023-12"]
    assert _totals(store) == _count(truth) == (2120, 15742)
    # The earlier months keep their first vintage; 2023 comes from the newer file.
    by_load = dict(
        store.rows("SELECT year(date_start) = 2023, count(DISTINCT load_id) FROM events GROUP BY 1")
    )
    assert by_load == {True: 1, False: 1}
    assert store.row(
        "SELECT count(*) FROM events WHERE year(date_start) = 2023 AND load_id = ?",
        [report.load_id],
    )[0] == int((truth["year"] == 2023).sum())


def test_a_data_row_with_a_hashtag_is_not_taken_for_an_hxl_row(tmp_path, store):
    """The first 2023 row's headline is '#Ménaka': it was skipped as an HXL row (318 of 319)."""
    header, rows = read_rows(GED_MALI)
    subset = [r for r in rows if r["year"] == "2023"]
    assert any(v.startswith("#") for v in subset[0].values())
    report = load_file(store, "ucdp-ged", write_official(tmp_path / "x.csv", header, subset))
    assert report.rows_read == report.rows_loaded == len(subset) == 319


def _monthly_candidates(tmp_path, header, rows):
    """One Candidate file a month of 2023 (`GEDEvent_v23_0_M.csv`), as UCDP publishes them."""
    paths = []
    for month in range(1, 13):
        part = [
            r for r in rows if r["date_start"].startswith(f"{month:02d}/") and r["year"] == "2023"
        ]
        paths.append(write_official(tmp_path / f"GEDEvent_v23_0_{month}.csv", header, part))
    return paths


def test_final_candidate_final_keeps_every_release_and_as_of_reproduces(tmp_path, store):
    """GED 23.1 (to 2022), Candidate 23.0.1-12 (2023), then GED 24.1 (to 2023)."""
    truth = _truth()
    header, rows = read_rows(GED_MALI)
    before_2023 = [r for r in rows if r["year"] != "2023"]
    r231 = load_file(
        store, "ucdp-ged", write_official(tmp_path / "GEDEvent_v23_1.csv", header, before_2023)
    )
    assert r231.release == "23.1" and r231.known_at.startswith("2023-06-30")
    assert _totals(store) == _count(truth[truth["year"] < 2023])

    reports = [
        load_file(store, "ucdp-candidate", p) for p in _monthly_candidates(tmp_path, header, rows)
    ]
    assert [r.release for r in reports] == [f"23.0.{m}" for m in range(1, 13)]
    assert sum(r.removed for r in reports) == 0  # nothing removed
    assert [r.periods for r in reports][2] == ["ucdp_candidate:MLI 2023-03..2023-03"]
    assert _totals(store) == _count(truth)  # the Candidate months count ...
    assert _totals(store, "ucdp_candidate") == _count(truth[truth["year"] == 2023])
    cov = vintages.coverage(store, "MLI")
    candidate = cov[cov["source"] == "ucdp_candidate"]
    assert candidate["months"].sum() == 12 and set(candidate["release"]) == {
        f"23.0.{m}" for m in range(1, 13)
    }
    # What did we know on 30 June 2023? GED 23.1 and the Candidate files of Jan-May.
    known = truth[(truth["year"] < 2023) | (truth["start"] < "2023-06-01")]
    # Kept open across the next load: a reader at a cut-off does not stop a load, nor see it.
    reader = vintages.as_of(store, vintages.cut_for(store, as_of="2023-06-30"))
    assert _totals(reader) == _count(known)
    june_panel = panel.panel(
        reader, "country", "MLI", date(2023, 1, 1), date(2023, 12, 31), source="ucdp_candidate"
    )
    counted = june_panel["fatalities_best"].sum() + june_panel["imprecise_fatalities_best"].sum()
    assert counted == known[known["year"] == 2023]["best_est"].sum()

    final = load_file(
        store, "ucdp-ged", write_official(tmp_path / "GEDEvent_v24_1.csv", header, rows)
    )
    assert final.superseded == int((truth["year"] == 2023).sum())  # ... then are superseded
    assert final.removed == 0
    assert _totals(store) == _count(truth)
    assert _totals(store, "ucdp_candidate") == (0, 0)
    # Every release stays stored, and the earlier answers do not change.
    assert store.row("SELECT count(DISTINCT load_id) FROM event_versions")[0] == 14
    assert _totals(reader) == _count(known)
    reader.close()
    with vintages.as_of(store, vintages.cut_for(store, as_of="2023-06-30")) as june:
        assert _totals(june) == _count(known)
    # Release 23.1 (30 June 2023) came out with the Candidate files of Jan-May known.
    with vintages.as_of(store, vintages.cut_for(store, release="23.1")) as release:
        assert _totals(release) == _count(known)
    # The current rows equal what the rule gives with no cut-off.
    assert (
        store.row(
            f"SELECT count(*) FROM (SELECT event_id, load_id FROM events WHERE load_id IS NOT NULL "
            f"EXCEPT SELECT event_id, load_id FROM ({vintages.visible_sql()}))"
        )[0]
        == 0
    )


def test_an_older_release_loaded_later_stays_a_vintage(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    newer = write_official(tmp_path / "GEDEvent_v24_1.csv", header, rows)
    older = write_official(tmp_path / "GEDEvent_v23_1.csv", header, rows[:50])
    load_file(store, "ucdp-ged", newer)
    report = load_file(store, "ucdp-ged", older)
    assert (report.added, report.removed, report.not_current) == (0, 0, 50)
    assert _totals(store) == _count(_truth())
    with vintages.as_of(store, vintages.cut_for(store, release="23.1")) as older:
        assert _totals(older)[0] == 50


def test_the_shared_file_then_candidate_then_a_newer_release(tmp_path, store):
    """The issue's sequence on the shared file: totals unchanged after each step."""
    truth = _count(_truth())
    load_file(store, "ucdp-ged", GED_MALI, LoadOptions(release="24.1"))
    header, rows = read_rows(GED_MALI)
    candidate = write_official(
        tmp_path / "GEDEvent_v24_0_12.csv", header, [r for r in rows if r["year"] == "2023"]
    )
    report = load_file(store, "ucdp-candidate", candidate)
    assert (report.removed, report.added, report.not_current) == (0, 0, 319)
    assert _totals(store) == truth
    newer = load_file(store, "ucdp-ged", GED_MALI, LoadOptions(release="25.1"))
    assert newer.already_loaded  # same bytes: kept once, whatever the label
    renamed = write_official(tmp_path / "GEDEvent_v25_1.csv", header, rows)
    newer = load_file(store, "ucdp-ged", renamed)
    assert (newer.removed, newer.updated, newer.added) == (0, 0, 0)
    assert _totals(store) == truth


def test_candidate_and_final_files_are_told_apart(tmp_path, store):
    header, rows = read_rows(GED_MALI)
    path = write_official(tmp_path / "GEDEvent_v25_0_3.csv", header, rows[:3])
    with pytest.raises(PeacewatchError, match="ucdp-candidate"):
        load_file(store, "ucdp-ged", path)
    final = write_official(tmp_path / "GEDEvent_v25_1.csv", header, rows[:3])
    with pytest.raises(PeacewatchError, match="ucdp-ged"):
        load_file(store, "ucdp-candidate", final)


def test_known_at_rules():
    now = vintages.now()
    assert vintages.known_at("ucdp_ged", "24.1", None, now).date() == date(2024, 6, 30)
    assert vintages.known_at("ucdp_candidate", "22.0.11", None, now).date() == date(2022, 12, 31)
    assert vintages.known_at("ucdp_candidate", "22.0.12", None, now).date() == date(2023, 1, 31)
    assert vintages.known_at("ucdp_ged", "unstated", None, now) == now
    assert vintages.known_at("acled", "x", date(2020, 8, 26), now).date() == date(2020, 8, 26)


def test_a_release_that_is_not_loaded_is_named(store):
    load_file(store, "ucdp-ged", GED_BFA)
    with pytest.raises(PeacewatchError, match="loaded: unstated"):
        vintages.cut_for(store, release="19.1")


def test_an_old_store_is_migrated_to_vintages(tmp_path):
    """A schema-2 store (events, no versions) gets its events as the first vintage."""
    path = tmp_path / "old.duckdb"
    with Store.open(path) as st:
        load_file(st, "ucdp-ged", GED_BFA)
        as_schema_6(st)
        con = st.con
        con.execute("DROP TABLE event_versions; DROP TABLE load_scopes; DROP TABLE event_deletions")
        con.execute("ALTER TABLE loads DROP COLUMN known_at")
        con.execute("ALTER TABLE events DROP COLUMN actor1_id; ALTER TABLE events DROP actor2_id")
        con.execute("ALTER TABLE loads DROP COLUMN schema_version")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == SCHEMA_VERSION
        assert st.con.execute("SELECT count(*) FROM event_versions").fetchone()[0] == 1504
        report = load_file(st, "ucdp-ged", GED_MALI)
        assert report.added == 2120
        assert _totals(st) == (2120, 15742)


@pytest.mark.slow
def test_a_killed_candidate_load_leaves_the_store_as_it_was(tmp_path):
    """kill -9 a Candidate load after it wrote everything, before COMMIT: store unchanged."""
    path = tmp_path / "kill.duckdb"
    header, rows = read_rows(GED_MALI)
    candidate = write_official(
        tmp_path / "GEDEvent_v24_0_12.csv", header, [r for r in rows if r["year"] == "2023"]
    )
    with Store.open(path) as st:
        load_file(
            st,
            "ucdp-ged",
            write_official(
                tmp_path / "GEDEvent_v23_1.csv", header, [r for r in rows if r["year"] < "2023"]
            ),
        )
        before = [
            st.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("events", "event_versions", "load_scopes", "loads")
        ]
    env = {**os.environ, PAUSE_ENV: "60"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peacewatch",
            "load",
            "ucdp-candidate",
            str(candidate),
            "--store",
            str(path),
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    kill_at_commit(proc)
    with Store.open(path) as st:
        after = [
            st.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("events", "event_versions", "load_scopes", "loads")
        ]
    assert after == before


@pytest.mark.parametrize("engine", ENGINES)
def test_the_cli_computes_as_of_a_date_and_a_release(tmp_path, engine, request):
    """`load --released`, `panel --as-of`, `indicators --release`, `events --as-of`."""
    from typer.testing import CliRunner

    from peacewatch.cli import app

    if engine == "duckdb":
        where = str(tmp_path / "cli.duckdb")
    else:
        where = new_database(request.getfixturevalue("pg_server"), "asof_cli")
    env = {
        "PEACEWATCH_STORE": where,
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
    }
    runner = CliRunner()
    header, rows = read_rows(GED_MALI)
    older = write_official(tmp_path / "older.csv", header, [r for r in rows if r["year"] < "2020"])
    result = runner.invoke(
        app,
        ["load", "ucdp-ged", str(older), "--release", "old", "--released", "2020-03-01"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "scope: ucdp_ged:MLI 1990-06..2019-12; known from 2020-03-01" in result.output
    result = runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI), "--release", "24.1"], env=env)
    assert result.exit_code == 0, result.output
    truth = _truth()
    out = tmp_path / "p.csv"
    result = runner.invoke(
        app,
        [
            "panel",
            "--unit",
            "country",
            "--country",
            "MLI",
            "--as-of",
            "2021-01-01",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "as of 2021-01-01" in result.output
    assert "ucdp_ged old: 1990-06..2019-12" in result.output
    frame = pd.read_csv(out)
    assert frame["fatalities_best"].sum() + frame["imprecise_fatalities_best"].sum() == (
        truth[truth["year"] < 2020]["best_est"].sum()
    )
    result = runner.invoke(
        app,
        ["events", "--country", "MLI", "--release", "old", "--out", str(tmp_path / "e.csv")],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "e.csv")) == int((truth["year"] < 2020).sum())
    result = runner.invoke(
        app, ["panel", "--unit", "country", "--country", "MLI", "--release", "9.9"], env=env
    )
    assert result.exit_code == 2 and "no events loaded from release '9.9'" in result.output
    result = runner.invoke(
        app, ["panel", "--unit", "country", "--country", "MLI", "--as-of", "2021-13-01"], env=env
    )
    assert result.exit_code == 2 and "as-of" in result.output


def test_a_country_code_with_a_quote_cannot_reach_the_sql(tmp_path, store):
    """The scope's area comes from the file (an unknown GW code): it is quoted, not run."""
    header, rows = read_rows(GED_MALI)
    odd = [dict(rows[0], country_id="1'); DROP TABLE events; --"), *rows[1:4]]
    report = load_file(store, "ucdp-ged", write_official(tmp_path / "odd.csv", header, odd))
    assert report.rows_loaded == 4 and report.rows_warned >= 1
    assert store.row("SELECT count(*) FROM events")[0] == 4


def test_the_first_load_fast_path_gives_what_the_general_path_gives(tmp_path, monkeypatch):
    """The first load of an area skips the comparison: same rows and counts as without it.

    A sequence over the real files: Mali's GED (first: fast), Burkina Faso's (first: fast), a
    newer Mali release (not first: general), each on two stores, one with the fast path off.
    """
    from tests.gedfiles import write_country

    header, rows = read_rows(GED_MALI)
    newer = [dict(r) for r in rows[:500]]
    newer[0]["best_est"] = str(int(newer[0]["best_est"]) + 3)
    steps = [GED_MALI, GED_BFA, write_country(tmp_path / "newer.csv", header, newer)]
    results = {}
    for fast in (True, False):
        monkeypatch.setattr(vintages, "FIRST_LOAD_FAST_PATH", fast)
        with Store.open(tmp_path / f"{fast}.duckdb") as st:
            reports = [load_file(st, "ucdp-ged", p) for p in steps]
            counts = [
                (r.added, r.updated, r.removed, r.superseded, r.unchanged, r.not_current)
                for r in reports
            ]
            current = st.rows(
                "SELECT event_id, load_id, record_hash, admin1_code, fatalities_best "
                "FROM events ORDER BY event_id"
            )
            results[fast] = (counts, current)
            # Every version is stored once: current in `events`, the others in the history.
            stored = st.row(
                "SELECT (SELECT count(*) FROM event_versions), (SELECT count(*) FROM "
                "(SELECT event_id, load_id FROM events INTERSECT "
                "SELECT event_id, load_id FROM event_history))"
            )
            assert stored == (2120 + 1504 + 500, 0)
    assert results[True] == results[False]
    counts, current = results[True]
    assert counts[0][0] == 2120 and counts[1][0] == 1504
    # The 500 rows replace Mali's months they span: recounted from the raw rows.
    day = pd.to_datetime([r["date_start"] for r in rows], format="%m/%d/%Y %H:%M:%S")
    span = day[:500]
    first, last = span.min().replace(day=1), span.max() + pd.offsets.MonthEnd(0)
    ids = {r["id"] for r in newer}
    gone = sum(first <= d <= last and r["id"] not in ids for d, r in zip(day, rows, strict=True))
    assert counts[2][:3] == (0, 1, gone)
    assert len(current) == 2120 + 1504 - gone
