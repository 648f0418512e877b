"""The licence guard as an authorization matrix: who gets ACLED's raw rows, on every route.

ACLED's terms let the store's owner use raw rows and publish only aggregates, with
attribution. Raw rows (API JSON, CSV, GeoJSON, indicator tables, overview cards, the briefing's
tables) go only to the roles PEACEWATCH_LICENSED_ROLES grants (analyst, admin by default),
never anonymously; aggregates (panels, the admin-1 map) stay public with ACLED's attribution.
"""

import csv
import dataclasses
import io

import pytest
from fastapi.testclient import TestClient

from peacewatch.web.app import create_app
from tests.web.conftest import USERS

ROLES = [None, *USERS]  # None: anonymous
GRANTED = {"ana", "adm"}
ACLED_ROWS = 1534


def _ids(response, fmt):
    if fmt == "csv":
        return {r["event_id"] for r in csv.DictReader(io.StringIO(response.text))}
    if fmt == "geojson":
        return {f["properties"]["event_id"] for f in response.json()["features"]}
    return {e["event_id"] for e in response.json()["items"]}


@pytest.mark.parametrize("fmt", ["json", "csv", "geojson"])
@pytest.mark.parametrize("role", ROLES)
def test_raw_acled_rows_only_for_granted_roles(client, auth, role, fmt):
    params = {"country": "MLI", "date_from": "2019-01-01", "date_to": "2019-03-31",
              "limit": 5000, "format": fmt}  # fmt: skip
    response = client.get("/api/events", params=params, headers=auth(role))
    assert response.status_code == 200
    ids = _ids(response, fmt)
    acled = {i for i in ids if i.startswith("acled:")}
    assert ids, "the period has GED events for everyone"
    if role in GRANTED:
        assert len(acled) > 0
    else:
        assert acled == set(), (role, fmt)
        if fmt != "csv":
            body = response.json()
            assert body["withheld"] > 0 and "ACLED" in body["withheld_reason"]


@pytest.mark.parametrize("role", ROLES)
def test_asking_for_acled_by_name(client, auth, role):
    response = client.get("/api/events", params={"source": "acled", "limit": 1}, headers=auth(role))
    if role in GRANTED:
        assert response.status_code == 200 and response.json()["total"] == ACLED_ROWS
    else:
        assert response.status_code == (401 if role is None else 403)
        message = response.json()["error"]["message"]
        assert "analyst, admin" in message and "/api/panels?source=acled" in message


@pytest.mark.parametrize("role", ROLES)
def test_indicators_and_overview_leave_out_raw_rows(client, auth, role):
    body = client.get("/api/indicators", params={"country": "MLI"}, headers=auth(role)).json()
    mass = next(i for i in body["items"] if i["name"] == "human_rights.mass_casualty_events")
    sources = {v["source"] for v in mass["values"]}
    assert "ucdp_ged" in sources
    assert ("acled" in sources) == (role in GRANTED), role
    assert (mass["withheld"] > 0) == (role not in GRANTED)
    assert "ACLED" in body["attribution"]["acled"]
    page = client.get("/country/MLI", headers=auth(role)).text
    assert ("shown to granted roles only" in page) == (role not in GRANTED), role
    if role not in GRANTED:
        assert "acled:MLI" not in page


def test_aggregates_stay_public_with_attribution(client):
    panel = client.get("/api/panels", params={"country": "MLI", "unit": "country",
                                              "source": "acled", "limit": 5000})  # fmt: skip
    assert panel.status_code == 200
    body = panel.json()
    assert sum(r["events"] for r in body["items"]) == ACLED_ROWS
    assert "ACLED" in body["attribution"]["acled"] and "ucdp_ged" not in body["attribution"]
    assert [(r["source"], r["first_month"], r["last_month"]) for r in body["releases"]] == [
        ("acled", "2019-01", "2020-07")
    ]
    shapes = client.get("/api/map/admin1", params={"country": "MLI"}).json()
    assert "acled" in shapes["attribution"] and "ucdp_ged" in shapes["attribution"]


def test_the_granted_roles_are_the_owners_choice(app, web_store, tokens):
    settings = dataclasses.replace(app.state.settings, licensed_roles=("reporter", "analyst"))
    other = TestClient(create_app(settings, web_store))
    for name, granted in (("rita", True), ("ana", True), ("adm", False), ("vic", False)):
        response = other.get(
            "/api/events",
            params={"source": "acled", "limit": 1},
            headers={"Authorization": f"Bearer {tokens[name]}"},
        )
        assert (response.status_code == 200) == granted, name


def test_a_role_that_does_not_exist_is_refused():
    from peacewatch.errors import PeacewatchError
    from peacewatch.settings import Settings

    with pytest.raises(PeacewatchError, match="PEACEWATCH_LICENSED_ROLES: chief"):
        Settings.from_env({"PEACEWATCH_LICENSED_ROLES": "analyst,chief"})


@pytest.mark.slow
def test_the_public_briefing_has_no_raw_acled_rows(client, auth):
    public = client.get("/briefing/MLI").text
    granted = client.get("/briefing/MLI", headers=auth("ana")).text
    assert "acled:MLI" in granted and "acled:MLI" not in public
    assert "are left out of this copy" in public
