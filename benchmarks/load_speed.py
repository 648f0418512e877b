"""Load speed and peak memory: `peacewatch load ucdp-ged` vs a pandas read_csv + normalisation.

Builds a GED-shaped file (the bulk GEDEvent layout) of N rows by resampling the real Mali and
Burkina Faso events (new unique ids), then times, each in its own process:
  - baseline: pandas.read_csv + the same normalisation to the common record (no store);
  - peacewatch: `peacewatch load ucdp-ged FILE` into a new store (validation, rejects, PRIO-GRID,
    admin-1, actor categories, diff, raw table, provenance, one transaction);
  - peacewatch again on the same file (the idempotent no-op).
Prints events/second and peak RSS. Goal (issue 2): >= 3x the baseline, < 1 GB for 1M rows.

    .venv/bin/python benchmarks/load_speed.py [--rows 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEACEWATCH_SHARED", ROOT.parent / "shared"))
if not SHARED.is_absolute():
    SHARED = (ROOT / SHARED).resolve()
GED = SHARED / "data" / "ucdp_ged_sahel"

BASELINE = r"""
import sys, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1], low_memory=False)
out = pd.DataFrame({
    "event_id": "ucdp_ged:" + df["id"].astype(str),
    "date_start": pd.to_datetime(df["date_start"], errors="coerce").dt.date,
    "date_end": pd.to_datetime(df["date_end"], errors="coerce").dt.date,
    "country_gw": pd.to_numeric(df["country_id"], errors="coerce"),
    "latitude": pd.to_numeric(df["latitude"], errors="coerce"),
    "longitude": pd.to_numeric(df["longitude"], errors="coerce"),
    "violence_type": pd.to_numeric(df["type_of_violence"], errors="coerce"),
    "actor1": df["side_a"], "actor2": df["side_b"],
    "fatalities_best": pd.to_numeric(df["best"], errors="coerce"),
    "fatalities_low": pd.to_numeric(df["low"], errors="coerce"),
    "fatalities_high": pd.to_numeric(df["high"], errors="coerce"),
    "civilian_fatalities": pd.to_numeric(df["deaths_civilians"], errors="coerce"),
})
out["category"] = np.where(out["violence_type"] == 3, "violence_against_civilians", "battle")
out["priogrid_gid"] = (np.floor((out["latitude"] + 90) / 0.5) * 720
                       + np.floor((out["longitude"] + 180) / 0.5) + 1)
bad = (out["date_start"].isna() | (out["latitude"].abs() > 90) | (out["longitude"].abs() > 180)
       | out["fatalities_best"].isna() | (out["fatalities_best"] < 0) | df["id"].isna())
good = out[~bad]
print(len(good))
"""

# The same job done the plain pandas way: the same checks, derived fields and end state in a
# DuckDB store (events + raw rows), using peacewatch's own actor and geo functions.
BASELINE_STORE = r"""
import sys, duckdb, numpy as np, pandas as pd, shapely
from peacewatch import actors, geo
from peacewatch.countries import country_table
from peacewatch.store import Store
path, store_path = sys.argv[1], sys.argv[2]
raw = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
raw["_row"] = np.arange(2, len(raw) + 2)
num = lambda c: pd.to_numeric(raw[c].replace({"": None, "NA": None}), errors="coerce")
start = pd.to_datetime(raw["date_start"], format="ISO8601", errors="coerce")
end = pd.to_datetime(raw["date_end"], format="ISO8601", errors="coerce")
lat, lon, best, low, high = num("latitude"), num("longitude"), num("best"), num("low"), num("high")
civ, tov, gw = num("deaths_civilians"), num("type_of_violence"), num("country_id")
checks = [
    (raw["id"].str.strip() == "", "missing id"),
    (start.isna(), "unparseable or missing date"),
    (lat.isna() | (lat.abs() > 90), "latitude not a number or outside -90..90"),
    (lon.isna() | (lon.abs() > 180), "longitude not a number or outside -180..180"),
    (best.isna(), "fatality count missing or not a number"),
    ((best < 0) | (best != np.floor(best)), "fatality count negative or not a whole number"),
    ((low < 0) | (high < 0) | (civ < 0), "negative or non-numeric count"),
    (~tov.isin([1, 2, 3]), "type_of_violence not 1, 2 or 3"),
]
reason = np.select([c for c, _ in checks], [r for _, r in checks], default="")
reason = np.where((reason == "") & raw["id"].duplicated(), "duplicate id", reason)
countries = country_table().dropna(subset=["gw_code"]).drop_duplicates("gw_code")
iso3 = gw.map(dict(zip(countries["gw_code"].astype(float), countries["iso3"])))
ev = pd.DataFrame({
    "event_id": "ucdp_ged:" + raw["id"].str.strip(), "source": "ucdp_ged",
    "source_event_id": raw["id"].str.strip(), "date_start": start.dt.date,
    "date_end": end.fillna(start).dt.date, "country_iso3": iso3, "gw_code": gw,
    "latitude": lat, "longitude": lon, "violence_type": tov,
    "category": np.where(tov == 3, "violence_against_civilians", "battle"),
    "actor1": raw["side_a"].replace("", None), "actor2": raw["side_b"].replace("", None),
    "fatalities_best": best, "fatalities_low": low, "fatalities_high": high,
    "civilian_fatalities": civ, "notes": raw["where_description"],
    "source_refs": raw["source_article"], "source_row": raw["_row"],
})
warn = ((best < low) | (best > high) | iso3.isna()).sum()
rejects = pd.DataFrame({"row": raw["_row"], "reason": reason})[reason != ""]
ev = ev[reason == ""].copy()
ev["priogrid_gid"] = (np.floor((ev["latitude"] + 90) / 0.5) * 720
                      + np.floor((ev["longitude"] + 180) / 0.5) + 1)
