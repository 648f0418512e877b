"""The common event record, its taxonomies and the HXL tags used on export.

Every source is normalised to these columns (see shared/DESIGN.md, "The common event record").
"""

from __future__ import annotations

SCHEMA_VERSION = 7  # 2: the application tables (users, incidents); 3: event vintages;
# 4: the sources' own actor ids (UCDP side ids); 5: alert subscriptions and deliveries;
# 6: an incident's time of day, injured and missing; 7: a version stored once (current rows
# in `events`, the others in `event_history`, the view `event_versions` over both) and CSV
# raw rows read from the kept file (docs/adr/031)

CATEGORIES = (
    "battle",
    "explosion_remote",
    "violence_against_civilians",
    "attack_on_peacekeepers",
    "protest_riot",
    "strategic_development",
    "movement_restriction",
    "human_rights_violation",
    "other",
)

ACTOR_CATEGORIES = (
    "state_forces",
    "foreign_state_forces",
    "foreign_private_military",
    "jihadist",
    "signatory_armed_group",
    "communal_militia",
    "peacekeepers",
    "civilians",
    "other",
    "unknown",
)

# Date precision, finest first; a panel treats anything coarser than "month" as imprecise.
DATE_PRECISIONS = ("day", "days", "week", "month", "year")

# Location precision labels (SOURCES.md 4.6).
GEO_PRECISIONS = ("exact", "near", "adm2", "adm1", "region", "country", "water")

# Column name -> DuckDB type, in export order. The first block is the DESIGN.md record.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "source": "VARCHAR",
    "source_event_id": "VARCHAR",
    "source_version": "VARCHAR",
    "date_start": "DATE",
    "date_end": "DATE",
    "date_precision": "VARCHAR",
    "country_iso3": "VARCHAR",
    "gw_code": "INTEGER",
    "admin1": "VARCHAR",
    "admin2": "VARCHAR",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "geo_precision": "INTEGER",
    "priogrid_gid": "INTEGER",
    "category": "VARCHAR",
    "violence_type": "INTEGER",
    "actor1": "VARCHAR",
    "actor2": "VARCHAR",
    "actor1_id": "VARCHAR",
    "actor2_id": "VARCHAR",
    "actor1_category": "VARCHAR",
    "actor2_category": "VARCHAR",
    "fatalities_best": "INTEGER",
    "fatalities_low": "INTEGER",
    "fatalities_high": "INTEGER",
    "civilian_fatalities": "INTEGER",
    "notes": "VARCHAR",
    "source_refs": "VARCHAR",
    "loaded_from": "VARCHAR",
    "loaded_at": "TIMESTAMP",
    # Traceability and licence columns beyond the DESIGN record.
    "date_precision_code": "INTEGER",
    "geo_precision_label": "VARCHAR",
    "admin1_code": "VARCHAR",
    "admin1_boundary": "VARCHAR",
    "source_admin1": "VARCHAR",
    "source_admin2": "VARCHAR",
    "source_event_type": "VARCHAR",
    "source_sub_event_type": "VARCHAR",
    "involves_peacekeepers": "BOOLEAN",
    "licence": "VARCHAR",
    "redistributable": "BOOLEAN",
    "load_id": "INTEGER",
    "source_row": "BIGINT",
    "scope": "VARCHAR",
    "record_hash": "UBIGINT",
    # How admin1 was found: 'inside' a polygon of the event's country, or the 'nearest' one of
    # that country (a point just outside its simplified border); NULL: no polygons loaded.
    "admin1_method": "VARCHAR",
}

# Columns a source normaliser must produce; the loader derives the rest.
NORMALIZED_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "source",
    "source_event_id",
    "date_start",
    "date_end",
    "date_precision",
    "date_precision_code",
    "country_iso3",
    "gw_code",
    "source_admin1",
    "source_admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "geo_precision_label",
    "category",
    "source_event_type",
    "source_sub_event_type",
    "violence_type",
    "actor1",
    "actor2",
    "actor1_id",
    "actor2_id",
    "actor1_inter",
    "actor2_inter",
    "actor1_gw",
    "actor2_gw",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "civilian_fatalities",
    "notes",
    "source_refs",
    "licence",
    "redistributable",
)

