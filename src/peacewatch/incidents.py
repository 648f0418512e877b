"""Field incident reports: validation, the review workflow, the audit trail, and publication.

An incident moves draft -> submitted -> verified -> published, or to rejected from submitted or
verified. Reporters create and edit their own drafts and submit them; analysts and admins
verify, publish or reject. Every change writes a full snapshot to `incident_versions` with who
and when. Publishing a *public* incident writes it into `events` as source `incident`, so it
reaches panels, the map and exports; restricted incidents never leave the incident tables.

Who sees what (`visibility`): viewers and anonymous callers see published public incidents;
reporters also see their own; analysts and admins see everything. Reporter names are shown
only to analysts and admins, and to the reporter for their own incidents.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from peacewatch import geo
from peacewatch.accounts import WRITE_LOCK, User
from peacewatch.dates import parse_date
from peacewatch.enrich import admin_map
from peacewatch.errors import PeacewatchError
from peacewatch.schema import CASUALTY_GROUPS, EVENT_COLUMNS, INCIDENT_CATEGORIES
from peacewatch.store import Store

FIELDS = (
    "occurred_on",
    "occurred_time",
    "place",
    "latitude",
    "longitude",
    "category",
    "actors",
    *(f"killed_{g}" for g in CASUALTY_GROUPS),
    "injured",
    "missing",
    "description",
    "sources",
    "confidentiality",
)
TRANSITIONS = {
    # action: (from statuses, to status, minimum role)
    "submit": (("draft",), "submitted", "reporter"),
    "verify": (("submitted",), "verified", "analyst"),
    "publish": (("verified",), "published", "analyst"),
    "reject": (("submitted", "verified"), "rejected", "analyst"),
}
MAX_TEXT = 5000


class Forbidden(PeacewatchError):  # noqa: N818 - reads as "raise Forbidden(...)"
    """The user's role may not do this (the app answers 403)."""


class NotFound(PeacewatchError):  # noqa: N818
    """No such incident, or one the user may not see (the app answers 404 for both)."""


class Conflict(PeacewatchError):  # noqa: N818
    """The incident changed between reading and writing it (the app answers 409)."""


@dataclass(frozen=True)
class Place:
    """Where an incident happened, resolved to coordinates and an admin-1 area."""

    latitude: float
    longitude: float
    place: str | None
    admin1: str | None
    admin1_code: str | None
    country_iso3: str | None
    source: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_place(store: Store, place: str | None, lat: Any, lon: Any) -> Place:
    """A point (lat/lon) or a named place (camp or admin-1 region in the store) -> Place."""
    if lat is not None or lon is not None:
        try:
            latitude, longitude = float(lat), float(lon)
        except (TypeError, ValueError):
            raise PeacewatchError("latitude/longitude: both must be numbers") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise PeacewatchError("latitude/longitude: outside -90..90 / -180..180")
        source = "point"
    elif place and place.strip():
        name = place.strip()
        row = store.row(
            "SELECT latitude, longitude FROM camps WHERE lower(name) = lower(?) "
            "AND latitude IS NOT NULL LIMIT 1",
            [name],
            own_cursor=True,
        )
        source = "camp"
        if row is None:
            polygons = store.admin1_polygons()
            hit = polygons[polygons["name"].str.lower() == name.lower()]
            if hit.empty:
                raise PeacewatchError(
                    f"place: {name!r} is not a known camp or admin-1 region; give coordinates"
                )
            point = hit.iloc[0]["geometry"].representative_point()
            row, source = (point.y, point.x), "admin-1 region"
        latitude, longitude = float(row[0]), float(row[1])
    else:
        raise PeacewatchError("where: give latitude and longitude, or a named place")
    located = admin_map(store, f"SELECT {latitude} AS latitude, {longitude} AS longitude")
    admin1 = admin1_code = country = None
    if not located.empty and located.iloc[0]["admin1_code"] is not None:
        admin1, admin1_code = located.iloc[0]["admin1"], located.iloc[0]["admin1_code"]
        # The region's own country (a P-code such as ML05 does not spell the ISO3 code).
        country = located.iloc[0]["admin1_country"]
    return Place(latitude, longitude, place, admin1, admin1_code, country, source)