names = pd.unique(pd.concat([ev["actor1"], ev["actor2"]]).dropna())
cats = {n: actors.categorize(n, "MLI") for n in names}
ev["actor1_category"] = ev["actor1"].map(cats).fillna("unknown")
ev["actor2_category"] = ev["actor2"].map(cats)
st = Store.open(store_path)
bounds = st.con.execute("SELECT name, geometry_wkb FROM admin_boundaries").df()
coords = ev[["latitude", "longitude"]].drop_duplicates()
if len(bounds):
    idx = geo.locate_points(coords["latitude"], coords["longitude"],
                            list(shapely.from_wkb(bounds["geometry_wkb"].map(bytes))))
    coords["admin1"] = np.where(idx >= 0, bounds["name"].to_numpy()[idx], None)
    ev = ev.merge(coords, on=["latitude", "longitude"], how="left")
ev["record_hash"] = pd.util.hash_pandas_object(ev, index=False).to_numpy()
st.con.execute("BEGIN TRANSACTION")
st.con.register("ev", ev)
st.con.execute("INSERT INTO events BY NAME SELECT * FROM ev")
st.con.register("rawdf", raw)
st.con.execute("CREATE TABLE raw_baseline AS SELECT * FROM rawdf")
st.con.execute("COMMIT")
print(len(ev), len(rejects), warn)
"""

MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - t
if r.returncode:
    sys.stderr.write(r.stdout + r.stderr); sys.exit(r.returncode)
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def build(path: Path, rows: int) -> None:
    """Write `rows` resampled real events in the bulk GEDEvent layout."""
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    real = pd.concat(
        [
            pd.read_csv(GED / name, index_col=False, dtype=str, keep_default_na=False)
            for name in ("ged_mali_432.csv", "ged_burkina_faso_439.csv")
        ],
        ignore_index=True,
    )
    real.insert(0, "rn", range(len(real)))
    con.register("real_df", real)
    con.execute("CREATE TABLE real AS SELECT * FROM real_df")
    n = con.execute("SELECT count(*) FROM real").fetchone()[0]
    cols = [
        c
        for (c,) in con.execute("SELECT column_name FROM (DESCRIBE real)").fetchall()
        if c not in {"rn", "id", "best_est", "low_est", "high_est", "date_start", "date_end"}
    ]
    iso = "strftime(strptime({c}, '%m/%d/%Y %H:%M:%S'), '%Y-%m-%d %H:%M:%S.000')"
    con.execute(
        f"""COPY (
            SELECT CAST(10000000 + i AS VARCHAR) AS id, {", ".join("r." + c for c in cols)},
                {iso.format(c="r.date_start")} AS date_start,
                {iso.format(c="r.date_end")} AS date_end,
                r.best_est AS best, r.high_est AS high, r.low_est AS low
            FROM range({rows}) t(i) JOIN real r ON r.rn = hash(i) % {n}
            ORDER BY i
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command run in its own process."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    seconds, kb = result.stdout.split()
    return float(seconds), int(kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="pw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"GEDEvent_vbench_{args.rows}.csv"
    if not data.exists():
        t = time.perf_counter()
        build(data, args.rows)
        print(
            f"built {data} ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
    store = work / "bench.duckdb"
    for p in (store, store.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    base_s, base_mb = measure([sys.executable, "-c", BASELINE, str(data)])
    pstore = work / "pandas.duckdb"
    for p in (pstore, pstore.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    full_s, full_mb = measure([sys.executable, "-c", BASELINE_STORE, str(data), str(pstore)])
    load = [
        sys.executable,
        "-m",
        "peacewatch",
        "load",
        "ucdp-ged",
        str(data),
        "--release",
        "bench",
        "--store",
        str(store),
        "--report-dir",
        str(work / "reports"),
    ]
    pw_s, pw_mb = measure(load)
    again_s, again_mb = measure(load)
    rows = args.rows
    print(f"\n{rows:,} GED-shaped events on {os.cpu_count()} cores\n")
    print(f"{'':34}{'seconds':>9}{'events/s':>12}{'peak MB':>10}")
    print(f"{'pandas read_csv + normalise':34}{base_s:9.1f}{rows / base_s:12,.0f}{base_mb:10.0f}")
    print(f"{'pandas, same checks + store':34}{full_s:9.1f}{rows / full_s:12,.0f}{full_mb:10.0f}")
    print(f"{'peacewatch load (new store)':34}{pw_s:9.1f}{rows / pw_s:12,.0f}{pw_mb:10.0f}")
    print(
        f"{'peacewatch load again (no-op)':34}{again_s:9.1f}{rows / again_s:12,.0f}{again_mb:10.0f}"
    )
    print(f"\nspeed-up over pandas read_csv + normalise: {base_s / pw_s:.2f}x (goal >= 3x)")
    print(f"speed-up over pandas doing the same load: {full_s / pw_s:.2f}x")
    print(
        f"peak memory: peacewatch {pw_mb:.0f} MB (goal < 1024 MB), pandas {base_mb:.0f} MB / "
        f"{full_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
