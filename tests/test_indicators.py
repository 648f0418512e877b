import csv
from collections import defaultdict

import pandas as pd
import pytest

from peacewatch import indicators
from peacewatch.errors import PeacewatchError
from tests.conftest import GED_MALI, REFERENCE


@pytest.fixture
def mali_store(engine_store):
    """Part of the parity suite: these tests run on DuckDB and on PostgreSQL."""
    return engine_store


def test_yearly_ged_fatalities_equal_a_plain_recount(mali_store):
    expected = defaultdict(int)
    with GED_MALI.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if 2012 <= int(row["year"]) <= 2023:
                expected[int(row["year"])] += int(row["best_est"])
    result = indicators.compute(
        mali_store, "security.ged_by_year", "MLI", "2012-01-01", "2023-12-31"
    )
    got = dict(zip(result.frame["year"], result.frame["fatalities_best"], strict=True))
    assert got == dict(expected)
    assert "ged_mali_432.csv" in result.provenance[0]
    assert "'MLI'" in result.query and "$country" not in result.query


def test_minusma_fatalities_by_year_match_the_reference_table(mali_store):
    with (REFERENCE / "minusma_fatalities_by_year.csv").open(encoding="utf-8") as fh:
        expected = {int(r["year"]): int(r["malicious_act"]) for r in csv.DictReader(fh)}
    result = indicators.compute(
        mali_store, "security.attacks_on_peacekeepers", "MLI", "2013-01-01", "2023-12-31"
    )
    got = dict(zip(result.frame["year"], result.frame["un_deaths_malicious"], strict=True))
    assert got == expected
    frame = result.frame.set_index("year")
    # ACLED covers 2019-2020 only (the sample): it shows attacks there, nothing elsewhere.
    assert frame.loc[2019, "acled_attacks"] > 0 and frame.loc[2020, "acled_attacks"] > 0
    assert frame["acled_attacks"].isna().sum() == 9
    assert (frame["ged_events_with_un"] == 0).all()
    assert frame.loc[2014, "disagreement"] == "GED does not code the UN as a side"


def test_coups_of_2012_2020_2021_with_dates(mali_store):
    result = indicators.compute(mali_store, "political.coups", "MLI", "2012-01-01", "2023-12-31")
    rows = {
        str(d)[:10]: ok
        for d, ok in zip(result.frame["date"], result.frame["successful"], strict=True)
    }
    assert rows["2012-03-22"] == True  # noqa: E712 - pandas boolean
    assert rows["2020-08-18"] == True  # noqa: E712
    assert rows["2021-05-21"] == True  # noqa: E712
    assert rows["2012-05-01"] == False  # noqa: E712
    # Each P&T coup of 2012, 2020 and 2021 is also in Mali's timeline.
    matched = result.frame.dropna(subset=["timeline_event"])
    assert {str(d)[:10] for d in matched["date"]} >= {"2012-03-22", "2020-08-18", "2021-05-21"}


def test_mass_casualty_events_name_their_perpetrator(mali_store):
    frame = indicators.compute(
        mali_store, "human_rights.mass_casualty_events", "MLI", "2012-01-01", "2023-12-31"
    ).frame
    assert len(frame) > 10
    assert (frame["civilian_fatalities"] >= 25).all()
    assert frame["perpetrator"].notna().all()
    assert "2019-03-23" in {str(d)[:10] for d in frame["date"]}  # Ogossagou


def test_civilian_fatalities_by_perpetrator_add_up(mali_store):
    frame = indicators.compute(
        mali_store, "human_rights.civilian_fatalities", "MLI", "2012-01-01", "2023-12-31"
    ).frame
    total = mali_store.row(
        "SELECT sum(civilian_fatalities) FROM events WHERE source = 'ucdp_ged' "
        "AND country_iso3 = 'MLI' AND violence_type = 3 AND year(date_start) >= 2012"
    )[0]
    assert frame["civilian_fatalities"].sum() == total


def test_regional_indicators(mali_store):
    neighbours = indicators.compute(
        mali_store, "regional.neighbours", "MLI", "2016-01-01", "2023-12-31"
    ).frame
    assert set(neighbours["country_iso3"]) == {"BFA"}
    assert neighbours["fatalities_best"].sum() == 12864  # PROVENANCE.md: Burkina Faso total
    border = indicators.compute(
        mali_store, "regional.border_areas", "MLI", "2016-01-01", "2023-12-31"
    ).frame
    across = border[border["side"] == "across the border"]
    assert 0 < across["fatalities_best"].sum() < 12864
    assert set(border["side"]) == {"inside", "across the border"}


def test_humanitarian_and_unknown_indicator(mali_store):
    frame = indicators.compute(
        mali_store, "humanitarian.figures", "MLI", "2012-01-01", "2024-12-31"
    ).frame
    assert frame.groupby(["year", "indicator"]).size().max() == 1
    assert "idps" in set(frame["indicator"])
    with pytest.raises(PeacewatchError, match="security.ged_by_year"):
        indicators.compute(mali_store, "security.nothing", "MLI", "2012-01-01", "2023-12-31")


def test_every_dimension_has_indicators():
    dims = {i.dimension for i in indicators.REGISTRY.values()}
    assert dims == set(indicators.DIMENSIONS)


