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

from peacewatch.forecast import backtest

VALIDATION_YEARS = 4
CRITERION = "crps"
SELECTED = "selected"


@dataclass(frozen=True)
class Config:
    """One candidate: a registry model with its hyper-parameters, under a label.

    `covariates`: the model sees UN presence, UN fatalities and political events (the series'
    covariate columns); `teach`: it also trains on the admin-1 series of the same countries
    (a country model taught by their regions). See backtest.Job.
    """

    label: str
    model: str
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)
    covariates: bool = False
    teach: bool = False


def _grid_hurdle(drift: bool) -> dict[str, object]:
    # Training on the last 5 years and a tenth of the quiet cell-months is for speed (ADR 012):
    # the grid has thousands of empty cells.
    return {"window": 60, "quiet_share": 0.1, "drift": drift}


def candidates(unit: str) -> list[Config]:
    """The configurations the backtest chooses from, for a unit type (benchmarks included).

    Listed before any test year was scored; ties go to the earlier (simpler) entry. The
    covariates (`_cov`) and, for countries, the admin-1 series as extra training data
    (`_pooled`) enter the forecast only where validation chooses them.
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
    ]
    if unit == "country":
        learned += [
            Config("gbm_hurdle_pooled", "gbm_hurdle", {}, teach=True),
            Config("gbm_hurdle_drift_pooled", "gbm_hurdle", {"drift": True}, teach=True),
        ]
    return [*bench, *learned]


def origin_for(year: int) -> pd.Timestamp:
    """The challenge's origin for forecast year `year`: October of the year before."""
    return pd.Timestamp(year - 1, 10, 1)


def validation_origins(year: int, n: int = VALIDATION_YEARS) -> list[pd.Timestamp]:
    """The origins of the `n` validation years before test year `year`."""
    return [origin_for(v) for v in range(year - n, year)]


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
    jobs = [
        backtest.Job(o, horizons, c.model, c.options, quantiles, c.covariates, c.teach)
        for o in origins
        for c in configs
    ]
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
