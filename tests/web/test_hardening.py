"""Four holes a security review found, each reproduced, then closed.

- one anonymous failed request emptied every cache (a denial of service);
- the login limit trusted X-Forwarded-For (rotating it never blocked), and had no per-account cap;
- CSV exports carried formulas (`=HYPERLINK(...)` runs when the file is opened);
- revocation did not work while the server ran; the login form had no CSRF token; /docs was
  blank (Swagger from a CDN, blocked by the app's own CSP).
"""

import csv
import io
import os
import re
import signal
import sys

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peacewatch import accounts, csvsafe
from peacewatch.cli import app as cli_app
from peacewatch.store import Store
from peacewatch.web.cache import memo
from peacewatch.web.security import LoginLimiter
from tests.conftest import ROOT
from tests.serving import start_server
from tests.web.conftest import PASSWORD, incident

FORMULA = '=HYPERLINK("http://evil.example/x","click")'


# --- 1. the cache survives failed and anonymous requests ---------------------------------
def test_failed_anonymous_requests_leave_the_caches_alone(app, client, auth):
    state = app.state
    calls = []
    slow = memo(state, ("forecast-test", "MLI"), lambda: calls.append(1) or "slow result")
    params = {"country": "MLI", "unit": "country", "limit": 10}
    client.get("/api/panels", params=params)
    assert any(k.startswith("/api/panels?") for k in state.response_cache._store)
    browser = TestClient(app)
    browser.post("/login", data={"username": "x", "password": "y"})  # no CSRF token: 403
    browser.post("/api/incidents", json=incident())  # anonymous: 401
    browser.post("/no/such/route")  # 404
    browser.patch("/api/incidents/999999", json={}, headers=auth("rita"))  # 404
    assert memo(state, ("forecast-test", "MLI"), lambda: calls.append(1) or "again") == slow
    assert calls == [1]
    assert any(k.startswith("/api/panels?") for k in state.response_cache._store)
    # A write that changes events (a published incident) does drop them.
    iid = client.post("/api/incidents", json=incident(), headers=auth("rita")).json()
    iid = iid["incident_id"]
    for step, who in (("submit", "rita"), ("verify", "ana")):
        client.post(f"/api/incidents/{iid}/{step}", headers=auth(who))
    assert memo(state, ("forecast-test", "MLI"), lambda: "x") == slow  # not yet published
    client.post(f"/api/incidents/{iid}/publish", headers=auth("ana"))
    assert memo(state, ("forecast-test", "MLI"), lambda: "recomputed") == "recomputed"
    assert not any(k.startswith("/api/panels?") for k in state.response_cache._store)


def test_signed_in_answers_are_never_served_from_the_cache(app, client, tokens):
    """A cached answer must not outlive a revoked token."""
    params = {"country": "BFA", "unit": "country", "limit": 5}
    headers = {"Authorization": f"Bearer {tokens['vic']}"}
    assert client.get("/api/panels", params=params, headers=headers).status_code == 200
    assert not any("BFA" in k for k in app.state.response_cache._store)


# --- 2. the login limit ----------------------------------------------------------------
def test_the_limiter_caps_an_account_across_addresses():
    limiter = LoginLimiter(limit=5, account_limit=10)
    for i in range(10):
        assert not limiter.blocked("vic", f"10.0.0.{i}")
        limiter.failed("vic", f"10.0.0.{i}")
    assert limiter.blocked("vic", "10.0.0.99")  # a fresh address is blocked too
    assert not limiter.blocked("adm", "10.0.0.99")


@pytest.fixture
def served(web_store, tmp_path):
    """`peacewatch serve` in a process of its own, on a copy of the web store."""
    path = web_store.copy_to(tmp_path / "served.duckdb")
    with Store.open(path) as st:
        token = accounts.issue_token(st, "rob", "revocation test")
    env = {**os.environ, "PEACEWATCH_STORE": str(path), "PEACEWATCH_CACHE": str(tmp_path / "c")}
    proc, url = start_server([sys.executable, "-m", "peacewatch"], env, cwd=ROOT)
    yield url, path, token, env
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


def _login_form(http):
    page = http.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.mark.slow
