"""Export events as CSV (optionally with an HXL hashtag row), GeoJSON or Parquet.

Files are written whole: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pandas as pd

from peacewatch import csvsafe
from peacewatch.errors import PeacewatchError
from peacewatch.schema import HXL_TAGS

FORMATS = ("csv", "geojson", "parquet")


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


def export(frame: pd.DataFrame, fmt: str, out: Path | None, hxl: bool = False) -> None:
    """Write `frame` in `fmt` to `out` (stdout when None, except parquet)."""
    if fmt not in FORMATS:
        raise PeacewatchError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if hxl and fmt != "csv":
        raise PeacewatchError("--hxl applies to CSV only")
    if out is not None and not out.parent.exists():
        raise PeacewatchError(f"{out.parent}: no such folder")
    if fmt == "csv":
        to_csv(frame, out, hxl)
    elif fmt == "geojson":
        to_geojson(frame, out)
    else:
        to_parquet(frame, out)
