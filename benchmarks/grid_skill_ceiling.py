"""How much skill the grid hurdle's features hold: a diagnostic, not a forecast.

The hurdle is fitted once on *all* PRIO-GRID months of Mali and Burkina Faso (through 2023, so
it has seen how features map to outcomes in the test years), then restarted at each origin of
the yearly protocol (October of Y-1, forecasts January-December of Y) without refitting. Its
CRPS, next to the zero forecast's, bounds what an honest model with these features and this
model class can reach: the issue asks for 10% below zero.

    .venv/bin/python benchmarks/grid_skill_ceiling.py
"""

from __future__ import annotations

import pandas as pd
from impact_speed import mali_store

from peacewatch.forecast import backtest, models, scoring
from peacewatch.store import Store


def main() -> None:
    """Print CRPS by year: the hurdle fitted on everything, the honest backtest, zero."""
    with Store.open(mali_store(), read_only=True) as store:
        data = backtest.unit_series(store, ["MLI", "BFA"], "sb", "priogrid")
    options = {**backtest.HURDLE_OPTIONS["priogrid"], "window": None, "drift": False}
    fitted = models.GradientBoostingHurdle(**options).fit(data)  # type: ignore[arg-type]
    honest = backtest.yearly_backtest(
        data,
        list(range(2018, 2024)),
        ["gbm_hurdle"],
        2,
        {"gbm_hurdle": backtest.HURDLE_OPTIONS["priogrid"]},
    )
    rows = []
    for year in range(2018, 2024):
        origin = pd.Timestamp(year - 1, 10, 1)
        months = [pd.Timestamp(year, m, 1) for m in range(1, 13)]
        predicted = fitted.restart(backtest.origin_split(data, origin)).predict(months)
        observed = data[data["month"].isin(months)].pivot(index="unit", columns="month", values="y")
        units = list(predicted)
        samples = pd.concat([pd.DataFrame(predicted[u]) for u in units]).to_numpy()
        truth = observed.loc[units, months].to_numpy().ravel()
        rows.append(
            {
                "year": year,
                "zero": truth.mean(),
                "fitted_on_all": scoring.crps(samples, truth).mean(),
                "backtest": honest.loc[honest["year"] == year, "crps"].mean(),
            }
        )
    table = pd.DataFrame(rows)
    total = table[["zero", "fitted_on_all", "backtest"]].mean().to_dict()
    table = pd.concat([table.astype({"year": str}), pd.DataFrame([{"year": "all", **total}])])
    for name in ("fitted_on_all", "backtest"):
        table[f"{name}_below_zero_%"] = 100 * (1 - table[name] / table["zero"])
    print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
