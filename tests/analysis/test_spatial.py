import numpy as np
import pandas as pd

from peacewatch.analysis import spatial


def test_lag_of_a_shifted_copy_is_found():
    rng = np.random.default_rng(3)
    own = rng.poisson(30, 60).astype(float)
    frame = pd.DataFrame({"country_fatalities": own, "border_fatalities_across": np.roll(own, 3)})
    corr = spatial.lagged_correlations(frame, max_lag=6)
    assert int(corr.sort_values("correlation").iloc[-1]["lag_months"]) == 3


def test_hotspots_on_the_real_grid(mali_store):
    hot = spatial.hotspots(mali_store, "MLI", 2022, "priogrid")
    assert 400 <= len(hot) <= 520
    assert {"hot spot", "not significant"} <= set(hot["class"])
    hot_mean = hot.loc[hot["class"] == "hot spot", "fatalities"].mean()
    assert hot_mean > hot["fatalities"].mean()
    admin = spatial.hotspots(mali_store, "MLI", 2022, "admin1")
    assert len(admin) == 10 and admin["z"].notna().all()  # COD-AB: Mali's 10 regions, Menaka too


def test_spillover_series(mali_store):
    frame = spatial.spillover(mali_store, "MLI", "2016-01-01", "2023-12-31")
    assert len(frame) == 96
    assert frame["border_fatalities_across"].sum() > 0
