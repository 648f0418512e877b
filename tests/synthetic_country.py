"""A country the project has never been tuned on: synthetic GED and ACLED files in the sources'
real layouts and name patterns (the tests' own fixtures, written at test time).

The Central African Republic with MINUSCA: its government, a foreign force (Russia's, and the
Wagner Group in ACLED), the UN mission (ACLED only: GED never codes the UN), two armed groups
(UPC, 3R) and civilians. Counts are random (seeded) but every row is a row UCDP or ACLED could
have written: the same columns, the same name forms, coordinates inside the country.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from tests.conftest import ACLED_SAMPLE, GED_MALI
from tests.gedfiles import read_rows, write_country

COUNTRY, ISO3, GWNO, ISO_NUMERIC = "Central African Republic", "CAF", "482", "140"
GOVERNMENT = "Government of Central African Republic"
PREFECTURES = (
    ("Ouaka prefecture", "Bambari", 5.76, 20.67),
    ("Haute-Kotto prefecture", "Bria", 6.54, 21.99),
    ("Nana-Grebizi prefecture", "Kaga-Bandoro", 6.99, 19.18),
    ("Ouham-Pende prefecture", "Bocaranga", 7.01, 15.63),
    ("Basse-Kotto prefecture", "Alindao", 4.93, 21.21),
)
# (type_of_violence, side_a, side_b, share of events, deaths mean)
DYADS = (
    (1, GOVERNMENT, "UPC", 0.35, 4.0),
    (1, GOVERNMENT, "3R", 0.15, 3.0),
    (2, "3R", "UPC", 0.15, 3.0),
    (3, "UPC", "Civilians", 0.15, 2.5),
    (3, "3R", "Civilians", 0.10, 2.5),
    (3, GOVERNMENT, "Civilians", 0.10, 2.0),
)
SIDE_IDS = {GOVERNMENT: "66", "UPC": "5865", "3R": "5964", "Civilians": "1"}


def _priogrid(lat: float, lon: float) -> int:
    return int((lat + 90) // 0.5) * 720 + int((lon + 180) // 0.5) + 1


def write_ged(path: Path, seed: int = 7, start: int = 2012, end: int = 2023) -> Path:
    """A GED country-download file (UCDP's layout, trailing comma) of about 20 events a month."""
    header, _rows = read_rows(GED_MALI)
    rng = np.random.default_rng(seed)
    rows = []
    shares = np.array([d[3] for d in DYADS])
    day = date(start, 1, 1)
    event_id = 900000
    while day <= date(end, 12, 31):
        for _ in range(rng.poisson(20)):
            kind, side_a, side_b, _share, mean = DYADS[rng.choice(len(DYADS), p=shares)]
            adm1, place, lat, lon = PREFECTURES[rng.integers(len(PREFECTURES))]
            lat, lon = lat + rng.normal(0, 0.2), lon + rng.normal(0, 0.2)
            when = day + timedelta(days=int(rng.integers(28)))
            best = int(rng.poisson(mean))
            event_id += 1
            dyad = f"{side_a} - {side_b}"
            conflict = f"{COUNTRY}: Government" if kind == 1 else dyad
            stamp = when.strftime("%m/%d/%Y 00:00:00")
            rows.append(
                {
                    "id": str(event_id),
                    "relid": f"CAR-{when.year}-{kind}-{event_id}",
                    "year": str(when.year),
                    "active_year": "True",
                    "code_status": "Clear",
                    "type_of_violence": str(kind),
                    "conflict_dset_id": "400" if kind == 1 else "9001",
                    "conflict_new_id": "400" if kind == 1 else "9001",
                    "conflict_name": conflict,
                    "dyad_dset_id": "800",
                    "dyad_new_id": "800",
                    "dyad_name": dyad,
                    "side_a_dset_id": SIDE_IDS[side_a],
                    "side_a_new_id": SIDE_IDS[side_a],
                    "side_a": side_a,
                    "side_b_dset_id": SIDE_IDS[side_b],
                    "side_b_new_id": SIDE_IDS[side_b],
                    "side_b": side_b,
                    "number_of_sources": "1",
                    "source_article": "Corbeau News",
                    "source_office": "Corbeau News",
                    "source_date": when.isoformat(),
                    "source_headline": f"Attack near {place}",
                    "source_original": "",
                    "where_prec": "2",
                    "where_coordinates": f"{place} town",
                    "where_description": f"near {place}",
                    "adm_1": adm1,
                    "adm_2": f"{place} sub-prefecture",
                    "latitude": f"{lat:.4f}",
                    "longitude": f"{lon:.4f}",
                    "geom_wkt": f"POINT ({lon:.4f} {lat:.4f})",
                    "priogrid_gid": str(_priogrid(lat, lon)),
                    "country": COUNTRY,
                    "country_id": GWNO,
                    "region": "Africa",
                    "event_clarity": "1",
                    "date_prec": "1",
                    "date_start": stamp,
                    "date_end": stamp,
                    "deaths_a": "0",
                    "deaths_b": str(best) if kind != 3 else "0",
                    "deaths_civilians": str(best) if kind == 3 else "0",
                    "deaths_unknown": "0",
                    "best_est": str(best),
                    "high_est": str(best + 1),
                    "low_est": str(best),
                }
            )
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return write_country(path, header, rows)


ACLED_ACTORS = (
    # (event_type, sub_event_type, actor1, inter1, actor2, inter2, share)
    ("Battles", "Armed clash", "Military Forces of the Central African Republic (2016-)", "1",
     "UPC: Union for Peace in the Central African Republic", "2", 0.30),
    ("Battles", "Armed clash", "Wagner Group", "8",
     "3R: Return, Reclamation, Rehabilitation", "2", 0.15),
    ("Battles", "Armed clash", "3R: Return, Reclamation, Rehabilitation", "2",
     "MINUSCA: United Nations Multidimensional Integrated Stabilization Mission in the Central "
     "African Republic (2014-)", "8", 0.10),
    ("Violence against civilians", "Attack", "UPC: Union for Peace in the Central African "
     "Republic", "2", "Civilians (Central African Republic)", "7", 0.25),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED",
     "Unidentified Armed Group (Central African Republic)", "3",
     "MINUSCA: United Nations Multidimensional Integrated Stabilization Mission in the Central "
     "African Republic (2014-)", "8", 0.10),
    ("Violence against civilians", "Attack", "Police Forces of the Central African Republic "
     "(2016-)", "1", "Civilians (Central African Republic)", "7", 0.10),
)  # fmt: skip


