import csv

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
    assert {r.match for r in table} <= {"exact", "prefix", "contains", "regex"}


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
