"""A country the project has never seen: every command on synthetic GED and ACLED files of the
Central African Republic (tests/synthetic_country.py), with no Mali anywhere in what it says.

Also: nothing in `src/` names Mali outside data files and documented examples, and the actor
rules categorise the actors every source names, in any country.
"""

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peacewatch import accounts
from peacewatch.cli import app
from peacewatch.settings import Settings
from peacewatch.store import Store
from peacewatch.web.app import create_app
from tests.synthetic_country import write_acled, write_ged

ROOT = Path(__file__).resolve().parents[1]
MALI = re.compile(r"\bMali\b|\bMalian|MINUSMA|Bamako|\bMLI\b")


def _clean(text: str, where: str) -> None:
    found = sorted(set(MALI.findall(text)))
    assert found == [], f"{where}: {found}"


@pytest.fixture(scope="module")
def caf(tmp_path_factory):
    """A store of the synthetic country only, filled through the command line."""
    folder = tmp_path_factory.mktemp("caf")
    env = {"PEACEWATCH_STORE": str(folder / "caf.duckdb"), "PEACEWATCH_REPORT_DIR": str(folder)}
    runner = CliRunner()
    outputs = []
    for args in (
        ["load", "ucdp-ged", str(write_ged(folder / "ged_caf_140.csv"))],
        ["load", "acled", str(write_acled(folder / "acled_caf.csv"))],
    ):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return folder, env, runner, outputs


def _run(caf, *args: str, code: int = 0) -> str:
    _folder, env, runner, _outputs = caf
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (args, result.output)
    _clean(result.output, " ".join(args))
    return result.output


def test_loading_and_the_summary_speak_of_the_country_only(caf):
    _folder, _env, _runner, outputs = caf
    for text in outputs:
        _clean(text, "load")
        flat = " ".join(text.split())  # Rich wraps lines
        assert "0 events have an actor of category 'unknown'" in flat or "ucdp_ged" not in flat
    summary = _run(caf, "summary", "--country", "CAF")
    assert "MINUSCA" in summary  # the country's own mission, from data/missions.csv
    _run(caf, "actors")


def test_panels_say_plainly_what_is_missing(caf):
    folder = caf[0]
    _run(caf, "panel", "--unit", "country", "--country", "CAF", "--out", str(folder / "c.csv"))
    message = _run(caf, "panel", "--unit", "admin1", "--country", "CAF", code=2)
    assert "no admin-1 boundaries of CAF are loaded" in message
    _run(caf, "panel", "--unit", "priogrid", "--country", "CAF", "--out", str(folder / "g.csv"))
    for name in ("c.csv", "g.csv"):
        _clean((folder / name).read_text(), name)


def test_indicators_impact_backtest_and_forecast(caf):
    folder = caf[0]
    _run(caf, "indicators", "CAF")
    _run(caf, "indicators", "CAF", "--name", "regional.neighbours")
    impact = _run(caf, "impact", "--country", "CAF", "--out", str(folder / "impact"), code=2)
    assert "no camps for CAF" in impact
    _run(caf, "backtest", "--country", "CAF", "--years", "2023")
    _run(caf, "forecast", "CAF", "--out", str(folder / "f.csv"))
    # One convention: --country everywhere (a first argument too where it was one).
    assert _run(caf, "forecast", "--country", "CAF", "--horizon", "1").count("\nCAF,CAF,") == 1
    assert "two countries given" in _run(caf, "indicators", "CAF", "--country", "BFA", code=2)
    forecast = (folder / "f.csv").read_text()
    _clean(forecast, "forecast")
    alerting = _run(caf, "alerts", "CAF", "--months", "12")
    assert "Alerts of CAF" in alerting  # the country as one area: no boundaries loaded
    _run(caf, "alerts", "CAF", "--backtest", "--from", "2016-01-01")
    # A country violent every month is forecast as violent (not 0: tests/forecast/test_models).
    medians = [float(line.split(",")[7]) for line in forecast.splitlines()[1:]]
    assert min(medians) > 5


