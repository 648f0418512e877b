"""Cooperation with the host state: the freedom-of-movement and host-cooperation tracker."""

from __future__ import annotations

from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "cooperation", "Cooperation with the host state"


def build(brief: Brief) -> Section:
    """Restrictions, denials, expulsions and hostile statements counted by month, and listed."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    if not brief.missions:
        out.say(
            lang._(
                "{country} has no UN peace operation in the loaded data: host cooperation with a "
                "mission does not apply; restrictions on movement recorded in the timeline or in "
                "incident reports are still counted.",
                country=brief.name,
            )
        )
    tracker = brief.results["cooperation.tracker"]
    kinds = (
        tracker.frame.groupby("kind")["events"].sum().to_dict() if not tracker.frame.empty else {}
    )
    counted = (
        "; ".join(f"{lang._(str(kind))} {lang.n(int(n))}" for kind, n in sorted(kinds.items()))
        if kinds
        else lang._("none recorded")
    )
    out.say(
        lang._(
            "Freedom of movement and host cooperation, counted month by month from the timeline "
            "and the published incident reports: {counted}. The loaded sources hold few such "
            "records: flight denials, rotation refusals and movement restrictions reported by "
            "the mission itself enter this count once filed as incident reports.",
            counted=counted,
        )
    )
    out.figure(
        lang._("Freedom of movement and host cooperation, by month"),
        table=tracker.frame.assign(kind=tracker.frame["kind"].map(lang._))
        if not tracker.frame.empty
        else None,
        caption=brief.caption(tracker),
        indicators=[tracker.indicator.name],
    )
    coop = brief.results["cooperation.restrictions"]
    if not coop.frame.empty:
        out.say(
            lang._(
                "The timeline records {count} events on the mission's freedom of movement, "
                "expulsions, foreign forces and the withdrawal.",
                count=lang.n(len(coop.frame)),
            )
        )
        out.figure(
            lang._("Restrictions, expulsions, foreign forces"),
            table=coop.frame.drop(columns="source"),
            caption=brief.caption(coop),
            indicators=[coop.indicator.name],
        )
    return out
