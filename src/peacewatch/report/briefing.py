"""The country briefing: the story of a mission's environment, its withdrawal and what followed.

Every figure is computed from the store by a named indicator (peacewatch.indicators) or a panel,
names its sources and releases, and the appendix lists the query behind every number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from weasyprint import HTML

from peacewatch import __version__, geo, indicators, panel, vintages
from peacewatch.analysis import impact as impact_analysis
from peacewatch.analysis import presence as presence_analysis
from peacewatch.analysis import reconcile, spatial, trends
from peacewatch.countries import country_table
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, outlook
from peacewatch.report import charts, claims, judgements
from peacewatch.report import impact as impact_report
from peacewatch.schema import ACTOR_CATEGORIES, CATEGORIES
from peacewatch.sources.reference import MISSIONS
from peacewatch.store import Store

SECTIONS = (
    ("summary", "Summary"),
    ("claims", "The standard story of the exit, against the evidence"),
    ("security", "The security environment"),
    ("political", "Political instability"),
    ("cooperation", "Cooperation with the host state"),
    ("human-rights", "Human rights"),
    ("withdrawal", "The withdrawal: reasons and timeline"),
    ("implications", "Implications: security vacuum, humanitarian, regional"),
    ("outlook", "Outlook: the next months"),
    ("appendix", "Appendix: sources and queries"),
)

Progress = Callable[[str], None]
# The sections in the order the builder reports them (a progress bar per section).
STEPS = (
    "indicators",
    "security",
    "maps",
    "political",
    "cooperation",
    "human rights",
    "withdrawal",
    "implications",
    "impact",
    "outlook",
    "html",
    "pdf",
)


@dataclass
class Figure:
    """A chart or table with its caption and the indicators it comes from."""

    title: str
    svg: str = ""
    table: str = ""
    caption: str = ""
    indicators: list[str] = field(default_factory=list)


def _n(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{int(value):,}"  # type: ignore[call-overload]


def _label(value: object) -> object:
    """A code as words (`state_forces` -> `state forces`; humanitarian indicators by LABELS)."""
    if isinstance(value, str) and value in LABELS:
        return LABELS[value]
    if isinstance(value, str) and value in ACTOR_CATEGORIES + CATEGORIES:
        return value.replace("_", " ")
    return value


def _cell_date(value: object) -> object:
    """A timestamp at midnight as a date (`2023-06-30`, not `2023-06-30 00:00:00`)."""
    if isinstance(value, pd.Timestamp | datetime) and pd.notna(value):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)
    return value


def _table(frame: pd.DataFrame, max_rows: int = 40) -> str:
    shown = frame.head(max_rows).copy()
    for col in shown.columns:
        if str(col) in PLAIN_NUMBERS:
            continue
        if str(shown[col].dtype) in ("Int64", "int64", "int32", "float64"):
            shown[col] = shown[col].map(_n)
        elif str(shown[col].dtype).startswith("datetime64"):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
        elif shown[col].dtype == object or pd.api.types.is_string_dtype(shown[col]):
            shown[col] = shown[col].map(_cell_date).map(_label)
    # Column names as words, so a header can wrap in a narrow column (PDF) and reads as prose.
    shown.columns = [str(c).replace("_", " ") for c in shown.columns]
    html = shown.to_html(index=False, border=0, classes="data", na_rep="", escape=True)
    if len(frame) > max_rows:
        html += f"<p class='note'>{len(frame) - max_rows} more rows in the store.</p>"
    return html


def _coverage_note(store: Store, country: str, sources: tuple[str, ...]) -> str:
    """Which months each source's loaded rows cover, for years it covers only in part."""
    cov = vintages.coverage(store, country)
    notes = []
    for row in cov[cov["source"].isin(sources)].itertuples():
        first, last = str(row.first_month), str(row.last_month)
        partial = [
            f"{year}: {first if year == first[:4] else year + '-01'}.."
            f"{last if year == last[:4] else year + '-12'}"
            for year in sorted({first[:4], last[:4]})
            if (year == first[:4] and first[5:] != "01") or (year == last[:4] and last[5:] != "12")
        ]
        notes.append(
            f" {row.source} rows loaded cover {first}..{last}"
            + (f" (part years: {', '.join(partial)})" if partial else "")
            + "; other years: no data (n/a), not zero."
        )
    return "".join(notes)


def _caption(result: indicators.Result) -> str:
    withheld = (
        f" {result.withheld} rows of sources whose terms forbid passing raw rows on (ACLED) "
        "are left out of this copy; their counts are in the aggregates."
        if result.withheld
        else ""
    )
    return (
        f"Source: {'; '.join(result.provenance) or 'no data loaded'}. Indicator "
        f"<code>{result.indicator.name}</code>.{withheld}"
    )


def _country_name(iso3: str) -> str:
    table = country_table()
    hit = table[table["iso3"] == iso3]
    return str(hit["name"].iloc[0]) if len(hit) else iso3


def _rise_fall(frame: pd.DataFrame, year_a: int, year_b: int, top: int = 3) -> list[str]:
    """Sentences: 'Fatalities in X rose from A in year_a to B in year_b', biggest changes first."""
    wide = frame.pivot_table(
        index="admin1", columns="year", values="fatalities_best", aggfunc="sum", fill_value=0
    )
    if year_a not in wide.columns or year_b not in wide.columns:
        return []
    change = (wide[year_b] - wide[year_a]).sort_values(key=abs, ascending=False)
    out = []
    for region in change.index[:top]:
        a, b = int(wide.loc[region, year_a]), int(wide.loc[region, year_b])
        if a == b:
            continue
        verb = "rose" if b > a else "fell"
        out.append(f"Fatalities in {region} {verb} from {a:,} in {year_a} to {b:,} in {year_b}.")
    return out


