"""One event counted once: the same real event matched across GED, ACLED and incident reports.

Every source row is kept; a match links rows and says where they disagree. Candidates are pairs
of rows in the same country whose dates are at most `DAYS` apart (a GED event's whole date range
counts) and whose points are at most `KM` apart. Each pair gets a score in 0..1:

    score = 0.30 * date + 0.30 * place + 0.25 * deaths + 0.15 * actors
    date   = 1 inside the other's date range, else 1 - days / (DAYS + 1)
    place  = exp(-km / 25)
    deaths = 1 - |a - b| / max(a, b, 1)   (two zeros agree)
    actors = 1 if the two rows share a known actor category, 0.5 if either is unknown, else 0

Pairs scoring at least `THRESHOLD` are matched one to one, best first (greedy). The weights and
the threshold were set before looking at the hand-labelled pairs (tests/data/ged_acled_pairs.csv)
against which precision and recall are measured, and were not tuned on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from peacewatch import geo, panel
from peacewatch.store import Store

DAYS = 2
KM = 50.0
THRESHOLD = 0.60
EARTH_KM = geo.EARTH_RADIUS_KM
WEIGHTS = {"date": 0.30, "place": 0.30, "deaths": 0.25, "actors": 0.15}


@dataclass(frozen=True)
class Settings:
    """The candidate window (the defaults are the documented rule)."""

    days: int = DAYS
    km: float = KM


def candidates(
    store: Store,
    left: str = "ucdp_ged",
    right: str = "acled",
    country: str | None = None,
    settings: Settings = Settings(),
) -> pd.DataFrame:
    """Every candidate pair (left row, right row) with its score parts and score (one query)."""
    where = "AND a.country_iso3 = ?" if country else ""
    base = (
        "SELECT event_id, source, country_iso3, date_start, coalesce(date_end, date_start) AS "
        "date_end, latitude, longitude, coalesce(fatalities_best, 0) AS deaths, "
        "actor1_category AS c1, actor2_category AS c2 FROM events "
        f"WHERE latitude IS NOT NULL AND NOT ({panel.IMPRECISE})"
    )
    frame = store.frame(
        f"""WITH a AS ({base} AND source = ?), b AS ({base} AND source = ?),
        pairs AS (
            SELECT a.event_id AS left_id, b.event_id AS right_id,
                greatest(date_diff('day', b.date_end, a.date_start),
                         date_diff('day', a.date_end, b.date_start), 0) AS days_apart,
                2 * {EARTH_KM} * asin(sqrt(pow(sin(radians(b.latitude - a.latitude) / 2), 2)
                    + cos(radians(a.latitude)) * cos(radians(b.latitude))
                    * pow(sin(radians(b.longitude - a.longitude) / 2), 2))) AS km_apart,
                a.deaths AS left_deaths, b.deaths AS right_deaths,
                CASE WHEN (list_filter([a.c1, a.c2], x -> x IS NOT NULL
                           AND x NOT IN ('unknown', 'other'))
                           && list_filter([b.c1, b.c2], x -> x IS NOT NULL
                           AND x NOT IN ('unknown', 'other'))) THEN 1.0
                     WHEN 'unknown' IN (coalesce(a.c1, ''), coalesce(a.c2, ''),
                                        coalesce(b.c1, ''), coalesce(b.c2, '')) THEN 0.5
                     ELSE 0.0 END AS actors_score
            FROM a JOIN b ON a.country_iso3 = b.country_iso3
             AND b.date_start <= a.date_end + INTERVAL ({settings.days}) DAY
             AND b.date_end >= a.date_start - INTERVAL ({settings.days}) DAY
            WHERE true {where})
        SELECT *, 1 - days_apart / ({settings.days} + 1) AS date_score,
            exp(-km_apart / 25.0) AS place_score,
            1 - abs(left_deaths - right_deaths) / greatest(left_deaths, right_deaths, 1)
                AS deaths_score
        FROM pairs WHERE days_apart <= ? AND km_apart <= ?""",
        [left, right, *([country.upper()] if country else []), settings.days, settings.km],
    )
    if frame.empty:
        return pd.DataFrame(columns=["left_id", "right_id", "score"])
    frame["score"] = (
        WEIGHTS["date"] * frame["date_score"]
        + WEIGHTS["place"] * frame["place_score"]
        + WEIGHTS["deaths"] * frame["deaths_score"]
        + WEIGHTS["actors"] * frame["actors_score"]
    ).round(3)
    frame["km_apart"] = frame["km_apart"].round(1)
    return frame


def match(pairs: pd.DataFrame, threshold: float = THRESHOLD) -> pd.DataFrame:
    """One-to-one matches: pairs at or above `threshold`, best score first (greedy)."""
    if pairs.empty:
        return pairs
    taken_left: set[str] = set()
    taken_right: set[str] = set()
    keep = []
    for row in pairs.sort_values(
        ["score", "left_id", "right_id"], ascending=[False, True, True]
    ).to_dict("records"):
        if row["score"] < threshold:
            break
        if row["left_id"] in taken_left or row["right_id"] in taken_right:
            continue
        taken_left.add(row["left_id"])
        taken_right.add(row["right_id"])
        keep.append(row)
    return pd.DataFrame(keep, columns=pairs.columns)


def matches(store: Store, country: str | None = None) -> pd.DataFrame:
    """GED-ACLED and GED-incident matches of a country (left: the GED row)."""
    parts = [
        match(candidates(store, "ucdp_ged", other, country)).assign(right_source=other)
        for other in ("acled", "incident")
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=["left_id", "right_id", "score", "right_source"])
    return pd.concat(parts, ignore_index=True)


def dedupe(frame: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    """Rows of an event list (with `event_id`, `source`, `fatalities_best`) counted once.

    A non-GED row matched to a GED row is folded into it: the GED row stays, with the other
    sources' ids and death counts in `also_in` and the spread of the counts in `disagreement`.
    A matched row whose GED partner is not in the list stays (it is the only row of its event
    here).
    """
    if frame.empty or linked.empty or "event_id" not in frame:
        return frame.assign(also_in="", disagreement=0)
    present = set(frame["event_id"])
    by_right = linked.set_index("right_id")["left_id"].to_dict()
    deaths = frame.set_index("event_id")["fatalities_best"].to_dict()
    folded = {r: by_right[r] for r in frame["event_id"] if r in by_right and by_right[r] in present}
    out = frame[~frame["event_id"].isin(folded)].copy()
    also: dict[str, list[str]] = {}
    spread: dict[str, int] = {}
    for right, left in folded.items():
        also.setdefault(left, []).append(f"{right} ({int(deaths.get(right, 0) or 0)} deaths)")
        counts = [int(deaths.get(left, 0) or 0), int(deaths.get(right, 0) or 0)]
        spread[left] = max(spread.get(left, 0), max(counts) - min(counts))
    out["also_in"] = out["event_id"].map(lambda e: "; ".join(also.get(e, [])))
    out["disagreement"] = out["event_id"].map(lambda e: spread.get(e, 0))
    return out.reset_index(drop=True)


def events_once(store: Store, country: str, start: object, end: object) -> pd.DataFrame:
    """The country's events of every source in the period, each real event once.

    GED, ACLED and incident-report rows; a row matched to a GED row (`matches`) is folded into
    it (`dedupe`), so a map or a count over the result counts the real event once.
    """
    rows = store.frame(
        "SELECT event_id, source, date_start, admin1, admin1_code, fatalities_best FROM events "
        "WHERE country_iso3 = ? AND source IN ('ucdp_ged', 'acled', 'incident') "
        "AND date_start BETWEEN ? AND ? ORDER BY event_id",
        [country, start, end],
    )
    return dedupe(rows, matches(store, country))
