"""The backtest as a forecaster would trust it: choices by validation, results per country.

`run` backtests every candidate configuration (peacewatch.forecast.selection) at the yearly
origins of the test years and of the validation years before them, lets validation choose each
country's configuration for each test year (the model `selected`), and reports every model per
country, per year and pooled, with block-bootstrap intervals per country and the goals of
issue 15 checked plainly.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, blocks, scoring, selection, stacking
from peacewatch.store import Store

REFERENCES = ("conflictology_12", "zero")
STACKED_UNITS = ("country", "admin1")

# (score, benchmark, largest ratio of means) per unit type: issue 15's goals, set from the VIEWS
# 2023/24 challenge's best entries over the same test years.
SKILL_GOALS: dict[str, list[tuple[str, str, float]]] = {
    "country": [
        ("crps", "conflictology_12", 0.90),
        ("ignorance", "conflictology_12", 0.88),
        ("interval_score_90", "conflictology_12", 0.88),
    ],
    "priogrid": [("crps", "zero", 0.95), ("ignorance", "conflictology_12", 0.85)],
}
COVERAGE_GOAL = (0.85, 0.95)
LEVEL_GOAL = (0.8, 1.25)


def score_table(forecasts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Scores per group, and the configurations behind the group's forecasts (`config`)."""
    table = backtest.score_table(forecasts, by)
    table["config"] = ["/".join(sorted(set(part["config"]))) for _k, part in forecasts.groupby(by)]
    return table


def goals(
    tables: dict[str, pd.DataFrame], unit: str, model: str = selection.SELECTED
) -> pd.DataFrame:
    """Per country: each goal of issue 15 for `model`, its measured value and whether it is met."""
    rows: list[dict[str, object]] = []
    by_country = tables["by_country"].set_index(["model", "country"])
    by_year = tables["by_country_year"]
    diffs = tables["differences"]
    for country in sorted(by_country.index.get_level_values("country").unique()):
        if (model, country) not in by_country.index:
            continue
        ours = by_country.loc[(model, country)]
        for score, bench, ratio in SKILL_GOALS.get(unit, []):
            theirs = by_country.loc[(bench, country), score]
            value = float(ours[score] / theirs) if theirs else float("nan")
            rows.append(
                _goal(
                    model, country, f"{score} / {bench}", value, f"<= {ratio:.2f}", value <= ratio
                )
            )
        if unit == "country":
            crps = diffs[
                (diffs["country"] == country)
                & (diffs["model"] == model)
                & (diffs["benchmark"] == "conflictology_12")
                & (diffs["score"] == "crps")
            ]
            if not crps.empty:
                high = float(crps["high"].iloc[0])
                rows.append(
                    _goal(
                        model,
                        country,
                        "crps - conflictology_12: 95% upper bound",
                        high,
                        "< 0",
                        high < 0,
                    )
                )
        low, high = COVERAGE_GOAL
        cover = float(ours["pit_coverage_90"])
        rows.append(
            _goal(
                model, country, "90% coverage (PIT)", cover, f"{low}-{high}", low <= cover <= high
            )
        )
        low, high = LEVEL_GOAL
        level = float(ours["level_ratio"])
        rows.append(
            _goal(model, country, "level ratio", level, f"{low}-{high}", low <= level <= high)
        )
        yearly = by_year[(by_year["model"] == model) & (by_year["country"] == country)]
        worst = yearly["level_ratio"].dropna()
        if not worst.empty:
            inside = bool(worst.between(low, high).all())
            rows.append(
                _goal(
                    model,
                    country,
                    "level ratio in every test year (min / max)",
                    float(worst.min()),
                    f"{low}-{high}",
                    inside,
                    f"{worst.min():.2f} / {worst.max():.2f}",
                )
            )
    return pd.DataFrame(rows)


def _goal(
    model: str,
    country: str,
    goal: str,
    value: float,
    wanted: str,
    met: bool,
    shown: str | None = None,
) -> dict[str, object]:
    return {
        "model": model,
        "country": country,
        "goal": goal,
        "value": round(value, 3),
        "shown": shown or f"{value:.3f}",
        "wanted": wanted,
        "met": bool(met),
    }


def teaching_series(
    store: Store, countries: list[str], target: str, covariates: bool, kind: str = "admin1"
) -> pd.DataFrame:
    """The countries' admin-1 or PRIO-GRID series as teaching units for a country model.

    Named `teach:<kind>:<code>`; trained on, never forecast (backtest.Job); none when no
    admin-1 boundaries are loaded. Only the country series' columns are kept (a cell's spatial
    lags have no country counterpart).
    """
    try:
        series = backtest.unit_series(store, countries, target, kind, covariates=covariates)
    except PeacewatchError:
        return pd.DataFrame()
    series = series.drop(columns=["nb_y", "nb2_y", "nb_dist_km"], errors="ignore")
    return series.assign(unit=[backtest.teaching_name(kind, u) for u in series["unit"]])


