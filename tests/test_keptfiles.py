"""Raw rows of CSV loads kept as the file itself, read back through views (docs/adr/031)."""

from __future__ import annotations

import csv
import hashlib
import shutil

import pytest

from peacewatch import keptfiles
from peacewatch.loading import load_file
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store
from tests.conftest import GED_MALI, REFERENCE
from tests.gedfiles import read_rows, write_country


def _linked(store: Store, source: str = "ucdp_ged", id_column: str = "id") -> tuple[int, int]:
    """(events, events whose raw row has the same id) for the current rows of `source`."""
    return store.row(
        f"""SELECT count(*), count(r._row) FROM events e LEFT JOIN raw_{source} r
            ON r._load_id = e.load_id AND r._row = e.source_row
           AND trim(r.{id_column}) = e.source_event_id
           WHERE e.source = ?""",
        [source],
    )


def test_a_csv_load_keeps_its_file_and_reads_the_raw_rows_from_it(store):
    report = load_file(store, "ucdp-ged", GED_MALI)
    sha = hashlib.sha256(GED_MALI.read_bytes()).hexdigest()
    kept = store.files / f"{sha}.csv"
    assert kept.read_bytes() == GED_MALI.read_bytes()
    assert store.kept_in_use() == {kept.name}
    # No text copy of the file in the store: the load's raw table is a view over the file.
    kinds = dict(
        store.rows(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE starts_with(table_name, 'raw_ucdp_ged')"
        )
    )
    assert kinds == {f"raw_ucdp_ged__load_{report.load_id}": "VIEW", "raw_ucdp_ged": "VIEW"}
    assert store.row("SELECT count(*) FROM raw_ucdp_ged")[0] == 2120
    assert _linked(store) == (2120, 2120)
    # The raw row is the file's row: a hand check of one field against the csv module.
    _, rows = read_rows(GED_MALI)
    row = store.row("SELECT where_description, source_article FROM raw_ucdp_ged WHERE _row = 100")
    assert row == (rows[98]["where_description"] or None, rows[98]["source_article"] or None)


def test_the_store_and_its_folder_move_together(tmp_path):
    with Store.open(tmp_path / "a" / "pw.duckdb") as st:
        load_file(st, "ucdp-ged", GED_MALI)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.rmtree(tmp_path / "a")
    with Store.open(tmp_path / "b" / "pw.duckdb", read_only=True) as st:
        assert _linked(st) == (2120, 2120)


def test_a_copy_of_a_store_takes_its_kept_files(tmp_path, store):
    load_file(store, "ucdp-ged", GED_MALI)
    copy = store.copy_to(tmp_path / "copies" / "copy.duckdb")
    kept = next(store.files.iterdir())
    assert (copy.parent / "copy.duckdb.files" / kept.name).read_bytes() == kept.read_bytes()
    with Store.open(copy, read_only=True) as st:
        assert _linked(st) == (2120, 2120)


def test_a_kept_file_is_removed_once_no_raw_table_reads_it(tmp_path, store):
    """Camps are replaced by a newer file of the same mission: the old file goes with them."""
    source = REFERENCE / "minusma_camps.csv"
    first = load_file(store, "camps", source)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    newer = tmp_path / "minusma_camps.csv"
    newer.write_text("".join(lines[:-1]), encoding="utf-8")  # one camp fewer
    second = load_file(store, "camps", newer)
    assert second.load_id != first.load_id
    names = {p.name for p in store.files.iterdir()}
    assert names == store.kept_in_use() == {f"{second.sha256}.csv"}
    assert not store.table_exists(f"raw_camps__load_{first.load_id}")


def test_tidy_removes_left_overs_and_unread_files_only(tmp_path):
    folder = tmp_path / "pw.duckdb.files"
    folder.mkdir()
    read, unread = "a" * 64 + ".csv", "b" * 64 + ".csv.gz"
    for name in (read, unread, "keep-x.part", "notes.txt"):
        (folder / name).write_text("x")
    assert keptfiles.tidy(folder, {read}) == sorted([unread, "keep-x.part"])
    assert sorted(p.name for p in folder.iterdir()) == [read, "notes.txt"]


def _big_file(path, n: int, changes: dict[int, dict[str, str]]):
    """`n` real Mali rows with new ids (id = 10,000,000 + data row index), in the country
    layout, with `changes` to some rows (by data row index); `MARK` becomes a Latin-1 byte."""
    header, rows = read_rows(GED_MALI)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=",\n")
        fh.write(",".join(header) + "\n")
        for i in range(n):
            row = {**rows[i % len(rows)], "id": str(10_000_000 + i), **changes.get(i, {})}
            writer.writerow([row.get(c, "") for c in header])
    path.write_bytes(path.read_bytes().replace(b"MARK", b"\xe9"))
    return path


