"""Export events as CSV (optionally with an HXL hashtag row), GeoJSON or Parquet.

Files are written whole: to a temporary file beside the target, then renamed. A frame too
big to hold at once is written from its slices (`export_chunks`): the same file, bounded memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from peacewatch import csvsafe
from peacewatch.errors import PeacewatchError
from peacewatch.schema import HXL_TAGS

FORMATS = ("csv", "geojson", "parquet")
# What `export_chunks` writes slice by slice.
CHUNKED_FORMATS = ("csv", "parquet")


def _tmp(out: Path) -> Path:
    return out.with_name(f".{out.name}.part")


def to_csv(frame: pd.DataFrame, out: Path | None, hxl: bool = False) -> None:
    """CSV with the common record's column names; `hxl` adds the hashtag row under the header.

    Text cells that a spreadsheet would run as formulas are neutralised (csvsafe).
    """
    frame = csvsafe.frame(frame)
    if hxl:
        tags = pd.DataFrame([[HXL_TAGS.get(c, "") for c in frame.columns]], columns=frame.columns)
        frame = pd.concat([tags, frame.astype(object)], ignore_index=True)
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return
    tmp = _tmp(out)
    frame.to_csv(tmp, index=False)
    tmp.replace(out)


def to_geojson(frame: pd.DataFrame, out: Path | None) -> None:
    """GeoJSON FeatureCollection (EPSG:4326); events without coordinates get a null geometry."""
    features = []
    props = frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
    records = json.loads(props.to_json(orient="records", date_format="iso"))
    for rec, lat, lon in zip(records, frame["latitude"], frame["longitude"], strict=True):
        geometry = None
        if pd.notna(lat) and pd.notna(lon):
            geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": rec})
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    tmp = _tmp(out)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


def _plain(value: object) -> object:
    """A JSON-ready form of a frame attribute (a panel's spec is a dataclass)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def to_parquet(frame: pd.DataFrame, out: Path | None) -> None:
    """Parquet (needs --out); the frame's attributes (e.g. the panel spec) go into its metadata."""
    if out is None:
        raise PeacewatchError("parquet export needs --out PATH")
    tmp = _tmp(out)
    data = frame.copy()
    data.attrs = json.loads(json.dumps(frame.attrs, default=_plain))
    data.to_parquet(tmp, index=False)
    tmp.replace(out)


def check(
    fmt: str, out: Path | None, hxl: bool = False, formats: tuple[str, ...] = FORMATS
) -> None:
    """Refuse a format not in `formats`, --hxl but not CSV, Parquet to stdout, a missing folder.

    Commands call it before any work, so a bad option costs nothing.
    """
    if fmt not in formats:
        raise PeacewatchError(f"format: {fmt!r} is not one of {', '.join(formats)}")
    if hxl and fmt != "csv":
        raise PeacewatchError("--hxl applies to CSV only")
    if fmt == "parquet" and out is None:
        raise PeacewatchError("parquet export needs --out PATH")
    if out is not None and not out.parent.exists():
        raise PeacewatchError(f"{out.parent}: no such folder")


def export(frame: pd.DataFrame, fmt: str, out: Path | None, hxl: bool = False) -> None:
    """Write `frame` in `fmt` to `out` (stdout when None, except parquet)."""
    check(fmt, out, hxl)
    if fmt == "csv":
        to_csv(frame, out, hxl)
    elif fmt == "geojson":
        to_geojson(frame, out)
    else:
        to_parquet(frame, out)


def export_chunks(frames: Iterable[pd.DataFrame], fmt: str, out: Path | None) -> tuple[int, int]:
    """Write the slices of one frame (same columns, in order) as one CSV or Parquet file.

    One slice is held at a time; the file appears only when the last slice is written (a
    failure leaves no file and no `.part`). The first slice's `attrs` go into Parquet's
    metadata as `to_parquet` writes them. Returns (rows, slices) written.
    """
    check(fmt, out, formats=CHUNKED_FORMATS)
    tmp = _tmp(out) if out is not None else None
    try:
        if fmt == "csv":
            written = _csv_chunks(iter(frames), tmp)
        else:
            written = _parquet_chunks(iter(frames), tmp)  # type: ignore[arg-type]
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    if tmp is not None and out is not None:
        tmp.replace(out)
    return written


def _csv_chunks(frames: Iterator[pd.DataFrame], tmp: Path | None) -> tuple[int, int]:
    rows = slices = 0
    with (
        open(tmp, "w", newline="", encoding="utf-8")
        if tmp
        else contextlib.nullcontext(sys.stdout) as handle
    ):
        for frame in frames:
            csvsafe.frame(frame).to_csv(handle, index=False, header=slices == 0)
            rows, slices = rows + len(frame), slices + 1
    return rows, slices


def _parquet_chunks(frames: Iterator[pd.DataFrame], tmp: Path) -> tuple[int, int]:
    """Write the slices as row groups; a thread writes one while the next is built.

    Parquet's encoder runs on one core (about half the panel command's time); writing slice n
    while the store and numpy build slice n + 1 overlaps the two. At most two slices are held.
    """
    rows = slices = 0
    writer: pq.ParquetWriter | None = None
    with ThreadPoolExecutor(1) as pool:
        pending: Future[None] | None = None
        try:
            for frame in frames:
                bare = frame.copy(deep=False)
                bare.attrs = {}  # written once, below, as `to_parquet` writes them
                table = pa.Table.from_pandas(bare, preserve_index=False)
                if writer is None:
                    attrs = json.dumps(frame.attrs, default=_plain)
                    schema = table.schema.with_metadata(
                        {**(table.schema.metadata or {}), b"PANDAS_ATTRS": attrs.encode()}
                    )
                    writer = pq.ParquetWriter(tmp, schema)
                table = table.replace_schema_metadata(writer.schema.metadata)
                del bare, frame  # the slice lives on as `table` only
                if pending is not None:
                    pending.result()  # the slice before is written (or its error raised)
                pending = pool.submit(writer.write_table, table)
                rows, slices = rows + table.num_rows, slices + 1
            if pending is not None:
                pending.result()
        finally:
            if pending is not None:
                pending.exception()  # wait: the writer is closed only once it is idle
            if writer is not None:
                writer.close()
    if writer is None:
        raise PeacewatchError("nothing to write: the panel has no rows")
    return rows, slices
