"""Balanced unit x month panels built inside the store (SQL), zeros where nothing happened.

Units: `country`, `admin1` (the loaded boundaries), `priogrid` (0.5 degree cells: every cell whose
centre lies in the country's admin-1 polygons, plus any cell with an event), and `site:<km>`
(every camp of the country with coordinates; events within <km> km, great-circle distance; an
event near two sites counts for both). Months are calendar months of `date_start`.

Events whose date is known only to the year (`date_precision` coarser than a month) are not
spread over months: they are counted in the month of `date_start` in the separate columns
`imprecise_events` and `imprecise_fatalities_best`, never dropped. So, for any filter,
sum(fatalities_best) + sum(imprecise_fatalities_best) equals the events table's total.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from peacewatch import actors, geo
from peacewatch.dates import parse_date
from peacewatch.errors import PeacewatchError
from peacewatch.schema import ACTOR_CATEGORIES, CATEGORIES
from peacewatch.sources.base import sql_str
from peacewatch.store import Store

UNIT_KINDS = ("country", "admin1", "priogrid", "site")
VIOLENCE_TYPES = {1: "sb", 2: "ns", 3: "os"}
# Dates known only to the year (an event without a stated precision counts as precise).
IMPRECISE = "coalesce(date_precision, '') = 'year'"
FATALITY_COLUMNS = ("fatalities_best", "fatalities_low", "fatalities_high", "civilian_fatalities")


@dataclass(frozen=True)
class PanelSpec:
    """What a panel is of: unit kind (and radius for sites), country, months, source."""

    unit: str
    country: str
    date_from: date
    date_to: date
    source: str = "ucdp_ged"
    radius_km: float | None = None
    measures: tuple[str, ...] = ()  # empty: every measure column
    actor: str | None = None  # only events involving this actor (the crosswalk's name)
    # Only events in this box (west, south, east, north; degrees); then `country` may be empty.
    bbox: tuple[float, float, float, float] | None = None

    @property
    def countries(self) -> tuple[str, ...]:
        """The ISO3 codes of `country`, which may name several: `BFA,NER,TCD`."""
        return country_codes(self.country)


def country_codes(text: str) -> tuple[str, ...]:
    """`bfa, NER,,TCD` -> ("BFA", "NER", "TCD"): ISO3 codes in order, each once."""
    return tuple(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """`W,S,E,N` in degrees (e.g. `-12,9.5,4,24.5`) -> a box, or a clear error."""
    try:
        west, south, east, north = (float(p) for p in text.split(","))
    except ValueError:
        raise PeacewatchError(
            f"bbox: {text!r} is not four numbers west,south,east,north (e.g. -12,9.5,4,24.5)"
        ) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise PeacewatchError(
            f"bbox: {text!r} needs -180 <= west < east <= 180 and -90 <= south < north <= 90"
        )
    return west, south, east, north


def box_cells(bbox: tuple[float, float, float, float]) -> list[int]:
    """The PRIO-GRID cells whose centre lies in the box."""
    west, south, east, north = bbox
    lons = np.arange(np.floor(west * 2) / 2 + 0.25, east, 0.5)
    lats = np.arange(np.floor(south * 2) / 2 + 0.25, north, 0.5)
    lons, lats = lons[lons >= west], lats[lats >= south]
    return sorted({geo.priogrid_gid(lat, lon) for lat in lats for lon in lons})


def parse_unit(unit: str) -> tuple[str, float | None]:
    """`country`, `admin1`, `priogrid` or `site:<km>` -> (kind, radius)."""
    match = re.fullmatch(r"site:(\d+(?:\.\d+)?)", unit)
    if match:
        return "site", float(match.group(1))
    if unit in UNIT_KINDS and unit != "site":
        return unit, None
    raise PeacewatchError(
        f"unit: {unit!r} is not one of country, admin1, priogrid, site:<km> (e.g. site:25)"
    )


@dataclass(frozen=True)
class Measure:
    """One panel column: the sum of `value` over a unit-month's events with `key` = `code`.

    `value`: `events` (each event counts 1) or an events column (`fatalities_best`, ...);
    `key`: None (every event), `category` (code: position in CATEGORIES), `violence_type`
    (UCDP's 1, 2, 3) or `actor` (position in ACTOR_CATEGORIES, on either side, an event
    counted once); precise dates only, unless `imprecise` (dates known only to the year).
    """

    value: str = "events"
    key: str | None = None
    code: int = 0
    imprecise: bool = False

    def sql(self) -> str:
        """The column as one SQL aggregate over the events (its definition, for readers)."""
        total = "count(*)" if self.value == "events" else f"sum({self.value})"
        when = [IMPRECISE if self.imprecise else f"NOT {IMPRECISE}"]
        if self.key == "category":
            when.append(f"category = '{CATEGORIES[self.code]}'")
        elif self.key == "violence_type":
            when.append(f"violence_type = {self.code}")
        elif self.key == "actor":
            cat = ACTOR_CATEGORIES[self.code]
            when.append(f"'{cat}' IN (actor1_category, coalesce(actor2_category, ''))")
        return f"{total} FILTER (WHERE {' AND '.join(when)})"


def measures() -> dict[str, Measure]:
    """Panel column -> its definition (`Measure`), in the panel's column order."""
    defs: dict[str, Measure] = {
        "events": Measure(),
        **{v: Measure(v) for v in FATALITY_COLUMNS},
        "attacks_on_peacekeepers": Measure(
            key="category", code=CATEGORIES.index("attack_on_peacekeepers")
        ),
    }
    for code, cat in enumerate(CATEGORIES):
        defs[f"events_{cat}"] = Measure(key="category", code=code)
        defs[f"fatalities_{cat}"] = Measure("fatalities_best", "category", code)
    for code, name in VIOLENCE_TYPES.items():
        defs[f"events_{name}"] = Measure(key="violence_type", code=code)
        defs[f"fatalities_{name}"] = Measure("fatalities_best", "violence_type", code)
    for code, cat in enumerate(ACTOR_CATEGORIES):
        defs[f"events_actor_{cat}"] = Measure(key="actor", code=code)
        defs[f"fatalities_actor_{cat}"] = Measure("fatalities_best", "actor", code)
    return defs


