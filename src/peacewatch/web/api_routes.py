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
from peacewatch.web import kept
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
        return _geojson(_rows(frame), page)
    return Response(dumps({**(page or {}), "items": _rows(frame)}), media_type="application/json")


def _geojson(rows: list[dict[str, Any]], page: dict[str, Any] | None = None) -> Response:
    """Rows with latitude and longitude as a GeoJSON FeatureCollection of points."""
    features = [
        {
            "type": "Feature",
            "geometry": None
            if row["latitude"] is None or row["latitude"] != row["latitude"]
            else {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": row,
        }
        for row in rows
    ]
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features, **(page or {})}
    return Response(dumps(body), media_type="application/geo+json")


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
    code = country.upper() if country and "," not in country else None
    if code and not once and format != "csv":
        return _kept_events(request, who, store, code, filters, limit, offset, format)
    withheld, public = 0, 0
    if _guard(request, who, store, source):
        every, public = api.count_events_and_public(store, **filters)
        withheld = every - public
        filters["public_only"] = True
    if once:
        links = memo(request.app.state, ("links", code), lambda: reconcile.matches(store, code))
        once_rows = reconcile.dedupe(api.events(store, columns=EVENT_FIELDS, **filters), links)
        total, frame = len(once_rows), once_rows.iloc[offset : offset + limit]
    else:
        total = public if filters.get("public_only") else api.count_events(store, **filters)
        frame = None
    page: dict[str, Any] = {"total": int(total), "limit": limit, "offset": offset}
    if withheld:
        page.update(_withheld(withheld))
    if frame is not None or format == "csv":
        if frame is None:
            frame = api.events(store, columns=EVENT_FIELDS, limit=limit, offset=offset, **filters)
        return _tabular(frame, format, "events", page)
    # JSON and GeoJSON pages straight from the store's rows (no DataFrame on the way).
    rows = api.event_records(store, EVENT_FIELDS, limit, offset, **filters)
    if format == "geojson":
        return _geojson(rows, page)
    return Response(dumps({**page, "items": rows}), media_type="application/json")


def _withheld(count: int) -> dict[str, Any]:
    """What a page says of the licensed rows left out."""
    return {
        "withheld": int(count),
        "withheld_reason": "rows of sources whose terms forbid passing raw rows on (ACLED); "
        "sign in with a granted role to see them",
    }


def _guard(request: Request, who: Caller, store: Store, source: str | None) -> bool:
    """Whether the caller gets only redistributable rows; 401/403 for a licensed source."""
    if may_see_licensed(request, who):
        return False
    private = memo(request.app.state, ("restricted",), store.restricted_sources)
    if source in private:
        roles = ", ".join(request.app.state.settings.licensed_roles)
        raise AuthError(
            401 if who.user is None else 403,
            f"source {source}: its terms forbid passing raw rows on; they are served to "
            f"the roles {roles} only. Its aggregates are public: /api/panels?source={source}",
        )
    return True


def _country_events(request: Request, store: Store, code: str) -> kept.KeptEvents:
    """The country's events kept for this store state (`peacewatch.web.kept`)."""
    return memo(
        request.app.state,
        ("events", code),
        lambda: kept.KeptEvents.build(store, code, EVENT_FIELDS, dumps),
    )


def _kept_events(
    request: Request,
    who: Caller,
    store: Store,
    code: str,
    filters: dict[str, Any],
    limit: int,
    offset: int,
    format: str,
) -> Response:
    """One country's events page from the kept rows (the same rows and order as the query)."""
    api.event_filter(**filters)  # the same checks and messages as the query path
    public_only = _guard(request, who, store, filters["source"])
    source, bbox = filters["source"], filters["bbox"]
    country_rows = _country_events(request, store, code)
    mask = country_rows.select(
        filters["date_from"],
        filters["date_to"],
        filters["category"],
        panel.SOURCE_GROUPS.get(source, (source,)) if source else None,
        filters["actor_category"],
        tuple(float(v) for v in bbox.split(",")) if bbox else None,  # type: ignore[arg-type]
        False,
        filters["admin1"],
    )
    page: dict[str, Any] = {"total": int(mask.sum()), "limit": limit, "offset": offset}
    if public_only:
        shown = mask & country_rows.public
        withheld = page["total"] - int(shown.sum())
        page["total"], mask = int(shown.sum()), shown
        if withheld:
            page.update(_withheld(withheld))
    items = country_rows.page(mask, limit, offset)
    if format == "geojson":
        return _geojson(orjson.loads(items), page)
    return Response(dumps(page)[:-1] + b',"items":' + items + b"}", media_type="application/json")