def test_the_running_server(served):
    """Rotating X-Forwarded-For does not reset the limit; revocation works while serving."""
    url, path, token, env = served
    with httpx.Client(base_url=url) as http:
        for i in range(7):
            form = {
                "username": "vic",
                "password": "wrong password!",
                "csrf_token": _login_form(http),
            }
            http.post("/login", data=form, headers={"X-Forwarded-For": f"203.0.113.{i}"})
        form = {"username": "vic", "password": PASSWORD, "csrf_token": _login_form(http)}
        right = http.post("/login", data=form, headers={"X-Forwarded-For": "198.51.100.7"})
        assert right.status_code == 429
    # The control file is the store owner's only.
    control = path.with_name(path.name + ".serve.json")
    assert control.is_file() and oct(control.stat().st_mode & 0o777) == "0o600"
    rob = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/api/incidents", headers=rob).status_code == 200
    result = CliRunner().invoke(cli_app, ["users", "disable", "rob", "--store", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "through the running server" in result.output
    refused = httpx.get(f"{url}/api/incidents", headers=rob)
    assert refused.status_code == 401  # the next request
    # The control token works from this machine only and is no user's token.
    listing = httpx.get(f"{url}/api/admin/users", headers={"Authorization": "Bearer nope"})
    assert listing.status_code == 401


def test_admin_page_disables_and_revokes_on_the_next_request(app, web_store):
    accounts.add_user(web_store, "temp1", "reporter", PASSWORD)
    token = accounts.issue_token(web_store, "temp1", "t")
    headers = {"Authorization": f"Bearer {token}"}
    plain = TestClient(app)
    assert plain.get("/api/incidents", headers=headers).status_code == 200
    admin = TestClient(app, follow_redirects=False)
    form = _login_form(admin)
    admin.post("/login", data={"username": "adm", "password": PASSWORD, "csrf_token": form})
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "temp1" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert admin.post("/admin/users/temp1/revoke-tokens").status_code == 403  # no CSRF token
    done = admin.post("/admin/users/temp1/revoke-tokens", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert plain.get("/api/incidents", headers=headers).status_code == 401
    # Not for analysts; the API route too.
    assert (
        plain.get("/admin/users", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    analyst = TestClient(app)
    analyst_token = accounts.issue_token(web_store, "ana", "t")
    denied = analyst.post(
        "/api/admin/users/temp1/disable", headers={"Authorization": f"Bearer {analyst_token}"}
    )
    assert denied.status_code == 403


# --- 3. CSV cells that a spreadsheet would run --------------------------------------------
def test_formula_cells_are_neutralised_in_every_csv(client, auth, tmp_path, web_store):
    body = incident(description=FORMULA, actors="@SUM(1+1)", confidentiality="public")
    iid = client.post("/api/incidents", json=body, headers=auth("rita")).json()["incident_id"]
    for step, who in (("submit", "rita"), ("verify", "ana"), ("publish", "ana")):
        client.post(f"/api/incidents/{iid}/{step}", headers=auth(who))
    listing = client.get("/api/incidents", params={"format": "csv", "limit": 5000},
                         headers=auth("ana"))  # fmt: skip
    rows = [r for r in csv.DictReader(io.StringIO(listing.text)) if r["incident_id"] == str(iid)]
    assert rows[0]["description"] == "'" + FORMULA and rows[0]["actors"] == "'@SUM(1+1)"
    events = client.get("/api/events", params={"source": "incident", "format": "csv",
                                               "limit": 5000})  # fmt: skip
    notes = {r["event_id"]: r for r in csv.DictReader(io.StringIO(events.text))}
    assert notes[f"incident:{iid}"]["actor1"] == "'@SUM(1+1)"
    assert not any(v.startswith(csvsafe.FORMULA_STARTS) for r in notes.values() for v in r.values()
                   if v and not v.lstrip("-").replace(".", "").isdigit())  # fmt: skip
    # The command-line export of the same rows.
    copy = web_store.copy_to(tmp_path / "copy.duckdb")
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(
        cli_app, ["events", "--source", "incident", "--out", str(out), "--store", str(copy)]
    )
    assert result.exit_code == 0, result.output
    exported = [r for r in csv.DictReader(out.open()) if r["event_id"] == f"incident:{iid}"]
    assert exported[0]["notes"] == "'" + FORMULA


def test_formula_values_in_a_rejects_file_are_neutralised(store, tmp_path):
    from peacewatch.loading import load_file
    from tests.conftest import GED_MALI
    from tests.gedfiles import read_rows, write_country

    header, rows = read_rows(GED_MALI)
    bad = [dict(rows[0], latitude="=cmd|' /C calc'!A0"), *rows[1:3]]
    report = load_file(store, "ucdp-ged", write_country(tmp_path / "bad.csv", header, bad),
                       report_dir=tmp_path / "reports")  # fmt: skip
    with open(report.rejects_path, encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert rejects[0]["value"] == "'=cmd|' /C calc'!A0"


def test_csvsafe_rules():
    for text in ("=1+1", "+1", "-1+2", "@x", "\tx", "\rx"):
        assert csvsafe.cell(text) == "'" + text
    assert (
        csvsafe.cell("plain") == "plain" and csvsafe.cell(-5) == -5 and csvsafe.cell(None) is None
    )


# --- 4. login CSRF and offline API docs ---------------------------------------------------
def test_the_login_form_needs_its_csrf_token(app):
    browser = TestClient(app, follow_redirects=False)
    bare = browser.post("/login", data={"username": "ana", "password": PASSWORD})
    assert bare.status_code == 403 and "sign in again" in bare.text
    other = TestClient(app)
    stolen = _login_form(other)  # a token from another browser
    _login_form(browser)
    forged = browser.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": stolen}
    )
    assert forged.status_code == 403
    good = browser.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": _login_form(browser)}
    )
    assert good.status_code == 303


def test_api_docs_are_served_by_the_app(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/vendor/", "/static/")) for s in sources)
    for asset in sources:
        assert client.get(asset).status_code == 200, asset
    assert "script-src 'self'" in page.headers["content-security-policy"]
