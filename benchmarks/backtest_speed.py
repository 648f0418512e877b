"""Backtest speed: the full PRIO-GRID protocol (Mali + Burkina Faso, 2018-2023, every grid
candidate at the test and validation origins), serial and on a local 2-worker Dask cluster.

Each run is a child process; the parent samples the resident memory of the child and all its
descendants (the Dask scheduler and workers) every 0.1 s and prints the peak of their sum.

    .venv/bin/python benchmarks/backtest_speed.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
from impact_speed import mali_store

RUN = """
import sys
from peacewatch.forecast import backtest, protocol
from peacewatch.store import Store

store, mode = sys.argv[1], sys.argv[2]

def go():
    with Store.open(store, read_only=True) as st:
        tables = protocol.run(st, ["MLI", "BFA"], unit="priogrid")
    row = tables["by_model"].set_index("model").loc["selected"]
    print(int(row["n"]), round(row["crps"], 4))

if mode == "dask":
    import os
    from dask.distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster:
        os.environ[backtest.DASK_ENV] = cluster.scheduler_address
        go()
else:
    go()
"""


def measure(store: Path, mode: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree (MB) and the run's own line of output."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", RUN, str(store), mode], stdout=subprocess.PIPE, text=True
    )
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    output = child.stdout.read().strip() if child.stdout else ""
    if child.returncode:
        raise SystemExit(f"{mode} run failed ({child.returncode})")
    return seconds, peak / 2**20, output


def main() -> None:
    store = mali_store()
    print(f"{'':28}{'seconds':>9}{'peak MB':>10}  forecasts, selected CRPS")
    for mode in ("serial", "dask"):
        seconds, mb, output = measure(store, mode)
        label = "serial (1 process)" if mode == "serial" else "Dask, 2 workers x 1 thread"
        print(f"{label:28}{seconds:9.1f}{mb:10.0f}  {output}")


if __name__ == "__main__":
    main()
