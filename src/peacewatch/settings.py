"""One settings table, read from the environment (`PEACEWATCH_*`), with sensible defaults."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from peacewatch.errors import PeacewatchError
from peacewatch.schema import ROLES

UCDP_DOWNLOAD_URL = "https://ucdp.uu.se/downloads/ged"
ACLED_API_URL = "https://acleddata.com"


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _roles(text: str) -> tuple[str, ...]:
    """Roles named in PEACEWATCH_LICENSED_ROLES; a clear error for one that does not exist."""
    roles = _names(text)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise PeacewatchError(
            f"PEACEWATCH_LICENSED_ROLES: {', '.join(unknown)} not a role ({', '.join(ROLES)})"
        )
    return roles


def _port(text: str) -> int:
    """PEACEWATCH_SMTP_PORT as a port number, or a clear error."""
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise PeacewatchError(f"PEACEWATCH_SMTP_PORT: {text!r} is not a port number (1-65535)")
    return int(text)


def is_store_url(location: str | Path) -> bool:
    """Whether a store location names a PostgreSQL server rather than a DuckDB file."""
    return str(location).startswith(("postgresql://", "postgres://"))


def _store_url(text: str) -> str | None:
    """PEACEWATCH_STORE when it names a PostgreSQL server, else None (a DuckDB file)."""
    return text if is_store_url(text) else None


BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def limit_blas_threads() -> int:
    """Set the BLAS libraries' threads from PEACEWATCH_BLAS_THREADS (default 1); returns it.

    The analyses multiply small matrices (the impact study's regressions, the bootstrap): on a
    busy 2-core machine a second BLAS thread per product costs more than it gives (issue 16:
    the impact study took 20 s with two threads, 14 s with one). Must run before numpy is
    imported; a variable the user set (OPENBLAS_NUM_THREADS, ...) is kept. scikit-learn's
    OpenMP threads (the forecasts' trees) are not BLAS and are not touched.
    """
    text = os.environ.get("PEACEWATCH_BLAS_THREADS", "").strip() or "1"
    if not text.isdigit() or int(text) < 1:
        raise PeacewatchError(f"PEACEWATCH_BLAS_THREADS: {text!r} is not a positive number")
    for name in BLAS_VARIABLES:
        os.environ.setdefault(name, text)
    return int(text)


_BYTE_UNITS = {
    "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip


def parse_bytes(text: str, name: str) -> int:
    """`512MB`, `1.5GiB`, `2 GB` in bytes; a clear error naming the setting otherwise."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if not found or unit not in _BYTE_UNITS or float(found.group(1)) <= 0:
        raise PeacewatchError(f"{name}: {text!r} is not a size such as 512MB or 2GiB")
    return int(float(found.group(1)) * _BYTE_UNITS[unit])


@dataclass(frozen=True)
class Settings:
    """Where the store, the shared data, the download cache and load reports live.

    | setting | variable | default |
    | --- | --- | --- |
    | store | PEACEWATCH_STORE | ./peacewatch.duckdb (or a postgresql:// URL: `store_url`) |
    | shared | PEACEWATCH_SHARED | ../shared |
    | cache | PEACEWATCH_CACHE | ~/.cache/peacewatch |
    | report_dir | PEACEWATCH_REPORT_DIR | ./peacewatch-loads |
    | ucdp_download_url | PEACEWATCH_UCDP_DOWNLOAD_URL | https://ucdp.uu.se/downloads/ged |
    | memory_limit | PEACEWATCH_MEMORY_LIMIT | 512MB (DuckDB buffer limit; spills to disk) |
    | licensed_roles | PEACEWATCH_LICENSED_ROLES | analyst,admin (web roles that see raw rows of
      non-redistributable sources such as ACLED) |
    | trusted_proxies | PEACEWATCH_TRUSTED_PROXIES | none (proxy addresses whose
      X-Forwarded-For the web app believes) |
    | acled_api_url | PEACEWATCH_ACLED_API_URL | https://acleddata.com |
    | smtp_host, smtp_port | PEACEWATCH_SMTP_HOST, PEACEWATCH_SMTP_PORT | none, 25 (alert e-mail) |
    | smtp_from | PEACEWATCH_SMTP_FROM | peacewatch@localhost |
    | smtp_user, smtp_password | PEACEWATCH_SMTP_USER, PEACEWATCH_SMTP_PASSWORD | none (login
      over STARTTLS when set; the password is never printed or logged) |

    The command line also reads PEACEWATCH_BLAS_THREADS (default 1: `limit_blas_threads`).
    """

    store: Path = field(default_factory=lambda: Path("peacewatch.duckdb"))
    shared: Path = field(default_factory=lambda: Path("../shared"))
    cache: Path = field(default_factory=lambda: Path.home() / ".cache" / "peacewatch")
    report_dir: Path = field(default_factory=lambda: Path("peacewatch-loads"))
    ucdp_download_url: str = UCDP_DOWNLOAD_URL
    memory_limit: str = "512MB"
    licensed_roles: tuple[str, ...] = ("analyst", "admin")
    trusted_proxies: tuple[str, ...] = ()
    acled_api_url: str = ACLED_API_URL
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "peacewatch@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    # PEACEWATCH_STORE as a PostgreSQL URL (a Path would fold its `//`); never printed whole.
    store_url: str | None = field(default=None, repr=False)

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
            licensed_roles=_roles(env.get("PEACEWATCH_LICENSED_ROLES", "analyst,admin")),
            trusted_proxies=_names(env.get("PEACEWATCH_TRUSTED_PROXIES", "")),
            acled_api_url=env.get("PEACEWATCH_ACLED_API_URL", base.acled_api_url),
            smtp_host=env.get("PEACEWATCH_SMTP_HOST") or None,
            smtp_port=_port(env.get("PEACEWATCH_SMTP_PORT", "25")),
            smtp_from=env.get("PEACEWATCH_SMTP_FROM", base.smtp_from),
            smtp_user=env.get("PEACEWATCH_SMTP_USER") or None,
            smtp_password=env.get("PEACEWATCH_SMTP_PASSWORD") or None,
            store_url=_store_url(env.get("PEACEWATCH_STORE", "")),
        )

    @property
    def store_location(self) -> Path | str:
        """The store: its file, or the server URL (PEACEWATCH_STORE=postgresql://...)."""
        return self.store_url or self.store

    @property
    def memory_bytes(self) -> int:
        """`memory_limit` in bytes (DuckDB's units: KB/MB/GB/TB are powers of 1000, KiB.. of 1024).

        The budget of work outside DuckDB too (a panel written in slices: `panel.chunks`).
        """
        return parse_bytes(self.memory_limit, "PEACEWATCH_MEMORY_LIMIT")

    @property
    def data(self) -> Path:
        """The folder of real datasets inside the shared folder."""
        return self.shared / "data"
