"""Issue 16's table: load, panel, command line and Spark on 1 M synthetic GED-layout events.

The file: 1,000,000 real Mali and Burkina Faso GED events resampled (new ids), each moved to
a point drawn uniformly in a box of 106 x 101 PRIO-GRID cells (10,706 cells, about Africa's
10,253 land cells) and re-dated uniformly in 1989-2023, in UCDP's bulk GEDEvent layout. Its
PRIO-GRID-month panel has about 10,700 cells x 420 months = 4.5 M rows.

Each figure is the median of `--runs` runs, the contenders alternating (A B A B ...), each run
in its own process (wall seconds and peak RSS of that process):

  load     `peacewatch load ucdp-ged FILE` into a new store   vs raw DuckDB read_csv into a
           table, and pandas read_csv + to_parquet
  panel    `panel.panel(store, "priogrid", ...)` in Python     vs pandas groupby on the events
           already in memory (the fetch not timed)
  cli      `peacewatch panel ... --format parquet --out F`     (goal < 10 s)
  spark    the same panel with `--engine spark` (local[2])     vs DuckDB (`cli`)
  help     `peacewatch --help`                                  (goal < 0.5 s)

    .venv/bin/python benchmarks/engines.py [--rows 1000000] [--runs 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEACEWATCH_SHARED", ROOT.parent / "shared"))
if not SHARED.is_absolute():
    SHARED = (ROOT / SHARED).resolve()
GED = SHARED / "data" / "ucdp_ged_sahel"
EXE = str(Path(sys.executable).with_name("peacewatch"))
# 106 x 101 half-degree cells: 10,706 PRIO-GRID cells.
BOX = (-17.5, -15.0, 35.5, 35.5)
DAYS = 12_784  # 1989-01-01 .. 2023-12-31

MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - t
if r.returncode:
    sys.stderr.write(r.stdout[-2000:] + r.stderr[-4000:]); sys.exit(r.returncode)
own = (r.stdout.split() or ["nan"])[-1]
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, own)
"""

RAW_DUCKDB = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{sys.argv[1]}', header=true)")
"""

PANDAS_PARQUET = r"""
import sys, pandas as pd
pd.read_csv(sys.argv[1], low_memory=False).to_parquet(sys.argv[2])
"""

PANEL_PY = r"""
import sys, time
from peacewatch import panel
from peacewatch.store import Store
with Store.open(sys.argv[1], read_only=True) as st:
    t = time.perf_counter()
    frame = panel.panel(st, "priogrid", "MLI,BFA", "1989-01-01", "2023-12-31")
print(len(frame), time.perf_counter() - t)
"""

PANDAS_PANEL = r"""
import sys, time
import numpy as np, pandas as pd
from peacewatch.store import Store
with Store.open(sys.argv[1], read_only=True) as st:
    ev = st.frame("SELECT priogrid_gid, date_start, date_precision, fatalities_best, category, "
                  "violence_type, actor1_category, actor2_category FROM events")
