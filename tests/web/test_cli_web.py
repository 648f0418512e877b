"""`peacewatch users ...` and `peacewatch serve` from the command line."""

import os
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from peacewatch.cli import app
from peacewatch.schema import SCHEMA_VERSION
from tests.conftest import shared_dir
from tests.serving import start_server

runner = CliRunner()


@pytest.fixture
def env(tmp_path):
    return {
        "PEACEWATCH_STORE": str(tmp_path / "users.duckdb"),
        "PEACEWATCH_SHARED": str(shared_dir()),
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
    }


def test_users_add_list_disable_token(env):
    secret = "a long enough password"
    added = runner.invoke(
        app, ["users", "add", "ana", "--role", "analyst"], input=f"{secret}\n{secret}\n", env=env
    )
    assert added.exit_code == 0, added.output
    assert secret not in added.output
    listed = runner.invoke(app, ["users", "list"], env=env)
    assert "ana" in listed.output and "analyst" in listed.output
    token = runner.invoke(app, ["users", "token", "ana"], env=env).output.strip()
    assert token.startswith("pw_")
    again = runner.invoke(app, ["users", "add", "ana"], input=f"{secret}\n{secret}\n", env=env)
    assert again.exit_code == 2 and "exists" in again.output
    bad = runner.invoke(
        app,
        ["users", "add", "bo", "--role", "boss"],
        input="x" * 12 + "\n" + "x" * 12 + "\n",
        env=env,
    )
    assert bad.exit_code == 2 and "role" in bad.output
    short = runner.invoke(app, ["users", "add", "cy"], input="short\nshort\n", env=env)
    assert short.exit_code == 2 and "password" in short.output
    assert runner.invoke(app, ["users", "disable", "ana"], env=env).exit_code == 0
    assert "True" in runner.invoke(app, ["users", "list"], env=env).output
    assert runner.invoke(app, ["users", "disable", "nobody"], env=env).exit_code == 2
    assert runner.invoke(app, ["users", "token", "ana"], env=env).exit_code == 2


@pytest.mark.slow
def test_serve_answers_on_localhost(env):
    exe = Path(sys.executable).with_name("peacewatch")
    server, base = start_server([str(exe)], {**os.environ, **env})
    try:
        health = httpx.get(f"{base}/api/health")
        assert health.json() == {"status": "ok", "schema_version": SCHEMA_VERSION}
        assert "Content-Security-Policy" in httpx.get(f"{base}/").headers
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Uvicorn running" in output or "Application startup complete" in output
