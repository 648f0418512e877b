"""A writable copy of the Mali store with one user per role, the app and API tokens."""

import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

from peacewatch import accounts
from peacewatch.settings import Settings
from peacewatch.store import Store
from peacewatch.web.app import create_app
from tests.serving import free_port

PASSWORD = "correct horse battery"
USERS = {"vic": "viewer", "rita": "reporter", "rob": "reporter", "ana": "analyst", "adm": "admin"}


@pytest.fixture(scope="module")
def web_store(mali_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "web.duckdb"
    mali_store.copy_to(path)
    st = Store.open(path)
    for name, role in USERS.items():
        accounts.add_user(st, name, role, PASSWORD)
    yield st
    st.close()


@pytest.fixture(scope="module")
def app(web_store, tmp_path_factory):
    base = tmp_path_factory.mktemp("web-settings")
    settings = Settings(store=web_store.path, cache=base / "cache", report_dir=base / "reports")
    return create_app(settings, web_store)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


@pytest.fixture(scope="module")
def tokens(web_store):
    return {name: accounts.issue_token(web_store, name, "tests") for name in USERS}


@pytest.fixture(scope="module")
def auth(tokens):
    def headers(name):
        return {} if name is None else {"Authorization": f"Bearer {tokens[name]}"}

    return headers


def incident(**extra):
    body = {
        "occurred_on": "2024-02-10",
        "latitude": 14.49,
        "longitude": -4.19,
        "category": "armed_clash",
        "actors": "JNIM; FAMa",
        "killed_security_forces": 3,
        "killed_armed_group_members": 5,
        "description": "Clash near Mopti",
        "sources": "field report",
        "confidentiality": "public",
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def server(app):
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