# Always in the panel, after the measures asked for.
IMPRECISE_MEASURES = {
    "imprecise_events": Measure(imprecise=True),
    "imprecise_fatalities_best": Measure("fatalities_best", imprecise=True),
}


def measure_columns() -> dict[str, str]:
    """Panel column -> SQL aggregate over the events of one unit-month (the definitions)."""
    return {name: m.sql() for name, m in {**measures(), **IMPRECISE_MEASURES}.items()}


def _cube_sql(wanted: dict[str, Measure]) -> tuple[list[str], list[str]]:
    """The cube's key and value columns (SQL over `ev e`) that `wanted` needs.

    The keys code each event's precision, category, violence type and actor categories as
    small integers (-1: none of the known ones); the values count and sum per key.
    """
    keys = [f"CASE WHEN {IMPRECISE} THEN 1 ELSE 0 END AS imprecise"]
    used = {m.key for m in wanted.values()}
    if "category" in used:
        keys.append(_code_sql("e.category", CATEGORIES) + " AS category")
    if "violence_type" in used:
        cases = " ".join(f"WHEN {c} THEN {c}" for c in VIOLENCE_TYPES)
        keys.append(f"CASE e.violence_type {cases} ELSE 0 END AS violence_type")
    if "actor" in used:
        keys.append(_code_sql("e.actor1_category", ACTOR_CATEGORIES) + " AS actor1")
        keys.append(_code_sql("e.actor2_category", ACTOR_CATEGORIES) + " AS actor2")
    values = ["count(*) AS v_events"] + [
        f"CAST(coalesce(sum(e.{v}), 0) AS BIGINT) AS v_{v}"
        for v in dict.fromkeys(m.value for m in wanted.values())
        if v != "events"
    ]
    return keys, values


def _code_sql(column: str, names: tuple[str, ...]) -> str:
    cases = " ".join(f"WHEN '{n}' THEN {i}" for i, n in enumerate(names))
    return f"CASE {column} {cases} ELSE -1 END"


