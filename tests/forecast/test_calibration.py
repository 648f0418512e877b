"""Recalibration: the transform in closed form, and the choice made on validation years only."""

import numpy as np
import pandas as pd
import pytest

from peacewatch.forecast import backtest, calibration, scoring, selection

YEARS = [2021, 2022, 2023]
CONFIGS = [selection.Config("conflictology_12", "conflictology_12")]


def test_identity_zero_and_level_in_closed_form():
    x = np.array([[0.0, 1.0, 3.0, 99.0]])
    assert np.array_equal(calibration.transform(x, calibration.IDENTITY), x)
    assert np.array_equal(calibration.transform(x, (2.0, 1.0)), 2 * x)
    # spread 1.3: level * ((1 + x) ** 1.3 - 1); zeros stay zeros.
    assert np.allclose(calibration.transform(x, (1.5, 1.3)), 1.5 * ((1 + x) ** 1.3 - 1))
    assert calibration.transform(x, (2.0, 1.3))[0, 0] == 0.0
    assert calibration.FAMILY[0] == calibration.IDENTITY
    assert len(set(calibration.FAMILY)) == len(calibration.FAMILY)


def test_variants_rescore_only_what_changes():
    """The identity rows are the plain scores; an all-zero forecast is the same in every variant;
    a rescaled one is scored as if its samples had been scaled by hand."""
    rng = np.random.default_rng(1)
    samples = np.vstack([np.zeros(500), rng.poisson(4.0, 500), rng.poisson(30.0, 500)])
    rows = pd.DataFrame({"unit": ["a", "b", "c"], "observed": [3.0, 9.0, 20.0]})
    family = (calibration.IDENTITY, (2.0, 1.0))
    scored = calibration.scored_variants(rows, samples, family)
    plain = pd.concat([rows, scoring.pointwise(samples, rows["observed"].to_numpy())], axis=1)
    identity = scored[scored["calibration"] == "none"].drop(columns="calibration")
    pd.testing.assert_frame_equal(identity.reset_index(drop=True), plain)
    doubled = scored[scored["calibration"] == "level 2 spread 1"].reset_index(drop=True)
    assert doubled.loc[0, "crps"] == plain.loc[0, "crps"]
    by_hand = scoring.crps(2 * samples[1:], rows["observed"].to_numpy()[1:])
    assert np.allclose(doubled.loc[1:, "crps"].to_numpy(), by_hand)
    assert np.allclose(doubled.loc[1:, "mean_forecast"], 2 * samples[1:].mean(axis=1))


def _growing() -> pd.DataFrame:
    """Two countries whose deaths grow 6% a month: conflictology-12 trails them by about half."""
    months = pd.date_range("2010-01-01", "2023-12-01", freq="MS")
    rng = np.random.default_rng(7)
    rows = [
        {"unit": unit, "month": m, "y": float(rng.poisson(scale * 1.06 ** (i / 1.0) / 50))}
        for unit, scale in (("AAA", 1.0), ("BBB", 3.0))
        for i, m in enumerate(months)
    ]
    return pd.DataFrame(rows)


def _calibrate(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    origins = selection.protocol_origins(YEARS)
    every = selection.run_configs(data, origins, CONFIGS)
    every["country"] = every["unit"]
    choices, _validation = selection.choose(every, YEARS, [c.label for c in CONFIGS])
    country_of = {"AAA": "AAA", "BBB": "BBB"}
    return selection.calibrate(data, choices, CONFIGS, origins, country_of)


@pytest.fixture(scope="module")
def growing():
    return _growing()


def test_a_forecast_that_trails_growth_is_scaled_up_and_its_level_restored(growing):
    table, rows = _calibrate(growing)
    assert set(table["calibration"]) <= {calibration.label(c) for c in calibration.FAMILY}
    # Every choice scales up (a level above 1, or a spread that stretches counts this large).
    assert (table["calibration"] != "none").all()
    assert (table["validation_crps"] < table["validation_crps_uncalibrated"]).all()
    plain = selection.run_configs(growing, [selection.origin_for(y) for y in YEARS], CONFIGS)
    before = plain["mean_forecast"].sum() / plain["observed"].sum()
    after = rows["mean_forecast"].sum() / rows["observed"].sum()
    assert before < 0.6
    assert 0.8 <= after <= 1.25


def test_tampering_with_the_test_year_does_not_change_the_calibration(growing):
    """Every month forecast for 2023 set to 0: 2023's calibration and its validation score stay."""
    table, _rows = _calibrate(growing)
    tampered = growing.copy()
    tampered.loc[tampered["month"] > selection.origin_for(2023), "y"] = 0.0
    again, again_rows = _calibrate(tampered)
    keep = ["year", "country", "calibration", "validation_crps"]
    pd.testing.assert_frame_equal(
        table[table["year"] == 2023][keep].reset_index(drop=True),
        again[again["year"] == 2023][keep].reset_index(drop=True),
    )
    assert again_rows[again_rows["year"] == 2023]["observed"].sum() == 0
    # Scored on the tampered test year, the identity would have been best: a choice by test
    # score would have changed.
    job = backtest.Job(
        selection.origin_for(2023),
        range(3, 15),
        "conflictology_12",
        calibrations=calibration.FAMILY,
    )
    on_test = backtest.fan_out(tampered, [job])[0]
    assert on_test.groupby("calibration")["crps"].mean().idxmin() == "none"
    assert (again[again["year"] == 2023]["calibration"] != "none").all()


def test_identity_rows_equal_the_first_steps_rows(growing):
    """The calibration step reruns jobs: with every model seeded, its identity rows equal the
    first step's, so `calibrated` with `none` is exactly `selected`."""
    origin = selection.origin_for(2023)
    first = selection.run_configs(growing, [origin], CONFIGS)
    job = backtest.Job(origin, range(3, 15), "conflictology_12", calibrations=calibration.FAMILY)
    again = backtest.fan_out(growing, [job])[0]
    none = again[again["calibration"] == "none"].drop(columns="calibration")
    pd.testing.assert_frame_equal(
        none.drop(columns="model").reset_index(drop=True),
        first.drop(columns="model").reset_index(drop=True),
    )
