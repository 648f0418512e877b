"""The building blocks of a briefing: what a section reads (`Brief`) and what it gives (`Section`).

A section is a function from a `Brief` (the store, the country, the period, the options, the
indicator results computed once) to a `Section` (its sentences, figures and tables, and the
indicators they come from). Figures and tables go through one helper, `Section.figure`, which
leaves out an empty one and formats a table in the report's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from peacewatch import indicators, vintages
from peacewatch.analysis.vacuum import vacuum_table
from peacewatch.countries import country_table
from peacewatch.missions import missions_of
from peacewatch.report.i18n import Lang
from peacewatch.schema import ACTOR_CATEGORIES, CATEGORIES
from peacewatch.store import Store

# Columns shown as they are (no thousands separator).
PLAIN_NUMBERS = {"year", "lag_months", "months", "handover_order", "priogrid_gid"}
# Humanitarian indicator codes as words (translated through the catalog). Codes that name the
# country (`<nationality>_refugees_neighbouring`, `refugees_hosted_in_<country>`) by pattern.
LABELS = {
    "idps": "Internally displaced people",
    "people_in_need": "People in need",
    "idps_plus_refugees_peak": "Displaced people and refugees (peak)",
}
PATTERNS = (
    (re.compile(r"^[a-z]+_refugees_neighbouring$"), "Refugees in neighbouring countries"),
    (re.compile(r"^refugees_hosted_in_[a-z_]+$"), "Refugees hosted"),
)


def indicator_label(code: str) -> str | None:
    """The English words of a humanitarian indicator code (None if it has none)."""
    if code in LABELS:
        return LABELS[code]
    return next((words for pattern, words in PATTERNS if pattern.match(code)), None)


@dataclass
class Figure:
    """A chart or table with its caption and the indicators it comes from."""

    title: str
    svg: str = ""
    table: str = ""
    caption: str = ""
    indicators: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A section of the briefing: sentences, then figures."""

    key: str
    title: str
    lang: Lang
    text: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def say(self, *sentences: str) -> None:
        """Add sentences (empty ones are left out)."""
        self.text.extend(s for s in sentences if s)

    def figure(
        self,
        title: str,
        *,
        svg: str = "",
        table: pd.DataFrame | None = None,
        caption: str = "",
        indicators: list[str] | tuple[str, ...] = (),
        max_rows: int = 40,
    ) -> None:
        """Add a figure: a chart, a table or both; nothing when both are empty."""
        html = table_html(table, self.lang, max_rows) if table is not None and len(table) else ""
        if not svg and not html:
            return
        self.figures.append(Figure(title, svg, html, caption, list(indicators)))


def label(value: object, lang: Lang) -> object:
    """A code as words (`state_forces` -> `state forces`), in the report's language."""
    words = indicator_label(value) if isinstance(value, str) else None
    if words:
        return lang._(words)
    if isinstance(value, str) and value in ACTOR_CATEGORIES + CATEGORIES:
        return lang._(value.replace("_", " "))
    return value


def _cell_date(value: object) -> object:
    """A timestamp at midnight as a date (`2023-06-30`, not `2023-06-30 00:00:00`)."""
    if isinstance(value, pd.Timestamp | datetime) and pd.notna(value):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)
    return value


def table_html(frame: pd.DataFrame, lang: Lang, max_rows: int = 40) -> str:
    """A table as HTML: numbers and headers in the report's language, dates as ISO days."""
    shown = frame.head(max_rows).copy()
    for col in shown.columns:
        if str(col) in PLAIN_NUMBERS:
            continue
        if str(shown[col].dtype) in ("Int64", "int64", "int32", "float64"):
            shown[col] = shown[col].map(lang.n)
        elif str(shown[col].dtype).startswith("datetime64"):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
        elif shown[col].dtype == object or pd.api.types.is_string_dtype(shown[col]):
            shown[col] = shown[col].map(_cell_date).map(lambda v: label(v, lang))
    # Column names as words, so a header can wrap in a narrow column (PDF) and reads as prose.
    shown.columns = [
        str(c) if str(c).isdigit() else lang._(str(c).replace("_", " ")) for c in shown.columns
    ]
    html = shown.to_html(index=False, border=0, classes="data", na_rep="", escape=True)
    if len(frame) > max_rows:
        html += (
            "<p class='note'>"
            + lang._("{count} more rows in the store.", count=lang.n(len(frame) - max_rows))
            + "</p>"
        )
    return html


