"""The authorization matrix: each role x each route x public / restricted record.

Fails if a restricted incident, its existence (counts, search, CSV, events, panels), or a
reporter's name reaches a role without clearance.
"""

import pytest

from tests.web.conftest import USERS, incident

ROLES = [None, *USERS]  # None: anonymous
CLEARED = {"ana", "adm"}
SECRET = "Zebra-7 informant statement"


@pytest.fixture(scope="module")
def records(client, auth):
    """Four incidents by rita: public published, restricted published, restricted draft,
    public draft; one by rob: restricted submitted."""
    made = {}
    specs = {
        "public_published": ("rita", "public", ["submit", "verify", "publish"]),
        "restricted_published": ("rita", "restricted", ["submit", "verify", "publish"]),
        "restricted_draft": ("rita", "restricted", []),
        "public_draft": ("rita", "public", []),
        "rob_restricted": ("rob", "restricted", ["submit"]),
    }
    for key, (who, confidentiality, steps) in specs.items():
        body = incident(confidentiality=confidentiality, description=f"{SECRET} {key}")
        iid = client.post("/api/incidents", json=body, headers=auth(who)).json()["incident_id"]
        for step in steps:
            actor = who if step == "submit" else "ana"
            assert (
                client.post(f"/api/incidents/{iid}/{step}", headers=auth(actor)).status_code == 200
            )
        made[key] = iid
    return made


def may_see(role, key):
    if role in CLEARED:
        return True
    if key == "public_published":
        return True
    if role == "rita":
        return key != "rob_restricted"
    if role == "rob":
        return key == "rob_restricted"
    return False


@pytest.mark.parametrize("role", ROLES)
def test_matrix(client, auth, records, role):
    headers = auth(role)
    listing = client.get("/api/incidents", params={"limit": 5000}, headers=headers).json()
    seen = {i["incident_id"] for i in listing["items"]}
    ours = set(records.values())
    expected = {records[k] for k in records if may_see(role, k)}
    assert seen & ours == expected, role
    # Counts obey the roles too.
    assert listing["total"] == len(listing["items"])
    for key, iid in records.items():
        one = client.get(f"/api/incidents/{iid}", headers=headers)
        assert one.status_code == (200 if may_see(role, key) else 404), (role, key)
        if one.status_code == 200:
            shows_reporter = "reporter" in one.json()
            own = (role == "rita" and key != "rob_restricted") or (
                role == "rob" and key == "rob_restricted"
            )
            assert shows_reporter == (role in CLEARED or own), (role, key)
        history = client.get(f"/api/incidents/{iid}/history", headers=headers)
        assert history.status_code == (200 if role in CLEARED else (401 if role is None else 403))
    # Search, CSV and GeoJSON exports.
    found = client.get("/api/incidents", params={"q": "Zebra-7", "limit": 5000}, headers=headers)
    assert {i["incident_id"] for i in found.json()["items"]} & ours == expected
    exported = client.get(
        "/api/incidents", params={"format": "csv", "limit": 5000}, headers=headers
    )
    for key in records:
        line_hit = f"{SECRET} {key}" in exported.text
        assert line_hit == may_see(role, key), (role, key)
    if role not in CLEARED and role not in ("rita", "rob"):
        assert "rita" not in exported.text and "rob" not in exported.text


@pytest.mark.parametrize("role", ROLES)
def test_restricted_incidents_never_reach_events_or_panels(client, auth, records, role):
    events = client.get(
        "/api/events", params={"source": "incident", "limit": 5000}, headers=auth(role)
    ).json()
    ids = {e["event_id"] for e in events["items"]}
    assert f"incident:{records['public_published']}" in ids
    for key in ("restricted_published", "restricted_draft", "public_draft", "rob_restricted"):
        assert f"incident:{records[key]}" not in ids
    assert all(SECRET not in str(e) for e in events["items"] if e["event_id"] != (
        f"incident:{records['public_published']}"))  # fmt: skip


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        (None, "submit", 401),
        ("vic", "submit", 403),
        ("rob", "submit", 404),  # rita's draft is invisible to rob
        ("rita", "verify", 403),
        ("rita", "publish", 403),
    ],
)
def test_roles_that_may_not_act(client, auth, records, role, action, status):
    response = client.post(
        f"/api/incidents/{records['restricted_draft']}/{action}", headers=auth(role)
    )
    assert response.status_code == status
    assert response.json()["error"]["status"] == status


def test_viewers_and_anonymous_cannot_file(client, auth):
    assert client.post("/api/incidents", json=incident()).status_code == 401
    assert client.post("/api/incidents", json=incident(), headers=auth("vic")).status_code == 403


def test_bad_or_revoked_tokens_are_refused(client, web_store):
    from peacewatch import accounts

    assert client.get("/api/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/incidents", headers={"Authorization": "Basic x"}).status_code == 401
    accounts.add_user(web_store, "temp", "analyst", "another long password")
    token = accounts.issue_token(web_store, "temp")
    assert (
        client.get("/api/incidents", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    accounts.disable_user(web_store, "temp")
    assert (
        client.get("/api/incidents", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