def _matches(cube: dict[str, np.ndarray], measure: Measure) -> np.ndarray:
    """The cube rows that add to `measure` (a boolean mask)."""
    mask = cube["imprecise"] == (1 if measure.imprecise else 0)
    if measure.key == "actor":
        return mask & ((cube["actor1"] == measure.code) | (cube["actor2"] == measure.code))
    if measure.key is not None:
        return mask & (cube[measure.key] == measure.code)
    return mask


def country_cells(store: Store, country: str) -> list[int]:
    """PRIO-GRID cells whose centre lies in the country's loaded admin-1 polygons."""
    bounds = store.admin1_polygons(country)
    if bounds.empty:
        return []
    shape = shapely.union_all(list(bounds["geometry"]))
    minx, miny, maxx, maxy = shape.bounds
    lons = np.arange(np.floor(minx * 2) / 2 + 0.25, maxx + 0.5, 0.5)
    lats = np.arange(np.floor(miny * 2) / 2 + 0.25, maxy + 0.5, 0.5)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    inside = shapely.contains_xy(shape, grid_lon.ravel(), grid_lat.ravel())
    return sorted(
        {
            geo.priogrid_gid(lat, lon)
            for lat, lon in zip(grid_lat.ravel()[inside], grid_lon.ravel()[inside], strict=True)
        }
    )


def camp_sites(store: Store, country: str) -> pd.DataFrame:
    """The country's camps with coordinates: the camps table's, else a documented geocode.

    `data/site_geocodes.csv` holds sourced coordinates for sites the camps table lacks (e.g.
    Ogossagou, geocoded from UCDP GED's exact-location events at the village); `coord_source`
    says where each site's coordinates come from.
    """
    camps = store.frame(
        "SELECT camp_id, mission, name, latitude, longitude, closure_date, source_admin1, "
        "handover_order FROM camps WHERE country_iso3 = ? "
        "ORDER BY handover_order NULLS LAST, camp_id",
        [country.upper()],
    )
    with resources.files("peacewatch.data").joinpath("site_geocodes.csv").open() as fh:
        codes = pd.read_csv(fh, dtype={"camp_id": str, "mission": str})
    camps["coord_source"] = camps["latitude"].notna().map({True: "camps table", False: None})
    for code in codes.to_dict("records"):
        hit = (camps["camp_id"] == code["camp_id"]) & (camps["mission"] == code["mission"])
        hit &= camps["latitude"].isna()
        camps.loc[hit, "latitude"] = float(code["latitude"])
        camps.loc[hit, "longitude"] = float(code["longitude"])
        camps.loc[hit, "coord_source"] = f"geocoded: {code['source']}"
    return camps


