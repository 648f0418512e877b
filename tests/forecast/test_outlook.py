import pandas as pd
import pytest

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, outlook


def test_forecast_after_the_last_month(mali_store):
    frame = outlook.forecast(mali_store, "MLI", "country", 6)
    assert list(frame["month"]) == list(pd.date_range("2024-01-01", periods=6, freq="MS"))
    assert (frame["origin"] == pd.Timestamp("2023-12-01")).all()
    ordered = frame[["q05", "q25", "median", "q75", "q95"]]
    assert (ordered.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert frame["p_ge_25"].between(0, 1).all()


def test_admin1_forecast_names_regions(mali_store):
    frame = outlook.forecast(mali_store, "MLI", "admin1", 3, model="conflictology_12")
    assert {"Mopti", "Gao", "Kidal"} <= set(frame["unit_name"])
    assert frame.groupby("unit").size().eq(3).all()


def test_admin1_backtest_and_bad_requests(mali_store):
    tables = backtest.run(mali_store, ["MLI"], unit="admin1", years=[2023])
    assert tables["by_unit"]["unit"].nunique() >= 9
    with pytest.raises(PeacewatchError, match="horizon"):
        outlook.forecast(mali_store, "MLI", "country", 0)
    with pytest.raises(PeacewatchError, match="PRIO-GRID"):
        outlook.forecast(mali_store, "MLI", "priogrid", 3)
