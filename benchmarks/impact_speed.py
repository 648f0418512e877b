"""Impact speed: the whole `peacewatch impact` run on a Mali store, and time per bootstrap draw.

Builds a store from the shared data (or uses PEACEWATCH_STORE if it exists), runs the analysis
(3 radii, sensitivity, placebo, leave-one-out), and times the pooled fit with 0 and with 9,999
bootstrap draws to give the cost of one draw (the wild cluster bootstrap needs no refit).

    .venv/bin/python benchmarks/impact_speed.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from load_speed import SHARED

from peacewatch import cli
from peacewatch.analysis import impact
from peacewatch.loading import load_file
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store


def mali_store() -> Path:
    existing = Path(os.environ.get("PEACEWATCH_STORE", ""))
    if existing.is_file():
        return existing
    path = Path(tempfile.mkdtemp(prefix="pw-impact-")) / "mali.duckdb"
    with Store.open(path) as st:
        for row in cli.manifest().to_dict("records"):
            if row["countries"] in ("MLI", "BFA", "*"):
                load_file(
                    st,
                    row["loader"],
                    SHARED / "data" / row["path"],
                    LoadOptions(
                        row["release"] or None, row["country"] or None, row["mission"] or None
                    ),
                )
    return path


def main() -> None:
    with Store.open(mali_store(), read_only=True) as st:
        spec = impact.ImpactSpec("MLI")
        t = time.perf_counter()
        result = impact.run(st, spec)
        total = time.perf_counter() - t
        data = impact.build_data(st, spec, 25.0, result.sites, result.data_end)
        timings = {}
        for reps in (1, 9999):
            sub = impact.ImpactSpec("MLI", replications=reps)
            t = time.perf_counter()
            impact.pooled_effect(data, sub)
            timings[reps] = time.perf_counter() - t
    per_draw = (timings[9999] - timings[1]) / 9998
    print(
        f"whole analysis (3 radii, sensitivity, placebo, leave-one-out, "
        f"{spec.replications} draws each): {total:.1f} s (goal: under 60 s)"
    )
    print(
        f"one pooled fit: {timings[1] * 1000:.0f} ms; one bootstrap draw: "
        f"{per_draw * 1e6:.1f} microseconds (no refit)"
    )


if __name__ == "__main__":
    main()
