"""Panel speed: the store's SQL path against a pandas groupby baseline.

1. A 1-million-event GED-shaped store (the resampled real Mali and Burkina Faso events of
   load_speed.py, loaded with `peacewatch load`), Mali's admin-1 and PRIO-GRID month panels:
   `peacewatch.panel` (SQL in DuckDB) beside pandas (the same events as a DataFrame, groupby on
   unit and month for the same columns, then reindexed to the balanced unit x month grid).
2. Africa-sized: 1 million synthetic events spread over 10,000 PRIO-GRID cells and 240 months;
   the balanced panel has 2.4 million rows. Goal: under 10 s.

    .venv/bin/python benchmarks/panel_speed.py [--rows 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from load_speed import SHARED, build

from peacewatch import panel
from peacewatch.loading import load_file
from peacewatch.schema import ACTOR_CATEGORIES, CATEGORIES
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store

BOUNDARIES = SHARED / "data" / "boundaries_ne_admin1"


def pandas_panel(
    events: pd.DataFrame, unit_col: str, units: list, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """The same measures with pandas: indicator columns, groupby, reindex to the full grid."""
    ev = events.copy()
    ev["month"] = ev["date_start"].dt.to_period("M").dt.to_timestamp()
    imprecise = ev["date_precision"].eq("year")
    precise = ev[~imprecise]
    cols = {"events": np.ones(len(precise)), "fatalities_best": precise["fatalities_best"]}
    for cat in CATEGORIES:
        hit = precise["category"].eq(cat)
        cols[f"events_{cat}"] = hit
        cols[f"fatalities_{cat}"] = precise["fatalities_best"].where(hit, 0)
    for code, name in {1: "sb", 2: "ns", 3: "os"}.items():
        hit = precise["violence_type"].eq(code)
        cols[f"events_{name}"] = hit
        cols[f"fatalities_{name}"] = precise["fatalities_best"].where(hit, 0)
    for cat in ACTOR_CATEGORIES:
        hit = precise["actor1_category"].eq(cat) | precise["actor2_category"].eq(cat)
        cols[f"events_actor_{cat}"] = hit
        cols[f"fatalities_actor_{cat}"] = precise["fatalities_best"].where(hit, 0)
    wide = pd.DataFrame(cols)
    wide["unit"] = precise[unit_col].to_numpy()
    wide["month"] = precise["month"].to_numpy()
    agg = wide.groupby(["unit", "month"]).sum()
    grid = pd.MultiIndex.from_product([units, months], names=["unit", "month"])
    return agg.reindex(grid, fill_value=0).reset_index()


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def real_store(work: Path, rows: int) -> Path:
    path = work / f"panel_{rows}.duckdb"
    if path.exists():
        return path
    data = work / f"GEDEvent_vbench_{rows}.csv"
    if not data.exists():
        build(data, rows)
    with Store.open(path) as st:
        for name in ("mli", "bfa"):
            load_file(st, "boundaries", BOUNDARIES / f"{name}_admin1.geojson")
        load_file(st, "ucdp-ged", data, LoadOptions(release="bench"))
    data.unlink()
    return path


def synthetic_africa(work: Path, rows: int) -> Path:
    """`rows` events over a 100 x 100 cell block (10,000 cells) and 240 months, country 'AFR'."""
    path = work / f"africa_{rows}.duckdb"
    if path.exists():
        return path
    with Store.open(path) as st:
        st.con.execute(
            f"""INSERT INTO events BY NAME
            SELECT 'syn:' || i AS event_id, 'ucdp_ged' AS source, CAST(i AS VARCHAR)
                AS source_event_id,
                DATE '2004-01-01' + CAST(floor(random() * 7305) AS INTEGER) AS date_start,
                'day' AS date_precision, 'AFR' AS country_iso3,
                -20 + random() * 50 AS latitude, -10 + random() * 50 AS longitude,
                CASE WHEN random() < 0.6 THEN 'battle' ELSE 'violence_against_civilians' END
                    AS category,
                1 + CAST(floor(random() * 3) AS INTEGER) AS violence_type,
                'state_forces' AS actor1_category, 'jihadist' AS actor2_category,
                CAST(floor(random() * 10) AS INTEGER) AS fatalities_best
            FROM range({rows}) t(i)"""
        )
        st.con.execute(
            "UPDATE events SET priogrid_gid = CAST(floor((latitude + 90) / 0.5) * 720 "
            "+ floor((longitude + 180) / 0.5) + 1 AS INTEGER)"
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="pw-panel-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'':44}{'SQL (s)':>9}{'pandas (s)':>12}{'speed-up':>10}{'rows':>11}")
    with Store.open(real_store(work, args.rows), read_only=True) as st:
        first, last = panel.default_range(st, "MLI")
        fetch_s, events = timed(
            lambda: st.con.execute(
                "SELECT * FROM events WHERE country_iso3 = 'MLI' AND source = 'ucdp_ged'"
            ).df()
        )
        months = pd.date_range(pd.Timestamp(first).replace(day=1), last, freq="MS")
        for unit, col in (("admin1", "admin1_code"), ("priogrid", "priogrid_gid")):
            sql_s, frame = timed(panel.panel, st, unit, "MLI", first, last)
            units = list(frame["unit"].unique())
            ev = events.assign(
                **{
                    col: events[col].fillna("(outside loaded boundaries)").astype(str)
                    if unit == "admin1"
                    else events[col].astype("Int64").astype(str)
                }
            )
            pd_s, base = timed(pandas_panel, ev, col, units, months)
            assert len(base) == len(frame)
            assert base["fatalities_best"].sum() == frame["fatalities_best"].sum()
            label = f"Mali {unit} x month, {len(events):,} events"
            print(f"{label:44}{sql_s:9.2f}{pd_s:12.2f}{pd_s / sql_s:9.1f}x{len(frame):11,}")
        print(f"{'  (pandas also needs the events in memory:':44}{'':9}{fetch_s:12.2f})")
    with Store.open(synthetic_africa(work, args.rows), read_only=True) as st:
        sql_s, frame = timed(panel.panel, st, "priogrid", "AFR", "2004-01-01", "2023-12-31")
        label = (
            f"Africa-sized PRIO-GRID: {frame['unit'].nunique():,} cells x "
            f"{frame['month'].nunique()} months"
        )
        print(f"{label:44}{sql_s:9.2f}{'':12}{'':10}{len(frame):11,}")
        print(f"\ngoal: SQL >= 5x pandas; Africa-sized panel < 10 s (took {sql_s:.1f} s)")


if __name__ == "__main__":
    main()
