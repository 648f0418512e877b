"""PRIO-GRID ids, admin look-up by point in polygon, and great-circle distance."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

PRIOGRID_CELL = 0.5
PRIOGRID_COLUMNS = 720
EARTH_RADIUS_KM = 6371.0088


def priogrid_gid(lat: float, lon: float) -> int:
    """PRIO-GRID cell id.

    row = floor((lat+90)/0.5), col = floor((lon+180)/0.5), gid = row*720 + col + 1.
    """
    row = math.floor((lat + 90.0) / PRIOGRID_CELL)
    col = math.floor((lon + 180.0) / PRIOGRID_CELL)
    return row * PRIOGRID_COLUMNS + col + 1


def priogrid_sql(lat: str = "latitude", lon: str = "longitude") -> str:
    """The same formula as SQL over two columns (NULL where either is NULL)."""
    return (
        f"CAST(floor(({lat} + 90.0) / {PRIOGRID_CELL}) * {PRIOGRID_COLUMNS} "
        f"+ floor(({lon} + 180.0) / {PRIOGRID_CELL}) + 1 AS INTEGER)"
    )


def priogrid_centroid(gid: int) -> tuple[float, float]:
    """(lat, lon) of the centre of PRIO-GRID cell `gid`."""
    row, col = divmod(gid - 1, PRIOGRID_COLUMNS)
    return -90.0 + row * PRIOGRID_CELL + 0.25, -180.0 + col * PRIOGRID_CELL + 0.25


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def locate_points(
    lats: npt.ArrayLike, lons: npt.ArrayLike, polygons: Sequence[BaseGeometry]
) -> np.ndarray:
    """Index into `polygons` of the polygon containing each point (-1 where none does).

    Uses a shapely STRtree; a point on a shared edge goes to the polygon with the lowest index,
    so the answer is deterministic.
    """
    points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return result
    tree = shapely.STRtree(list(polygons))
    return _lowest_per_point(result, *tree.query(points, predicate="intersects"))


def _lowest_per_point(
    result: np.ndarray, point_idx: np.ndarray, poly_idx: np.ndarray
) -> np.ndarray:
    """For each point, the lowest polygon index among its hits (deterministic ties)."""
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.ones(len(point_idx), dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    result[point_idx[first]] = poly_idx[first]
    return result


def nearest_polygons(
    lats: npt.ArrayLike, lons: npt.ArrayLike, polygons: Sequence[BaseGeometry]
) -> np.ndarray:
    """Index into `polygons` of the polygon nearest to each point (planar degrees).

    For points just outside a simplified border: the nearest of one country's regions is the
    right one at these distances (a few km). Ties go to the lowest index.
    """
    points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return result
    tree = shapely.STRtree(list(polygons))
    return _lowest_per_point(result, *tree.query_nearest(points))


def priogrid_neighbours(gid: int, ring: int = 1) -> list[int]:
    """The cells at Chebyshev distance `ring` from a PRIO-GRID cell.

    Ring 1: the 8 touching cells (queen contiguity); ring 2: the 16 around those. Columns wrap
    at 180 degrees.
    """
    row, col = divmod(gid - 1, PRIOGRID_COLUMNS)
    out = []
    for dr in range(-ring, ring + 1):
        for dc in range(-ring, ring + 1):
            r = row + dr
            if max(abs(dr), abs(dc)) == ring and 0 <= r < 180 / PRIOGRID_CELL:
                out.append(r * PRIOGRID_COLUMNS + (col + dc) % PRIOGRID_COLUMNS + 1)
    return sorted(out)


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> np.ndarray:
    """Points on the unit sphere (for nearest-neighbour search by chord length)."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_to_km(chord: npt.ArrayLike) -> np.ndarray:
    """Great-circle distance in km for a chord length on the unit sphere."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2, 0, 1))
