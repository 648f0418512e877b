import pandas as pd

from peacewatch.countries import country_table, iso3_from_name
from tests.conftest import DATA


def test_gw_codes_agree_with_views_country_list():
    """Independent check: VIEWS' own table of African countries (GW code, ISO3)."""
    views = pd.read_csv(DATA / "views_forecasts" / "views_countries_africa.csv")
    ours = country_table().dropna(subset=["gw_code"])
    merged = views.merge(ours, left_on="isoab", right_on="iso3", how="inner")
    assert len(merged) >= 45
    disagree = merged[merged["gwcode"] != merged["gw_code"]]
    assert disagree.empty, disagree[["isoab", "gwcode", "gw_code"]]


def test_sahel_codes():
    table = country_table().set_index("iso3")
    assert table.loc["MLI", "gw_code"] == 432 and table.loc["MLI", "iso_numeric"] == 466
    assert table.loc["BFA", "gw_code"] == 439 and table.loc["NER", "gw_code"] == 436


def test_names_in_many_spellings():
    assert iso3_from_name("Mali") == "MLI"
    assert iso3_from_name("DRC") == "COD"
    assert iso3_from_name("Côte d'Ivoire") == "CIV"
    assert iso3_from_name("camps") is None
