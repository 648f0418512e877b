"""Spark builds the same panel as DuckDB (issue 16): a synthetic GED-layout file, every unit."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from peacewatch import panel
from peacewatch.errors import StoreError
from peacewatch.loading import load_file
from peacewatch.store import Store
from tests.conftest import CURRENT_BOUNDARIES, GED_BFA, GED_MALI, REFERENCE
from tests.gedfiles import synthetic_events

pytestmark = pytest.mark.slow
SAHEL = (-12.0, 9.5, 4.0, 24.5)  # min lon, min lat, max lon, max lat: Mali and Burkina Faso


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A DuckDB store of 3,000 synthetic events (1989-2023) and its Spark copy."""
    if shutil.which("java") is None:
        pytest.skip("no Java runtime on this machine (apt-get install openjdk-17-jre-headless)")
    from peacewatch.sparkstore import SparkStore, session

    work = tmp_path_factory.mktemp("spark")
    events = synthetic_events(work / "ged.csv", [GED_MALI, GED_BFA], 3000, SAHEL, seed=7)
    duck = Store.open(work / "s.duckdb")
    for path in CURRENT_BOUNDARIES[:2]:
        load_file(duck, "boundaries", path)
    load_file(duck, "ucdp-ged", events)
    load_file(duck, "camps", REFERENCE / "minusma_camps.csv")
    spark = session("local[2]")
    yield duck, SparkStore.from_store(duck, work / "parquet", spark)
    spark.stop()
    duck.close()


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid", "site:25"])
def test_the_spark_panel_equals_the_duckdb_panel(stores, unit):
    duck, spark = stores
    expected = panel.panel(duck, unit, "MLI,BFA" if unit != "site:25" else "MLI")
    found = panel.panel(spark, unit, "MLI,BFA" if unit != "site:25" else "MLI")
    assert len(found) == len(expected) > 0
    assert expected["events"].sum() > 1000 or unit == "site:25"
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)


def test_the_spark_store_is_read_only(stores):
    _, spark = stores
    with pytest.raises(StoreError, match="read-only"), spark.writing():
        pass
    with pytest.raises(StoreError, match="read-only"):
        spark.write("DELETE FROM events")


def test_the_command_line_builds_a_panel_on_spark(stores, tmp_path):
    duck, _ = stores
    copy = duck.copy_to(tmp_path / "copy.duckdb")  # the command reads a copy
    out = tmp_path / "grid.parquet"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("peacewatch")),
            "panel",
            "--unit",
            "priogrid",
            "--country",
            "MLI,BFA",
            "--engine",
            "spark",
            "--format",
            "parquet",
            "--out",
            str(out),
            "--store",
            str(copy),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    expected = panel.panel(duck, "priogrid", "MLI,BFA")
    found = pd.read_parquet(out)
    assert len(found) == len(expected)
    assert found["fatalities_best"].sum() == expected["fatalities_best"].sum()