def test_the_briefing_of_a_new_country(caf):
    folder = caf[0]
    html, pdf = folder / "b.html", folder / "b.pdf"
    _run(caf, "brief", "CAF", "--out", str(html), "--pdf", str(pdf))
    text = html.read_text(encoding="utf-8")
    _clean(text, "briefing HTML")
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    _clean(words, "briefing PDF")
    assert "Central African Republic and MINUSCA" in text
    # What is missing is said plainly, not as an empty table or a stray unit.
    assert "No admin-1 boundaries of Central African Republic are loaded" in text
    prose = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)  # the appendix's SQL aside
    assert "(outside loaded boundaries)" not in prose
    assert "gives  as the chances" not in text
    assert "has no regional forecast (no admin-1 boundaries" in text
    assert "No mission claims file for this country (MINUSCA)" in text
    assert "no camps for CAF in the store" in text
    assert "No humanitarian figures for Central African Republic" in text
    assert "No neighbouring country&#39;s events are loaded" in text
    assert "No camps of MINUSCA are loaded" in text
    assert "No mandate or withdrawal events of Central African Republic" in text
    assert "No coups file is loaded" in text
    assert "No data in the store for this section." not in text  # each section says what
    # Only this country's files among the sources.
    assert "ged_caf_140.csv" in text and "ged_mali" not in text and "burkina" not in text


def test_the_api_routes_of_a_new_country(caf, tmp_path):
    folder = caf[0]
    with Store.open(folder / "caf.duckdb") as store:
        accounts.add_user(store, "ana", "analyst", "correct horse battery")
        token = accounts.issue_token(store, "ana", "tests")
        settings = Settings(store=store.path, cache=tmp_path / "c", report_dir=tmp_path / "r")
        client = TestClient(create_app(settings, store))
        client.headers["Authorization"] = f"Bearer {token}"
        for path, params in (
            ("/api/health", {}),
            ("/api/events", {"country": "CAF", "limit": 20}),
            ("/api/panels", {"country": "CAF", "unit": "country", "limit": 12}),
            ("/api/indicators", {"country": "CAF"}),
            ("/api/sources", {}),
            ("/api/forecasts", {"country": "CAF", "horizon": 2}),
        ):
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
            _clean(response.text, path)
        forecast = client.get("/api/forecasts", params={"country": "CAF"}).json()
        assert forecast["unit"] == "country"  # no admin-1 boundaries: the country unit
        shapes = client.get("/api/map/admin1", params={"country": "CAF"})
        assert shapes.status_code == 422 and "no admin-1 boundaries loaded for CAF" in shapes.text
        impact = client.get("/api/impact", params={"country": "CAF"})
        assert impact.status_code in (404, 422) and "camps" in impact.text
        _clean(impact.text, "/api/impact")


def test_unknown_actors_are_rare_where_the_source_names_one(caf, mali_store):
    """Share of GED fatalities whose named side (not `Unidentified ...`) has no category."""
    folder = caf[0]
    sql = """SELECT country_iso3,
                 sum(fatalities_best) FILTER (WHERE (actor1_category = 'unknown'
                     AND actor1 NOT ILIKE 'unidentified%') OR (actor2_category = 'unknown'
                     AND actor2 NOT ILIKE 'unidentified%')) / sum(fatalities_best) AS share
             FROM events WHERE source = 'ucdp_ged' GROUP BY 1 ORDER BY 1"""
    with Store.open(folder / "caf.duckdb", read_only=True) as store:
        shares = dict(store.con.execute(sql).fetchall())
    shares.update(dict(mali_store.con.execute(sql).fetchall()))
    assert set(shares) >= {"CAF", "MLI", "BFA"}
    assert all((share or 0) <= 0.10 for share in shares.values()), shares


def test_no_mali_in_the_code():
    """`src/` names Mali only in data files and in documented examples (docstrings)."""
    allowed = {
        ("api.py", '    >>> mali = api.events(store, country="MLI", date_from="2020-01-01", '
                   "geometry=True)"),
        ("reference.py", "the file name (`minusma_camps.csv` -> MINUSMA, Mali; "
                         "`mali_timeline.csv` -> Mali)."),
    }  # fmt: skip
    found = []
    for path in (ROOT / "src" / "peacewatch").rglob("*"):
        if path.suffix not in (".py", ".j2", ".js", ".css", ".html") or "data" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if MALI.search(line) and (path.name, line) not in allowed:
                found.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert found == []
