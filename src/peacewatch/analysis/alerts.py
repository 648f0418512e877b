"""Early-warning alerts per area and month, and how the same rules would have done.

Three rules, each with its setting (`Rules`), decided before any test (no value here was
chosen by looking at 2018-2023):

- `record`: an area's deaths in a month reach a level not seen in the `lookback` months before
  (at least `min_deaths`, and more than every one of those months; an area needs `lookback`
  months of history to have a record);
- `threshold`: an area's deaths in a month reach `threshold`;
- `forecast`: the forecast P(>= 25 deaths) of an area passes `probability` in one of the next
  `horizon` months (current alerts only: the backtest scores the two observed rules).

Current alerts also count the deaths of published field incident reports (source `incident`)
that no UCDP GED event already records (`reconcile.matches`), so a report filed today can
raise an alert before the next UCDP release; the backtest counts UCDP alone.

The backtest asks of every alert in a period: was there a month with >= `target` deaths in
that area within the `horizon` months after it (precision); and of every such month: did an
alert come in the `horizon` months before it (recall), how long before (lead time). Beside
them, the naive rule `persistence`: a month with >= `target` deaths is itself the alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from peacewatch import panel
from peacewatch.analysis import reconcile
from peacewatch.analysis.rules import Rules
from peacewatch.forecast import outlook
from peacewatch.store import Store

OBSERVED_RULES = ("record", "threshold")
ALERT_COLUMNS = [
    "unit",
    "unit_name",
    "month",
    "rule",
    "deaths",
    "reference",
    "message",
    "evidence",
    "incident_deaths",
    "incident_evidence",
]
INCIDENTS = "incident"
Translate = Callable[..., str]


BACKTEST_NOTE = (
    "An alert is followed when the area has a month with >= {target} deaths within the "
    "{horizon} months after it (precision); a month with >= {target} deaths is warned when an "
    "alert came in the {horizon} months before it (recall; lead: months from the earliest such "
    "alert). persistence (naive): a month with >= {target} deaths is itself the alert. The "
    "rules' settings are the defaults, set before any test; the forecast rule is not scored "
    "here (it needs the forecasts each month would have had: peacewatch backtest)."
)


def describe(rules: Rules) -> str:
    """The rules in one line, for a table's caption."""
    return (
        f"record = more deaths than in any of the {rules.lookback} months before and at least "
        f"{rules.min_deaths}; threshold = {rules.threshold} deaths in a month; forecast = "
        f"P(>= 25 deaths) >= {rules.probability:g} in the next {rules.horizon} months"
    )


def series(store: Store, country: str, source: str = "ucdp") -> tuple[pd.DataFrame, str]:
    """Deaths per area and month (`unit`, `unit_name`, `month`, `deaths`) and the unit kind.

    Admin-1 where the country's boundaries are loaded, else the country as one area.
    """
    country = country.upper()
    unit = "admin1" if not store.admin1_polygons(country).empty else "country"
    frame = panel.panel(store, unit, country, source=source, measures=("fatalities_best",))
    out = frame[["unit", "unit_name", "month", "fatalities_best"]].rename(
        columns={"fatalities_best": "deaths"}
    )
    out["month"] = pd.to_datetime(out["month"])
    out["deaths"] = out["deaths"].fillna(0).astype(int)
    return out.sort_values(["unit", "month"]).reset_index(drop=True), unit


