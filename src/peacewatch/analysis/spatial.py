"""Hotspots (Getis-Ord Gi*) and cross-border spillover.

Hotspots: Gi* (`esda.G_Local`, star=True, i.e. each unit counts in its own neighbourhood) on a
unit's yearly fatalities. Weights: queen contiguity (binary; shared edge or corner) between
admin-1 polygons or between PRIO-GRID cells (the 8 surrounding cells). Significance by 999
conditional permutations with a fixed seed; a unit is a hot spot when z > 0 and the pseudo
p-value < 0.05, a cold spot when z < 0 and p < 0.05. With few units (ten or so admin-1 regions)
the test has little power: use PRIO-GRID for detail.

Spillover: the country's monthly fatalities beside the monthly fatalities within 100 km of its
border on the neighbours' side, and their correlation at lags 0-6 months (neighbours after).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from esda.getisord import G_Local
from libpysal.weights import Queen

from peacewatch import geo
from peacewatch.indicators import border_points
from peacewatch.panel import country_cells
from peacewatch.store import Store

PERMUTATIONS = 999
SEED = 20231231


def _admin1_frame(store: Store, country: str, year: int) -> gpd.GeoDataFrame:
    rows = store.frame(
        """SELECT b.admin_code AS unit, b.name, b.geometry_wkb,
               coalesce(sum(e.fatalities_best), 0) AS fatalities
           FROM admin_boundaries b LEFT JOIN events e
             ON e.admin1_code = b.admin_code AND e.source = 'ucdp_ged'
            AND year(e.date_start) = ?
           WHERE b.country_iso3 = ? AND b.admin_level = 1
           GROUP BY ALL ORDER BY unit""",
        [year, country],
    )
    geometry = shapely.from_wkb(rows["geometry_wkb"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(rows.drop(columns="geometry_wkb"), geometry=geometry, crs=4326)


def _priogrid_frame(store: Store, country: str, year: int) -> gpd.GeoDataFrame:
    cells = country_cells(store, country)
    counts = dict(
        store.rows(
            "SELECT priogrid_gid, sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
            "AND country_iso3 = ? AND year(date_start) = ? GROUP BY 1",
            [country, year],
        )
    )
    polys = []
    for gid in cells:
        lat, lon = geo.priogrid_centroid(gid)
        polys.append(shapely.box(lon - 0.25, lat - 0.25, lon + 0.25, lat + 0.25))
    return gpd.GeoDataFrame(
        {
            "unit": [str(c) for c in cells],
            "name": [str(c) for c in cells],
            "fatalities": [float(counts.get(c, 0) or 0) for c in cells],
        },
        geometry=polys,
        crs=4326,
    )


def hotspots(store: Store, country: str, year: int, unit: str = "admin1") -> gpd.GeoDataFrame:
    """Gi* z-scores, pseudo p-values and hot/cold labels per unit for one year."""
    frame = (_admin1_frame if unit == "admin1" else _priogrid_frame)(store, country, year)
    frame["z"] = np.nan
    frame["p"] = np.nan
    frame["class"] = "not significant"
    if len(frame) < 3 or frame["fatalities"].sum() == 0:
        return frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
        stat = G_Local(
            frame["fatalities"].to_numpy(dtype=float),
            weights,
            star=True,
            permutations=PERMUTATIONS,
            seed=SEED,
        )
    frame["z"] = stat.Zs
    frame["p"] = stat.p_sim
    frame.loc[(frame["z"] > 0) & (frame["p"] < 0.05), "class"] = "hot spot"
    frame.loc[(frame["z"] < 0) & (frame["p"] < 0.05), "class"] = "cold spot"
    return frame


def spillover(store: Store, country: str, date_from: str, date_to: str) -> pd.DataFrame:
    """Monthly fatalities: the country, and within 100 km of its border on the other side."""
    points = border_points(store, country)
    with store.registered("_bp", points):
        frame = store.frame(
            """WITH months AS (
                   SELECT CAST(m AS DATE) AS month FROM generate_series(
                       date_trunc('month', ?::DATE), date_trunc('month', ?::DATE),
                       INTERVAL 1 MONTH) t(m)),
               own AS (SELECT CAST(date_trunc('month', date_start) AS DATE) AS month,
                          sum(fatalities_best) AS fatalities
                       FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ?
                       GROUP BY 1),
               across AS (SELECT CAST(date_trunc('month', e.date_start) AS DATE) AS month,
                              sum(e.fatalities_best) AS fatalities
                          FROM events e JOIN _bp b
                            ON b.latitude = e.latitude AND b.longitude = e.longitude
                          WHERE e.source = 'ucdp_ged' AND e.country_iso3 <> ? GROUP BY 1)
               SELECT m.month, coalesce(own.fatalities, 0) AS country_fatalities,
                   coalesce(across.fatalities, 0) AS border_fatalities_across
               FROM months m LEFT JOIN own USING (month) LEFT JOIN across USING (month)
               ORDER BY m.month""",
            [date_from, date_to, country, country],
        )
    return frame


def lagged_correlations(frame: pd.DataFrame, max_lag: int = 6) -> pd.DataFrame:
    """Correlation of the country's series with the neighbours' border series `lag` months on."""
    own = frame["country_fatalities"].astype(float)
    across = frame["border_fatalities_across"].astype(float)
    rows = []
    for lag in range(max_lag + 1):
        pair = pd.concat([own, across.shift(-lag)], axis=1).dropna()
        ok = len(pair) > 2 and pair.std().gt(0).all()
        value = float(pair.corr().to_numpy()[0, 1]) if ok else float("nan")
        rows.append({"lag_months": lag, "correlation": value, "months": len(pair)})
    return pd.DataFrame(rows)
