import pandas as pd
import pytest

from peacewatch import panel
from peacewatch.errors import PeacewatchError
from peacewatch.loading import load_file
from tests.conftest import BOUNDARIES, GED_MALI, REFERENCE
from tests.gedfiles import read_rows, write_country


def _total(store, country, start, end, source="ucdp_ged"):
    return store.row(
        "SELECT count(*), sum(fatalities_best) FROM events WHERE source = ? AND country_iso3 = ? "
        "AND date_start BETWEEN ? AND ?",
        [source, country, start, end],
    )


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid"])
def test_panel_totals_equal_the_events_table(mali_store, unit):
    frame = panel.panel(mali_store, unit, "MLI", "2012-01-01", "2023-12-31")
    n_events, fatalities = _total(mali_store, "MLI", "2012-01-01", "2023-12-31")
    assert frame["events"].sum() + frame["imprecise_events"].sum() == n_events
    assert frame["fatalities_best"].sum() + frame["imprecise_fatalities_best"].sum() == fatalities
    months = 12 * 12
    assert len(frame) == frame["unit"].nunique() * months
    assert frame.groupby("unit").size().eq(months).all()


@pytest.fixture
def mali_store(engine_store):
    """Part of the parity suite: these tests run on DuckDB and on PostgreSQL."""
    return engine_store


def test_admin1_units_include_regions_without_events(mali_store):
    frame = panel.panel(mali_store, "admin1", "MLI", "2023-01-01", "2023-12-31")
    names = set(frame["unit_name"])
    # COD-AB's ten regions, Menaka apart from Gao, whether or not they had events in 2023.
    assert {"Kidal", "Gao", "Menaka", "Mopti", "Tombouctou", "Bamako", "Kayes"} <= names
    assert len(names) == 10
    assert len(frame) == frame["unit"].nunique() * 12


def test_priogrid_units_cover_the_country(mali_store):
    frame = panel.panel(mali_store, "priogrid", "MLI", "2022-01-01", "2022-12-31")
    # Mali is about 1.24 million km2, roughly 400-500 half-degree cells.
    assert 400 <= frame["unit"].nunique() <= 520
    assert frame.query("events > 0")["unit"].nunique() < frame["unit"].nunique()


def test_site_panel_counts_events_near_camps(mali_store):
    frame = panel.panel(mali_store, "site:25", "MLI", "2023-01-01", "2023-12-31")
    # 15 camps with coordinates, and Ogossagou geocoded from GED (data/site_geocodes.csv)
    assert frame["unit"].nunique() == 16
    kidal = frame[frame["unit_name"] == "Kidal"]
    assert kidal.query("month >= '2023-11-01'")["events"].sum() > 0  # the Nov 2023 capture


def test_category_and_type_columns_add_up(mali_store):
    frame = panel.panel(mali_store, "country", "MLI", "2012-01-01", "2023-12-31")
    assert (frame[["events_sb", "events_ns", "events_os"]].sum(axis=1) == frame["events"]).all()
    from peacewatch.schema import CATEGORIES

    cats = [f"fatalities_{c}" for c in CATEGORIES]
    assert (frame[cats].sum(axis=1) == frame["fatalities_best"]).all()


def _load_events(store, path, *changes):
    """Mali's boundaries and a GED file of the first real rows, each changed as given."""
    header, rows = read_rows(GED_MALI)
    made = [{**row, **change} for row, change in zip(rows, changes, strict=False)]
    load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    load_file(store, "ucdp-ged", write_country(path, header, made))