def country_name(iso3: str) -> str:
    """The country's short English name (ISO3 if unknown)."""
    table = country_table()
    hit = table[table["iso3"] == iso3]
    return str(hit["name"].iloc[0]) if len(hit) else iso3


@dataclass
class Brief:
    """What every section reads: computed once per briefing."""

    store: Store
    country: str
    start: date
    end: date
    lang: Lang
    licensed: bool
    results: dict[str, indicators.Result]
    # Sections built so far, by key (the summary and the claims read the others).
    built: dict[str, Section] = field(default_factory=dict)
    # The key judgements (set by the summary section; the template links each to its figure).
    judgements: list[Any] = field(default_factory=list)

    @cached_property
    def name(self) -> str:
        """The country's name in the report's language (Babel's territory names)."""
        table = country_table()
        hit = table[table["iso3"] == self.country]
        iso2 = str(hit["iso2"].iloc[0]) if len(hit) and "iso2" in hit else ""
        local = self.lang.locale.territories.get(iso2) if iso2 else None
        return str(local) if self.lang.code != "en" and local else country_name(self.country)

    @cached_property
    def missions(self) -> list[str]:
        """The UN peace operations of the country in the reference table."""
        return missions_of(self.country)

    def section(self, key: str, title: str) -> Section:
        """An empty section in the report's language."""
        return Section(key, title, self.lang)

    def caption(self, result: indicators.Result) -> str:
        """Source line of a figure: the files its rows came from and its indicator."""
        lang = self.lang
        withheld = (
            " "
            + lang._(
                "{count} rows of sources whose terms forbid passing raw rows on (ACLED) are left "
                "out of this copy; their counts are in the aggregates.",
                count=lang.n(result.withheld),
            )
            if result.withheld
            else ""
        )
        return (
            lang._(
                "Source: {files}. Indicator <code>{name}</code>.",
                files="; ".join(result.provenance) or lang._("no data loaded"),
                name=result.indicator.name,
            )
            + withheld
        )

    def coverage_note(self, sources: tuple[str, ...]) -> str:
        """Which months each source's loaded rows cover, for years it covers only in part."""
        cov = vintages.coverage(self.store, self.country)
        notes = []
        for row in cov[cov["source"].isin(sources)].itertuples():
            first, last = str(row.first_month), str(row.last_month)
            partial = [
                f"{year}: {first if year == first[:4] else year + '-01'}.."
                f"{last if year == last[:4] else year + '-12'}"
                for year in sorted({first[:4], last[:4]})
                if (year == first[:4] and first[5:] != "01")
                or (year == last[:4] and last[5:] != "12")
            ]
            notes.append(
                " "
                + self.lang._(
                    "{source} rows loaded cover {first}..{last}",
                    source=row.source,
                    first=first,
                    last=last,
                )
                + (
                    " (" + self.lang._("part years: {years}", years=", ".join(partial)) + ")"
                    if partial
                    else ""
                )
                + "; "
                + self.lang._("other years: no data (n/a), not zero.")
            )
        return "".join(notes)

    @cached_property
    def boundary_note(self) -> str:
        """Which admin-1 boundaries the country's regional figures use (dataset, file, sha256)."""
        versions = sorted(set(self.store.admin1_polygons(self.country)["boundary_version"]))
        return "; ".join(versions) if versions else self.lang._("no admin-1 boundaries loaded")

    @cached_property
    def recent(self) -> date:
        """The start of the maps' window: the last three calendar years of the period."""
        return max(self.start, date(self.end.year - 2, 1, 1))

    @cached_property
    def admin_map(self) -> gpd.GeoDataFrame:
        """The country's admin-1 polygons with GED deaths in the maps' window."""
        rows = self.store.frame(
            """SELECT b.name, b.geometry_wkb, coalesce(sum(e.fatalities_best), 0) AS fatalities
               FROM admin_boundaries b LEFT JOIN events e ON e.admin1_code = b.admin_code
                 AND e.source = 'ucdp_ged' AND e.date_start BETWEEN ? AND ?
               WHERE b.country_iso3 = ? AND b.admin_level = 1 GROUP BY ALL""",
            [self.recent, self.end, self.country],
        )
        geometry = shapely.from_wkb(rows["geometry_wkb"].map(bytes).to_numpy())
        return gpd.GeoDataFrame(rows.drop(columns="geometry_wkb"), geometry=geometry, crs=4326)

    @cached_property
    def vacuum(self) -> pd.DataFrame:
        """Per vacated camp: deaths within 25 km before and after the handover day."""
        return vacuum_table(self.store, self.country, self.end)
