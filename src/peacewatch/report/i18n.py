"""The languages of the reports: message catalogs (gettext, Babel), local numbers and dates.

A report is written in one `Lang`: its sentences, headings, labels and chart texts come from the
message catalog `peacewatch/locale/<code>/LC_MESSAGES/peacewatch.po` (English is the source
language and needs none), its numbers and dates from Babel's locale data (1,234.5 and 24 May
2021 in English; 1 234,5 and 24 mai 2021 in French). The catalog is read from the .po file when
first used (no compiled .mo to fall out of step). The charts read the language of the report being
built from a context variable (`using`), so their functions keep their signatures.
"""

from __future__ import annotations

import gettext
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from peacewatch.errors import PeacewatchError

LANGUAGES = ("en", "fr")
DOMAIN = "peacewatch"
# Day and month patterns (CLDR): English keeps the briefing's "24 May 2021".
DAY = {"en": "dd MMM y", "fr": "d MMMM y"}
MONTH = {"en": "MMMM y", "fr": "MMMM y"}


def catalog_path(code: str) -> object:
    """The .po file of a language (a Traversable inside the package)."""
    return resources.files("peacewatch").joinpath("locale", code, "LC_MESSAGES", f"{DOMAIN}.po")


# What message extraction (scripts/messages.sh, the catalog test) reads as a message: `_(...)`,
# an error's `.tell(template, ...)` and the template of `AuthError(status, template, ...)`.
EXTRACT_KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "tell": None, "AuthError": (2,)}


@dataclass(eq=False)
class Lang:
    """One language: `_` translates, `n`, `pct`, `day` and `month` format in its conventions."""

    code: str
    translations: gettext.NullTranslations
    known: frozenset[str] = frozenset()
    # Messages asked for and not in the catalog (a test keeps this empty for French).
    missing: set[str] = field(default_factory=set)

    def _(self, message: str, /, **values: object) -> str:
        """The message in this language, `{name}` placeholders filled from `values`."""
        if self.code != "en" and message not in self.known:
            self.missing.add(message)
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def n(self, value: object) -> str:
        """A number as this language writes it: whole numbers grouped, two or one decimals."""
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return self._("n/a")
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer():
            return format_decimal(int(number), "#,##0", locale=self.code)
        return format_decimal(number, "#,##0.00" if abs(number) < 10 else "#,##0.0", self.code)

    def fixed(self, value: float, digits: int) -> str:
        """A number with exactly `digits` decimals (ratios, correlations)."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, pattern, locale=self.code)

    def signed(self, value: float) -> str:
        """A whole number with its sign (+12, -3)."""
        text = format_decimal(round(value), "#,##0", locale=self.code)
        return text if text.startswith("-") else "+" + text

    def pct(self, share: float, signed: bool = False) -> str:
        """A share as a percentage without decimals (52% / 52 %)."""
        text = format_percent(share, locale=self.code)  # the locale's pattern: 52% / 52 %
        return "+" + text if signed and share >= 0 else text

    def day(self, value: date | datetime | pd.Timestamp | str) -> str:
        """A day: 24 May 2021 / 24 mai 2021 (1er janvier: French writes the first as an ordinal)."""
        day = pd.Timestamp(value).date()
        text = format_date(day, DAY[self.code], locale=self.code)
        return "1er" + text[1:] if self.code == "fr" and day.day == 1 else text

    def month(self, value: date | datetime | pd.Timestamp | str) -> str:
        """A month: May 2021 / mai 2021."""
        return format_date(pd.Timestamp(value).date(), MONTH[self.code], locale=self.code)

    def short_month(self, value: date | datetime | pd.Timestamp) -> str:
        """A month on a chart axis: May 2021 / mai 2021 (abbreviated where the language does)."""
        return format_date(pd.Timestamp(value).date(), "MMM y", locale=self.code)

    @property
    def locale(self) -> Locale:
        """Babel's locale of this language."""
        return Locale.parse(self.code)


@cache
def _load(code: str) -> tuple[gettext.NullTranslations, frozenset[str]]:
    if code == "en":
        return gettext.NullTranslations(), frozenset()
    path = catalog_path(code)
    with path.open("rb") as fh:  # type: ignore[attr-defined]
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    known = frozenset(
        str(m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and not m.fuzzy
    )
    return gettext.GNUTranslations(buffer), known


def get(code: str = "en") -> Lang:
    """The language `code` (en or fr); a clear error for any other."""
    code = code.lower()
    if code not in LANGUAGES:
        raise PeacewatchError(f"--lang {code}: not one of {', '.join(LANGUAGES)}")
    translations, known = _load(code)
    return Lang(code, translations, known)


ENGLISH = get("en")
_active: ContextVar[Lang] = ContextVar("peacewatch_lang", default=ENGLISH)


def current() -> Lang:
    """The language of the report being built (English outside `using`)."""
    return _active.get()


@contextmanager
def using(lang: Lang) -> Iterator[Lang]:
    """Build a report in `lang`: charts and helpers read it through `current()`."""
    token = _active.set(lang)
    try:
        yield lang
    finally:
        _active.reset(token)
