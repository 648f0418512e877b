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
import re
from collections.abc import Iterator
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
IMPRECISE = "date_precision IN ('year')"


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


def measure_columns() -> dict[str, str]:
    """Panel column -> SQL aggregate over the events of one unit-month (precise dates only)."""
    cols: dict[str, str] = {
        "events": "count(*)",
        "fatalities_best": "sum(fatalities_best)",
        "fatalities_low": "sum(fatalities_low)",
        "fatalities_high": "sum(fatalities_high)",
        "civilian_fatalities": "sum(civilian_fatalities)",
        "attacks_on_peacekeepers": "count(*) FILTER (WHERE category = 'attack_on_peacekeepers')",
    }
    for cat in CATEGORIES:
        cols[f"events_{cat}"] = f"count(*) FILTER (WHERE category = '{cat}')"
        cols[f"fatalities_{cat}"] = f"sum(fatalities_best) FILTER (WHERE category = '{cat}')"
    for code, name in VIOLENCE_TYPES.items():
        cols[f"events_{name}"] = f"count(*) FILTER (WHERE violence_type = {code})"
        cols[f"fatalities_{name}"] = f"sum(fatalities_best) FILTER (WHERE violence_type = {code})"
    for cat in ACTOR_CATEGORIES:
        involved = f"'{cat}' IN (actor1_category, coalesce(actor2_category, ''))"
        cols[f"events_actor_{cat}"] = f"count(*) FILTER (WHERE {involved})"
        cols[f"fatalities_actor_{cat}"] = f"sum(fatalities_best) FILTER (WHERE {involved})"
    return cols


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


# Rows per batch of the streamed aggregates (`chunks`): ~50 MB of 8-byte columns.
STREAM_ROWS = 100_000


def build(store: Store, spec: PanelSpec) -> pd.DataFrame:
    """The balanced panel: one row per unit and month, zeros where nothing happened.

    The store aggregates the events per grid cell (unit position x months + month position:
    the sparse part, one integer key); numpy then lays the aggregates into the dense unit x
    month block, one contiguous array per column (vectorised; no loop over rows).
    """
    with _aggregation(store, spec) as (query, units, months):
        sparse = store.arrays(query)
    frame = _densify(units, months, sparse)
    frame.attrs["query"] = query
    frame.attrs["spec"] = spec
    return frame


def chunks(store: Store, spec: PanelSpec, max_bytes: int) -> Iterator[pd.DataFrame]:
    """The panel of `build`, in slices of whole units whose dense block stays under `max_bytes`.

    For writing a continent's panel with bounded memory: the store streams the sparse
    aggregates in cell order (within its own memory limit), and one slice of the dense
    panel is held at a time. Every slice carries the query and the spec in `attrs`;
    concatenated, the slices equal `build`'s frame.
    """
    with _aggregation(store, spec) as (query, units, months):
        names, stream = store.batches(f"{query}\n        ORDER BY 1", rows=STREAM_ROWS)
        n_months = len(months)
        per_unit = n_months * (len(names) + 2) * 8 * 3  # the block, Arrow's copy, the writer's
        step = max(1, max_bytes // per_unit)
        pending = _Pending(names, stream)
        for first in range(0, max(len(units), 1), step):
            last = min(first + step, len(units))
            part = pending.below(last * n_months)
            part["cell"] = part["cell"] - first * n_months
            frame = _densify(units.iloc[first:last], months, part)
            frame.attrs["query"] = query
            frame.attrs["spec"] = spec
            yield frame


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
) -> Iterator[tuple[str, pd.DataFrame, pd.DatetimeIndex]]:
    """The sparse aggregates' query (`cell` and the measures), the units and the months.

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
        measures = measure_columns()
        if spec.measures:
            unknown = [m for m in spec.measures if m not in measures]
            if unknown:
                raise PeacewatchError(
                    f"measures: unknown column(s) {', '.join(unknown)}; "
                    f"one of {', '.join(measures)}"
                )
            measures = {m: measures[m] for m in dict.fromkeys(spec.measures)}
        aggregates = {
            **{name: _add_filter(sql, f"NOT {IMPRECISE}") for name, sql in measures.items()},
            "imprecise_events": f"count(*) FILTER (WHERE {IMPRECISE})",
            "imprecise_fatalities_best": f"sum(e.fatalities_best) FILTER (WHERE {IMPRECISE})",
        }
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
        columns = ",\n            ".join(
            f"CAST(coalesce({sql}, 0) AS BIGINT) AS {name}" for name, sql in aggregates.items()
        )
        query = f"""
        SELECT u.pos * {len(months)} + {month_pos} AS cell,
            {columns}
        FROM {source_rows}
        GROUP BY 1"""
        yield query, units, months


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
    units: pd.DataFrame, months: pd.DatetimeIndex, sparse: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Lay the sparse cell aggregates into the full unit x month grid (zeros elsewhere).

    One (columns x cells) int64 block that pandas takes without a copy; the unit texts are
    Arrow strings taken by position (no Python string per row).
    """
    n_units, n_months = len(units), len(months)
    columns = [c for c in sparse if c != "cell"]
    cell = np.asarray(sparse["cell"], dtype=np.int64)
    keep = (cell >= 0) & (cell < n_units * n_months)
    cells = cell[keep]
    with _small_pages():
        block = np.zeros((len(columns), n_units * n_months), dtype=np.int64)
    for i, name in enumerate(columns):
        block[i, cells] = np.asarray(sparse[name], dtype=np.int64)[keep]
    frame = pd.DataFrame(block.T, columns=columns, copy=False)
    frame.insert(0, "month", np.tile(months.to_numpy(), n_units))
    at = pa.array(np.repeat(np.arange(n_units, dtype=np.int64), n_months))
    for name in ("unit_name", "unit"):
        text = pa.array(units[name].astype(str).tolist(), pa.large_string()).take(at)
        frame.insert(0, name, pd.array(text, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    return frame


def _add_filter(sql: str, condition: str) -> str:
    """Add a FILTER clause to an aggregate, or AND it into an existing one."""
    if "FILTER (WHERE " in sql:
        return sql.replace("FILTER (WHERE ", f"FILTER (WHERE {condition} AND ", 1)
    return f"{sql} FILTER (WHERE {condition})"


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
