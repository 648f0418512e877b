"""Playwright driving Debian's Chromium against the app on 127.0.0.1: a reporter files an
incident, an analyst verifies and publishes it, and it shows on the map and in the panel counts.
No console error, no request leaving the machine; screenshots in test-artifacts/."""

from contextlib import contextmanager

import pytest

from tests.conftest import ROOT
from tests.report.test_briefing import CHROMIUM, FLAGS
from tests.web.conftest import PASSWORD

ARTIFACTS = ROOT / "test-artifacts"


@contextmanager
def chromium():
    """Debian's Chromium, headless, through Playwright (closed on the way out)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def guarded_page(browser, server, errors, outside, **context):
    """A page that records console errors and aborts (and lists) any request off the app."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route):
        if route.request.url.startswith((server, "data:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return ctx, page


@pytest.mark.slow
def test_reporter_to_analyst_to_map(server):
    from playwright.sync_api import expect

    errors, outside = [], []
    with chromium() as browser:

        def session():
            return guarded_page(
                browser, server, errors, outside, viewport={"width": 1200, "height": 900}
            )

        def login(page, name):
            page.goto(f"{server}/login")
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/incidents")

        # The reporter files and submits.
        context, page = session()
        login(page, "rita")
        page.click("text=File an incident")
        page.fill("input[name=occurred_on]", "2024-02-10")
        page.fill("input[name=occurred_time]", "06:30")
        # The map picker: a click on the Mopti region fills the coordinates and drops a pin.
        expect(page.locator("#picker path.region")).to_have_count(10)
        page.locator("#picker .region-label", has_text="Mopti").click(force=True)
        expect(page.locator("#picker path.picked")).to_have_count(1)
        lat = float(page.input_value("input[name=latitude]"))
        lon = float(page.input_value("input[name=longitude]"))
        assert 13.5 < lat < 16.5 and -5.5 < lon < -1.0, (lat, lon)  # inside Mopti region
        expect(page.locator("#picked")).to_contain_text(f"{lat:.5f}")
        # The place list offers the store's camps and regions.
        assert page.locator("#places option[value='Mopti-Sevare']").count() == 1
        assert page.locator("#places option[value='Kidal']").count() >= 1
        page.fill("input[name=place]", "Mopti-Sevare")
        page.fill("input[name=injured]", "2")
        page.fill("input[name=missing]", "1")
        page.select_option("select[name=category]", "armed_clash")
        page.fill("input[name=actors]", "JNIM; FAMa")
        page.fill("input[name=killed_civilians]", "12")
        page.fill("textarea[name=description]", "Browser test clash near Mopti")
        page.select_option("select[name=confidentiality]", "public")
        page.screenshot(path=str(ARTIFACTS / "web-incident-form.png"), full_page=True)
        page.click("text=Save draft")
        expect(page.locator("#status")).to_have_text("draft")
        expect(page.locator("#injured")).to_have_text("2")
        expect(page.locator("#missing")).to_have_text("1")
        expect(page.locator("dd", has_text="2024-02-10 06:30")).to_have_count(1)
        incident_url = page.url
        page.click("button:has-text('Submit')")
        expect(page.locator("#status")).to_have_text("submitted")
        context.close()

        # The analyst verifies and publishes.
        context, page = session()
        login(page, "ana")
        page.goto(incident_url)
        page.click("button:has-text('Verify')")
        expect(page.locator("#status")).to_have_text("verified")
        # The list's map: one point per incident listed, each with its link.
        page.goto(f"{server}/incidents")
        listed = page.locator("#incident-list tr[data-id]").count()
        assert listed >= 1
        expect(page.locator("#incident-map path.incident-point")).to_have_count(listed)
        expect(page.locator("#incident-map path.region")).to_have_count(10)
        page.screenshot(path=str(ARTIFACTS / "web-incidents-map.png"), full_page=True)
        page.goto(f"{server}/country/MLI")
        expect(page.locator("#alerts")).to_be_visible()
        expect(page.locator("#alerts")).not_to_contain_text("from incident reports")
        page.goto(incident_url)
        page.click("button:has-text('Publish')")
        expect(page.locator("#status")).to_have_text("published")
        # Published: the overview's alerts now include it (12 deaths >= the threshold of 10).
        page.goto(f"{server}/country/MLI")
        alert = page.locator("#alerts li", has_text="Mopti, 2024-02")
        expect(alert).to_contain_text("12 deaths (12 from incident reports)")
        assert "source=incident" in alert.locator("a.incident-evidence").get_attribute("href")
        page.screenshot(path=str(ARTIFACTS / "web-overview-alert.png"), full_page=True)
        page.goto(incident_url)
        expect(page.locator("text=Audit trail")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "web-incident-published.png"), full_page=True)

        # On the map (incidents only, 2024) ...
        page.goto(f"{server}/map?country=MLI")
        expect(page.locator("#map-status")).to_contain_text("events shown")
        page.select_option("select[name=source]", "incident")
        page.fill("#year", "2024")
        page.dispatch_event("#year", "change")
        expect(page.locator("#map-status")).to_contain_text("1 of 1 events shown")
        expect(page.locator("path.event-incident")).to_have_count(1)
        # The view is in the URL: the same link shows the same map; its rows can be exported.
        assert "source=incident" in page.url and "year=2024" in page.url
        export = page.locator("#export-geojson").get_attribute("href")
        assert "format=geojson" in export and "source=incident" in export
        assert "date_from=2024-01-01" in export
        shared = page.url
        page.goto(shared)
        expect(page.locator("#map-status")).to_contain_text("1 of 1 events shown")
        # A readable popup: the day, the category, the region, the actors, the deaths, a link.
        page.locator("path.event-incident").click(force=True)
        popup = page.locator(".event-popup")
        expect(popup).to_contain_text("2024-02-10 · battle · Mopti")
        expect(popup).to_contain_text("JNIM; FAMa")
        expect(popup).to_contain_text("12 deaths")
        assert "T00:00:00" not in popup.inner_text()
        assert popup.locator("a").get_attribute("href").startswith("/incidents/")
        page.screenshot(path=str(ARTIFACTS / "web-map-incident.png"), full_page=True)
        # The choropleth: a legend, region names, and the regions filled by their deaths.
        page.select_option("select[name=source]", "")
        page.fill("#year", "2023")
        page.dispatch_event("#year", "change")
        expect(page.locator("#map-status")).not_to_contain_text("1 of 1 events shown")
        page.wait_for_function(
            "() => new Set([...document.querySelectorAll('path.region')]"
            ".map(e => e.getAttribute('fill'))).size >= 3"
        )
        expect(page.locator(".legend")).to_contain_text("Deaths per region")
        expect(page.locator(".region-label", has_text="Gao")).to_have_count(1)
        fills = page.eval_on_selector_all(
            "path.region", "els => els.map(e => e.getAttribute('fill'))"
        )
        assert len(fills) == 10 and len(set(fills)) >= 3  # Mali's 10 regions, several classes
        page.screenshot(path=str(ARTIFACTS / "web-map-choropleth.png"), full_page=True)

        # ... and in the panel counts.
        counts = page.evaluate(
            """async () => {
                const r = await fetch('/api/panels?country=MLI&unit=admin1&source=incident'
                    + '&date_from=2024-01-01&date_to=2024-12-31&limit=5000');
                const body = await r.json();
                return body.items.filter((x) => x.month === '2024-02-01')
                    .map((x) => [x.unit_name, x.events, x.fatalities_best]);
            }"""
        )
        assert ["Mopti", 1, 12] in [list(c) for c in counts]
        page.goto(f"{server}/country/MLI")
        page.goto(f"{server}/forecast/MLI")
        expect(page.locator("#forecast th").first).to_have_text("Region", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "web-forecast.png"), full_page=True)
        context.close()
    assert errors == []
    assert outside == []


