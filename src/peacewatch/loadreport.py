"""What a load did: the report the command line prints, and the files it leaves beside it.

A load writes a summary (JSON) and, when it has any, its rejected and suspect rows (CSV: file,
row, field, value, reason) to the report folder, each file written whole (temp, then rename).
"""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from peacewatch import csvsafe
from peacewatch.sources.base import Reject


@dataclass
class LoadReport:
    """What a load did, as printed and as written to the summary file."""

    source: str
    target: str
    layout: str
    file: str
    sha256: str
    release: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    superseded: int = 0
    not_current: int = 0
    deleted: int = 0  # deletions announced by the source (ACLED API) for stored events
    known_at: str = ""
    periods: list[str] = field(default_factory=list)
    already_loaded: bool = False
    scopes: list[str] = field(default_factory=list)
    admin1_unassigned: int = 0
    actor_unknown: int = 0
    seconds: float = 0.0
    summary_path: str | None = None
    rejects_path: str | None = None
    warnings_path: str | None = None
    rejects: list[Reject] = field(default_factory=list, repr=False)
    warnings: list[Reject] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, object]:
        """The report without the row lists (those go to the rejects / warnings files).

        Not `asdict`: it would copy every reject and warning first (15,000 rows: 0.35 s).
        """
        return {
            f.name: copy.deepcopy(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("rejects", "warnings")
        }


def write(report: LoadReport, report_dir: Path, path: Path) -> None:
    """Summary JSON plus rejects / warnings CSV, each written whole (temp file, then rename)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = report_dir / f"{report.source}-{path.stem}-{stamp}"
    for kind, rows in (("rejects", report.rejects), ("warnings", report.warnings)):
        if not rows:
            continue
        out = base.with_name(base.name + f".{kind}.csv")
        tmp = out.with_suffix(".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "row", "field", "value", "reason"])
            for r in rows:
                writer.writerow(csvsafe.row([path.name, r.row, r.field, r.value, r.reason]))
        tmp.replace(out)
        setattr(report, f"{kind}_path", str(out))
    summary = base.with_name(base.name + ".summary.json")
    report.summary_path = str(summary)
    tmp = summary.with_suffix(".tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
    tmp.replace(summary)


__all__ = ["LoadReport", "write"]
