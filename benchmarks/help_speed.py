"""`peacewatch --help` and a command's help: median wall time of fresh processes (issue 16).

Goal: under 0.5 s (it was 4.7 s on this machine kind when every command imported statsmodels,
WeasyPrint and the forecasts). Compare with an older checkout pair by pair with
`farm-bench --vs 'OLD/.venv/bin/peacewatch --help' -- .venv/bin/peacewatch --help`.

    .venv/bin/python benchmarks/help_speed.py [--runs 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.5


def seconds(command: list[str]) -> float:
    """Wall time of one run of `command` (output discarded)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    exe = shutil.which("peacewatch") or str(Path(sys.executable).parent / "peacewatch")
    print(f"{'command':<28} {'median s':>9} {'min s':>7} {'goal s':>7}  met")
    for extra in ([], ["backtest"], ["brief"]):
        command = [exe, *extra, "--help"]
        times = [seconds(command) for _ in range(args.runs)]
        median = statistics.median(times)
        label = " ".join(["peacewatch", *extra, "--help"])
        met = "met" if median < GOAL_SECONDS else "NOT met"
        print(f"{label:<28} {median:>9.3f} {min(times):>7.3f} {GOAL_SECONDS:>7.1f}  {met}")


if __name__ == "__main__":
    main()
