"""Forecasts for the months after the last loaded month: quantiles and P(>= 25) per unit-month."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from peacewatch import geo, results
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, calibration, models, protocol, scoring, selection
from peacewatch.store import Store


def cached_forecast(
    store: Store,
    country: str,
    unit: str = "country",
    horizon: int = 12,
    model: str = "gbm_hurdle",
    target: str = "sb",
) -> pd.DataFrame:
    """`forecast`, computed once per store generation (the briefing, web pages and CLI share it)."""
    args = (country.upper(), unit, horizon, model, target)
    frame = results.cached(store, "forecast", lambda: forecast(store, *args), *args)
    return frame.copy()


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
    chosen = (selection.SELECTED, selection.CALIBRATED)
    if model not in models.REGISTRY and model not in chosen:
        choices = ", ".join([*models.REGISTRY, *chosen])
        raise PeacewatchError(f"model: {model!r} is not one of {choices}")
    if model in chosen:
        data, months, predicted, model = _selected_samples(
            store, country.upper(), unit, horizon, target, model == selection.CALIBRATED
        )
    else:
        data = backtest.unit_series(store, [country.upper()], target, unit)
        months, predicted = _forecast_samples(data, horizon, model, backtest.HURDLE_OPTIONS[unit])
    origin = data["month"].max()
    rows = []
    for name, samples in predicted.items():
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
    names = dict(store.rows("SELECT admin_code, name FROM admin_boundaries"))
    frame.insert(1, "unit_name", [names.get(u, u) for u in frame["unit"]])
    if unit == "priogrid":
        # Cell centres, so the CSV drops straight into QGIS as points.
        centres = frame["unit"].map(lambda gid: geo.priogrid_centroid(int(gid)))
        frame.insert(2, "latitude", [c[0] for c in centres])
        frame.insert(3, "longitude", [c[1] for c in centres])
    return frame


SCENARIO_NOTE = (
    "A model-based what-if, not a causal estimate: the same model forecasts once with UN troop "
    "presence as it was and once with presence removed from the given month; the difference is "
    "what the model learned to associate with presence."
)


def _selected_samples(
    store: Store, iso3: str, unit: str, horizon: int, target: str, calibrate: bool = False
) -> tuple[pd.DataFrame, list, dict, str]:
    """Series, months, samples and label of the configuration validation chooses for now.

    The backtest's candidates and rule (selection.choose_latest): the one with the lowest
    mean CRPS over the 4 yearly windows before the year after the data, refitted on all data.
    `calibrate`: then recalibrated with the calibration those windows choose for it
    (selection.calibrate_latest), as the backtest's `calibrated`.
    """
    configs = selection.candidates(unit)
    data = protocol.candidate_series(store, [iso3], target, unit, configs)
    country_of = backtest.unit_countries(store, [iso3], unit)
    chosen, _scores = selection.choose_latest(data, configs, country_of)
    config = next(c for c in configs if c.label == chosen[iso3])
    options = dict(config.options)
    if config.model in ("gbm_hurdle", "analogue"):
        options["max_horizon"] = horizon
    elif config.model == "ensemble":
        hurdle = cast(dict[str, object], options.get("hurdle") or {})
        options["hurdle"] = {**hurdle, "max_horizon": horizon}
    origin = data["month"].max()
    months = [origin + pd.DateOffset(months=h) for h in range(1, horizon + 1)]
    history = backtest.seen_by(data, config.covariates, config.teach)
    predicted = models.REGISTRY[config.model](**options).fit(history).predict(months)
    series = backtest.seen_by(data, covariates=True, teach="")
    forecast_units = set(series["unit"])
    kept = {u: v for u, v in predicted.items() if u in forecast_units}
    if not calibrate:
        return series, months, kept, f"{selection.SELECTED}: {config.label}"
    recalibration = selection.calibrate_latest(data, config, iso3, country_of)
    kept = {u: calibration.transform(v, recalibration) for u, v in kept.items()}
    label = f"{selection.CALIBRATED}: {config.label} ({calibration.label(recalibration)})"
    return series, months, kept, label


def _forecast_samples(
    data: pd.DataFrame, horizon: int, model: str, hurdle: dict[str, object]
) -> tuple[list, dict]:
    """The months after the data and each unit's samples; `hurdle`: the hurdle's options."""
    origin = data["month"].max()
    months = [origin + pd.DateOffset(months=h) for h in range(1, horizon + 1)]
    kwargs = {**hurdle, "max_horizon": horizon} if model == "gbm_hurdle" else {}
    return months, models.REGISTRY[model](**kwargs).fit(data).predict(months)


def withdrawal_scenario(
    store: Store,
    country: str,
    removed_from: str,
    unit: str = "admin1",
    horizon: int = 12,
    model: str = "gbm_hurdle",
) -> pd.DataFrame:
    """Forecasts with UN presence as it was and removed from `removed_from`, per unit.

    Mean monthly deaths over the horizon under both, each with its 90% predictive interval,
    their difference, and P(>= 25) under both.
    """
    data = backtest.unit_series(store, [country.upper()], "sb", unit, presence=True)
    if data["presence"].sum() == 0:
        raise PeacewatchError(f"no Geo-PKO deployments in {country}: load FrontMap_v.2.3")
    cut = pd.Timestamp(removed_from)
    removed = data.copy()
    removed.loc[removed["month"] >= cut, "presence"] = 0.0
    # No drift correction here: when presence is removed before the hold-out year starts, the
    # two runs would measure drift in two different worlds, and the difference would no longer
    # be the presence feature's alone.
    _months, as_was = _forecast_samples(data, horizon, model, {})
    _months, without = _forecast_samples(removed, horizon, model, {})
    rows = []
    names = dict(store.rows("SELECT admin_code, name FROM admin_boundaries"))
    for name in sorted(as_was):
        # Per draw: the mean monthly deaths over the horizon, under each scenario.
        a, b = as_was[name].mean(axis=0), without[name].mean(axis=0)
        rows.append(
            {
                "unit": name,
                "unit_name": names.get(name, name),
                "presence_at_origin": float(data.loc[data["unit"] == name, "presence"].iloc[-1]),
                "mean_as_was": float(a.mean()),
                "as_was_low": float(np.quantile(a, 0.05)),
                "as_was_high": float(np.quantile(a, 0.95)),
                "mean_presence_removed": float(b.mean()),
                "removed_low": float(np.quantile(b, 0.05)),
                "removed_high": float(np.quantile(b, 0.95)),
                "difference": float(b.mean() - a.mean()),
                "p25_as_was": float((as_was[name] >= scoring.THRESHOLD).mean()),
                "p25_presence_removed": float((without[name] >= scoring.THRESHOLD).mean()),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = SCENARIO_NOTE
    return frame
