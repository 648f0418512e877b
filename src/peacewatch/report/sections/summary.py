"""Key judgements: five to seven plain sentences, each with its number and a link to its figure."""

from __future__ import annotations

from peacewatch.report import judgements
from peacewatch.report.blocks import Brief, Section

KEY, TITLE = "summary", "Key judgements"


def build(brief: Brief) -> Section:
    """The key judgements, from the store and the outlook section's first sentence."""
    out = brief.section(KEY, brief.lang._(TITLE))
    ahead = brief.built.get("outlook")
    judged = judgements.key_judgements(
        brief.store,
        brief.country,
        brief.name,
        brief.end,
        brief.vacuum,
        {"sentence": ahead.text[0]} if ahead and ahead.text else None,
        tuple(brief.missions),
        brief.lang,
    )
    out.say(*(j.text for j in judged))
    brief.judgements = judged
    return out
