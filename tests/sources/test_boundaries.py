from peacewatch.loading import load_file
from tests.conftest import BOUNDARIES, GED_MALI


def test_mali_regions_and_admin1_by_point_in_polygon(store):
    report = load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    assert report.rows_loaded == 9
    names = {n for (n,) in store.con.execute("SELECT name FROM admin_boundaries").fetchall()}
    assert {"Kidal", "Gao", "Mopti", "Bamako"} <= names
    load_file(store, "ucdp-ged", GED_MALI)
    # Hand check: GED's own adm_1 agrees with the polygon for the bulk of events.
    agree, total = store.con.execute(
        "SELECT count(*) FILTER (WHERE source_admin1 = admin1 || ' region' "
        "OR (source_admin1 = 'Tombouctou region' AND admin1 = 'Timbuktu') "
        "OR (source_admin1 = 'Segou region' AND admin1 = 'Ségou') "
        "OR (source_admin1 = 'Ménaka region' AND admin1 = 'Gao')), "
        "count(*) FILTER (WHERE source_admin1 IS NOT NULL AND admin1 IS NOT NULL) FROM events"
    ).fetchone()
    assert agree / total > 0.97
    assert (
        store.con.execute(
            "SELECT count(DISTINCT admin1_boundary) FROM events WHERE admin1 IS NOT NULL"
        ).fetchone()[0]
        == 1
    )


def test_boundaries_loaded_after_events_reassign_admin1(store):
    load_file(store, "ucdp-ged", GED_MALI)
    assert store.con.execute("SELECT count(admin1) FROM events").fetchone()[0] == 0
    load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    assert store.con.execute("SELECT count(admin1) FROM events").fetchone()[0] > 2000


def test_current_regions_with_p_codes_from_cod_ab_and_geoboundaries(store):
    """Mali's 2016 regions (Menaka apart from Gao) with P-codes; Burkina Faso's 13 regions.
    Recounted with geopandas from the shapefile and the raw GED file."""
    import geopandas as gpd
    import pandas as pd

    from tests.conftest import DATA, GED_BFA, GED_MALI

    cod = DATA / "boundaries_cod_ab"
    mali_shp = cod / "mli" / "mli_admbnda_adm1_1m_gov_20211220.shp"
    for path in (mali_shp, cod / "bfa" / "geoBoundaries-BFA-ADM1_simplified.geojson"):
        report = load_file(store, "boundaries", path)
        assert report.rows_rejected == 0
    load_file(store, "ucdp-ged", GED_MALI)
    load_file(store, "ucdp-ged", GED_BFA)
    codes = dict(
        store.con.execute(
            "SELECT country_iso3, count(*) FROM admin_boundaries GROUP BY 1"
        ).fetchall()
    )
    assert codes == {"MLI": 10, "BFA": 13}
    raw = pd.read_csv(GED_MALI, index_col=False)
    points = gpd.GeoDataFrame(
        raw[["id", "best_est"]],
        geometry=gpd.points_from_xy(raw["longitude"], raw["latitude"]),
        crs=4326,
    )
    regions = gpd.read_file(mali_shp)[["ADM1_PCODE", "geometry"]]
    joined = gpd.sjoin(points, regions, predicate="intersects").drop_duplicates("id")
    expected = joined.groupby("ADM1_PCODE")["id"].count()
    stored = (
        store.con.execute(
            "SELECT admin1_code, count(*) FROM events WHERE country_iso3 = 'MLI' "
            "AND admin1_method = 'inside' GROUP BY 1"
        )
        .df()
        .set_index("admin1_code")["count_star()"]
    )
    assert stored.sort_index().to_dict() == expected.sort_index().to_dict()
    menaka = store.con.execute(
        "SELECT count(*), sum(fatalities_best), any_value(admin1_boundary) FROM events "
        "WHERE admin1_code = 'ML10'"
    ).fetchone()
    assert menaka[0] >= expected["ML10"] > 200 and menaka[2].startswith("OCHA COD-AB admin-1")
    # P-codes reach the HXL export.
    from peacewatch import api, export

    out = store.path.parent / "mali.csv"
    export.export(api.events(store, country="MLI"), "csv", out, hxl=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    tags = lines[1].split(",")
    header = lines[0].split(",")
    assert tags[header.index("admin1_code")] == "#adm1+code"
    assert any(",ML10," in line for line in lines[2:])