def write_acled(path: Path, seed: int = 11, start: int = 2019, end: int = 2020) -> Path:
    """An ACLED export (HDX layout with its HXL row) of about 15 events a month."""
    with ACLED_SAMPLE.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header, hxl = next(reader), next(reader)
    rng = np.random.default_rng(seed)
    shares = np.array([a[6] for a in ACLED_ACTORS])
    rows = []
    day = date(start, 1, 1)
    n = 0
    while day <= date(end, 12, 31):
        for _ in range(rng.poisson(15)):
            kind, sub, a1, i1, a2, i2, _share = ACLED_ACTORS[
                rng.choice(len(ACLED_ACTORS), p=shares)
            ]
            adm1, place, lat, lon = PREFECTURES[rng.integers(len(PREFECTURES))]
            when = day + timedelta(days=int(rng.integers(28)))
            n += 1
            rows.append(
                {
                    "data_id": str(7000000 + n),
                    "iso": ISO_NUMERIC,
                    "event_id_cnty": f"CEN{n}",
                    "event_id_no_cnty": str(n),
                    "event_date": f"{when.day} {when:%B %Y}",
                    "year": str(when.year),
                    "time_precision": "1",
                    "event_type": kind,
                    "sub_event_type": sub,
                    "actor1": a1,
                    "assoc_actor_1": "",
                    "inter1": i1,
                    "actor2": a2,
                    "assoc_actor_2": "",
                    "inter2": i2,
                    "interaction": f"{min(i1, i2)}{max(i1, i2)}",
                    "region": "Middle Africa",
                    "country": COUNTRY,
                    "admin1": adm1.removesuffix(" prefecture"),
                    "admin2": place,
                    "admin3": "",
                    "location": place,
                    "latitude": f"{lat + rng.normal(0, 0.1):.4f}",
                    "longitude": f"{lon + rng.normal(0, 0.1):.4f}",
                    "geo_precision": "1",
                    "source": "Radio Ndeke Luka",
                    "source_scale": "National",
                    "notes": f"On {when:%d %B %Y}, clashes near {place}.",
                    "fatalities": str(int(rng.poisson(2))),
                    "timestamp": "1700000000",
                    "iso3": ISO3,
                }
            )
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(hxl)
        for r in rows:
            writer.writerow([r.get(c, "") for c in header])
    return path
