import geopandas as gpd
import pytest

from peacewatch import api
from peacewatch.errors import PeacewatchError
from peacewatch.schema import EXPORT_COLUMNS


def test_events_filters(mali_store):
    all_mali = api.events(mali_store, country="MLI")
    assert set(all_mali["source"]) == {"ucdp_ged", "acled"}
    assert list(all_mali.columns) == list(EXPORT_COLUMNS)
    ged_2020 = api.events(
        mali_store, country="MLI", date_from="2020-01-01", date_to="2020-12-31", source="ucdp_ged"
    )
    assert len(ged_2020) == 232  # PROVENANCE.md: Mali events in 2020
    vac = api.events(
        mali_store, country="MLI,BFA", category="violence_against_civilians", source="ucdp_ged"
    )
    assert len(vac) == 542 + 518


def test_events_as_geodataframe(mali_store):
    frame = api.events(mali_store, country="BFA", geometry=True)
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4326
    assert len(frame) == 1504
    assert frame.geometry.x.round(6).tolist() == frame["longitude"].round(6).tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "Mali"}, "ISO3"),
        ({"date_from": "2020-13-01"}, "ISO date"),
        ({"category": "war"}, "battle"),
    ],
)
def test_bad_filters_are_clear_errors(mali_store, kwargs, message):
    with pytest.raises(PeacewatchError, match=message):
        api.events(mali_store, **kwargs)


def test_sources_and_loads_carry_provenance(mali_store):
    src = api.sources(mali_store).set_index(["source", "table"])
    assert src.loc[("ucdp_ged", "events"), "rows"] == 2120 + 1504
    assert src.loc[("un_fatalities", "un_fatalities"), "rows"] == 4429
    loads = api.loads(mali_store)
    assert {
        "file_name",
        "sha256",
        "release",
        "loaded_at",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
    } <= set(loads.columns)
    ged = loads[loads["file_name"] == "ged_mali_432.csv"].iloc[0]
    assert ged["sha256"].startswith("676f4f8ec852")  # PROVENANCE.md
    assert (ged["rows_read"], ged["rows_loaded"], ged["rows_rejected"]) == (2120, 2120, 0)


def test_summary_per_source_and_year(mali_store):
    frame = api.summary(mali_store, "MLI")
    ged = frame[frame["source"] == "ucdp_ged"].set_index("year")
    assert ged.loc[2022, "events"] == 408 and ged.loc[2022, "fatalities_best"] == 3650


def test_reference_tables_and_actors(mali_store):
    assert len(api.table(mali_store, "camps")) == 16
    with pytest.raises(PeacewatchError, match="camps"):
        api.table(mali_store, "events; drop table loads")
    unknown = api.actor_table(mali_store, unknown_only=True)
    assert set(unknown["actor"]) == {
        "Unidentified Armed Group (Mali)",
        "Unidentified Armed Group (Sudan)",
    }