def test_a_neighbours_coup_in_the_timeline_is_not_this_countrys(mali_store):
    """The timeline's 26 Jul 2023 row is Niger's coup (notes: 'Regional event'): it was listed
    as a Mali coup attempt ('timeline only'). The 2021 coup's dates disagree (P&T 21 May, the
    timeline 24 May): both are given."""
    raw = pd.read_csv(REFERENCE / "mali_timeline.csv")
    niger = raw[(raw["category"] == "coup") & raw["notes"].fillna("").str.startswith("Regional")]
    assert list(niger["date"]) == ["2023-07-26"]
    result = indicators.compute(mali_store, "political.coups", "MLI", "2012-01-01", "2023-12-31")
    dates = [str(d)[:10] for d in result.frame["date"]]
    assert "2023-07-26" not in dates
    assert dates == ["2012-03-22", "2012-05-01", "2020-08-18", "2021-05-21"]
    differs = dict(zip(dates, result.frame["timeline_date_differs"], strict=True))
    assert str(differs["2021-05-21"])[:10] == "2021-05-24"
    assert pd.isna(differs["2012-03-22"])  # the timeline's 21-22 March span holds P&T's date


def test_each_indicator_cites_only_the_files_it_read(mali_store):
    """Every Mali figure cited ged_burkina_faso_439.csv: only the neighbours' and the border
    indicators read Burkina Faso's rows now."""
    results = indicators.compute_all(mali_store, "MLI", "2012-01-01", "2023-12-31")
    reads_bfa = {
        n for n, r in results.items() if "ged_burkina_faso_439.csv" in " ".join(r.provenance)
    }
    assert reads_bfa == {"regional.neighbours", "regional.border_areas"}
    assert "ged_mali_432.csv" not in " ".join(results["regional.neighbours"].provenance)
    assert "ged_mali_432.csv" in " ".join(results["security.ged_by_year"].provenance)
    bfa = indicators.compute(mali_store, "security.ged_by_year", "BFA", "2016-01-01", "2023-12-31")
    assert bfa.provenance == [p.replace("ged_mali_432", "ged_burkina_faso_439") for p in
                              results["security.ged_by_year"].provenance]  # fmt: skip


def test_the_cooperation_tracker_counts_timeline_and_incident_reports(store):
    """Per month and kind, from the timeline's words and incident categories, each listed."""
    from peacewatch import accounts, incidents
    from peacewatch.loading import load_file
    from tests.conftest import BOUNDARIES

    load_file(store, "boundaries", BOUNDARIES / "mli_admin1.geojson")
    load_file(store, "timeline", REFERENCE / "mali_timeline.csv")
    accounts.add_user(store, "rita", "reporter", "a long password")
    accounts.add_user(store, "ana", "analyst", "a long password")
    rita, ana = accounts.User("rita", "reporter"), accounts.User("ana", "analyst")
    made = incidents.create(
        store,
        rita,
        {
            "occurred_on": "2023-07-03",
            "latitude": 16.27,
            "longitude": -0.04,
            "category": "flight_denial",
            "description": "Rotation flight to Gao refused",
            "confidentiality": "public",
        },
    )
    incidents.transition(store, rita, made["incident_id"], "submit")
    for step in ("verify", "publish"):
        incidents.transition(store, ana, made["incident_id"], step)
    frame = indicators.compute(
        store, "cooperation.tracker", "MLI", "2012-01-01", "2024-12-31"
    ).frame
    rows = {(r["month"], r["kind"]): r for r in frame.to_dict("records")}
    assert rows[("2023-06", "hostile statement or request to leave")]["events"] == 1
    assert "without delay" in rows[("2023-06", "hostile statement or request to leave")]["listed"]
    assert rows[("2023-07", "flight or rotation restriction")]["events"] == 1
    assert "incident report" in rows[("2023-07", "flight or rotation restriction")]["listed"]
    # The 2017 sanctions' "travel ban" is not a movement restriction on the mission.
    assert not any(m.startswith("2017") for m, _k in rows)


def test_attacks_on_peacekeepers_by_month_count_one_attack_once(mali_store):
    """Recounted from the raw UN fatalities file and the raw ACLED sample with plain pandas:
    an ACLED attack on MINUSMA within 2 days of a UN fatality day is that day's attack."""
    import pandas as pd

    from tests.conftest import ACLED_SAMPLE, UN_FATALITIES

    result = indicators.compute(
        mali_store, "security.attacks_on_peacekeepers_monthly", "MLI", "2019-01-01", "2020-12-31"
    )
    frame = result.frame.set_index("month")
    assert len(frame) == 24
    un = pd.read_csv(UN_FATALITIES)
    un = un[(un["mission_acronym"] == "MINUSMA") & (un["type_of_incident"] == "Malicious Act")]
    un_days = pd.to_datetime(un["incident_date"])
    un_days = un_days[(un_days >= "2019-01-01") & (un_days <= "2020-12-31")]
    acled = pd.read_csv(ACLED_SAMPLE)
    unname = "MINUSMA: United Nations Multidimensional"
    on_un = (acled["event_type"] == "Battles") & (
        acled["actor1"].str.startswith(unname) | acled["actor2"].fillna("").str.startswith(unname)
    ) | acled["event_type"].isin(["Explosions/Remote violence", "Violence against civilians"]) & (
        acled["actor2"].fillna("").str.startswith(unname)
    )
    attacks = pd.to_datetime(acled.loc[on_un, "event_date"], format="mixed")
    days = set(un_days)
    matched = set()
    for day in attacks:
        near = [u for u in set(un_days) if abs((u - day).days) <= 2]
        if near:
            matched.add(min(near, key=lambda u: (abs((u - day).days), u)))
        else:
            days.add(day)
    assert int(frame["un_deaths_malicious"].sum()) == len(un_days)
    assert int(frame["un_fatality_days"].sum()) == un_days.nunique()
    assert int(frame["acled_attacks"].sum()) == len(attacks)
    assert int(frame["matched_days"].sum()) == len(matched) > 0
    assert int(frame["attack_days"].sum()) == len(days)
    assert int(frame["attack_days"].sum()) < un_days.nunique() + len(attacks)  # folded
