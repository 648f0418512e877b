"""Mali totals after each load step of a GED final / Candidate / final sequence, and as of dates.

Recounted independently from the shared file with plain pandas. Prints a table for the
CHANGELOG; run: .venv/bin/python benchmarks/load_steps.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peacewatch import vintages  # noqa: E402
from peacewatch.loading import load_file  # noqa: E402
from peacewatch.store import Store  # noqa: E402
from tests.conftest import GED_MALI  # noqa: E402
from tests.gedfiles import read_rows, write_official  # noqa: E402


def totals(store: Store) -> tuple[int, int]:
    n, deaths = store.con.execute(
        "SELECT count(*), coalesce(sum(fatalities_best), 0) FROM events WHERE country_iso3 = 'MLI'"
    ).fetchone()
    return int(n), int(deaths)


def main() -> None:
    truth = pd.read_csv(GED_MALI, index_col=False)
    truth["start"] = pd.to_datetime(truth["date_start"], format="%m/%d/%Y %H:%M:%S")
    header, rows = read_rows(GED_MALI)
    work = Path(tempfile.mkdtemp())
    store = Store.open(work / "steps.duckdb")
    lines = []

    def step(label: str, report: object, expected: pd.DataFrame) -> None:
        n, deaths = totals(store)
        lines.append(
            f"| {label} | {report.added} | {report.updated} | {report.removed} | "
            f"{report.superseded} | {report.not_current} | {n:,} / {deaths:,} | "
            f"{len(expected):,} / {int(expected['best_est'].sum()):,} |"
        )

    r = load_file(store, "ucdp-ged", GED_MALI)
    step("shared file (unstated release)", r, truth)
    only_2023 = write_official(work / "ged_2023_only.csv", header,
                               [x for x in rows if x["year"] == "2023"])  # fmt: skip
    step("a final-layout file of 2023 only", load_file(store, "ucdp-ged", only_2023), truth)
    store.close()
    store = Store.open(work / "steps2.duckdb")
    before = write_official(work / "GEDEvent_v23_1.csv", header,
                            [x for x in rows if x["year"] != "2023"])  # fmt: skip
    step("GED 23.1 (to 2022)", load_file(store, "ucdp-ged", before), truth[truth["year"] < 2023])
    for month in range(1, 13):
        prefix = f"{month:02d}/"
        part = [x for x in rows if x["year"] == "2023" and x["date_start"].startswith(prefix)]
        path = write_official(work / f"GEDEvent_v23_0_{month}.csv", header, part)
        report = load_file(store, "ucdp-candidate", path)
        done = truth[(truth["year"] < 2023) | (truth["start"].dt.month <= month)]
        if month in (1, 6, 12):
            step(f"Candidate 23.0.{month}", report, done)
    full = write_official(work / "GEDEvent_v24_1.csv", header, rows)
    step("GED 24.1 (to 2023)", load_file(store, "ucdp-ged", full), truth)
    print(
        "| step | added | updated | removed | superseded | vintage only | Mali events / deaths "
        "| recount (pandas) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(lines))
    for day in ("2023-06-30", "2024-01-15", "2024-07-01"):
        view = vintages.as_of(store, vintages.cut_for(store, as_of=day))
        print(f"as of {day}: Mali events / deaths {totals(view)}")
    store.close()


if __name__ == "__main__":
    main()
