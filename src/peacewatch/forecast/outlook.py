"""Forecasts for the months after the last loaded month: quantiles and P(>= 25) per unit-month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, models, scoring
from peacewatch.store import Store


def forecast(
    store: Store,
    country: str,
    unit: str = "country",
    horizon: int = 12,
    model: str = "gbm_hurdle",
    target: str = "sb",
) -> pd.DataFrame:
    """Per unit and month after the data: mean, quantiles (5, 25, 50, 75, 95%), P(>= 25)."""
    if not 1 <= horizon <= 36:
        raise PeacewatchError(f"horizon: {horizon} is not between 1 and 36 months")
    if model not in models.REGISTRY:
        raise PeacewatchError(f"model: {model!r} is not one of {', '.join(models.REGISTRY)}")
    data = backtest.unit_series(store, [country.upper()], target, unit)
    origin = data["month"].max()
    months = [origin + pd.DateOffset(months=h) for h in range(1, horizon + 1)]
    kwargs = {"max_horizon": horizon} if model == "gbm_hurdle" else {}
    fitted = models.REGISTRY[model](**kwargs).fit(data)
    rows = []
    for name, samples in fitted.predict(months).items():
        q = np.quantile(samples, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
        for i, month in enumerate(months):
            rows.append(
                {
                    "unit": name,
                    "month": month,
                    "horizon": i + 1,
                    "mean": samples[i].mean(),
                    "q05": q[0, i],
                    "q25": q[1, i],
                    "median": q[2, i],
                    "q75": q[3, i],
                    "q95": q[4, i],
                    "p_ge_25": float((samples[i] >= scoring.THRESHOLD).mean()),
                    "model": model,
                    "origin": origin,
                    "target": target,
                }
            )
    frame = pd.DataFrame(rows)
    names = dict(store.con.execute("SELECT admin_code, name FROM admin_boundaries").fetchall())
    frame.insert(1, "unit_name", frame["unit"].map(names).fillna(frame["unit"]))
    return frame