CORE_MEASURES = ("events", "fatalities_best", "fatalities_sb", "fatalities_ns", "fatalities_os")


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
    from the panel kept in memory for the country, unit and source (`peacewatch.web.kept`); a
    part month is built for the request.
    """
    wanted = () if measures == "all" else tuple(measures.split(","))
    code = country.upper()
    state = request.app.state
    names = set(panel.SOURCE_GROUPS.get(source, (source,)))
    meta = memo(state, ("panel-meta", code, source), lambda: _panel_meta(store, code, names))
    first, last = memo(
        state, ("span", code, source), lambda: panel.default_range(store, code, source)
    )
    months = kept.whole_months(date_from, date_to, first, last)
    if months is None:
        built = panel.panel(store, unit, code, date_from, date_to, source, wanted)
        built["month"] = pd.to_datetime(built["month"]).dt.date
        frame = built[["unit", "unit_name", "month", *dict.fromkeys(wanted)]] if wanted else built
        page: dict[str, Any] = {"total": len(frame), "limit": limit, "offset": offset, **meta}
        return _tabular(frame.iloc[offset : offset + limit], format, "panel", page)
    whole: kept.KeptPanel = memo(
        state,
        ("panel", code, unit, source),
        lambda: kept.KeptPanel.build(store, unit, code, source),
    )
    columns = whole.columns(wanted)
    rows = whole.rows(*months)
    shown = rows[offset : offset + limit]
    page = {"total": len(rows), "limit": limit, "offset": offset, **meta}
    if format == "csv":
        frame = whole.frame.iloc[shown][columns]
        return _tabular(frame.assign(month=frame["month"].dt.date), format, "panel", page)
    lines = whole.json_rows(wanted, dumps)
    items = b",".join(lines[i] for i in shown)
    body = dumps(page)[:-1] + b',"items":[' + items + b"]}"
    return Response(body, media_type="application/json")


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
def sources(store: StoreDep, who: CallerDep) -> dict[str, Any]:
    """What is loaded: sources, tables, rows, releases and files.

    A load's file is named and hashed for everyone; where it lay on the server that loaded it
    (`file_path`) is for administrators only.
    """
    loads = api.loads(store)
    if who.user is None or not who.user.at_least("admin"):
        loads = loads.drop(columns="file_path")
    return {"items": _records(api.sources(store)), "loads": _records(loads)}


Counts = dict[object, tuple[int, int]]


def _counts_by(
    request: Request,
    store: Store,
    key: str,
    country: str,
    date_from: date | None,
    date_to: date | None,
) -> Counts:
    """Events and deaths per `key` (a column of events) in the period, all sources."""
    api.event_filter(country=country, date_from=date_from, date_to=date_to)  # checks
    rows = _country_events(request, store, country.upper())
    return rows.counts(key, rows.select(date_from, date_to))


Shapes = list[tuple[bytes, Any]]  # (feature up to its counts, the area's key)


def _areas(
    attribution: dict[str, str],
    shapes: Shapes,
    counts: Counts,
    extra: dict[str, Any] | None = None,
) -> Response:
    """GeoJSON of the kept features, each area with its events and deaths in `counts`.

    The features are written once per store state (`_shapes`) up to their counts; a request
    adds only the two numbers per area.
    """
    features = [
        b'%s%d,"deaths":%d}}' % (prefix, *counts.get(value, (0, 0))) for prefix, value in shapes
    ]
    tail = dumps({"attribution": attribution, **(extra or {})})
    body = b'{"type":"FeatureCollection","features":[' + b",".join(features) + b"]," + tail[1:]
    return Response(body, media_type="application/geo+json")


def _feature(geometry: Any, properties: dict[str, Any]) -> bytes:
    """A GeoJSON feature written up to its counts (`..."events":`), to be completed per request."""
    return (
        b'{"type":"Feature","geometry":'
        + dumps(geometry.__geo_interface__)
        + b',"properties":'
        + dumps(properties)[:-1]
        + b',"events":'
    )


def _display(geometry: Any, tolerance: float) -> Any:
    """A polygon simplified (topology kept) and its coordinates rounded to 1e-5 degrees."""
    simple = shapely.simplify(geometry, tolerance, preserve_topology=True)
    return shapely.transform(simple, lambda xy: np.round(xy, 5))


def _shapes(request: Request, store: Store, kind: str, country: str) -> Shapes:
    """A country's admin-1 polygons or PRIO-GRID squares as GeoJSON geometries (kept)."""

    def build() -> Shapes:
        if kind == "admin1":
            polygons = store.admin1_polygons(country)
            if polygons.empty:
                return []
            # For display: simplified to 1/2000 of the country's extent (under a pixel of the
            # page's map; ~700 m for a country 1,500 km across), rounded to 1e-5 degrees.
            # Events are placed in regions by the full polygons in the store.
            x0, y0, x1, y1 = shapely.union_all(list(polygons["geometry"])).bounds
            tolerance = max(x1 - x0, y1 - y0) / 2000
            return [
                (
                    _feature(
                        _display(row["geometry"], tolerance),
                        {"admin_code": row["admin_code"], "name": row["name"]},
                    ),
                    row["admin_code"],
                )
                for row in polygons.to_dict("records")
            ]
        out: Shapes = []
        for gid in panel.country_cells(store, country):
            lat, lon = geo.priogrid_centroid(gid)
            square = shapely.box(lon - 0.25, lat - 0.25, lon + 0.25, lat + 0.25)
            out.append((_feature(square, {"priogrid_gid": gid, "name": str(gid)}), gid))
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
    counts = _counts_by(request, store, "admin1_code", country, date_from, date_to)
    attribution = memo(request.app.state, ("attribution",), store.attributions)
    return _areas(attribution, shapes, counts)


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
    counts = _counts_by(request, store, "priogrid_gid", code, date_from, date_to)
    cells = [gid for _feature, gid in shapes]
    drawn = set(cells)
    rest = [v for k, v in counts.items() if k not in drawn]
    outside = {"events": sum(n for n, _ in rest), "deaths": sum(d for _, d in rest)}
    attribution = memo(request.app.state, ("attribution",), store.attributions)
    return _areas(attribution, shapes, counts, {"outside": outside})


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
