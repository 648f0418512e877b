"""Alert delivery: a local SMTP server (aiosmtpd) and a local webhook, both on 127.0.0.1."""

import http.server
import json
import threading
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from peacewatch import notify
from peacewatch.analysis import alerts
from peacewatch.errors import PeacewatchError
from peacewatch.loading import load_file
from peacewatch.settings import Settings
from tests.conftest import GED_MALI
from tests.serving import free_port

pytestmark = pytest.mark.network


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    port = free_port()  # aiosmtpd checks its server by connecting to the port it was given
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            size = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(size)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_alerts_go_once_to_each_subscriber_and_failures_are_retried(store, smtp, webhook):
    inbox, port = smtp
    received, url = webhook
    load_file(store, "ucdp-ged", GED_MALI)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_password="s3cret-never-sent")
    expected = alerts.current(store, "MLI")
    assert len(expected) > 0
    mail = notify.subscribe(store, "MLI", "email", "analyst@example.org")
    hook = notify.subscribe(store, "MLI", "webhook", url)
    broken = notify.subscribe(store, "MLI", "webhook", f"http://127.0.0.1:{free_port()}/x")
    assert notify.subscribe(store, "MLI", "email", "analyst@example.org") == mail  # one

    first = {d.subscription_id: d for d in notify.send(store, settings, "MLI")}
    assert first[mail].status == "sent" and first[mail].alerts == len(expected)
    assert first[hook].status == "sent"
    assert first[broken].status.startswith("failed")  # the others went anyway
    (raw,) = inbox.messages
    message = message_from_bytes(raw)
    assert message["To"] == "analyst@example.org" and "MLI" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    for alert in expected.to_dict("records"):
        assert alert["message"] in body and alert["evidence"] in body
    assert "s3cret" not in raw.decode() and "s3cret" not in repr(settings)
    (payload,) = received
    assert [a["message"] for a in payload["alerts"]] == expected["message"].tolist()

    again = {d.subscription_id: d for d in notify.send(store, settings, "MLI")}
    assert again[mail].status == again[hook].status == "nothing new"
    assert again[broken].status.startswith("failed") and again[broken].alerts == len(expected)
    assert len(inbox.messages) == 1 and len(received) == 1
    table = notify.subscriptions(store, "MLI").set_index("subscription_id")
    assert table.loc[mail, "alerts_sent"] == len(expected) and table.loc[broken, "alerts_sent"] == 0


def test_bad_subscriptions_are_refused(store):
    with pytest.raises(PeacewatchError, match="not an e-mail address"):
        notify.subscribe(store, "MLI", "email", "not-an-address")
    with pytest.raises(PeacewatchError, match="not an http"):
        notify.subscribe(store, "MLI", "webhook", "ftp://example.org")
    with pytest.raises(PeacewatchError, match="channel"):
        notify.subscribe(store, "MLI", "sms", "+123")
    with pytest.raises(PeacewatchError, match="no such subscription"):
        notify.unsubscribe(store, 99)


def test_e_mail_without_a_server_is_a_clear_failure(store):
    load_file(store, "ucdp-ged", GED_MALI)
    sid = notify.subscribe(store, "MLI", "email", "a@example.org")
    (done,) = notify.send(store, Settings(), "MLI")
    assert done.subscription_id == sid and "PEACEWATCH_SMTP_HOST is not set" in done.status


def test_subscribe_and_send_commands(tmp_path, webhook):
    from typer.testing import CliRunner

    from peacewatch.cli import app

    received, url = webhook
    runner = CliRunner()
    env = {"PEACEWATCH_STORE": str(tmp_path / "n.duckdb"), "COLUMNS": "200"}
    assert runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env).exit_code == 0
    result = runner.invoke(app, ["subscribe", "MLI", "--webhook", url], env=env)
    assert result.exit_code == 0 and "subscription 1: webhook" in result.output
    neither = runner.invoke(app, ["subscribe", "MLI"], env=env)
    assert neither.exit_code == 2 and "one of --email or --webhook" in neither.output
    sent = runner.invoke(app, ["alerts", "MLI", "--send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent" in sent.output and len(received) == 1
    listed = runner.invoke(app, ["subscriptions", "--country", "MLI"], env=env)
    assert url in listed.output
    assert runner.invoke(app, ["subscriptions", "--remove", "1"], env=env).exit_code == 0
    none = runner.invoke(app, ["alerts", "MLI", "--send"], env=env)
    assert "no subscriptions for MLI" in none.output
