"""Sessions, CSRF, login rate limits, headers, concurrency, and no secrets in logs."""

import html
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, incident


def _login(app, name, password=PASSWORD):
    browser = TestClient(app, follow_redirects=False)
    form = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}
    )
    return browser, response


def _csrf(browser, path="/incidents/new"):
    page = browser.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_session_cookie_flags_and_headers(app):
    _browser, response = _login(app, "rita")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    for header in ("content-security-policy", "x-content-type-options", "x-frame-options",
                   "referrer-policy"):  # fmt: skip
        assert header in response.headers
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_forms_need_the_csrf_token(app, web_store):
    browser, _ = _login(app, "rita")
    form = {k: str(v) for k, v in incident().items()}
    (before,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    refused = browser.post("/incidents/new", data=form)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    refused = browser.post("/incidents/new", data={**form, "csrf_token": "forged"})
    assert refused.status_code == 403
    # The JSON API from a browser session needs the header too.
    assert browser.post("/api/incidents", json=incident()).status_code == 403
    (after,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    assert after == before
    accepted = browser.post("/incidents/new", data={**form, "csrf_token": _csrf(browser)})
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/incidents/")
    token = _csrf(browser)
    ok = browser.post("/api/incidents", json=incident(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


def test_form_errors_come_back_on_the_form(app, web_store):
    browser, _ = _login(app, "rita")
    (before,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    form = {k: str(v) for k, v in incident(killed_civilians="many").items()}
    response = browser.post("/incidents/new", data={**form, "csrf_token": _csrf(browser)})
    assert response.status_code == 422 and "killed_civilians" in response.text
    assert 'value="Clash near Mopti"' in response.text or "Clash near Mopti" in response.text
    (after,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    assert after == before


def test_login_rate_limit_and_wrong_passwords(app):
    for _ in range(5):
        _b, response = _login(app, "vic", "wrong password!")
        assert response.status_code == 401
    _b, response = _login(app, "vic")  # even the right password now waits
    assert response.status_code == 429
    _b, response = _login(app, "adm")  # other users are not affected
    assert response.status_code == 303
    _b, response = _login(app, "nobody", "whatever password")
    assert response.status_code == 401


def test_logout_ends_the_session(app):
    browser, _ = _login(app, "ana")
    token = _csrf(browser, "/incidents")
    assert "ana (analyst)" in browser.get("/incidents").text
    browser.post("/logout", data={"csrf_token": token})
    assert "Sign in" in browser.get("/incidents").text


def test_no_secret_in_logs(app, caplog, tokens):
    caplog.set_level(logging.DEBUG)
    _login(app, "rob", "my secret password 123")
    client = TestClient(app, raise_server_exceptions=False)
    client.get("/api/incidents", headers={"Authorization": f"Bearer {tokens['ana']}"})
    text = caplog.text
    assert "my secret password 123" not in text and tokens["ana"] not in text
    assert PASSWORD not in text


def test_twenty_concurrent_reporters(client, auth, web_store):
    """20 reporters file at once: 20 new incidents, none lost, none duplicated, 20 audit rows."""
    (before,) = web_store.con.execute("SELECT max(incident_id) FROM incidents").fetchone()
    names = ["rita", "rob"] * 10

    def file(i):
        body = incident(description=f"concurrent {i}")
        return client.post("/api/incidents", json=body, headers=auth(names[i])).json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        made = list(pool.map(file, range(20)))
    ids = [m["incident_id"] for m in made]
    assert len(set(ids)) == 20
    rows = web_store.con.execute(
        "SELECT description FROM incidents WHERE incident_id > ?", [before or 0]
    ).fetchall()
    assert sorted(r[0] for r in rows if r[0].startswith("concurrent")) == sorted(
        f"concurrent {i}" for i in range(20)
    )
    (audits,) = web_store.con.execute(
        f"SELECT count(*) FROM incident_versions WHERE incident_id IN ({','.join(map(str, ids))})"
    ).fetchone()
    assert audits == 20


def test_pages_render_for_each_role(app):
    for name in (None, "vic", "rita", "ana"):
        browser = TestClient(app) if name is None else _login(app, name)[0]
        for path in ("/", "/map", "/incidents", "/country/MLI", "/forecast/MLI", "/login"):
            assert browser.get(path).status_code == 200, (name, path)
    assert TestClient(app).get("/incidents/new").status_code == 401
    assert TestClient(app).get("/country/ZZZ").status_code == 404
    assert TestClient(app).get("/forecast/ZZZ").status_code == 404
    overview = TestClient(app).get("/country/MLI").text
    assert overview.count('src="data:image/svg+xml;base64,') >= 5  # trend charts, server-side
    forecast = TestClient(app).get("/forecast/MLI").text
    assert "Fan charts by region" in forecast and "data:image/svg+xml" in forecast


def test_errors_are_pages_for_people_and_json_for_the_api(client, auth):
    """A browser (Accept: text/html) gets an HTML error page; the API and scripts get JSON."""
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    missing = client.get("/no/such/page", headers=browser)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text and "Back to the countries" in missing.text
    assert "Content-Security-Policy" in missing.headers
    country = client.get("/country/XXX", headers=browser)
    assert country.status_code == 404 and "no events for" in country.text
    denied = client.get("/admin/users", headers={**browser, **auth("rita")})
    assert denied.status_code == 403 and "<h1>Not allowed</h1>" in denied.text
    anonymous = client.get("/admin/users", headers=browser)
    assert anonymous.status_code == 401 and 'href="/login"' in anonymous.text
    api = client.get("/api/no-such-route", headers=browser)  # the API answers JSON to all
    assert api.status_code == 404 and api.json()["error"]["status"] == 404
    script = client.get("/no/such/page")
    assert script.json()["error"]["code"] == "not_found"


def test_pages_in_french_from_the_browser_or_by_choice(client, auth):
    """Accept-Language: fr gives French pages (`lang="fr"`, the same catalogs as the briefing);
    /lang/en keeps English in a cookie whatever the browser says; the API is untouched."""
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8", "Accept": "text/html"}
    pages = {
        "/": ["Pays de la base", "vue d'ensemble", "Se connecter"],
        "/country/MLI": ["MLI : indicateurs", "Alertes", "Violence organisée par an", "sécurité"],
        "/map": ["Carte", "toutes les années"],
        "/forecast/MLI": ["prévision pour les 3 prochains mois"],
        "/incidents": ["Rechercher", "Confidentialité"],
        "/login": ["Mot de passe", "Nom d'utilisateur"],
        "/no/such/page": ["Introuvable", "Retour aux pays"],
    }
    for path, phrases in pages.items():
        page = client.get(path, headers=french)
        shown = html.unescape(page.text)
        assert '<html lang="fr">' in page.text, path
        assert all(p in shown for p in phrases), (path, [p for p in phrases if p not in shown])
        assert "Sign in" not in shown and "Back to the countries" not in shown, path
    form = html.unescape(client.get("/incidents/new", headers={**french, **auth("rita")}).text)
    assert "Signaler un incident" in form and "membres de groupes armés" in form
    english = client.get("/lang/en?next=/incidents%3Fq%3Dx", headers=french, follow_redirects=False)
    assert english.status_code == 303 and english.headers["location"] == "/incidents?q=x"
    chosen = client.get("/", headers={**french, "Cookie": "peacewatch_lang=en"})
    assert '<html lang="en">' in chosen.text and "Countries in the store" in chosen.text
    away = client.get("/lang/fr?next=//evil.example/x", follow_redirects=False)
    assert away.headers["location"] == "/"  # never to another site
    assert client.get("/api/health", headers=french).json()["status"] == "ok"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("fr-CA,fr;q=0.9", "fr"), ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"), ("de", None),
     ("en;q=0.2,fr;q=0.8", "fr"), ("fr;q=0", None), ("", None), ("fr;q=abc,en", "en")],
)  # fmt: skip
def test_accept_language_is_read_by_weight(header, expected):
    from peacewatch.web.lang import from_header

    assert from_header(header) == expected


def test_error_pages_speak_the_readers_language_and_the_api_stays_english(client, auth):
    """A 403, 404 and 401 page in French from the catalog (the values filled in); the same
    errors as JSON keep the English message a script can match on."""
    french = {"Accept-Language": "fr", "Accept": "text/html"}
    missing = client.get("/incidents/987654", headers=french)
    assert missing.status_code == 404
    assert "incident 987654 : introuvable" in html.unescape(missing.text)
    denied = client.get("/admin/users", headers={**french, **auth("rita")})
    assert denied.status_code == 403
    assert "nécessite le rôle admin ou supérieur" in html.unescape(denied.text)
    unknown = client.get("/no/such/page", headers=french)
    assert "Page introuvable" in html.unescape(unknown.text)
    anonymous = client.get("/incidents/new", headers=french)
    assert "connectez-vous d'abord" in html.unescape(anonymous.text)
    api = client.get("/api/incidents/987654", headers={"Accept-Language": "fr", **auth("ana")})
    assert api.json()["error"]["message"] == "incident 987654: not found"
