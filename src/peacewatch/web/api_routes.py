"""The JSON API (OpenAPI at /openapi.json, docs at /docs).

Tabular routes also give CSV or GeoJSON (`format=`); lists are paginated (`limit`, `offset`,
`total`).
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from typing import Annotated, Any, Literal

import numpy as np
import orjson
import pandas as pd
import shapely
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from peacewatch import api, csvsafe, geo, incidents, indicators, panel, vintages
from peacewatch.analysis import alerts, impact, reconcile
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import outlook
from peacewatch.schema import (
    ACTOR_CATEGORIES,
    CATEGORIES,
    INCIDENT_CATEGORIES,
    INCIDENT_STATUSES,
)
from peacewatch.store import Store
from peacewatch.web.cache import memo
from peacewatch.web.deps import CallerDep, StoreDep
from peacewatch.web.security import AuthError, Caller, check_csrf, licensed, require

router = APIRouter(prefix="/api", tags=["api"])
Format = Literal["json", "csv", "geojson"]
ISO3 = Annotated[str, Query(pattern="^[A-Za-z]{3}$", description="ISO3 country code")]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
EVENT_FIELDS = (
    "event_id", "source", "source_event_id", "date_start", "date_end", "date_precision",
    "country_iso3", "admin1", "admin1_code", "latitude", "longitude", "priogrid_gid",
    "category", "actor1", "actor2", "actor1_category", "actor2_category", "fatalities_best",
    "fatalities_low", "fatalities_high", "civilian_fatalities", "loaded_from",
)  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    """What orjson cannot write itself: pandas timestamps and missing values."""
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def dumps(body: Any) -> bytes:
    """JSON bytes (orjson: numpy numbers, dates as ISO, NaN and infinities as null)."""
    return orjson.dumps(body, default=_plain, option=orjson.OPT_SERIALIZE_NUMPY)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts for `dumps`: whole columns to lists, then zipped.

    Several times faster than `to_dict("records")`, which boxes every value.
    """
    names = [str(c) for c in frame.columns]
    columns = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _tabular(
    frame: pd.DataFrame, fmt: str, name: str, page: dict[str, Any] | None = None
) -> Response:
    if fmt == "csv":
        buf = io.StringIO()
        csvsafe.frame(frame).to_csv(buf, index=False)
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "geojson":
        if not {"latitude", "longitude"} <= set(frame.columns):
            raise PeacewatchError("format: geojson needs coordinates; use json or csv here")
        features = [
            {
                "type": "Feature",
                "geometry": None
                if row["latitude"] is None or row["latitude"] != row["latitude"]
                else {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                "properties": row,
            }
            for row in _rows(frame)
        ]
        body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
        if page:
            body.update(page)
        return Response(dumps(body), media_type="application/geo+json")
    return Response(dumps({**(page or {}), "items": _rows(frame)}), media_type="application/json")


@router.get("/health")
def health(store: StoreDep) -> dict[str, Any]:
    """Liveness and the store's schema version."""
    return {"status": "ok", "schema_version": store.schema_version()}


def may_see_licensed(request: Request, who: Caller) -> bool:
    """Whether the caller's role is granted raw rows of non-redistributable sources."""
    return licensed(who, request.app.state.settings.licensed_roles)


@router.get("/events", response_model=None)
def events(
    request: Request,
    who: CallerDep,
    store: StoreDep,
    country: ISO3 | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    category: Literal[CATEGORIES] | None = None,  # type: ignore[valid-type]
    actor_category: Literal[ACTOR_CATEGORIES] | None = None,  # type: ignore[valid-type]
    source: Annotated[str | None, Query(pattern="^[a-z_]{1,40}$")] = None,
    bbox: Annotated[
        str | None, Query(description="min_lon,min_lat,max_lon,max_lat (WGS84)")
    ] = None,
    admin1: Annotated[
        str | None, Query(pattern="^[A-Za-z0-9_.-]{1,24}$", description="admin-1 code")
    ] = None,
    once: Annotated[
        bool,
        Query(description="each real event once: rows matched to a GED row folded into it"),
    ] = False,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = "json",
) -> Response:
    """Events in the common record, filtered, in date order; paginated.

    `once`: a row of ACLED or an incident report matched to a UCDP GED row of the same event
    (`peacewatch.analysis.reconcile`) is folded into the GED row, which lists it in `also_in`;
    `total` then counts real events, not rows.

    Raw rows of sources whose terms forbid passing them on (ACLED) go only to the roles the
    store owner grants (PEACEWATCH_LICENSED_ROLES, default analyst and admin), never to
    anonymous callers: others get the rest and a count of what was withheld; their aggregates
    are public (panels, map).
    """
    filters: dict[str, Any] = {
        "country": country,
        "date_from": date_from,
        "date_to": date_to,
        "category": category,
        "source": source,
        "actor_category": actor_category,
        "bbox": bbox,
        "admin1": admin1,
    }
    withheld, public = 0, 0
    if not may_see_licensed(request, who):
        private = memo(request.app.state, ("restricted",), store.restricted_sources)
        if source in private:
            roles = ", ".join(request.app.state.settings.licensed_roles)
            raise AuthError(
                401 if who.user is None else 403,
                f"source {source}: its terms forbid passing raw rows on; they are served to "
                f"the roles {roles} only. Its aggregates are public: /api/panels?source={source}",
            )
        every, public = api.count_events_and_public(store, **filters)
        withheld = every - public
        filters["public_only"] = True
    if once:
        single = country.upper() if country and "," not in country else None
        links = memo(request.app.state, ("links", single), lambda: reconcile.matches(store, single))
        once_rows = reconcile.dedupe(api.events(store, columns=EVENT_FIELDS, **filters), links)
        total, frame = len(once_rows), once_rows.iloc[offset : offset + limit]
    else:
        total = public if filters.get("public_only") else api.count_events(store, **filters)
        frame = api.events(store, columns=EVENT_FIELDS, limit=limit, offset=offset, **filters)
    page: dict[str, Any] = {"total": int(total), "limit": limit, "offset": offset}
    if withheld:
        page["withheld"] = int(withheld)
        page["withheld_reason"] = (
            "rows of sources whose terms forbid passing raw rows on (ACLED); sign in with a "
            "granted role to see them"
        )
    return _tabular(frame, format, "events", page)


CORE_MEASURES = ("events", "fatalities_best", "fatalities_sb", "fatalities_ns", "fatalities_os")


def _materialised(frame: pd.DataFrame) -> pd.DataFrame:
    """A panel made cheap to slice: plain object strings, months as datetimes, no attrs.

    (pandas deep-copies `attrs` on every operation, and iterating Arrow strings is slow.)
    """
    frame = frame.copy()
    frame.attrs = {}
    frame["month"] = pd.to_datetime(frame["month"])
    for column in ("unit", "unit_name"):
        frame[column] = frame[column].astype(object)
    return frame


def _whole_months(
    start: date | None, end: date | None, first: date, last: date
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The months a request covers, if it covers whole months inside the data's span.

    Then a slice of the panel built over the whole span has exactly the rows and counts a
    panel built for the request would have; otherwise (a part month, or months before the
    first or after the last event, which a built panel fills with zeros) None.
    """
    lo = pd.Timestamp(first).to_period("M").start_time
    hi = pd.Timestamp(last).to_period("M").start_time
    begin = lo if start is None else pd.Timestamp(start)
    finish = hi if end is None else pd.Timestamp(end).to_period("M").start_time
    if start is not None and (begin.day != 1 or begin < lo):
        return None
    if end is not None and (not pd.Timestamp(end).is_month_end or finish > hi):
        return None
    return begin, finish


def _panel_rows(
    request: Request,
    store: Store,
    unit: str,
    country: str,
    date_from: date | None,
    date_to: date | None,
    source: str,
    wanted: tuple[str, ...],
) -> pd.DataFrame:
    """The panel of the request: a slice of the materialised whole-span panel where it can be.

    The whole span's panel of a country, unit kind and source (every measure) is built once per
    store state and kept in memory; a request for whole months only slices it (rows by month,
    columns by measure). Part months are built exactly, as before.
    """
    code = country.upper()
    first, last = memo(
        request.app.state, ("span", code, source), lambda: panel.default_range(store, code, source)
    )
    months = _whole_months(date_from, date_to, first, last)
    if months is None:
        built = panel.panel(store, unit, code, date_from, date_to, source, wanted)
        built["month"] = pd.to_datetime(built["month"])
        return built[["unit", "unit_name", "month", *dict.fromkeys(wanted)]] if wanted else built
    whole = memo(
        request.app.state,
        ("panel", code, unit, source),
        lambda: _materialised(panel.panel(store, unit, code, None, None, source)),
    )
    missing = [m for m in wanted if m not in whole.columns]
    if missing:
        raise PeacewatchError(f"measures: unknown panel column(s) {', '.join(missing)}")
    rows = whole[(whole["month"] >= months[0]) & (whole["month"] <= months[1])]
    # A built panel lists the units of its frame (admin-1 areas, the country's cells) and,
    # besides, those its period's events fall in (outside the boundaries, border cells):
    # such a unit stays only if an event of the slice is in it.
    if unit == "admin1":
        framed = rows["unit"] != panel.OUTSIDE
    elif unit == "priogrid":
        cells = memo(request.app.state, ("cells", code), lambda: panel.country_cells(store, code))
        framed = rows["unit"].isin([str(c) for c in cells])
    else:
        framed = pd.Series(True, index=rows.index)
    if not framed.all():
        activity = (
            (rows["events"] + rows["imprecise_events"]).groupby(rows["unit"]).transform("sum")
        )
        rows = rows[framed | (activity > 0)]
    columns = ["unit", "unit_name", "month", *dict.fromkeys(wanted)] if wanted else whole.columns
    return rows[columns]


@router.get("/panels", response_model=None)
def panels(
    request: Request,
    store: StoreDep,
    country: ISO3,
    unit: Annotated[str, Query(pattern="^(country|admin1|priogrid|site:[0-9]{1,3})$")] = "admin1",
    date_from: date | None = None,
    date_to: date | None = None,
    source: Annotated[str, Query(pattern="^[a-z_]{1,40}$")] = "ucdp_ged",
    measures: Annotated[
        str,
        Query(
            pattern="^(all|[a-z0-9_]{1,60}(,[a-z0-9_]{1,60}){0,99})$",
            description="Comma-separated panel columns, or `all` (default: events and deaths "
            "by violence type)",
        ),
    ] = ",".join(CORE_MEASURES),
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """The unit x month panel (events and fatalities by type, category, actor category).

    Whole months (`date_from` the 1st, `date_to` a month's last day, or absent) are answered
    from the panel kept in memory for the country, unit and source; a part month is built.
    """
    wanted = () if measures == "all" else tuple(measures.split(","))
    frame = _panel_rows(request, store, unit, country, date_from, date_to, source, wanted)
    page: dict[str, Any] = {"total": len(frame), "limit": limit, "offset": offset}
    names = set(panel.SOURCE_GROUPS.get(source, (source,)))
    page.update(memo(request.app.state, ("panel-meta", country.upper(), source),
                     lambda: _panel_meta(store, country.upper(), names)))  # fmt: skip
    shown = frame.iloc[offset : offset + limit]
    shown = shown.assign(month=shown["month"].dt.date)
    return _tabular(shown, format, "panel", page)


def _panel_meta(store: Store, country: str, names: set[str]) -> dict[str, Any]:
    """The attribution and the releases of a panel's sources (the same for every slice)."""
    cov = vintages.coverage(store, country)
    releases = cov[cov["source"].isin(names)][
        ["source", "release", "first_month", "last_month", "months"]
    ]
    return {"attribution": store.attributions(names), "releases": _records(releases)}


@router.get("/indicators")
def indicator_values(
    request: Request,
    who: CallerDep,
    store: StoreDep,
    country: ISO3,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Every indicator for the country and period, with its provenance and query.

    Default period: the country's loaded data (`panel.default_range`), not a fixed year.

    Indicators that list events row by row leave out ACLED's rows unless the caller's role is
    granted them (`withheld` counts them).
    """
    first, last = panel.default_range(store, country.upper())
    results = indicators.compute_all(
        store, country, date_from or first, date_to or last, may_see_licensed(request, who)
    )
    return {
        "country": country.upper(),
        "attribution": store.attributions(),
        "items": [
            {
                "name": name,
                "dimension": r.indicator.dimension,
                "title": r.indicator.title,
                "description": r.indicator.description,
                "values": _records(r.frame),
                "provenance": r.provenance,
                "withheld": r.withheld,
                "query": r.query,
            }
            for name, r in results.items()
        ],
    }


@router.get("/sources")
def sources(store: StoreDep) -> dict[str, Any]:
    """What is loaded: sources, tables, rows, releases and files."""
    return {"items": _records(api.sources(store)), "loads": _records(api.loads(store))}


def _counts_by(
    store: Store, key: str, country: str, date_from: date | None, date_to: date | None
) -> pd.DataFrame:
    """Events and deaths per `key` (a column of events) in the period, all sources."""
    condition, params = api.event_filter(country=country, date_from=date_from, date_to=date_to)
    return (
        store.con.cursor()
        .execute(
            f"SELECT {key} AS key, count(*) AS events, coalesce(sum(fatalities_best), 0) AS deaths "
            f"FROM events WHERE {condition} GROUP BY ALL",
            params,
        )
        .df()
        .set_index("key")
    )


Shapes = list[tuple[bytes, dict[str, Any]]]


def _areas(
    store: Store,
    shapes: Shapes,
    counts: pd.DataFrame,
    key: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    """GeoJSON of (geometry as JSON, properties), each area with its events and deaths.

    The geometries are written once per store state (`_shapes`); a request adds only its
    counts, so a new period costs one GROUP BY and the properties.
    """
    events = counts["events"].to_dict()
    deaths = counts["deaths"].to_dict()
    features = [
        b'{"type":"Feature","geometry":'
        + geometry
        + b',"properties":'
        + dumps(
            {
                **properties,
                "events": int(events.get(properties[key], 0)),
                "deaths": int(deaths.get(properties[key], 0)),
            }
        )
        + b"}"
        for geometry, properties in shapes
    ]
    tail = dumps({"attribution": store.attributions(), **(extra or {})})
    body = b'{"type":"FeatureCollection","features":[' + b",".join(features) + b"]," + tail[1:]
    return Response(body, media_type="application/geo+json")


def _shapes(request: Request, store: Store, kind: str, country: str) -> Shapes:
    """A country's admin-1 polygons or PRIO-GRID squares as GeoJSON geometries (kept)."""

    def build() -> Shapes:
        if kind == "admin1":
            polygons = store.admin1_polygons(country)
            return [
                (
                    dumps(row["geometry"].__geo_interface__),
                    {"admin_code": row["admin_code"], "name": row["name"]},
                )
                for row in polygons.to_dict("records")
            ]
        out: Shapes = []
        for gid in panel.country_cells(store, country):
            lat, lon = geo.priogrid_centroid(gid)
            square = shapely.box(lon - 0.25, lat - 0.25, lon + 0.25, lat + 0.25)
            out.append((dumps(square.__geo_interface__), {"priogrid_gid": gid, "name": str(gid)}))
        return out

    shapes: Shapes = memo(request.app.state, ("shapes", kind, country), build)
    if not shapes:
        raise PeacewatchError(f"country: no admin-1 boundaries loaded for {country}")
    return shapes


@router.get("/map/admin1")
def admin1_map(
    request: Request,
    store: StoreDep,
    country: ISO3,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Response:
    """Admin-1 polygons (GeoJSON) with events and fatalities in the period, all sources."""
    shapes = _shapes(request, store, "admin1", country.upper())
    counts = _counts_by(store, "admin1_code", country, date_from, date_to)
    return _areas(store, shapes, counts, "admin_code")


@router.get("/map/grid")
def grid_map(
    request: Request,
    store: StoreDep,
    country: ISO3,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Response:
    """PRIO-GRID cells (0.5 degree squares, GeoJSON) with events and fatalities in the period.

    The cells are the panel's: every cell whose centre lies in the country's admin-1 polygons,
    whatever happened in it; events are counted by the cell of their point. `outside`: the
    country's events (and deaths) in cells whose centre lies outside, which are not drawn.
    """
    code = country.upper()
    shapes = _shapes(request, store, "grid", code)
    counts = _counts_by(store, "priogrid_gid", code, date_from, date_to)
    cells = [properties["priogrid_gid"] for _geometry, properties in shapes]
    rest = counts[~counts.index.isin(cells)]
    outside = {"events": int(rest["events"].sum()), "deaths": int(rest["deaths"].sum())}
    return _areas(store, shapes, counts, "priogrid_gid", {"outside": outside})


@router.get("/map/camps")
def camps_map(store: StoreDep, country: ISO3) -> Response:
    """The country's peacekeeping camps (GeoJSON points) with their handover dates.

    `closure_date` is the day the camp was handed over or closed (empty while open or unknown),
    `coord_source` where its coordinates come from.
    """
    camps = panel.camp_sites(store, country.upper()).dropna(subset=["latitude", "longitude"])
    return _tabular(camps, "geojson", "camps")


@router.get("/forecasts")
def forecasts(
    request: Request,
    store: StoreDep,
    country: ISO3,
    unit: Literal["country", "admin1"] | None = None,
    horizon: Annotated[int, Query(ge=1, le=12)] = 3,
) -> dict[str, Any]:
    """Forecasts after the last loaded month (gbm_hurdle): quantiles and P(>= 25) per unit.

    Default unit: admin1 where the country's admin-1 boundaries are loaded, else country.
    """
    if unit is None:
        unit = "admin1" if not store.admin1_polygons(country.upper()).empty else "country"
    items = memo(
        request.app.state,
        ("forecast", country.upper(), unit, horizon),
        lambda: _records(
            outlook.cached_forecast(store, country, unit, horizon).replace(
                [np.inf, -np.inf], np.nan
            )
        ),
    )
    return {"country": country.upper(), "unit": unit, "model": "gbm_hurdle", "items": items}


@router.get("/alerts")
def alerts_route(
    request: Request,
    store: StoreDep,
    country: ISO3,
    months: Annotated[int, Query(ge=1, le=36)] = 1,
    lookback: Annotated[int, Query(ge=12, le=36)] = alerts.Rules.lookback,
    min_deaths: Annotated[int, Query(ge=1)] = alerts.Rules.min_deaths,
    threshold: Annotated[int, Query(ge=1)] = alerts.Rules.threshold,
    probability: Annotated[float, Query(gt=0, lt=1)] = alerts.Rules.probability,
    horizon: Annotated[int, Query(ge=1, le=12)] = alerts.Rules.horizon,
) -> dict[str, Any]:
    """Early-warning alerts of the last `months` months of data, each with its evidence.

    Rules: `record` (more deaths than in any of the `lookback` months before, at least
    `min_deaths`), `threshold` (deaths in a month), `forecast` (P(>= 25 deaths) of the next
    `horizon` months at or above `probability`). Aggregates of UCDP events: public.
    """
    rules = alerts.Rules(lookback, min_deaths, threshold, probability, horizon)
    key = ("alerts", country.upper(), months, *dataclasses.astuple(rules))

    def compute() -> dict[str, Any]:
        frame = alerts.current(store, country, rules, months=months)
        return {
            "country": country.upper(),
            "data_to": frame.attrs["last_month"].isoformat(),
            "unit": frame.attrs["unit_kind"],
            "rules": dataclasses.asdict(rules),
            "items": _records(frame),
        }

    result: dict[str, Any] = memo(request.app.state, key, compute)
    return result


def events_changed(request: Request) -> None:
    """A write changed `events` (a published incident): drop cached answers and analyses."""
    request.app.state.response_cache.invalidate()


def impact_result(request: Request, store: StoreDep, country: str) -> Any:
    """The withdrawal-impact analysis of a country, computed once per app and store state."""
    return memo(
        request.app.state,
        ("impact", country.upper()),
        lambda: impact.run(store, impact.ImpactSpec(country.upper())),
    )


@router.get("/impact")
def impact_results(request: Request, store: StoreDep, country: ISO3) -> dict[str, Any]:
    """Camp-handover event study: sites, per-site and pooled estimates, placebo, limits.

    Computed on first request (seconds for one country), then kept.
    """
    result = impact_result(request, store, country)
    return {
        "country": country.upper(),
        "data_end": result.data_end.isoformat() if result.data_end else None,
        "sites": _records(result.sites),
        "per_site": _records(result.per_site),
        "pooled": _records(result.pooled),
        "placebo": _records(result.placebo),
        "limits": result.limits,
    }


class IncidentIn(BaseModel):
    """An incident report. Where: latitude and longitude, or a named place (camp, region)."""

    model_config = ConfigDict(extra="forbid")
    occurred_on: date
    occurred_time: Annotated[
        str | None, Field(pattern=r"^\d{1,2}:\d{2}$", description="local time of day, HH:MM")
    ] = None
    place: Annotated[str | None, Field(max_length=200)] = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None
    category: Literal[tuple(INCIDENT_CATEGORIES)]  # type: ignore[valid-type]
    actors: Annotated[str | None, Field(max_length=500)] = None
    killed_peacekeepers: Annotated[int, Field(ge=0, le=100_000)] = 0
    killed_security_forces: Annotated[int, Field(ge=0, le=100_000)] = 0
    killed_civilians: Annotated[int, Field(ge=0, le=100_000)] = 0
    killed_armed_group_members: Annotated[int, Field(ge=0, le=100_000)] = 0
    injured: Annotated[int, Field(ge=0, le=100_000)] = 0
    missing: Annotated[int, Field(ge=0, le=100_000)] = 0
    description: Annotated[str | None, Field(max_length=5000)] = None
    sources: Annotated[str | None, Field(max_length=2000)] = None
    confidentiality: Literal["public", "restricted"] = "restricted"


class IncidentPatch(BaseModel):
    """Fields to change (only those given)."""

    model_config = ConfigDict(extra="forbid")
    occurred_on: date | None = None
    occurred_time: Annotated[str | None, Field(pattern=r"^\d{1,2}:\d{2}$")] = None
    place: Annotated[str | None, Field(max_length=200)] = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None
    category: Literal[tuple(INCIDENT_CATEGORIES)] | None = None  # type: ignore[valid-type]
    actors: Annotated[str | None, Field(max_length=500)] = None
    killed_peacekeepers: Annotated[int | None, Field(ge=0, le=100_000)] = None
    killed_security_forces: Annotated[int | None, Field(ge=0, le=100_000)] = None
    killed_civilians: Annotated[int | None, Field(ge=0, le=100_000)] = None
    killed_armed_group_members: Annotated[int | None, Field(ge=0, le=100_000)] = None
    injured: Annotated[int | None, Field(ge=0, le=100_000)] = None
    missing: Annotated[int | None, Field(ge=0, le=100_000)] = None
    description: Annotated[str | None, Field(max_length=5000)] = None
    sources: Annotated[str | None, Field(max_length=2000)] = None
    confidentiality: Literal["public", "restricted"] | None = None


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}


@router.get("/incidents", response_model=None)
def list_incidents(
    store: StoreDep,
    who: CallerDep,
    status: Literal[INCIDENT_STATUSES] | None = None,  # type: ignore[valid-type]
    category: Literal[tuple(INCIDENT_CATEGORIES)] | None = None,  # type: ignore[valid-type]
    q: Annotated[str | None, Query(max_length=200, description="text search")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = "json",
) -> Response:
    """Incidents the caller may see (restricted ones only with clearance); paginated."""
    total, rows = incidents.search(store, who.user, status, category, q, limit, offset)
    frame = pd.DataFrame([_clean(r) for r in rows])
    return _tabular(frame, format, "incidents", {"total": total, "limit": limit, "offset": offset})


@router.post("/incidents", status_code=201)
def create_incident(
    request: Request, store: StoreDep, who: CallerDep, body: IncidentIn
) -> dict[str, Any]:
    """File an incident (reporter role or above); it starts as a draft."""
    check_csrf(request, who)
    user = require(who, "reporter")
    return _clean(incidents.create(store, user, body.model_dump(mode="json")))


@router.get("/incidents/{incident_id}")
def get_incident(
    store: StoreDep, who: CallerDep, incident_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """One incident, if the caller may see it (404 otherwise, as if it did not exist)."""
    return _clean(incidents.get(store, who.user, incident_id))


@router.patch("/incidents/{incident_id}")
def edit_incident(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    incident_id: Annotated[int, Field(ge=1, le=2**31 - 1)],
    body: IncidentPatch,
) -> dict[str, Any]:
    """Edit an incident (its reporter while a draft; analysts until published)."""
    check_csrf(request, who)
    user = require(who, "reporter")
    values = body.model_dump(mode="json", exclude_unset=True)
    return _clean(incidents.update(store, user, incident_id, values))


@router.post("/incidents/{incident_id}/{action}")
def act_on_incident(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    incident_id: Annotated[int, Field(ge=1, le=2**31 - 1)],
    action: Literal["submit", "verify", "publish", "reject"],
    _body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    """Submit (reporter), verify, publish or reject (analyst, admin)."""
    check_csrf(request, who)
    user = require(who, "reporter")
    record = incidents.transition(store, user, incident_id, action)
    if record["status"] == "published":
        events_changed(request)
    return _clean(record)


@router.get("/incidents/{incident_id}/history")
def incident_history(
    store: StoreDep, who: CallerDep, incident_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """The audit trail (who changed what, when): analysts and admins."""
    require(who, "analyst")
    return {"items": [_clean(r) for r in incidents.history(store, who.user, incident_id)]}
