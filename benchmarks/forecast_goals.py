"""Issue 15's goals, per country, for the configuration chosen by validation.

Runs the honest protocol (peacewatch.forecast.protocol: every choice made on the four years
before each test year) at country-month and PRIO-GRID-month for Mali and Burkina Faso,
2018-2023, sb, and prints per country each goal, the measured value of `selected` (and of
`calibrated`, `stacked`), the value
of the configuration the project used before issue 15 (chosen by looking at the test years:
the 50/50 ensemble at country level, the drift-corrected hurdle on the grid) and the VIEWS
2023/24 challenge's best entry over the same years.

    PEACEWATCH_STORE=peacewatch.duckdb .venv/bin/python benchmarks/forecast_goals.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from impact_speed import mali_store

from peacewatch.forecast import protocol
from peacewatch.store import Store

BEFORE = {"country": "ensemble_50", "priogrid": "gbm_hurdle_drift"}
# The challenge's best entries over 2018-2023 (issue 15): relative to the same benchmark.
VIEWS_BEST = {
    ("country", "crps / conflictology_12"): "0.87",
    ("country", "ignorance / conflictology_12"): "0.89",
    ("country", "interval_score_90 / conflictology_12"): "0.80",
    ("priogrid", "crps / zero"): "0.971",
    ("priogrid", "ignorance / conflictology_12"): "0.86",
}


def table(tables: dict[str, pd.DataFrame], unit: str) -> pd.DataFrame:
    """Goals of `selected` (`calibrated`, `stacked`) beside the configuration before issue 15."""
    ours = tables["goals"]
    before = protocol.goals(tables, unit, BEFORE[unit]).set_index(["country", "goal"])
    out = ours[["model", "country", "goal", "wanted", "shown", "met"]].copy()
    out["before_issue_15"] = [
        before["shown"].get((c, g), "") for c, g in zip(out["country"], out["goal"], strict=True)
    ]
    out["views_best"] = [VIEWS_BEST.get((unit, g), "") for g in out["goal"]]
    out["met"] = out["met"].map({True: "met", False: "NOT met"})
    return out.rename(columns={"shown": "measured"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--units", default="country,priogrid")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    with Store.open(mali_store(), read_only=True) as store:
        for unit in args.units.split(","):
            started = time.perf_counter()
            tables = protocol.run(store, ["MLI", "BFA"], unit=unit, n_jobs=args.jobs)
            seconds = time.perf_counter() - started
            print(f"\n== {unit}-month, 2018-2023, sb ({seconds:.0f} s, {args.jobs} jobs) ==")
            chosen = tables["selected"].pivot(index="country", columns="year", values="selected")
            print("configuration chosen by validation:")
            print(chosen.to_string())
            if not tables["calibrated"].empty:
                print("calibration of the choice, chosen on the same validation months:")
                print(
                    tables["calibrated"]
                    .pivot(index="country", columns="year", values="calibration")
                    .to_string()
                )
            if not tables["stacked"].empty:
                print("stacking weights fitted on validation:")
                print(tables["stacked"][["country", "year", "stacked"]].to_string(index=False))
            print(table(tables, unit).to_string(index=False))
            scores = ["crps", "ignorance", "interval_score_90", "pit_coverage_90", "level_ratio"]
            yearly = tables["by_country_year"]
            shown = yearly[
                yearly["model"].isin(
                    ["selected", "calibrated", "stacked", "conflictology_12", "zero"]
                )
            ]
            print(
                shown.pivot_table(index=["country", "year"], columns="model", values="crps").round(
                    3
                )
            )
            pooled = tables["by_model"].set_index("model").sort_values("crps")[scores]
            print("pooled over the two countries:")
            print(pooled.round(3).to_string())


if __name__ == "__main__":
    main()