@pytest.mark.slow
def test_api_docs_render_offline(server):
    """/docs: Swagger UI from the app's own copy lists the routes; nothing leaves the machine."""
    from playwright.sync_api import expect

    errors, outside = [], []
    with chromium() as browser:
        _ctx, page = guarded_page(
            browser, server, errors, outside, viewport={"width": 1366, "height": 768}
        )
        page.goto(f"{server}/docs")
        expect(page.locator(".opblock-summary-path", has_text="/api/events").first).to_be_visible(
            timeout=30_000
        )
        page.screenshot(path=str(ARTIFACTS / "web-api-docs.png"))
    assert outside == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


@pytest.mark.slow
def test_map_layers_camps_reconciled_points_and_french(server):
    """PRIO-GRID cells and camps on the map, their legend and popups, the layer kept in the URL;
    then the same map in French, chosen with the page's language link."""
    from playwright.sync_api import expect

    errors, outside = [], []
    with chromium() as browser:
        _ctx, page = guarded_page(
            browser, server, errors, outside, viewport={"width": 1366, "height": 768}
        )
        page.goto(f"{server}/map?country=MLI&year=2023&layer=grid")
        expect(page.locator("#map-status")).to_contain_text("events shown")
        expect(page.locator(".legend")).to_contain_text("Deaths per cell")
        expect(page.locator("path.cell")).to_have_count(425)
        page.wait_for_function(
            "() => new Set([...document.querySelectorAll('path.cell')]"
            ".map(e => e.getAttribute('fill'))).size >= 4"
        )
        expect(page.locator("#map-status")).to_contain_text("outside the country are not drawn")
        # 16 camps; in 2023 none had been handed over before the year began.
        expect(page.locator(".camp")).to_have_count(16)
        expect(page.locator(".camp.camp-closed")).to_have_count(0)
        page.locator(".camp[title=Ber]").dispatch_event("click")
        expect(page.locator(".camp-popup")).to_contain_text("handed over 2023-08-13")
        page.screenshot(path=str(ARTIFACTS / "web-map-grid-camps.png"))
        # 2024: the camps handed over in 2023 are drawn hollow; the layer stays in the URL.
        page.fill("#year", "2024")
        page.dispatch_event("#year", "change")
        expect(page.locator(".camp.camp-closed")).to_have_count(11)
        assert "layer=grid" in page.url and "year=2024" in page.url
        page.select_option("select[name=layer]", "admin1")
        expect(page.locator("path.region")).to_have_count(10)
        expect(page.locator(".legend")).to_contain_text("Deaths per region")
        # In French: the page and what its script writes.
        page.click("a[hreflang=fr]")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("h1")).to_have_text("Carte")
        expect(page.locator(".legend")).to_contain_text("Morts par région")
        expect(page.locator("#map-status")).to_contain_text("événements affichés sur")
        page.locator(".camp[title=Ber]").dispatch_event("click")
        expect(page.locator(".camp-popup")).to_contain_text("rétrocédé le 2023-08-13")
        page.screenshot(path=str(ARTIFACTS / "web-map-fr.png"))
    assert errors == []
    assert outside == []