def _periods(store: Store, country: str, start: date, end: date) -> list[tuple[date, date, str]]:
    """The period cut at successful coups and at the first withdrawal event of the timeline."""
    cuts = [
        (d, "after the coup of " + f"{d:%d %b %Y}")
        for (d,) in store.con.execute(
            "SELECT date FROM coups WHERE country_iso3 = ? AND successful AND date > ? "
            "AND date < ? ORDER BY date",
            [country, start, end],
        ).fetchall()
    ]
    row = store.con.execute(
        "SELECT min(date) FROM timeline WHERE country_iso3 = ? AND category = 'withdrawal' "
        "AND date > ? AND date < ?",
        [country, start, end],
    ).fetchone()
    if row and row[0] is not None:
        cuts.append((row[0], f"after the withdrawal began ({row[0]:%d %b %Y})"))
    cuts.sort()
    out = []
    first, label = start, "start of the period"
    for cut, next_label in cuts:
        if (cut - first).days >= 180:
            out.append((first, cut - pd.Timedelta(days=1), label))
            first, label = cut, next_label
    out.append((first, end, label))
    return out


def _outlook(
    store: Store, country: str, figures: dict[str, list[Figure]], text: dict[str, list[str]]
) -> None:
    """Forecast section: P(>= 25) by region over the next 3 months, and the country's fan chart."""
    try:
        regional = outlook.forecast(store, country, "admin1", 12)
        national = outlook.forecast(store, country, "country", 12)
    except PeacewatchError as exc:
        text["outlook"].append(f"No forecast in this briefing: {exc}.")
        return
    # The country's own regions (by their codes: P-codes need not start with the ISO3 code).
    own = set(store.admin1_polygons(country)["admin_code"])
    regional = regional[regional["unit"].isin(own)]
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
        "gives "
        + ", ".join(f"{r['unit_name']} {r['p_any']:.0%}" for r in top.to_dict("records"))
        + " as the chances of at least one month with 25 or more state-based deaths in the "
        "next three months (months treated as independent)"
        if not top.empty
        else "has no regional forecast (no admin-1 boundaries of the country are loaded)"
    )
    text["outlook"].append(
        f"From data to {origin:%B %Y}, the gradient-boosted hurdle model {chances}; for "
        f"{pd.Timestamp(first['month']):%B %Y} it forecasts {round(first['median']):,} "
        f"state-based deaths in the country (90% interval {round(first['q05']):,} to "
        f"{round(first['q95']):,}). See the backtest scores before trusting them: "
        "`peacewatch backtest`."
    )
    polys = store.admin1_polygons(country).rename(
        columns={"admin_code": "unit", "name": "unit_name"}
    )
    if not polys.empty:
        gdf = gpd.GeoDataFrame(
            polys.merge(p_any[["unit", "p_any"]], on="unit", how="left"),
            geometry="geometry",
            crs=4326,
        )
        figures["outlook"].append(
            Figure(
                "Chance of >= 25 deaths in a month, next 3 months, by region",
                charts.choropleth(
                    gdf.fillna({"p_any": 0.0}),
                    "p_any",
                    "P(at least one month with >= 25 state-based deaths)",
                    label_column="unit_name",
                    cmap="Purples",
                ),
                table=_table(_forecast_table(regions, p_any)),
                caption="peacewatch.forecast (gbm_hurdle, 1,000 samples per region-month), trained "
                "on UCDP GED state-based deaths up to the last loaded month.",
                indicators=["panel admin1 x month"],
            )
        )
    history = backtest.unit_series(store, [country], "sb", "country")
    history = history[history["month"] > origin - pd.DateOffset(months=36)]
    figures["outlook"].append(
        Figure(
            "Fan chart: state-based deaths, last 3 years and next 12 months",
            charts.fan(
                history["month"],
                history["y"],
                national["month"],
                national["q05"],
                national["q25"],
                national["median"],
                national["q75"],
                national["q95"],
                f"{_country_name(country)}: deaths per month (UCDP GED, sb) and forecast",
            ),
            caption="Bands: 50% and 90% central intervals of the forecast samples.",
            indicators=["panel country x month"],
        )
    )
    region_history = backtest.unit_series(store, [country], "sb", "admin1")
    region_history = region_history[region_history["month"] > origin - pd.DateOffset(months=36)]
    ranked = p_any.sort_values("p_any", ascending=False).head(6)
    panels = [
        (
            str(name),
            region_history.loc[region_history["unit"] == unit, "month"],
            region_history.loc[region_history["unit"] == unit, "y"],
            regional[regional["unit"] == unit],
        )
        for unit, name in zip(ranked["unit"], ranked["unit_name"], strict=True)
    ]
    if panels:
        figures["outlook"].append(
            Figure(
                "Fan charts by region (the six with the highest chance of >= 25 deaths)",
                charts.fans(panels, "Deaths per month by region (UCDP GED, sb) and forecast"),
                caption="Bands: 50% and 90% central intervals of the regional forecast samples.",
                indicators=["panel admin1 x month"],
            )
        )


def _forecast_table(regions: pd.DataFrame, p_any: pd.DataFrame) -> pd.DataFrame:
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
                f"{round(lo):,}-{round(hi):,}"
                for lo, hi in zip(table["q05"], table["q95"], strict=True)
            ],
            "P(>= 25 deaths)": [f"{p:.0%}" for p in table["p_ge_25"]],
        }
    )


def _state(successful: object) -> str:
    """Successful / failed (Powell & Thyne) or 'timeline only' where P&T has no such coup."""
    if (
        successful is None
        or successful is pd.NA
        or (isinstance(successful, float) and pd.isna(successful))
    ):
        return "timeline only"
    return "successful" if bool(successful) else "failed"


