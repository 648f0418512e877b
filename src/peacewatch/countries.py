"""Country code crosswalk: ISO3, ISO numeric and Gleditsch-Ward codes.

The table comes from the `country_converter` package's bundled data file (read here with pandas,
since its converter class does not start under pandas 3), so no code list is hand-typed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import country_converter
import pandas as pd


@lru_cache(maxsize=1)
def country_table() -> pd.DataFrame:
    """Columns `iso3`, `iso2`, `iso_numeric`, `gw_code`, `name`: one row per current country."""
    path = Path(country_converter.__file__).parent / "country_data.tsv"
    raw = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    table = pd.DataFrame(
        {
            "iso3": raw["ISO3"],
            "iso2": raw["ISO2"],
            "iso_numeric": pd.to_numeric(raw["ISOnumeric"], errors="coerce").astype("Int64"),
            "gw_code": pd.to_numeric(raw["GWcode"], errors="coerce").astype("Int64"),
            "name": raw["name_short"],
        }
    )
    return table[table["iso3"].str.len() == 3].reset_index(drop=True)


@lru_cache(maxsize=1)
def _name_patterns() -> list[tuple[re.Pattern[str], str]]:
    path = Path(country_converter.__file__).parent / "country_data.tsv"
    raw = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    return [
        (re.compile(str(regex), re.IGNORECASE), str(iso3))
        for regex, iso3 in zip(raw["regex"].tolist(), raw["ISO3"].tolist(), strict=True)
        if regex and len(str(iso3)) == 3
    ]


@lru_cache(maxsize=4096)
def iso3_from_name(name: str) -> str | None:
    """ISO3 of a country name in any common spelling (country_converter's regexes), or None."""
    text = name.strip()
    if len(text) < 3:
        return None
    hits = {iso3 for pattern, iso3 in _name_patterns() if pattern.search(text)}
    return hits.pop() if len(hits) == 1 else None


def name_table(names: list[str]) -> pd.DataFrame:
    """Columns `name`, `iso3` for distinct country names (iso3 None where unmatched)."""
    return pd.DataFrame({"name": names, "iso3": [iso3_from_name(n) for n in names]})


@lru_cache(maxsize=512)
def iso3_from_gw(gw_code: int) -> str | None:
    """ISO3 of a Gleditsch-Ward code (475 -> NGA), or None for a code no current country has."""
    table = country_table().dropna(subset=["gw_code"])
    hits = table.loc[table["gw_code"] == int(gw_code), "iso3"].unique()
    return str(hits[0]) if len(hits) == 1 else None