def _text(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise PeacewatchError(f"{key}: longer than {MAX_TEXT} characters")
    return text


def _count(values: dict[str, Any], key: str) -> int:
    """A number of people (killed, injured, missing): a whole number 0..100000, 0 if blank."""
    raw = values.get(key)
    try:
        number = int(raw) if raw not in (None, "") else 0
    except (TypeError, ValueError):
        raise PeacewatchError(f"{key}: {raw!r} is not a whole number") from None
    if not 0 <= number <= 100_000:
        raise PeacewatchError(f"{key}: {number} is not between 0 and 100000")
    return number


def _time_of_day(raw: Any) -> str | None:
    """HH:MM (24-hour, local time), or None when not known."""
    if raw in (None, ""):
        return None
    text = str(raw).strip()[:5]
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise PeacewatchError(f"occurred_time: {raw!r} is not a time of day (HH:MM)")
    if not (int(hours) < 24 and int(minutes) < 60):
        raise PeacewatchError(f"occurred_time: {raw!r} is not a time of day (HH:MM)")
    return f"{int(hours):02d}:{minutes}"


def validate(store: Store, values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields of an incident; a clear error naming the field."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise PeacewatchError(f"unknown field(s): {', '.join(sorted(unknown))}")
    when = values.get("occurred_on")
    try:
        occurred = parse_date(when, "occurred_on") if when not in (None, "") else None
    except PeacewatchError:
        raise
    except (TypeError, ValueError) as exc:
        raise PeacewatchError(f"occurred_on: {when!r} is not a date") from exc
    if occurred is None:
        raise PeacewatchError("occurred_on: required (YYYY-MM-DD)")
    if occurred > date.today():
        raise PeacewatchError(f"occurred_on: {occurred} is in the future")
    category = values.get("category")
    if category not in INCIDENT_CATEGORIES:
        raise PeacewatchError(
            f"category: {category!r} is not one of {', '.join(INCIDENT_CATEGORIES)}"
        )
    confidentiality = values.get("confidentiality") or "restricted"
    if confidentiality not in ("public", "restricted"):
        raise PeacewatchError(f"confidentiality: {confidentiality!r} is not public or restricted")
    counts = {
        name: _count(values, name)
        for name in (*(f"killed_{g}" for g in CASUALTY_GROUPS), "injured", "missing")
    }
    lat, lon = values.get("latitude"), values.get("longitude")
    lat = None if lat in ("", None) else lat
    lon = None if lon in ("", None) else lon
    where = resolve_place(store, _text(values, "place"), lat, lon)
    return {
        "occurred_on": occurred,
        "occurred_time": _time_of_day(values.get("occurred_time")),
        "country_iso3": where.country_iso3,
        "place": where.place,
        "latitude": where.latitude,
        "longitude": where.longitude,
        "admin1": where.admin1,
        "admin1_code": where.admin1_code,
        "location_source": where.source,
        "category": category,
        "actors": _text(values, "actors"),
        **counts,
        "description": _text(values, "description"),
        "sources": _text(values, "sources"),
        "confidentiality": confidentiality,
    }


def _row(store: Store, incident_id: int) -> dict[str, Any] | None:
    found = store.records(
        "SELECT * FROM incidents WHERE incident_id = ?", [incident_id], own_cursor=True
    )
    return found[0] if found else None


def _audit(w: Store, record: dict[str, Any], action: str, user: User) -> None:
    w.write(
        "INSERT INTO incident_versions VALUES (?, ?, ?, ?, ?, ?)",
        [
            record["incident_id"],
            record["version"],
            action,
            user.username,
            record["updated_at"],
            json.dumps(record, default=str, sort_keys=True),
        ],
    )


def _write(store: Store, record: dict[str, Any], action: str, user: User, new: bool) -> None:
    """Insert or replace the incident, its audit row and (if published public) its event."""
    columns = list(record)
    with store.writing() as w:
        if not new:
            # The version read must still be the stored one: another process (a second server
            # or the command line, which WRITE_LOCK does not reach) may have written since.
            replaced = w.write(
                "DELETE FROM incidents WHERE incident_id = ? AND version = ?",
                [record["incident_id"], record["version"] - 1],
            )
            if replaced != 1:
                raise Conflict.tell(
                    "incident {id} was changed by someone else meanwhile; read it again",
                    id=record["incident_id"],
                )
        w.write(
            f"INSERT INTO incidents ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [record[c] for c in columns],
        )
        _audit(w, record, action, user)
        if record["status"] == "published" and record["confidentiality"] == "public":
            _publish_event(w, record)


def _publish_event(w: Store, record: dict[str, Any]) -> None:
    killed = sum(record[f"killed_{g}"] for g in CASUALTY_GROUPS)
    event = dict.fromkeys(EVENT_COLUMNS)
    event.update(
        {
            "event_id": f"incident:{record['incident_id']}",
            "source": "incident",
            "source_event_id": str(record["incident_id"]),
            "source_version": f"v{record['version']}",
            "date_start": record["occurred_on"],
            "date_end": record["occurred_on"],
            "date_precision": "day",
            "date_precision_code": 1,
            "country_iso3": record["country_iso3"],
            "admin1": record["admin1"],
            "admin1_code": record["admin1_code"],
            "latitude": record["latitude"],
            "longitude": record["longitude"],
            "geo_precision": 1,
            "geo_precision_label": "exact" if record["location_source"] == "point" else "near",
            "priogrid_gid": geo.priogrid_gid(record["latitude"], record["longitude"]),
            "category": INCIDENT_CATEGORIES[record["category"]],
            "actor1": record["actors"],
            "fatalities_best": killed,
            "fatalities_low": killed,
            "fatalities_high": killed,
            "civilian_fatalities": record["killed_civilians"],
            "notes": record["description"],
            "source_refs": record["sources"],
            "source_event_type": record["category"],
            "involves_peacekeepers": record["category"] == "attack_on_peacekeepers"
            or record["killed_peacekeepers"] > 0,
            "licence": "peacewatch incident report (public)",
            "redistributable": True,
            "loaded_from": f"incident {record['incident_id']} v{record['version']}",
            "loaded_at": record["updated_at"],
            "scope": "incident",
            "record_hash": int.from_bytes(
                hashlib.sha256(json.dumps(record, default=str, sort_keys=True).encode()).digest()[
                    :8
                ]
            ),
        }
    )
    w.write("DELETE FROM events WHERE event_id = ?", [event["event_id"]])
    columns = list(event)
    w.write(
        f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [event[c] for c in columns],
    )


def create(store: Store, user: User, values: dict[str, Any]) -> dict[str, Any]:
    """File a new incident as a draft (reporters and above)."""
    if not user.at_least("reporter"):
        raise Forbidden.tell("only reporters, analysts and admins file incidents")
    fields = validate(store, values)
    with WRITE_LOCK:
        now = _now()
        next_id = store.row("SELECT nextval('incident_ids')", own_cursor=True)
        incident_id = next_id[0] if next_id else 0
        record = {
            "incident_id": int(incident_id),
            **fields,
            "status": "draft",
            "reporter": user.username,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        _write(store, record, "create", user, new=True)
    return view(record, user)


def update(store: Store, user: User, incident_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Edit an incident: its reporter while a draft, an analyst until it is published."""
    with WRITE_LOCK:
        record = _visible_row(store, user, incident_id)
        own_draft = record["reporter"] == user.username and record["status"] == "draft"
        reviewing = user.cleared and record["status"] in ("draft", "submitted", "verified")
        if not (own_draft or reviewing):
            raise Forbidden.tell(
                "incident {id} ({status}) cannot be edited by you",
                id=incident_id,
                status=record["status"],
            )
        merged = {k: record.get(k) for k in FIELDS} | values
        if "place" in values and not {"latitude", "longitude"} & set(values):
            # A new named place is resolved again rather than kept at the old point.
            merged["latitude"] = merged["longitude"] = None
        record = {
            **record,
            **validate(store, merged),
            "version": record["version"] + 1,
            "updated_at": _now(),
        }
        _write(store, record, "edit", user, new=False)
    return view(record, user)


def transition(store: Store, user: User, incident_id: int, action: str) -> dict[str, Any]:
    """Move an incident along the workflow (see TRANSITIONS)."""
    if action not in TRANSITIONS:
        raise PeacewatchError(f"action: {action!r} is not one of {', '.join(TRANSITIONS)}")
    sources, target, role = TRANSITIONS[action]
    with WRITE_LOCK:
        record = _visible_row(store, user, incident_id)
        if not user.at_least(role):
            raise Forbidden.tell(
                "{action}: needs the {role} role or above", action=action, role=role
            )
        if action == "submit" and record["reporter"] != user.username and not user.cleared:
            raise Forbidden.tell("submit: only the reporter or an analyst submits an incident")
        if record["status"] not in sources:
            raise PeacewatchError(
                f"{action}: incident {incident_id} is {record['status']}, "
                f"not {' or '.join(sources)}"
            )
        record = {
            **record,
            "status": target,
            "version": record["version"] + 1,
            "updated_at": _now(),
        }
        _write(store, record, action, user, new=False)
    return view(record, user)


def visibility(user: User | None) -> tuple[str, list[Any]]:
    """SQL condition (and parameters) for the incidents `user` may see."""
    public = "(status = 'published' AND confidentiality = 'public')"
    if user is None or user.role == "viewer":
        return public, []
    if user.role == "reporter":
        return f"({public} OR reporter = ?)", [user.username]
    return "true", []


def view(record: dict[str, Any], user: User | None) -> dict[str, Any]:
    """The incident as `user` may see it: reporter hidden unless cleared or their own."""
    shown = dict(record)
    if not (user and (user.cleared or record["reporter"] == user.username)):
        shown.pop("reporter", None)
    return shown


def _visible_row(store: Store, user: User | None, incident_id: int) -> dict[str, Any]:
    record = _row(store, incident_id)
    condition, params = visibility(user)
    if record is None:
        raise NotFound.tell("incident {id}: not found", id=incident_id)
    allowed = store.row(
        f"SELECT count(*) FROM incidents WHERE incident_id = ? AND {condition}",
        [incident_id, *params],
        own_cursor=True,
    )
    if not allowed or not allowed[0]:
        raise NotFound.tell("incident {id}: not found", id=incident_id)
    return record


def get(store: Store, user: User | None, incident_id: int) -> dict[str, Any]:
    """One incident, if `user` may see it (else NotFound, as if it did not exist)."""
    return view(_visible_row(store, user, incident_id), user)


def history(store: Store, user: User | None, incident_id: int) -> list[dict[str, Any]]:
    """The audit trail of an incident: analysts and admins only."""
    _visible_row(store, user, incident_id)
    if not (user and user.cleared):
        raise Forbidden.tell("the audit trail is for analysts and admins")
    return store.records(
        "SELECT version, action, changed_by, changed_at FROM incident_versions "
        "WHERE incident_id = ? ORDER BY version",
        [incident_id],
        own_cursor=True,
    )


def search(
    store: Store,
    user: User | None,
    status: str | None = None,
    category: str | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Incidents `user` may see, newest first: (total count, one page). Counts obey the roles."""
    condition, params = visibility(user)
    where, args = [condition], list(params)
    if status:
        where.append("status = ?")
        args.append(status)
    if category:
        where.append("category = ?")
        args.append(category)
    if text:
        where.append(
            "(contains(lower(coalesce(description, '')), lower(?)) OR "
            "contains(lower(coalesce(place, '')), lower(?)))"
        )
        args.extend([text, text])
    sql_where = " AND ".join(where)
    counted = store.row(f"SELECT count(*) FROM incidents WHERE {sql_where}", args, own_cursor=True)
    total = counted[0] if counted else 0
    found = store.records(
        f"SELECT * FROM incidents WHERE {sql_where} ORDER BY incident_id DESC LIMIT ? OFFSET ?",
        [*args, limit, offset],
        own_cursor=True,
    )
    rows = [view(r, user) for r in found]
    return int(total), rows