def _units_and_assignment(
    store: Store, spec: PanelSpec
) -> tuple[pd.DataFrame, str, dict[str, pd.DataFrame]]:
    """The units, the SQL assigning events to them, and the frames that SQL reads as views.

    Units: unit, unit_name; the assignment: event_id, unit, from the view `ev` of the events;
    the frames: the sites' coordinates (`_units_geo`) for site panels.
    """
    countries = list(spec.countries)
    if spec.bbox and spec.unit in ("admin1", "site"):
        raise PeacewatchError(
            "bbox: country and priogrid panels only (admin-1 regions and sites cut by a box "
            "are not done yet)"
        )
    if spec.unit == "country" and not countries:  # a box: the countries of its events
        countries = [c for (c,) in store.rows("SELECT DISTINCT country_iso3 FROM ev ORDER BY 1")]
    if spec.unit == "country":
        name = pd.DataFrame({"unit": countries, "unit_name": countries})
        return name, "SELECT event_id, country_iso3 AS unit FROM ev", {}
    if spec.unit == "admin1":
        units = store.frame(
            "SELECT admin_code AS unit, name AS unit_name, country_iso3 FROM admin_boundaries "
            "WHERE country_iso3 IN (SELECT unnest(?::VARCHAR[])) AND admin_level = 1 "
            "ORDER BY country_iso3, admin_code",
            [countries],
        )
        missing = [c for c in countries if c not in set(units["country_iso3"])]
        if missing:
            raise PeacewatchError(
                f"no admin-1 boundaries of {', '.join(missing)} are loaded: load them "
                "(peacewatch load boundaries FILE), or use --unit country or priogrid"
            )
        units = units.drop(columns="country_iso3")
        extra = store.frame(
            "SELECT DISTINCT coalesce(admin1_code, '(outside loaded boundaries)') AS unit, "
            "coalesce(admin1, '(outside loaded boundaries)') AS unit_name FROM ev"
        )
        units = pd.concat([units, extra]).drop_duplicates("unit").reset_index(drop=True)
        return (
            units,
            "SELECT event_id, coalesce(admin1_code, '(outside loaded boundaries)') AS unit FROM ev",
            {},
        )
    if spec.unit == "priogrid":
        if spec.bbox:  # every cell of the box (or of its part in the countries asked)
            box = set(box_cells(spec.bbox))
            cells = box & {cell for c in countries for cell in country_cells(store, c)}
            cells = cells if countries else box
        else:
            cells = {cell for c in countries for cell in country_cells(store, c)}
        cells |= {
            int(c)
            for (c,) in store.rows(
                "SELECT DISTINCT priogrid_gid FROM ev WHERE priogrid_gid IS NOT NULL"
            )
        }
        units = pd.DataFrame({"unit": sorted(cells)})
        units["unit_name"] = units["unit"].astype(str)
        units["unit"] = units["unit"].astype(str)
        return (
            units,
            "SELECT event_id, CAST(priogrid_gid AS VARCHAR) AS unit FROM ev "
            "WHERE priogrid_gid IS NOT NULL",
            {},
        )
    camps = pd.concat([camp_sites(store, c) for c in countries], ignore_index=True)
    camps = camps[camps["latitude"].notna()].rename(
        columns={"camp_id": "unit", "name": "unit_name"}
    )
    camps = camps[["unit", "unit_name", "latitude", "longitude"]].reset_index(drop=True)
    if camps.empty:
        raise PeacewatchError(
            f"no camps with coordinates for {spec.country}: load a camps table first"
        )
    radius = float(spec.radius_km or 0)
    distance = (
        f"2 * {geo.EARTH_RADIUS_KM} * asin(sqrt("
        "pow(sin(radians(e.latitude - u.latitude) / 2), 2) + "
        "cos(radians(u.latitude)) * cos(radians(e.latitude)) * "
        "pow(sin(radians(e.longitude - u.longitude) / 2), 2)))"
    )
    return (
        camps[["unit", "unit_name"]],
        f"SELECT e.event_id, u.unit FROM ev e, _units_geo u "
        f"WHERE e.latitude IS NOT NULL AND {distance} <= {radius}",
        {"_units_geo": camps},
    )


def first_withdrawal(
    store: Store, country: str, after: date | None = None, before: date | None = None
) -> date | None:
    """The day of the country's first withdrawal event, None without one.

    Strictly between `after` and `before` when they are given.
    """
    row = store.row(
        "SELECT min(date) FROM timeline WHERE country_iso3 = ? AND category = 'withdrawal' "
        "AND date > coalesce(?, DATE '0001-01-01') AND date < coalesce(?, DATE '9999-12-31')",
        [country, after, before],
    )
    return row[0] if row and row[0] is not None else None


def actor_identities(store: Store, scope: str, params: list[object] | None = None) -> pd.DataFrame:
    """The actors of the events matching `scope` (SQL over `events`), one across sources.

    Columns name, actor_key, country_iso3, actor, valid_from, valid_to (actors.identities;
    `actor_key` is the source's actor id, e.g. `ucdp:6716`; match it with `IS NOT DISTINCT FROM`).
    """
    names = store.frame(
        f"SELECT DISTINCT actor1 AS name, {actors.actor_key_sql(1)} AS actor_key, country_iso3 "
        f"FROM events WHERE {scope} UNION SELECT DISTINCT actor2, {actors.actor_key_sql(2)}, "
        f"country_iso3 FROM events WHERE {scope} AND actor2 IS NOT NULL",
        [*(params or []), *(params or [])],
    )
    return actors.identity_table(names)


