import csv
import re

import pytest

from peacewatch.actors import categorize, rules
from tests.conftest import ACLED_SAMPLE, GED_BFA, GED_MALI


@pytest.mark.parametrize(
    ("name", "country", "expected"),
    [
        ("JNIM", "MLI", "jihadist"),
        ("JNIM: Group for Support of Islam and Muslims", "MLI", "jihadist"),
        ("IS", "MLI", "jihadist"),
        ("Islamic State (Greater Sahara)", "MLI", "jihadist"),
        ("Government of Mali", "MLI", "state_forces"),
        ("Military Forces of Mali (2013-)", "MLI", "state_forces"),
        ("Military Forces of Burkina Faso (2015-)", "MLI", "foreign_state_forces"),
        ("Military Forces of Burkina Faso (2015-)", "BFA", "state_forces"),
        ("Military Forces of France (2017-)", "MLI", "foreign_state_forces"),
        ("Wagner Group", "MLI", "foreign_private_military"),
        (
            "MINUSMA: United Nations Multidimensional Integrated Stabilization Mission in Mali "
            "(2013-)",
            "MLI",
            "peacekeepers",
        ),
        ("CMA: Coordination of Movements of the Azawad", "MLI", "signatory_armed_group"),
        ("CSP-PSD", "MLI", "signatory_armed_group"),
        (
            "CMFPR1: Coordination of Patriotic Movements and Forces for Resistance (Plateforme)",
            "MLI",
            "signatory_armed_group",
        ),
        ("Dan na Ambassagou", "MLI", "communal_militia"),
        ("Dan Na Ambassagou", "MLI", "communal_militia"),
        ("Dozos (Mali)", "MLI", "communal_militia"),
        ("Unidentified Communal Militia (Mali)", "MLI", "communal_militia"),
        ("Civilians", "MLI", "civilians"),
        ("Unidentified Armed Group (Mali)", "MLI", "unknown"),
        ("Some New Front", "MLI", "unknown"),
        (None, "MLI", "unknown"),
    ],
)
def test_curated_categories(name, country, expected):
    assert categorize(name, country) == expected


def test_inter_code_is_the_fallback_for_unlisted_names():
    assert categorize("Some New Front", "MLI", inter=4) == "communal_militia"
    assert categorize("Some New Front", "MLI", inter=7) == "civilians"
    # A curated row wins over the code.
    assert categorize("JNIM", "MLI", inter=4) == "jihadist"


def test_curated_table_is_well_formed():
    from peacewatch.schema import ACTOR_CATEGORIES

    table = rules()
    assert len(table) > 50
    assert {r.category for r in table} <= set(ACTOR_CATEGORIES)
    assert {r.match for r in table} <= {"exact", "prefix", "contains", "regex", "id"}
    ids = [r.pattern for r in table if r.match == "id"]
    assert all(re.fullmatch(r"[a-z_]+:\S+", p) for p in ids)  # `ucdp:1`: source family, id


def test_the_sources_own_codes_come_first():
    """A side's Gleditsch-Ward code decides before any name; a source id before the name."""
    assert categorize("Some State", "CAF", gw=482) == "state_forces"
    assert categorize("Some State", "CAF", gw=490) == "foreign_state_forces"  # DR Congo
    assert categorize("Government of Mali", "CAF", gw=482) == "state_forces"  # the code wins
    assert categorize("Some Name", "CAF", source="ucdp_ged", key="ucdp:1") == "civilians"
    assert categorize("Some Name", "CAF", source="ucdp_ged") == "other"
    assert categorize(None, "CAF", source="ucdp_ged", key="ucdp:1") == "civilians"


def test_ucdp_side_ids_join_names_the_sources_spell_differently():
    """UCDP's `FLM` and `al-Murabitun` are ACLED's Katiba Macina and Al Mourabitoun (by side
    id), and JNIM from the merger of 2 March 2017."""
    import pandas as pd

    from peacewatch import actors

    for name, key, before in (
        ("FLM", "ucdp:6267", "Katiba Macina"),
        ("al-Murabitun", "ucdp:4376", "Al Mourabitoun"),
    ):
        assert actors.identities(name, "MLI")[0][0] == name  # the name alone: its own actor
        periods = actors.identities(name, "MLI", key)
        assert [p[0] for p in periods] == [before, "JNIM"]
        assert periods[1][1] == pd.Timestamp("2017-03-02")
        assert periods[0][2] == pd.Timestamp("2017-03-01")
    # a name row and an id row for the same periods give each period once
    assert [p[0] for p in actors.identities("Ansar Dine", "MLI", "ucdp:1157")] == [
        "Ansar Dine",
        "JNIM",
    ]
    assert actors.identities("JNIM", "MLI", "ucdp:6716") == [
        ("JNIM", actors.FAR_PAST, actors.FAR_FUTURE)
    ]
    assert actors.actor_key("ucdp_candidate", "6716") == "ucdp:6716"
    assert actors.actor_key("acled", None) is None


