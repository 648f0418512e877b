"""PRIO-GRID forecasts: spatial lags across borders, no look-ahead, and the grid backtest."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from peacewatch import geo
from peacewatch.forecast import backtest


def test_priogrid_neighbours_closed_form():
    gid = geo.priogrid_gid(14.25, -3.25)
    row, col = divmod(gid - 1, 720)
    assert geo.priogrid_neighbours(gid) == sorted(
        (row + dr) * 720 + col + dc + 1 for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc
    )
    assert len(geo.priogrid_neighbours(gid, 2)) == 16
    assert gid not in geo.priogrid_neighbours(gid, 2)
    # Column 0 touches column 719 (the date line).
    assert 720 in geo.priogrid_neighbours(1 + 720)


@pytest.fixture(scope="module")
def mali_grid(mali_store):
    return backtest.unit_series(mali_store, ["MLI"], "sb", "priogrid")


def test_spatial_lag_crosses_the_border(mali_grid, mali_store):
    """Mali-only series: a border cell's neighbour lag counts Burkina Faso's events too,
    recounted here from the events' coordinates."""
    events = mali_store.con.execute(
        "SELECT latitude, longitude, country_iso3, fatalities_best, "
        "CAST(date_trunc('month', date_start) AS DATE) AS month FROM events "
        "WHERE source = 'ucdp_ged' AND violence_type = 1 AND date_precision <> 'year'"
    ).df()
    events["gid"] = [
        geo.priogrid_gid(a, b) for a, b in zip(events["latitude"], events["longitude"], strict=True)
    ]
    events["month"] = pd.to_datetime(events["month"])
    mali_cells = set(mali_grid["unit"].astype(int))
    foreign = events[(events["country_iso3"] == "BFA") & ~events["gid"].isin(mali_cells)]
    border = sorted(c for c in mali_cells if set(geo.priogrid_neighbours(c)) & set(foreign["gid"]))
    assert border, "some Malian cells touch cells with Burkina Faso's events"
    checked = 0
    for cell in border[:10]:
        around = events[events["gid"].isin(geo.priogrid_neighbours(cell))]
        expected = around.groupby("month")["fatalities_best"].sum()
        got = mali_grid[mali_grid["unit"] == str(cell)].set_index("month")["nb_y"]
        assert got.sum() == expected.sum()
        assert (got.reindex(expected.index) == expected).all()
        checked += around["country_iso3"].eq("BFA").any()
    assert checked > 0


def test_distance_to_recent_violence(mali_grid):
    active = mali_grid[mali_grid["y"] > 0]
    assert (active["nb_dist_km"] == 0).all()
    assert mali_grid["nb_dist_km"].between(0, backtest.FAR_KM).all()
    # A cell next to an active one, none in itself for 12 months: one cell away.
    row = mali_grid[(mali_grid["nb_dist_km"] > 0) & (mali_grid["nb_y"] > 0)].iloc[0]
    lat, _lon = geo.priogrid_centroid(int(row["unit"]))
    one_cell = min(0.5 * 111.2 * np.cos(np.radians(lat + 0.5)), 0.5 * 111.2)
    assert row["nb_dist_km"] == pytest.approx(one_cell, rel=0.05) or row[
        "nb_dist_km"
    ] == pytest.approx(np.hypot(one_cell, 0.5 * 111.2), rel=0.05)


def test_grid_covariates_never_look_past_the_origin(mali_store):
    """Leakage: every covariate at month t must be the same whether or not the store's events
    after t exist (series built with data up to the origin vs. with everything)."""
    origin = pd.Timestamp("2020-10-01")
    full = backtest.unit_series(mali_store, ["MLI", "BFA"], "sb", "priogrid", covariates=True)
    cut = backtest.unit_series(
        mali_store, ["MLI", "BFA"], "sb", "priogrid", end=date(2020, 10, 31), covariates=True
    )
    seen = full[full["month"] <= origin].set_index(["unit", "month"]).sort_index()
    again = cut[cut["month"] <= origin].set_index(["unit", "month"]).sort_index()
    shared = seen.index.intersection(again.index)
    assert len(shared) > 100_000
    pd.testing.assert_frame_equal(seen.loc[shared], again.loc[shared][seen.columns])


@pytest.mark.slow
def test_grid_backtest_against_the_benchmarks(mali_store):
    """Issue 5 at PRIO-GRID level (Mali + Burkina Faso, 2018-2023, sb). What holds: the learned
    model beats the zero forecast on CRPS (paired interval below 0; not by the 10% asked), its
    ignorance is below conflictology-12's, its randomised-PIT 90% coverage lies in 85-95% and,
    with the drift correction, its level ratio in 0.8-1.25 (0.49 without)."""
    tables = backtest.run(mali_store, ["MLI", "BFA"], unit="priogrid", n_jobs=2)
    scores = tables["by_model"].set_index("model")
    ours = scores.loc["gbm_hurdle"]
    assert ours["n"] > 30_000
    assert ours["crps"] < scores.loc["zero", "crps"]
    assert ours["ignorance"] < scores.loc["conflictology_12", "ignorance"]
    assert 0.85 <= ours["pit_coverage_90"] <= 0.95
    assert 0.8 <= ours["level_ratio"] <= 1.25
    diff = tables["differences"].set_index(["model", "benchmark", "score"])
    assert diff.loc[("gbm_hurdle", "zero", "crps"), "high"] < 0
    print(scores[["crps", "ignorance", "coverage_90", "pit_coverage_90", "level_ratio"]])
