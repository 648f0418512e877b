"""Kill a loading process at its pause before COMMIT (the loader's fault injection)."""

from __future__ import annotations

import signal
import subprocess
import time

MARKER = b"PEACEWATCH-PAUSED-BEFORE-COMMIT"


def kill_at_commit(proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until `proc` says it paused inside its transaction, then kill -9 it."""
    deadline, seen = time.time() + timeout, b""
    while MARKER not in seen and time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert MARKER in seen, seen
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
