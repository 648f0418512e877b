import csv
import math

import pytest

from peacewatch import geo
from tests.conftest import GED_BFA, GED_MALI


@pytest.mark.parametrize("path", [GED_MALI, GED_BFA])
def test_priogrid_formula_equals_ged_column_for_every_row(path):
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    mismatches = [
        r["id"]
        for r in rows
        if geo.priogrid_gid(float(r["latitude"]), float(r["longitude"])) != int(r["priogrid_gid"])
    ]
    assert mismatches == []


def test_priogrid_corners_and_centroid():
    assert geo.priogrid_gid(-90, -180) == 1
    assert geo.priogrid_gid(-89.9, -179.4) == 2
    assert geo.priogrid_gid(-89.4, -180) == 721
    gid = geo.priogrid_gid(16.2667, -0.05)  # Gao
    lat, lon = geo.priogrid_centroid(gid)
    assert geo.priogrid_gid(lat, lon) == gid
    assert abs(lat - 16.2667) <= 0.25 and abs(lon + 0.05) <= 0.25


def test_haversine_closed_form():
    # One degree of longitude on the equator is 2*pi*R/360.
    assert geo.haversine_km(0, 0, 0, 1) == pytest.approx(2 * math.pi * geo.EARTH_RADIUS_KM / 360)
    assert geo.haversine_km(10, 10, 10, 10) == 0


def test_locate_points_in_squares():
    from shapely.geometry import box

    squares = [box(0, 0, 1, 1), box(1, 0, 2, 1)]
    idx = geo.locate_points([0.5, 0.5, 5.0], [0.5, 1.5, 5.0], squares)
    assert idx.tolist() == [0, 1, -1]
