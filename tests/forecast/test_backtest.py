import numpy as np
import pandas as pd
import pytest

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, models


@pytest.fixture(scope="module")
def series(mali_store):
    return backtest.country_series(mali_store, ["MLI", "BFA"])


def test_series_is_balanced_and_matches_the_panel(series, mali_store):
    months = series["month"].nunique()
    assert len(series) == 2 * months
    total = mali_store.con.execute(
        "SELECT sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
        "AND country_iso3 = 'MLI' AND violence_type = 1 AND date_precision <> 'year'"
    ).fetchone()[0]
    assert series.loc[series["unit"] == "MLI", "y"].sum() == total


def test_features_do_not_look_past_the_origin(series):
    """Leakage: changing every month after the origin must not change what the model sees."""
    origin = pd.Timestamp("2020-10-01")
    seen = models.features(backtest.origin_split(series, origin))
    tampered = series.copy()
    tampered.loc[tampered["month"] > origin, "y"] = 1e6
    again = models.features(backtest.origin_split(tampered, origin))
    pd.testing.assert_frame_equal(seen, again)
    # And the split really stops at the origin.
    assert backtest.origin_split(series, origin)["month"].max() == origin
    # A feature built with future data would differ: the check can fail.
    leaky = models.features(tampered[tampered["month"] <= origin + pd.DateOffset(months=2)])
    assert not leaky[leaky["month"] <= origin].equals(seen)


def test_protocol_reproduces_the_reference_conflictology_scores(series):
    """Issue 5 reference: conflictology-12 scores about 33 CRPS (Mali), 66 (Burkina Faso)."""
    forecasts = backtest.yearly_backtest(series, list(range(2018, 2024)), ["conflictology_12"])
    assert set(forecasts["horizon"]) == set(range(3, 15))
    assert len(forecasts) == 6 * 12 * 2
    table = backtest.score_table(forecasts, ["model", "unit"]).set_index("unit")
    assert table.loc["MLI", "crps"] == pytest.approx(33, abs=3)
    assert table.loc["BFA", "crps"] == pytest.approx(66, abs=5)


def test_models_share_one_interface(series):
    history = backtest.origin_split(series, pd.Timestamp("2021-10-01"))
    months = [pd.Timestamp(2022, m, 1) for m in range(1, 13)]
    for name, cls in models.REGISTRY.items():
        out = cls().fit(history).predict(months)
        assert set(out) == {"MLI", "BFA"}, name
        for samples in out.values():
            assert samples.shape == (12, models.DRAWS)
            assert (samples >= 0).all() and np.isfinite(samples).all()


def test_run_tables_and_bad_requests(mali_store):
    tables = backtest.run(mali_store, ["MLI", "BFA"], years=[2022, 2023])
    assert set(tables["by_unit"]["model"]) == {*backtest.BENCHMARKS, *backtest.LEARNED}
    assert set(tables["differences"]["benchmark"]) == set(backtest.BENCHMARKS)
    assert set(tables["differences"]["score"]) == {"crps", "ignorance", "interval_score_90"}
    for table in tables.values():
        assert (table["unit_type"] == "country").all()
        assert table["data_release"].str.contains("ged_mali_432.csv").all()
    # The PIT histogram sums to one per model.
    pits = tables["pit_histogram"].groupby("model")["share"].sum()
    assert np.allclose(pits, 1.0)
    with pytest.raises(PeacewatchError, match="priogrid"):
        backtest.run(mali_store, ["MLI"], unit="district")


def test_stepwise_mode_uses_every_month_as_an_origin(series):
    forecasts = backtest.stepwise_backtest(
        series, pd.Timestamp("2022-01-01"), pd.Timestamp("2022-06-01"), ["conflictology_12"]
    )
    assert forecasts["origin"].nunique() == 6
    assert set(forecasts["horizon"]) == set(range(1, 13))
    assert (forecasts["month"] > forecasts["origin"]).all()
    # Origins late in the data get only the months that exist.
    late = backtest.stepwise_backtest(
        series, pd.Timestamp("2023-10-01"), pd.Timestamp("2023-10-01"), ["zero"]
    )
    assert sorted(late["horizon"].unique()) == [1, 2]


@pytest.mark.slow
def test_the_ensemble_beats_conflictology_on_the_three_scores(series):
    """Issue 5: beat conflictology-12 on CRPS, ignorance and interval score for both countries,
    and the base rate on the Brier score for P(>= 25)."""
    forecasts = backtest.yearly_backtest(
        series, list(range(2018, 2024)), ["ensemble", "conflictology_12", "base_rate"]
    )
    table = backtest.score_table(forecasts, ["model", "unit"]).set_index(["model", "unit"])
    for unit in ("MLI", "BFA"):
        ours, bench = table.loc[("ensemble", unit)], table.loc[("conflictology_12", unit)]
        for score in ("crps", "ignorance", "interval_score_90"):
            assert ours[score] < bench[score], (unit, score)
        assert ours["brier_25"] < table.loc[("base_rate", unit), "brier_25"]
