"""Choices made by the backtest itself, on validation years that end before each test year.

Every candidate configuration (model family and hyper-parameters: drift correction on or off,
window lengths, ensemble weights) is backtested at every yearly origin. For test year Y (origin
October of Y-1) the configuration of each country is the one with the lowest mean CRPS over
the `VALIDATION_YEARS` years before Y, scored only on months up to the test origin: the
validation year Y-1 is cut at October, because November and December were not yet known when
the forecast for Y was made. No person chooses from test scores; a test tampers with the test
years' outcomes and checks that the choices stay the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from peacewatch.forecast import backtest, calibration

VALIDATION_YEARS = 4
CRITERION = "crps"
SELECTED = "selected"
CALIBRATED = "calibrated"


@dataclass(frozen=True)
class Config:
    """One candidate: a registry model with its hyper-parameters, under a label.

    `covariates`: the model sees UN presence, UN fatalities and political events (the series'
    covariate columns); `teach`: it also trains on the `admin1` or `priogrid` series of the
    same countries (a country model taught by their regions or cells). See backtest.Job.
    """

    label: str
    model: str
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)
    covariates: bool = False
    teach: str = ""

    def job(
        self,
        origin: pd.Timestamp,
        horizons: range = range(3, 15),
        quantiles: int = 0,
        calibrations: tuple[tuple[float, float], ...] = (),
    ) -> backtest.Job:
        """The backtest job of the configuration at `origin` (the challenge's horizons 3-14)."""
        return backtest.Job(
            origin,
            horizons,
            self.model,
            self.options,
            quantiles,
            self.covariates,
            self.teach,
            calibrations,
        )


def _grid_hurdle(drift: bool) -> dict[str, object]:
    # Training on the last 5 years and a tenth of the quiet cell-months is for speed (ADR 012):
    # the grid has thousands of empty cells.
    return {"window": 60, "quiet_share": 0.1, "drift": drift}


def candidates(unit: str) -> list[Config]:
    """The configurations the backtest chooses from, for a unit type (benchmarks included).

    Listed before any test year was scored by them (the hurdle-NB `_nb` and one model per
    horizon `_by_horizon` joined in a later release, the list then fixed again); ties go to
    the earlier (simpler) entry. The covariates (`_cov`) and, for countries, the admin-1 series
    (`_pooled`) or the PRIO-GRID series (`_grid_taught`) as extra training data enter the
    forecast only where validation chooses them.
    """
    bench = [Config(name, name) for name in backtest.BENCHMARKS]
    if unit == "priogrid":
        hurdle, hurdle_drift = _grid_hurdle(False), _grid_hurdle(True)
        return [
            *bench,
            Config("negbin_12", "negbin", {"window": 12}),
            Config("analogue_12", "analogue", {"length": 12}),
            Config("gbm_hurdle", "gbm_hurdle", hurdle),
            Config("gbm_hurdle_drift", "gbm_hurdle", hurdle_drift),
            Config("ensemble_50", "ensemble", {"weight": 0.5, "hurdle": hurdle}),
            Config("gbm_hurdle_cov", "gbm_hurdle", hurdle, covariates=True),
            Config("gbm_hurdle_nb_drift", "gbm_hurdle", {**hurdle_drift, "size": "negbin"}),
        ]
    learned = [
        *(Config(f"negbin_{w}", "negbin", {"window": w}) for w in (6, 12, 24)),
        *(Config(f"analogue_{n}", "analogue", {"length": n}) for n in (6, 12)),
        Config("gbm_hurdle", "gbm_hurdle", {}),
        Config("gbm_hurdle_drift", "gbm_hurdle", {"drift": True}),
        *(
            Config(f"ensemble_{round(w * 100)}", "ensemble", {"weight": w, "hurdle": {}})
            for w in (0.25, 0.5, 0.75)
        ),
        Config("gbm_hurdle_cov", "gbm_hurdle", {}, covariates=True),
        Config("gbm_hurdle_nb", "gbm_hurdle", {"size": "negbin"}),
        Config("gbm_hurdle_nb_drift", "gbm_hurdle", {"size": "negbin", "drift": True}),
        Config("gbm_hurdle_by_horizon", "gbm_hurdle", {"per_horizon": True}),
    ]
    if unit == "country":
        learned += [
            Config("gbm_hurdle_pooled", "gbm_hurdle", {}, teach="admin1"),
            Config("gbm_hurdle_drift_pooled", "gbm_hurdle", {"drift": True}, teach="admin1"),
            # Taught by the countries' cells: the grid's training window and quiet-row share.
            Config("gbm_hurdle_grid_taught", "gbm_hurdle", _grid_hurdle(False), teach="priogrid"),
            Config(
                "gbm_hurdle_drift_grid_taught", "gbm_hurdle", _grid_hurdle(True), teach="priogrid"
            ),
        ]
    return [*bench, *learned]


def origin_for(year: int) -> pd.Timestamp:
    """The challenge's origin for forecast year `year`: October of the year before."""
    return pd.Timestamp(year - 1, 10, 1)


def validation_origins(year: int, n: int = VALIDATION_YEARS) -> list[pd.Timestamp]:
    """The origins of the `n` validation years before test year `year`."""
    return [origin_for(v) for v in range(year - n, year)]


def protocol_origins(years: list[int], n: int = VALIDATION_YEARS) -> list[pd.Timestamp]:
    """Every origin the protocol backtests: each test year's and its `n` validation years'."""
    return sorted(
        {o for y in years for o in validation_origins(y, n)} | {origin_for(y) for y in years}
    )


def run_configs(
    data: pd.DataFrame,
    origins: list[pd.Timestamp],
    configs: list[Config],
    n_jobs: int = 1,
    horizons: range = range(3, 15),
    done: Callable[[], None] | None = None,
    quantiles: int = 0,
) -> pd.DataFrame:
    """Scored forecast rows of every configuration at every origin, `model` = its label.

    `done` is called after each (configuration, origin) job; `quantiles` keeps that many
    quantiles per row (backtest._job).
    """
    jobs = [c.job(o, horizons, quantiles) for o in origins for c in configs]
    labels = [c.label for _o in origins for c in configs]
    parts = []
    for label, part in zip(labels, backtest.fan_out(data, jobs, n_jobs, done), strict=True):
        if not part.empty:
            part["model"] = label
            parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _scores(seen: pd.DataFrame) -> pd.DataFrame:
    """country, model, mean CRPS and months scored, of the rows validation may see."""
    table = pd.DataFrame(seen.groupby(["country", "model"], as_index=False)[CRITERION].mean())
    table["months"] = seen.groupby(["country", "model"])["month"].nunique().to_numpy()
    return table


def _best(scores: pd.DataFrame, by: list[str], order: list[str]) -> pd.DataFrame:
    """The row of lowest CRPS per group of `by`; a tie goes to the label earlier in `order`."""
    rank = scores["model"].map({label: i for i, label in enumerate(order)})
    ranked = scores.assign(rank=rank).sort_values([CRITERION, "rank"])
    return ranked.groupby(by).head(1).drop(columns="rank").sort_values(by)


def validation_scores(
    forecasts: pd.DataFrame, year: int, n: int = VALIDATION_YEARS
) -> pd.DataFrame:
    """country, model, score: mean validation CRPS before test year `year`.

    Rows from the `n` validation origins, months up to the test origin only.
    """
    seen = forecasts[
        forecasts["origin"].isin(validation_origins(year, n))
        & (forecasts["month"] <= origin_for(year))
    ]
    table = _scores(seen)
    table.insert(0, "year", year)
    return table


def choose(
    forecasts: pd.DataFrame, years: list[int], order: list[str], n: int = VALIDATION_YEARS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(choices, validation): the configuration per country and test year, and the scores.

    `order` lists the candidates' labels; a tie goes to the earlier one. A country-year whose
    validation years have no forecast (a series too short) gets no choice.
    """
    tables = [validation_scores(forecasts, year, n) for year in years]
    validation = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if validation.empty:
        return pd.DataFrame(), validation
    best = _best(validation, ["year", "country"], order)
    choices = pd.DataFrame(
        {
            "year": best["year"].to_numpy(),
            "country": best["country"].to_numpy(),
            "selected": best["model"].to_numpy(),
            "validation_crps": best[CRITERION].to_numpy(),
            "validation_months": best["months"].astype(int).to_numpy(),
        }
    )
    return choices, validation


def selected_rows(forecasts: pd.DataFrame, choices: pd.DataFrame) -> pd.DataFrame:
    """The test-year rows of each country's chosen configuration, as the model `selected`."""
    parts = []
    for year, country, label in zip(
        choices["year"], choices["country"], choices["selected"], strict=True
    ):
        part = forecasts[
            (forecasts["model"] == label)
            & (forecasts["country"] == country)
            & (forecasts["origin"] == origin_for(int(year)))
        ]
        parts.append(part.assign(model=SELECTED, config=str(label)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def calibration_jobs(
    choices: pd.DataFrame, origins: list[pd.Timestamp], n: int = VALIDATION_YEARS
) -> list[tuple[str, pd.Timestamp]]:
    """The (configuration, origin) pairs the calibration of `choices` reruns."""
    if choices.empty:
        return []
    return sorted(
        {
            (str(label), o)
            for year, label in zip(choices["year"], choices["selected"], strict=True)
            for o in [*validation_origins(int(year), n), origin_for(int(year))]
            if o in origins
        }
    )


def calibrate(
    data: pd.DataFrame,
    choices: pd.DataFrame,
    configs: list[Config],
    origins: list[pd.Timestamp],
    country_of: dict[str, str],
    n: int = VALIDATION_YEARS,
    n_jobs: int = 1,
    done: Callable[[], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(calibrations, rows): each choice recalibrated by its own validation years.

    The second step of the protocol: for test year Y and a country, the chosen configuration's
    forecasts at the validation origins are rescored under every calibration of
    calibration.FAMILY, and the one of lowest mean CRPS on the months up to the test origin is
    applied to the test year (the model `calibrated`; a tie keeps the earlier, the identity
    first). Only (configuration, origin) pairs some choice needs are rerun; `origins` are the
    protocol's, so the identity rows equal the first step's (every model has a fixed seed).
    """
    if choices.empty:
        return pd.DataFrame(), pd.DataFrame()
    by_label = {c.label: c for c in configs}
    needed = calibration_jobs(choices, origins, n)
    jobs = [by_label[label].job(o, calibrations=calibration.FAMILY) for label, o in needed]
    parts = []
    for (label, _o), part in zip(needed, backtest.fan_out(data, jobs, n_jobs, done), strict=True):
        if not part.empty:
            parts.append(part.assign(model=label))
    if not parts:
        return pd.DataFrame(), pd.DataFrame()
    rows = pd.concat(parts, ignore_index=True)
    rows["country"] = rows["unit"].map(country_of)
    table, chosen = [], []
    for year, country, label in zip(
        choices["year"], choices["country"], choices["selected"], strict=True
    ):
        mine = rows[(rows["model"] == label) & (rows["country"] == country)]
        seen = mine[
            mine["origin"].isin(validation_origins(int(year), n))
            & (mine["month"] <= origin_for(int(year)))
        ]
        if seen.empty:
            continue
        best, score, identity = calibration.lowest(seen, CRITERION)
        table.append(
            {
                "year": int(year),
                "country": country,
                "selected": label,
                "calibration": best,
                "validation_crps": score,
                "validation_crps_uncalibrated": identity,
            }
        )
        test = mine[(mine["origin"] == origin_for(int(year))) & (mine["calibration"] == best)]
        chosen.append(test.assign(model=CALIBRATED, config=f"{label} ({best})"))
    calibrated = pd.concat(chosen, ignore_index=True) if chosen else pd.DataFrame()
    return pd.DataFrame(table), calibrated.drop(columns="calibration", errors="ignore")


def choose_latest(
    data: pd.DataFrame,
    configs: list[Config],
    country_of: dict[str, str],
    n: int = VALIDATION_YEARS,
    n_jobs: int = 1,
) -> tuple[dict[str, str], pd.DataFrame]:
    """Each country's configuration for forecasting after the data, and the scores behind it.

    The same rule as for a test year: the yearly windows of the `n` years before the year after
    the last month (origins October of each year before), scored on the months in the data.
    """
    last = data["month"].max()
    origins = validation_origins(last.year + 1, n)
    every = run_configs(data, origins, configs, n_jobs)
    every["country"] = every["unit"].map(country_of)
    scores = _scores(every[every["month"] <= last])
    best = _best(scores, ["country"], [c.label for c in configs])
    return dict(zip(best["country"], best["model"], strict=True)), scores


def calibrate_latest(
    data: pd.DataFrame,
    config: Config,
    country: str,
    country_of: dict[str, str],
    n: int = VALIDATION_YEARS,
    n_jobs: int = 1,
) -> tuple[float, float]:
    """The calibration of `config` for forecasting `country` after the data.

    choose_latest's windows: the `n` yearly origins before the year after the last month,
    scored on the months in the data.
    """
    last = data["month"].max()
    jobs = [
        config.job(o, calibrations=calibration.FAMILY) for o in validation_origins(last.year + 1, n)
    ]
    parts = [p for p in backtest.fan_out(data, jobs, n_jobs) if not p.empty]
    if not parts:
        return calibration.IDENTITY
    rows = pd.concat(parts, ignore_index=True)
    seen = rows[(rows["unit"].map(country_of) == country) & (rows["month"] <= last)]
    if seen.empty:
        return calibration.IDENTITY
    return calibration.BY_LABEL[calibration.lowest(seen, CRITERION)[0]]