def test_two_event_fixture_gives_the_exact_cells(tmp_path, store):
    a = {
        "id": "1",
        "date_start": "01/15/2020 00:00:00",
        "date_end": "01/15/2020 00:00:00",
        "date_prec": "1",
        "type_of_violence": "1",
        "best_est": "5",
        "low_est": "4",
        "high_est": "9",
        "deaths_civilians": "0",
        "latitude": "16.27",
        "longitude": "-0.04",
        "side_a": "Government of Mali",
        "side_b": "JNIM",
        "country_id": "432",
    }
    b = {
        "id": "2",
        "date_start": "03/01/2020 00:00:00",
        "date_end": "12/31/2020 00:00:00",
        "date_prec": "5",
        "type_of_violence": "3",
        "best_est": "3",
        "low_est": "3",
        "high_est": "3",
        "deaths_civilians": "3",
        "latitude": "16.27",
        "longitude": "-0.04",
        "side_a": "IS",
        "side_b": "Civilians",
        "country_id": "432",
    }
    _load_events(store, tmp_path / "two.csv", a, b)
    frame = panel.panel(store, "country", "MLI", "2020-01-01", "2020-03-31").set_index("month")
    assert list(frame.index.astype(str)) == ["2020-01-01", "2020-02-01", "2020-03-01"]
    jan, feb, mar = (frame.iloc[i] for i in range(3))
    assert (jan.events, jan.fatalities_best, jan.fatalities_low, jan.fatalities_high) == (
        1,
        5,
        4,
        9,
    )
    assert (
        jan.events_sb,
        jan.events_battle,
        jan.events_actor_state_forces,
        jan.events_actor_jihadist,
        jan.civilian_fatalities,
    ) == (1, 1, 1, 1, 0)
    assert feb[2:].sum() == 0
    assert (mar.events, mar.imprecise_events, mar.imprecise_fatalities_best) == (0, 1, 3)
    grid = panel.panel(store, "priogrid", "MLI", "2020-01-01", "2020-01-31")
    hit = grid.query("events > 0")
    # row floor(106.27 / 0.5) = 212, col floor(179.96 / 0.5) = 359: 212 * 720 + 359 + 1
    assert hit["unit"].tolist() == ["153000"]
    admin = panel.panel(store, "admin1", "MLI", "2020-01-01", "2020-01-31")
    assert admin.query("events > 0")["unit_name"].tolist() == ["Gao"]


def test_bad_units_and_dates(mali_store):
    with pytest.raises(PeacewatchError, match="site:<km>"):
        panel.panel(mali_store, "district", "MLI")
    with pytest.raises(PeacewatchError, match="before"):
        panel.panel(mali_store, "country", "MLI", "2020-01-01", "2019-01-01")
    with pytest.raises(PeacewatchError, match="no ucdp_ged events"):
        panel.panel(mali_store, "country", "SEN")


def test_site_panel_needs_camps(store):
    load_file(store, "ucdp-ged", GED_MALI)
    with pytest.raises(PeacewatchError, match="camps"):
        panel.panel(store, "site:50", "MLI")
    load_file(store, "camps", REFERENCE / "minusma_camps.csv")
    assert isinstance(
        panel.panel(store, "site:50", "MLI", "2023-01-01", "2023-02-28"), pd.DataFrame
    )


def test_a_panel_of_one_actor_across_sources_and_its_affiliations(mali_store):
    """`--actor JNIM`: UCDP's JNIM, and Ansar Dine, al-Mourabitoun and Katiba Macina from
    2 March 2017 (the crosswalk), recounted from the raw GED file with pandas."""
    import pandas as pd

    from peacewatch import panel
    from tests.conftest import GED_MALI

    frame = panel.panel(mali_store, "country", "MLI", "2012-01-01", "2023-12-31", actor="JNIM")
    raw = pd.read_csv(GED_MALI, index_col=False)
    day = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S")
    keep = (day >= "2012-01-01") & (day <= "2023-12-31")
    raw, day = raw[keep], day[keep]
    later = day >= "2017-03-02"

    def is_jnim(side: pd.Series) -> pd.Series:
        merged = side.str.contains("Ansar Dine|Al Mourabitoun|Katiba Macina")
        return side.str.startswith("JNIM") | (merged & later)

    rows = raw[is_jnim(raw["side_a"].fillna("")) | is_jnim(raw["side_b"].fillna(""))]
    total = frame["fatalities_best"].sum() + frame["imprecise_fatalities_best"].sum()
    assert int(total) == int(rows["best_est"].sum()) > 0
    with pytest.raises(PeacewatchError, match="no events of 'Nobody'"):
        panel.panel(mali_store, "country", "MLI", actor="Nobody")


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid"])
def test_a_panel_of_several_countries_is_the_union_of_theirs(mali_store, unit):
    """`MLI,BFA`: one panel whose units are both countries' and whose deaths are the events
    table's for the two (hand count in SQL), each month from the first event of either."""
    both = panel.panel(mali_store, unit, "MLI,BFA")
    mali = panel.panel(mali_store, unit, "MLI")
    burkina = panel.panel(mali_store, unit, "BFA")
    assert set(both["unit"]) == set(mali["unit"]) | set(burkina["unit"])
    assert both["month"].min() == min(mali["month"].min(), burkina["month"].min())
    assert both["month"].max() == max(mali["month"].max(), burkina["month"].max())
    assert both.groupby(["unit", "month"]).size().max() == 1
    (deaths,) = mali_store.row(
        "SELECT sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
        f"AND country_iso3 IN ('MLI', 'BFA') AND NOT ({panel.IMPRECISE})"
        + (" AND priogrid_gid IS NOT NULL" if unit == "priogrid" else "")
    )
    assert both["fatalities_best"].sum() == deaths
    assert deaths == mali["fatalities_best"].sum() + burkina["fatalities_best"].sum()