@pytest.mark.slow
def test_rows_keep_their_numbers_when_the_file_is_read_in_parallel(tmp_path, store):
    """A file of many read buffers (DuckDB reads it on both cores, in pieces; one row in
    eight spans several lines): every event's source row is its row, counted independently;
    a broken row and a duplicate deep in the file are reported at their rows and shift
    nothing else."""
    # Row 90,002 (data row 90,000) gets a Latin-1 byte in a column the loader does not read;
    # row 100,002 repeats the id of row 100,001 (a duplicate: the first row keeps it).
    path = _big_file(
        tmp_path / "big.csv",
        120_000,
        {90_000: {"conflict_name": "MARK"}, 100_000: {"id": str(10_000_000 + 99_999)}},
    )
    report = load_file(store, "ucdp-ged", path)
    assert [(r.row, r.reason.split(":")[0]) for r in report.rejects] == [
        (90_002, "invalid encoding"),
        (100_002, "duplicate id (also on an earlier row)"),
    ]
    assert report.rows_loaded == 120_000 - 2
    # Before the broken row the source row is the row; after it, one less (rows are
    # numbered over the rows read, in `events.source_row` as in the raw rows).
    off = store.row(
        "SELECT count(*) FROM events, (SELECT CAST(source_event_id AS BIGINT) - 10000000 + 2 "
        "AS line) WHERE source_row <> line - CASE WHEN line > 90002 THEN 1 ELSE 0 END"
    )[0]
    assert off == 0
    assert _linked(store) == (120_000 - 2, 120_000 - 2)


def test_a_broken_line_sharing_its_id_with_a_good_line_is_rejected_not_doubled(tmp_path, store):
    """The rows are numbered through their ids; a line DuckDB rejects when every column is
    read (a bad byte in a column the loader does not use) must not come back through a read of
    fewer columns beside the good line of the same id."""
    header, rows = read_rows(GED_MALI)
    twin = dict(rows[1], conflict_name="MARK")  # a column the normaliser does not read
    path = write_country(tmp_path / "twin.csv", header, [rows[0], rows[1], twin, rows[2]])
    path.write_bytes(path.read_bytes().replace(b"MARK", b"\xe9"))
    report = load_file(store, "ucdp-ged", path)
    assert [r.row for r in report.rejects] == [4]
    assert report.rows_loaded == 3
    assert store.rows("SELECT source_row FROM events ORDER BY source_row") == [(2,), (3,), (4,)]
    assert _linked(store) == (3, 3)


def test_many_shared_ids_take_the_ordered_road(tmp_path, store):
    """More than a hundred ids shared: every row is read in order into a small table."""
    header, rows = read_rows(GED_MALI)
    twice = [r for r in rows[:150] for _ in range(2)]
    report = load_file(store, "ucdp-ged", write_country(tmp_path / "twice.csv", header, twice))
    assert report.rows_loaded == 150
    assert [r.row for r in report.rejects] == list(range(3, 302, 2))
    assert _linked(store) == (150, 150)


def test_keep_hashes_copies_and_checks_the_text_in_one_read(tmp_path, monkeypatch):
    """The sha256 and the UTF-8 verdict of the bytes, whatever the chunks split (3-byte chunks
    cut every accented character of the real Mali file somewhere)."""
    monkeypatch.setattr(keptfiles, "_CHUNK", 3)
    head = GED_MALI.read_bytes()[:20_000]
    good = tmp_path / "good.csv"
    good.write_bytes(head)
    kept = keptfiles.keep(good, tmp_path / "files")
    assert kept.sha256 == hashlib.sha256(head).hexdigest() and kept.utf8
    assert (tmp_path / "files" / kept.name).read_bytes() == head
    bad = tmp_path / "bad.csv"
    bad.write_bytes(head[:5_000] + b"\xe9" + head[5_000:])
    assert not keptfiles.keep(bad, tmp_path / "files").utf8
    cut = tmp_path / "cut.csv"
    cut.write_bytes(head + "é".encode()[:1])  # ends inside a character
    assert not keptfiles.keep(cut, tmp_path / "files").utf8


def test_numbering_from_the_ids_alone_equals_reading_every_field(tmp_path):
    """A UTF-8 file is numbered from its ids alone: the same rows, rejects and source rows
    as when the first pass reads every field (bad rows, a duplicate and multi-line rows)."""
    header, rows = read_rows(GED_MALI)
    rows = [dict(r) for r in rows[:300]]
    rows[10]["latitude"] = "123.5"
    rows[20]["id"] = rows[19]["id"]
    rows[30]["id"] = ""
    path = write_country(tmp_path / "mixed.csv", header, rows)
    found = []
    for every in (True, False):
        with Store.open(tmp_path / f"{every}.duckdb") as st:
            report = load_file(st, "ucdp-ged", path, LoadOptions(every_field=every))
            found.append(
                (
                    [(r.row, r.reason) for r in report.rejects],
                    st.rows("SELECT event_id, source_row, record_hash FROM events ORDER BY 1"),
                    _linked(st),
                )
            )
    assert found[0] == found[1]
    assert [r for r, _ in found[0][0]] == [12, 22, 32] and found[0][2] == (297, 297)
