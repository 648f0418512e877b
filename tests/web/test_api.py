"""Every API route in-process, against the real Mali store, with independent recounts."""

import csv
import html
import io

import pytest

from tests.conftest import DATA
from tests.web.conftest import incident


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert body["error"]["message"]
    return body["error"]["message"]


class _Authed:
    """A client whose GETs carry one caller's token."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)


def test_health_and_openapi(client):
    assert client.get("/api/health").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    assert {"/api/events", "/api/panels", "/api/incidents", "/api/forecasts"} <= set(
        schema["paths"]
    )


def test_events_filters_and_pagination_match_sql(client, web_store, auth):
    """As an analyst (granted ACLED's raw rows): the API counts every row SQL counts."""
    client = _Authed(client, auth("ana"))
    (expected,) = web_store.con.execute(
        "SELECT count(*) FROM events WHERE country_iso3 = 'MLI' AND category = 'battle' "
        "AND date_start BETWEEN DATE '2020-01-01' AND DATE '2020-12-31'"
    ).fetchone()
    query = {"country": "MLI", "category": "battle", "date_from": "2020-01-01",
             "date_to": "2020-12-31"}  # fmt: skip
    first = client.get("/api/events", params={**query, "limit": 50}).json()
    assert first["total"] == expected > 50 and len(first["items"]) == 50
    rest = client.get("/api/events", params={**query, "limit": 5000, "offset": 50}).json()
    ids = [e["event_id"] for e in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == expected
    # bbox and actor category
    (in_box,) = web_store.con.execute(
        "SELECT count(*) FROM events "
        "WHERE longitude BETWEEN -5 AND -3 AND latitude BETWEEN 13 AND 16"
    ).fetchone()
    assert (
        client.get("/api/events", params={"bbox": "-5,13,-3,16", "limit": 1}).json()["total"]
        == in_box
    )
    jihadist = client.get("/api/events", params={"actor_category": "jihadist", "limit": 1})
    assert jihadist.json()["total"] > 0


def test_events_csv_and_geojson(client):
    params = {"country": "BFA", "date_from": "2019-01-01", "date_to": "2019-01-31"}
    rows = list(csv.DictReader(io.StringIO(client.get("/api/events", params={**params,
                "format": "csv"}).text)))  # fmt: skip
    geo = client.get("/api/events", params={**params, "format": "geojson"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert len(rows) == len(features) > 0
    assert features[0]["geometry"]["type"] == "Point"


def test_panels_indicators_sources_map(client, web_store, auth):
    panel = client.get("/api/panels", params={"country": "MLI", "unit": "country",
                                              "limit": 5000}).json()  # fmt: skip
    (deaths,) = web_store.con.execute(
        "SELECT sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' AND country_iso3 = 'MLI'"
        " AND violence_type = 1 AND date_precision <> 'year'"
    ).fetchone()
    assert sum(r["fatalities_sb"] for r in panel["items"]) == deaths
    csv_text = client.get("/api/panels", params={"country": "MLI", "format": "csv"}).text
    assert csv_text.startswith("unit,unit_name,month,events,fatalities_best,fatalities_sb")
    every = client.get("/api/panels", params={"country": "MLI", "measures": "all", "limit": 1})
    assert len(every.json()["items"][0]) > 50
    some = client.get("/api/panels", params={"country": "MLI", "measures": "fatalities_os"})
    assert set(some.json()["items"][0]) == {"unit", "unit_name", "month", "fatalities_os"}
    names = {i["name"] for i in client.get("/api/indicators", params={"country": "MLI"}).json()[
        "items"]}  # fmt: skip
    assert len(names) >= 10
    assert any(s["source"] == "ucdp_ged" for s in client.get("/api/sources").json()["items"])
    # Where the loaded files lay on the server is for administrators only.
    for who in (None, "ana"):
        sources = client.get("/api/sources", headers=auth(who))
        assert "file_path" not in sources.json()["loads"][0]
        assert str(DATA) not in sources.text
    admin = client.get("/api/sources", headers=auth("adm")).json()["loads"]
    assert any(str(DATA) in (load["file_path"] or "") for load in admin)
    shapes = client.get("/api/map/admin1", params={"country": "MLI"}).json()
    assert len(shapes["features"]) >= 8
    (mapped,) = web_store.con.execute(
        "SELECT count(*) FROM events WHERE country_iso3 = 'MLI' AND admin1_code IN "
        "(SELECT admin_code FROM admin_boundaries WHERE country_iso3 = 'MLI')"
    ).fetchone()
    assert sum(f["properties"]["events"] for f in shapes["features"]) == mapped


@pytest.mark.slow
def test_forecasts(client):
    body = client.get("/api/forecasts", params={"country": "MLI", "horizon": 2}).json()
    assert body["model"] == "gbm_hurdle" and len(body["items"]) >= 16
    assert all(0 <= r["p_ge_25"] <= 1 for r in body["items"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/events", {"country": "Mali"}),
        ("/api/events", {"date_from": "2020-13-01"}),
        ("/api/events", {"date_from": "2021-01-01", "date_to": "2020-01-01"}),
        ("/api/events", {"bbox": "a,b,c,d"}),
        ("/api/events", {"bbox": "10,10,0,0"}),
        ("/api/events", {"limit": 0}),
        ("/api/events", {"format": "xml"}),
        ("/api/events", {"category": "war"}),
        ("/api/panels", {"country": "MLI", "unit": "district"}),
        ("/api/panels", {"country": "MLI", "measures": "fatalities_xx"}),
        ("/api/panels", {}),
        ("/api/panels", {"country": "ZZZ"}),
        ("/api/map/admin1", {"country": "ZZZ"}),
        ("/api/forecasts", {"country": "MLI", "horizon": 99}),
        ("/api/incidents", {"status": "secret"}),
    ],
)
def test_bad_requests_get_a_clear_4xx(client, path, params):
    response = client.get(path, params=params)
    assert 400 <= response.status_code < 500
    _error(response, response.status_code)


def test_unknown_route_and_method(client):
    _error(client.get("/api/nothing"), 404)
    _error(client.delete("/api/events"), 405)


def test_incident_workflow_and_publication(client, auth, web_store):
    created = client.post("/api/incidents", json=incident(), headers=auth("rita"))
    assert created.status_code == 201, created.text
    record = created.json()
    iid = record["incident_id"]
    assert record["status"] == "draft" and record["admin1"] == "Mopti"
    assert record["location_source"] == "point"
    # A draft is not an event yet.
    assert client.get("/api/events", params={"source": "incident"}).json()["total"] == 0 or all(
        e["source_event_id"] != str(iid)
        for e in client.get("/api/events", params={"source": "incident"}).json()["items"]
    )
    edited = client.patch(
        f"/api/incidents/{iid}", json={"killed_civilians": 1}, headers=auth("rita")
    )
    assert edited.json()["version"] == 2
    assert client.post(f"/api/incidents/{iid}/submit", headers=auth("rita")).json()["status"] == (
        "submitted"
    )
    _error(client.patch(f"/api/incidents/{iid}", json={"actors": "x"}, headers=auth("rita")), 403)
    _error(client.post(f"/api/incidents/{iid}/publish", headers=auth("ana")), 422)
    client.post(f"/api/incidents/{iid}/verify", headers=auth("ana"))
    done = client.post(f"/api/incidents/{iid}/publish", headers=auth("ana")).json()
    assert done["status"] == "published" and done["version"] == 5
    events = client.get("/api/events", params={"source": "incident", "limit": 5000}).json()
    mine = [e for e in events["items"] if e["event_id"] == f"incident:{iid}"]
    assert len(mine) == 1 and mine[0]["fatalities_best"] == 3 + 5 + 1
    assert mine[0]["category"] == "battle" and mine[0]["admin1"] == "Mopti"
    # ... and into the panels, under source "incident".
    panel = client.get("/api/panels", params={"country": "MLI", "unit": "admin1",
        "source": "incident", "limit": 5000}).json()  # fmt: skip
    assert "items" in panel, panel
    feb = [r for r in panel["items"] if r["month"] == "2024-02-01" and r["unit_name"] == "Mopti"]
    assert feb and feb[0]["events"] >= 1
    history = client.get(f"/api/incidents/{iid}/history", headers=auth("ana")).json()["items"]
    assert [h["action"] for h in history] == ["create", "edit", "submit", "verify", "publish"]
    assert [h["changed_by"] for h in history] == ["rita", "rita", "rita", "ana", "ana"]


def test_named_place_resolves_and_unknown_place_is_refused(client, auth, web_store):
    body = incident(latitude=None, longitude=None, place="Kidal")
    record = client.post("/api/incidents", json=body, headers=auth("rita")).json()
    assert record["admin1"] == "Kidal" and record["location_source"] in ("camp", "admin-1 region")
    moved = client.patch(
        f"/api/incidents/{record['incident_id']}", json={"place": "Gao"}, headers=auth("rita")
    ).json()
    assert moved["admin1"] == "Gao" and moved["latitude"] != record["latitude"]
    (before,) = web_store.con.execute("SELECT count(*) FROM incident_versions").fetchone()
    bad = client.post(
        "/api/incidents", json=incident(latitude=None, longitude=None, place="Atlantis"),
        headers=auth("rita"),
    )  # fmt: skip
    assert "Atlantis" in _error(bad, 422)
    (after,) = web_store.con.execute("SELECT count(*) FROM incident_versions").fetchone()
    assert after == before  # nothing half-saved


def test_time_injured_and_missing_are_kept_and_edited(client, auth):
    made = client.post(
        "/api/incidents", json=incident(occurred_time="21:40", injured=7, missing=2),
        headers=auth("rita"),
    ).json()  # fmt: skip
    assert (made["occurred_time"], made["injured"], made["missing"]) == ("21:40", 7, 2)
    edited = client.patch(
        f"/api/incidents/{made['incident_id']}", json={"injured": 9}, headers=auth("rita")
    ).json()
    assert (edited["occurred_time"], edited["injured"], edited["missing"]) == ("21:40", 9, 2)


@pytest.mark.parametrize(
    "body",
    [
        {},
        incident(category="riot"),
        incident(killed_civilians=-1),
        incident(occurred_on="2999-01-01"),
        incident(latitude=95),
        incident(confidentiality="secret"),
        incident(extra="field"),
        incident(description="x" * 6000),
        incident(occurred_time="25:00"),
        incident(occurred_time="noon"),
        incident(injured=-2),
        incident(missing="many"),
    ],
)
def test_bad_incidents_are_refused_whole(client, auth, web_store, body):
    (before,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    response = client.post("/api/incidents", json=body, headers=auth("rita"))
    _error(response, 422)
    (after,) = web_store.con.execute("SELECT count(*) FROM incidents").fetchone()
    assert after == before


@pytest.mark.slow
def test_impact_results_and_pages(client):
    body = client.get("/api/impact", params={"country": "MLI"}).json()
    assert body["data_end"] == "2023-12-31"
    assert len(body["sites"]) >= 13 and body["pooled"] and body["limits"]
    page = client.get("/impact/MLI")
    assert page.status_code == 200 and "Per site" in page.text
    assert 'alt="Event study: rate ratios by month from handover"' in page.text  # the chart
    assert "<th>rate ratio</th>" in page.text and "rate_ratio" not in page.text
    ahead = client.get("/forecast/MLI").text
    assert "The data end in December 2023: the forecasts are for January 2024 to March" in ahead
    french_forecast = client.get("/forecast/MLI", headers={"Accept-Language": "fr"}).text
    shown = html.unescape(french_forecast)
    assert "s'arrêtent en décembre 2023" in shown and "janvier 2024 à mars 2024" in shown
    brief = client.get("/briefing/MLI")
    assert brief.status_code == 200 and "<script" not in brief.text
    assert "default-src 'none'" in brief.headers["content-security-policy"]
    french = client.get("/briefing/MLI", params={"lang": "fr"})
    assert french.status_code == 200 and '<html lang="fr">' in french.text
    assert "Principaux constats" in french.text
    unknown = client.get("/briefing/MLI", params={"lang": "xx"})
    assert unknown.status_code == 404 and "--lang xx: not one of en, fr" in unknown.text
    assert client.get("/impact/ZZZ").status_code == 404


def test_alerts_with_their_evidence(client, web_store):
    """Each alert's evidence links list the events behind it: their deaths add up to it (GED
    events, plus the published incident reports of other tests of this module, if any)."""
    body = client.get("/api/alerts", params={"country": "MLI", "months": 3}).json()
    assert body["unit"] == "admin1" and body["data_to"] >= "2023-12-01"
    observed = [a for a in body["items"] if a["rule"] in ("record", "threshold")]
    assert observed and all(a["deaths"] >= 10 for a in observed)
    for alert in observed[:3]:
        evidence = client.get(alert["evidence"] + "&limit=5000").json()
        precise = [e for e in evidence["items"] if e["date_precision"] != "year"]
        reported = 0
        if alert["incident_evidence"]:
            reports = client.get(alert["incident_evidence"] + "&limit=5000").json()["items"]
            reported = sum(e["fatalities_best"] for e in reports)
        assert reported == alert["incident_deaths"]
        assert sum(e["fatalities_best"] for e in precise) + reported == alert["deaths"]
        assert {e["admin1_code"] for e in precise} <= {alert["unit"]}
    _error(client.get("/api/alerts", params={"country": "MLI", "lookback": 3}), 422)
    page = client.get("/country/MLI")
    assert page.status_code == 200 and 'id="alerts"' in page.text
    latest = client.get("/api/alerts", params={"country": "MLI"}).json()["items"]
    shown = html.unescape(page.text)
    assert all(a["message"] in shown for a in latest)
    assert latest or "No alert in the last month of data." in shown


def test_the_incident_list_searches_and_filters(client, auth):
    """The page filters by text, status and category, keeps them in the form, and names a place
    once (not "Gao Gao")."""
    staff = auth("ana")
    marker = "Convoy ambushed near the Wabaria bridge"
    made = client.post(
        "/api/incidents",
        json=incident(description=marker, place="Gao", latitude=16.27, longitude=-0.04),
        headers=auth("rita"),
    ).json()
    page = client.get("/incidents", params={"q": "wabaria"}, headers=staff)
    assert page.status_code == 200
    rows = [line for line in page.text.splitlines() if f'/incidents/{made["incident_id"]}"' in line]
    assert rows and "Incidents (1)" in page.text and 'value="wabaria"' in page.text
    assert "Gao Gao" not in page.text and "<td>Gao</td>" in page.text
    drafts = client.get("/incidents", params={"q": "wabaria", "status": "published"}, headers=staff)
    assert "Incidents (0)" in drafts.text and "with these filters" in drafts.text
    other = client.get("/incidents", params={"q": "wabaria", "category": "ied"}, headers=staff)
    assert "Incidents (0)" in other.text
    odd = client.get("/incidents", params={"status": "nonsense"}, headers=staff)
    assert odd.status_code == 200  # an unknown filter value is ignored, not an error


def test_grid_map_recounts_by_hand(client, web_store):
    """PRIO-GRID squares: every death of the year is in a drawn cell or in `outside`, cells
    recomputed from the points with the published formula; about as many cells as Mali's area."""
    year = {"country": "MLI", "date_from": "2023-01-01", "date_to": "2023-12-31"}
    body = client.get("/api/map/grid", params=year).json()
    cells = {f["properties"]["priogrid_gid"]: f for f in body["features"]}
    # Mali is ~1.24 M km2; a half-degree cell at 12-20 N is ~2,900 km2: ~425 cells.
    assert 390 < len(cells) < 460
    frame = web_store.con.execute(
        "SELECT latitude, longitude, fatalities_best FROM events WHERE country_iso3 = 'MLI' "
        "AND date_start BETWEEN '2023-01-01' AND '2023-12-31' AND latitude IS NOT NULL"
    ).df()
    gid = ((frame.latitude + 90) // 0.5) * 720 + ((frame.longitude + 180) // 0.5) + 1
    by_cell = frame.fatalities_best.groupby(gid.astype(int)).sum()
    drawn = sum(f["properties"]["deaths"] for f in body["features"])
    assert drawn + body["outside"]["deaths"] == frame.fatalities_best.sum()
    assert body["outside"]["deaths"] == by_cell[~by_cell.index.isin(list(cells))].sum()
    gao = cells[212 * 720 + 359 + 1]  # Gao town, 16.27 N 0.04 W
    assert gao["properties"]["deaths"] == by_cell.get(153000, 0) > 0
    (x0, y0), (x1, y1) = gao["geometry"]["coordinates"][0][0], gao["geometry"]["coordinates"][0][2]
    assert sorted([x0, x1]) == [-0.5, 0.0] and sorted([y0, y1]) == [16.0, 16.5]
    _error(client.get("/api/map/grid", params={"country": "ZZZ"}), 422)


def test_camps_on_the_map_with_their_handover_dates(client, web_store):
    camps = client.get("/api/map/camps", params={"country": "MLI"}).json()["features"]
    (rows,) = web_store.con.execute(
        "SELECT count(*) FROM camps WHERE country_iso3 = 'MLI' AND latitude IS NOT NULL"
    ).fetchone()
    assert len(camps) == rows + 1  # and Ogossagou, from the documented geocode
    by_name = {c["properties"]["name"]: c["properties"] for c in camps}
    # Ber was the first MINUSMA camp handed over in the north (13 August 2023).
    assert by_name["Ber"]["closure_date"].startswith("2023-08-13")
    assert by_name["Ber"]["handover_order"] == 2
    assert by_name["Ogossagou"]["coord_source"].startswith("geocoded")


def test_events_once_folds_a_hand_labelled_match(client, auth, web_store):
    """A GED-ACLED pair labelled 'same event' by hand is one event with `once`: the ACLED row
    is folded into the GED row (named in its `also_in`); without `once` both rows come back."""
    analyst = _Authed(client, auth("ana"))
    query = {"country": "MLI", "date_from": "2019-06-01", "date_to": "2019-06-30", "limit": 5000}
    rows = analyst.get("/api/events", params=query).json()
    once = analyst.get("/api/events", params={**query, "once": "true"}).json()
    ids = {r["event_id"] for r in rows["items"]}
    assert {"ucdp_ged:290441", "acled:MLI2987"} <= ids  # Gao region, 24 June 2019
    folded = {r["event_id"]: r for r in once["items"]}
    assert "acled:MLI2987" not in folded
    assert folded["ucdp_ged:290441"]["also_in"] == "acled:MLI2987 (10 deaths)"
    gone = sum(len(r["also_in"].split("; ")) for r in once["items"] if r["also_in"])
    assert once["total"] == rows["total"] - gone > 0
    # Anonymous callers never see the licensed rows, folded or not.
    public = client.get("/api/events", params={**query, "once": "true"}).json()
    assert all(not r["event_id"].startswith("acled:") for r in public["items"])
    assert all("acled" not in (r["also_in"] or "") for r in public["items"])


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid"])
def test_panel_slices_of_the_kept_panel_equal_panels_built_for_the_request(client, web_store, unit):
    """Whole months come from the panel kept in memory; they must be exactly the panel built
    for the same period (and a part month, built, still counts only its days)."""
    from peacewatch import panel

    for start, end in [("2018-01-01", "2018-12-31"), ("2019-03-01", "2020-02-29"),
                       (None, "1995-06-30"), ("2023-07-01", None)]:  # fmt: skip
        params = {"country": "MLI", "unit": unit, "limit": 5000, "measures": "all"}
        params.update({k: v for k, v in (("date_from", start), ("date_to", end)) if v})
        got = client.get("/api/panels", params=params).json()
        while len(got["items"]) < got["total"]:  # every page
            more = client.get("/api/panels", params={**params, "offset": len(got["items"])})
            got["items"] += more.json()["items"]
        built = panel.panel(web_store, unit, "MLI", start, end, "ucdp_ged")
        assert got["total"] == len(built), (unit, start, end)
        assert [r["unit"] for r in got["items"]] == list(built["unit"].astype(str))
        first, last = got["items"][0], got["items"][-1]
        assert first["month"][:7] == str(built["month"].iloc[0])[:7]
        assert last["month"][:7] == str(built["month"].iloc[-1])[:7]
        for column in ("events", "fatalities_best", "fatalities_sb", "events_battle"):
            assert sum(r[column] for r in got["items"]) == built[column].sum(), column
    # Independent: the 2019 deaths of the kept panel are the events table's precise-date sum.
    year = client.get("/api/panels", params={"country": "MLI", "unit": unit, "limit": 5000,
                      "date_from": "2019-01-01", "date_to": "2019-12-31"}).json()  # fmt: skip
    (deaths,) = web_store.con.execute(
        "SELECT sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' AND country_iso3 = "
        "'MLI' AND year(date_start) = 2019 AND date_precision <> 'year'"
    ).fetchone()
    if unit != "priogrid":  # cells: only events whose cell centre lies in the country
        assert sum(r["fatalities_best"] for r in year["items"]) == deaths
    part = client.get("/api/panels", params={"country": "MLI", "unit": "country", "limit": 5000,
                      "date_from": "2019-01-01", "date_to": "2019-01-15"}).json()  # fmt: skip
    (half,) = web_store.con.execute(
        "SELECT coalesce(sum(fatalities_best), 0) FROM events WHERE source = 'ucdp_ged' AND "
        "country_iso3 = 'MLI' AND date_start BETWEEN '2019-01-01' AND '2019-01-15' "
        "AND date_precision <> 'year'"
    ).fetchone()
    assert [r["fatalities_best"] for r in part["items"]] == [half]


def test_an_incident_changed_meanwhile_answers_409(client, auth, monkeypatch):
    from peacewatch import incidents

    iid = client.post("/api/incidents", json=incident(), headers=auth("rita")).json()["incident_id"]

    def changed(store, user, incident_id, values):
        raise incidents.Conflict.tell(
            "incident {id} was changed by someone else meanwhile; read it again", id=incident_id
        )

    monkeypatch.setattr(incidents, "update", changed)
    message = _error(
        client.patch(f"/api/incidents/{iid}", json={"actors": "x"}, headers=auth("rita")), 409
    )
    assert "changed by someone else" in message
