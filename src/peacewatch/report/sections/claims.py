"""The standard story of the exit, against the evidence: each claim, its evidence, its verdict."""

from __future__ import annotations

import pandas as pd

from peacewatch.report import claims
from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "claims", "The standard story of the exit, against the evidence"


def build(brief: Brief) -> Section:
    """The mission's claims file judged by the rules it states (none: say so)."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    missions = brief.missions
    tracker = brief.results["cooperation.tracker"].frame
    verdicts = (
        claims.judge(brief.store, brief.country, missions[0], tracker, brief.vacuum, lang)
        if missions
        else []
    )
    if not verdicts:
        out.say(
            lang._(
                "No mission claims file for this country ({missions}): nothing to judge.",
                missions=", ".join(missions),
            )
            if missions
            else lang._(
                "No mission claims file for this country (no peace operation in the data): "
                "nothing to judge."
            )
        )
        return out
    tally = pd.Series([v.verdict for v in verdicts]).value_counts()
    out.say(
        lang._(
            "{count} claims of the usual account of {mission}'s exit, each judged by the rule "
            "stated beside it from the loaded evidence: {tally}.",
            count=lang.n(len(verdicts)),
            mission=missions[0],
            tally=", ".join(f"{lang.n(n)} {lang._(str(verdict))}" for verdict, n in tally.items()),
        )
    )
    out.figure(
        lang._("Claims and evidence"),
        table=pd.DataFrame(
            {
                "claim": [v.claim for v in verdicts],
                "verdict": [lang._(v.verdict) for v in verdicts],
                "evidence": [v.evidence for v in verdicts],
                "rule": [v.rule for v in verdicts],
            }
        ),
        caption=lang._(
            "Claims and rules: peacewatch/data/claims/{mission}.csv; evidence computed by "
            "peacewatch.report.claims.",
            mission=missions[0],
        ),
        indicators=["claims"],
    )
    return out