# Columns that define an event's content; a change in any of them counts as an update on reload.
CONTENT_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in EVENT_COLUMNS
    if c
    not in {
        "source_version",
        "loaded_from",
        "loaded_at",
        "load_id",
        "source_row",
        "record_hash",
        "scope",
        "admin1",
        "admin1_code",
        "admin1_boundary",
        "admin1_method",
        "actor1_category",
        "actor2_category",
    }
)

# The public record (DESIGN.md) used by exports, in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "source",
    "source_version",
    "date_start",
    "date_end",
    "date_precision",
    "country_iso3",
    "gw_code",
    "admin1",
    "admin1_code",
    "admin1_boundary",
    "admin1_method",
    "admin2",
    "source_admin1",
    "source_admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "priogrid_gid",
    "category",
    "source_event_type",
    "source_sub_event_type",
    "violence_type",
    "actor1",
    "actor2",
    "actor1_id",
    "actor2_id",
    "actor1_category",
    "actor2_category",
    "involves_peacekeepers",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "civilian_fatalities",
    "notes",
    "source_refs",
    "licence",
    "loaded_from",
    "loaded_at",
)

# HXL hashtags for CSV exports (SOURCES.md 4.5); columns without a tag get an empty cell.
HXL_TAGS: dict[str, str] = {
    "event_id": "#event+code",
    "source": "#meta+source",
    "source_version": "#meta+version",
    "date_start": "#date+occurred+start",
    "date_end": "#date+occurred+end",
    "country_iso3": "#country+code",
    "admin1": "#adm1+name",
    "admin1_code": "#adm1+code",
    "admin2": "#adm2+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "category": "#event+type",
    "actor1": "#group+name+first",
    "actor2": "#group+name+second",
    "actor1_id": "#group+code+first",
    "actor2_id": "#group+code+second",
    "fatalities_best": "#affected+killed",
    "fatalities_low": "#affected+killed+min",
    "fatalities_high": "#affected+killed+max",
    "civilian_fatalities": "#affected+killed+civilians",
    "notes": "#description",
}

# Columns every stored table carries besides its own (filled by the loader, not the source).
META_COLUMNS: dict[str, str] = {
    "scope": "VARCHAR",
    "source_version": "VARCHAR",
    "load_id": "INTEGER",
    "source_row": "BIGINT",
    "loaded_from": "VARCHAR",
    "loaded_at": "TIMESTAMP",
    "record_hash": "UBIGINT",
}