def test_a_panel_of_a_country_not_loaded_says_so(mali_store):
    with pytest.raises(PeacewatchError, match="no ucdp_ged events for NER"):
        panel.panel(mali_store, "country", "MLI,NER")


BOX = (-3.0, 12.0, 1.0, 16.0)  # west, south, east, north: across the Mali-Burkina border


def _raw_in_box():
    """Events and deaths of the GED files in BOX, counted from the raw rows (pandas)."""
    from tests.conftest import GED_BFA, GED_MALI

    raw = pd.concat([pd.read_csv(p, index_col=False) for p in (GED_MALI, GED_BFA)])
    west, south, east, north = BOX
    inside = raw[raw["latitude"].between(south, north) & raw["longitude"].between(west, east)]
    return inside


def test_a_bounding_box_panel_has_every_cell_and_the_boxs_events(mali_store):
    frame = panel.panel(mali_store, "priogrid", "", bbox="-3,12,1,16")
    assert frame["unit"].nunique() == 8 * 8  # 4 x 4 degrees of half-degree cells
    inside = _raw_in_box()
    assert set(inside["country"]) == {"Mali", "Burkina Faso"}
    assert (frame["events"] + frame["imprecise_events"]).sum() == len(inside)
    deaths = frame["fatalities_best"] + frame["imprecise_fatalities_best"]
    assert deaths.sum() == inside["best_est"].sum()
    by_country = panel.panel(mali_store, "country", "", bbox=BOX)
    assert set(by_country["unit"]) == {"MLI", "BFA"}
    assert by_country["fatalities_best"].sum() == frame["fatalities_best"].sum()
    only_mali = panel.panel(mali_store, "priogrid", "MLI", bbox=BOX)
    mali = inside[inside["country"] == "Mali"]
    assert (only_mali["events"] + only_mali["imprecise_events"]).sum() == len(mali)
    assert only_mali["unit"].nunique() < 64


@pytest.mark.parametrize(
    ("bbox", "unit", "message"),
    [
        ("-3,12,1", "priogrid", "four numbers"),
        ("1,12,-3,16", "priogrid", "west < east"),
        ("-3,12,1,16", "admin1", "country and priogrid panels only"),
    ],
)
def test_a_bad_bounding_box_says_why(mali_store, bbox, unit, message):
    with pytest.raises(PeacewatchError, match=message):
        panel.panel(mali_store, unit, "", bbox=bbox)


