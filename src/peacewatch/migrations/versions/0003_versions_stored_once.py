"""Schema 7: an event version is stored once; `event_versions` becomes a view.

The current rows stay in `events`; the other versions move to `event_history`; the view
`event_versions` shows both (docs/adr/031).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen: the event record's columns at schema 7.
NAMES = (
    "event_id",
    "source",
    "source_event_id",
    "source_version",
    "date_start",
    "date_end",
    "date_precision",
    "country_iso3",
    "gw_code",
    "admin1",
    "admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "priogrid_gid",
    "category",
    "violence_type",
    "actor1",
    "actor2",
    "actor1_id",
    "actor2_id",
    "actor1_category",
    "actor2_category",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "civilian_fatalities",
    "notes",
    "source_refs",
    "loaded_from",
    "loaded_at",
    "date_precision_code",
    "geo_precision_label",
    "admin1_code",
    "admin1_boundary",
    "source_admin1",
    "source_admin2",
    "source_event_type",
    "source_sub_event_type",
    "involves_peacekeepers",
    "licence",
    "redistributable",
    "load_id",
    "source_row",
    "scope",
    "record_hash",
    "admin1_method",
)
COLUMNS = ", ".join(f'"{c}"' for c in NAMES)


def upgrade() -> None:
    """Move the versions that are not current rows to `event_history`; make the view."""
    op.execute('CREATE TABLE "event_history" (LIKE "event_versions" INCLUDING ALL)')
    op.execute(
        f'INSERT INTO "event_history" ({COLUMNS}) SELECT {COLUMNS} FROM "event_versions" v '
        'WHERE NOT EXISTS (SELECT 1 FROM "events" e WHERE e.event_id = v.event_id '
        "AND e.load_id = v.load_id)"
    )
    op.execute('DROP TABLE "event_versions"')
    op.execute(
        f'CREATE VIEW "event_versions" AS SELECT {COLUMNS} FROM "events" '
        f'WHERE load_id IS NOT NULL UNION ALL SELECT {COLUMNS} FROM "event_history"'
    )
    op.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")


def downgrade() -> None:
    """Not supported: a store is never downgraded (restore a backup instead)."""
    raise NotImplementedError("peacewatch stores are not downgraded")
