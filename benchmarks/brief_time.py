"""Time of the Mali briefing, section by section (the issue's target: under 20 s).

Usage: .venv/bin/python benchmarks/brief_time.py [STORE] [ISO3]
(STORE default: PEACEWATCH_STORE or ./peacewatch.duckdb, filled by `peacewatch load-shared`).
Prints the seconds each section took and the total; compare whole runs of `peacewatch brief`
against another checkout with /usr/bin/time -v or a process-level timer.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from peacewatch.report import briefing
from peacewatch.store import Store


def main() -> None:
    store_path = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "PEACEWATCH_STORE", "peacewatch.duckdb"))  # fmt: skip
    country = sys.argv[2] if len(sys.argv) > 2 else "MLI"
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    with Store.open(store_path, read_only=True) as store, tempfile.TemporaryDirectory() as tmp:
        briefing.write(
            store,
            country,
            Path(tmp) / "brief.html",
            Path(tmp) / "brief.pdf",
            progress=lambda name: marks.append((name, time.perf_counter())),
        )
    end = time.perf_counter()
    print("| section | seconds |\n| --- | --- |")
    for (name, at), (_next, then) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        print(f"| {name} | {then - at:.1f} |")
    print(f"| total | {end - started:.1f} |")


if __name__ == "__main__":
    main()
