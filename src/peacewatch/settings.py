"""One settings table, read from the environment (`PEACEWATCH_*`), with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

UCDP_DOWNLOAD_URL = "https://ucdp.uu.se/downloads/ged"


@dataclass(frozen=True)
class Settings:
    """Where the store, the shared data, the download cache and load reports live.

    | setting | variable | default |
    | --- | --- | --- |
    | store | PEACEWATCH_STORE | ./peacewatch.duckdb |
    | shared | PEACEWATCH_SHARED | ../shared |
    | cache | PEACEWATCH_CACHE | ~/.cache/peacewatch |
    | report_dir | PEACEWATCH_REPORT_DIR | ./peacewatch-loads |
    | ucdp_download_url | PEACEWATCH_UCDP_DOWNLOAD_URL | https://ucdp.uu.se/downloads/ged |
    | memory_limit | PEACEWATCH_MEMORY_LIMIT | 512MB (DuckDB buffer limit; spills to disk) |
    """

    store: Path = field(default_factory=lambda: Path("peacewatch.duckdb"))
    shared: Path = field(default_factory=lambda: Path("../shared"))
    cache: Path = field(default_factory=lambda: Path.home() / ".cache" / "peacewatch")
    report_dir: Path = field(default_factory=lambda: Path("peacewatch-loads"))
    ucdp_download_url: str = UCDP_DOWNLOAD_URL
    memory_limit: str = "512MB"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings from `env` (default: the process environment)."""
        env = dict(os.environ) if env is None else env
        base = cls()
        return cls(
            store=Path(env.get("PEACEWATCH_STORE", str(base.store))),
            shared=Path(env.get("PEACEWATCH_SHARED", str(base.shared))),
            cache=Path(env.get("PEACEWATCH_CACHE", str(base.cache))),
            report_dir=Path(env.get("PEACEWATCH_REPORT_DIR", str(base.report_dir))),
            ucdp_download_url=env.get("PEACEWATCH_UCDP_DOWNLOAD_URL", base.ucdp_download_url),
            memory_limit=env.get("PEACEWATCH_MEMORY_LIMIT", base.memory_limit),
        )

    @property
    def data(self) -> Path:
        """The folder of real datasets inside the shared folder."""
        return self.shared / "data"
