"""A peer comparison with the VIEWS ensemble's forecasts made in mid-2020.

VIEWS forecast, for every African country and month 2020-06..2023-07, the probability of at
least 25 state-based deaths (`average_basewthematic_sb`; month_id 1 = January 1980). With data up
to May 2020 only, peacewatch forecasts the same months; both, and the base rate, are scored with
the Brier score against the observed UCDP GED values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, models, scoring
from peacewatch.store import Store

ORIGIN = pd.Timestamp("2020-05-01")


def read_views(forecasts: Path, countries: Path) -> pd.DataFrame:
    """iso3, month, p_views (probability of >= 25 state-based deaths)."""
    for path in (forecasts, countries):
        if not path.is_file():
            raise PeacewatchError(f"{path}: no such file (VIEWS forecasts and country ids)")
    raw = pd.read_csv(forecasts)
    ids = pd.read_csv(countries)
    missing = {"month_id", "country_id", "average_basewthematic_sb"} - set(raw.columns)
    if missing:
        raise PeacewatchError(f"{forecasts}: missing columns {', '.join(sorted(missing))}")
    merged = raw.merge(ids, left_on="country_id", right_on="id", how="inner")
    month = pd.Timestamp("1980-01-01") + pd.to_timedelta(0, unit="D")
    months = [month + pd.DateOffset(months=int(m) - 1) for m in merged["month_id"]]
    return pd.DataFrame(
        {"iso3": merged["isoab"], "month": months, "p_views": merged["average_basewthematic_sb"]}
    )


def compare(store: Store, forecasts: Path, countries: Path, iso3s: tuple[str, ...]) -> pd.DataFrame:
    """Brier scores per country: VIEWS, peacewatch's hurdle model, conflictology-12, base rate."""
    views = read_views(forecasts, countries)
    views = views[views["iso3"].isin(iso3s)]
    series = backtest.country_series(store, list(iso3s))
    months = sorted(views["month"].unique())
    months = [m for m in months if m <= series["month"].max()]
    history = backtest.origin_split(series, ORIGIN)
    horizon = (months[-1].year - ORIGIN.year) * 12 + months[-1].month - ORIGIN.month
    ours: dict[str, models.Model] = {
        "peacewatch_gbm_hurdle": models.GradientBoostingHurdle(max_horizon=horizon),
        "conflictology_12": models.Conflictology(),
        "base_rate": models.BaseRate(),
    }
    probs = {name: m.fit(history).predict(months) for name, m in ours.items()}
    rows = []
    for iso3 in iso3s:
        observed = (
            series[(series["unit"] == iso3) & series["month"].isin(months)]
            .set_index("month")["y"]
            .reindex(months)
        )
        event = (observed.to_numpy() >= scoring.THRESHOLD).astype(float)
        p_views = views[views["iso3"] == iso3].set_index("month")["p_views"].reindex(months)
        row = {
            "country": iso3,
            "months": len(months),
            "observed_share_ge_25": event.mean(),
            "brier_views": float(np.mean((p_views.to_numpy() - event) ** 2)),
        }
        for name, samples in probs.items():
            p = (samples[iso3] >= scoring.THRESHOLD).mean(axis=1)
            row[f"brier_{name}"] = float(np.mean((p - event) ** 2))
        rows.append(row)
    return pd.DataFrame(rows)