def _actor_scope(store: Store, spec: PanelSpec, scope: str) -> tuple[str, pd.DataFrame]:
    """SQL keeping the events that involve `spec.actor` (either side), in the crosswalk's periods.

    The actor is one identity across sources (actors.identities): `JNIM` takes UCDP's `JNIM`,
    ACLED's `JNIM: Group for ...` and Ansar Dine from 2 March 2017.
    """
    table = actor_identities(store, scope)
    wanted = str(spec.actor).casefold()
    table = table[table["actor"].str.casefold() == wanted]
    if table.empty:
        raise PeacewatchError(
            f"actor: no events of {spec.actor!r} for {spec.country} in the period (the actors "
            f"and their names: peacewatch actors --country {spec.country})"
        )
    return (
        " AND EXISTS (SELECT 1 FROM _panel_actor p WHERE ((p.name = events.actor1 AND "
        f"p.actor_key IS NOT DISTINCT FROM {actors.actor_key_sql(1)}) OR (p.name = events.actor2 "
        f"AND p.actor_key IS NOT DISTINCT FROM {actors.actor_key_sql(2)})) "
        "AND events.date_start BETWEEN p.valid_from AND p.valid_to)",
        table,
    )


# Block cells (columns x unit-months) from which `_densify` fills the columns on threads.
THREADED_CELLS = 1 << 22
# Rows per batch of the streamed aggregates (`chunks`): ~50 MB of 8-byte columns.
STREAM_ROWS = 100_000


def build(store: Store, spec: PanelSpec) -> pd.DataFrame:
    """The balanced panel: one row per unit and month, zeros where nothing happened.

    The store aggregates the events into a cube: per grid cell (unit position x months +
    month position, one integer key) and per small-integer code of precision, category,
    violence type and actor categories, a count and the fatality sums; numpy then rolls the
    cube up into the dense unit x month block, one contiguous array per column (vectorised;
    no loop over rows). `attrs`: the cube's query, each column's definition as SQL
    (`measures`) and the spec.
    """
    with _aggregation(store, spec) as (query, units, months, wanted):
        cube = store.arrays(query)
    frame = _densify(units, months, cube, wanted)
    _describe(frame, query, wanted, spec)
    return frame


def _describe(frame: pd.DataFrame, query: str, wanted: dict[str, Measure], spec: PanelSpec) -> None:
    frame.attrs["query"] = query
    frame.attrs["measures"] = {name: m.sql() for name, m in wanted.items()}
    frame.attrs["spec"] = spec


