"""The security environment: deaths by year, type, actor and region; maps; the mission attacked."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from peacewatch import geo, panel
from peacewatch.analysis import reconcile
from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section
from peacewatch.report.sections.political import coup_state

KEY, TITLE = "security", "The security environment"


def _rise_fall(brief: Brief, frame: pd.DataFrame, year_a: int, year_b: int) -> list[str]:
    """'Deaths in X rose from A in year_a to B in year_b', the three biggest changes first."""
    lang = brief.lang
    wide = frame.pivot_table(
        index="admin1", columns="year", values="fatalities_best", aggfunc="sum", fill_value=0
    )
    if year_a not in wide.columns or year_b not in wide.columns:
        return []
    change = (wide[year_b] - wide[year_a]).sort_values(key=abs, ascending=False)
    out = []
    for region in change.index[:3]:
        a, b = int(wide.loc[region, year_a]), int(wide.loc[region, year_b])
        if a == b:
            continue
        message = (
            "Fatalities in {region} rose from {a} in {year_a} to {b} in {year_b}."
            if b > a
            else "Fatalities in {region} fell from {a} in {year_a} to {b} in {year_b}."
        )
        out.append(
            lang._(message, region=region, a=lang.n(a), b=lang.n(b), year_a=year_a, year_b=year_b)
        )
    return out


def year_marks(brief: Brief) -> list[tuple[float, str]]:
    """Successful coups and the start of the withdrawal, as fractional years for bar charts."""
    marks = []
    coups = brief.results["political.coups"].frame
    for d, ok in zip(coups["date"], coups["successful"], strict=True):
        if coup_state(ok) == "successful":
            day = pd.Timestamp(d)
            marks.append((day.year + day.day_of_year / 366, brief.lang._("coup")))
    first = panel.first_withdrawal(brief.store, brief.country)
    if first is not None:
        day = pd.Timestamp(first)
        marks.append((day.year + day.day_of_year / 366, brief.lang._("withdrawal")))
    return marks


def _grid_map(brief: Brief) -> gpd.GeoDataFrame:
    rows = brief.store.frame(
        "SELECT priogrid_gid, count(*) AS events, sum(fatalities_best) AS fatalities "
        "FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ? "
        "AND date_start BETWEEN ? AND ? AND priogrid_gid IS NOT NULL GROUP BY 1",
        [brief.country, brief.recent, brief.end],
    )
    polys = []
    for gid in rows["priogrid_gid"]:
        lat, lon = geo.priogrid_centroid(int(gid))
        polys.append(shapely.box(lon - 0.25, lat - 0.25, lon + 0.25, lat + 0.25))
    return gpd.GeoDataFrame(rows, geometry=polys, crs=4326)


def build(brief: Brief) -> Section:
    """Deaths, where and by whom, the maps, and the attacks on peacekeepers by source."""
    lang, results = brief.lang, brief.results
    out = brief.section(KEY, lang._(TITLE))
    by_year = results["security.ged_by_year"]
    fy = by_year.frame
    if not fy.empty:
        peak = fy.iloc[int(fy["fatalities_best"].to_numpy().argmax())]
        out.say(
            lang._(
                "UCDP GED records {events} events of organised violence in {country} between "
                "{start} and {end}, with {deaths} deaths (best estimate; range {low} to {high}). "
                "The deadliest year was {year}, with {peak} deaths.",
                events=lang.n(fy["events"].sum()),
                country=brief.name,
                start=lang.day(brief.start),
                end=lang.day(brief.end),
                deaths=lang.n(fy["fatalities_best"].sum()),
                low=lang.n(fy["fatalities_low"].sum()),
                high=lang.n(fy["fatalities_high"].sum()),
                year=int(peak["year"]),
                peak=lang.n(peak["fatalities_best"]),
            )
        )
        out.figure(
            lang._("Deaths in organised violence per year"),
            svg=charts.bars_with_range(
                fy,
                "year",
                "fatalities_best",
                "fatalities_low",
                "fatalities_high",
                lang._("Deaths per year (best estimate, whiskers low-high)"),
                year_marks(brief),
            ),
            caption=brief.caption(by_year),
            indicators=[by_year.indicator.name],
        )
    for name, column, value, title, chart_title in (
        (
            "security.ged_by_type",
            "violence_type",
            "fatalities_best",
            "Deaths by type of violence",
            "Deaths by type of violence",
        ),
        (
            "security.ged_by_actor",
            "actor_category",
            "fatalities_best",
            "Deaths in events involving each actor category",
            "Deaths by actor category involved (an event counts for each category)",
        ),
    ):
        result = results[name]
        if not result.frame.empty:
            out.figure(
                lang._(title),
                svg=charts.stacked(result.frame, "year", column, value, lang._(chart_title)),
                caption=brief.caption(result),
                indicators=[name],
            )
    _actors(brief, out)
    by_admin = results["security.ged_by_admin1"]
    if brief.admin_map.empty:
        out.say(
            lang._(
                "No admin-1 boundaries of {country} are loaded: the figures and maps by region "
                "need them (peacewatch load boundaries FILE).",
                country=brief.name,
            )
        )
    elif not by_admin.frame.empty:
        years = sorted(by_admin.frame["year"].unique())
        partial = len(years) > 1 and years[-1] == brief.end.year and brief.end.month < 12
        year_b = int(years[-2]) if partial else int(years[-1])
        year_a = max(int(years[0]), year_b - 3)
        out.say(*_rise_fall(brief, by_admin.frame, year_a, year_b))
        wide = by_admin.frame.pivot_table(
            index="admin1", columns="year", values="fatalities_best", aggfunc="sum", fill_value=0
        ).reset_index()
        wide.columns = [str(c) for c in wide.columns]
        out.figure(
            lang._("Deaths by region and year"),
            table=wide,
            caption=brief.caption(by_admin),
            indicators=[by_admin.indicator.name],
        )
    _maps(brief, out)
    _mixed_map(brief, out)
    _remote(brief, out)
    _peacekeepers(brief, out)
    return out


def _maps(brief: Brief, out: Section) -> None:
    lang, by_admin = brief.lang, brief.results["security.ged_by_admin1"]
    admin = brief.admin_map
    if admin.empty:
        return
    years = f"{brief.recent:%Y}-{brief.end:%Y}"
    out.figure(
        lang._("Map: deaths by region, {years}", years=years),
        svg=charts.choropleth(
            admin,
            "fatalities",
            lang._("Deaths by admin-1 region, {years}", years=years),
            label_column="name",
        ),
        caption=lang._(
            "Source: {files}; regions: {boundaries}. Query: indicator security.ged_by_admin1.",
            files="; ".join(by_admin.provenance),
            boundaries=brief.boundary_note,
        ),
        indicators=[by_admin.indicator.name],
    )
    grid = _grid_map(brief)
    if not grid.empty:
        out.figure(
            lang._("Map: deaths by PRIO-GRID cell, {years}", years=years),
            svg=charts.choropleth(
                grid,
                "fatalities",
                lang._("Deaths per 0.5-degree PRIO-GRID cell, {years}", years=years),
                outline=admin,
                cmap="Reds",
            ),
            caption=lang._(
                "Source: {files}. Cells: PRIO-GRID ids computed from event coordinates.",
                files="; ".join(by_admin.provenance),
            ),
            indicators=[by_admin.indicator.name],
        )


def _actors(brief: Brief, out: Section) -> None:
    """The ten actors involved in the most deaths, one actor across sources, by source."""
    lang, result = brief.lang, brief.results["security.deaths_by_actor"]
    frame = result.frame
    if frame.empty:
        return
    wide = frame.pivot_table(
        index="actor", columns="source", values="fatalities_best", aggfunc="sum", fill_value=0
    )
    events = frame.groupby("actor")["events"].sum()
    key = "ucdp_ged" if "ucdp_ged" in wide else str(wide.columns[0])
    table = wide.assign(events=events).sort_values(key, ascending=False).head(10).reset_index()
    table.columns = [str(c) for c in table.columns]
    out.figure(
        lang._("Actors involved in the most deaths, one actor across sources"),
        table=table,
        caption=brief.caption(result)
        + " "
        + lang._(
            "Deaths in events involving the actor on either side, per source (an event counts "
            "for each of its actors). The names each source gives an actor: `peacewatch actors "
            "--country {country}`.",
            country=brief.country,
        ),
        indicators=[result.indicator.name],
    )


def _mixed_map(brief: Brief, out: Section) -> None:
    """Events by region from every source, each real event once (ACLED's months)."""
    lang, store = brief.lang, brief.store
    span = store.row(
        "SELECT min(date_start), max(date_start) FROM events WHERE country_iso3 = ? "
        "AND source IN ('acled', 'incident') AND date_start BETWEEN ? AND ?",
        [brief.country, brief.start, brief.end],
    )
    if span is None or span[0] is None or brief.admin_map.empty:
        return
    once = reconcile.events_once(store, brief.country, span[0], span[1])
    folded = int((once["also_in"] != "").sum())
    counts = once.groupby("admin1_code").size().rename("events").reset_index()
    codes = store.admin1_polygons(brief.country)[["admin_code", "name", "geometry"]]
    shapes = gpd.GeoDataFrame(
        codes.merge(counts, left_on="admin_code", right_on="admin1_code", how="left").fillna(
            {"events": 0}
        ),
        geometry="geometry",
        crs=4326,
    )
    months = f"{span[0]:%Y-%m}..{span[1]:%Y-%m}"
    by_source = once["source"].value_counts().to_dict()
    out.say(
        lang._(
            "All sources together, {months}: {events} events, each real event once ({folded} GED "
            "events also recorded by ACLED or an incident report are counted once).",
            months=months,
            events=lang.n(len(once)),
            folded=lang.n(folded),
        )
    )
    out.figure(
        lang._("Map: events by region, every source, each event once, {months}", months=months),
        svg=charts.choropleth(
            shapes,
            "events",
            lang._(
                "Events by admin-1 region (GED, ACLED, incident reports), {months}", months=months
            ),
            label_column="name",
            cmap="Greens",
        ),
        table=pd.DataFrame(
            {"source": list(by_source), "events": [int(v) for v in by_source.values()]}
        ),
        caption=lang._(
            "Rows of every source in the store for the country; a row matched to a GED row "
            "(peacewatch.analysis.reconcile: date, place, deaths, actors) is that GED event. "
            "Regions: {boundaries}.",
            boundaries=brief.boundary_note,
        ),
        indicators=["events (all sources, reconciled)"],
    )


def _remote(brief: Brief, out: Section) -> None:
    lang, remote = brief.lang, brief.results["security.remote_violence"]
    if remote.frame.empty:
        return
    out.say(
        lang._(
            "ACLED (loaded for {years}) records {events} explosions and remote-violence events, "
            "{ieds} of them IEDs or landmines.",
            years=", ".join(str(y) for y in remote.frame["year"]),
            events=lang.n(remote.frame["events"].sum()),
            ieds=lang.n(remote.frame["ied_events"].sum()),
        )
    )
    out.figure(
        lang._("Explosions and remote violence (ACLED)"),
        table=remote.frame,
        caption=brief.caption(remote),
        indicators=[remote.indicator.name],
    )


def _peacekeepers(brief: Brief, out: Section) -> None:
    lang, apk = brief.lang, brief.results["security.attacks_on_peacekeepers"]
    if not brief.missions:
        out.say(
            lang._(
                "{country} has no UN peace operation in the loaded data: attacks on peacekeepers "
                "do not apply.",
                country=brief.name,
            )
        )
        return
    fa = apk.frame
    if fa.empty:
        return
    sentence = lang._(
        "The UN fatalities file counts {killed} peacekeepers of {missions} killed by malicious "
        "acts in the period; UCDP GED never codes the UN as a side, so GED cannot show these "
        "attacks.",
        killed=lang.n(int(fa["un_deaths_malicious"].sum())),
        missions=", ".join(brief.missions),
    )
    if fa["acled_attacks"].notna().any():
        sentence += " " + lang._(
            "ACLED records {attacks} attacks on the mission in the years it covers.",
            attacks=lang.n(fa["acled_attacks"].sum()),
        )
    out.say(sentence)
    out.figure(
        lang._("Attacks on peacekeepers: the sources side by side"),
        svg=charts.lines(
            # A year a source does not cover is a gap in its line, not a zero.
            fa.fillna({"un_deaths_malicious": 0}),
            "year",
            {
                "un_deaths_malicious": lang._("UN: peacekeepers killed (malicious acts)"),
                "acled_attacks": lang._("ACLED: attacks on the mission"),
                "acled_attack_fatalities": lang._("ACLED: deaths in them"),
            },
            lang._("Attacks on peacekeepers by source"),
        ),
        table=fa,
        caption=brief.caption(apk) + brief.coverage_note(("acled",)),
        indicators=[apk.indicator.name],
    )
    monthly = brief.results["security.attacks_on_peacekeepers_monthly"]
    fm = monthly.frame
    if fm.empty or not fm["attack_days"].sum():
        return
    out.say(
        lang._(
            "Counted once across the sources (an ACLED or incident-report attack within 2 days of "
            "a UN fatality day is the same attack), {days} days saw an attack on the mission; "
            "{matched} of the {un_days} days with peacekeepers killed are also in ACLED or an "
            "incident report.",
            days=lang.n(int(fm["attack_days"].sum())),
            matched=lang.n(int(fm["matched_days"].sum())),
            un_days=lang.n(int(fm["un_fatality_days"].sum())),
        )
    )
    out.figure(
        lang._("Attacks on peacekeepers by month, each attack once"),
        svg=charts.lines(
            fm.assign(month=pd.to_datetime(fm["month"])),
            "month",
            {
                "attack_days": lang._("days with an attack (all sources, reconciled)"),
                "un_fatality_days": lang._("UN: days with peacekeepers killed"),
                "acled_attacks": lang._("ACLED: attacks on the mission"),
            },
            lang._("Attacks on peacekeepers per month"),
        ),
        table=fm[fm["attack_days"] > 0],
        caption=brief.caption(monthly) + brief.coverage_note(("acled",)),
        indicators=[monthly.indicator.name],
    )
