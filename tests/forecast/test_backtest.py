import numpy as np
import pandas as pd
import pytest

from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, models, protocol, selection


@pytest.fixture(scope="module")
def series(mali_store):
    return backtest.country_series(mali_store, ["MLI", "BFA"])


@pytest.fixture
def engine_series(engine_store):
    """The country series on each engine (the parity suite)."""
    return backtest.country_series(engine_store, ["MLI", "BFA"])


def test_series_is_balanced_and_matches_the_panel(engine_series, engine_store):
    series = engine_series
    months = series["month"].nunique()
    assert len(series) == 2 * months
    total = engine_store.row(
        "SELECT sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
        "AND country_iso3 = 'MLI' AND violence_type = 1 AND date_precision <> 'year'"
    )[0]
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


def test_protocol_reproduces_the_reference_conflictology_scores(engine_series):
    """Issue 5 reference: conflictology-12 scores about 33 CRPS (Mali), 66 (Burkina Faso).

    A short backtest of the parity suite: on DuckDB and on PostgreSQL.
    """
    forecasts = backtest.yearly_backtest(
        engine_series, list(range(2018, 2024)), ["conflictology_12"]
    )
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
    """The protocol's tables on two test years: a choice per country and year, every candidate
    per country and year, block-bootstrap differences per country, goals stated."""
    configs = [
        c
        for c in selection.candidates("country")
        if c.label in ("zero", "conflictology_12", "negbin_12", "gbm_hurdle")
    ]
    tables = protocol.run(mali_store, ["MLI", "BFA"], years=[2022, 2023], configs=configs)
    chosen = tables["selected"]
    assert len(chosen) == 4 and set(chosen["country"]) == {"MLI", "BFA"}
    assert set(chosen["selected"]) <= {c.label for c in configs}
    yearly = tables["by_country_year"]
    assert set(yearly["model"]) == {
        *(c.label for c in configs),
        "selected",
        "calibrated",
        "stacked",
    }
    assert len(yearly) == 7 * 2 * 2
    picked = yearly[yearly["model"] == "selected"].set_index(["year", "country"])["config"]
    assert picked.to_dict() == chosen.set_index(["year", "country"])["selected"].to_dict()
    diffs = tables["differences"]
    assert set(diffs["country"]) == {"MLI", "BFA"}
    assert set(diffs["benchmark"]) == {"conflictology_12", "zero"}
    assert set(diffs["score"]) == {"crps", "ignorance", "interval_score_90"}
    assert (diffs["months"] == 24).all()
    # Goals are checked per country, met or not, against the figures in the tables.
    assert set(tables["goals"]["model"]) == {"selected", "calibrated", "stacked"}
    # `calibrated` is each choice recalibrated on the same validation months: its rows are the
    # chosen configuration's, its calibration one of the family, chosen per country and year.
    calibrated = tables["calibrated"].set_index(["year", "country"])
    assert (
        calibrated["selected"].to_dict()
        == chosen.set_index(["year", "country"])["selected"].to_dict()
    )
    assert (calibrated["validation_crps"] <= calibrated["validation_crps_uncalibrated"]).all()
    configs_used = yearly[yearly["model"] == "calibrated"].set_index(["year", "country"])["config"]
    for key, config in configs_used.items():
        assert config == f"{calibrated.loc[key, 'selected']} ({calibrated.loc[key, 'calibration']})"
    same = tables["forecasts"]
    for (year, country), row in calibrated.iterrows():
        if row["calibration"] != "none":
            continue
        mine = same[(same["year"] == year) & (same["country"] == country)]
        a = mine[mine["model"] == "calibrated"].sort_values("month")["crps"].to_numpy()
        b = mine[mine["model"] == "selected"].sort_values("month")["crps"].to_numpy()
        assert np.array_equal(a, b)
    goals = tables["goals"].set_index(["model", "country", "goal"])
    by_country = tables["by_country"].set_index(["model", "country"])
    ratio = (
        by_country.loc[("selected", "MLI"), "crps"]
        / by_country.loc[("conflictology_12", "MLI"), "crps"]
    )
    mali = ("selected", "MLI", "crps / conflictology_12")
    assert goals.loc[mali, "value"] == pytest.approx(ratio, abs=1e-3)
    assert goals.loc[mali, "met"] == (ratio <= 0.9)
    for table in tables.values():
        assert (table["unit_type"] == "country").all()
        assert table["data_release"].str.contains("ged_mali_432.csv").all()
    # The PIT histogram sums to one per model.
    pits = tables["pit_histogram"].groupby("model")["share"].sum()
    assert np.allclose(pits, 1.0)
    with pytest.raises(PeacewatchError, match="priogrid"):
        protocol.run(mali_store, ["MLI"], unit="district")


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
def test_the_full_protocol_reports_every_country_and_year(mali_store):
    """Every country candidate on two test years: a configuration per country and year from
    validation, and the goals stated for each country whatever the result (the six years'
    figures: benchmarks/forecast_goals.py, ADR 023)."""
    tables = protocol.run(mali_store, ["MLI", "BFA"], years=[2022, 2023], n_jobs=2)
    assert len(tables["selected"]) == 4
    assert (tables["selected"]["validation_months"] == 46).all()
    goals = tables["goals"]
    assert set(goals["country"]) == {"MLI", "BFA"}
    assert goals.groupby(["model", "country"]).size().eq(7).all()
    assert set(goals["model"]) == {"selected", "calibrated", "stacked"}
    assert goals["met"].dtype == bool
    print(goals[["model", "country", "goal", "shown", "wanted", "met"]])


def test_jobs_drop_covariates_and_teaching_units_unless_asked(series):
    """A country model taught by regions trains on them but never forecasts them; a model
    without covariates never sees them (the hurdle's features differ only when it does)."""
    origin = pd.Timestamp("2021-10-01")
    teaching = series.assign(unit="teach:admin1:" + series["unit"], y=series["y"] * 2)
    data = pd.concat([series, teaching], ignore_index=True)
    data["presence"] = np.where(data["month"].dt.year % 2 == 0, 3.0, 0.0)
    plain = backtest._job(data, backtest.Job(origin, range(3, 6), "gbm_hurdle", covariates=False))
    alone = backtest._job(series, backtest.Job(origin, range(3, 6), "gbm_hurdle", covariates=False))
    assert set(plain["unit"]) == {"MLI", "BFA"}
    pd.testing.assert_frame_equal(plain, alone)
    taught = backtest._job(
        data, backtest.Job(origin, range(3, 6), "gbm_hurdle", covariates=False, teach="admin1")
    )
    assert set(taught["unit"]) == {"MLI", "BFA"}
    assert not np.allclose(taught["crps"], plain["crps"])
    # Teaching units of another kind are not seen.
    other = backtest._job(
        data, backtest.Job(origin, range(3, 6), "gbm_hurdle", covariates=False, teach="priogrid")
    )
    pd.testing.assert_frame_equal(other, plain)
    seen = backtest._job(data, backtest.Job(origin, range(3, 6), "gbm_hurdle", covariates=True))
    assert not np.allclose(seen["mean_forecast"], plain["mean_forecast"])
