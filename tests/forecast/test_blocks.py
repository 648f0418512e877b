"""The per-country block bootstrap, on synthetic series whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from peacewatch.forecast import blocks


def _ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(size=n)
    out = np.zeros(n)
    for t in range(n):
        out[t] = phi * (out[t - 1] if t else 0.0) + noise[t]
    return out


@pytest.mark.parametrize("phi", [0.0, 0.6])
def test_the_interval_covers_a_known_difference_about_95_percent_of_the_time(phi):
    """72 months (six test years) of AR(1) differences around a true mean of 0.5: the interval
    covers 0.5 in about 95% of 400 series. Resampling months one by one (block 1) ignores the
    autocorrelation and covers far less when there is some: the check can fail."""
    rng = np.random.default_rng(1)
    covered, naive = 0, 0
    for rep in range(400):
        series = 0.5 + _ar1(72, phi, rng)
        _mean, low, high = blocks.interval(series, reps=499, seed=rep)
        covered += low <= 0.5 <= high
        _mean, low, high = blocks.interval(series, block=1, reps=499, seed=rep)
        naive += low <= 0.5 <= high
    assert 0.91 <= covered / 400 <= 0.985
    if phi:
        assert naive / 400 < 0.8


def test_the_interval_of_a_constant_difference_is_that_difference():
    mean, low, high = blocks.interval(np.full(36, -2.0))
    assert mean == low == high == -2.0


def test_differences_are_per_country_and_per_month():
    """Two countries, one whose model is better by exactly 1 every month, one no different."""
    months = pd.date_range("2018-01-01", periods=24, freq="MS")
    rows = []
    for country, gain in (("AAA", 1.0), ("BBB", 0.0)):
        for unit in (f"{country}1", f"{country}2"):
            for i, month in enumerate(months):
                base = 5.0 + (i % 3)
                for model, score in (("ours", base - gain), ("bench", base)):
                    rows.append(
                        {
                            "country": country,
                            "model": model,
                            "origin": pd.Timestamp("2017-10-01"),
                            "unit": unit,
                            "month": month,
                            "crps": score,
                        }
                    )
    table = blocks.differences(pd.DataFrame(rows), ["ours"], ["bench"], ("crps",))
    table = table.set_index("country")
    assert table.loc["AAA", "difference"] == pytest.approx(-1.0)
    assert table.loc["AAA", "high"] == pytest.approx(-1.0)
    assert table.loc["AAA", "relative"] == pytest.approx(-1.0 / 6.0)
    assert table.loc["BBB", "difference"] == pytest.approx(0.0)
    assert (table["months"] == 24).all()
