"""Key judgements: the five to seven plain sentences an analyst writes first.

Each answers one question - how violent now against before, where, by whom, against whom, what
changed where the mission left, what comes next - with its number, its interval where there
is one, and the section where the figure is. Every number is one query over the store's
current UCDP GED events (state-based, non-state and one-sided), so it can be recounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from peacewatch.store import Store


@dataclass(frozen=True)
class Judgement:
    """A sentence and the section (anchor) holding its figure."""

    question: str
    text: str
    section: str


def ged_deaths(
    store: Store,
    countries: str | tuple[str, ...],
    start: date | pd.Timestamp,
    end: date | pd.Timestamp,
    extra: str = "",
) -> int:
    """UCDP GED deaths (best estimate) of these countries between two dates, `extra` SQL added."""
    codes = (countries,) if isinstance(countries, str) else countries
    marks = ", ".join("?" for _ in codes)
    row = store.con.execute(
        "SELECT coalesce(sum(fatalities_best), 0) FROM events WHERE source = 'ucdp_ged' "
        f"AND country_iso3 IN ({marks}) AND date_start BETWEEN ? AND ? {extra}",
        [*codes, pd.Timestamp(start).date(), pd.Timestamp(end).date()],
    ).fetchone()
    return int(row[0]) if row else 0


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def _words(code: object) -> str:
    return str(code).replace("_", " ")


def _mission_and_humanitarian(store: Store, country: str, missions: tuple[str, ...]) -> str:
    """Peacekeepers killed in malicious acts, and the latest count of displaced people."""
    parts = []
    if missions:
        marks = ", ".join("?" for _ in missions)
        row = store.con.execute(
            f"SELECT count(*) FROM un_fatalities WHERE malicious AND mission IN ({marks})",
            list(missions),
        ).fetchone()
        parts.append(
            f"{int(row[0]) if row else 0:,} peacekeepers of {', '.join(missions)} were killed in "
            "malicious acts (UN fatalities file)"
        )
    latest = store.con.execute(
        "SELECT year, value, source_org FROM humanitarian WHERE country_iso3 = ? "
        "AND indicator = 'idps' ORDER BY year DESC, as_of_date DESC NULLS LAST LIMIT 1",
        [country],
    ).fetchone()
    if latest:
        parts.append(
            f"{latest[1]:,.0f} people were internally displaced in {latest[0]} ({latest[2]})"
        )
    return ("The mission and the people: " + "; ".join(parts) + ".") if parts else ""


def key_judgements(
    store: Store,
    country: str,
    name: str,
    end: date,
    vacuum: pd.DataFrame | None = None,
    outlook: dict[str, object] | None = None,
    missions: tuple[str, ...] = (),
) -> list[Judgement]:
    """The key judgements for the 12 months to `end` against the 12 months before."""
    last_start = (pd.Timestamp(end) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    prev_end = (pd.Timestamp(last_start) - pd.Timedelta(days=1)).date()
    prev_start = (pd.Timestamp(last_start) - pd.DateOffset(years=1)).date()
    now = ged_deaths(store, country, last_start, end)
    before = ged_deaths(store, country, prev_start, prev_end)
    out: list[Judgement] = []
    if now == 0 and before == 0:
        return [
            Judgement(
                "how violent",
                f"UCDP GED records no deaths in organised violence in {name} in the two years "
                f"to {end:%d %b %Y}.",
                "security",
            )
        ]
    change = f"{(now - before) / before:+.0%}" if before else "from none"
    out.append(
        Judgement(
            "how violent",
            f"Violence: {now:,} deaths in organised violence in the 12 months to "
            f"{end:%d %b %Y} (UCDP GED, best estimate), against {before:,} in the 12 months "
            f"before ({change}).",
            "security",
        )
    )
    regions: list[tuple[str, int]] = store.con.execute(
        "SELECT coalesce(admin1, '(no region)'), CAST(sum(fatalities_best) AS BIGINT) "
        "FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ? "
        "AND date_start BETWEEN ? AND ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3",
        [country, last_start, end],
    ).fetchall()
    if regions and now:
        listed = ", ".join(f"{r} {d:,} ({_pct(d, now)})" for r, d in regions)
        out.append(Judgement("where", f"Where: {listed} of those deaths.", "security"))
    sides: list[tuple[str, int]] = store.con.execute(
        "SELECT actor1_category, CAST(sum(fatalities_best) AS BIGINT) FROM events "
        "WHERE source = 'ucdp_ged' AND country_iso3 = ? AND date_start BETWEEN ? AND ? "
        "AND violence_type = 3 GROUP BY 1 ORDER BY 2 DESC, 1",
        [country, last_start, end],
    ).fetchall()
    one_sided = sum(d for _s, d in sides)
    if one_sided:
        listed = ", ".join(f"{_words(s)} {d:,} ({_pct(d, one_sided)})" for s, d in sides[:3])
        out.append(
            Judgement(
                "by whom",
                f"By whom: of {one_sided:,} deaths in one-sided violence against civilians, the "
                f"perpetrators were {listed}.",
                "human-rights",
            )
        )
    civilians_now = ged_deaths(store, country, last_start, end, "AND violence_type = 3")
    civilians_before = ged_deaths(store, country, prev_start, prev_end, "AND violence_type = 3")
    out.append(
        Judgement(
            "against whom",
            f"Against whom: civilians killed deliberately (one-sided violence) were "
            f"{_pct(civilians_now, now)} of the deaths in the last 12 months and "
            f"{_pct(civilians_before, before)} in the 12 months before "
            f"({civilians_now:,} against {civilians_before:,}).",
            "human-rights",
        )
    )
    if vacuum is not None and not vacuum.empty and "fatalities_after" in vacuum:
        counted = vacuum.dropna(subset=["fatalities_after"])
        if not counted.empty:
            days_after = counted["days_after_in_data"].sum()
            rate_after = counted["fatalities_after"].sum() / days_after * 30 if days_after else 0
            rate_before = counted["fatalities_182d_before"].sum() / (182 * len(counted)) * 30
            out.append(
                Judgement(
                    "where the mission left",
                    f"Where the mission left: within 25 km of the {len(counted)} vacated camps, "
                    f"{rate_after:,.1f} deaths a month per camp since the handovers against "
                    f"{rate_before:,.1f} in the six months before - a description over "
                    f"{int(days_after / len(counted))} days on average, not an estimate of the "
                    "withdrawal's effect (see the impact estimate and its interval).",
                    "implications",
                )
            )
    cost = _mission_and_humanitarian(store, country, missions)
    if cost:
        out.append(Judgement("the mission and the people", cost, "implications"))
    if outlook:
        out.append(
            Judgement(
                "what comes next",
                f"Next: {outlook['sentence']}",
                "outlook",
            )
        )
    return out
