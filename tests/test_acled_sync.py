"""ACLED as a living dataset: sync from a local server speaking the API's protocol.

The server (tests/acled_server.py) serves the real ACLED sample's 1,534 Mali rows; the store
must end equal to the server's data after every sync, whatever faults happened on the way.
"""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from peacewatch.cli import app
from peacewatch.errors import PeacewatchError
from peacewatch.loading import PAUSE_ENV, load_file
from peacewatch.sources import acled_api
from peacewatch.store import Store
from tests.acled_server import EMAIL, PASSWORD, FakeAcled, current_layout_rows
from tests.conftest import ACLED_SAMPLE, ROOT
from tests.killing import kill_at_commit

pytestmark = pytest.mark.network
MALI = 466


@pytest.fixture
def server():
    fake = FakeAcled(current_layout_rows(ACLED_SAMPLE))
    url = fake.start()
    fake.url = url
    yield fake
    fake.stop()


def _client(server, **kw):
    return acled_api.AcledClient(
        server.url,
        acled_api.Credentials(EMAIL, PASSWORD),
        page_size=500,
        sleep=lambda _s: None,
        **kw,
    )


def _sync(store, server, tmp_path, since=None, **kw):
    with _client(server, **kw) as client:
        snapshot = acled_api.fetch_snapshot(client, "MLI", MALI, since, tmp_path / "snap")
    return load_file(store, "acled-api", snapshot)


def _stored(store):
    return dict(
        store.con.execute(
            "SELECT source_event_id, fatalities_best FROM events WHERE source = 'acled'"
        ).fetchall()
    )


def _served(server):
    return {k: v["fatalities"] for k, v in server.events.items()}


def test_first_sync_through_faults_equals_the_server(server, store, tmp_path):
    """Paging, an expired token, a 429 and a connection dropped mid-page: nothing lost."""
    server.expire_after = 2  # the first token dies after two reads (then a refresh)
    server.faults = {("/api/acled/read", 2): "429", ("/api/acled/read", 3): "drop"}
    report = _sync(store, server, tmp_path)
    assert report.rows_loaded == 1534 and report.added == 1534
    assert _stored(store) == _served(server)
    # Every token dies after two reads. Page 2: 429, 401 (expired), served; page 3: dropped,
    # 401 (expired again), served; page 4 (34 rows) is the last.
    pages = [int(q["page"]) for q in server.reads()]
    assert pages == [1, 2, 2, 2, 3, 3, 3, 4]  # 1534 rows in pages of 500
    grants = [q["grant_type"] for p, q in server.log if p == "token"]
    assert grants[0] == "password" and set(grants[1:]) == {"refresh_token"} and len(grants) > 2
    # Recounted from the raw sample file: the same total deaths.
    assert sum(_stored(store).values()) == 3854


def test_incremental_sync_applies_edits_additions_and_deletions(server, store, tmp_path):
    _sync(store, server, tmp_path)
    ids = sorted(server.events)
    server.edit(ids[0], fatalities=server.events[ids[0]]["fatalities"] + 7)
    server.delete(ids[1])
    server.add({**server.events[ids[2]], "event_id_cnty": "MLI99999", "fatalities": 4})
    with _client(server) as client:
        from peacewatch import api

        since = api.acled_last_timestamp(store, "MLI")
        snapshot = acled_api.fetch_snapshot(client, "MLI", MALI, since, tmp_path / "snap")
    report = load_file(store, "acled-api", snapshot)
    assert server.reads()[-1]["timestamp"] == str(since)  # incremental: only changed rows
    # The edited and the new row, plus the rows stamped with the last timestamp we had
    # (`>=`: a row changed in that same second is not missed); those are unchanged.
    boundary = sum(1 for r in server.events.values() if r["timestamp"] == since)
    assert report.rows_loaded == 2 + boundary and boundary > 0
    assert (report.added, report.updated, report.removed, report.deleted) == (1, 1, 1, 1)
    assert _stored(store) == _served(server)
    # Syncing again changes nothing.
    again = _sync(store, server, tmp_path, since=api.acled_last_timestamp(store, "MLI"))
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert _stored(store) == _served(server)
    # What we knew before the second sync is still there.
    from peacewatch import vintages

    first = store.con.execute("SELECT min(load_id) FROM loads").fetchone()[0]
    cut = vintages.Cut(
        store.con.execute("SELECT known_at FROM loads WHERE load_id = ?", [first]).fetchone()[0],
        first,
    )
    before = vintages.as_of(store, cut)
    assert before.con.execute("SELECT count(*) FROM events").fetchone()[0] == 1534


