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
    program: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, seconds: float = 30.0
) -> tuple[subprocess.Popen[str], str]:
    """Run `program serve --port P` on a free port; wait until /api/health answers.

    Returns the process and its base URL. Fails the test with the server's output if it exits
    or does not answer within `seconds`. The caller stops the process (its output stays
    readable through `communicate`).
    """
    port = free_port()
    command = [*program, "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        command, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"{' '.join(command)} did not answer /api/health:\n{proc.communicate()[0]}")
