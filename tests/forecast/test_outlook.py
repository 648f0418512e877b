"""Forecasts after the data: quantiles, names, the chosen and calibrated models."""

import re

import numpy as np
import pandas as pd
import pytest

from peacewatch import geo
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, calibration, outlook, protocol, selection


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
    configs = [c for c in selection.candidates("admin1") if c.label in ("zero", "negbin_12")]
    tables = protocol.run(mali_store, ["MLI"], unit="admin1", years=[2023], configs=configs)
    assert tables["by_unit"]["unit"].nunique() >= 9
    # Only loaded regions are forecast, never the panel's "outside loaded boundaries" unit.
    assert not tables["by_unit"]["unit"].str.startswith("(").any()
    with pytest.raises(PeacewatchError, match="horizon"):
        outlook.forecast(mali_store, "MLI", "country", 0)
    with pytest.raises(PeacewatchError, match="priogrid"):
        outlook.forecast(mali_store, "MLI", "district", 3)


def test_priogrid_forecast_after_the_data(mali_store):
    frame = outlook.forecast(mali_store, "MLI", "priogrid", 2)
    cells = frame["unit"].nunique()
    assert cells > 400 and len(frame) == 2 * cells
    assert frame["month"].min() == pd.Timestamp("2024-01-01")
    first = frame.iloc[0]
    assert geo.priogrid_gid(first["latitude"], first["longitude"]) == int(first["unit"])
    assert frame["p_ge_25"].between(0, 1).all() and (frame["q95"] >= frame["median"]).all()
    # Cells with recent deaths carry the risk, not the empty desert.
    recent = set(
        backtest.unit_series(mali_store, ["MLI"], "sb", "priogrid").query(
            "month >= '2023-01-01' and y > 0"
        )["unit"]
    )
    mean = frame.groupby("unit")["mean"].mean()
    assert mean[mean.index.isin(recent)].mean() > 5 * mean[~mean.index.isin(recent)].mean()


def test_withdrawal_scenario_compares_two_forecasts(mali_store):
    from peacewatch.forecast import backtest

    series = backtest.unit_series(mali_store, ["MLI"], "sb", "admin1", presence=True)
    # Troops are where Geo-PKO put them: Mopti and Gao regions had them in 2019.
    in_2019 = series[series["month"] == pd.Timestamp("2019-06-01")].set_index("unit")
    assert in_2019["presence"].gt(0).sum() >= 4
    table = outlook.withdrawal_scenario(
        mali_store, "MLI", "2023-01-01", "admin1", 6, model="gbm_hurdle"
    )
    expected = {
        "mean_as_was",
        "as_was_low",
        "as_was_high",
        "mean_presence_removed",
        "removed_low",
        "removed_high",
        "difference",
    }
    assert expected <= set(table.columns)
    assert (table["as_was_low"] <= table["as_was_high"]).all()
    assert (table["removed_low"] <= table["removed_high"]).all()
    assert np.allclose(table["difference"], table["mean_presence_removed"] - table["mean_as_was"])
    # Regions that never had troops see (almost) the same forecast either way.
    never = table[table["presence_at_origin"] == 0]
    assert (never["difference"].abs() < never["mean_as_was"] + 2).all()
    assert "not a causal estimate" in table.attrs["note"]


KINDS = ("admin1", "priogrid")


@pytest.fixture(scope="module")
def selected_frame(mali_store):
    return outlook.forecast(mali_store, "MLI", "country", 3, model="selected")


@pytest.mark.slow
def test_the_selected_forecast_uses_the_configuration_validation_chooses(
    mali_store, selected_frame
):
    """`--model selected`: the candidate with the lowest validation CRPS over the four yearly
    windows before 2024 (origins October 2019-2022), refitted on everything, forecasts 2024."""
    frame = selected_frame
    label = frame["model"].iloc[0].removeprefix("selected: ")
    configs = selection.candidates("country")
    assert label in {c.label for c in configs}
    data = backtest.unit_series(mali_store, ["MLI"], "sb", "country", covariates=True)
    data = pd.concat(
        [data, *(protocol.teaching_series(mali_store, ["MLI"], "sb", True, k) for k in KINDS)]
    )
    chosen, scores = selection.choose_latest(data, configs, {"MLI": "MLI"})
    assert chosen == {"MLI": label}
    assert scores.loc[scores["model"] == label, "crps"].iloc[0] == scores["crps"].min()
    assert set(scores["model"]) == {c.label for c in configs}
    assert list(frame["month"]) == [pd.Timestamp(2024, m, 1) for m in (1, 2, 3)]
    assert (frame["unit"] == "MLI").all() and (frame["q95"] >= frame["median"]).all()


@pytest.mark.slow
def test_the_calibrated_forecast_is_the_selected_one_recalibrated(mali_store, selected_frame):
    """`--model calibrated`: the same configuration, its samples mapped by the calibration the
    same windows choose (calibration.transform; a level-only one scales every quantile)."""
    frame = outlook.forecast(mali_store, "MLI", "country", 3, model="calibrated")
    label = frame["model"].iloc[0]
    config = selected_frame["model"].iloc[0].removeprefix("selected: ")
    match = re.fullmatch(r"calibrated: (\S+) \((.+)\)", label)
    assert match is not None and match.group(1) == config
    level, spread = calibration.BY_LABEL[match.group(2)]
    expected = calibration.transform(
        selected_frame[["q05", "median", "q95"]].to_numpy(), (level, spread)
    )
    # Exact for a level; a spread moves the interpolation between two samples a little.
    assert np.allclose(frame[["q05", "median", "q95"]].to_numpy(), expected, rtol=0.02)