def candidate_series(
    store: Store, countries: list[str], target: str, unit: str, configs: list[selection.Config]
) -> pd.DataFrame:
    """The series every candidate needs, one frame for all of them.

    With covariate columns and teaching units if any candidate sees them; backtest.seen_by
    gives each model its part.
    """
    covariates = any(c.covariates for c in configs)
    data = backtest.unit_series(store, countries, target, unit, covariates=covariates)
    kinds = sorted({c.teach for c in configs if c.teach})
    teaching = [teaching_series(store, countries, target, covariates, kind) for kind in kinds]
    return pd.concat([data, *teaching], ignore_index=True) if teaching else data


def run(
    store: Store,
    countries: list[str],
    unit: str = "country",
    target: str = "sb",
    years: list[int] | None = None,
    n_jobs: int = 1,
    validation_years: int = selection.VALIDATION_YEARS,
    configs: list[selection.Config] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Backtest the candidates, choose by validation, score per country, year and pooled.

    Returns tables: selected (the choice per country and test year), calibrated (the choice's
    recalibration, chosen on the same validation years: selection.calibrate), validation (every
    candidate's validation score), by_model (pooled), by_country, by_country_year, by_unit,
    by_year, by_horizon, differences (per country, block bootstrap), goals, pit_histogram and
    forecasts (the test years' scored rows). Every table carries the unit type, target and the
    GED release and whether the covariates were among the candidates. `progress(done, total)`
    is called as the (configuration, origin) jobs finish.
    """
    countries = [c.upper() for c in countries]
    configs = configs or selection.candidates(unit)
    covariates = any(c.covariates for c in configs)
    data = candidate_series(store, countries, target, unit, configs)
    country_of = backtest.unit_countries(store, countries, unit)
    years = sorted(years or list(range(2018, 2024)))
    last = data["month"].max()
    years = [y for y in years if pd.Timestamp(y, 12, 1) <= last]
    if not years:
        raise PeacewatchError("no year of the protocol has observed data for every month")
    origins = selection.protocol_origins(years, validation_years)
    origins = [o for o in origins if o > data["month"].min() + pd.DateOffset(months=12)]
    # The second step's jobs (calibration) are counted when the first step has chosen.
    total, finished = [len(origins) * len(configs)], [0]

    def done() -> None:
        finished[0] += 1
        if progress is not None:
            progress(finished[0], total[0])

    # Stacking keeps 100 quantiles per forecast: affordable for countries and regions, not
    # for the ~50,000 cell-months of a grid origin.
    quantiles = 100 if unit in STACKED_UNITS else 0
    every = selection.run_configs(data, origins, configs, n_jobs, done=done, quantiles=quantiles)
    every["country"] = every["unit"].map(country_of)
    choices, validation = selection.choose(
        every, years, [c.label for c in configs], validation_years
    )
    tests = every[every["origin"].isin([selection.origin_for(y) for y in years])]
    total[0] += len(selection.calibration_jobs(choices, origins, validation_years))
    calibrations, calibrated = selection.calibrate(
        data, choices, configs, origins, country_of, validation_years, n_jobs, done
    )
    parts = [tests, selection.selected_rows(tests, choices), calibrated]
    weights = pd.DataFrame()
    if quantiles:
        stacked, weights = stacking.stack(every, years, validation_years)
        parts.append(stacked)
    forecasts = pd.concat(parts, ignore_index=True).drop(columns="quantiles", errors="ignore")
    forecasts["config"] = forecasts["config"].fillna(forecasts["model"])
    headline = [
        selection.SELECTED,
        *([selection.CALIBRATED] if not calibrated.empty else []),
        *([stacking.STACKED] if quantiles else []),
    ]
    learned = headline + [c.label for c in configs if c.label not in backtest.BENCHMARKS]
    pits = [
        {"model": name, "bin": f"{i / 10:.1f}-{(i + 1) / 10:.1f}", "share": share}
        for name, part in forecasts.groupby("model")
        for i, share in enumerate(scoring.pit_histogram(part["pit"].to_numpy()))
    ]
    tables = {
        "selected": choices,
        "calibrated": calibrations,
        "stacked": weights,
        "validation": validation,
        "by_model": score_table(forecasts, ["model"]),
        "by_country": score_table(forecasts, ["model", "country"]),
        "by_country_year": score_table(forecasts, ["model", "country", "year"]),
        "by_unit": score_table(forecasts, ["model", "unit"]),
        "by_year": score_table(forecasts, ["model", "year"]),
        "by_horizon": score_table(forecasts, ["model", "horizon"]),
        "differences": blocks.differences(forecasts, learned, list(REFERENCES)),
        "pit_histogram": pd.DataFrame(pits),
        "forecasts": forecasts,
    }
    tables["goals"] = pd.concat([goals(tables, unit, m) for m in headline], ignore_index=True)
    release = backtest.data_release(store)
    for table in tables.values():
        table.insert(0, "unit_type", unit)
        table["target"] = target
        table["covariates"] = covariates
        table["data_release"] = release
    return tables