OVERFLOW = """() => {
    const wide = [];
    for (const table of document.querySelectorAll('main table')) {
        const box = table.closest('.card') || document.querySelector('main');
        const room = box.clientWidth;
        if (table.getBoundingClientRect().width > room + 1) {
            const card = table.closest('.card');
            const name = card ? card.querySelector('h2').textContent : (table.id || 'table');
            wide.push([name, Math.round(table.getBoundingClientRect().width), room]);
        }
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
        wide.push(['page', document.documentElement.scrollWidth, window.innerWidth]);
    }
    return wide;
}"""


@pytest.mark.slow
def test_every_page_fits_a_laptop_screen(server):
    """At 1366x768 each page's tables fit their cards (nothing cut off or scrolled sideways)
    and the page itself never scrolls sideways; a screenshot of each, in both languages."""
    from playwright.sync_api import expect

    errors, outside = [], []
    pages = {
        "home": ("/", "h1"),
        "overview": ("/country/MLI", "#alerts"),
        "map": ("/map?country=MLI&year=2020", "path.region"),
        "forecast": ("/forecast/MLI", "#forecast th"),
        "impact": ("/impact/MLI", "h1"),
        "incidents": ("/incidents", "h1"),
    }
    with chromium() as browser:
        for lang in ("en", "fr"):
            _ctx, page = guarded_page(
                browser, server, errors, outside, viewport={"width": 1366, "height": 768},
                locale=lang, extra_http_headers={"Accept-Language": lang},
            )  # fmt: skip
            for name, (path, ready) in pages.items():
                page.goto(server + path, timeout=240_000)
                expect(page.locator(ready).first).to_be_visible(timeout=120_000)
                page.screenshot(path=str(ARTIFACTS / f"web-1366-{name}-{lang}.png"))
                assert page.evaluate(OVERFLOW) == [], (name, lang)
            _ctx.close()
    assert errors == []
    assert outside == []