# Reference and context tables: name -> (key column, own columns).
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "un_fatalities": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "mission": "VARCHAR",
            "incident_date": "DATE",
            "casualty_id": "VARCHAR",
            "type_of_casualty": "VARCHAR",
            "gender": "VARCHAR",
            "casualty_nationality": "VARCHAR",
            "personnel_type": "VARCHAR",
            "type_of_incident": "VARCHAR",
            "malicious": "BOOLEAN",
            "nationality_iso3": "VARCHAR",
            "m49_code": "INTEGER",
        },
    ),
    "deployments": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "dataset": "VARCHAR",
            "mission": "VARCHAR",
            "country": "VARCHAR",
            "country_iso3": "VARCHAR",
            "year": "INTEGER",
            "month": "INTEGER",
            "location": "VARCHAR",
            "latitude": "DOUBLE",
            "longitude": "DOUBLE",
            "priogrid_gid": "INTEGER",
            "no_troops": "INTEGER",
            "ave_no_troops": "DOUBLE",
            "infantry": "INTEGER",
            "reserve": "INTEGER",
            "hq": "INTEGER",
            "unpol": "INTEGER",
            "unmo": "INTEGER",
            "medical": "INTEGER",
            "aviation": "INTEGER",
            "no_tcc": "INTEGER",
            "tccs": "VARCHAR",
            "source_map": "VARCHAR",
        },
    ),
    "deployment_troop_types": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "dataset": "VARCHAR",
            "mission": "VARCHAR",
            "year": "INTEGER",
            "location": "VARCHAR",
            "latitude": "DOUBLE",
            "longitude": "DOUBLE",
            "infantry": "INTEGER",
            "engineering": "INTEGER",
            "medical": "INTEGER",
            "signals": "INTEGER",
            "aviation": "INTEGER",
            "riverine": "INTEGER",
            "maintenance": "INTEGER",
            "transport": "INTEGER",
        },
    ),
    "deployment_tccs": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "dataset": "VARCHAR",
            "mission": "VARCHAR",
            "year": "INTEGER",
            "location": "VARCHAR",
            "latitude": "DOUBLE",
            "longitude": "DOUBLE",
            "no_tcc": "INTEGER",
            "tccs": "VARCHAR",
        },
    ),
    "camps": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "camp_id": "VARCHAR",
            "mission": "VARCHAR",
            "country_iso3": "VARCHAR",
            "name": "VARCHAR",
            "site_type": "VARCHAR",
            "latitude": "DOUBLE",
            "longitude": "DOUBLE",
            "priogrid_gid": "INTEGER",
            "source_admin1": "VARCHAR",
            "opened": "VARCHAR",
            "closure_date": "DATE",
            "closure_date_precision": "VARCHAR",
            "handed_over_to": "VARCHAR",
            "withdrawal_phase": "VARCHAR",
            "handover_order": "INTEGER",
            "post_handover_event_date": "VARCHAR",
            "post_handover_event": "VARCHAR",
            "coord_source": "VARCHAR",
            "sources": "VARCHAR",
            "confidence": "VARCHAR",
            "notes": "VARCHAR",
            # why a handover date is missing, or what is known of it (the camps file's words)
            "handover_notes": "VARCHAR",
        },
    ),
    "timeline": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "country_iso3": "VARCHAR",
            "date": "DATE",
            "end_date": "DATE",
            "date_precision": "VARCHAR",
            "category": "VARCHAR",
            "event": "VARCHAR",
            "location": "VARCHAR",
            "actors": "VARCHAR",
            "reported_fatalities": "VARCHAR",
            "sources": "VARCHAR",
            "confidence": "VARCHAR",
            "notes": "VARCHAR",
        },
    ),
    "humanitarian": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "country_iso3": "VARCHAR",
            "year": "INTEGER",
            "indicator": "VARCHAR",
            "value": "DOUBLE",
            "as_of_date": "DATE",
            "as_of_text": "VARCHAR",
            "coverage": "VARCHAR",
            "source_org": "VARCHAR",
            "source_url": "VARCHAR",
            "confidence": "VARCHAR",
            "notes": "VARCHAR",
        },
    ),
    "coups": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "country": "VARCHAR",
            "country_iso3": "VARCHAR",
            "cow_code": "INTEGER",
            "date": "DATE",
            "successful": "BOOLEAN",
            "dataset_version": "VARCHAR",
        },
    ),
    "admin_boundaries": (
        "record_id",
        {
            "record_id": "VARCHAR",
            "country_iso3": "VARCHAR",
            "admin_level": "INTEGER",
            "name": "VARCHAR",
            "name_alt": "VARCHAR",
            "admin_code": "VARCHAR",
            "code_hasc": "VARCHAR",
            "boundary_version": "VARCHAR",
            "geometry_wkb": "BLOB",
        },
    ),
}

# Vintages (docs/adr/015-releases-and-vintages.md): every version of every event row a load
# brought, the scopes each load covers, and deletions announced by a living source.
VINTAGE_TABLES: dict[str, dict[str, str]] = {
    "load_scopes": {
        "load_id": "INTEGER NOT NULL",
        "family": "VARCHAR NOT NULL",
        "area": "VARCHAR NOT NULL",
        "period_start": "DATE",
        "period_end": "DATE",
        "mode": "VARCHAR NOT NULL",
        "rows": "BIGINT",
    },
    "event_deletions": {
        "event_id": "VARCHAR NOT NULL",
        "load_id": "INTEGER NOT NULL",
        "deleted_at": "TIMESTAMP",
    },
}

# Event families: a final release supersedes the provisional family of the same area and months.
SUPERSEDES: dict[str, str] = {"ucdp_ged": "ucdp_candidate"}

# Application tables (the web app's users and field incidents). Kept apart from TABLES so no
# generic table listing, export or summary can ever reach them; only peacewatch.accounts and
# peacewatch.incidents read and write them, and they apply the roles.
ROLES = ("viewer", "reporter", "analyst", "admin")

