"""Outlook: P(>= 25 deaths) by region over the next 3 months, and the country's fan chart."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, outlook
from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section
from peacewatch.report.i18n import Lang

KEY, TITLE = "outlook", "Outlook: the next months"


def forecast_table(regions: pd.DataFrame, p_any: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The regional forecasts, riskiest region first, then by month; whole deaths, percents."""
    order = p_any.set_index("unit")["p_any"]
    table = regions.assign(risk=regions["unit"].map(order)).sort_values(
        ["risk", "unit_name", "month"], ascending=[False, True, True]
    )
    return pd.DataFrame(
        {
            "region": table["unit_name"],
            "month": pd.to_datetime(table["month"]).dt.strftime("%Y-%m"),
            "median deaths": table["median"].round().astype("Int64"),
            "5-95% range": [
                f"{lang.fixed(round(lo), 0)}-{lang.fixed(round(hi), 0)}"
                for lo, hi in zip(table["q05"], table["q95"], strict=True)
            ],
            "P(>= 25 deaths)": [lang.pct(p) for p in table["p_ge_25"]],
        }
    )


def build(brief: Brief) -> Section:
    """The regional chances, the national median and interval, and the fan charts."""
    lang, store, country = brief.lang, brief.store, brief.country
    out = brief.section(KEY, lang._(TITLE))
    polys = store.admin1_polygons(country)
    try:
        national = outlook.cached_forecast(store, country, "country", 12)
        # Regions only where the country's admin-1 boundaries are loaded.
        regional = (
            outlook.cached_forecast(store, country, "admin1", 12)
            if not polys.empty
            else national.iloc[0:0]
        )
    except PeacewatchError as exc:
        out.say(lang._("No forecast in this briefing: {why}.", why=exc))
        return out
    # The country's own regions (by their codes: P-codes need not start with the ISO3 code).
    regional = regional[regional["unit"].isin(set(polys["admin_code"]))]
    regions = regional[regional["horizon"] <= 3]
    p_any = (
        regions.assign(miss=1 - regions["p_ge_25"])
        .groupby(["unit", "unit_name"], as_index=False)["miss"]
        .prod()
        .assign(p_any=lambda d: 1 - d["miss"])
        .drop(columns="miss")
    )
    top = p_any.sort_values("p_any", ascending=False).head(3)
    origin = pd.Timestamp(national["origin"].iloc[0])
    first = national.sort_values("horizon").iloc[0]
    chances = (
        lang._(
            "gives {listed} as the chances of at least one month with 25 or more state-based "
            "deaths in the next three months (months treated as independent)",
            listed=", ".join(
                f"{r['unit_name']} {lang.pct(r['p_any'])}" for r in top.to_dict("records")
            ),
        )
        if not top.empty
        else lang._("has no regional forecast (no admin-1 boundaries of the country are loaded)")
    )
    out.say(
        lang._(
            "From data to {origin}, the gradient-boosted hurdle model {chances}; for {month} it "
            "forecasts {median} state-based deaths in the country (90% interval {low} to {high}). "
            "See the backtest scores before trusting them: `peacewatch backtest`.",
            origin=lang.month(origin),
            chances=chances,
            month=lang.month(first["month"]),
            median=lang.fixed(round(first["median"]), 0),
            low=lang.fixed(round(first["q05"]), 0),
            high=lang.fixed(round(first["q95"]), 0),
        )
    )
    if not polys.empty:
        shapes = polys.rename(columns={"admin_code": "unit", "name": "unit_name"})
        gdf = gpd.GeoDataFrame(
            shapes.merge(p_any[["unit", "p_any"]], on="unit", how="left"),
            geometry="geometry",
            crs=4326,
        )
        out.figure(
            lang._("Chance of >= 25 deaths in a month, next 3 months, by region"),
            svg=charts.choropleth(
                gdf.fillna({"p_any": 0.0}),
                "p_any",
                lang._("P(at least one month with >= 25 state-based deaths)"),
                label_column="unit_name",
                cmap="Purples",
            ),
            table=forecast_table(regions, p_any, lang),
            caption=lang._(
                "peacewatch.forecast (gbm_hurdle, 1,000 samples per region-month), trained on "
                "UCDP GED state-based deaths up to the last loaded month."
            ),
            indicators=["panel admin1 x month"],
        )
    history = backtest.unit_series(store, [country], "sb", "country")
    history = history[history["month"] > origin - pd.DateOffset(months=36)]
    out.figure(
        lang._("Fan chart: state-based deaths, last 3 years and next 12 months"),
        svg=charts.fan(
            history["month"],
            history["y"],
            national["month"],
            national["q05"],
            national["q25"],
            national["median"],
            national["q75"],
            national["q95"],
            lang._("{country}: deaths per month (UCDP GED, sb) and forecast", country=brief.name),
        ),
        caption=lang._("Bands: 50% and 90% central intervals of the forecast samples."),
        indicators=["panel country x month"],
    )
    if not polys.empty:
        _region_fans(brief, out, regional, p_any, origin)
    return out


def _region_fans(
    brief: Brief, out: Section, regional: pd.DataFrame, p_any: pd.DataFrame, origin: pd.Timestamp
) -> None:
    lang = brief.lang
    history = backtest.unit_series(brief.store, [brief.country], "sb", "admin1")
    history = history[history["month"] > origin - pd.DateOffset(months=36)]
    ranked = p_any.sort_values("p_any", ascending=False).head(6)
    panels = [
        (
            str(name),
            history.loc[history["unit"] == unit, "month"],
            history.loc[history["unit"] == unit, "y"],
            regional[regional["unit"] == unit],
        )
        for unit, name in zip(ranked["unit"], ranked["unit_name"], strict=True)
    ]
    if panels:
        out.figure(
            lang._("Fan charts by region (the six with the highest chance of >= 25 deaths)"),
            svg=charts.fans(
                panels, lang._("Deaths per month by region (UCDP GED, sb) and forecast")
            ),
            caption=lang._(
                "Bands: 50% and 90% central intervals of the regional forecast samples."
            ),
            indicators=["panel admin1 x month"],
        )