def incident_deaths(store: Store, country: str, unit_kind: str) -> pd.DataFrame:
    """Deaths per area and month of published incident reports no GED event already records.

    Columns unit, unit_name, month, deaths; the areas are the panel's (admin-1 code, or the
    country).
    """
    country = country.upper()
    linked = reconcile.matches(store, country)
    if "right_source" in linked:
        linked = linked[linked["right_source"] == INCIDENTS]
    counted = set(linked["right_id"])
    area = (
        "coalesce(admin1_code, '(outside loaded boundaries)'), "
        "coalesce(admin1, '(outside loaded boundaries)')"
        if unit_kind == "admin1"
        else "country_iso3, country_iso3"
    )
    frame = store.frame(
        f"SELECT event_id, {area}, CAST(date_trunc('month', date_start) AS DATE), "
        "coalesce(fatalities_best, 0) FROM events WHERE source = ? AND country_iso3 = ?",
        [INCIDENTS, country],
        own_cursor=True,
    )
    frame.columns = ["event_id", "unit", "unit_name", "month", "deaths"]
    frame = frame[~frame["event_id"].isin(counted)]
    frame["month"] = pd.to_datetime(frame["month"])
    out = frame.groupby(["unit", "unit_name", "month"], as_index=False).agg(
        deaths=("deaths", "sum")
    )
    out["deaths"] = out["deaths"].astype(int)
    return out


