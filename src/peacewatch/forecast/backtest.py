"""Backtests with the VIEWS prediction challenge's protocol, on country-month series.

For each year Y: use data up to October of Y-1 only and forecast January..December of Y
(horizons 3..14). Scores per model, year, horizon and unit (peacewatch.forecast.scoring), and a
paired bootstrap of each model's CRPS difference against each benchmark.
"""

from __future__ import annotations

import os
from datetime import date

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from peacewatch import panel
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import models, scoring
from peacewatch.loading import admin_map
from peacewatch.store import Store

TARGETS = {"sb": "fatalities_sb", "ns": "fatalities_ns", "os": "fatalities_os"}
DASK_ENV = "PEACEWATCH_DASK_SCHEDULER"
LEARNED = ("gbm_hurdle", "ensemble")
BENCHMARKS = ("zero", "last_value_poisson", "conflictology_12", "base_rate")


UNITS = ("country", "admin1")


def unit_series(
    store: Store,
    countries: list[str],
    target: str = "sb",
    unit: str = "country",
    end: date | None = None,
    presence: bool = False,
) -> pd.DataFrame:
    """unit, month, y (the target) and the other violence types, from the panels.

    `unit` is `country` or `admin1` (the admin-1 regions of each country, as loaded). With
    `presence`, a covariate `presence`: log(1 + average UN troops) deployed in the unit that
    year (Geo-PKO v2.3, every mission), 0 where none.
    """
    if unit not in UNITS:
        raise PeacewatchError(
            f"unit: {unit!r} is not one of {', '.join(UNITS)} (PRIO-GRID: not built yet)"
        )
    if target not in TARGETS:
        raise PeacewatchError(f"target: {target!r} is not one of sb, ns, os")
    frames = []
    for iso3 in countries:
        first, last = panel.default_range(store, iso3)
        frame = panel.panel(store, unit, iso3, date(first.year, 1, 1), end or last)
        frames.append(
            pd.DataFrame(
                {
                    "unit": frame["unit"] if unit == "admin1" else iso3,
                    "month": pd.to_datetime(frame["month"]),
                    "y": frame[TARGETS[target]].to_numpy(dtype=float),
                    **{
                        f"{k}_other": frame[v].to_numpy(dtype=float)
                        for k, v in TARGETS.items()
                        if k != target
                    },
                }
            )
        )
    data = pd.concat(frames, ignore_index=True)
    # Balance across countries (a country's series starts at its first event).
    grid = pd.MultiIndex.from_product(
        [sorted(data["unit"].unique()), sorted(data["month"].unique())], names=["unit", "month"]
    )
    data = data.groupby(["unit", "month"]).sum().reindex(grid, fill_value=0.0).reset_index()
    if presence:
        troops = troops_by_unit_year(store, countries, unit)
        data["year"] = data["month"].dt.year
        data = data.merge(troops, on=["unit", "year"], how="left").drop(columns="year")
        data["presence"] = np.log1p(data["troops"].fillna(0.0))
        data = data.drop(columns="troops")
    return data


def troops_by_unit_year(store: Store, countries: list[str], unit: str) -> pd.DataFrame:
    """unit, year, troops: Geo-PKO v2.3 average troops of the deployment locations in the unit."""
    deployed = store.con.execute(
        "SELECT year, latitude, longitude, country_iso3, coalesce(ave_no_troops, 0) AS troops "
        "FROM deployments WHERE dataset = 'geopko_v2.3' AND latitude IS NOT NULL"
    ).df()
    if unit == "country":
        deployed["unit"] = deployed["country_iso3"]
    else:
        located = admin_map(store, "SELECT latitude, longitude FROM deployments")
        deployed = deployed.merge(
            located[["latitude", "longitude", "admin1_code"]],
            on=["latitude", "longitude"],
            how="left",
        ).rename(columns={"admin1_code": "unit"})
    wanted = deployed[deployed["unit"].notna()]
    if unit == "country":
        wanted = wanted[wanted["unit"].isin(countries)]
    return pd.DataFrame(wanted.groupby(["unit", "year"], as_index=False)["troops"].sum())


def country_series(
    store: Store, countries: list[str], target: str = "sb", end: date | None = None
) -> pd.DataFrame:
    """Country-month series (see unit_series)."""
    return unit_series(store, countries, target, "country", end)


