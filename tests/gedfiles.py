"""Helpers that write small GED-shaped files from the real rows (tests' own fixtures)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a GED country-download CSV (trailing comma dropped)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r, strict=False)) for r in reader]
    return header, rows


def write_country(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    """Country-download layout: as UCDP writes it, with the trailing comma."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        writer = csv.writer(fh, lineterminator=",\n")
        for r in rows:
            writer.writerow([r.get(c, "") for c in header])
    return path


def _iso(us_date: str) -> str:
    return datetime.strptime(us_date, "%m/%d/%Y %H:%M:%S").strftime("%Y-%m-%d %H:%M:%S.000")


def official_rows(header: list[str], rows: list[dict[str, str]]) -> tuple[list[str], list[dict]]:
    """The same rows in the bulk GEDEvent layout: best/low/high, ISO dates."""
    rename = {"best_est": "best", "low_est": "low", "high_est": "high"}
    new_header = [rename.get(c, c) for c in header]
    out = []
    for r in rows:
        o = {rename.get(k, k): v for k, v in r.items()}
        o["date_start"], o["date_end"] = _iso(r["date_start"]), _iso(r["date_end"])
        o["active_year"] = "1" if r["active_year"] == "True" else "0"
        out.append(o)
    return new_header, out


def write_official(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    """Bulk layout file (no trailing comma)."""
    new_header, new_rows = official_rows(header, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=new_header)
        writer.writeheader()
        writer.writerows(new_rows)
    return path


def write_api_page(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    """A UCDP API JSON page of the same rows (numbers as numbers, ISO dates)."""
    new_header, new_rows = official_rows(header, rows)
    result = []
    for r in new_rows:
        item: dict[str, object] = {}
        for k in new_header:
            v = r[k]
            if k in {"latitude", "longitude"}:
                item[k] = float(v)
            elif v.lstrip("-").isdigit() and k not in {"id", "relid"}:
                item[k] = int(v)
            else:
                item[k] = v
        item["date_start"] = str(r["date_start"])[:10] + "T00:00:00"
        item["date_end"] = str(r["date_end"])[:10] + "T00:00:00"
        result.append(item)
    page = {
        "TotalCount": len(result),
        "TotalPages": 1,
        "PreviousPageUrl": "",
        "NextPageUrl": "",
        "Result": result,
    }
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def synthetic_events(
    path: Path, sources: list[Path], rows: int, box: tuple[float, float, float, float], seed: int
) -> Path:
    """A GED-layout file of `rows` events resampled from real ones, moved and re-dated.

    Each row copies a real event (actors, types, deaths), gets a new id, a point drawn uniformly
    in `box` (min lon, min lat, max lon, max lat) and a day in 1989-2023: events spread over
    many PRIO-GRID cells and months, in UCDP's own layout, so the loader reads them as GED.
    """
    import random

    rng = random.Random(seed)
    header: list[str] = []
    real: list[dict[str, str]] = []
    for source in sources:
        header, found = read_rows(source)
        real += found
    lon0, lat0, lon1, lat1 = box
    out = []
    for i in range(rows):
        r = dict(rng.choice(real))
        lat, lon = round(rng.uniform(lat0, lat1), 6), round(rng.uniform(lon0, lon1), 6)
        day = datetime(1989, 1, 1).toordinal() + rng.randrange(12_784)  # to 2023-12-31
        when = datetime.fromordinal(day).strftime("%m/%d/%Y 00:00:00")
        r.update(
            {
                "id": str(90_000_000 + i),
                "year": when[6:10],
                "latitude": str(lat),
                "longitude": str(lon),
                "geom_wkt": f"POINT ({lon} {lat})",
                "priogrid_gid": "",
                "date_start": when,
                "date_end": when,
            }
        )
        out.append(r)
    return write_country(path, header, out)
