"""The briefing in French: every message translated, French conventions, the same numbers."""

import difflib
import re
import string
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from peacewatch.cli import app
from peacewatch.errors import PeacewatchError
from peacewatch.report import briefing, i18n
from tests.conftest import ROOT

NARROW = "\u202f"  # CLDR's French grouping separator (narrow no-break space)


def _fields(message: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(message) if f}


def test_every_message_of_the_source_is_translated_with_the_same_placeholders():
    """The messages `pybabel extract` finds (babel.cfg), against the French catalog."""
    method_map = [
        ("src/peacewatch/report/**.py", "python"),
        ("src/peacewatch/analysis/alerts.py", "python"),
        ("src/peacewatch/incidents.py", "python"),
        ("src/peacewatch/web/security.py", "python"),
        ("src/peacewatch/report/templates/**.j2", "jinja2"),
        ("src/peacewatch/web/templates/**.j2", "jinja2"),
    ]
    assert {m[0] for m in method_map} == set(
        re.findall(r"^\[\w+: (\S+)\]", (ROOT / "babel.cfg").read_text(), flags=re.M)
    )
    found = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(str(ROOT), method_map, keywords=i18n.EXTRACT_KEYWORDS)
    }
    # Errors raised with `.tell` and AuthError templates are extracted too.
    assert "incident {id}: not found" in found and "needs the {role} role or above" in found
    assert len(found) > 150
    with i18n.catalog_path("fr").open("rb") as fh:
        catalog = read_po(fh)
    strings = {m.id: m.string for m in catalog if m.id}
    untranslated = sorted(m for m in found if not strings.get(m))
    assert untranslated == []
    for msgid, text in strings.items():
        assert text, msgid
        assert _fields(msgid) == _fields(text), msgid
        assert not any(m.fuzzy for m in catalog if m.id == msgid)


def test_french_numbers_and_dates_follow_french_conventions():
    fr, en = i18n.get("fr"), i18n.get("en")
    assert fr.n(1234.5) == f"1{NARROW}234,5"
    assert en.n(1234.5) == "1,234.5"
    assert fr.n(13646) == f"13{NARROW}646" and en.n(13646) == "13,646"
    assert fr.day(date(2021, 5, 24)) == "24 mai 2021"
    assert en.day(date(2021, 5, 24)) == "24 May 2021"
    assert fr.day(date(2012, 1, 1)) == "1er janvier 2012"
    assert fr.pct(0.42) == "42\u00a0%" and en.pct(0.42) == "42%"  # CLDR: no-break space
    assert fr._("Coups") == "Coups d'État"
    with pytest.raises(PeacewatchError, match="--lang de: not one of en, fr"):
        i18n.get("de")


EN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
FR_NUMBER = re.compile(rf"\d{{1,3}}(?:[{NARROW}\u00a0]\d{{3}})+(?:,\d+)?|\d+(?:,\d+)?")


def _numbers(text: str, french: bool) -> Counter:
    """The numbers of a text, as values (1,234.5 and 1 234,5 are both 1234.5).

    Version strings of the sources (V2022.11.29) are the same characters in both: left out.
    """
    text = re.sub(r"\d+(?:\.\d+){2,}", " ", text)
    if french:
        found = [m.replace(NARROW, "").replace("\u00a0", "").replace(",", ".") for m in
                 FR_NUMBER.findall(text)]  # fmt: skip
    else:
        found = [m.replace(",", "") for m in EN_NUMBER.findall(text)]
    return Counter(round(float(x), 6) for x in found)


@pytest.fixture(scope="module")
def both(mali_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("lang")
    english = briefing.write(mali_store, "MLI", out / "en.html")
    french = briefing.write(mali_store, "MLI", out / "fr.html", lang="fr")
    return (
        english,
        french,
        (out / "en.html").read_text("utf-8"),
        (out / "fr.html").read_text("utf-8"),
    )


def test_the_french_briefing_is_french_throughout(both):
    _english, french, _en_html, fr_html = both
    assert french["lang"].missing == set()  # every message asked for is in the catalog
    assert '<html lang="fr">' in fr_html
    for title in ("Principaux constats", "L'environnement sécuritaire", "Perspectives"):
        assert title in fr_html.replace("&#39;", "'")
    security = " ".join(french["text"]["security"])
    assert f"avec 13{NARROW}646 morts" in security
    political = " ".join(french["text"]["political"])
    assert (
        "21 mai 2021 (réussi ; la chronologie le date du 24 mai 2021)"
        in political.replace("; la", " ; la")
        or "21 mai 2021 (réussi; la chronologie le date du 24 mai 2021)" in political
    )
    assert "La MINUSMA a été l'une des opérations" in fr_html.replace("&#39;", "'")
    # Chart texts in French too (legends, titles).
    assert "prévision médiane" in fr_html and "median forecast" not in fr_html


def _same(en: str, fr: str) -> tuple[str, str]:
    """Both texts without the passages they share word for word (quoted source text, which
    stays in the language of the source file: timeline entries, camp names)."""
    matcher = difflib.SequenceMatcher(None, en, fr, autojunk=False)
    en_out, fr_out = list(en), list(fr)
    for block in matcher.get_matching_blocks():
        if block.size >= 12:
            en_out[block.a : block.a + block.size] = " " * block.size
            fr_out[block.b : block.b + block.size] = " " * block.size
    return "".join(en_out), "".join(fr_out)


def test_the_french_briefing_has_the_same_numbers_as_the_english_one(both):
    """Section by section, the numbers of the sentences and of every table cell are the same."""
    english, french, _en, _fr = both
    assert english["text"].keys() == french["text"].keys()
    for key in english["text"]:
        for pair in zip(english["text"][key], french["text"][key], strict=True):
            en_text, fr_text = _same(*pair)
            assert _numbers(en_text, False) == _numbers(fr_text, True), (key, en_text)
        for en_fig, fr_fig in zip(english["figures"][key], french["figures"][key], strict=True):
            cells = [re.findall(r"<td>(.*?)</td>", f.table, re.S) for f in (en_fig, fr_fig)]
            assert len(cells[0]) == len(cells[1]), en_fig.title
            for pair in zip(*cells, strict=True):
                en_cell, fr_cell = _same(*pair)
                assert _numbers(en_cell, False) == _numbers(fr_cell, True), (en_fig.title, en_cell)


def test_brief_lang_fr_from_the_command_line_and_an_unknown_language(tmp_path: Path, settings):
    runner = CliRunner()
    result = runner.invoke(app, ["brief", "MLI", "--lang", "xx", "--out", str(tmp_path / "b.html")])
    assert result.exit_code == 2
    assert "--lang xx: not one of en, fr" in result.output
    assert not (tmp_path / "b.html").exists()
