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

from peacewatch.report.i18n import ENGLISH, Lang
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
    row = store.row(
        "SELECT coalesce(sum(fatalities_best), 0) FROM events WHERE source = 'ucdp_ged' "
        f"AND country_iso3 IN ({marks}) AND date_start BETWEEN ? AND ? {extra}",
        [*codes, pd.Timestamp(start).date(), pd.Timestamp(end).date()],
    )
    return int(row[0]) if row else 0


def _pct(part: float, whole: float, lang: Lang) -> str:
    return lang.pct(part / whole) if whole else lang._("n/a")


def _mission_and_humanitarian(
    store: Store, country: str, missions: tuple[str, ...], end: date, lang: Lang
) -> str:
    """Peacekeepers killed in malicious acts, troop strength, the latest count of displaced."""
    parts = []
    if missions:
        marks = ", ".join("?" for _ in missions)
        row = store.row(
            f"SELECT count(*) FROM un_fatalities WHERE malicious AND mission IN ({marks})",
            list(missions),
        )
        parts.append(
            lang._(
                "{killed} peacekeepers of {missions} were killed in malicious acts (UN fatalities "
                "file)",
                killed=lang.n(int(row[0]) if row else 0),
                missions=", ".join(missions),
            )
        )
        strength = store.rows(
            f"""SELECT year, CAST(round(sum(troops)) AS BIGINT), count(*) FROM (
                  SELECT year, location, max(ave_no_troops) AS troops FROM deployments
                  WHERE mission IN ({marks}) AND month IS NULL AND year <= ?
                  GROUP BY ALL) GROUP BY 1 ORDER BY 1""",
            [*missions, end.year],
        )
        if strength:
            peak = max(strength, key=lambda r: (r[1], r[0]))
            last = strength[-1]
            parts.append(
                lang._(
                    "Geo-PKO's UN deployment maps put its average deployed strength at {troops} "
                    "troops at {locations} locations in {year} (peak: {peak} in {peak_year})",
                    troops=lang.n(last[1]),
                    locations=lang.n(last[2]),
                    year=last[0],
                    peak=lang.n(peak[1]),
                    peak_year=peak[0],
                )
            )
    latest = store.row(
        "SELECT year, value, source_org FROM humanitarian WHERE country_iso3 = ? "
        "AND indicator = 'idps' ORDER BY year DESC, as_of_date DESC NULLS LAST LIMIT 1",
        [country],
    )
    if latest:
        parts.append(
            lang._(
                "{people} people were internally displaced in {year} ({source})",
                people=lang.fixed(latest[1], 0),
                year=latest[0],
                source=latest[2],
            )
        )
    if not parts:
        return ""
    return lang._("The mission and the people: {listed}.", listed="; ".join(parts))


def key_judgements(
    store: Store,
    country: str,
    name: str,
    end: date,
    vacuum: pd.DataFrame | None = None,
    outlook: dict[str, object] | None = None,
    missions: tuple[str, ...] = (),
    lang: Lang = ENGLISH,
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
                lang._(
                    "UCDP GED records no deaths in organised violence in {country} in the two "
                    "years to {end}.",
                    country=name,
                    end=lang.day(end),
                ),
                "security",
            )
        ]
    change = lang.pct((now - before) / before, signed=True) if before else lang._("from none")
    out.append(
        Judgement(
            "how violent",
            lang._(
                "Violence: {now} deaths in organised violence in the 12 months to {end} (UCDP "
                "GED, best estimate), against {before} in the 12 months before ({change}).",
                now=lang.n(now),
                end=lang.day(end),
                before=lang.n(before),
                change=change,
            ),
            "security",
        )
    )
    regions: list[tuple[str, int]] = store.rows(
        "SELECT admin1, CAST(sum(fatalities_best) AS BIGINT) "
        "FROM events WHERE source = 'ucdp_ged' AND country_iso3 = ? "
        "AND date_start BETWEEN ? AND ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3",
        [country, last_start, end],
    )
    bounded = store.row(
        "SELECT count(*) FROM admin_boundaries WHERE country_iso3 = ? AND admin_level = 1",
        [country],
    )
    if not (bounded and bounded[0]):
        out.append(
            Judgement(
                "where",
                lang._(
                    "Where: no admin-1 boundaries of the country are loaded, so the deaths "
                    "cannot be placed by region."
                ),
                "security",
            )
        )
    elif regions and now:
        listed = ", ".join(
            f"{r or lang._('(no region)')} {lang.n(d)} ({_pct(d, now, lang)})" for r, d in regions
        )
        out.append(
            Judgement(
                "where", lang._("Where: {listed} of those deaths.", listed=listed), "security"
            )
        )
    sides: list[tuple[str, int]] = store.rows(
        "SELECT actor1_category, CAST(sum(fatalities_best) AS BIGINT) FROM events "
        "WHERE source = 'ucdp_ged' AND country_iso3 = ? AND date_start BETWEEN ? AND ? "
        "AND violence_type = 3 GROUP BY 1 ORDER BY 2 DESC, 1",
        [country, last_start, end],
    )
    one_sided = sum(d for _s, d in sides)
    if one_sided:
        listed = ", ".join(
            f"{lang._(str(s).replace('_', ' '))} {lang.n(d)} ({_pct(d, one_sided, lang)})"
            for s, d in sides[:3]
        )
        out.append(
            Judgement(
                "by whom",
                lang._(
                    "By whom: of {deaths} deaths in one-sided violence against civilians, the "
                    "perpetrators were {listed}.",
                    deaths=lang.n(one_sided),
                    listed=listed,
                ),
                "human-rights",
            )
        )
    civilians_now = ged_deaths(store, country, last_start, end, "AND violence_type = 3")
    civilians_before = ged_deaths(store, country, prev_start, prev_end, "AND violence_type = 3")
    out.append(
        Judgement(
            "against whom",
            lang._(
                "Against whom: civilians killed deliberately (one-sided violence) were {now} of "
                "the deaths in the last 12 months and {before} in the 12 months before ({a} "
                "against {b}).",
                now=_pct(civilians_now, now, lang),
                before=_pct(civilians_before, before, lang),
                a=lang.n(civilians_now),
                b=lang.n(civilians_before),
            ),
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
                    lang._(
                        "Where the mission left: within 25 km of the {camps} vacated camps, "
                        "{after} deaths a month per camp since the handovers against {before} in "
                        "the six months before - a description over {days} days on average, not "
                        "an estimate of the withdrawal's effect (see the impact estimate and its "
                        "interval).",
                        camps=lang.n(len(counted)),
                        after=lang.fixed(rate_after, 1),
                        before=lang.fixed(rate_before, 1),
                        days=lang.n(int(days_after / len(counted))),
                    ),
                    "vacuum",
                )
            )
    cost = _mission_and_humanitarian(store, country, missions, end, lang)
    if cost:
        out.append(Judgement("the mission and the people", cost, "humanitarian"))
    if outlook:
        out.append(
            Judgement(
                "what comes next",
                lang._("Next: {sentence}", sentence=outlook["sentence"]),
                "outlook",
            )
        )
    return out
