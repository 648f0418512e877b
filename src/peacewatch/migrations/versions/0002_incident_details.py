"""Schema 6: an incident's time of day, injured and missing (0 for older reports).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    "occurred_time TEXT",
    "injured INTEGER NOT NULL DEFAULT 0",
    "missing INTEGER NOT NULL DEFAULT 0",
)


def upgrade() -> None:
    """Add the three incident columns (defaults fill the rows already there)."""
    for column in COLUMNS:
        op.execute(f"ALTER TABLE incidents ADD COLUMN {column}")
    op.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")


def downgrade() -> None:
    """Not supported: a store is never downgraded (restore a backup instead)."""
    raise NotImplementedError("peacewatch stores are not downgraded")
