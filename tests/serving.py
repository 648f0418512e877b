"""Servers for tests: a free local port, and `peacewatch serve` started in a process of its own."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    command: Sequence[str],
    env: Mapping[str, str],
    port: int,
    cwd: Path | None = None,
    seconds: float = 30.0,
) -> subprocess.Popen[str]:
    """Run `command` (a `peacewatch serve --port PORT`) and wait until /api/health answers.

    Fails the test with the server's output if it exits or does not answer within `seconds`.
    The caller stops the process (its output stays readable through `communicate`).
    """
    proc = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"{' '.join(command)} did not answer /api/health:\n{proc.communicate()[0]}")
