"""Human rights: civilians killed by perpetrator, and mass-casualty events counted once."""

from __future__ import annotations

import pandas as pd

from peacewatch.analysis import reconcile
from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section, label

KEY, TITLE = "human-rights", "Human rights"


def with_timeline(brief: Brief, frame: pd.DataFrame) -> pd.DataFrame:
    """Each event with the timeline's massacre entry of the same days, if there is one.

    The timeline gives other tolls (OHCHR, officials): Moura, March 2022, at least 500 killed
    against GED's count. Matched by date (the entry's span, 3 days either side).
    """
    entries = brief.store.frame(
        "SELECT date, coalesce(end_date, date) AS end_date, event, reported_fatalities "
        "FROM timeline WHERE country_iso3 = ? AND category = 'massacre/human-rights'",
        [brief.country],
    )
    reported = brief.lang._("reported")
    accounts = []
    for day in pd.to_datetime(frame["date"]):
        hit = entries[
            (pd.to_datetime(entries["date"]) - pd.Timedelta(days=3) <= day)
            & (day <= pd.to_datetime(entries["end_date"]) + pd.Timedelta(days=3))
        ]
        accounts.append(
            " | ".join(
                str(e) + (f" ({reported}: {f})" if isinstance(f, str) and f else "")
                for e, f in zip(hit["event"], hit["reported_fatalities"], strict=True)
            )
        )
    return frame.assign(timeline_account=accounts)


def build(brief: Brief) -> Section:
    """Civilian deaths by perpetrator category; the deadliest events with the timeline's tolls."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    civ = brief.results["human_rights.civilian_fatalities"]
    if not civ.frame.empty:
        worst = civ.frame.groupby("perpetrator_category")["civilian_fatalities"].sum()
        out.say(
            lang._(
                "Civilians killed in one-sided violence by perpetrator category: {listed}.",
                listed=", ".join(
                    f"{label(k, lang)} {lang.n(v)}"
                    for k, v in worst.sort_values(ascending=False).items()
                ),
            )
        )
        out.figure(
            lang._("Civilians killed in one-sided violence, by perpetrator"),
            svg=charts.stacked(
                civ.frame,
                "year",
                "perpetrator_category",
                "civilian_fatalities",
                lang._("Civilian deaths by perpetrator category"),
            ),
            caption=brief.caption(civ),
            indicators=[civ.indicator.name],
        )
    mass = brief.results["human_rights.mass_casualty_events"]
    if mass.frame.empty:
        return out
    once = with_timeline(
        brief, reconcile.dedupe(mass.frame, reconcile.matches(brief.store, brief.country))
    )
    folded = len(mass.frame) - len(once)
    deadliest = once.sort_values("civilian_fatalities", ascending=False).head(3)
    listed = "; ".join(
        lang._(
            "{day}, {place}: {deaths} civilians ({source})",
            day=lang.day(r["date"]),
            place=r["place"] or r["region"],
            deaths=lang.n(r["civilian_fatalities"]),
            source=r["source"],
        )
        + (
            "; " + lang._("the timeline: {account}", account=r["timeline_account"])
            if r["timeline_account"]
            else ""
        )
        for r in deadliest.to_dict("records")
    )
    counted = lang._("{count} events killed at least 25 civilians", count=lang.n(len(once)))
    if folded:
        counted += (
            " ("
            + lang._(
                "{rows} source rows: {folded} ACLED rows are the same events as GED rows and are "
                "counted once, with both tolls shown",
                rows=lang.n(len(mass.frame)),
                folded=lang.n(folded),
            )
            + ")"
        )
    out.say(counted + ". " + lang._("The deadliest: {listed}.", listed=listed))
    out.figure(
        lang._("Mass-casualty events (>= 25 civilians), each real event once"),
        table=once,
        caption=brief.caption(mass)
        + " "
        + lang._(
            "Rows of different sources matched as one event (peacewatch.analysis.reconcile: "
            "date, place, deaths, actors) are folded into the GED row (`also in`, "
            "`disagreement`); the timeline's account of the same massacre is set beside it."
        ),
        indicators=[mass.indicator.name],
    )
    return out