def test_a_sync_that_fails_writes_nothing(server, store, tmp_path):
    _sync(store, server, tmp_path)
    before = _stored(store)
    server.edit(sorted(server.events)[0], fatalities=999)
    server.faults = {("/api/acled/read", 1): "429"}
    with pytest.raises(PeacewatchError, match="HTTP 429"), _client(server, retries=0) as client:
        acled_api.fetch_snapshot(client, "MLI", MALI, None, tmp_path / "snap2")
    assert not list((tmp_path / "snap2").glob("*.json"))
    assert _stored(store) == before


def test_wrong_credentials_are_refused_without_showing_them(server, store, tmp_path):
    client = acled_api.AcledClient(server.url, acled_api.Credentials(EMAIL, "wrong-password-1"))
    with pytest.raises(PeacewatchError) as info, client:
        list(client.events(MALI))
    assert "sign-in refused" in str(info.value) and "wrong-password-1" not in str(info.value)
    assert "wrong-password-1" not in repr(acled_api.Credentials(EMAIL, "wrong-password-1"))


def test_credentials_from_the_environment_or_the_keyring(monkeypatch):
    assert acled_api.credentials({"ACLED_EMAIL": EMAIL, "ACLED_PASSWORD": "x"}).password == "x"
    with pytest.raises(PeacewatchError, match="ACLED_EMAIL"):
        acled_api.credentials({})
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return "from-keyring" if (service, username) == ("peacewatch-acled", EMAIL) else None

        def set_password(self, *_a):
            raise NotImplementedError

        def delete_password(self, *_a):
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        assert acled_api.credentials({"ACLED_EMAIL": EMAIL}).password == "from-keyring"
    finally:
        keyring.set_keyring(previous)


def test_the_cli_syncs_and_never_prints_the_password(server, tmp_path, caplog):
    env = {
        "PEACEWATCH_STORE": str(tmp_path / "s.duckdb"),
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
        "PEACEWATCH_CACHE": str(tmp_path / "cache"),
        "PEACEWATCH_ACLED_API_URL": server.url,
        "ACLED_EMAIL": EMAIL,
        "ACLED_PASSWORD": PASSWORD,
    }
    caplog.set_level(logging.DEBUG)
    server.faults = {("/api/acled/read", 1): "429"}
    result = CliRunner().invoke(app, ["load", "acled", "--api", "--country", "MLI"], env=env)
    assert result.exit_code == 0, result.output
    assert "added 1534" in result.output and "every row" in result.output
    assert server.passwords_seen == [PASSWORD]
    assert PASSWORD not in result.output and PASSWORD not in caplog.text
    for report in (tmp_path / "reports").glob("*"):
        assert PASSWORD not in report.read_text()
    for snapshot in (tmp_path / "cache").rglob("*.json"):
        assert PASSWORD not in snapshot.read_text()
    with Store.open(tmp_path / "s.duckdb") as st:
        assert _stored(st) == _served(server)
        dump = st.con.execute("SELECT * FROM loads").fetchall()
        assert PASSWORD not in repr(dump)
    missing = CliRunner().invoke(app, ["load", "acled", "--api"], env=env)
    assert missing.exit_code == 2 and "--country" in missing.output


def _start_sync(tmp_path, server, extra=None):
    env = {
        **os.environ,
        "PEACEWATCH_STORE": str(tmp_path / "kill.duckdb"),
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
        "PEACEWATCH_CACHE": str(tmp_path / "cache"),
        "PEACEWATCH_ACLED_API_URL": server.url,
        "ACLED_EMAIL": EMAIL,
        "ACLED_PASSWORD": PASSWORD,
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "peacewatch", "load", "acled", "--api", "--country", "MLI"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _snapshot_of(path):
    with Store.open(path) as st:
        return [
            st.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("events", "event_versions", "event_deletions", "loads")
        ]


@pytest.mark.slow
def test_kill_minus_9_during_a_sync_leaves_the_store_as_it_was(server, tmp_path):
    """Killed while a page is being served, then while the load waits to commit."""
    path = tmp_path / "kill.duckdb"
    with Store.open(path) as st:
        load_file(st, "acled", ACLED_SAMPLE)
    before = _snapshot_of(path)
    server.edit(sorted(server.events)[0], fatalities=321)
    server.faults = {("/api/acled/read", 1): "stall"}
    proc = _start_sync(tmp_path, server)
    deadline = time.time() + 60
    while not server.reads() and time.time() < deadline:
        time.sleep(0.05)
    assert server.reads(), "the sync never reached the server"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _snapshot_of(path) == before
    assert not list((tmp_path / "cache").rglob("*.json"))
    # Killed after every page arrived, inside the load's open transaction.
    kill_at_commit(_start_sync(tmp_path, server, {PAUSE_ENV: "60"}))
    assert _snapshot_of(path) == before
    # And the same sync, not interrupted, brings the store level with the server.
    done = _start_sync(tmp_path, server)
    assert done.wait(timeout=120) == 0, done.stderr.read()
    with Store.open(path) as st:
        assert _stored(st) == _served(server)
