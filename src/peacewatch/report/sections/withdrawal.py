"""The withdrawal: the mandate and withdrawal timeline and the camp handovers."""

from __future__ import annotations

import pandas as pd

from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "withdrawal", "The withdrawal: reasons and timeline"


def build(brief: Brief) -> Section:
    """The timeline's mandate and withdrawal events, and each camp's handover."""
    lang, store = brief.lang, brief.store
    out = brief.section(KEY, lang._(TITLE))
    if not brief.missions:
        out.say(
            lang._(
                "{country} has no UN peace operation in the loaded data: there is no withdrawal "
                "to describe.",
                country=brief.name,
            )
        )
    withdrawal = store.frame(
        "SELECT date, category, event FROM timeline WHERE country_iso3 = ? AND category IN "
        "('withdrawal', 'mandate') ORDER BY date",
        [brief.country],
    )
    if withdrawal.empty and brief.missions:
        out.say(
            lang._(
                "No mandate or withdrawal events of {country} are in the loaded timeline: load "
                "the country's timeline (peacewatch load timeline FILE --country {iso3}).",
                country=brief.name,
                iso3=brief.country,
            )
        )
    if not withdrawal.empty:
        out.say(
            lang._(
                "The timeline holds {count} mandate and withdrawal events, from {first} to {last}.",
                count=lang.n(len(withdrawal)),
                first=lang.day(withdrawal["date"].iloc[0]),
                last=lang.day(withdrawal["date"].iloc[-1]),
            )
        )
        out.figure(
            lang._("Mandate and withdrawal timeline"),
            table=withdrawal.assign(category=withdrawal["category"].map(lang._)),
            caption=lang._("Source: timeline (reference table)."),
            indicators=["timeline"],
        )
    camps = store.frame(
        "SELECT name, closure_date, handed_over_to FROM camps WHERE country_iso3 = ? "
        "ORDER BY closure_date NULLS LAST",
        [brief.country],
    )
    if camps.empty and brief.missions:
        out.say(
            lang._(
                "No camps of {missions} are loaded: the handovers need the mission's camps table "
                "(peacewatch load camps FILE --mission {mission}).",
                missions=", ".join(brief.missions),
                mission=brief.missions[0],
            )
        )
    if not camps.empty:
        dated = camps["closure_date"].notna()
        out.say(
            lang._(
                "{handed} of the mission's {camps} camps in the camps table were handed over, "
                "the first on {first} and the last on {last}.",
                handed=lang.n(int(dated.sum())),
                camps=lang.n(len(camps)),
                first=lang.day(camps.loc[dated, "closure_date"].min()),
                last=lang.day(camps.loc[dated, "closure_date"].max()),
            )
            if dated.any()
            else ""
        )
        out.figure(
            lang._("Camp handovers"),
            table=camps.assign(closure_date=pd.to_datetime(camps["closure_date"])),
            caption=lang._("Source: camps (reference table)."),
            indicators=["camps"],
        )
    return out