def with_incidents(deaths: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`deaths` plus the incident reports' (`incident_deaths`), balanced to the later end.

    Months after the last one of `deaths` that a report falls in are added for every area
    (0 where nothing was reported), so the record rule compares like with like.
    """
    if extra.empty:
        return deaths.assign(incident_deaths=0)
    months = pd.date_range(
        deaths["month"].min(), max(deaths["month"].max(), extra["month"].max()), freq="MS"
    )
    names = pd.concat([deaths[["unit", "unit_name"]], extra[["unit", "unit_name"]]])
    names = names.drop_duplicates("unit")
    grid = names.merge(pd.DataFrame({"month": months}), how="cross")
    out = grid.merge(deaths[["unit", "month", "deaths"]], on=["unit", "month"], how="left")
    out = out.merge(
        extra[["unit", "month", "deaths"]].rename(columns={"deaths": "incident_deaths"}),
        on=["unit", "month"],
        how="left",
    )
    out[["deaths", "incident_deaths"]] = out[["deaths", "incident_deaths"]].fillna(0).astype(int)
    out["deaths"] += out["incident_deaths"]
    return out.sort_values(["unit", "month"]).reset_index(drop=True)


def fire(deaths: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The observed rules' alerts over a balanced `unit`, `month`, `deaths` frame.

    Columns unit, month, rule, deaths, reference (the previous maximum for `record`, the
    threshold for `threshold`).
    """
    frame = deaths.sort_values(["unit", "month"]).reset_index(drop=True)
    grouped = frame.groupby("unit", sort=False)["deaths"]
    before = grouped.transform(lambda s: s.shift(1).rolling(rules.lookback).max())
    record = before.notna() & (frame["deaths"] >= rules.min_deaths) & (frame["deaths"] > before)
    threshold = frame["deaths"] >= rules.threshold
    parts = [
        frame.loc[record, ["unit", "month", "deaths"]].assign(
            rule="record", reference=before[record].astype(int)
        ),
        frame.loc[threshold, ["unit", "month", "deaths"]].assign(
            rule="threshold", reference=rules.threshold
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[["unit", "month", "rule", "deaths", "reference"]].sort_values(
        ["month", "unit", "rule"], ignore_index=True
    )


def _evidence(country: str, unit_kind: str, unit: str, month: pd.Timestamp, source: str) -> str:
    """The API query listing the events behind an alert: its area, month and source."""
    end = (month + pd.offsets.MonthEnd(0)).date()
    query = {
        "country": country,
        "date_from": month.date().isoformat(),
        "date_to": end.isoformat(),
        "source": source,
    }
    if unit_kind == "admin1":
        query["admin1"] = unit
    return f"/api/events?{urlencode(query)}"


def english(message: str, /, **values: object) -> str:
    """The message as written (English), `{name}` placeholders filled: the default `_`."""
    return message.format(**values)


def _message(
    rule: str,
    unit: str,
    month: pd.Timestamp,
    deaths: float,
    reference: float,
    rules: Rules,
    reported: int = 0,
    _: Translate = english,
) -> str:
    """An alert in words, in the language of `_` (e.g. `peacewatch.report.i18n.get("fr")._`)."""
    values: dict[str, object] = {"unit": unit, "when": f"{month:%Y-%m}", "deaths": int(deaths)}
    if rule == "forecast":
        return _(
            "{unit}, {when}: forecast P(>= 25 deaths) {p}, at or above {reference}",
            unit=unit,
            when=values["when"],
            p=f"{deaths:.2f}",
            reference=f"{reference:.2f}",
        )
    values["of_which"] = _(" ({n} from incident reports)", n=reported) if reported else ""
    if rule == "record":
        return _(
            "{unit}, {when}: {deaths} deaths{of_which}, more than in any of the {lookback} "
            "months before (at most {reference})",
            lookback=rules.lookback,
            reference=int(reference),
            **values,
        )
    return _(
        "{unit}, {when}: {deaths} deaths{of_which}, at or above the threshold of {reference}",
        reference=int(reference),
        **values,
    )


def current(
    store: Store,
    country: str,
    rules: Rules | None = None,
    source: str = "ucdp",
    months: int = 1,
    with_forecast: bool = True,
    incidents: bool = True,
    _: Translate = english,
) -> pd.DataFrame:
    """The alerts of the last `months` months of data, and the forecast alerts after them.

    Columns unit, month, rule, deaths (for `forecast`: the probability), reference, message,
    evidence (an API query of the source's events behind it; for `forecast`, the forecast
    itself), incident_deaths and incident_evidence (the part of the deaths from published
    incident reports no GED event records, and the query listing those reports).
    """
    rules = rules or Rules()
    country = country.upper()
    deaths, unit = series(store, country, source)
    extra = incident_deaths(store, country, unit) if incidents else deaths.iloc[:0]
    deaths = with_incidents(deaths, extra)
    last = deaths["month"].max()
    fired = fire(deaths, rules)
    recent = fired[fired["month"] > last - pd.DateOffset(months=months)].copy()
    recent["evidence"] = [
        _evidence(country, unit, str(u), m, source)
        for u, m in zip(recent["unit"], recent["month"], strict=True)
    ]
    from_reports = deaths.set_index(["unit", "month"])["incident_deaths"]
    recent["incident_deaths"] = [
        int(from_reports.get((u, m), 0))
        for u, m in zip(recent["unit"], recent["month"], strict=True)
    ]
    recent["incident_evidence"] = [
        _evidence(country, unit, str(u), m, INCIDENTS) if n else None
        for u, m, n in zip(recent["unit"], recent["month"], recent["incident_deaths"], strict=True)
    ]
    parts = [recent]
    if with_forecast:
        ahead = outlook.cached_forecast(store, country, unit, rules.horizon)
        if not ahead.empty:
            ahead["month"] = pd.to_datetime(ahead["month"])
            hot = ahead[ahead["p_ge_25"] >= rules.probability]
            top = hot.sort_values("p_ge_25", ascending=False).drop_duplicates("unit")
            parts.append(
                pd.DataFrame(
                    {
                        "unit": top["unit"],
                        "month": top["month"],
                        "rule": "forecast",
                        "deaths": top["p_ge_25"].round(3),
                        "reference": rules.probability,
                        "evidence": (
                            f"/api/forecasts?country={country}&unit={unit}&horizon={rules.horizon}"
                        ),
                        "incident_deaths": 0,
                        "incident_evidence": None,
                    }
                )
            )
    filled = [p for p in parts if not p.empty]
    out = pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=ALERT_COLUMNS)
    names = dict(zip(deaths["unit"], deaths["unit_name"], strict=True))
    out["unit_name"] = [names.get(u, str(u)) for u in out["unit"]]
    out["message"] = [
        _message(r, str(u), pd.Timestamp(m), float(d), float(ref), rules, int(n or 0), _)
        for r, u, m, d, ref, n in zip(
            out["rule"],
            out["unit_name"],
            out["month"],
            out["deaths"],
            out["reference"],
            out["incident_deaths"],
            strict=True,
        )
    ]
    out = out[ALERT_COLUMNS]
    out.attrs.update({"last_month": last.date(), "unit_kind": unit, "rules": asdict(rules)})
    return out


def score(
    deaths: pd.DataFrame, alerts: pd.DataFrame, rules: Rules, start: date, end: date
) -> dict[str, float | int | None]:
    """Precision, recall and lead time of `alerts` (unit, month) for months >= `target` deaths.

    Alerts count from `start` to the last month whose whole horizon is in the data and before
    `end`; target months from `start` to `end`.
    """
    h = rules.horizon
    frame = deaths.sort_values(["unit", "month"])
    last = min(pd.Timestamp(end), frame["month"].max())
    start_ts = pd.Timestamp(start)
    hot = frame.loc[frame["deaths"] >= rules.target, ["unit", "month"]]
    period = (frame["month"] >= start_ts) & (frame["month"] <= last)
    month_no = {m: i for i, m in enumerate(sorted(frame["month"].unique()))}
    hot_by_unit: dict[str, np.ndarray] = {
        str(u): np.array([month_no[m] for m in g["month"]]) for u, g in hot.groupby("unit")
    }
    alert_end = month_no[pd.Timestamp(last)] - h
    a = alerts[(alerts["month"] >= start_ts)].drop_duplicates(["unit", "month"])
    a_no = np.array([month_no.get(pd.Timestamp(m), -1) for m in a["month"]], dtype=int)
    keep = (a_no >= 0) & (a_no <= alert_end)
    hits = 0
    for unit, t in zip(a["unit"][keep], a_no[keep], strict=True):
        later = hot_by_unit.get(unit, np.array([], dtype=int))
        hits += bool(((later > t) & (later <= t + h)).any())
    n_alerts = int(keep.sum())
    alerts_by_unit: dict[str, np.ndarray] = {
        str(u): np.array([month_no.get(pd.Timestamp(m), -1) for m in g["month"]])
        for u, g in alerts.drop_duplicates(["unit", "month"]).groupby("unit")
    }
    targets = frame.loc[period & (frame["deaths"] >= rules.target), ["unit", "month"]]
    leads: list[int] = []
    for unit, m in zip(targets["unit"], targets["month"], strict=True):
        t = month_no[pd.Timestamp(m)]
        before = alerts_by_unit.get(unit, np.array([], dtype=int))
        window = before[(before >= t - h) & (before < t)]
        if window.size:
            leads.append(int(t - window.min()))
    return {
        "alerts": n_alerts,
        "alerts_followed": hits,
        "precision": round(hits / n_alerts, 3) if n_alerts else None,
        "target_months": len(targets),
        "target_months_warned": len(leads),
        "recall": round(len(leads) / len(targets), 3) if len(targets) else None,
        "median_lead_months": float(np.median(leads)) if leads else None,
    }


def backtest(
    store: Store,
    countries: list[str],
    rules: Rules | None = None,
    start: date | str = "2018-01-01",
    end: date | str = "2023-12-31",
    source: str = "ucdp",
) -> pd.DataFrame:
    """Per country and rule (the observed rules and the naive `persistence`): the scores.

    A rule sees only the months up to its alert (the rolling maximum looks back, never ahead).
    """
    rules = rules or Rules()
    start_d, end_d = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    rows = []
    for country in countries:
        deaths, unit = series(store, country, source)
        fired = fire(deaths, rules)
        naive = deaths.loc[deaths["deaths"] >= rules.target, ["unit", "month"]]
        for rule, alerts in (
            *((r, fired[fired["rule"] == r]) for r in OBSERVED_RULES),
            ("persistence (naive)", naive),
        ):
            rows.append(
                {
                    "country": country.upper(),
                    "unit": unit,
                    "rule": rule,
                    **score(deaths, alerts, rules, start_d, end_d),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["rules"] = asdict(rules)
    return out
