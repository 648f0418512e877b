"""UN peace operations and their host countries: a data file, not code.

`data/missions.csv` (acronym, host ISO3, name, mandate start and end) is the one place a mission
is tied to its country; every "missions of this country" question (the briefing, the indicators,
the backtest covariates, the CLI) asks `missions_of`. A new mission is a new row.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def mission_table() -> pd.DataFrame:
    """Every mission of the data file: mission, host_iso3, name, start, end (NaT: ongoing)."""
    with resources.files("peacewatch.data").joinpath("missions.csv").open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for col in ("start", "end"):
        table[col] = pd.to_datetime(table[col].replace("", None))
    return table


def missions_of(country: str | None) -> list[str]:
    """The missions hosted by a country (ISO3), oldest first; empty for none or no country."""
    if not country:
        return []
    table = mission_table()
    rows = table[table["host_iso3"] == country.upper()].sort_values("start")
    return list(rows["mission"])


def host_of(mission: str) -> str | None:
    """The host country (ISO3) of a mission acronym, None if the file does not know it."""
    table = mission_table()
    hit = table[table["mission"] == mission.upper()]
    return str(hit["host_iso3"].iloc[0]) if len(hit) else None


def hosts() -> dict[str, str]:
    """Mission acronym -> host ISO3, for every mission of the file."""
    table = mission_table()
    return dict(zip(table["mission"], table["host_iso3"], strict=True))
