import re
import shutil
import subprocess
from pathlib import Path

import pytest

from peacewatch.analysis import vacuum
from peacewatch.report import briefing, i18n
from peacewatch.report.sections import outlook
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def brief(mali_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    html, pdf = out / "brief.html", out / "brief.pdf"
    steps = []
    context = briefing.write(mali_store, "MLI", html, pdf, progress=steps.append)
    return context, html, pdf, steps


def test_every_section_and_figure_has_its_source(brief):
    context, html, _pdf, steps = brief
    text = html.read_text(encoding="utf-8")
    for key, title in briefing.SECTIONS:
        assert f'id="{key}"' in text and title in text
    assert tuple(steps) == briefing.STEPS  # the progress bar's steps, in order
    figures = [f for figs in context["figures"].values() for f in figs]
    assert len(figures) >= 15
    assert all(f.caption for f in figures)
    assert all(f.indicators for f in figures)
    outlook = [f.title for f in context["figures"]["outlook"]]
    assert any("by region" in t for t in outlook) and any(
        "Fan charts by region" in t for t in outlook
    )
    # The appendix lists the query of every indicator.
    assert text.count('class="indicator"') == len(context["appendix"]) >= 14


def test_sentences_carry_the_stores_numbers(brief, mali_store):
    context, _html, _pdf, _ = brief
    security = " ".join(context["text"]["security"])
    assert "The deadliest year was 2022, with 3,650 deaths" in security
    match = re.search(
        r"Fatalities in (\w+) (rose|fell) from ([\d,]+) in (\d{4}) to ([\d,]+) "
        r"in (\d{4})",
        security,
    )
    assert match, security
    region, _, a, year_a, b, year_b = match.groups()
    got = dict(
        mali_store.con.execute(
            "SELECT year(date_start), sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
            "AND country_iso3 = 'MLI' AND admin1 = ? GROUP BY 1",
            [region],
        ).fetchall()
    )
    assert got.get(int(year_a), 0) == int(a.replace(",", ""))
    assert got.get(int(year_b), 0) == int(b.replace(",", ""))
    assert "174 peacekeepers" in security  # MINUSMA malicious acts, 2013-2023
    political = " ".join(context["text"]["political"])
    assert "22 Mar 2012 (successful)" in political and "18 Aug 2020 (successful)" in political


def test_html_is_self_contained(brief):
    _context, html, _pdf, _ = brief
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text
    # No resource is loaded from elsewhere: every src/href is an in-page anchor or data.
    refs = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert refs and all(r.startswith(("#", "data:")) for r in refs), refs[:5]


def test_pdf_has_the_same_sections(brief):
    _context, _html, pdf, _ = brief
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for _key, title in briefing.SECTIONS:
        assert title.split(":")[0] in text


@pytest.mark.slow
def test_briefing_renders_in_headless_chromium(brief):
    from playwright.sync_api import sync_playwright

    _context, html, _pdf, _ = brief
    errors, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:", "about:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", guard)
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        for key, _title in briefing.SECTIONS:
            assert page.locator(f"section#{key}").is_visible()
        assert page.locator("figure svg").count() >= 8
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "briefing-mali.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert outside == []
    assert Path(shot).stat().st_size > 50_000


def test_the_appendix_lists_only_the_files_the_briefing_read(brief):
    """It listed every file in the store (other countries' boundary files too)."""
    context, _html, _pdf, _steps = brief
    files = context["loads"]
    assert "mli_admbnda_adm1_1m_gov_20211220.shp" in files and "ged_mali_432.csv" in files
    for other in ("dza_admin1.geojson", "mrt_admin1.geojson", "NER_admbnda_adm1_IGNN_20230720"):
        assert other not in files
    # Burkina Faso's events are read by the regional section only.
    assert "ged_burkina_faso_439.csv" in files


def test_tables_and_sentences_read_as_prose(brief):
    """Raw codes (`state_forces`), midnight timestamps, a humanitarian value repeated as its own
    change ("522,368 in 2013, 522,368 in 2013") and the dropped confidence column."""
    context, html, _pdf, _steps = brief
    text = html.read_text(encoding="utf-8")
    for code in ("state_forces", "communal_militia", "people_in_need"):
        assert f">{code}<" not in text, code
    assert ">state forces<" in text
    assert "00:00:00" not in text
    assert not re.search(r"([\d,]+ in \d{4}), \1", text)
    hum = [f for f in context["figures"]["humanitarian"] if f.title.startswith("Displacement")]
    assert hum and "<th>confidence</th>" in hum[0].table


def test_chart_axes_print_plain_numbers():
    import pandas as pd

    from peacewatch.report import charts

    frame = pd.DataFrame({"year": [2013, 2023], "people": [1_200_000, 3_800_000]})
    svg = charts.lines(frame, "year", {"people": "People in need"}, "t")
    assert "1,500,000" in svg or "2,000,000" in svg
    assert "1e6" not in svg
    assert charts._plain_tick(0.25) == "0.25" and charts._plain_tick(40) == "40"


def test_trend_periods_add_up_to_the_total(brief):
    """The periods summed to 13,611 deaths, not 13,646: 35 deaths of year-dated events dropped."""
    import pandas as pd

    from tests.conftest import GED_MALI

    context, _html, _pdf, _steps = brief
    raw = pd.read_csv(GED_MALI, index_col=False)
    start, end = pd.Timestamp(context["start"]), pd.Timestamp(context["end"])
    dates = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S")
    expected = int(raw.loc[(dates >= start) & (dates <= end), "best_est"].sum())
    table = next(
        f.table
        for f in context["figures"]["political"]
        if f.title == "Trends between turning points"
    )
    heads = re.findall(r"<th>(.*?)</th>", table)
    rows = [re.findall(r"<td>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    rows = [r for r in rows if r]

    def column(name):
        return sum(float(r[heads.index(name)].replace(",", "")) for r in rows)

    assert int(column("total") + column("year dated deaths")) == expected


def test_the_attacks_figure_says_what_acled_covers(brief):
    """ACLED was drawn as 0 in years it is not loaded, and its 2020 is January-July only."""
    context, _html, _pdf, _steps = brief
    figure = next(f for f in context["figures"]["security"] if f.title.startswith("Attacks on"))
    assert "acled rows loaded cover 2019-01..2020-07 (part years: 2020: 2020-01..2020-07)" in (
        figure.caption
    )
    assert "not zero" in figure.caption


def test_every_table_header_is_on_the_pdf_page(brief):
    """Wide tables were cut at the right margin (the attacks table lost its coverage and
    disagreement columns, the vacated-camps table `fatalities_after`, the mass-casualty table
    `event_id`): every header word of every table is found by pdftotext inside the page."""
    import html as entities

    _context, html, pdf, _steps = brief
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', bbox
    )
    beyond = [w for _x0, x1, w in words if float(x1) > width]
    assert beyond == []
    on_page = {entities.unescape(w) for _x0, _x1, w in words}
    text = html.read_text(encoding="utf-8")
    headers = {
        word
        for table in re.findall(r"<table.*?</table>", text, re.S)
        for th in re.findall(r"<th>([^<]*)</th>", table)
        for word in entities.unescape(th).split()
    }
    assert {"coverage", "disagreement", "fatalities", "after", "event", "id"} <= headers
    assert headers - on_page == set()


def test_the_vacuum_counts_from_the_handover_day(store):
    """Menaka was handed over on 25 Aug 2023: 23 of its 60 'after' deaths came earlier in August
    when the month was counted whole. Recounted with a haversine in numpy from the raw file."""
    import numpy as np
    import pandas as pd

    from peacewatch.loading import load_file
    from tests.conftest import GED_MALI, REFERENCE

    load_file(store, "ucdp-ged", GED_MALI)
    load_file(store, "camps", REFERENCE / "minusma_camps.csv")
    load_file(store, "timeline", REFERENCE / "mali_timeline.csv")
    table = vacuum.vacuum_table(store, "MLI", pd.Timestamp("2023-12-31").date())
    row = table.set_index("camp").loc["Menaka"]
    raw = pd.read_csv(GED_MALI, index_col=False)
    raw = raw[raw["date_prec"] != 5]
    day = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S")
    lat1, lon1, lat2, lon2 = map(np.radians, (15.9182, 2.4022, raw["latitude"], raw["longitude"]))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    near = raw[km <= 25]
    after = near[day[km <= 25] >= "2023-08-25"]
    before = near[(day[km <= 25] >= pd.Timestamp("2023-08-25") - pd.Timedelta(days=182))
                  & (day[km <= 25] < "2023-08-25")]  # fmt: skip
    assert row["handover"] == "2023-08-25"
    assert row["fatalities_after"] == after["best_est"].sum()
    assert row["fatalities_182d_before"] == before["best_est"].sum()
    month = near[(day[km <= 25] >= "2023-08-01") & (day[km <= 25] <= "2023-12-31")]
    assert month["best_est"].sum() > row["fatalities_after"]  # the whole month counted more
    gossi = table.set_index("camp").loc["Gossi"]
    assert gossi["note"] == "no handover date"
    assert gossi["reason"].startswith("Absent from Geo-PKO after 2018-06")
    followed = vacuum.after_handovers(store, "MLI")
    events = " ".join(followed["event"])
    assert "seize Kidal" in events and "Bourem" in events and "Lere" in events


def test_the_vacuum_counts_events_without_a_stated_date_precision(tmp_path, store):
    """GED rows with an empty `date_prec` count as dated to the day, as in the panel: with every
    day-dated Mali row's precision blanked, the table is the same."""
    import pandas as pd

    from peacewatch.loading import load_file
    from peacewatch.store import Store
    from tests.conftest import GED_MALI, REFERENCE
    from tests.gedfiles import read_rows, write_country

    header, rows = read_rows(GED_MALI)
    blank = [dict(r, date_prec="" if r["date_prec"] == "1" else r["date_prec"]) for r in rows]
    tables = []
    with Store.open(tmp_path / "blank.duckdb") as other:
        for st, path in (
            (store, GED_MALI),
            (other, write_country(tmp_path / "b.csv", header, blank)),
        ):
            load_file(st, "ucdp-ged", path)
            load_file(st, "camps", REFERENCE / "minusma_camps.csv")
            tables.append(vacuum.vacuum_table(st, "MLI", pd.Timestamp("2023-12-31").date()))
    assert tables[0]["fatalities_after"].sum() > 50
    pd.testing.assert_frame_equal(tables[1], tables[0])


def test_forecast_table_is_sorted_and_formatted_and_empty_panels_start_at_zero():
    import matplotlib.pyplot as plt
    import pandas as pd

    from peacewatch.report import charts

    regions = pd.DataFrame(
        {
            "unit": ["A", "A", "B", "B"],
            "unit_name": ["Alpha", "Alpha", "Beta", "Beta"],
            "month": pd.to_datetime(["2024-02-01", "2024-01-01", "2024-01-01", "2024-02-01"]),
            "median": [3.4, 2.6, 30.2, 41.0],
            "q05": [0.0, 0.0, 4.4, 9.6],
            "q95": [12.5, 9.49, 120.2, 160.7],
            "p_ge_25": [0.05, 0.031, 0.6, 0.7],
        }
    )
    p_any = pd.DataFrame(
        {"unit": ["A", "B"], "unit_name": ["Alpha", "Beta"], "p_any": [0.08, 0.88]}
    )
    table = outlook.forecast_table(regions, p_any, i18n.ENGLISH)
    assert list(table["region"]) == ["Beta", "Beta", "Alpha", "Alpha"]
    assert list(table["month"]) == ["2024-01", "2024-02", "2024-01", "2024-02"]
    assert list(table["5-95% range"])[:2] == ["4-120", "10-161"]
    assert list(table["P(>= 25 deaths)"]) == ["60%", "70%", "3%", "5%"]
    fig, ax = plt.subplots()
    ax.plot(pd.to_datetime(["2024-01-01", "2024-06-01"]), [0, 0])
    charts.tidy_counts_axis(ax)
    assert ax.get_ylim() == (0.0, 1.0)
    plt.close(fig)


def test_key_judgements_carry_numbers_recounted_from_the_raw_file(engine_store):
    """The summary is five to seven judgements (how violent now against before, where, by
    whom, against whom, where the mission left, next), each with its number.

    Part of the parity suite: on DuckDB and on PostgreSQL.
    """
    mali_store = engine_store
    from datetime import date

    import pandas as pd

    from peacewatch.report import judgements
    from tests.conftest import GED_MALI

    raw = pd.read_csv(GED_MALI, index_col=False)
    year = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S").dt.year
    now, before = raw[year == 2023], raw[year == 2022]
    table = vacuum.vacuum_table(mali_store, "MLI", date(2023, 12, 31))
    judged = judgements.key_judgements(
        mali_store,
        "MLI",
        "Mali",
        date(2023, 12, 31),
        table,
        {"sentence": "a forecast."},
        ("MINUSMA",),
    )
    assert 5 <= len(judged) <= 7
    by = {j.question: j.text for j in judged}
    assert f"{now['best_est'].sum():,} deaths" in by["how violent"]
    assert f"against {before['best_est'].sum():,}" in by["how violent"]
    one_sided = now[now["type_of_violence"] == 3]["best_est"].sum()
    assert f"of {one_sided:,} deaths in one-sided violence" in by["by whom"]
    prior = before[before["type_of_violence"] == 3]["best_est"].sum()
    assert f"({one_sided:,} against {prior:,})" in by["against whom"]
    assert "Mopti" in by["where"] and "not an estimate" in by["where the mission left"]
    from tests.conftest import UN_FATALITIES

    un = pd.read_csv(UN_FATALITIES)
    killed = int(
        ((un["mission_acronym"] == "MINUSMA") & (un["type_of_incident"] == "Malicious Act")).sum()
    )
    assert f"{killed:,} peacekeepers of MINUSMA" in by["the mission and the people"]
    assert "internally displaced in" in by["the mission and the people"]
    # Troop strength: Geo-PKO's yearly rows, one per location and map; a location's yearly
    # average (ave.no.troops) counted once, summed over locations, for the mission's last year.
    from tests.conftest import GEOPKO

    geo = pd.read_csv(GEOPKO / "FrontMap_v.2.3.csv")
    geo = geo[(geo["mission"] == "MINUSMA") & (geo["year"] <= 2023)]
    per_year = geo.drop_duplicates(["year", "location"]).groupby("year")["ave.no.troops"].sum()
    assert (
        f"strength at {round(per_year[2023]):,} troops at "
        f"{geo[geo['year'] == 2023]['location'].nunique()} locations in 2023"
        in by["the mission and the people"]
    )
    assert (
        f"peak: {round(per_year.max()):,} in {per_year.idxmax()}"
        in by["the mission and the people"]
    )
    sections = {"security", "human-rights", "vacuum", "humanitarian", "outlook"}
    assert {j.section for j in judged} <= sections


def test_the_briefing_summary_is_the_key_judgements(brief):
    context, html, _pdf, _steps = brief
    text = html.read_text(encoding="utf-8")
    assert context["text"]["summary"] == [j.text for j in context["judgements"]]
    assert text.count('class="lead"') == len(context["judgements"])
    assert "90% interval" in context["judgements"][-1].text  # the outlook's national interval


def test_the_claims_section_sits_near_the_top(brief):
    context, html, _pdf, _steps = brief
    text = html.read_text(encoding="utf-8")
    assert [k for k, _t in context["sections"]][:2] == ["summary", "claims"]
    table = context["figures"]["claims"][0].table
    assert table.count("<tr") == 1 + 10 and "not enough data" in table
    assert text.index('id="claims"') < text.index('id="security"')


def test_regional_figures_name_their_boundaries(brief):
    """The footer said "Boundaries: Natural Earth" whatever was loaded."""
    context, html, _pdf, _steps = brief
    text = html.read_text(encoding="utf-8")
    assert "Boundaries: Natural Earth" not in text
    assert context["boundaries"].startswith("OCHA COD-AB admin-1, valid on 2021-12-20")
    maps = [f for f in context["figures"]["security"] if "admin-1" in f.caption]
    assert maps and all("OCHA COD-AB" in f.caption for f in maps)


@pytest.mark.slow
def test_a_country_without_a_mission_says_what_does_not_apply(mali_store):
    """`brief BFA`: Burkina Faso has no peace operation; each mission section says so."""
    context = briefing.build_context(mali_store, "BFA")
    text = context["text"]
    for key in ("security", "cooperation", "withdrawal", "vacuum"):
        assert any("has no UN peace operation" in s for s in text[key]), key
    assert any("no peace operation in the data" in s for s in text["claims"])
    assert not any("peacekeepers of the mission killed" in s for s in text["security"])
    assert not any("state_forces" in s for sentences in text.values() for s in sentences)
    assert len(context["judgements"]) >= 5
