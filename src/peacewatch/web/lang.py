"""The language of a page: `/lang/<code>` (kept in a cookie), else the browser's Accept-Language.

The pages use the briefing's message catalogs (`peacewatch.report.i18n`): English or French.
"""

from __future__ import annotations

from fastapi import Request

from peacewatch.report.i18n import LANGUAGES

COOKIE = "peacewatch_lang"


def from_header(header: str) -> str | None:
    """The first language of an Accept-Language header that the catalogs have, by weight."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in LANGUAGES and weight > 0:
            ranked.append((-weight, i, code))
    return min(ranked)[2] if ranked else None


def page_language(request: Request) -> str:
    """The language chosen (cookie), else the browser's, else English."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return from_header(request.headers.get("accept-language", "")) or "en"


def safe_next(target: str | None) -> str:
    """A local path to go back to after choosing a language (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
