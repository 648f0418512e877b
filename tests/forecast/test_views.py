import pandas as pd

from peacewatch.forecast import views
from tests.conftest import DATA

VIEWS = DATA / "views_forecasts"


def test_views_months_and_countries():
    frame = views.read_views(
        VIEWS / "views_ensemble_cm_2020.csv", VIEWS / "views_countries_africa.csv"
    )
    # PROVENANCE.md: month_id 486..523 is 2020-06..2023-07; 54 countries x 38 months.
    assert frame["month"].min() == pd.Timestamp("2020-06-01")
    assert frame["month"].max() == pd.Timestamp("2023-07-01")
    assert len(frame) == 2052 and frame["iso3"].nunique() == 54
    assert frame["p_views"].between(0, 1).all()


def test_brier_comparison_with_views(mali_store):
    table = views.compare(
        mali_store,
        VIEWS / "views_ensemble_cm_2020.csv",
        VIEWS / "views_countries_africa.csv",
        ("MLI", "BFA"),
    ).set_index("country")
    assert list(table.index) == ["MLI", "BFA"] and (table["months"] == 38).all()
    briers = table.filter(like="brier_")
    assert ((briers >= 0) & (briers <= 1)).all().all()
    # Both VIEWS and the learned model do far better than the constant base rate here.
    assert (table["brier_views"] < table["brier_base_rate"]).all()
    assert (table["brier_peacewatch_gbm_hurdle"] < table["brier_base_rate"]).all()
