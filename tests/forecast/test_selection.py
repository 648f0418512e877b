"""Choices made by validation only: test years' outcomes cannot change them."""

import pandas as pd
import pytest

from peacewatch.forecast import backtest, selection

CONFIGS = [
    c
    for c in selection.candidates("country")
    if c.label in ("zero", "conflictology_12", "negbin_12", "analogue_12", "gbm_hurdle")
]
YEARS = [2022, 2023]


def _protocol(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    origins = selection.protocol_origins(YEARS)
    every = selection.run_configs(data, origins, CONFIGS)
    every["country"] = every["unit"]
    choices, validation = selection.choose(every, YEARS, [c.label for c in CONFIGS])
    return every, choices.set_index(["year", "country"]), validation


@pytest.fixture(scope="module")
def series(mali_store):
    return backtest.country_series(mali_store, ["MLI", "BFA"])


@pytest.fixture(scope="module")
def honest(series):
    return _protocol(series)


def test_validation_ends_before_the_test_origin():
    """Test year 2023 (origin October 2022) is validated on 2019-2022, 2022 cut at October."""
    assert selection.validation_origins(2023) == [
        pd.Timestamp(y, 10, 1) for y in (2018, 2019, 2020, 2021)
    ]
    assert selection.origin_for(2023) == pd.Timestamp(2022, 10, 1)


def test_tampering_with_the_test_years_does_not_change_the_choice(series, honest):
    """Every month after October 2022 (what test year 2023 forecasts) replaced: 2023's choice and
    validation scores are the same. The same tampering makes the zero forecast best on the
    test year itself, so a choice that looked at test outcomes would have changed."""
    _every, choices, validation = honest
    tampered = series.copy()
    tampered.loc[tampered["month"] > selection.origin_for(2023), "y"] = 0.0
    again_every, again, again_validation = _protocol(tampered)
    assert again.loc[2023].equals(choices.loc[2023])
    pd.testing.assert_frame_equal(
        validation[validation["year"] == 2023].reset_index(drop=True),
        again_validation[again_validation["year"] == 2023].reset_index(drop=True),
    )
    # On the tampered test year, a choice by test score would be the zero forecast.
    test_rows = again_every[again_every["origin"] == selection.origin_for(2023)]
    by_test = test_rows.groupby(["country", "model"])["crps"].mean()
    for country in ("MLI", "BFA"):
        assert by_test[country].idxmin() == "zero"
        assert choices.loc[(2023, country), "selected"] != "zero"
    # 2022's validation includes January-October 2022 only: the tampered months are unseen.
    assert (choices.loc[2023, "validation_months"] == 4 * 12 - 2).all()


def test_selected_rows_are_the_chosen_configuration_on_the_test_year(honest):
    every, choices, _validation = honest
    chosen = selection.selected_rows(every, choices.reset_index())
    assert set(chosen["year"]) == set(YEARS)
    assert len(chosen) == len(YEARS) * 2 * 12
    for (year, country), part in chosen.groupby(["year", "country"]):
        label = choices.loc[(year, country), "selected"]
        assert set(part["config"]) == {label}
        same = every[
            (every["model"] == label)
            & (every["unit"] == country)
            & (every["origin"] == selection.origin_for(year))
        ]
        assert part["crps"].to_numpy() == pytest.approx(same["crps"].to_numpy())
