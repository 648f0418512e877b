"""Alert subscriptions and their delivery by e-mail (SMTP) or webhook (HTTP POST of JSON).

A subscription names a country, a channel and a target, and the alert rules it wants
(`analysis.alerts.Rules`). `send` computes each subscription's current alerts, sends those not
yet sent to it (one message per subscription and run), and records every attempt in
`alert_deliveries`: an alert is sent once; a failed attempt is tried again on the next run, and
one subscriber's failure does not stop the others. Secrets (the SMTP password) are never
written to a message, a log or a delivery record.
"""

from __future__ import annotations

import dataclasses
import json
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pandas as pd

from peacewatch.analysis import alerts
from peacewatch.errors import PeacewatchError
from peacewatch.settings import Settings
from peacewatch.store import Store

CHANNELS = ("email", "webhook")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$|^[^@\s<>,;]+@localhost$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Delivery:
    """What one subscription got in one run."""

    subscription_id: int
    channel: str
    target: str
    alerts: int
    status: str


def subscribe(
    store: Store, country: str, channel: str, target: str, rules: alerts.Rules | None = None
) -> int:
    """Add a subscription; its id. A clear error for a bad channel, address or URL."""
    if channel not in CHANNELS:
        raise PeacewatchError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    target = target.strip()
    if channel == "email" and not EMAIL.match(target):
        raise PeacewatchError(f"email: {target!r} is not an e-mail address")
    if channel == "webhook" and not URL.match(target):
        raise PeacewatchError(f"webhook: {target!r} is not an http(s) URL")
    country = country.upper()
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise PeacewatchError(f"country: {country!r} is not an ISO3 code")
    rules_json = json.dumps(dataclasses.asdict(rules or alerts.Rules()), sort_keys=True)
    with store.writing() as w:
        row = w.row(
            "SELECT subscription_id FROM alert_subscriptions WHERE country_iso3 = ? AND "
            "channel = ? AND target = ? AND rules = ? AND active",
            [country, channel, target, rules_json],
        )
        if row:  # the same subscription twice is one
            return int(row[0])
        new = w.row("SELECT coalesce(max(subscription_id), 0) + 1 FROM alert_subscriptions")
        sid = int(new[0]) if new else 1
        w.write(
            "INSERT INTO alert_subscriptions VALUES (?, ?, ?, ?, ?, true, current_timestamp)",
            [sid, country, channel, target, rules_json],
        )
    return sid


def unsubscribe(store: Store, subscription_id: int) -> None:
    """Stop a subscription (its deliveries stay recorded)."""
    with store.writing() as w:
        found = w.rows(
            "UPDATE alert_subscriptions SET active = false WHERE subscription_id = ? "
            "RETURNING subscription_id",
            [subscription_id],
        )
    if not found:
        raise PeacewatchError(f"subscription {subscription_id}: no such subscription")


def subscriptions(store: Store, country: str | None = None) -> pd.DataFrame:
    """Active subscriptions, with how many alerts each has been sent."""
    where = "s.active" + (" AND s.country_iso3 = ?" if country else "")
    return store.frame(
        f"""SELECT s.subscription_id, s.country_iso3, s.channel, s.target, s.rules,
                count(d.alert_key) FILTER (WHERE d.status = 'sent') AS alerts_sent
            FROM alert_subscriptions s LEFT JOIN alert_deliveries d USING (subscription_id)
            WHERE {where} GROUP BY ALL ORDER BY s.subscription_id""",
        [country.upper()] if country else [],
    )


def alert_key(country: str, row: dict[str, Any]) -> str:
    """One alert's identity: country, area, month and rule."""
    month = pd.Timestamp(row["month"]).strftime("%Y-%m")
    return f"{country}|{row['unit']}|{month}|{row['rule']}"


def _email(settings: Settings, target: str, country: str, found: list[dict[str, Any]]) -> None:
    if not settings.smtp_host:
        raise PeacewatchError("e-mail: PEACEWATCH_SMTP_HOST is not set")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = target
    message["Subject"] = f"peacewatch: {len(found)} new alert(s) for {country}"
    lines = [f"- {a['message']}\n  evidence: {a['evidence']}" for a in found]
    message.set_content(
        f"New early-warning alerts for {country}:\n\n" + "\n".join(lines) + "\n\n"
        "The rules and their scores: peacewatch alerts " + country + " --backtest\n"
    )
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_user and settings.smtp_password:
            smtp.starttls()
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def _webhook(target: str, country: str, found: list[dict[str, Any]]) -> None:
    payload = {
        "country": country,
        "alerts": [{**a, "month": pd.Timestamp(a["month"]).date().isoformat()} for a in found],
    }
    response = httpx.post(target, json=payload, timeout=10)
    response.raise_for_status()


def send(store: Store, settings: Settings, country: str | None = None) -> list[Delivery]:
    """Send every active subscription (of `country`, or all) its alerts not yet sent.

    Each alert's link to its evidence goes with it. Every attempt is recorded, in its own
    transaction after the send: a subscriber whose server fails is tried again next run.
    """
    subs = subscriptions(store, country)
    done: list[Delivery] = []
    current: dict[tuple[str, str], pd.DataFrame] = {}
    for sub in subs.to_dict("records"):
        iso3 = str(sub["country_iso3"])
        rules = alerts.Rules(**json.loads(str(sub["rules"])))
        cache_key = (iso3, str(sub["rules"]))
        if cache_key not in current:
            current[cache_key] = alerts.current(store, iso3, rules)
        frame = current[cache_key]
        sent = {
            r[0]
            for r in store.rows(
                "SELECT alert_key FROM alert_deliveries WHERE subscription_id = ? AND "
                "status = 'sent'",
                [int(sub["subscription_id"])],
            )
        }
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in a.items()} for a in frame.to_dict("records")
        ]
        found = [
            {**a, "key": alert_key(iso3, a)} for a in records if alert_key(iso3, a) not in sent
        ]
        if not found:
            done.append(Delivery(int(sub["subscription_id"]), sub["channel"], sub["target"], 0,
                                 "nothing new"))  # fmt: skip
            continue
        try:
            body = [{k: v for k, v in a.items() if k != "key"} for a in found]
            if sub["channel"] == "email":
                _email(settings, str(sub["target"]), iso3, body)
            else:
                _webhook(str(sub["target"]), iso3, body)
            status, detail = "sent", None
        except (OSError, smtplib.SMTPException, httpx.HTTPError, PeacewatchError) as exc:
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        with store.writing() as w:
            for a in found:
                w.write(
                    "INSERT INTO alert_deliveries VALUES (?, ?, current_timestamp, ?, ?)",
                    [int(sub["subscription_id"]), a["key"], status, detail],
                )
        done.append(
            Delivery(
                int(sub["subscription_id"]),
                str(sub["channel"]),
                str(sub["target"]),
                len(found),
                status if detail is None else f"{status} ({detail})",
            )
        )
    return done
