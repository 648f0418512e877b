"""Backtests with the VIEWS prediction challenge's protocol: the series and the jobs.

For each year Y: use data up to October of Y-1 only and forecast January..December of Y
(horizons 3..14). This module builds the unit-month series (units chosen without outcomes),
runs (model, origin) jobs and scores them (peacewatch.forecast.scoring); the protocol that
chooses configurations by validation and reports per country is peacewatch.forecast.protocol.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.spatial import cKDTree

from peacewatch import geo, panel
from peacewatch.enrich import admin_map
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import calibration, models, scoring
from peacewatch.missions import hosts, missions_of
from peacewatch.store import Store

TARGETS = {"sb": "fatalities_sb", "ns": "fatalities_ns", "os": "fatalities_os"}
DASK_ENV = "PEACEWATCH_DASK_SCHEDULER"
BENCHMARKS = ("zero", "last_value_poisson", "conflictology_12", "base_rate")


UNITS = ("country", "admin1", "priogrid")
# Timeline categories that are political decisions, not violence (a curated timeline lists
# attacks because they were deadly: as features they would leak the outcome).
POLITICAL = (
    "coup",
    "politics",
    "agreement",
    "mandate",
    "sanctions",
    "withdrawal",
    "foreign forces",
)


def unit_series(
    store: Store,
    countries: list[str],
    target: str = "sb",
    unit: str = "country",
    end: date | None = None,
    presence: bool = False,
    covariates: bool = False,
) -> pd.DataFrame:
    """unit, month, y (the target) and the other violence types, from the panels.

    `unit` is `country`, `admin1` (the admin-1 regions of each country, as loaded) or
    `priogrid` (0.5 degree cells whose centre lies in the country's polygons). The units are
    chosen without looking at outcomes (`unit_countries`): a cell outside the polygons is not
    forecast because events happened there. PRIO-GRID series also carry `nb_y`: the target in
    the 8 neighbouring cells, from every country's events in the store (a spatial lag that
    crosses borders).

    `presence` adds `presence`: log(1 + average UN troops) deployed in the unit (Geo-PKO v2.3,
    every mission) in the previous calendar year - the last figure known during the year, so
    the feature never looks ahead. `covariates` adds presence and, per country-month, UN
    peacekeeper fatalities (malicious acts) and political events from the timeline (coups,
    agreements, mandates, sanctions, withdrawal steps, foreign forces).
    """
    if unit not in UNITS:
        raise PeacewatchError(f"unit: {unit!r} is not one of {', '.join(UNITS)}")
    if target not in TARGETS:
        raise PeacewatchError(f"target: {target!r} is not one of sb, ns, os")
    frames: list[pd.DataFrame] = []
    country_of = unit_countries(store, countries, unit)
    for iso3 in countries:
        first, last = panel.default_range(store, iso3)
        frame = panel.panel(store, unit, iso3, date(first.year, 1, 1), end or last)
        units = frame["unit"] if unit != "country" else pd.Series(iso3, index=frame.index)
        frames.append(_target_frame(frame, units, target))
    data = pd.concat(frames, ignore_index=True)
    # Only the units chosen without outcomes; balanced across countries (a country's series
    # starts at its first event).
    data = data[data["unit"].isin(country_of)]
    grid = pd.MultiIndex.from_product(
        [sorted(country_of), sorted(data["month"].unique())], names=["unit", "month"]
    )
    data = data.groupby(["unit", "month"]).sum().reindex(grid, fill_value=0.0).reset_index()
    if unit == "priogrid":
        data = data.merge(
            neighbour_series(store, sorted(data["unit"].unique()), target, end),
            on=["unit", "month"],
            how="left",
        )
        data[["nb_y", "nb2_y"]] = data[["nb_y", "nb2_y"]].fillna(0.0)
        data["nb_dist_km"] = data["nb_dist_km"].fillna(FAR_KM)
    if presence or covariates:
        troops = troops_by_unit_year(store, countries, unit)
        data["year"] = data["month"].dt.year - 1
        data = data.merge(troops, on=["unit", "year"], how="left").drop(columns="year")
        data["presence"] = np.log1p(data["troops"].fillna(0.0))
        data = data.drop(columns="troops")
    if covariates:
        data["country"] = data["unit"].map(country_of)
        monthly = country_covariates(store, countries)
        data = data.merge(monthly, on=["country", "month"], how="left").drop(columns="country")
        data[["un_fatalities", "political_events"]] = data[
            ["un_fatalities", "political_events"]
        ].fillna(0.0)
    return data


def unit_countries(store: Store, countries: list[str], unit: str) -> dict[str, str]:
    """The units forecast for the countries and the country of each, chosen without outcomes.

    Countries are themselves; admin-1 units are the loaded regions (not the panel's
    "outside loaded boundaries" unit, which exists only where events are); PRIO-GRID cells
    are those whose centre lies in the country's loaded admin-1 polygons, whatever happened in
    them (issue 15: choosing cells because they had events is choosing on the outcome).
    """
    out: dict[str, str] = {}
    for iso3 in countries:
        if unit == "country":
            names = [iso3]
        elif unit == "admin1":
            names = list(dict.fromkeys(store.admin1_polygons(iso3)["admin_code"]))
        else:
            names = [str(cell) for cell in panel.country_cells(store, iso3)]
        if not names:
            raise PeacewatchError(
                f"{iso3}: no admin-1 boundaries loaded, so no {unit} units to forecast "
                "(load boundaries FILE, or use --unit country)"
            )
        for name in names:
            out.setdefault(name, iso3)
    return out


def _target_frame(frame: pd.DataFrame, units: pd.Series, target: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": units,
            "month": pd.to_datetime(frame["month"]),
            "y": frame[TARGETS[target]].to_numpy(dtype=float),
            **{
                f"{k}_other": frame[v].to_numpy(dtype=float)
                for k, v in TARGETS.items()
                if k != target
            },
        }
    )


FAR_KM = 1000.0


def neighbour_series(
    store: Store, cells: list[str], target: str, end: date | None = None
) -> pd.DataFrame:
    """unit, month and three spatial lags of the target, any country's events counted.

    `nb_y`: the target in the 8 touching cells; `nb2_y`: in the 16 cells around those;
    `nb_dist_km`: distance from the cell's centre to the nearest cell with a death in the last
    12 months up to that month (capped at FAR_KM). Built from every UCDP GED event in the store
    with a cell (the panels' precision rule), so a border cell sees the fighting across
    the border in the neighbouring countries when they are loaded. Month t uses months
    <= t only.
    """
    violence = {"sb": 1, "ns": 2, "os": 3}[target]
    scope = "" if end is None else f" AND date_start <= DATE '{end.isoformat()}'"
    sparse = store.frame(
        "SELECT priogrid_gid AS gid, CAST(date_trunc('month', date_start) AS DATE) AS month, "
        "sum(fatalities_best) AS deaths FROM events WHERE source = 'ucdp_ged' "
        f"AND violence_type = {violence} AND priogrid_gid IS NOT NULL "
        f"AND NOT ({panel.IMPRECISE}){scope} GROUP BY ALL"
    )
    sparse["month"] = pd.to_datetime(sparse["month"])
    by_cell = sparse.pivot_table(
        index="month", columns="gid", values="deaths", aggfunc="sum", fill_value=0
    )
    if by_cell.empty:
        empty = {"unit": [], "month": pd.to_datetime([]), "nb_y": [], "nb2_y": []}
        return pd.DataFrame({**empty, "nb_dist_km": []})
    by_cell = by_cell.reindex(pd.date_range(by_cell.index.min(), by_cell.index.max(), freq="MS"))
    by_cell = by_cell.fillna(0.0)
    gids = [int(c) for c in cells]
    out = pd.DataFrame(
        {"unit": np.repeat(cells, len(by_cell)), "month": np.tile(by_cell.index, len(cells))}
    )
    for name, ring in (("nb_y", 1), ("nb2_y", 2)):
        columns = []
        for gid in gids:
            around = [g for g in geo.priogrid_neighbours(gid, ring) if g in by_cell.columns]
            columns.append(by_cell[around].sum(axis=1).to_numpy())
        out[name] = np.concatenate(columns)
    out["nb_dist_km"] = _distance_to_recent(by_cell, gids).T.ravel()
    return out


def _distance_to_recent(by_cell: pd.DataFrame, gids: list[int]) -> np.ndarray:
    """Months x cells: km to the nearest cell with deaths in the trailing 12 months."""
    recent = by_cell.rolling(12, min_periods=1).sum().to_numpy() > 0
    centres = np.array([geo.priogrid_centroid(int(g)) for g in by_cell.columns])
    targets = geo.unit_vectors(*np.array([geo.priogrid_centroid(g) for g in gids]).T)
    points = geo.unit_vectors(centres[:, 0], centres[:, 1])
    out = np.full((len(by_cell), len(gids)), FAR_KM)
    for i, active in enumerate(recent):
        if active.any():
            chord, _ = cKDTree(points[active]).query(targets)
            out[i] = np.minimum(geo.chord_to_km(chord), FAR_KM)
    return out


def country_covariates(store: Store, countries: list[str]) -> pd.DataFrame:
    """country, month, un_fatalities (malicious acts), political_events (see POLITICAL)."""
    missions = [m for c in countries for m in missions_of(c)]
    killed = store.frame(
        "SELECT mission, CAST(date_trunc('month', incident_date) AS DATE) AS month, "
        "count(*) AS un_fatalities FROM un_fatalities WHERE malicious "
        "AND mission IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL",
        [missions],
    )
    killed["country"] = killed["mission"].map(hosts())
    killed = pd.DataFrame(
        killed.groupby(["country", "month"], as_index=False)["un_fatalities"].sum()
    )
    political = store.frame(
        "SELECT country_iso3 AS country, CAST(date_trunc('month', date) AS DATE) AS month, "
        "count(*) AS political_events FROM timeline "
        "WHERE category IN (SELECT unnest(?::VARCHAR[])) AND date IS NOT NULL GROUP BY ALL",
        [list(POLITICAL)],
    )
    out = killed.merge(political, on=["country", "month"], how="outer")
    out["month"] = pd.to_datetime(out["month"])
    return out


def troops_by_unit_year(store: Store, countries: list[str], unit: str) -> pd.DataFrame:
    """unit, year, troops: Geo-PKO v2.3 average troops of the deployment locations in the unit."""
    deployed = store.frame(
        "SELECT year, latitude, longitude, country_iso3, priogrid_gid, "
        "coalesce(ave_no_troops, 0) AS troops "
        "FROM deployments WHERE dataset = 'geopko_v2.3' AND latitude IS NOT NULL"
    )
    if unit == "country":
        deployed["unit"] = deployed["country_iso3"]
    elif unit == "priogrid":
        deployed["unit"] = deployed["priogrid_gid"].astype("Int64").astype(str)
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


COVARIATES = ("presence", "un_fatalities", "political_events")
TEACH = "teach:"


@dataclass(frozen=True)
class Job:
    """One (model, origin) job and what its model may see.

    `options` are the model's hyper-parameters; `quantiles` > 0 keeps that many quantiles per
    forecast (levels (i + 0.5) / n, float32) for stacking. `covariates`: the model sees the
    series' covariate columns (COVARIATES), else they are dropped. `teach`: the model also
    trains on the series' teaching units (named `teach:...`: e.g. admin-1 series that teach a
    country model; `teach` names the kind, admin1 or priogrid, empty for none); they are never
    forecast or scored. `calibrations`: score the samples under
    each of these (level, spread) recalibrations too (peacewatch.forecast.calibration), one
    set of rows each with its `calibration` label.
    """

    origin: pd.Timestamp
    horizons: range
    name: str
    options: dict[str, object] | None = None
    quantiles: int = 0
    covariates: bool = True
    teach: str = ""
    calibrations: tuple[tuple[float, float], ...] = ()


def teaching_name(kind: str, unit: object) -> str:
    """The name of a teaching unit: `teach:<kind>:<unit>` (kind: admin1 or priogrid)."""
    return f"{TEACH}{kind}:{unit}"


def seen_by(history: pd.DataFrame, covariates: bool, teach: str) -> pd.DataFrame:
    """What a model may see of a series (see Job).

    The covariate columns are dropped unless the model is given them; of the teaching units,
    only those of the kind `teach` names are kept (none when it is empty).
    """
    if not covariates:
        history = history.drop(columns=[c for c in COVARIATES if c in history])
    units = history["unit"].astype(str)
    taught = units.str.startswith(teaching_name(teach, "")) if teach else False
    return history[~units.str.startswith(TEACH) | taught]


def _job(data: pd.DataFrame, job: Job) -> pd.DataFrame:
    """One backtest job: one model at one origin (independent of every other job).

    Returns one row per unit-month with each score's contribution (scoring.pointwise), so the
    1,000 samples per forecast are dropped here: a PRIO-GRID backtest holds millions of them.
    """
    origin = job.origin
    history = seen_by(origin_split(data, origin), job.covariates, job.teach)
    last_month = data["month"].max()
    months = [
        m for m in (origin + pd.DateOffset(months=h) for h in job.horizons) if m <= last_month
    ]
    if not months:
        return pd.DataFrame()
    actual = data[data["month"].isin(months)].set_index(["unit", "month"])["y"]
    model = models.REGISTRY[job.name](**(job.options or {})).fit(history)
    predicted = model.predict(months)
    units = [u for u in predicted if not str(u).startswith(TEACH)]
    samples = np.concatenate([predicted[u] for u in units])
    rows = pd.DataFrame(
        {
            "model": job.name,
            "origin": origin,
            "unit": np.repeat(units, len(months)),
            "month": np.tile(np.array(months, dtype="datetime64[ns]"), len(units)),
        }
    )
    rows["year"] = rows["month"].dt.year
    rows["horizon"] = (rows["month"].dt.year - origin.year) * 12 + (
        rows["month"].dt.month - origin.month
    )
    rows["observed"] = actual.reindex(pd.MultiIndex.from_frame(rows[["unit", "month"]])).to_numpy(
        dtype=float
    )
    if job.calibrations:
        return calibration.scored_variants(rows, samples, job.calibrations)
    scored = pd.concat([rows, scoring.pointwise(samples, rows["observed"].to_numpy())], axis=1)
    if job.quantiles:
        levels = (np.arange(job.quantiles) + 0.5) / job.quantiles
        scored["quantiles"] = list(np.quantile(samples, levels, axis=1).T.astype(np.float32))
    return scored


def fan_out(
    data: pd.DataFrame,
    jobs: list[Job],
    n_jobs: int = 1,
    done: Callable[[], None] | None = None,
) -> list[pd.DataFrame]:
    """Run the jobs on the Dask cluster at PEACEWATCH_DASK_SCHEDULER if set, else with joblib.

    joblib runs `n_jobs` processes (1 = in this process). Every model has a fixed seed, so the
    results are the same whichever runs them. `done` is called after each job (a progress bar).
    """
    tick = done or (lambda: None)
    address = os.environ.get(DASK_ENV)
    if address:
        from dask.distributed import Client, as_completed  # noqa: PLC0415 - only with a cluster

        with Client(address) as client:
            shared = client.scatter(data, broadcast=True)
            futures = [client.submit(_job, shared, job, pure=False) for job in jobs]
            for _future in as_completed(futures):
                tick()
            return list(client.gather(futures))
    out: list[pd.DataFrame] = []
    if n_jobs == 1:
        for job in jobs:
            out.append(_job(data, job))
            tick()
        return out
    for part in Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_job)(data, job) for job in jobs
    ):
        out.append(part)
        tick()
    return out


def backtest_origins(
    data: pd.DataFrame,
    origins: list[pd.Timestamp],
    horizons: range,
    model_names: list[str],
    n_jobs: int = 1,
    options: dict[str, dict[str, object]] | None = None,
) -> pd.DataFrame:
    """Scored forecast rows (model, origin, unit, month, horizon, observed, scores) per origin.

    Each model sees only the months up to its origin; (model, origin) jobs fan out.
    `options` gives a model's hyper-parameters by name (e.g. the grid's training window).
    """
    options = options or {}
    jobs = [Job(o, horizons, n, options.get(n)) for o in origins for n in model_names]
    parts = [part for part in fan_out(data, jobs, n_jobs) if not part.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def yearly_backtest(
    data: pd.DataFrame,
    years: list[int],
    model_names: list[str],
    n_jobs: int = 1,
    options: dict[str, dict[str, object]] | None = None,
) -> pd.DataFrame:
    """The challenge protocol: origin October of Y-1, forecasts for January..December of Y."""
    complete = [y for y in years if pd.Timestamp(y, 12, 1) <= data["month"].max()]
    origins = [pd.Timestamp(y - 1, 10, 1) for y in complete]
    return backtest_origins(data, origins, range(3, 15), model_names, n_jobs, options)


def stepwise_backtest(
    data: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    model_names: list[str],
    n_jobs: int = 1,
    options: dict[str, dict[str, object]] | None = None,
) -> pd.DataFrame:
    """Every month from `first` to `last` as an origin, horizons 1..12."""
    origins = list(pd.date_range(first, last, freq="MS"))
    return backtest_origins(data, origins, range(1, 13), model_names, n_jobs, options)


def score_table(forecasts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Scores per group (e.g. model, unit; or model, year), from the scored forecast rows."""
    out = []
    for key, part in forecasts.groupby(by):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        out.append({**row, **scoring.aggregate(part, part["observed"].to_numpy())})
    return pd.DataFrame(out)


# The hurdle's hyper-parameters by unit type for `peacewatch forecast` and the briefing's
# outlook (the backtest chooses its own by validation: peacewatch.forecast.selection).
# PRIO-GRID: ~550 cells x 400 months x 14 horizons is too much to train on whole; the hurdle
# learns from the last 5 years and a tenth of the quiet cell-months, weighted up (ADR 012).
HURDLE_OPTIONS: dict[str, dict[str, object]] = {
    "country": {},
    "admin1": {"drift": True},
    "priogrid": {"window": 60, "quiet_share": 0.1, "drift": True},
}


def data_release(store: Store) -> str:
    """The UCDP GED files and releases behind the events in the store (pinned in every result)."""
    rows = store.rows(
        "SELECT DISTINCT file_name, release, substr(sha256, 1, 12) FROM loads "
        "WHERE source = 'ucdp_ged' AND load_id IN (SELECT DISTINCT load_id FROM events) "
        "ORDER BY 1"
    )
    return "; ".join(f"{name} ({release}, sha256 {sha}...)" for name, release, sha in rows)
