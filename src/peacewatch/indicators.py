"""Named, documented indicators for each dimension of a mission's environment.

Every indicator is one SQL query over the store with named parameters (`$country`, `$date_from`,
`$date_to`); `compute` returns the table, the query text and the releases of the sources used,
so every number in a briefing can be traced to its query and rows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import shapely

from peacewatch.actors import actor_key_sql
from peacewatch.errors import PeacewatchError
from peacewatch.missions import missions_of
from peacewatch.panel import actor_identities
from peacewatch.store import Store

DIMENSIONS = ("security", "political", "cooperation", "human_rights", "humanitarian", "regional")
BORDER_KM = 100.0


@dataclass(frozen=True)
class Indicator:
    """One indicator: a name, its dimension, what it measures and the query that measures it."""

    name: str
    dimension: str
    title: str
    description: str
    sql: str
    sources: tuple[str, ...]


@dataclass
class Result:
    """An indicator computed for a country and period."""

    indicator: Indicator
    frame: pd.DataFrame
    params: dict[str, object]
    provenance: list[str] = field(default_factory=list)
    withheld: int = 0  # raw rows of non-redistributable sources left out (licence guard)
    load_ids: tuple[int, ...] = ()  # the loads whose rows it read (the provenance's files)

    @property
    def query(self) -> str:
        """The query with its parameters written out (for the briefing's appendix)."""
        text = self.indicator.sql.strip()
        for key, value in sorted(self.params.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f"${key}", repr(str(value)))
        return text


_YEAR_RANGE = "date_start BETWEEN $date_from AND $date_to"

REGISTRY: dict[str, Indicator] = {}


def _register(*items: Indicator) -> None:
    for item in items:
        REGISTRY[item.name] = item


_register(
    Indicator(
        "security.ged_by_year",
        "security",
        "Organised violence per year (UCDP GED)",
        "Events and fatalities (best, low, high) per year; UCDP's three types of violence "
        "together.",
        f"""SELECT year(date_start) AS year, count(*) AS events,
               sum(fatalities_best) AS fatalities_best, sum(fatalities_low) AS fatalities_low,
               sum(fatalities_high) AS fatalities_high,
               sum(civilian_fatalities) AS civilian_fatalities
           FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country AND {_YEAR_RANGE}
           GROUP BY ALL ORDER BY year""",
        ("ucdp_ged",),
    ),
    Indicator(
        "security.ged_by_type",
        "security",
        "Fatalities by type of violence (UCDP GED)",
        "State-based (1), non-state (2) and one-sided (3) violence: events and best fatalities "
        "per year.",
        f"""SELECT year(date_start) AS year,
               CASE violence_type WHEN 1 THEN 'state-based' WHEN 2 THEN 'non-state'
                    ELSE 'one-sided' END AS violence_type,
               count(*) AS events, sum(fatalities_best) AS fatalities_best
           FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country AND {_YEAR_RANGE}
           GROUP BY ALL ORDER BY year, violence_type""",
        ("ucdp_ged",),
    ),
    Indicator(
        "security.ged_by_admin1",
        "security",
        "Fatalities by region (UCDP GED, admin-1 by point in polygon)",
        "Best fatalities per admin-1 region (as the loaded boundaries name it) and year.",
        f"""SELECT coalesce(admin1, '(outside loaded boundaries)') AS admin1,
               year(date_start) AS year, count(*) AS events,
               sum(fatalities_best) AS fatalities_best
           FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country AND {_YEAR_RANGE}
           GROUP BY ALL ORDER BY admin1, year""",
        ("ucdp_ged",),
    ),
    Indicator(
        "security.ged_by_actor",
        "security",
        "Fatalities by actor category (UCDP GED)",
        "Best fatalities of events in which an actor of the category took part (either side), "
        "per year; an event counts once per category involved.",
        f"""SELECT year, actor_category, count(*) AS events,
               sum(fatalities_best) AS fatalities_best
           FROM (SELECT DISTINCT event_id, year(date_start) AS year, fatalities_best,
                        unnest([actor1_category, actor2_category]) AS actor_category
                 FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country
                   AND {_YEAR_RANGE})
           WHERE actor_category IS NOT NULL
           GROUP BY ALL ORDER BY year, actor_category""",
        ("ucdp_ged",),
    ),
    Indicator(
        "security.remote_violence",
        "security",
        "Explosions and remote violence (ACLED)",
        "ACLED Explosions/Remote violence events per year, of which IEDs and landmines, and "
        "their fatalities (ACLED reports one, conservative, number).",
        f"""SELECT year(date_start) AS year, count(*) AS events,
               count(*) FILTER (WHERE source_sub_event_type = 'Remote explosive/landmine/IED')
                   AS ied_events,
               sum(fatalities_best) AS fatalities
           FROM events WHERE source = 'acled' AND country_iso3 = $country AND {_YEAR_RANGE}
             AND source_event_type = 'Explosions/Remote violence'
           GROUP BY ALL ORDER BY year""",
        ("acled",),
    ),
    Indicator(
        "security.attacks_on_peacekeepers",
        "security",
        "Attacks on peacekeepers, reconciled across sources",
        "Per year: UN peacekeepers killed by malicious acts (UN fatalities file: deaths, no "
        "location), ACLED events against the mission (actor names) and their fatalities, "
        "published field incidents, and UCDP GED (which never codes the UN as a side). "
        "`coverage` says which sources cover the year; `disagreement` flags years where one "
        "source shows attacks and another that covers the year shows none.",
        f"""WITH years AS (
             SELECT y AS year FROM generate_series(year($date_from), year($date_to)) t(y)),
           un AS (SELECT year(incident_date) AS year, count(*) AS un_deaths_malicious
                  FROM un_fatalities WHERE mission IN (SELECT unnest($missions))
                    AND malicious AND incident_date BETWEEN $date_from AND $date_to
                  GROUP BY 1),
           acled AS (SELECT year(date_start) AS year,
                        count(*) FILTER (WHERE category = 'attack_on_peacekeepers')
                            AS acled_attacks,
                        sum(fatalities_best) FILTER (WHERE category = 'attack_on_peacekeepers')
                            AS acled_attack_fatalities,
                        count(*) AS acled_events
                     FROM events WHERE source = 'acled' AND country_iso3 = $country
                       AND {_YEAR_RANGE} GROUP BY 1),
           inc AS (SELECT year(date_start) AS year, count(*) AS incident_reports
                   FROM events WHERE source = 'incident' AND country_iso3 = $country
                     AND category = 'attack_on_peacekeepers' AND {_YEAR_RANGE} GROUP BY 1),
           ged AS (SELECT year(date_start) AS year,
                      count(*) FILTER (WHERE involves_peacekeepers) AS ged_events_with_un,
                      count(*) AS ged_events
                   FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country
                     AND {_YEAR_RANGE} GROUP BY 1)
           SELECT y.year, coalesce(un.un_deaths_malicious, 0) AS un_deaths_malicious,
               acled.acled_attacks, acled.acled_attack_fatalities,
               coalesce(inc.incident_reports, 0) AS incident_reports,
               ged.ged_events_with_un,
               concat_ws(', ', 'UN fatalities',
                         CASE WHEN acled.acled_events > 0 THEN 'ACLED' END,
                         CASE WHEN ged.ged_events > 0 THEN 'GED' END) AS coverage,
               CASE WHEN acled.acled_events > 0 AND coalesce(un.un_deaths_malicious, 0) > 0
                         AND acled.acled_attacks = 0 THEN 'UN deaths but no ACLED attack'
                    WHEN acled.acled_events > 0 AND acled.acled_attack_fatalities > 0
                         AND coalesce(un.un_deaths_malicious, 0) = 0
                         THEN 'ACLED attack deaths but no UN deaths'
                    WHEN ged.ged_events > 0 AND coalesce(un.un_deaths_malicious, 0) > 0
                         THEN 'GED does not code the UN as a side'
               END AS disagreement
           FROM years y LEFT JOIN un USING (year) LEFT JOIN acled USING (year)
           LEFT JOIN inc USING (year) LEFT JOIN ged USING (year)
           ORDER BY y.year""",
        ("un_fatalities", "acled", "ucdp_ged", "incident"),
    ),
    Indicator(
        "security.attacks_on_peacekeepers_monthly",
        "security",
        "Attacks on peacekeepers by month, one attack counted once across sources",
        "Per month: days with peacekeepers killed by malicious acts (UN fatalities file, which "
        "has dates but no places) and the deaths; ACLED attacks on the mission; published "
        "incident reports of attacks; and `attack_days`, the days on which any source records an "
        "attack, where an ACLED or incident-report attack within 2 days of a UN fatality day is "
        "the same attack (folded into that day: `matched_days` counts them). Months ACLED does "
        "not cover have no ACLED figure (n/a, not zero).",
        """WITH months AS (
             SELECT strftime(m, '%Y-%m') AS month FROM generate_series(
               date_trunc('month', CAST($date_from AS DATE)),
               date_trunc('month', CAST($date_to AS DATE)), INTERVAL 1 MONTH) t(m)),
           un AS (SELECT incident_date AS day, count(*) AS deaths FROM un_fatalities
                  WHERE mission IN (SELECT unnest($missions)) AND malicious
                    AND incident_date BETWEEN $date_from AND $date_to GROUP BY 1),
           other AS (SELECT source, date_start AS day FROM events
                     WHERE source IN ('acled', 'incident') AND country_iso3 = $country
                       AND category = 'attack_on_peacekeepers'
                       AND date_start BETWEEN $date_from AND $date_to),
           folded AS (SELECT o.source, o.day,
                        (SELECT u.day FROM un u WHERE abs(date_diff('day', u.day, o.day)) <= 2
                         ORDER BY abs(date_diff('day', u.day, o.day)), u.day LIMIT 1) AS un_day
                      FROM other o),
           days AS (SELECT day FROM un
                    UNION SELECT day FROM folded WHERE un_day IS NULL),
           acled_months AS (SELECT DISTINCT strftime(date_start, '%Y-%m') AS month FROM events
                            WHERE source = 'acled' AND country_iso3 = $country)
           SELECT mo.month,
             (SELECT count(*) FROM un WHERE strftime(un.day, '%Y-%m') = mo.month)
               AS un_fatality_days,
             (SELECT coalesce(sum(deaths), 0) FROM un WHERE strftime(un.day, '%Y-%m') = mo.month)
               AS un_deaths_malicious,
             CASE WHEN mo.month IN (SELECT month FROM acled_months) THEN
               (SELECT count(*) FROM folded f WHERE f.source = 'acled'
                 AND strftime(f.day, '%Y-%m') = mo.month) END AS acled_attacks,
             (SELECT count(*) FROM folded f WHERE f.source = 'incident'
               AND strftime(f.day, '%Y-%m') = mo.month) AS incident_reports,
             (SELECT count(DISTINCT un_day) FROM folded f
               WHERE strftime(f.un_day, '%Y-%m') = mo.month) AS matched_days,
             (SELECT count(*) FROM days WHERE strftime(days.day, '%Y-%m') = mo.month)
               AS attack_days
           FROM months mo ORDER BY mo.month""",
        ("un_fatalities", "acled", "incident"),
    ),
    Indicator(
        "security.deaths_by_actor",
        "security",
        "Deaths in events involving each actor, one actor across sources",
        "Per actor (the crosswalk: UCDP's `JNIM` and ACLED's `JNIM: Group for Support of Islam "
        "and Muslims` are one actor; Ansar Dine counts as JNIM from 2 March 2017, Wagner as "
        "Africa Corps from 2024; a state's forces are its government in both sources), year and "
        "source: events involving the actor on either side, and their best fatalities.",
        f"""WITH sides AS (
             SELECT e.event_id, e.source, e.date_start, e.fatalities_best, e.actor1 AS name,
                 {actor_key_sql(1)} AS actor_key
             FROM events e WHERE e.country_iso3 = $country AND {_YEAR_RANGE}
             UNION ALL
             SELECT e.event_id, e.source, e.date_start, e.fatalities_best, e.actor2,
                 {actor_key_sql(2)}
             FROM events e WHERE e.country_iso3 = $country AND {_YEAR_RANGE}
               AND e.actor2 IS NOT NULL),
           involved AS (
             SELECT DISTINCT i.actor, s.event_id, s.source, s.date_start, s.fatalities_best
             FROM sides s JOIN _identity i ON i.name = s.name
               AND i.actor_key IS NOT DISTINCT FROM s.actor_key
               AND s.date_start BETWEEN i.valid_from AND i.valid_to)
           SELECT actor, year(date_start) AS year, source, count(*) AS events,
               sum(fatalities_best) AS fatalities_best
           FROM involved GROUP BY ALL ORDER BY actor, year, source""",
        ("ucdp_ged", "acled", "incident"),
    ),
    Indicator(
        "political.coups",
        "political",
        "Coups d'état (Powell & Thyne, and the timeline)",
        "Coup attempts with their dates: successful or failed (Powell & Thyne), and whether the "
        "country's timeline records them (within 3 days; where the two dates differ, both are "
        "given). Timeline rows marked as another country's event (notes 'Regional ...', e.g. a "
        "neighbour's coup) are regional context, not this country's coups.",
        """WITH own AS (SELECT * FROM timeline t WHERE t.country_iso3 = $country
                         AND t.category = 'coup'
                         AND NOT coalesce(lower(t.notes), '') LIKE 'regional%')
           SELECT c.date, c.successful, c.dataset_version,
               (SELECT string_agg(t.event, ' | ') FROM own t
                 WHERE abs(date_diff('day', t.date, c.date)) <= 3
                    OR c.date BETWEEN t.date AND coalesce(t.end_date, t.date)) AS timeline_event,
               (SELECT min(t.date) FROM own t
                 WHERE abs(date_diff('day', t.date, c.date)) <= 3
                   AND NOT c.date BETWEEN t.date AND coalesce(t.end_date, t.date))
                   AS timeline_date_differs
           FROM coups c WHERE c.country_iso3 = $country
             AND c.date BETWEEN $date_from AND $date_to
           UNION ALL
           SELECT coalesce(t.end_date, t.date), NULL, 'timeline only', t.event, NULL
           FROM own t WHERE t.date BETWEEN $date_from AND $date_to
             AND NOT EXISTS (SELECT 1 FROM coups c WHERE c.country_iso3 = $country
                             AND c.date BETWEEN t.date - 3 AND coalesce(t.end_date, t.date) + 3)
           ORDER BY 1""",
        ("coups", "timeline"),
    ),
    Indicator(
        "political.timeline",
        "political",
        "Agreements, transitions and sanctions (timeline)",
        "Dated political events of the curated timeline: agreements, politics, sanctions, "
        "mandates.",
        """SELECT date, category, event, location, sources FROM timeline
           WHERE country_iso3 = $country AND date BETWEEN $date_from AND $date_to
             AND category IN ('agreement', 'politics', 'sanctions', 'mandate')
           ORDER BY date""",
        ("timeline",),
    ),
    Indicator(
        "cooperation.restrictions",
        "cooperation",
        "Host-state cooperation: restrictions, expulsions, withdrawal",
        "Timeline events on the mission's freedom of movement, expulsions, foreign forces and "
        "the withdrawal, plus published incident reports of movement restrictions.",
        """SELECT date, category, event, sources AS source FROM timeline
           WHERE country_iso3 = $country AND date BETWEEN $date_from AND $date_to
             AND (category IN ('withdrawal', 'foreign forces')
                  OR regexp_matches(lower(event),
                     'expel|expuls|restrict|flight|ban |denied|persona non grata|withdraw'))
           UNION ALL
           SELECT date_start, category, notes, 'incident report' FROM events
           WHERE source = 'incident' AND country_iso3 = $country
             AND category = 'movement_restriction' AND date_start BETWEEN $date_from AND $date_to
           ORDER BY 1""",
        ("timeline", "incident"),
    ),
    Indicator(
        "cooperation.tracker",
        "cooperation",
        "Freedom of movement and host cooperation, month by month",
        "Per month and kind - movement restriction, flight or rotation restriction, denial of "
        "access or authorisation, expulsion, hostile statement or request to leave - the "
        "timeline's events (kind read from the event's words by the rules in this query) and "
        "the published incident reports (kind from their category), each listed.",
        """WITH t AS (
             SELECT date AS day, 'timeline' AS source, event AS what, CASE
               WHEN regexp_matches(lower(event), 'expel|expuls|persona non grata')
                 THEN 'expulsion'
               WHEN regexp_matches(lower(event), 'flight|airspace|rotation|drone|overflight')
                AND regexp_matches(lower(event), 'ban|denied|deny|restrict|suspend|refus|block')
                 THEN 'flight or rotation restriction'
               WHEN regexp_matches(lower(event),
                    'denied access|deny access|refus.*(access|authori)')
                 THEN 'denial of access or authorisation'
               WHEN regexp_matches(lower(event),
                    'restrict|freedom of movement|blockade|checkpoint|curfew|movement ban')
                 THEN 'movement restriction'
               WHEN regexp_matches(lower(event),
                    'asks .*withdraw|demand.*(leave|withdraw)|without delay|accus|hostile|denounce')
                 THEN 'hostile statement or request to leave'
             END AS kind
             FROM timeline WHERE country_iso3 = $country AND date BETWEEN $date_from AND $date_to
               AND NOT coalesce(lower(notes), '') LIKE 'regional%'
             UNION ALL
             SELECT date_start, 'incident report', notes, CASE source_event_type
               WHEN 'movement_restriction' THEN 'movement restriction'
               WHEN 'flight_denial' THEN 'flight or rotation restriction'
               WHEN 'arrest_expulsion' THEN 'expulsion' END
             FROM events WHERE source = 'incident' AND country_iso3 = $country
               AND date_start BETWEEN $date_from AND $date_to)
           SELECT strftime(day, '%Y-%m') AS month, kind, count(*) AS events,
               string_agg(strftime(day, '%Y-%m-%d') || ' (' || source || '): ' || what, ' | '
                          ORDER BY day) AS listed
           FROM t WHERE kind IS NOT NULL GROUP BY ALL ORDER BY month, kind""",
        ("timeline", "incident"),
    ),
    Indicator(
        "human_rights.civilian_fatalities",
        "human_rights",
        "Civilian fatalities by perpetrator category (UCDP GED one-sided violence)",
        "Civilians killed in one-sided violence per year, by the category of the perpetrator "
        "(side A).",
        f"""SELECT year(date_start) AS year, actor1_category AS perpetrator_category,
               count(*) AS events, sum(civilian_fatalities) AS civilian_fatalities
           FROM events WHERE source = 'ucdp_ged' AND country_iso3 = $country
             AND violence_type = 3 AND {_YEAR_RANGE}
           GROUP BY ALL ORDER BY year, perpetrator_category""",
        ("ucdp_ged",),
    ),
    Indicator(
        "human_rights.mass_casualty_events",
        "human_rights",
        "Mass-casualty events against civilians (>= 25 civilians killed)",
        "Every event with at least 25 civilian deaths, with the perpetrator as the source names "
        "it and its category.",
        f"""SELECT date_start AS date, coalesce(admin1, source_admin1) AS region,
               CASE WHEN source = 'ucdp_ged' THEN left(split_part(notes, chr(10), 1), 60)
                    ELSE source_admin2 END AS place,
               actor1 AS perpetrator, actor1_category AS perpetrator_category,
               civilian_fatalities, fatalities_best, source, event_id
           FROM events WHERE country_iso3 = $country AND civilian_fatalities >= 25
             AND {_YEAR_RANGE}
           ORDER BY date_start, event_id""",
        ("ucdp_ged", "acled"),
    ),
    Indicator(
        "humanitarian.figures",
        "humanitarian",
        "Displacement and people in need",
        "Per year and indicator, the latest figure of the year (people in need, IDPs, refugees) "
        "with its date and source.",
        """SELECT year, indicator, value, coalesce(CAST(as_of_date AS VARCHAR), as_of_text)
                  AS as_of, source_org, confidence
           FROM humanitarian WHERE country_iso3 = $country
             AND year BETWEEN year($date_from) AND year($date_to)
           QUALIFY row_number() OVER (PARTITION BY year, indicator
                                      ORDER BY as_of_date DESC NULLS LAST) = 1
           ORDER BY indicator, year""",
        ("humanitarian",),
    ),
    Indicator(
        "regional.neighbours",
        "regional",
        "Violence in the neighbouring countries (UCDP GED)",
        "Events and best fatalities per year in each neighbouring country: a country whose "
        "loaded admin-1 polygons touch the country's outline, or with UCDP GED events within "
        f"{BORDER_KM:.0f} km of it across the border (computed from the loaded boundaries: a "
        "far-away country in the store is not a neighbour).",
        f"""SELECT country_iso3, year(date_start) AS year, count(*) AS events,
               sum(fatalities_best) AS fatalities_best
           FROM events WHERE source = 'ucdp_ged'
             AND country_iso3 IN (SELECT unnest($neighbours)) AND {_YEAR_RANGE}
           GROUP BY ALL ORDER BY country_iso3, year""",
        ("ucdp_ged",),
    ),
    Indicator(
        "regional.border_areas",
        "regional",
        f"Violence within {BORDER_KM:.0f} km of the border (UCDP GED)",
        f"Events and best fatalities per year and country within {BORDER_KM:.0f} km of the "
        "country's outline (the union of its loaded admin-1 polygons), on both sides.",
        f"""SELECT e.country_iso3, year(e.date_start) AS year,
               CASE WHEN e.country_iso3 = $country THEN 'inside' ELSE 'across the border' END
                   AS side,
               count(*) AS events, sum(e.fatalities_best) AS fatalities_best
           FROM events e JOIN _border_points b
             ON b.latitude = e.latitude AND b.longitude = e.longitude
           WHERE e.source = 'ucdp_ged' AND {_YEAR_RANGE.replace("date_start", "e.date_start")}
           GROUP BY ALL ORDER BY e.country_iso3, year""",
        ("ucdp_ged",),
    ),
)


def border_points(store: Store, country: str) -> pd.DataFrame:
    """Distinct event coordinates within BORDER_KM of the country's outline.

    Distances are planar degrees converted to km at the point's latitude: a close approximation
    at this distance.
    """
    bounds = store.admin1_polygons(country)
    coords = store.frame(
        "SELECT DISTINCT latitude, longitude FROM events WHERE latitude IS NOT NULL"
    )
    if bounds.empty or coords.empty:
        return coords.iloc[0:0]
    outline = shapely.union_all(list(bounds["geometry"])).boundary
    points = shapely.points(coords["longitude"].to_numpy(), coords["latitude"].to_numpy())
    degrees = shapely.distance(points, outline)
    km_per_degree = 111.32 * np.sqrt(
        np.cos(np.radians(coords["latitude"].to_numpy())) ** 2 * 0.5 + 0.5
    )
    return coords[degrees * km_per_degree <= BORDER_KM].reset_index(drop=True)


def neighbours(store: Store, country: str) -> list[str]:
    """The country's neighbours, from the loaded boundaries (empty without its own).

    A country whose admin-1 polygons touch the country's outline (within 0.05 degrees: the
    outlines of two sources rarely meet exactly), or that has UCDP GED events within BORDER_KM
    of the outline on the other side of it.
    """
    own = store.admin1_polygons(country)
    if own.empty:
        return []
    outline = shapely.union_all(list(own["geometry"])).buffer(0.05)
    found: set[str] = set()
    others = store.admin1_polygons()
    others = others[others["country_iso3"] != country]
    for iso3, group in others.groupby("country_iso3"):
        if shapely.intersects(outline, shapely.union_all(list(group["geometry"]))):
            found.add(str(iso3))
    points = border_points(store, country)
    if not points.empty:
        with store.registered("_nb_points", points):
            rows = store.rows(
                "SELECT DISTINCT e.country_iso3 FROM events e JOIN _nb_points b "
                "ON b.latitude = e.latitude AND b.longitude = e.longitude "
                "WHERE e.source = 'ucdp_ged' AND e.country_iso3 <> ?",
                [country],
            )
        found |= {str(r[0]) for r in rows if r[0]}
    return sorted(found)


def _provenance(store: Store, indicator: Indicator, country: str) -> tuple[list[str], set[int]]:
    """`source: release (files)` for each source used: only the loads whose rows it read.

    Event sources: the loads of the current events of that source in the country (in the other
    countries for an indicator of the neighbours; in every country for the border areas);
    reference tables with a country column: the loads of that country's rows; others: every
    load still stored.
    """
    others = "$neighbours" in indicator.sql  # the neighbours' rows only
    around = neighbours(store, country) if others else []
    everywhere = "_border_points" in indicator.sql  # both sides of the border
    out: list[str] = []
    used: set[int] = set()
    for source in indicator.sources:
        target = store.row("SELECT any_value(target) FROM loads WHERE source = ?", [source])
        table = (target[0] if target else None) or ("events" if source == "incident" else None)
        if table is None:
            continue
        by_country = table == "events" or "country_iso3" in store.columns(table)
        where, params = "true", []
        if table == "events":
            where, params = "source = ?", [source]
        if by_country and others:
            where += f" AND country_iso3 IN ({', '.join('?' for _ in around) or 'NULL'})"
            params.extend(around)
        elif by_country and not everywhere:
            where += " AND country_iso3 = ?"
            params.append(country)
        if source == "incident":
            (n,) = store.row(f"SELECT count(*) FROM events WHERE {where}", params) or (0,)
            if n:
                out.append(f"incident: {n} published incident reports")
            continue
        rows = store.rows(
            "SELECT DISTINCT release, file_name, load_id FROM loads WHERE load_id IN "
            f"(SELECT DISTINCT load_id FROM {table} WHERE {where}) ORDER BY file_name",
            params,
        )
        if rows:
            files = ", ".join(sorted({r[1] for r in rows}))
            releases = "; ".join(sorted({r[0] for r in rows}))
            out.append(f"{source}: {releases} ({files})")
            used |= {int(r[2]) for r in rows}
    return out, used


def compute(
    store: Store,
    name: str,
    country: str,
    date_from: date | str,
    date_to: date | str,
    licensed: bool = True,
) -> Result:
    """Compute indicator `name` for `country` over [date_from, date_to].

    `licensed=False` (a reader the licence does not cover): an indicator that lists events
    row by row leaves out those of non-redistributable sources (ACLED) and counts them in
    `withheld`; aggregates are kept whole.
    """
    if name not in REGISTRY:
        raise PeacewatchError(f"indicator: {name!r} is not one of {', '.join(REGISTRY)}")
    indicator = REGISTRY[name]
    country = country.upper()
    params: dict[str, object] = {
        "country": country,
        "date_from": pd.Timestamp(date_from).date(),
        "date_to": pd.Timestamp(date_to).date(),
    }
    if "$missions" in indicator.sql:
        params["missions"] = missions_of(country) or ["-"]
    if "$neighbours" in indicator.sql:
        params["neighbours"] = neighbours(store, country) or ["-"]
    with contextlib.ExitStack() as views:
        if "_border_points" in indicator.sql:
            views.enter_context(store.registered("_border_points", border_points(store, country)))
        if "_identity" in indicator.sql:
            identities = actor_identities(store, "country_iso3 = ?", [country])
            views.enter_context(store.registered("_identity", identities))
        used = {k: v for k, v in params.items() if f"${k}" in indicator.sql}
        frame = store.frame(indicator.sql, used)
    for col in frame.columns:
        if frame[col].dtype.kind == "f" and frame[col].dropna().mod(1).eq(0).all():
            frame[col] = frame[col].astype("Int64")
    withheld = 0
    if not licensed and "event_id" in frame.columns and "source" in frame.columns:
        private = frame["source"].isin(store.restricted_sources())
        withheld = int(private.sum())
        frame = frame[~private].reset_index(drop=True)
    provenance, loads = _provenance(store, indicator, country)
    return Result(indicator, frame, used, provenance, withheld, tuple(sorted(loads)))


def compute_all(
    store: Store,
    country: str,
    date_from: date | str,
    date_to: date | str,
    licensed: bool = True,
) -> dict[str, Result]:
    """Every registered indicator for the country and period (see `compute`)."""
    return {name: compute(store, name, country, date_from, date_to, licensed) for name in REGISTRY}