def _names(path, columns, skip_hxl=False):
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)[1:] if skip_hxl else list(reader)
    return {r[c] for r in rows for c in columns if r[c]}


def test_every_real_actor_name_is_categorised_and_only_true_unknowns_remain():
    names = _names(GED_MALI, ["side_a", "side_b"]) | _names(GED_BFA, ["side_a", "side_b"])
    names |= _names(ACLED_SAMPLE, ["actor1", "actor2"], skip_hxl=True)
    unknown = sorted(n for n in names if categorize(n, "MLI") == "unknown")
    assert unknown == ["Unidentified Armed Group (Mali)", "Unidentified Armed Group (Sudan)"]


def test_one_actor_across_sources_with_dated_affiliations(mali_store):
    """UCDP's `JNIM` and ACLED's `JNIM: Group for ...` are one actor; Ansar Dine counts as
    JNIM from 2 March 2017; a state's forces are its government in both sources. The JNIM total
    of the indicator is recounted from the raw GED file with pandas."""
    import pandas as pd

    from peacewatch import api, indicators
    from tests.conftest import GED_MALI

    crosswalk = api.actor_crosswalk(mali_store, "MLI")
    jnim = crosswalk[crosswalk["actor"] == "JNIM"]
    assert {"JNIM", "JNIM: Group for Support of Islam and Muslims"} <= set(jnim["name"])
    assert {"ucdp_ged", "acled"} <= set(jnim["source"])
    ansar = crosswalk[crosswalk["name"] == "Ansar Dine"]
    assert set(ansar["actor"]) <= {"Ansar Dine", "JNIM"}
    assert (pd.to_datetime(ansar.loc[ansar["actor"] == "Ansar Dine", "last"]) < "2017-03-02").all()
    state = crosswalk[crosswalk["actor"] == "Government of Mali"]
    assert {"Government of Mali", "Military Forces of Mali (2013-)"} <= set(state["name"])
    # UCDP's own side ids join what the names do not: FLM is Katiba Macina, al-Murabitun is
    # ACLED's Al Mourabitoun (before the merger); recounted from the raw file's side ids
    raw_ids = pd.read_csv(GED_MALI, index_col=False)
    for name, key, actor in (
        ("FLM", "ucdp:6267", "Katiba Macina"),
        ("al-Murabitun", "ucdp:4376", "Al Mourabitoun"),
    ):
        row = crosswalk[(crosswalk["name"] == name) & (crosswalk["source"] == "ucdp_ged")]
        assert row["actor"].tolist() == [actor] and row["source_id"].tolist() == [key]
        side_id = int(key.split(":")[1])
        either = (raw_ids["side_a_new_id"] == side_id) | (raw_ids["side_b_new_id"] == side_id)
        assert int(row["events"].sum()) == int(either.sum())
    assert set(crosswalk.loc[crosswalk["name"] == "JNIM", "source_id"]) == {"ucdp:6716"}

    result = indicators.compute(mali_store, "security.deaths_by_actor", "MLI", "2012-01-01",
                                "2023-12-31")  # fmt: skip
    got = result.frame[(result.frame["actor"] == "JNIM") & (result.frame["source"] == "ucdp_ged")]
    raw = pd.read_csv(GED_MALI, index_col=False)
    day = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S")
    raw = raw[(day >= "2012-01-01") & (day <= "2023-12-31")]
    day = day[raw.index]
    merged = ("Ansar Dine", "Al Mourabitoun", "Katiba Macina")

    def is_jnim(side: pd.Series, side_id: pd.Series) -> pd.Series:
        later = day >= "2017-03-02"
        by_name = side.str.startswith("JNIM") | (side.str.contains("|".join(merged)) & later)
        return by_name | (side_id == 6716) | (side_id.isin([1157, 4376, 6267]) & later)

    rows = raw[
        is_jnim(raw["side_a"].fillna(""), raw["side_a_new_id"])
        | is_jnim(raw["side_b"].fillna(""), raw["side_b_new_id"])
    ]
    assert int(got["events"].sum()) == len(rows)
    assert int(got["fatalities_best"].sum()) == int(rows["best_est"].sum())


def test_identities_follow_the_crosswalk_dates():
    import pandas as pd

    from peacewatch import actors

    periods = actors.identities("Wagner Group", "MLI")
    assert [p[0] for p in periods] == ["Wagner Group", "Africa Corps"]
    assert periods[1][1] == pd.Timestamp("2024-01-01")
    assert actors.identities("Dozos (Mali)", "MLI")[0][0] == "Dozo militias"
    assert actors.identities("Dozo Communal Militia (Mali)", "MLI")[0][0] == "Dozo militias"
    assert actors.identities("Police Forces of Niger (2011-)", "MLI")[0][0] == "Government of Niger"
    both = "JNIM: Group for Support of Islam and Muslims and/or Islamic State (Greater Sahara)"
    assert actors.identities(both, "MLI")[0][0] == both  # the source cannot tell: not JNIM