# The loaders' names (peacewatch.loading.REGISTRY; a test keeps the two the same), here so the
# command line can list them without importing the loaders.
SOURCES = (
    "acled",
    "acled-api",
    "boundaries",
    "camps",
    "coups",
    "geopko",
    "humanitarian",
    "timeline",
    "ucdp-candidate",
    "ucdp-ged",
    "un-fatalities",
)
INCIDENT_CATEGORIES = {
    # incident category -> event category of the common record
    "attack_on_peacekeepers": "attack_on_peacekeepers",
    "ied": "explosion_remote",
    "armed_clash": "battle",
    "attack_on_civilians": "violence_against_civilians",
    "movement_restriction": "movement_restriction",
    "flight_denial": "movement_restriction",
    "arrest_expulsion": "strategic_development",
    "human_rights_violation": "human_rights_violation",
    "demonstration": "protest_riot",
    "other": "other",
}
INCIDENT_STATUSES = ("draft", "submitted", "verified", "published", "rejected")
CASUALTY_GROUPS = ("peacekeepers", "security_forces", "civilians", "armed_group_members")
INCIDENT_COLUMNS_V6 = {
    "occurred_time": "VARCHAR",  # local time of day, HH:MM, when the reporter knows it
    "injured": "INTEGER NOT NULL DEFAULT 0",
    "missing": "INTEGER NOT NULL DEFAULT 0",
}
APP_TABLES: dict[str, dict[str, str]] = {
    "users": {
        "username": "VARCHAR PRIMARY KEY",
        "role": "VARCHAR NOT NULL",
        "password_hash": "VARCHAR NOT NULL",
        "disabled": "BOOLEAN NOT NULL DEFAULT false",
        "created_at": "TIMESTAMP NOT NULL",
    },
    "user_sessions": {
        "session_hash": "VARCHAR PRIMARY KEY",
        "username": "VARCHAR NOT NULL",
        "csrf_token": "VARCHAR NOT NULL",
        "expires_at": "TIMESTAMP NOT NULL",
    },
    "api_tokens": {
        "token_hash": "VARCHAR PRIMARY KEY",
        "username": "VARCHAR NOT NULL",
        "label": "VARCHAR",
        "created_at": "TIMESTAMP NOT NULL",
    },
    "incidents": {
        "incident_id": "INTEGER PRIMARY KEY",
        "occurred_on": "DATE NOT NULL",
        "country_iso3": "VARCHAR",
        "place": "VARCHAR",
        "latitude": "DOUBLE NOT NULL",
        "longitude": "DOUBLE NOT NULL",
        "admin1": "VARCHAR",
        "admin1_code": "VARCHAR",
        "location_source": "VARCHAR",
        "category": "VARCHAR NOT NULL",
        "actors": "VARCHAR",
        **{f"killed_{group}": "INTEGER NOT NULL DEFAULT 0" for group in CASUALTY_GROUPS},
        **INCIDENT_COLUMNS_V6,
        "description": "VARCHAR",
        "sources": "VARCHAR",
        "confidentiality": "VARCHAR NOT NULL",
        "status": "VARCHAR NOT NULL",
        "reporter": "VARCHAR NOT NULL",
        "version": "INTEGER NOT NULL",
        "created_at": "TIMESTAMP NOT NULL",
        "updated_at": "TIMESTAMP NOT NULL",
    },
    "incident_versions": {
        "incident_id": "INTEGER NOT NULL",
        "version": "INTEGER NOT NULL",
        "action": "VARCHAR NOT NULL",
        "changed_by": "VARCHAR NOT NULL",
        "changed_at": "TIMESTAMP NOT NULL",
        "snapshot": "VARCHAR NOT NULL",
    },
    # Who gets a country's alerts, how (e-mail address or webhook URL), under which rules.
    "alert_subscriptions": {
        "subscription_id": "INTEGER PRIMARY KEY",
        "country_iso3": "VARCHAR NOT NULL",
        "channel": "VARCHAR NOT NULL",
        "target": "VARCHAR NOT NULL",
        "rules": "VARCHAR NOT NULL",
        "active": "BOOLEAN NOT NULL DEFAULT true",
        "created_at": "TIMESTAMP NOT NULL",
    },
    # Every attempt to send an alert to a subscription: an alert is sent once ('sent').
    "alert_deliveries": {
        "subscription_id": "INTEGER NOT NULL",
        "alert_key": "VARCHAR NOT NULL",
        "attempted_at": "TIMESTAMP NOT NULL",
        "status": "VARCHAR NOT NULL",
        "detail": "VARCHAR",
    },
}
