"""PRIO-GRID forecasts: spatial lags across borders, no look-ahead, and the grid backtest."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from peacewatch import geo
from peacewatch.forecast import backtest, protocol, selection


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
def test_grid_protocol_chooses_per_country_on_the_cells_of_the_countries(mali_store):
    """PRIO-GRID, Mali + Burkina Faso, test year 2023, four of the grid candidates (all of them:
    benchmarks/forecast_goals.py): each country's configuration comes from its own cells'
    validation scores; only the countries' cells are forecast."""
    configs = [
        c
        for c in selection.candidates("priogrid")
        if c.label in ("zero", "conflictology_12", "negbin_12", "gbm_hurdle")
    ]
    tables = protocol.run(
        mali_store, ["MLI", "BFA"], unit="priogrid", years=[2023], n_jobs=2, configs=configs
    )
    cells = backtest.unit_countries(mali_store, ["MLI", "BFA"], "priogrid")
    forecasts = tables["forecasts"]
    assert set(forecasts["unit"]) == set(cells)
    assert (forecasts["country"] == forecasts["unit"].map(cells)).all()
    chosen = tables["selected"]
    assert len(chosen) == 2
    validation = tables["validation"]
    for row in chosen.itertuples():
        part = validation[(validation["year"] == row.year) & (validation["country"] == row.country)]
        assert row.selected == part.loc[part["crps"].idxmin(), "model"]
    goals = tables["goals"]
    assert set(goals["goal"]) >= {"crps / zero", "ignorance / conflictology_12", "level ratio"}
    diffs = tables["differences"]
    assert set(diffs[diffs["model"] == "selected"]["country"]) == {"MLI", "BFA"}
    print(tables["by_country"][["model", "country", "crps", "ignorance", "level_ratio"]])


def test_forecast_cells_are_chosen_without_outcomes(mali_grid, mali_store, tmp_path):
    """The cells forecast are those whose centre lies in the country's polygons, whatever
    happened in them: moving 300 events far outside Mali and deleting 2023 changes the panel's
    cells (it adds any cell with an event) but not the cells forecast. Their area adds up to
    Mali's published 1,240,192 km2."""
    from peacewatch import panel
    from peacewatch.loading import load_file
    from peacewatch.store import Store
    from tests.conftest import COD_AB, GED_MALI

    cells = backtest.unit_countries(mali_store, ["MLI"], "priogrid")
    assert set(mali_grid["unit"]) == set(cells)
    assert set(cells.values()) == {"MLI"}
    km = 0.5 * 111.32
    area = sum(km * km * np.cos(np.radians(geo.priogrid_centroid(int(c))[0])) for c in cells)
    assert area == pytest.approx(1_240_192, rel=0.03)

    st = Store.open(tmp_path / "tamper.duckdb")
    load_file(st, "boundaries", COD_AB / "mli" / "mli_admbnda_adm1_1m_gov_20211220.shp")
    load_file(st, "ucdp-ged", GED_MALI)
    before = backtest.unit_countries(st, ["MLI"], "priogrid")
    panel_before = set(panel.panel(st, "priogrid", "MLI")["unit"])
    far = geo.priogrid_gid(30.25, 10.25)
    st.con.execute(
        "UPDATE events SET priogrid_gid = ?, latitude = 30.25, longitude = 10.25 "
        "WHERE event_id IN (SELECT event_id FROM events ORDER BY event_id LIMIT 300)",
        [far],
    )
    st.con.execute("DELETE FROM events WHERE year(date_start) = 2023")
    assert set(panel.panel(st, "priogrid", "MLI")["unit"]) != panel_before
    assert backtest.unit_countries(st, ["MLI"], "priogrid") == before == cells
    st.close()


def test_quiet_rows_are_subsampled(mali_grid):
    """quiet_share=0.1 keeps a tenth of the quiet rows (no death in the cell or its neighbours,
    of any type, in the last 12 months, none at the target month). Recounted here from the
    series; the distance to the nearest violence, never 0, no longer makes every row active."""
    origin = pd.Timestamp("2020-10-01")
    history = backtest.origin_split(mali_grid, origin)
    model = backtest.models.GradientBoostingHurdle(window=60, quiet_share=0.1, max_iter=10)
    model.fit(history)
    wide = {
        c: history.pivot(index="month", columns="unit", values=c).sort_index()
        for c in ("y", "ns_other", "os_other", "nb_y", "nb2_y")
    }
    active = sum(t.rolling(12, min_periods=1).sum() for t in wide.values()) > 0
    recent = wide["y"].index > origin - pd.DateOffset(months=60)
    expected = 0
    for h in range(1, model.max_horizon + 1):
        later = wide["y"].shift(-h)
        quiet = ~active & (later == 0) & later.notna()
        expected += int(quiet[recent].to_numpy().sum())
    assert model.quiet_rows == expected > 100_000
    share = model.dropped_rows / model.quiet_rows
    assert share == pytest.approx(0.9, abs=0.005)