def _year_marks(results: dict[str, indicators.Result], store: Store, country: str) -> list:
    marks = []
    coups = results["political.coups"].frame
    for d, ok in zip(coups["date"], coups["successful"], strict=True):
        if _state(ok) == "successful":
            marks.append((pd.Timestamp(d).year + pd.Timestamp(d).day_of_year / 366, "coup"))
    rows = store.con.execute(
        "SELECT date, category FROM timeline WHERE country_iso3 = ? AND category IN "
        "('foreign forces', 'withdrawal') ORDER BY date",
        [country],
    ).fetchall()
    for d, cat in rows:
        if cat == "withdrawal":
            marks.append((d.year + d.timetuple().tm_yday / 366, "withdrawal"))
            break
    return marks


def _admin_map(store: Store, country: str, start: date, end: date) -> gpd.GeoDataFrame:
    rows = store.con.execute(
        """SELECT b.name, b.geometry_wkb, coalesce(sum(e.fatalities_best), 0) AS fatalities
           FROM admin_boundaries b LEFT JOIN events e ON e.admin1_code = b.admin_code
             AND e.source = 'ucdp_ged' AND e.date_start BETWEEN ? AND ?
           WHERE b.country_iso3 = ? AND b.admin_level = 1 GROUP BY ALL""",
        [start, end, country],
    ).df()
    geometry = shapely.from_wkb(rows["geometry_wkb"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(rows.drop(columns="geometry_wkb"), geometry=geometry, crs=4326)


def _grid_map(store: Store, country: str, start: date, end: date) -> gpd.GeoDataFrame:
    rows = store.con.execute(
        "SELECT priogrid_gid, count(*) AS events, sum(fatalities_best) AS fatalities "
        "FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ? "
        "AND date_start BETWEEN ? AND ? AND priogrid_gid IS NOT NULL GROUP BY 1",
        [country, start, end],
    ).df()
    polys = []
    for gid in rows["priogrid_gid"]:
        lat, lon = geo.priogrid_centroid(int(gid))
        polys.append(shapely.box(lon - 0.25, lat - 0.25, lon + 0.25, lat + 0.25))
    return gpd.GeoDataFrame(rows, geometry=polys, crs=4326)


VACUUM_KM = 25.0


def _vacuum_table(store: Store, country: str, end: date) -> pd.DataFrame:
    """Per camp: GED events and deaths within 25 km before and after the handover day.

    182 days before the handover day, and from that day to the end of the data, by event date
    (not by month: a handover on 25 August does not count August's earlier deaths as 'after').
    A camp without a handover date says why, in the camps file's words.
    """
    camps = panel.camp_sites(store, country)
    notes = store.con.execute(
        "SELECT camp_id, handover_notes FROM camps WHERE country_iso3 = ?", [country]
    ).df()
    if camps.empty:
        return pd.DataFrame()
    camps = camps.merge(notes, on="camp_id", how="left")
    events = store.con.execute(
        "SELECT date_start, latitude, longitude, fatalities_best FROM events "
        "WHERE source = 'ucdp_ged' AND date_precision <> 'year' AND date_start <= ? "
        "AND latitude IS NOT NULL",
        [end],
    ).df()
    events["date_start"] = pd.to_datetime(events["date_start"])
    where = geo.unit_vectors(events["latitude"], events["longitude"])
    rows: list[dict[str, object]] = []
    for camp in camps.to_dict("records"):
        if pd.isna(camp["closure_date"]):
            reason = camp["handover_notes"] if isinstance(camp["handover_notes"], str) else ""
            note = "no handover date: " + (reason or "none in the camps table")
            rows.append({"camp": camp["name"], "handover": "", "note": note})
            continue
        day = pd.Timestamp(str(camp["closure_date"]))
        if pd.isna(camp["latitude"]):
            note = "no coordinates: not counted"
            rows.append({"camp": camp["name"], "handover": f"{day:%Y-%m-%d}", "note": note})
            continue
        here = geo.unit_vectors([camp["latitude"]], [camp["longitude"]])[0]
        near = events[geo.chord_to_km(np.linalg.norm(where - here, axis=1)) <= VACUUM_KM]
        before = near[
            (near["date_start"] >= day - pd.Timedelta(days=182)) & (near["date_start"] < day)
        ]
        after = near[near["date_start"] >= day]
        days_after = max((pd.Timestamp(end) - day).days + 1, 0)
        if days_after >= 182:
            note = ""
        elif days_after > 0:
            note = "too few days after handover in the loaded data to conclude"
        else:
            note = "handover after the end of the data"
        rows.append(
            {
                "camp": camp["name"],
                "handover": f"{day:%Y-%m-%d}",
                "events_182d_before": len(before),
                "fatalities_182d_before": int(before["fatalities_best"].sum()),
                "days_after_in_data": days_after,
                "events_after": len(after),
                "fatalities_after": int(after["fatalities_best"].sum()),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def _after_handovers(store: Store, country: str) -> pd.DataFrame:
    """Timeline events after the first handover of the country's camps (what followed)."""
    first = store.con.execute(
        "SELECT min(closure_date) FROM camps WHERE country_iso3 = ?", [country]
    ).fetchone()
    if first is None or first[0] is None:
        return pd.DataFrame()
    return store.con.execute(
        "SELECT date, category, event, location FROM timeline WHERE country_iso3 = ? "
        "AND date >= ? AND NOT coalesce(lower(notes), '') LIKE 'regional%' ORDER BY date",
        [country, first[0]],
    ).df()


def _with_timeline(store: Store, country: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Each event with the timeline's massacre entry of the same days, if there is one.

    The timeline gives other tolls (OHCHR, officials): Moura, March 2022, at least 500 killed
    against GED's count. Matched by date (the entry's span, 3 days either side).
    """
    entries = store.con.execute(
        "SELECT date, coalesce(end_date, date) AS end_date, event, reported_fatalities "
        "FROM timeline WHERE country_iso3 = ? AND category = 'massacre/human-rights'",
        [country],
    ).df()
    accounts = []
    for day in pd.to_datetime(frame["date"]):
        hit = entries[
            (pd.to_datetime(entries["date"]) - pd.Timedelta(days=3) <= day)
            & (day <= pd.to_datetime(entries["end_date"]) + pd.Timedelta(days=3))
        ]
        accounts.append(
            " | ".join(
                str(e) + (f" (reported: {f})" if isinstance(f, str) and f else "")
                for e, f in zip(hit["event"], hit["reported_fatalities"], strict=True)
            )
        )
    return frame.assign(timeline_account=accounts)


def _boundary_note(store: Store, country: str) -> str:
    """Which admin-1 boundaries the country's regional figures use (dataset, file, sha256)."""
    versions = sorted(set(store.admin1_polygons(country)["boundary_version"]))
    return "; ".join(versions) if versions else "no admin-1 boundaries loaded"


def _files_used(store: Store, country: str, results: dict[str, indicators.Result]) -> pd.DataFrame:
    """The loads whose rows this briefing read, not every file in the store.

    The indicators' files, and the country's events, boundaries, camps and deployments.
    """
    used = {i for r in results.values() for i in r.load_ids}
    for sql, params in (
        ("SELECT DISTINCT load_id FROM events WHERE country_iso3 = ?", [country]),
        ("SELECT DISTINCT load_id FROM admin_boundaries WHERE country_iso3 = ?", [country]),
        ("SELECT DISTINCT load_id FROM camps WHERE country_iso3 = ?", [country]),
        ("SELECT DISTINCT load_id FROM deployments WHERE country_iso3 = ?", [country]),
    ):
        used |= {int(r[0]) for r in store.con.execute(sql, params).fetchall() if r[0] is not None}
    marks = ", ".join("?" for _ in used) or "NULL"
    return store.con.execute(
        "SELECT source, file_name, release, substr(sha256, 1, 16) AS sha256, loaded_at, "
        f"rows_loaded FROM loads WHERE load_id IN ({marks}) ORDER BY source, file_name",
        sorted(used),
    ).df()


def default_period(store: Store, country: str) -> tuple[date, date]:
    """The default period: from the first timeline year (or the first event) to the last event.

    The timeline tells the mission's story, so a briefing starts where it starts.
    """
    first, last = panel.default_range(store, country)
    row = store.con.execute(
        "SELECT min(date) FROM timeline WHERE country_iso3 = ?", [country]
    ).fetchone()
    if row and row[0] is not None:
        first = max(first, date(row[0].year, 1, 1))
    return first, last


# Columns shown as they are (no thousands separator).
PLAIN_NUMBERS = {"year", "lag_months", "months", "handover_order", "priogrid_gid"}
LABELS = {
    "idps": "Internally displaced people",
    "people_in_need": "People in need",
    "malian_refugees_neighbouring": "Refugees in neighbouring countries",
    "refugees_hosted_in_mali": "Refugees hosted",
    "idps_plus_refugees_peak": "Displaced people and refugees (peak)",
}


def build_context(
    store: Store,
    country: str,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    progress: Progress = lambda _: None,
    licensed: bool = True,
) -> dict[str, object]:
    """Everything the template needs, computed from the store.

    `licensed=False`: for readers ACLED's terms do not cover (the public web page, `brief
    --public`): tables that list events row by row leave out non-redistributable rows and say so.
    """
    country = country.upper()
    first, last = default_period(store, country)
    start = pd.Timestamp(date_from or first).date()
    end = pd.Timestamp(date_to or last).date()
    if end < start:
        raise PeacewatchError(f"--to {end} is before --from {start}")
    progress("indicators")
    results = indicators.compute_all(store, country, start, end, licensed)
    name = _country_name(country)
    missions = [m for m, iso3 in MISSIONS.items() if iso3 == country]
    figures: dict[str, list[Figure]] = {key: [] for key, _ in SECTIONS}
    text: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    marks = _year_marks(results, store, country)

    progress("security")
    by_year = results["security.ged_by_year"]
    fy = by_year.frame
    if not fy.empty:
        total, low, high = (
            fy["fatalities_best"].sum(),
            fy["fatalities_low"].sum(),
            fy["fatalities_high"].sum(),
        )
        peak = fy.iloc[int(fy["fatalities_best"].to_numpy().argmax())]
        text["security"].append(
            f"UCDP GED records {_n(fy['events'].sum())} events of organised violence in {name} "
            f"between {start:%d %b %Y} and {end:%d %b %Y}, with {_n(total)} deaths (best "
            f"estimate; range {_n(low)} to {_n(high)}). The deadliest year was "
            f"{int(peak['year'])}, with {_n(peak['fatalities_best'])} deaths."
        )
        figures["security"].append(
            Figure(
                "Deaths in organised violence per year",
                charts.bars_with_range(
                    fy,
                    "year",
                    "fatalities_best",
                    "fatalities_low",
                    "fatalities_high",
                    "Deaths per year (best estimate, whiskers low-high)",
                    marks,
                ),
                caption=_caption(by_year),
                indicators=[by_year.indicator.name],
            )
        )
    by_type = results["security.ged_by_type"]
    if not by_type.frame.empty:
        figures["security"].append(
            Figure(
                "Deaths by type of violence",
                charts.stacked(
                    by_type.frame,
                    "year",
                    "violence_type",
                    "fatalities_best",
                    "Deaths by type of violence",
                ),
                caption=_caption(by_type),
                indicators=[by_type.indicator.name],
            )
        )
    by_actor = results["security.ged_by_actor"]
    if not by_actor.frame.empty:
        figures["security"].append(
            Figure(
                "Deaths in events involving each actor category",
                charts.stacked(
                    by_actor.frame,
                    "year",
                    "actor_category",
                    "fatalities_best",
                    "Deaths by actor category involved (an event counts for each category)",
                ),
                caption=_caption(by_actor),
                indicators=[by_actor.indicator.name],
            )
        )
    by_admin = results["security.ged_by_admin1"]
    if not by_admin.frame.empty:
        years = sorted(by_admin.frame["year"].unique())
        year_b = (
            int(years[-2])
            if len(years) > 1 and years[-1] == end.year and end.month < 12
            else int(years[-1])
        )
        year_a = max(int(years[0]), year_b - 3)
        text["security"].extend(_rise_fall(by_admin.frame, year_a, year_b))
        wide = by_admin.frame.pivot_table(
            index="admin1", columns="year", values="fatalities_best", aggfunc="sum", fill_value=0
        ).reset_index()
        wide.columns = [str(c) for c in wide.columns]
        figures["security"].append(
            Figure(
                "Deaths by region and year",
                table=_table(wide),
                caption=_caption(by_admin),
                indicators=[by_admin.indicator.name],
            )
        )
    progress("maps")
    recent = max(start, date(end.year - 2, 1, 1))
    admin_gdf = _admin_map(store, country, recent, end)
    if not admin_gdf.empty:
        figures["security"].append(
            Figure(
                f"Map: deaths by region, {recent:%Y}-{end:%Y}",
                charts.choropleth(
                    admin_gdf,
                    "fatalities",
                    f"Deaths by admin-1 region, {recent:%Y}-{end:%Y}",
                    label_column="name",
                ),
                caption=f"Source: {'; '.join(by_admin.provenance)}; regions: "
                f"{_boundary_note(store, country)}. Query: indicator security.ged_by_admin1.",
                indicators=[by_admin.indicator.name],
            )
        )
        grid = _grid_map(store, country, recent, end)
        if not grid.empty:
            figures["security"].append(
                Figure(
                    f"Map: deaths by PRIO-GRID cell, {recent:%Y}-{end:%Y}",
                    charts.choropleth(
                        grid,
                        "fatalities",
                        f"Deaths per 0.5-degree PRIO-GRID cell, {recent:%Y}-{end:%Y}",
                        outline=admin_gdf,
                        cmap="Reds",
                    ),
                    caption=f"Source: {'; '.join(by_admin.provenance)}. Cells: PRIO-GRID ids "
                    "computed from event coordinates.",
                    indicators=[by_admin.indicator.name],
                )
            )
    remote = results["security.remote_violence"]
    if not remote.frame.empty:
        text["security"].append(
            f"ACLED (loaded for {', '.join(str(y) for y in remote.frame['year'])}) records "
            f"{_n(remote.frame['events'].sum())} explosions and remote-violence events, "
            f"{_n(remote.frame['ied_events'].sum())} of them IEDs or landmines."
        )
        figures["security"].append(
            Figure(
                "Explosions and remote violence (ACLED)",
                table=_table(remote.frame),
                caption=_caption(remote),
                indicators=[remote.indicator.name],
            )
        )
    apk = results["security.attacks_on_peacekeepers"]
    fa = apk.frame
    if not missions:
        text["security"].append(
            f"{name} has no UN peace operation in the loaded data: attacks on peacekeepers do "
            "not apply."
        )
    elif not fa.empty:
        un_total = int(fa["un_deaths_malicious"].sum())
        text["security"].append(
            f"The UN fatalities file counts {un_total:,} peacekeepers of "
            f"{', '.join(missions) or 'the mission'} killed by malicious acts in the period; "
            "UCDP GED never codes the UN as a side, so GED cannot show these attacks."
            + (
                f" ACLED records {_n(fa['acled_attacks'].sum())} attacks on the mission in the "
                "years it covers."
                if fa["acled_attacks"].notna().any()
                else ""
            )
        )
        figures["security"].append(
            Figure(
                "Attacks on peacekeepers: the sources side by side",
                charts.lines(
                    # A year a source does not cover is a gap in its line, not a zero.
                    fa.fillna({"un_deaths_malicious": 0}),
                    "year",
                    {
                        "un_deaths_malicious": "UN: peacekeepers killed (malicious acts)",
                        "acled_attacks": "ACLED: attacks on the mission",
                        "acled_attack_fatalities": "ACLED: deaths in them",
                    },
                    "Attacks on peacekeepers by source",
                ),
                table=_table(fa),
                caption=_caption(apk) + _coverage_note(store, country, ("acled",)),
                indicators=[apk.indicator.name],
            )
        )

    progress("political")
    coups = results["political.coups"]
    if not coups.frame.empty:
        listed = "; ".join(
            f"{pd.Timestamp(d):%d %b %Y} ({_state(ok)}"
            + (f"; the timeline dates it {pd.Timestamp(t):%d %b %Y}" if pd.notna(t) else "")
            + ")"
            for d, ok, t in zip(
                coups.frame["date"],
                coups.frame["successful"],
                coups.frame["timeline_date_differs"],
                strict=True,
            )
        )
        text["political"].append(f"Coup attempts: {listed}.")
        figures["political"].append(
            Figure(
                "Coups",
                table=_table(coups.frame),
                caption=_caption(coups),
                indicators=[coups.indicator.name],
            )
        )
    monthly = panel.panel(store, "country", country, start, end).set_index("month")
    series = monthly["fatalities_best"]
    series.index = pd.to_datetime(series.index)
    breaks = trends.breaks_with_events(store, country, series)
    for brk in breaks.to_dict("records"):
        near = str(brk["nearest_events"] or "")
        text["political"].append(
            f"The monthly death toll shifts in {brk['month']} from a mean of "
            f"{float(brk['mean_before']):,.0f} to {float(brk['mean_after']):,.0f} a month"
            + (f" (nearest timeline events: {near})." if near else ".")
        )
    figures["political"].append(
        Figure(
            "Monthly deaths and structural breaks",
            charts.lines(
                monthly.reset_index().assign(month=lambda d: pd.to_datetime(d["month"])),
                "month",
                {"fatalities_best": "deaths per month (UCDP GED, best)"},
                "Monthly deaths; dashed lines: change points (ruptures, Pelt, l2 on log1p)",
                [(pd.Timestamp(m), "break") for m in breaks["month"]],
            ),
            table=_table(breaks),
            caption=f"Source: {'; '.join(by_year.provenance)}. Penalty "
            "2 ln(n) var(log1p(series)), minimum segment 6 months (peacewatch.analysis.trends).",
            indicators=["panel country x month"],
        )
    )
    periods = _periods(store, country, start, end)
    if len(periods) > 1:
        table = trends.trend(series, [(str(a), str(b)) for a, b, _ in periods])
        table.insert(0, "from", [label for _, _, label in periods][: len(table)])
        # Events dated only to the year are not in the monthly series; count them per period so
        # the periods add up to the country's total.
        yearly = monthly["imprecise_fatalities_best"]
        yearly.index = pd.to_datetime(yearly.index)
        table["year_dated_deaths"] = [
            float(
                yearly[(yearly.index >= pd.Timestamp(a)) & (yearly.index <= pd.Timestamp(b))].sum()
            )
            for a, b, _ in periods[: len(table)]
        ]
        for row in table.to_dict("records"):
            text["political"].append(
                f"{row['period']} ({row['from']}): {row['mean_per_month']:,.0f} deaths a month "
                f"on average, trend {row['trend_per_year']:+,.0f} a month per year."
            )
        figures["political"].append(
            Figure(
                "Trends between turning points",
                table=_table(table),
                caption=f"Source: {'; '.join(by_year.provenance)}. Periods split at successful "
                "coups and the start of the withdrawal (timeline); trend = least-squares slope "
                "of monthly deaths, per year. `total` counts events dated to the day, week or "
                "month; `year_dated_deaths`, those GED dates only to the year (not in the "
                "monthly series): together they give the period's deaths.",
                indicators=["panel country x month", "political.coups"],
            )
        )
    timeline = results["political.timeline"]
    if not timeline.frame.empty:
        figures["political"].append(
            Figure(
                "Agreements, transitions, sanctions",
                table=_table(timeline.frame.drop(columns="sources")),
                caption=_caption(timeline),
                indicators=[timeline.indicator.name],
            )
        )

    progress("cooperation")
    tracker = results["cooperation.tracker"]
    kinds = (
        tracker.frame.groupby("kind")["events"].sum().to_dict() if not tracker.frame.empty else {}
    )
    text["cooperation"].append(
        "Freedom of movement and host cooperation, counted month by month from the timeline and "
        "the published incident reports: "
        + (
            "; ".join(f"{kind} {int(n)}" for kind, n in sorted(kinds.items()))
            if kinds
            else "none recorded"
        )
        + ". The loaded sources hold few such records: flight denials, rotation refusals and "
        "movement restrictions reported by the mission itself enter this count once filed as "
        "incident reports."
    )
    if not tracker.frame.empty:
        figures["cooperation"].append(
            Figure(
                "Freedom of movement and host cooperation, by month",
                table=_table(tracker.frame),
                caption=_caption(tracker),
                indicators=[tracker.indicator.name],
            )
        )
    coop = results["cooperation.restrictions"]
    if not coop.frame.empty:
        text["cooperation"].append(
            f"The timeline records {len(coop.frame)} events on the mission's freedom of "
            "movement, expulsions, foreign forces and the withdrawal."
        )
        figures["cooperation"].append(
            Figure(
                "Restrictions, expulsions, foreign forces",
                table=_table(coop.frame.drop(columns="source")),
                caption=_caption(coop),
                indicators=[coop.indicator.name],
            )
        )

    progress("human rights")
    civ = results["human_rights.civilian_fatalities"]
    if not civ.frame.empty:
        worst = civ.frame.groupby("perpetrator_category")["civilian_fatalities"].sum()
        text["human-rights"].append(
            "Civilians killed in one-sided violence by perpetrator category: "
            + ", ".join(
                f"{_label(k)} {_n(v)}" for k, v in worst.sort_values(ascending=False).items()
            )
            + "."
        )
        figures["human-rights"].append(
            Figure(
                "Civilians killed in one-sided violence, by perpetrator",
                charts.stacked(
                    civ.frame,
                    "year",
                    "perpetrator_category",
                    "civilian_fatalities",
                    "Civilian deaths by perpetrator category",
                ),
                caption=_caption(civ),
                indicators=[civ.indicator.name],
            )
        )
    mass = results["human_rights.mass_casualty_events"]
    if not mass.frame.empty:
        once = _with_timeline(
            store, country, reconcile.dedupe(mass.frame, reconcile.matches(store, country))
        )
        folded = len(mass.frame) - len(once)
        deadliest = once.sort_values("civilian_fatalities", ascending=False).head(3)
        text["human-rights"].append(
            f"{len(once)} events killed at least 25 civilians"
            + (
                f" ({len(mass.frame)} source rows: {folded} ACLED rows are the same events as "
                "GED rows and are counted once, with both tolls shown)"
                if folded
                else ""
            )
            + ". The deadliest: "
            + "; ".join(
                f"{pd.Timestamp(r['date']):%d %b %Y}, {r['place'] or r['region']}: "
                f"{_n(r['civilian_fatalities'])} civilians ({r['source']})"
                + (f"; the timeline: {r['timeline_account']}" if r["timeline_account"] else "")
                for r in deadliest.to_dict("records")
            )
            + "."
        )
        figures["human-rights"].append(
            Figure(
                "Mass-casualty events (>= 25 civilians), each real event once",
                table=_table(once),
                caption=_caption(mass)
                + " Rows of different sources matched as one event (peacewatch.analysis."
                "reconcile: date, place, deaths, actors) are folded into the GED row "
                "(`also in`, `disagreement`); the timeline's account of the same massacre is set "
                "beside it.",
                indicators=[mass.indicator.name],
            )
        )

    progress("withdrawal")
    if not missions:
        # A country without a peace operation: say, section by section, what does not apply.
        note = f"{name} has no UN peace operation in the loaded data"
        text["withdrawal"].append(f"{note}: there is no withdrawal to describe.")
        text["implications"].insert(
            0,
            f"{note}: the comparison around vacated camps and the withdrawal-impact "
            "estimate do not apply; the humanitarian and regional figures below do.",
        )
        text["cooperation"].insert(
            0,
            f"{note}: host cooperation with a mission does not apply; restrictions on "
            "movement recorded in the timeline or in incident reports are still counted.",
        )
    withdrawal = store.con.execute(
        "SELECT date, category, event FROM timeline WHERE country_iso3 = ? AND category IN "
        "('withdrawal', 'mandate') ORDER BY date",
        [country],
    ).df()
    if not withdrawal.empty:
        text["withdrawal"].append(
            f"The timeline holds {len(withdrawal)} mandate and withdrawal events, from "
            f"{pd.Timestamp(withdrawal['date'].iloc[0]):%d %b %Y} to "
            f"{pd.Timestamp(withdrawal['date'].iloc[-1]):%d %b %Y}."
        )
        figures["withdrawal"].append(
            Figure(
                "Mandate and withdrawal timeline",
                table=_table(withdrawal),
                caption="Source: timeline (reference table).",
                indicators=["timeline"],
            )
        )
    camps = store.con.execute(
        "SELECT name, closure_date, handed_over_to FROM camps WHERE country_iso3 = ? "
        "ORDER BY closure_date NULLS LAST",
        [country],
    ).df()
    if not camps.empty:
        figures["withdrawal"].append(
            Figure(
                "Camp handovers",
                table=_table(camps),
                caption="Source: camps (reference table).",
                indicators=["camps"],
            )
        )

    progress("implications")
    vacuum = _vacuum_table(store, country, end)
    if not vacuum.empty:
        text["implications"].append(
            "Around each vacated camp (25 km): events and deaths in the 6 months before the "
            "handover and in the months after it that the loaded data cover. This is a "
            "description, not an estimate of the withdrawal's effect."
        )
        figures["implications"].append(
            Figure(
                "Violence near vacated camps (25 km)",
                table=_table(vacuum),
                caption=f"Source: {'; '.join(by_year.provenance)}; camps table. Events within "
                "25 km (great circle), counted by event date from the handover day; events dated "
                "only to the year are left out.",
                indicators=["camps", "events within 25 km"],
            )
        )
    followed = _after_handovers(store, country)
    if not followed.empty:
        text["implications"].append(
            f"After the first handover the timeline records {len(followed)} events, among them: "
            + "; ".join(
                f"{pd.Timestamp(d):%d %b %Y}: {e}"
                for d, e in zip(followed["date"].head(6), followed["event"].head(6), strict=True)
            )
            + "."
        )
        figures["implications"].append(
            Figure(
                "What followed the handovers (timeline)",
                table=_table(followed),
                caption="Source: the country's timeline (reference table), from the first "
                "handover on.",
                indicators=["timeline"],
            )
        )
    progress("impact")
    try:
        spec = impact_analysis.ImpactSpec(country, radii=(25.0, 50.0), replications=499)
        result = impact_analysis.run(store, spec)
    except PeacewatchError as exc:
        result = None
        text["implications"].append(
            f"The withdrawal-impact estimate is not in this briefing: {exc}."
        )
    if result is not None:
        lines = impact_report.summary_lines(result)
        text["implications"].extend(lines[: len(spec.radii)])
        text["implications"].extend(line for line in lines if "presence while deployed" in line)
        figures["implications"].append(
            Figure(
                "Event study around camp handovers",
                impact_report.event_study_svg(result),
                table=_table(result.pooled),
                caption="Poisson regression with site and month fixed effects; comparisons: "
                "camps not yet handed over and PRIO-GRID cells of the same regions beyond "
                "50 km of any camp; 95% wild cluster bootstrap intervals "
                "(peacewatch.analysis.impact). " + " ".join(result.limits),
                indicators=["panel site:25", "panel site:50", "panel priogrid"],
            )
        )
        figures["implications"].append(
            Figure(
                "Each vacated camp: monthly deaths within 25 km",
                impact_report.sparklines_svg(store, result),
                caption="Dashed line: handover month. Source: UCDP GED; camps table.",
                indicators=["panel site:25"],
            )
        )
        if not result.presence.empty:
            figures["implications"].append(
                Figure(
                    "While deployed: violence where the troops were (Geo-PKO)",
                    table=_table(result.presence.drop(columns=["coef", "outcome"])),
                    caption="PRIO-GRID cell-years; Poisson with cell and year fixed effects; "
                    "95% wild cluster bootstrap intervals by cell. Published finding: "
                    f"{presence_analysis.PUBLISHED}. Deployments follow violence, so this is an "
                    "association (peacewatch.analysis.presence).",
                    indicators=["deployments (Geo-PKO v2.3)", "panel priogrid"],
                )
            )
        figures["implications"].append(
            Figure(
                "Placebo handovers (moved 12 and 24 months earlier)",
                table=_table(result.placebo),
                caption="The same estimator on fake handover dates, using only months before "
                "the real handovers: an effect here would point to trends, not the withdrawal.",
                indicators=["panel site:25", "panel site:50"],
            )
        )
    hum = results["humanitarian.figures"]
    if not hum.frame.empty:
        for ind, group in hum.frame.groupby("indicator"):
            part = group.sort_values("year")
            label = LABELS.get(str(ind), str(ind))
            values, years = list(part["value"]), [int(y) for y in part["year"]]
            if len(part) == 1:
                text["implications"].append(
                    f"{label}: {_n(values[0])} in {years[0]} (the one figure loaded)."
                )
            else:
                text["implications"].append(
                    f"{label}: {_n(values[0])} in {years[0]}, {_n(values[-1])} in {years[-1]}."
                )
        wide = hum.frame.pivot_table(
            index="year", columns="indicator", values="value", aggfunc="last"
        ).reset_index()
        figures["implications"].append(
            Figure(
                "Displacement and people in need",
                charts.lines(
                    wide,
                    "year",
                    {c: LABELS.get(c, c) for c in wide.columns if c != "year"},
                    "Humanitarian figures (latest per year)",
                ),
                table=_table(hum.frame),
                caption=_caption(hum),
                indicators=[hum.indicator.name],
            )
        )
    neighbours = results["regional.neighbours"]
    border = results["regional.border_areas"]
    if not neighbours.frame.empty:
        for iso3, group in neighbours.frame.groupby("country_iso3"):
            part = group.sort_values("year")
            text["implications"].append(
                f"In {_country_name(str(iso3))}, GED deaths went from "
                f"{_n(part['fatalities_best'].iloc[0])} in {int(part['year'].iloc[0])} to "
                f"{_n(part['fatalities_best'].iloc[-1])} in {int(part['year'].iloc[-1])}."
            )
        figures["implications"].append(
            Figure(
                "Violence in neighbouring countries and border areas",
                table=_table(border.frame),
                caption=_caption(border),
                indicators=[neighbours.indicator.name, border.indicator.name],
            )
        )
        spill = spatial.spillover(store, country, str(start), str(end))
        corr = spatial.lagged_correlations(spill)
        best = corr.dropna().sort_values("correlation", ascending=False).head(1)
        if not best.empty:
            text["implications"].append(
                f"Monthly deaths in {name} and within {indicators.BORDER_KM:.0f} km of its "
                f"border on the other side correlate most at a lag of "
                f"{int(best['lag_months'].iloc[0])} months (r = "
                f"{best['correlation'].iloc[0]:.2f}); correlation is not diffusion."
            )
        figures["implications"].append(
            Figure(
                "Spillover: the country and the other side of its border",
                charts.lines(
                    spill.assign(month=lambda d: pd.to_datetime(d["month"])),
                    "month",
                    {
                        "country_fatalities": name,
                        "border_fatalities_across": f"within {indicators.BORDER_KM:.0f} km "
                        "across the border",
                    },
                    "Monthly deaths (UCDP GED)",
                ),
                table=_table(corr),
                caption=_caption(border),
                indicators=[border.indicator.name],
            )
        )
    hot = spatial.hotspots(store, country, end.year - (1 if end.month < 12 else 0), "priogrid")
    if hot["fatalities"].sum() > 0:
        counts = hot["class"].value_counts()
        text["implications"].append(
            f"Gi* hot spots ({int(hot.attrs.get('year', end.year))}): "
            f"{int(counts.get('hot spot', 0))} PRIO-GRID cells are hot spots of deaths."
        )
        figures["implications"].append(
            Figure(
                "Hot spots of deaths (Getis-Ord Gi*, PRIO-GRID)",
                charts.choropleth(
                    hot.assign(z=hot["z"].fillna(0)),
                    "z",
                    "Gi* z-score of deaths per cell",
                    outline=admin_gdf if not admin_gdf.empty else None,
                    cmap="coolwarm",
                ),
                caption="Queen contiguity, 999 permutations, seed fixed "
                "(peacewatch.analysis.spatial).",
                indicators=["hotspots"],
            )
        )

    progress("outlook")
    _outlook(store, country, figures, text)

    appendix = [
        {
            "name": r.indicator.name,
            "title": r.indicator.title,
            "description": r.indicator.description,
            "provenance": r.provenance,
            "query": r.query,
            "rows": len(r.frame),
        }
        for r in results.values()
    ]
    loads = _files_used(store, country, results)
    verdicts = claims.judge(store, country, missions[0], tracker.frame, vacuum) if missions else []
    if verdicts:
        tally = pd.Series([v.verdict for v in verdicts]).value_counts()
        text["claims"].append(
            f"{len(verdicts)} claims of the usual account of {missions[0]}'s exit, each judged by "
            "the rule stated beside it from the loaded evidence: "
            + ", ".join(f"{n} {verdict}" for verdict, n in tally.items())
            + "."
        )
        figures["claims"].append(
            Figure(
                "Claims and evidence",
                table=_table(
                    pd.DataFrame(
                        {
                            "claim": [v.claim for v in verdicts],
                            "verdict": [v.verdict for v in verdicts],
                            "evidence": [v.evidence for v in verdicts],
                            "rule": [v.rule for v in verdicts],
                        }
                    )
                ),
                caption="Claims and rules: peacewatch/data/claims/"
                f"{missions[0]}.csv; evidence computed by peacewatch.report.claims.",
                indicators=["claims"],
            )
        )
    else:
        text["claims"].append(
            "No mission claims file for this country"
            + (f" ({', '.join(missions)})" if missions else " (no peace operation in the data)")
            + ": nothing to judge."
        )
    judged = judgements.key_judgements(
        store,
        country,
        name,
        end,
        vacuum,
        {"sentence": text["outlook"][0]} if text["outlook"] else None,
        tuple(missions),
    )
    text["summary"] = [j.text for j in judged]
    return {
        "country": country,
        "country_name": name,
        "missions": missions,
        "start": start,
        "end": end,
        "sections": SECTIONS,
        "figures": figures,
        "text": text,
        "appendix": appendix,
        "judgements": judged,
        "boundaries": _boundary_note(store, country),
        "loads": _table(loads, max_rows=200),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }


def render_html(context: dict[str, object]) -> str:
    """The self-contained HTML briefing."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("peacewatch.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("briefing.html.j2").render(**context)


def write(
    store: Store,
    country: str,
    out: Path,
    pdf: Path | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    progress: Progress = lambda _: None,
    licensed: bool = True,
) -> dict[str, object]:
    """Build the briefing and write the HTML (and the PDF); returns the context."""
    if not out.parent.exists():
        raise PeacewatchError(f"{out.parent}: no such folder")
    context = build_context(store, country, date_from, date_to, progress, licensed)
    progress("html")
    html = render_html(context)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    if pdf is not None:
        progress("pdf")
        tmp = pdf.with_name(f".{pdf.name}.part")
        HTML(string=html, base_url=str(out.parent)).write_pdf(str(tmp))
        tmp.replace(pdf)
    return context