def chunks(store: Store, spec: PanelSpec, max_bytes: int) -> Iterator[pd.DataFrame]:
    """The panel of `build`, in slices of whole units whose dense block stays under `max_bytes`.

    For writing a continent's panel with bounded memory: the store streams the sparse
    aggregates in cell order (within its own memory limit), and one slice of the dense
    panel is held at a time. Every slice carries the query and the spec in `attrs`;
    concatenated, the slices equal `build`'s frame.
    """
    with _aggregation(store, spec) as (query, units, months, wanted):
        names, stream = store.batches(f"{query}\n        ORDER BY 1", rows=STREAM_ROWS)
        n_months = len(months)
        # The frame's columns (unit, name, month, measures): block, Arrow's copy, writer's.
        per_unit = n_months * (len(wanted) + 3) * 8 * 3
        step = max(1, max_bytes // per_unit)
        pending = _Pending(names, stream)
        for first in range(0, max(len(units), 1), step):
            last = min(first + step, len(units))
            part = pending.below(last * n_months)
            part["cell"] = part["cell"] - first * n_months
            frame = _densify(units.iloc[first:last], months, part, wanted)
            _describe(frame, query, wanted, spec)
            yield frame
            del frame  # not held while the next slice is built


class _Pending:
    """A stream of batches sorted by `cell`, taken in pieces below ever higher bounds."""

    def __init__(self, names: list[str], stream: Iterator[dict[str, np.ndarray]]) -> None:
        self.names, self.stream = names, stream
        self.head: dict[str, np.ndarray] | None = None

    def below(self, bound: int) -> dict[str, np.ndarray]:
        """The rows with `cell` < `bound` not yet taken (reading batches as needed)."""
        parts: list[dict[str, np.ndarray]] = []
        while True:
            if self.head is None:
                self.head = next(self.stream, None)
                if self.head is None:
                    break
            cut = int(np.searchsorted(self.head["cell"], bound))
            if cut < len(self.head["cell"]):
                parts.append({n: v[:cut] for n, v in self.head.items()})
                self.head = {n: v[cut:] for n, v in self.head.items()}
                break
            parts.append(self.head)
            self.head = None
        return {
            n: np.concatenate([p[n] for p in parts]) if parts else np.zeros(0, np.int64)
            for n in self.names
        }


@contextlib.contextmanager
def _aggregation(
    store: Store, spec: PanelSpec
) -> Iterator[tuple[str, pd.DataFrame, pd.DatetimeIndex, dict[str, Measure]]]:
    """The cube's query (`cell`, the keys, the values), the units, the months, the columns.

    The query runs while the block runs (it reads views registered for it).
    """
    scope = (
        f"{source_condition(spec.source)} AND date_start >= DATE '{spec.date_from.isoformat()}' "
        f"AND date_start <= DATE '{spec.date_to.isoformat()}'"
    )
    # Site panels take events from any country (a camp near a border sees both sides).
    if spec.unit != "site" and spec.countries:
        scope += f" AND country_iso3 IN ({', '.join(sql_str(c) for c in spec.countries)})"
    if spec.bbox:
        west, south, east, north = spec.bbox
        scope += (
            f" AND latitude BETWEEN {south!r} AND {north!r}"
            f" AND longitude BETWEEN {west!r} AND {east!r}"
        )
    months = pd.date_range(
        pd.Timestamp(spec.date_from).to_period("M").to_timestamp(),
        pd.Timestamp(spec.date_to).to_period("M").to_timestamp(),
        freq="MS",
    )
    with contextlib.ExitStack() as views:
        if spec.actor:
            condition, table = _actor_scope(store, spec, scope)
            scope += condition
            views.enter_context(store.registered("_panel_actor", table))
        views.enter_context(store.temp_view("ev", f"SELECT * FROM events WHERE {scope}"))
        units, assign_sql, frames = _units_and_assignment(store, spec)
        for name, part in frames.items():
            views.enter_context(store.registered(name, part))
        wanted = measures()
        if spec.measures:
            unknown = [m for m in spec.measures if m not in wanted]
            if unknown:
                raise PeacewatchError(
                    f"measures: unknown column(s) {', '.join(unknown)}; one of {', '.join(wanted)}"
                )
            wanted = {m: wanted[m] for m in dict.fromkeys(spec.measures)}
        wanted = {**wanted, **IMPRECISE_MEASURES}
        # The unit's position joins on the unit's key: the cell number for PRIO-GRID (an
        # integer join), the unit's text otherwise.
        gridded = spec.unit == "priogrid"
        keys = pd.DataFrame(
            {
                "unit": units["unit"].astype("int64") if gridded else units["unit"].astype(str),
                "pos": np.arange(len(units), dtype="int64"),
            }
        )
        views.enter_context(store.registered("_panel_units", keys))
        first = months[0]
        month_pos = (
            f"(CAST(EXTRACT(year FROM e.date_start) AS INTEGER) - {first.year}) * 12 + "
            f"CAST(EXTRACT(month FROM e.date_start) AS INTEGER) - {first.month}"
        )
        if spec.unit == "site":  # an event near two sites counts for both
            source_rows = (
                f"({assign_sql}) a JOIN ev e ON e.event_id = a.event_id "
                "JOIN _panel_units u ON u.unit = a.unit"
            )
        else:  # one unit per event: join on the unit expression
            unit_key = "e.priogrid_gid" if gridded else _unit_expr(spec.unit)
            source_rows = f"ev e JOIN _panel_units u ON u.unit = {unit_key}"
        cube_keys, cube_values = _cube_sql(wanted)
        columns = ",\n            ".join([*cube_keys, *cube_values])
        groups = ", ".join(str(i) for i in range(1, 2 + len(cube_keys)))
        query = f"""
        SELECT u.pos * {len(months)} + {month_pos} AS cell,
            {columns}
        FROM {source_rows}
        GROUP BY {groups}"""
        yield query, units, months, wanted


def _unit_expr(kind: str) -> str:
    if kind == "country":
        return "e.country_iso3"
    if kind == "admin1":
        return "coalesce(e.admin1_code, '(outside loaded boundaries)')"
    return "CAST(e.priogrid_gid AS VARCHAR)"


@contextlib.contextmanager
def _small_pages() -> Iterator[None]:
    """Allocate without numpy's transparent-hugepage advice, restoring it after.

    On Linux numpy advises huge pages for large arrays; where the kernel defragments on
    demand (THP `madvise`), the first touch of a fresh 2 GB block then costs seconds of page
    faults (measured 3-4.7 s vs 0.64 s without the advice for the Africa panel). The switch is
    numpy's own (`NUMPY_MADVISE_HUGEPAGE`); absent in a numpy, nothing changes.
    """
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if switch is None:
        yield
        return
    before = switch(False)
    try:
        yield
    finally:
        switch(before)


def _densify(
    units: pd.DataFrame,
    months: pd.DatetimeIndex,
    cube: dict[str, np.ndarray],
    wanted: dict[str, Measure],
) -> pd.DataFrame:
    """Roll the cube up into the full unit x month grid (zeros elsewhere).

    One (columns x cells) int64 block that pandas takes without a copy. The cube is sorted by
    cell (unless it streamed in sorted); each column takes its matching non-zero rows, sums the
    runs of a cell (`np.add.reduceat`, exact integers) and writes them, so an all-zero column
    never touches its memory. Fresh memory is most of the cost (about 1 s per GB on this
    machine kind, in page faults), so the columns and the unit texts (Arrow strings taken by
    position, no Python string per row) are filled by threads, one core each: numpy and
    Arrow release the GIL.
    """
    n_units, n_months = len(units), len(months)
    cell = np.asarray(cube["cell"], dtype=np.int64)
    if not (cell[1:] >= cell[:-1]).all():  # numpy sorts faster than the store's ORDER BY
        order = np.argsort(cell)
        cube = {name: np.asarray(v)[order] for name, v in cube.items()}
        cell = np.asarray(cube["cell"], dtype=np.int64)
    keep = slice(np.searchsorted(cell, 0), np.searchsorted(cell, n_units * n_months))
    cube = {name: np.asarray(v)[keep] for name, v in cube.items()}
    cell = cell[keep]
    with _small_pages():
        block = np.zeros((len(wanted), n_units * n_months), dtype=np.int64)

    def fill(i: int, measure: Measure) -> None:
        values = np.asarray(cube[f"v_{measure.value}"], dtype=np.int64)
        rows = np.flatnonzero(_matches(cube, measure) & (values != 0))
        at, sums = cell[rows], values[rows]
        runs = np.flatnonzero(np.diff(at, prepend=-1))  # where each cell's rows begin
        if len(runs) < len(at):
            at, sums = at[runs], np.add.reduceat(sums, runs)
        block[i, at] = sums

    if block.size < THREADED_CELLS:  # a small panel: threads would cost more than they give
        for i, measure in enumerate(wanted.values()):
            fill(i, measure)
        unit, unit_name = _unit_texts(units, n_months)
    else:
        with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
            texts = pool.submit(_unit_texts, units, n_months)
            for done in [pool.submit(fill, i, m) for i, m in enumerate(wanted.values())]:
                done.result()
            unit, unit_name = texts.result()
    frame = pd.DataFrame(block.T, columns=list(wanted), copy=False)
    frame.insert(0, "month", np.tile(months.to_numpy(), n_units))
    frame.insert(0, "unit_name", unit_name)
    frame.insert(0, "unit", unit)
    return frame


def _unit_texts(units: pd.DataFrame, n_months: int) -> list[pd.Series]:
    """The unit and unit-name columns of the dense panel, each unit repeated `n_months` times.

    PRIO-GRID cells are named by their number: then the two are one array.
    """
    at = pa.array(np.repeat(np.arange(len(units), dtype=np.int64), n_months))
    names = {col: tuple(units[col].astype(str)) for col in ("unit", "unit_name")}
    texts = {
        text: pd.Series(
            pa.array(text, pa.large_string()).take(at),
            dtype=pd.StringDtype("pyarrow", na_value=np.nan),
            copy=False,
        )
        for text in set(names.values())
    }
    return [texts[names["unit"]], texts[names["unit_name"]]]


# `ucdp`: GED final where a final release covers the month, GED Candidate after it (a final
# release supersedes the Candidate months it covers, so the two never overlap; vintages.py).
SOURCE_GROUPS = {"ucdp": ("ucdp_ged", "ucdp_candidate")}
# The admin-1 unit of events outside every loaded boundary (the SQL above spells it too).
OUTSIDE = "(outside loaded boundaries)"


def source_condition(source: str) -> str:
    """SQL condition on `events.source` for a source name or group (`ucdp`)."""
    names = SOURCE_GROUPS.get(source, (source,))
    return f"source IN ({', '.join(sql_str(n) for n in names)})"


def default_range(store: Store, country: str, source: str = "ucdp_ged") -> tuple[date, date]:
    """First and last event date of a country and source (for panels without --from/--to)."""
    row = store.row(
        "SELECT min(date_start), max(date_start) FROM events WHERE country_iso3 = ? AND "
        f"{source_condition(source)}",
        [country],
    )
    if not row or row[0] is None:
        raise PeacewatchError(f"no {source} events for {country} in the store")
    return row[0], row[1]


def panel(
    store: Store,
    unit: str,
    country: str,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    source: str = "ucdp_ged",
    measures: tuple[str, ...] = (),
    actor: str | None = None,
    bbox: str | tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Build the `unit` x month panel of `country` (see `spec_for` for the arguments)."""
    return build(
        store,
        spec_for(store, unit, country, date_from, date_to, source, measures, actor, bbox),
    )


def spec_for(
    store: Store,
    unit: str,
    country: str,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    source: str = "ucdp_ged",
    measures: tuple[str, ...] = (),
    actor: str | None = None,
    bbox: str | tuple[float, float, float, float] | None = None,
) -> PanelSpec:
    """The spec of the `unit` x month panel of `country`: arguments checked, range filled in.

    `country` may name several (`BFA,NER,TCD`): one panel over their units (a PRIO-GRID cell
    counts the events of all of them), months from the first to the last event of any.

    `measures`: only these measure columns (default: all); `actor`: only events involving it;
    `bbox` (`W,S,E,N`): only events in the box, and for `priogrid` every cell of it (of the
    countries' cells if `country` is given too; `country` may then be empty).
    """
    kind, radius = parse_unit(unit)
    country = country.upper()
    codes = country_codes(country)
    box = parse_bbox(bbox) if isinstance(bbox, str) else bbox
    if not codes and box is None:
        raise PeacewatchError("country: no ISO3 code given (or give a bounding box)")
    if codes:
        ranges = [default_range(store, c, source) for c in codes]
    else:
        ranges = [_box_range(store, box, source)]  # type: ignore[arg-type]
    first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
    start = parse_date(date_from, "from") or first
    end = parse_date(date_to, "to") or last
    if end < start:
        raise PeacewatchError(f"--to {end} is before --from {start}")
    return PanelSpec(kind, country, start, end, source, radius, tuple(measures), actor, box)


def _box_range(
    store: Store, bbox: tuple[float, float, float, float], source: str
) -> tuple[date, date]:
    """First and last event date of a source in a box."""
    west, south, east, north = bbox
    row = store.row(
        "SELECT min(date_start), max(date_start) FROM events WHERE latitude BETWEEN ? AND ? "
        f"AND longitude BETWEEN ? AND ? AND {source_condition(source)}",
        [south, north, west, east],
    )
    if not row or row[0] is None:
        raise PeacewatchError(f"no {source} events in the box {bbox} in the store")
    return row[0], row[1]
