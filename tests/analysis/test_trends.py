import numpy as np
import pandas as pd
import pytest

from peacewatch.analysis import trends


def _series(values):
    return pd.Series(values, index=pd.date_range("2015-01-01", periods=len(values), freq="MS"))


def test_a_known_step_is_found_at_its_month():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.poisson(5, 36), rng.poisson(60, 36)])
    breaks = trends.change_points(_series(values))
    assert len(breaks) == 1
    assert breaks[0].month == pd.Timestamp("2018-01-01")
    assert breaks[0].mean_before < 10
    assert breaks[0].mean_after > 40


def test_a_stable_series_has_no_break():
    rng = np.random.default_rng(11)
    assert trends.change_points(_series(rng.poisson(20, 96))) == []


def test_linear_trend_closed_form():
    frame = trends.trend(_series(np.arange(24) * 2.0), [("2015-01-01", "2016-12-01")])
    assert frame["trend_per_year"].iloc[0] == pytest.approx(24.0)  # 2 a month
    assert frame["total"].iloc[0] == sum(range(24)) * 2