@pytest.mark.parametrize("unit", ["admin1", "priogrid", "site:25"])
def test_the_panel_in_slices_equals_the_whole_panel(mali_store, unit):
    """`chunks` (the command line's bounded-memory path) gives `build`'s frame, slice by slice:
    a budget of a few units per slice forces many slices, each of whole units."""
    spec = panel.spec_for(mali_store, unit, "MLI", "2019-01-01", "2023-12-31")
    whole = panel.build(mali_store, spec)
    per_unit = 60 * len(whole.columns) * 8 * 3  # the bytes `chunks` counts per unit
    slices = list(panel.chunks(mali_store, spec, max_bytes=3 * per_unit))
    assert len(slices) == -(-whole["unit"].nunique() // 3)
    assert all(s["unit"].nunique() <= 3 and len(s) == s["unit"].nunique() * 60 for s in slices)
    assert not set.intersection(*(set(s["unit"]) for s in slices[:2]))
    joined = pd.concat(slices, ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole)
    assert slices[-1].attrs["spec"] == spec and slices[0].attrs["query"] == whole.attrs["query"]


def test_small_pages_is_switched_off_only_inside_and_restored():
    import numpy as np

    switch = np._core.multiarray._set_madvise_hugepage
    before = switch(True)
    try:
        with panel._small_pages():
            assert switch(False) is False  # off inside
        assert switch(True) is True  # restored to on after
    finally:
        switch(before)


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid"])
def test_every_column_equals_its_definition_run_as_sql(mali_store, unit):
    """The panel rolls a cube up in numpy; each column must equal its SQL definition
    (`attrs["measures"]`, the FILTERed aggregate) run by the store per unit and month over
    the events, for every column and every unit-month."""
    frame = panel.panel(mali_store, unit, "MLI", "2012-01-01", "2023-12-31")
    definitions = frame.attrs["measures"]
    assert list(definitions) == list(frame.columns[3:])
    unit_sql = {
        "country": "country_iso3",
        "admin1": f"coalesce(admin1_code, '{panel.OUTSIDE}')",
        "priogrid": "CAST(priogrid_gid AS VARCHAR)",
    }[unit]
    columns = ", ".join(
        f"CAST(coalesce({sql}, 0) AS BIGINT) AS {name}" for name, sql in definitions.items()
    )
    direct = mali_store.frame(
        f"SELECT {unit_sql} AS unit, CAST(date_trunc('month', date_start) AS DATE) AS month, "
        f"{columns} FROM events WHERE source = 'ucdp_ged' AND country_iso3 = 'MLI' "
        "AND date_start BETWEEN DATE '2012-01-01' AND DATE '2023-12-31' "
        + ("AND priogrid_gid IS NOT NULL " if unit == "priogrid" else "")
        + "GROUP BY 1, 2"
    )
    direct["month"] = pd.to_datetime(direct["month"])
    got = frame.drop(columns="unit_name").set_index(["unit", "month"])
    want = direct.astype({"unit": str}).set_index(["unit", "month"])
    assert len(want) > 100 and want.index.isin(got.index).all()
    assert (got.loc[want.index].to_numpy() == want[got.columns].to_numpy()).all()
    assert got.drop(index=want.index).eq(0).all().all()  # zeros where nothing happened
    assert got[["events_actor_jihadist", "fatalities_battle", "imprecise_events"]].sum().gt(0).all()


def test_an_event_without_a_stated_date_precision_is_counted_in_its_month(tmp_path, store):
    """GED rows with an empty `date_prec` load with no precision; the panel once dropped them
    from both its precise and its imprecise columns (the totals then fell short)."""
    row = {
        "id": "1",
        "date_prec": "",
        "date_start": "01/15/2020 00:00:00",
        "date_end": "01/15/2020 00:00:00",
        "best_est": "7",
        "latitude": "16.27",
        "longitude": "-0.04",
        "country_id": "432",
    }
    _load_events(store, tmp_path / "one.csv", row)
    assert store.rows("SELECT date_precision FROM events") == [(None,)]
    frame = panel.panel(store, "country", "MLI", "2020-01-01", "2020-01-31")
    assert frame[["events", "fatalities_best", "imprecise_events"]].values.tolist() == [[1, 7, 0]]


def test_the_threaded_roll_up_equals_the_sequential_one(mali_store, monkeypatch):
    """Large blocks are filled on threads (`THREADED_CELLS`); both paths give one frame."""
    spec = panel.spec_for(mali_store, "admin1", "MLI", "2012-01-01", "2023-12-31")
    sequential = panel.build(mali_store, spec)
    monkeypatch.setattr(panel, "THREADED_CELLS", 0)
    pd.testing.assert_frame_equal(panel.build(mali_store, spec), sequential)
    assert sequential[["events", "fatalities_actor_jihadist"]].sum().gt(0).all()
