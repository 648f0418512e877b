"""Many writers on the PostgreSQL store while `peacewatch serve` runs (issue 16).

A load, 20 reporters filing incidents over the API, an analyst publishing one, and an admin
disabling a user from the command line, all at once: nothing lost, nothing duplicated, and the
disabled user's token refused on the next request.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from peacewatch import accounts
from peacewatch.loading import PAUSE_ENV, load_file
from peacewatch.store import Store
from tests.conftest import CURRENT_BOUNDARIES, GED_BFA, GED_MALI, new_database, shared_dir
from tests.serving import start_server

REPORTERS = 20
EACH = 5
EXE = Path(sys.executable).with_name("peacewatch")


def _incident(n: int, who: str, confidentiality: str = "restricted") -> dict:
    return {
        "occurred_on": "2024-03-01",
        "latitude": 14.49 + n / 1000,
        "longitude": -4.19,
        "category": "ied",
        "killed_civilians": 1,
        "description": f"report {n} by {who}",
        "confidentiality": confidentiality,
    }


@pytest.mark.slow
def test_a_load_twenty_reporters_and_an_admin_at_once(pg_server, tmp_path):
    url = new_database(pg_server, "busy")
    with Store.open(url) as st:
        load_file(st, "boundaries", CURRENT_BOUNDARIES[0])
        load_file(st, "ucdp-ged", GED_BFA)
        accounts.add_user(st, "chief", "analyst", "a long enough password")
        accounts.add_user(st, "leaver", "reporter", "a long enough password")
        tokens = {}
        for i in range(REPORTERS):
            name = f"r{i:02d}"
            accounts.add_user(st, name, "reporter", "a long enough password")
            tokens[name] = accounts.issue_token(st, name)
        chief = accounts.issue_token(st, "chief")
        leaver = accounts.issue_token(st, "leaver")
    env = {
        **os.environ,
        "PEACEWATCH_STORE": url,
        "PEACEWATCH_SHARED": str(shared_dir()),
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
    }
    server, base = start_server([str(EXE)], env)
    try:
        assert httpx.get(f"{base}/api/incidents", headers=_auth(leaver)).status_code == 200
        filed: dict[str, list[int]] = {}

        def report(name: str) -> None:
            with httpx.Client(base_url=base, headers=_auth(tokens[name]), timeout=60) as client:
                ids = []
                for n in range(EACH):
                    answer = client.post("/api/incidents", json=_incident(n, name))
                    assert answer.status_code == 201, answer.text
                    ids.append(answer.json()["incident_id"])
                filed[name] = ids

        def disable() -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(EXE), "users", "disable", "leaver"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        def publish() -> int:
            with httpx.Client(base_url=base, headers=_auth(chief), timeout=60) as client:
                made = client.post("/api/incidents", json=_incident(99, "chief", "public"))
                assert made.status_code == 201, made.text
                number = made.json()["incident_id"]
                for action in ("submit", "verify", "publish"):
                    moved = client.post(f"/api/incidents/{number}/{action}")
                    assert moved.status_code == 200, moved.text
                return number

        # The load computes, then holds before writing back (the fault-injection pause) while
        # everyone else writes: their rows land between its copy and its commit.
        load = subprocess.Popen(
            [str(EXE), "load", "ucdp-ged", str(GED_MALI)],
            env={**env, PAUSE_ENV: "6"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in load.stderr:
            if "PEACEWATCH-PAUSED-BEFORE-COMMIT" in line:
                break
        with ThreadPoolExecutor(REPORTERS + 2) as pool:
            reporters = [pool.submit(report, f"r{i:02d}") for i in range(REPORTERS)]
            disabled_job, published_job = pool.submit(disable), pool.submit(publish)
            for job in reporters:
                job.result()
            disabled, published = disabled_job.result(), published_job.result()
        assert load.poll() is None, "the load finished before the others wrote: no race tested"
        _, rest = load.communicate(timeout=600)
        loaded = subprocess.CompletedProcess(load.args, load.returncode, "", rest)
        assert loaded.returncode == 0, loaded.stderr
        assert disabled.returncode == 0, disabled.stderr
        # The disabled user's token is refused on the next request.
        assert httpx.get(f"{base}/api/incidents", headers=_auth(leaver)).status_code == 401
    finally:
        server.terminate()
        server.communicate(timeout=30)
    with Store.open(url, read_only=True) as st:
        ids = [i for name in sorted(filed) for i in filed[name]]
        assert len(filed) == REPORTERS and len(set(ids)) == REPORTERS * EACH
        stored = st.rows("SELECT incident_id, reporter, description FROM incidents")
        assert len(stored) == REPORTERS * EACH + 1  # nothing lost, nothing duplicated
        assert {r[0] for r in stored} == {*ids, published}
        for _number, reporter, text in stored:
            assert text.endswith(f"by {reporter}")
        audit = st.row(
            "SELECT count(*), count(DISTINCT (incident_id, version)) FROM incident_versions"
        )
        assert audit == (REPORTERS * EACH + 4, REPORTERS * EACH + 4)
        # The load's events and the published report's event are both there.
        counts = dict(st.rows("SELECT source, count(*) FROM events GROUP BY source"))
        assert counts.get("incident") == 1, counts  # the report published during the load
        by_country = dict(
            st.rows(
                "SELECT country_iso3, count(*) FROM events WHERE source = 'ucdp_ged' GROUP BY 1"
            )
        )
        assert by_country == {"BFA": 1504, "MLI": 2120}
        assert st.row("SELECT count(*) FROM loads WHERE target = 'events'")[0] == 2
        assert st.row("SELECT disabled FROM users WHERE username = 'leaver'") == (True,)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_two_processes_editing_one_incident_cannot_both_win(pg_store, monkeypatch):
    """Two writers that each read version 1 (two servers, or a server and the command line:
    the in-process lock does not reach across processes) both try to write version 2: one
    wins, the other is told the incident changed (HTTP 409), and nothing is lost or doubled."""
    import contextlib
    import threading

    from peacewatch import incidents

    ana = accounts.add_user(pg_store, "ana", "analyst", "correct horse battery")
    filed = incidents.create(pg_store, ana, _incident(1, "ana"))
    monkeypatch.setattr(incidents, "WRITE_LOCK", contextlib.nullcontext())
    both_read = threading.Barrier(2)
    read = incidents._visible_row

    def read_then_wait(*args):
        record = read(*args)
        both_read.wait(timeout=30)
        return record

    monkeypatch.setattr(incidents, "_visible_row", read_then_wait)

    def edit(text: str) -> str:
        with pg_store.on_own_cursor() as own:
            try:
                incidents.update(own, ana, filed["incident_id"], {"description": text})
            except incidents.Conflict as exc:
                return str(exc)
            return "written"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(edit, ["first edit", "second edit"]))
    assert results[1] == "written"
    assert "changed by someone else" in results[0]
    versions = pg_store.rows(
        "SELECT version, action FROM incident_versions WHERE incident_id = ? ORDER BY version",
        [filed["incident_id"]],
    )
    assert versions == [(1, "create"), (2, "edit")]
    (kept,) = pg_store.row(
        "SELECT description FROM incidents WHERE incident_id = ?", [filed["incident_id"]]
    )
    assert kept in ("first edit", "second edit")
