import numpy as np

from peacewatch.analysis import presence


def test_cell_year_panel_matches_geopko(mali_store):
    frame = presence.cell_year_panel(mali_store, "MLI", "MINUSMA")
    cells = frame["unit"].nunique()
    years = frame["year"].nunique()
    assert len(frame) == cells * years
    assert years == 10  # 2014-2023 (GED ends 2023)
    deployed = mali_store.con.execute(
        "SELECT count(DISTINCT (priogrid_gid, year)) FROM deployments WHERE mission = 'MINUSMA' "
        "AND dataset = 'geopko_v2.3' AND year <= 2023"
    ).fetchone()[0]
    # Every deployed cell-year of Mali is in the panel as presence = 1.
    assert frame["presence"].sum() == deployed
    total = mali_store.con.execute(
        "SELECT sum(civilian_fatalities) FROM events WHERE source = 'ucdp_ged' "
        "AND country_iso3 = 'MLI' AND year(date_start) BETWEEN 2014 AND 2023 "
        "AND priogrid_gid IN (SELECT unnest(?))",
        [[int(c) for c in frame["unit"].unique()]],
    ).fetchone()[0]
    assert frame["y"].sum() == total


def test_presence_effect_compares_with_the_published_finding(mali_store):
    table = presence.presence_effect(mali_store, "MLI", "MINUSMA", replications=299)
    assert list(table["measure"]) == ["presence", "presence", "log_troops", "log_troops"]
    assert list(table["lag_years"]) == [0, 1, 0, 1]
    assert (
        table["published_finding"].str.match(r"agrees|disagrees|inconclusive|not estimable").all()
    )
    assert (table["cells_with_troops"] >= 10).all()
    assert np.isfinite(table["rate_ratio"]).all()
