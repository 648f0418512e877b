"""The country briefing: the story of a mission's environment, its withdrawal and what followed.

A short builder: it computes the indicators once, builds each section (one module each, in
peacewatch.report.sections), says in the briefing why a section that fails is missing, and
renders the HTML (and the PDF) in the asked language. Every figure is computed from the store by
a named indicator or a panel, names its sources, and the appendix lists the query behind every
number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import jinja2
import pandas as pd
from weasyprint import HTML

from peacewatch import __version__, indicators, panel
from peacewatch.errors import PeacewatchError
from peacewatch.report import i18n, sections
from peacewatch.report.blocks import Brief, Figure, Section, table_html
from peacewatch.store import Store

APPENDIX = ("appendix", "Appendix: sources and queries")
_TITLES = {key: title for key, title, _build in sections.ORDER}
SECTIONS = (*((key, _TITLES[key]) for key in sections.SHOWN), APPENDIX)
Progress = Callable[[str], None]
# The progress bar's steps: the indicators, each section as it is built, the HTML, the PDF.
STEPS = ("indicators", *(key for key, _t, _b in sections.ORDER), "html", "pdf")


def default_period(store: Store, country: str) -> tuple[date, date]:
    """The default period: from the first timeline year (or the first event) to the last event.

    The timeline tells the mission's story, so a briefing starts where it starts.
    """
    first, last = panel.default_range(store, country)
    row = store.row("SELECT min(date) FROM timeline WHERE country_iso3 = ?", [country])
    if row and row[0] is not None:
        first = max(first, date(row[0].year, 1, 1))
    return first, last


def _files_used(brief: Brief) -> pd.DataFrame:
    """The loads whose rows this briefing read, not every file in the store.

    The indicators' files, and the country's events, boundaries, camps and deployments.
    """
    used = {i for r in brief.results.values() for i in r.load_ids}
    for table in ("events", "admin_boundaries", "camps", "deployments"):
        rows = brief.store.rows(
            f"SELECT DISTINCT load_id FROM {table} WHERE country_iso3 = ?", [brief.country]
        )
        used |= {int(r[0]) for r in rows if r[0] is not None}
    marks = ", ".join("?" for _ in used) or "NULL"
    return brief.store.frame(
        "SELECT source, file_name, release, substr(sha256, 1, 16) AS sha256, loaded_at, "
        f"rows_loaded FROM loads WHERE load_id IN ({marks}) ORDER BY source, file_name",
        sorted(used),
    )


def _build(brief: Brief, key: str, title: str, build: Callable[[Brief], Section]) -> Section:
    """One section; if it cannot be built, a section that says why (not a silent gap)."""
    try:
        return build(brief)
    except PeacewatchError as exc:
        failed = brief.section(key, brief.lang._(title))
        failed.say(brief.lang._("This section could not be built: {why}.", why=exc))
        return failed


def build_context(
    store: Store,
    country: str,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    progress: Progress = lambda _: None,
    licensed: bool = True,
    lang: str = "en",
) -> dict[str, object]:
    """Everything the template needs, computed from the store, in the language `lang`.

    `licensed=False`: for readers ACLED's terms do not cover (the public web page, `brief
    --public`): tables that list events row by row leave out non-redistributable rows and say so.
    """
    country = country.upper()
    language = i18n.get(lang)
    first, last = default_period(store, country)
    start = pd.Timestamp(date_from or first).date()
    end = pd.Timestamp(date_to or last).date()
    if end < start:
        raise PeacewatchError(f"--to {end} is before --from {start}")
    with i18n.using(language):
        progress("indicators")
        results = indicators.compute_all(store, country, start, end, licensed)
        brief = Brief(store, country, start, end, language, licensed, results)
        for key, title, build in sections.ORDER:
            progress(key)
            brief.built[key] = _build(brief, key, title, build)
        appendix = [
            {
                "name": r.indicator.name,
                "title": language._(r.indicator.title),
                "description": r.indicator.description,
                "provenance": r.provenance,
                "query": r.query,
                "rows": len(r.frame),
            }
            for r in results.values()
        ]
        shown = [(key, language._(title)) for key, title in SECTIONS]
        loads = table_html(_files_used(brief), language, max_rows=200)
        heading = (
            language._(
                "{country} and {missions}: what is happening",
                country=brief.name,
                missions=", ".join(brief.missions),
            )
            if brief.missions
            else language._("{country}: what is happening", country=brief.name)
        )
        generated = datetime.now(UTC)
        meta = language._(
            "Period {start} to {end}. Generated {generated} by peacewatch {version} from the "
            "embedded store. Every figure names its sources; the appendix lists the query behind "
            "every number.",
            start=language.day(start),
            end=language.day(end),
            generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
        )
        footer = language._(
            "UCDP data: CC BY 4.0 (Sundberg & Melander 2013). ACLED data: ACLED "
            "(acleddata.com), used under its terms; aggregates only. Geo-PKO: Cil et al. 2020. "
            "UN fatalities: United Nations Peacekeeping. Admin-1 boundaries: {boundaries}.",
            boundaries=brief.boundary_note,
        )
    figures: dict[str, list[Figure]] = {k: s.figures for k, s in brief.built.items()}
    text: dict[str, list[str]] = {k: s.text for k, s in brief.built.items()}
    return {
        "lang": language,
        "country": country,
        "country_name": brief.name,
        "missions": brief.missions,
        "start": start,
        "end": end,
        "sections": shown,
        "figures": figures,
        "text": text,
        "appendix": appendix,
        "judgements": brief.judgements,
        "boundaries": brief.boundary_note,
        "loads": loads,
        "heading": heading,
        "meta": meta,
        "footer": footer,
        "generated": generated.strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }


def render_html(context: dict[str, object]) -> str:
    """The self-contained HTML briefing, in the context's language."""
    language = context["lang"]
    assert isinstance(language, i18n.Lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("peacewatch.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        language._,
        language.translations.ngettext,
        newstyle=True,
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
    lang: str = "en",
) -> dict[str, object]:
    """Build the briefing and write the HTML (and the PDF); returns the context."""
    if not out.parent.exists():
        raise PeacewatchError(f"{out.parent}: no such folder")
    context = build_context(store, country, date_from, date_to, progress, licensed, lang)
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
