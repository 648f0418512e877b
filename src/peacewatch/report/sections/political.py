"""Political instability: coups, structural breaks in the monthly deaths, trends between them."""

from __future__ import annotations

from datetime import date

import pandas as pd

from peacewatch import panel
from peacewatch.analysis import trends
from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "political", "Political instability"


def coup_state(successful: object) -> str:
    """Successful / failed (Powell & Thyne) or 'timeline only' where P&T has no such coup."""
    if successful is None or pd.isna(successful):  # type: ignore[call-overload]
        return "timeline only"
    return "successful" if bool(successful) else "failed"


def periods(brief: Brief) -> list[tuple[date, date, str]]:
    """The period cut at successful coups and at the first withdrawal event of the timeline."""
    lang, store = brief.lang, brief.store
    cuts = [
        (d, lang._("after the coup of {day}", day=lang.day(d)))
        for (d,) in store.rows(
            "SELECT date FROM coups WHERE country_iso3 = ? AND successful AND date > ? "
            "AND date < ? ORDER BY date",
            [brief.country, brief.start, brief.end],
        )
    ]
    withdrawal = panel.first_withdrawal(store, brief.country, brief.start, brief.end)
    if withdrawal is not None:
        cuts.append(
            (withdrawal, lang._("after the withdrawal began ({day})", day=lang.day(withdrawal)))
        )
    cuts.sort()
    out = []
    first, label = brief.start, lang._("start of the period")
    for cut, next_label in cuts:
        if (cut - first).days >= 180:
            out.append((first, cut - pd.Timedelta(days=1), label))
            first, label = cut, next_label
    out.append((first, brief.end, label))
    return out


def build(brief: Brief) -> Section:
    """Coups with their dates' disagreements, change points and the trend of each period."""
    lang, results = brief.lang, brief.results
    out = brief.section(KEY, lang._(TITLE))
    coups = results["political.coups"]
    if coups.frame.empty:
        loaded = brief.store.row("SELECT count(*) FROM coups")
        out.say(
            lang._(
                "Powell & Thyne record no coup attempt in {country} in the period.",
                country=brief.name,
            )
            if loaded and loaded[0]
            else lang._("No coups file is loaded (Powell & Thyne: peacewatch load coups FILE).")
        )
    else:
        listed = "; ".join(
            f"{lang.day(d)} ({lang._(coup_state(ok))}"
            + ("; " + lang._("the timeline dates it {day}", day=lang.day(t)) if pd.notna(t) else "")
            + ")"
            for d, ok, t in zip(
                coups.frame["date"],
                coups.frame["successful"],
                coups.frame["timeline_date_differs"],
                strict=True,
            )
        )
        out.say(lang._("Coup attempts: {listed}.", listed=listed))
        out.figure(
            lang._("Coups"),
            table=coups.frame,
            caption=brief.caption(coups),
            indicators=[coups.indicator.name],
        )
    sources = "; ".join(results["security.ged_by_year"].provenance)
    monthly = panel.panel(brief.store, "country", brief.country, brief.start, brief.end)
    monthly = monthly.set_index("month")
    series = monthly["fatalities_best"]
    series.index = pd.to_datetime(series.index)
    breaks = trends.breaks_with_events(brief.store, brief.country, series)
    for brk in breaks.to_dict("records"):
        near = str(brk["nearest_events"] or "")
        sentence = lang._(
            "The monthly death toll shifts in {month} from a mean of {before} to {after} a month",
            month=lang.month(brk["month"]),
            before=lang.fixed(float(brk["mean_before"]), 0),
            after=lang.fixed(float(brk["mean_after"]), 0),
        )
        out.say(
            sentence
            + (
                " (" + lang._("nearest timeline events: {events}", events=near) + ")."
                if near
                else "."
            )
        )
    out.figure(
        lang._("Monthly deaths and structural breaks"),
        svg=charts.lines(
            monthly.reset_index().assign(month=lambda d: pd.to_datetime(d["month"])),
            "month",
            {"fatalities_best": lang._("deaths per month (UCDP GED, best)")},
            lang._("Monthly deaths; dashed lines: change points (ruptures, Pelt, l2 on log1p)"),
            [(pd.Timestamp(m), lang._("break")) for m in breaks["month"]],
        ),
        table=breaks,
        caption=lang._(
            "Source: {files}. Penalty 2 ln(n) var(log1p(series)), minimum segment 6 months "
            "(peacewatch.analysis.trends).",
            files=sources,
        ),
        indicators=["panel country x month"],
    )
    _trends(brief, out, monthly, series, sources)
    timeline = results["political.timeline"]
    if not timeline.frame.empty:
        out.figure(
            lang._("Agreements, transitions, sanctions"),
            table=timeline.frame.drop(columns="sources"),
            caption=brief.caption(timeline),
            indicators=[timeline.indicator.name],
        )
    return out


def _trends(
    brief: Brief, out: Section, monthly: pd.DataFrame, series: pd.Series, sources: str
) -> None:
    """The mean and trend of monthly deaths in each period between turning points."""
    lang = brief.lang
    cut = periods(brief)
    if len(cut) < 2:
        return
    table = trends.trend(series, [(str(a), str(b)) for a, b, _ in cut])
    table.insert(0, "from", [label for _, _, label in cut][: len(table)])
    # Events dated only to the year are not in the monthly series; count them per period so
    # the periods add up to the country's total.
    yearly = monthly["imprecise_fatalities_best"]
    yearly.index = pd.to_datetime(yearly.index)
    table["year_dated_deaths"] = [
        float(yearly[(yearly.index >= pd.Timestamp(a)) & (yearly.index <= pd.Timestamp(b))].sum())
        for a, b, _ in cut[: len(table)]
    ]
    for row in table.to_dict("records"):
        out.say(
            lang._(
                "{period} ({label}): {mean} deaths a month on average, trend {trend} a month "
                "per year.",
                period=row["period"],
                label=row["from"],
                mean=lang.fixed(row["mean_per_month"], 0),
                trend=lang.signed(row["trend_per_year"]),
            )
        )
    out.figure(
        lang._("Trends between turning points"),
        table=table,
        caption=lang._(
            "Source: {files}. Periods split at successful coups and the start of the withdrawal "
            "(timeline); trend = least-squares slope of monthly deaths, per year. `total` counts "
            "events dated to the day, week or month; `year_dated_deaths`, those GED dates only to "
            "the year (not in the monthly series): together they give the period's deaths.",
            files=sources,
        ),
        indicators=["panel country x month", "political.coups"],
    )
