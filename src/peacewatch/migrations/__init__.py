"""The server store's schema, versioned: Alembic revisions in `versions/` (ADR 026).

Each revision is frozen DDL; a schema change is a new revision. `upgrade(url)` brings a
PostgreSQL store to the newest (run by `PgStore.open`); upgrading twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def config(url: str) -> Config:
    """Alembic's configuration for the store at `url` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the store at `url` to `revision` (default: the newest)."""
    command.upgrade(config(url), revision)


def current(url: str) -> str | None:
    """The revision the store at `url` is at (None before the first)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - tests only
    from sqlalchemy import create_engine  # noqa: PLC0415

    engine = create_engine(config(url).get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as con:
            return MigrationContext.configure(con).get_current_revision()
    finally:
        engine.dispose()


__all__ = ["config", "current", "upgrade"]
