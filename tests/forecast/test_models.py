"""The hurdle's drift correction, on synthetic panels whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from peacewatch.forecast import models


def _panel(rates: list[tuple[int, float]], units: int = 300, seed: int = 0) -> pd.DataFrame:
    """units x months of Bernoulli(rate) months with deaths, sizes 1 + Poisson(4).

    `rates`: (number of months, rate) blocks in order; units are independent, so the best
    forecast of a month with deaths is the rate of the last block.
    """
    rng = np.random.default_rng(seed)
    rate = np.concatenate([np.full(n, r) for n, r in rates])
    months = pd.date_range("2010-01-01", periods=len(rate), freq="MS")
    hit = rng.uniform(size=(units, len(rate))) < rate
    y = np.where(hit, 1 + rng.poisson(4, hit.shape), 0).astype(float)
    return pd.DataFrame(
        {
            "unit": np.repeat([f"u{i}" for i in range(units)], len(rate)),
            "month": np.tile(months, units),
            "y": y.ravel(),
        }
    )


def _share_with_deaths(history: pd.DataFrame, **options: object) -> tuple[float, float]:
    model = models.GradientBoostingHurdle(max_iter=50, **options).fit(history)  # type: ignore[arg-type]
    origin = history["month"].max()
    months = [origin + pd.DateOffset(months=h) for h in range(1, 13)]
    samples = np.concatenate(list(model.predict(months).values()))
    return float((samples > 0).mean()), model._logit_shift


def test_drift_follows_violence_that_keeps_spreading():
    """The rate of months with deaths climbs from 0.02 to 0.20 over the last five years and
    keeps climbing (0.2195 on average over the next 12 months). Trees cannot extrapolate: the
    plain hurdle stays near the rates it has seen; the drift-corrected one, which carries last
    year's miss forward, comes closer (mean over three draws of the panel)."""
    ramp = [(60, 0.02)] + [(1, 0.02 + 0.18 * (i + 1) / 60) for i in range(60)]
    truth = 0.02 + 0.18 * (1 + 6.5 / 60)
    plain, corrected, shifts = [], [], []
    for seed in range(3):
        history = _panel(ramp, seed=seed)
        plain.append(_share_with_deaths(history)[0])
        share, shift = _share_with_deaths(history, drift=True)
        corrected.append(share)
        shifts.append(shift)
    assert min(shifts) > 0.2
    assert np.mean(plain) < truth - 0.02
    assert abs(np.mean(corrected) - truth) < abs(np.mean(plain) - truth)


def test_no_drift_when_nothing_changes():
    """A stationary panel: the correction stays near zero and the forecast near the rate."""
    history = _panel([(120, 0.08)], seed=1)
    corrected, shift = _share_with_deaths(history, drift=True)
    assert abs(shift) < 0.2
    assert corrected == pytest.approx(0.08, abs=0.015)


def test_drift_is_capped_and_needs_history():
    """A jump from almost never to almost always in the hold-out year hits the cap; a series
    shorter than the hold-out plus the horizons gets no correction at all."""
    _, shift = _share_with_deaths(_panel([(108, 0.01), (12, 0.9)], units=100), drift=True)
    assert shift == pytest.approx(1.5)
    _, short = _share_with_deaths(_panel([(20, 0.01), (6, 0.5)], units=100), drift=True)
    assert short == 0.0


def test_restart_at_the_origin_changes_nothing_and_moves_the_origin():
    """Restarting a fitted hurdle at its own origin gives the same draws; at an earlier origin
    it forecasts from that month's features with the same trees."""
    history = _panel([(60, 0.1)], units=50)
    model = models.GradientBoostingHurdle(max_iter=20).fit(history)
    months = [pd.Timestamp("2015-01-01"), pd.Timestamp("2015-02-01")]
    before = model.predict(months)
    after = model.restart(history).predict(months)
    assert all(np.array_equal(before[u], after[u]) for u in before)
    earlier = history[history["month"] <= pd.Timestamp("2013-06-01")]
    model.restart(earlier)
    assert model._origin == pd.Timestamp("2013-06-01")
    assert model.predict([pd.Timestamp("2013-07-01")])["u0"].shape == (1, models.DRAWS)


def test_a_series_violent_every_month_is_not_forecast_as_zero():
    """The classifier of a unit with deaths every month knows one class; P(y > 0) must be 1,
    not scikit-learn's meaningless second column (which gave 0 deaths for 35 a month)."""
    import numpy as np
    import pandas as pd

    from peacewatch.forecast import models

    months = pd.date_range("2012-01-01", periods=144, freq="MS")
    rng = np.random.default_rng(3)
    history = pd.DataFrame({"unit": "X", "month": months, "y": rng.poisson(35, 144) + 1.0})
    model = models.GradientBoostingHurdle(max_horizon=3).fit(history)
    samples = model.predict(list(pd.date_range("2024-01-01", periods=3, freq="MS")))["X"]
    assert (samples > 0).mean() > 0.99
    assert 20 <= float(np.median(samples)) <= 60


def _iid_counts(r: float = 2.0, mean: float = 19.0, units: int = 12, months: int = 120):
    """y = 1 + NB(r, mean) every unit-month: positive every month, known mean and variance."""
    rng = np.random.default_rng(11)
    index = pd.date_range("2010-01-01", periods=months, freq="MS")
    y = 1.0 + rng.negative_binomial(r, r / (r + mean), (units, months))
    return pd.DataFrame(
        {
            "unit": np.repeat([f"u{i}" for i in range(units)], months),
            "month": np.tile(index, units),
            "y": y.ravel().astype(float),
        }
    )


def test_hurdle_nb_recovers_a_shifted_negative_binomial():
    """1 + NB(r=2, mean 19): mean 20, variance 19 + 19**2 / 2 = 199.5 (closed form)."""
    history = _iid_counts()
    months = list(pd.date_range("2020-01-01", periods=12, freq="MS"))
    model = models.GradientBoostingHurdle(size="negbin", max_iter=50).fit(history)
    samples = np.concatenate(list(model.predict(months).values()))
    assert samples.min() >= 1
    assert samples.mean() == pytest.approx(20.0, rel=0.1)
    assert samples.var() == pytest.approx(199.5, rel=0.3)
    assert model._trees is not None and model._trees.size_r == pytest.approx(2.0, rel=0.35)


def test_one_model_per_horizon_trains_each_on_its_own_rows():
    history = _iid_counts()
    months = list(pd.date_range("2020-03-01", periods=12, freq="MS"))
    model = models.GradientBoostingHurdle(per_horizon=True, max_iter=50).fit(history)
    assert model._trees is not None
    assert sorted(model._trees.clf) == list(range(1, 15))
    samples = model.predict(months)
    assert all(s.shape == (12, models.DRAWS) for s in samples.values())
    # Lognormal sizes on log1p: the median (17, by simulation of 1 + NB) is right even where
    # the mean is not.
    assert np.median(np.concatenate(list(samples.values()))) == pytest.approx(17.0, rel=0.2)
    with pytest.raises(ValueError, match="size"):
        models.GradientBoostingHurdle(size="gamma")
