"""Presence effect while deployed: violence in PRIO-GRID cells with and without UN troops.

Cell x year panel of the country (cells whose centre lies in its admin-1 polygons); treatment
from Geo-PKO v2.3 (mission x location x year): `presence` = at least one deployment location of
the mission in the cell that year, `log_troops` = log(1 + average troops there, per map). The
outcome (default: civilian deaths, UCDP GED) is regressed on the treatment of the same year
(lag 0) and of the year before (lag 1), with cell and year fixed effects (Poisson, the estimator
and wild cluster bootstrap of peacewatch.analysis.impact, clustered by cell).

The published finding to compare with: UN troop presence is associated with less violence
against civilians (Hultman, Kathman & Shannon 2013, AJPS; Fjelde, Hultman & Nilsson 2019, IO,
at the local level). Deployments are not random (troops go where violence is), so this is an
association within cells over time, not a causal effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peacewatch import panel
from peacewatch.analysis.poisson import REPLICATIONS, SEED, Estimate, fit
from peacewatch.errors import PeacewatchError
from peacewatch.store import Store

PUBLISHED = (
    "UN troop presence is associated with less violence against civilians (Hultman, Kathman "
    "& Shannon 2013; Fjelde, Hultman & Nilsson 2019)"
)


def cell_year_panel(
    store: Store, country: str, mission: str, outcome: str = "civilian_fatalities"
) -> pd.DataFrame:
    """Unit (cell), month (1 Jan of the year), y, presence, log_troops; lag-1 columns too."""
    cells = [str(c) for c in panel.country_cells(store, country)]
    if not cells:
        raise PeacewatchError(f"no admin-1 boundaries for {country}: load them first")
    deployments = store.frame(
        "SELECT CAST(priogrid_gid AS VARCHAR) AS unit, year, count(*) AS locations, "
        "sum(coalesce(ave_no_troops, no_troops, 0)) AS troops FROM deployments "
        "WHERE mission = ? AND dataset = 'geopko_v2.3' GROUP BY ALL",
        [mission],
    )
    if deployments.empty:
        raise PeacewatchError(f"no Geo-PKO v2.3 deployments of {mission}: load FrontMap_v.2.3")
    first, last = int(deployments["year"].min()), int(deployments["year"].max())
    _start, end = panel.default_range(store, country)
    last = min(last, end.year)
    column = {
        "civilian_fatalities": "civilian_fatalities",
        "fatalities_best": "fatalities_best",
        "events": "1",
    }[outcome]
    counts = store.frame(
        f"SELECT CAST(priogrid_gid AS VARCHAR) AS unit, year(date_start) AS year, "
        f"sum({column}) AS y FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ? "
        f"AND year(date_start) BETWEEN ? AND ? GROUP BY ALL",
        [country, first, last],
    )
    grid = pd.MultiIndex.from_product([cells, range(first, last + 1)], names=["unit", "year"])
    frame = pd.DataFrame(index=grid).reset_index()
    frame = frame.merge(counts, on=["unit", "year"], how="left").merge(
        deployments, on=["unit", "year"], how="left"
    )
    frame["y"] = frame["y"].fillna(0).astype(int)
    frame["presence"] = (frame["locations"].fillna(0) > 0).astype(float)
    frame["log_troops"] = np.log1p(frame["troops"].fillna(0))
    frame = frame.sort_values(["unit", "year"])
    for col in ("presence", "log_troops"):
        frame[f"{col}_lag1"] = frame.groupby("unit")[col].shift(1)
    frame["month"] = pd.to_datetime(frame["year"].astype(str) + "-01-01")
    ever = frame.groupby("unit")["presence"].transform("max") > 0
    frame["kind"] = np.where(ever, "site", "control")
    return frame.reset_index(drop=True)


def _agreement(est: Estimate) -> str:
    if not np.isfinite(est.coef) or est.verdict().startswith("not estimable"):
        return "not estimable"
    if est.high < 0:
        return "agrees (less violence where troops are)"
    if est.low > 0:
        return "disagrees (more violence where troops are)"
    return "inconclusive (interval includes no association)"


def presence_effect(
    store: Store,
    country: str,
    mission: str,
    outcome: str = "civilian_fatalities",
    replications: int = REPLICATIONS,
    seed: int = SEED,
) -> pd.DataFrame:
    """Rate ratio and interval per treatment measure and lag, and agreement with the literature.

    One row per measure (presence, log troops) and lag (0, 1 year).
    """
    frame = cell_year_panel(store, country, mission, outcome)
    rows = []
    for measure in ("presence", "log_troops"):
        for lag, col in ((0, measure), (1, f"{measure}_lag1")):
            data = frame.dropna(subset=[col]).reset_index(drop=True)
            est = fit(data, pd.DataFrame({col: data[col]}), replications, seed)[col]
            rr, lo, hi = est.rate_ratio
            rows.append(
                {
                    "measure": measure,
                    "lag_years": lag,
                    "outcome": outcome,
                    "coef": est.coef,
                    "rate_ratio": rr,
                    "rr_low": lo,
                    "rr_high": hi,
                    "p_value": est.p_value,
                    "cells": est.clusters,
                    "cells_with_troops": int((data.groupby("unit")["presence"].max() > 0).sum()),
                    "years": f"{int(data['year'].min())}-{int(data['year'].max())}",
                    "published_finding": _agreement(est),
                }
            )
    return pd.DataFrame(rows)