def origin_split(data: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """Only the months up to and including the origin: what a model may see."""
    return data[data["month"] <= origin].reset_index(drop=True)


def _job(
    data: pd.DataFrame, origin: pd.Timestamp, horizons: range, name: str
) -> list[dict[str, object]]:
    """One backtest job: one model at one origin (independent of every other job)."""
    history = origin_split(data, origin)
    last_month = data["month"].max()
    months = [m for m in (origin + pd.DateOffset(months=h) for h in horizons) if m <= last_month]
    if not months:
        return []
    actual = data[data["month"].isin(months)].set_index(["unit", "month"])["y"]
    model = models.REGISTRY[name]().fit(history)
    rows = []
    for unit, samples in model.predict(months).items():
        for i, month in enumerate(months):
            rows.append(
                {
                    "model": name,
                    "origin": origin,
                    "year": month.year,
                    "unit": unit,
                    "month": month,
                    "horizon": (month.year - origin.year) * 12 + month.month - origin.month,
                    "observed": float(actual[(unit, month)]),
                    "samples": samples[i],
                }
            )
    return rows


def fan_out(
    data: pd.DataFrame, jobs: list[tuple[pd.Timestamp, range, str]], n_jobs: int = 1
) -> list[list[dict[str, object]]]:
    """Run the jobs on the Dask cluster at PEACEWATCH_DASK_SCHEDULER if set, else with joblib.

    joblib runs `n_jobs` processes (1 = in this process). Every model has a fixed seed, so the
    results are the same whichever runs them.
    """
    address = os.environ.get(DASK_ENV)
    if address:
        from dask.distributed import Client  # noqa: PLC0415 - only when a cluster is set

        with Client(address) as client:
            shared = client.scatter(data, broadcast=True)
            futures = [client.submit(_job, shared, o, h, n, pure=False) for o, h, n in jobs]
            return list(client.gather(futures))
    if n_jobs == 1:
        return [_job(data, o, h, n) for o, h, n in jobs]
    return list(Parallel(n_jobs=n_jobs)(delayed(_job)(data, o, h, n) for o, h, n in jobs))


def backtest_origins(
    data: pd.DataFrame,
    origins: list[pd.Timestamp],
    horizons: range,
    model_names: list[str],
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Forecast rows (model, origin, unit, month, horizon, observed, samples) per origin.

    Each model sees only the months up to its origin; (model, origin) jobs fan out.
    """
    jobs = [(origin, horizons, name) for origin in origins for name in model_names]
    rows = [row for part in fan_out(data, jobs, n_jobs) for row in part]
    return pd.DataFrame(rows)


def yearly_backtest(
    data: pd.DataFrame, years: list[int], model_names: list[str], n_jobs: int = 1
) -> pd.DataFrame:
    """The challenge protocol: origin October of Y-1, forecasts for January..December of Y."""
    complete = [y for y in years if pd.Timestamp(y, 12, 1) <= data["month"].max()]
    origins = [pd.Timestamp(y - 1, 10, 1) for y in complete]
    return backtest_origins(data, origins, range(3, 15), model_names, n_jobs)


def stepwise_backtest(
    data: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    model_names: list[str],
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Every month from `first` to `last` as an origin, horizons 1..12."""
    origins = list(pd.date_range(first, last, freq="MS"))
    return backtest_origins(data, origins, range(1, 13), model_names, n_jobs)


def score_table(forecasts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Scores per group (e.g. model, unit; or model, year)."""
    out = []
    for key, part in forecasts.groupby(by):
        samples = np.stack(list(part["samples"]))
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        out.append({**row, **scoring.summary(samples, part["observed"].to_numpy())})
    return pd.DataFrame(out)


def paired_differences(
    forecasts: pd.DataFrame, model: str, reps: int = 999, seed: int = 5
) -> pd.DataFrame:
    """Mean CRPS of `model` minus each benchmark's, with a paired bootstrap 95% interval."""
    crps = {}
    for name, group in forecasts.groupby("model"):
        part = group.sort_values(["year", "unit", "month"])
        crps[name] = scoring.crps(np.stack(list(part["samples"])), part["observed"].to_numpy())
    rng = np.random.default_rng(seed)
    rows = []
    for bench in BENCHMARKS:
        if bench not in crps or model not in crps:
            continue
        diff = crps[model] - crps[bench]
        idx = rng.integers(0, len(diff), (reps, len(diff)))
        boot = diff[idx].mean(axis=1)
        rows.append(
            {
                "model": model,
                "benchmark": bench,
                "crps_difference": diff.mean(),
                "low": float(np.quantile(boot, 0.025)),
                "high": float(np.quantile(boot, 0.975)),
            }
        )
    return pd.DataFrame(rows)


def run(
    store: Store,
    countries: list[str],
    unit: str = "country",
    target: str = "sb",
    years: list[int] | None = None,
    mode: str = "yearly",
    n_jobs: int = 1,
) -> dict[str, pd.DataFrame]:
    """Run the backtest for the countries: tables by model x unit, year and horizon.

    `mode` is "yearly" (the challenge protocol) or "stepwise" (every month an origin,
    horizons 1..12).
    """
    data = unit_series(store, [c.upper() for c in countries], target, unit)
    years = years or list(range(2018, 2024))
    names = [*BENCHMARKS, *LEARNED]
    if mode == "yearly":
        forecasts = yearly_backtest(data, years, names, n_jobs)
    elif mode == "stepwise":
        forecasts = stepwise_backtest(
            data, pd.Timestamp(min(years), 1, 1), pd.Timestamp(max(years), 12, 1), names, n_jobs
        )
    else:
        raise PeacewatchError(f"mode: {mode!r} is not yearly or stepwise")
    if forecasts.empty:
        raise PeacewatchError("no year of the protocol has observed data for every month")
    return {
        "by_unit": score_table(forecasts, ["model", "unit"]),
        "by_year": score_table(forecasts, ["model", "year"]),
        "by_horizon": score_table(forecasts, ["model", "horizon"]),
        "differences": pd.concat(
            [paired_differences(forecasts, name) for name in LEARNED], ignore_index=True
        ),
        "forecasts": forecasts.drop(columns="samples"),
    }
