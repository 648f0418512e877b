"""Spreadsheet-safe CSV cells: text that a spreadsheet would run as a formula is neutralised.

OWASP (CSV injection): a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
taken as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` runs when the file
is opened). Every CSV the project writes passes its text cells through `cell`, which prefixes
such a value with a single quote, so it shows as the text it is. Numbers stay numbers.

    >>> cell("=SUM(A1:A9)")
    "'=SUM(A1:A9)"
    >>> cell("Town"), cell(-3)
    ('Town', -3)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """`value`, quoted if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def frame(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of `data` whose text cells are safe to open in a spreadsheet."""
    out = data.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(cell)
    return out


def row(values: list[Any]) -> list[Any]:
    """A CSV row (for csv.writer) with its text cells made safe."""
    return [cell(v) for v in values]
