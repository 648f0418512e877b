"""Where the mission left: violence around vacated camps, what followed, the impact estimate."""

from __future__ import annotations

import pandas as pd

from peacewatch import results
from peacewatch.analysis import impact as impact_analysis
from peacewatch.analysis import presence as presence_analysis
from peacewatch.analysis import vacuum
from peacewatch.errors import PeacewatchError
from peacewatch.report import impact as impact_report
from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "vacuum", "Where the mission left: a security vacuum?"
RADII = (25.0, 50.0)
REPLICATIONS = 499


def impact_result(brief: Brief) -> impact_analysis.ImpactResult:
    """The event study around the handovers, computed once per store generation."""
    spec = impact_analysis.ImpactSpec(brief.country, radii=RADII, replications=REPLICATIONS)
    return results.cached(
        brief.store, "impact", lambda: impact_analysis.run(brief.store, spec), spec
    )


def build(brief: Brief) -> Section:
    """Deaths near each vacated camp, the timeline after the handovers, and the estimate."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    if not brief.missions:
        out.say(
            lang._(
                "{country} has no UN peace operation in the loaded data: the comparison around "
                "vacated camps and the withdrawal-impact estimate do not apply.",
                country=brief.name,
            )
        )
        return out
    table = brief.vacuum
    if not table.empty:
        out.say(
            lang._(
                "Around each vacated camp ({radius} km): events and deaths in the 6 months before "
                "the handover and in the months after it that the loaded data cover. This is a "
                "description, not an estimate of the withdrawal's effect.",
                radius=f"{vacuum.RADIUS_KM:g}",
            )
        )
        shown = table.assign(note=table["note"].map(lambda v: lang._(v) if v else ""))
        out.figure(
            lang._("Violence near vacated camps ({radius} km)", radius=f"{vacuum.RADIUS_KM:g}"),
            table=shown,
            caption=lang._(
                "Source: {files}; camps table. Events within 25 km (great circle), counted by "
                "event date from the handover day; events dated only to the year are left out. "
                "A camp without a handover date gives the camps file's reason.",
                files="; ".join(brief.results["security.ged_by_year"].provenance),
            ),
            indicators=["camps", "events within 25 km"],
        )
    followed = vacuum.after_handovers(brief.store, brief.country)
    if not followed.empty:
        out.say(
            lang._(
                "After the first handover the timeline records {count} events, among them: "
                "{listed}.",
                count=lang.n(len(followed)),
                listed="; ".join(
                    f"{lang.day(d)}: {e}"
                    for d, e in zip(
                        followed["date"].head(6), followed["event"].head(6), strict=True
                    )
                ),
            )
        )
        out.figure(
            lang._("What followed the handovers (timeline)"),
            table=followed.assign(category=followed["category"].map(lang._)),
            caption=lang._(
                "Source: the country's timeline (reference table), from the first handover on."
            ),
            indicators=["timeline"],
        )
    try:
        result = impact_result(brief)
    except PeacewatchError as exc:
        out.say(lang._("The withdrawal-impact estimate is not in this briefing: {why}.", why=exc))
        return out
    _estimate(brief, out, result)
    return out


def _estimate(brief: Brief, out: Section, result: impact_analysis.ImpactResult) -> None:
    lang = brief.lang
    outcome = lang._(result.spec.outcome.replace("_", " "))
    for row in result.pooled.to_dict("records"):
        out.say(
            lang._(
                "Within {radius} km: after handover, {outcome} changed by a factor of {rr} (95% "
                "interval {low} to {high}; {clusters} units): {verdict}.",
                radius=f"{row['radius_km']:g}",
                outcome=outcome,
                rr=lang.fixed(row["rate_ratio"], 2),
                low=lang.fixed(row["rr_low"], 2),
                high=lang.fixed(row["rr_high"], 2),
                clusters=lang.n(row["clusters"]),
                verdict=lang._(row["verdict"]),
            )
        )
    for row in result.presence.to_dict("records"):
        if row["measure"] == "presence":
            out.say(
                lang._(
                    "{mission} presence while deployed (Geo-PKO v2.3, PRIO-GRID cell-years "
                    "{years}, lag {lag} year): civilian deaths x{rr} ({low} to {high}) where "
                    "troops were; compared with the published finding that UN troops go with "
                    "less violence against civilians: {finding}. An association, not a causal "
                    "effect.",
                    mission=row["mission"],
                    years=row["years"],
                    lag=row["lag_years"],
                    rr=lang.fixed(row["rate_ratio"], 2),
                    low=lang.fixed(row["rr_low"], 2),
                    high=lang.fixed(row["rr_high"], 2),
                    finding=lang._(row["published_finding"]),
                )
            )
    out.figure(
        lang._("Event study around camp handovers"),
        svg=impact_report.event_study_svg(result),
        table=_translated(brief, result.pooled),
        caption=lang._(
            "Poisson regression with site and month fixed effects; comparisons: camps not yet "
            "handed over and PRIO-GRID cells of the same regions beyond 50 km of any camp; 95% "
            "wild cluster bootstrap intervals (peacewatch.analysis.impact)."
        )
        + " "
        + _limits(brief, result),
        indicators=["panel site:25", "panel site:50", "panel priogrid"],
    )
    out.figure(
        lang._("Each vacated camp: monthly deaths within 25 km"),
        svg=impact_report.sparklines_svg(brief.store, result),
        caption=lang._("Dashed line: handover month. Source: UCDP GED; camps table."),
        indicators=["panel site:25"],
    )
    if not result.presence.empty:
        out.figure(
            lang._("While deployed: violence where the troops were (Geo-PKO)"),
            table=_translated(brief, result.presence.drop(columns=["coef", "outcome"])),
            caption=lang._(
                "PRIO-GRID cell-years; Poisson with cell and year fixed effects; 95% wild cluster "
                "bootstrap intervals by cell. Published finding: {published}. Deployments follow "
                "violence, so this is an association (peacewatch.analysis.presence).",
                published=lang._(presence_analysis.PUBLISHED),
            ),
            indicators=["deployments (Geo-PKO v2.3)", "panel priogrid"],
        )
    out.figure(
        lang._("Placebo handovers (moved 12 and 24 months earlier)"),
        table=_translated(brief, result.placebo),
        caption=lang._(
            "The same estimator on fake handover dates, using only months before the real "
            "handovers: an effect here would point to trends, not the withdrawal."
        ),
        indicators=["panel site:25", "panel site:50"],
    )


def _translated(brief: Brief, frame: pd.DataFrame) -> pd.DataFrame:
    """The verdict columns in the report's language."""
    out = frame.copy()
    for col in ("verdict", "published_finding", "measure"):
        if col in out:
            out[col] = out[col].map(lambda v: brief.lang._(v) if isinstance(v, str) and v else v)
    if "fake_handover" in out:
        out["fake_handover"] = out["fake_handover"].map(
            lambda v: brief.lang._("{months} months earlier", months=str(v).strip("-").split()[0])
        )
    return out


def _limits(brief: Brief, result: impact_analysis.ImpactResult) -> str:
    """The estimate's limits: where the data end, the camps left out, the short windows."""
    lang = brief.lang
    parts = []
    if result.data_end is not None:
        parts.append(lang._("The loaded event data end on {day}.", day=lang.day(result.data_end)))
    for row in result.sites[result.sites["status"] != "used"].to_dict("records"):
        parts.append(f"{row['name']}: {lang._(row['status'])}.")
    first = result.per_site[result.per_site["radius_km"] == result.spec.radii[0]]
    short = first[first["months_after_in_data"] < result.spec.after]
    if len(short):
        parts.append(
            lang._(
                "{short} of {sites} sites have fewer than {months} months after their handover "
                "in the data: {listed}. Post-handover estimates rest on these few months.",
                short=lang.n(len(short)),
                sites=lang.n(len(first)),
                months=result.spec.after,
                listed=", ".join(
                    f"{r['site']} ({r['months_after_in_data']})" for r in short.to_dict("records")
                ),
            )
        )
    return " ".join(parts)
