import csv
import json

import pandas as pd
import pytest

from peacewatch import api, export
from peacewatch.errors import PeacewatchError


@pytest.fixture(scope="module")
def frame(mali_store):
    return api.events(mali_store, country="MLI", source="ucdp_ged", date_from="2023-01-01")


def test_csv_with_hxl_row(frame, tmp_path):
    out = tmp_path / "e.csv"
    export.export(frame, "csv", out, hxl=True)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["event_id", "source", "source_version", "date_start"]
    tags = dict(zip(rows[0], rows[1], strict=True))
    assert tags["event_id"] == "#event+code" and tags["fatalities_best"] == "#affected+killed"
    assert len(rows) == len(frame) + 2
    back = pd.read_csv(out, skiprows=[1])
    assert back["fatalities_best"].sum() == 2109  # Mali 2023, PROVENANCE.md


def test_geojson_points(frame, tmp_path):
    out = tmp_path / "e.geojson"
    export.export(frame, "geojson", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == len(frame)
    first = data["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == [
        frame["longitude"].iloc[0],
        frame["latitude"].iloc[0],
    ]
    assert first["properties"]["event_id"] == frame["event_id"].iloc[0]


def test_parquet_round_trip(frame, tmp_path):
    out = tmp_path / "e.parquet"
    export.export(frame, "parquet", out)
    back = pd.read_parquet(out)
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)


def test_bad_export_requests(frame, tmp_path):
    with pytest.raises(PeacewatchError, match="format"):
        export.export(frame, "xlsx", tmp_path / "x")
    with pytest.raises(PeacewatchError, match="CSV only"):
        export.export(frame, "geojson", tmp_path / "x", hxl=True)
    with pytest.raises(PeacewatchError, match="no such folder"):
        export.export(frame, "csv", tmp_path / "missing" / "x.csv")
    assert not list(tmp_path.glob("*.part"))


def _slices(frame, size):
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size].copy()
        part.attrs = {"spec": "the first slice's"} if start == 0 else {}
        yield part


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_frame_written_in_slices_is_the_file_written_whole(frame, tmp_path, fmt):
    whole, sliced = tmp_path / f"whole.{fmt}", tmp_path / f"sliced.{fmt}"
    first = frame.copy()
    first.attrs = {"spec": "the first slice's"}
    export.export(first, fmt, whole)
    rows, slices = export.export_chunks(_slices(frame, 100), fmt, sliced)
    assert rows == len(frame) and slices == -(-len(frame) // 100) > 3
    if fmt == "csv":
        assert sliced.read_bytes() == whole.read_bytes()
    else:
        a, b = pd.read_parquet(whole), pd.read_parquet(sliced)
        pd.testing.assert_frame_equal(a, b)
        assert b.attrs == {"spec": "the first slice's"}
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_failure_between_slices_leaves_no_file(frame, tmp_path, fmt):
    out = tmp_path / f"p.{fmt}"

    def failing():
        yield frame.iloc[:50]
        raise PeacewatchError("the store went away")

    with pytest.raises(PeacewatchError, match="went away"):
        export.export_chunks(failing(), fmt, out)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(PeacewatchError, match="needs --out"):
        export.export_chunks(iter([frame]), "parquet", None)
    with pytest.raises(PeacewatchError, match="not one of csv, parquet"):
        export.export_chunks(iter([frame]), "geojson", out)