t = time.perf_counter()
sys.path.insert(0, sys.argv[2])
from panel_speed import pandas_panel
months = pd.date_range("1989-01-01", "2023-12-01", freq="MS")
units = sorted(ev["priogrid_gid"].dropna().astype(int).unique())
ev["priogrid_gid"] = ev["priogrid_gid"].astype("Int64")
out = pandas_panel(ev, "priogrid_gid", units, months)
print(len(out), time.perf_counter() - t)
"""


def build(path: Path, rows: int) -> None:
    """Write the synthetic file (DuckDB: resample, move, re-date) in the bulk GEDEvent layout."""
    import duckdb

    con = duckdb.connect()
    con.execute("SELECT setseed(0.16)")
    sources = ", ".join(f"'{GED / n}'" for n in ("ged_mali_432.csv", "ged_burkina_faso_439.csv"))
    con.execute(
        f"CREATE TABLE real AS SELECT row_number() OVER () - 1 AS rn, * "
        f"FROM read_csv([{sources}], header=true, all_varchar=true, null_padding=true, "
        "parallel=false)"
    )
    n = con.execute("SELECT count(*) FROM real").fetchone()[0]
    skip = {
        "rn",
        "id",
        "best_est",
        "low_est",
        "high_est",
        "date_start",
        "date_end",
        "year",
        "latitude",
        "longitude",
        "geom_wkt",
        "priogrid_gid",
    }
    cols = [
        c
        for (c,) in con.execute("SELECT column_name FROM (DESCRIBE real)").fetchall()
        if c not in skip and not c.startswith("column")
    ]
    lon0, lat0, lon1, lat1 = BOX
    con.execute(
        f"""COPY (
            SELECT CAST(50000000 + i AS VARCHAR) AS id, {", ".join("r." + c for c in cols)},
                CAST(year(d) AS VARCHAR) AS year,
                round(lat, 6) AS latitude, round(lon, 6) AS longitude,
                'POINT (' || round(lon, 6) || ' ' || round(lat, 6) || ')' AS geom_wkt,
                '' AS priogrid_gid,
                strftime(d, '%Y-%m-%d 00:00:00.000') AS date_start,
                strftime(d, '%Y-%m-%d 00:00:00.000') AS date_end,
                r.best_est AS best, r.high_est AS high, r.low_est AS low
            FROM (SELECT i, {lat0} + random() * {lat1 - lat0} AS lat,
                         {lon0} + random() * {lon1 - lon0} AS lon,
                         DATE '1989-01-01' + CAST(floor(random() * {DAYS}) AS INTEGER) AS d,
                         CAST(floor(random() * {n}) AS BIGINT) AS pick
                  FROM range({rows}) t(i)) s
            JOIN real r ON r.rn = s.pick
            ORDER BY i
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


def measure(cmd: list[str], own: bool = False) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of `cmd` in its own process.

    `own`: the seconds the command prints last (the step it times itself) instead of the wall.
    """
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=False
    )
    if done.returncode:
        print(f"failed: {' '.join(cmd)}\n{done.stderr[-1500:]}", file=sys.stderr)
        return float("nan"), float("nan")
    wall, kib, printed = done.stdout.split()
    return (float(printed) if own else float(wall)), float(kib) / 1024


def alternate(
    contenders: dict[str, list[str]], runs: int, before=None, own: bool = False
) -> dict[str, tuple]:
    """Median wall and peak of each contender, run in turn `runs` times."""
    found: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, cmd in contenders.items():
            if before:
                before(name)
            found[name].append(measure(cmd, own))
    return {
        k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v))
        for k, v in found.items()
    }


STORED = r"""
import sys
from peacewatch.store import Store
with Store.open(sys.argv[1], read_only=True) as st:
    st.con.execute("SET enable_progress_bar = false")
    n, linked = st.row(
        "SELECT count(*), count(r._row) FROM events e LEFT JOIN raw_ucdp_ged r "
        "ON r._load_id = e.load_id AND r._row = e.source_row AND trim(r.id) = e.source_event_id")
    print(n, linked)
"""


def report_load(load: dict[str, tuple], store: Path) -> None:
    """The load's ratio to the raw read, what the last load stored, and its raw rows' links."""
    raw = load["raw DuckDB read_csv"][0]
    mine = load["peacewatch load"]
    size = store.stat().st_size + sum(
        p.stat().st_size for p in store.with_name(store.name + ".files").glob("*")
    )
    done = subprocess.run(
        [sys.executable, "-c", STORED, str(store)], capture_output=True, text=True, check=True
    )
    events, linked = (int(v) for v in done.stdout.split()[-2:])
    for name, (wall, peak) in load.items():
        print(f"{name:44}{wall:10.1f} s{peak:10.0f} MiB")
    print(
        f"load: {mine[0] / raw:.2f}x the raw DuckDB read (goal <= 2x), peak {mine[1]:,.0f} MiB "
        f"(goal < 1,024); store and kept file {size / 2**20:,.0f} MiB; "
        f"{linked:,} of {events:,} events find their raw row with the same id\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--only-load", action="store_true", help="time the load only")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="pw-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"GEDEvent_synthetic_{args.rows}.csv"
    if not data.exists():
        build(data, args.rows)
    print(f"{args.rows:,} events in {data} ({data.stat().st_size / 2**20:,.0f} MiB)\n")
    store = work / "load.duckdb"
    boundaries = [
        SHARED / "data" / "boundaries_cod_ab" / "mli" / "mli_admbnda_adm1_1m_gov_20211220.shp",
        SHARED / "data" / "boundaries_cod_ab" / "bfa" / "geoBoundaries-BFA-ADM1_simplified.geojson",
    ]

    def fresh(name: str) -> None:
        """Remove what contender `name` writes (all with ""), so each run starts empty."""
        globs = {"peacewatch load": ["load.duckdb*"], "raw DuckDB read_csv": ["raw.duckdb*"]}
        chosen = globs.get(name, []) if name else ["load.duckdb*", "raw.duckdb*"]
        for p in [q for g in chosen for q in work.glob(g)]:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        if name in ("", "pandas read_csv + to_parquet"):
            (work / "pandas.parquet").unlink(missing_ok=True)

    env_store = ["--store", str(store), "--report-dir", str(work / "reports")]
    load = alternate(
        {
            "peacewatch load": [EXE, "load", "ucdp-ged", str(data), *env_store],
            "raw DuckDB read_csv": [
                sys.executable,
                "-c",
                RAW_DUCKDB,
                str(data),
                str(work / "raw.duckdb"),
            ],
            "pandas read_csv + to_parquet": [
                sys.executable,
                "-c",
                PANDAS_PARQUET,
                str(data),
                str(work / "pandas.parquet"),
            ],
        },
        args.runs,
        before=fresh,
    )
    report_load(load, store)
    if args.only_load:
        return
    # The store the panels read: boundaries, then the file.
    fresh("")
    for path in boundaries:
        measure([EXE, "load", "boundaries", str(path), *env_store])
    measure([EXE, "load", "ucdp-ged", str(data), *env_store])
    bench = str(Path(__file__).parent)
    panel_py = alternate(
        {
            "panel.panel in Python (the call)": [sys.executable, "-c", PANEL_PY, str(store)],
            "pandas groupby on events in memory": [
                sys.executable,
                "-c",
                PANDAS_PANEL,
                str(store),
                bench,
            ],
        },
        args.runs,
        own=True,
    )
    out = work / "grid.parquet"
    cli_cmd = [
        EXE,
        "panel",
        "--unit",
        "priogrid",
        "--country",
        "MLI,BFA",
        "--from",
        "1989-01-01",
        "--to",
        "2023-12-31",
        "--format",
        "parquet",
        "--out",
        str(out),
        "--store",
        str(store),
    ]
    contenders = {"peacewatch panel (DuckDB)": cli_cmd}
    if not args.skip_spark:
        contenders["peacewatch panel --engine spark"] = [*cli_cmd, "--engine", "spark"]
    cli = alternate(contenders, args.runs)
    helped = alternate({"peacewatch --help": [EXE, "--help"]}, max(args.runs, 5))
    import pandas as pd

    rows = len(pd.read_parquet(out, columns=["unit"]))
    print(f"{'measure':44}{'median s':>10}{'peak MiB':>10}")
    for table in (panel_py, cli, helped):
        for name, (wall, peak) in table.items():
            print(f"{name:44}{wall:10.1f}{peak:10.0f}")
        print()
    py, pdx = (
        panel_py["panel.panel in Python (the call)"][0],
        panel_py["pandas groupby on events in memory"][0],
    )
    print(f"panel in Python: {pdx / py:.1f}x faster than pandas (goal >= 3x)")
    print(
        f"panel rows: {rows:,}; CLI to Parquet {cli['peacewatch panel (DuckDB)'][0]:.1f} s "
        "(goal < 10 s)"
    )
    if not args.skip_spark:
        ratio = cli["peacewatch panel --engine spark"][0] / cli["peacewatch panel (DuckDB)"][0]
        print(f"Spark / DuckDB on the CLI panel: {ratio:.1f}x")


if __name__ == "__main__":
    main()
