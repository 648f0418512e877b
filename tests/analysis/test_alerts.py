"""Alert rules and their backtest: a hand-counted case, a recount from the raw GED file, CLI."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from peacewatch.analysis import alerts
from peacewatch.cli import app
from peacewatch.errors import PeacewatchError
from peacewatch.loading import load_file
from tests.conftest import GED_MALI


def _frame(values: dict[str, dict[int, int]], months: int = 30) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=months, freq="MS")
    rows = [
        {"unit": unit, "unit_name": unit, "month": m, "deaths": spikes.get(i, base)}
        for unit, (base, spikes) in ((u, (2 if u == "A" else 0, s)) for u, s in values.items())
        for i, m in enumerate(index)
    ]
    return pd.DataFrame(rows)


RULES = alerts.Rules(lookback=24, min_deaths=10, threshold=10, horizon=3, target=25)


def test_rules_and_scores_by_hand():
    """A: 2 deaths a month, 12 in month 24, 30 in month 26; B: 0, and 40 in month 10.

    record: A24 (12 > 2 over 24 months before), A26 (30 > 12); B10 has no 24 months behind
    it. threshold (10): A24, A26, B10. Target months (>= 25): A26, B10. Alerts count up to
    month 29 - 3 = 26. threshold: A24 followed by A26 (1 of 3); A26 warned by A24, 2 months
    ahead (1 of 2 targets). persistence: A26, B10 are alerts, neither followed; nothing warned.
    """
    deaths = _frame({"A": {24: 12, 26: 30}, "B": {10: 40}})
    fired = alerts.fire(deaths, RULES)
    month = deaths["month"].drop_duplicates().reset_index(drop=True)
    got = {(r.rule, r.unit, int(month[month == r.month].index[0])) for r in fired.itertuples()}
    assert got == {
        ("record", "A", 24),
        ("record", "A", 26),
        ("threshold", "A", 24),
        ("threshold", "A", 26),
        ("threshold", "B", 10),
    }
    assert (
        fired.loc[(fired["rule"] == "record") & (fired["deaths"] == 30), "reference"].item() == 12
    )
    start, end = month.iloc[0].date(), month.iloc[-1].date()
    threshold = alerts.score(deaths, fired[fired["rule"] == "threshold"], RULES, start, end)
    assert threshold == {
        "alerts": 3,
        "alerts_followed": 1,
        "precision": 0.333,
        "target_months": 2,
        "target_months_warned": 1,
        "recall": 0.5,
        "median_lead_months": 2.0,
    }
    naive = deaths.loc[deaths["deaths"] >= 25, ["unit", "month"]]
    persistence = alerts.score(deaths, naive, RULES, start, end)
    assert (persistence["alerts"], persistence["alerts_followed"]) == (2, 0)
    assert (persistence["recall"], persistence["median_lead_months"]) == (0.0, None)


def test_settings_are_checked():
    with pytest.raises(PeacewatchError, match="lookback: 6"):
        alerts.Rules(lookback=6)
    with pytest.raises(PeacewatchError, match="probability"):
        alerts.Rules(probability=1.5)


@pytest.fixture
def ged_store(store):
    load_file(store, "ucdp-ged", GED_MALI)
    return store


def _raw_monthly() -> pd.Series:
    raw = pd.read_csv(GED_MALI, index_col=False)
    raw = raw[raw["date_prec"] != 5]  # year-only dates are not placed in a month (panel)
    month = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S").dt.to_period("M")
    return raw.groupby(month)["best_est"].sum()


def test_threshold_alerts_recount_from_the_raw_file(ged_store):
    """Without boundaries the country is the area: its threshold months are the raw file's
    months with >= 10 deaths (plain pandas), and the 2018-2023 backtest counts them."""
    deaths, unit = alerts.series(ged_store, "MLI")
    assert unit == "country"
    fired = alerts.fire(deaths, alerts.Rules())
    monthly = _raw_monthly()
    expected = {str(p) for p, v in monthly.items() if v >= 10}
    got = {m.strftime("%Y-%m") for m in fired.loc[fired["rule"] == "threshold", "month"]}
    assert got == expected
    table = alerts.backtest(ged_store, ["MLI"], alerts.Rules())
    naive = table[table["rule"] == "persistence (naive)"].iloc[0]
    window = monthly[
        (monthly.index >= pd.Period("2018-01")) & (monthly.index <= pd.Period("2023-12"))
    ]
    assert naive["target_months"] == int((window >= 25).sum())
    assert set(table["rule"]) == {"record", "threshold", "persistence (naive)"}


def test_current_alerts_name_their_evidence(ged_store):
    found = alerts.current(ged_store, "MLI", months=3, with_forecast=False)
    assert found.attrs["last_month"] == pd.Timestamp("2023-12-01").date()
    monthly = _raw_monthly()
    for row in found.itertuples():
        assert row.deaths == monthly[pd.Period(row.month, "M")]
        assert f"date_from={row.month:%Y-%m}-01" in row.evidence and "country=MLI" in row.evidence
    assert len(found) == sum(monthly[pd.Period(m)] >= 10 for m in ("2023-10", "2023-11", "2023-12"))


def test_alerts_command(tmp_path):
    runner = CliRunner()
    env = {"PEACEWATCH_STORE": str(tmp_path / "a.duckdb"), "COLUMNS": "200"}
    assert runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env).exit_code == 0
    result = runner.invoke(app, ["alerts", "MLI", "--backtest"], env=env)
    assert result.exit_code == 0, result.output
    assert "persistence (naive)" in result.output and "precision" in result.output
    result = runner.invoke(app, ["alerts", "--country", "MLI", "--months", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "Alerts of MLI, data to Dec 2023" in result.output
    bad = runner.invoke(app, ["alerts", "MLI", "--lookback", "5"], env=env)
    assert bad.exit_code == 2 and "lookback: 5" in bad.output


@pytest.fixture
def own_mali_store(mali_store, tmp_path):
    """A writable copy of the Mali store (boundaries loaded: incidents get their region)."""

    from peacewatch.store import Store

    mali_store.copy_to(tmp_path / "mali.duckdb")
    with Store.open(tmp_path / "mali.duckdb") as st:
        yield st


def test_a_published_incident_report_raises_an_alert_and_a_duplicate_counts_once(own_mali_store):
    """Alerts count published reports that no GED event records: a report of 12 deaths in
    Mopti in Feb 2024 (after the GED data end) is a threshold alert of 12, all from reports; a
    report of GED event 504149 (20 Dec 2023, 13 deaths at the same point) is matched and not
    added to its region's December."""
    from peacewatch import accounts, incidents

    st = own_mali_store
    rita = accounts.add_user(st, "rita", "reporter", "correct horse battery")
    ana = accounts.add_user(st, "ana", "analyst", "correct horse battery")

    def publish(**values):
        made = incidents.create(st, rita, {"confidentiality": "public", **values})
        for action, who in (("submit", rita), ("verify", ana), ("publish", ana)):
            incidents.transition(st, who, made["incident_id"], action)
        return made["admin1"]

    before = alerts.current(st, "MLI", months=3, with_forecast=False)
    assert before.attrs["last_month"] == pd.Timestamp("2023-12-01").date()
    deaths, _unit = alerts.series(st, "MLI")
    region = publish(occurred_on="2023-12-20", latitude=14.451, longitude=-2.24422,
                     category="armed_clash", killed_security_forces=13,
                     actors="Government of Mali; JNIM")  # fmt: skip
    assert publish(occurred_on="2024-02-10", latitude=14.49, longitude=-4.19,
                   category="armed_clash", killed_civilians=12) == "Mopti"  # fmt: skip
    after = alerts.current(st, "MLI", months=3, with_forecast=False)
    assert after.attrs["last_month"] == pd.Timestamp("2024-02-01").date()
    new = after[after["month"] == pd.Timestamp("2024-02-01")]
    assert list(new["rule"]) == ["threshold"] and list(new["unit_name"]) == ["Mopti"]
    assert (int(new["deaths"].iloc[0]), int(new["incident_deaths"].iloc[0])) == (12, 12)
    assert "(12 from incident reports)" in new["message"].iloc[0]
    assert "source=incident" in new["incident_evidence"].iloc[0]
    december = deaths[(deaths["unit_name"] == region) & (deaths["month"] == "2023-12-01")]
    matched = after[(after["unit_name"] == region) & (after["month"] == "2023-12-01")]
    old = before[(before["unit_name"] == region) & (before["month"] == "2023-12-01")]
    assert len(matched) >= 1 and list(matched["deaths"]) == list(old["deaths"])  # not + 13
    assert (matched["deaths"] == int(december["deaths"].iloc[0])).all()
    # The same alert in French, from the same catalog as the pages.
    from peacewatch.report import i18n

    french = alerts.current(st, "MLI", months=1, with_forecast=False, _=i18n.get("fr")._)
    assert "12 morts (dont 12 de rapports d'incident), au seuil de 10" in french["message"].iloc[0]
