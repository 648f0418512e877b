"""The neighbours: deaths in neighbouring countries and border areas, spillover, hot spots."""

from __future__ import annotations

import pandas as pd

from peacewatch import indicators
from peacewatch.analysis import spatial
from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section, country_name

KEY, TITLE = "regional", "The neighbours: regional spillover"


def build(brief: Brief) -> Section:
    """Neighbours' deaths, the border areas, the lagged correlation and the Gi* hot spots."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    neighbours = brief.results["regional.neighbours"]
    border = brief.results["regional.border_areas"]
    border_km = f"{indicators.BORDER_KM:.0f}"
    if neighbours.frame.empty:
        out.say(
            lang._(
                "No neighbouring country's events are loaded: regional spillover cannot be "
                "measured."
            )
        )
    else:
        for iso3, group in neighbours.frame.groupby("country_iso3"):
            part = group.sort_values("year")
            out.say(
                lang._(
                    "In {country}, GED deaths went from {first} in {first_year} to {last} in "
                    "{last_year}.",
                    country=country_name(str(iso3)),
                    first=lang.n(part["fatalities_best"].iloc[0]),
                    first_year=int(part["year"].iloc[0]),
                    last=lang.n(part["fatalities_best"].iloc[-1]),
                    last_year=int(part["year"].iloc[-1]),
                )
            )
        out.figure(
            lang._("Violence in neighbouring countries and border areas"),
            table=border.frame,
            caption=brief.caption(border),
            indicators=[neighbours.indicator.name, border.indicator.name],
        )
        spill = spatial.spillover(brief.store, brief.country, str(brief.start), str(brief.end))
        corr = spatial.lagged_correlations(spill)
        best = corr.dropna().sort_values("correlation", ascending=False).head(1)
        if not best.empty:
            out.say(
                lang._(
                    "Monthly deaths in {country} and within {km} km of its border on the other "
                    "side correlate most at a lag of {lag} months (r = {r}); correlation is not "
                    "diffusion.",
                    country=brief.name,
                    km=border_km,
                    lag=int(best["lag_months"].iloc[0]),
                    r=lang.fixed(best["correlation"].iloc[0], 2),
                )
            )
        out.figure(
            lang._("Spillover: the country and the other side of its border"),
            svg=charts.lines(
                spill.assign(month=lambda d: pd.to_datetime(d["month"])),
                "month",
                {
                    "country_fatalities": brief.name,
                    "border_fatalities_across": lang._(
                        "within {km} km across the border", km=border_km
                    ),
                },
                lang._("Monthly deaths (UCDP GED)"),
            ),
            table=corr,
            caption=brief.caption(border),
            indicators=[border.indicator.name],
        )
    _hotspots(brief, out)
    return out


def _hotspots(brief: Brief, out: Section) -> None:
    lang = brief.lang
    year = brief.end.year - (1 if brief.end.month < 12 else 0)
    hot = spatial.hotspots(brief.store, brief.country, year, "priogrid")
    if hot["fatalities"].sum() <= 0:
        return
    counts = hot["class"].value_counts()
    out.say(
        lang._(
            "Gi* hot spots ({year}): {count} PRIO-GRID cells are hot spots of deaths.",
            year=int(hot.attrs.get("year", brief.end.year)),
            count=lang.n(int(counts.get("hot spot", 0))),
        )
    )
    admin = brief.admin_map
    out.figure(
        lang._("Hot spots of deaths (Getis-Ord Gi*, PRIO-GRID)"),
        svg=charts.choropleth(
            hot.assign(z=hot["z"].fillna(0)),
            "z",
            lang._("Gi* z-score of deaths per cell"),
            outline=admin if not admin.empty else None,
            cmap="coolwarm",
        ),
        caption=lang._(
            "Queen contiguity, 999 permutations, seed fixed (peacewatch.analysis.spatial)."
        ),
        indicators=["hotspots"],
    )
