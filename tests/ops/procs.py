"""Run `guichet` commands as real child processes (tests/ops and tests/test_settings.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import REPO_ROOT

# Settings a test might inherit from the developer's shell and that would leak into the children.
_SCRUBBED = (
    "DATABASE_URL",
    "GUICHET_TASKS",
    "GUICHET_TASKS_NAME",
    "GUICHET_TASKS_FILE",
    "REDIS_URL",
    "GUICHET_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
)


def child_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for a child `guichet`: its own var/ directory, then the overrides."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        GUICHET_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUICHET_TASKS="sqlite",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


def guichet(*args: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `guichet <args>` to completion and return its output (never raises on a non-zero exit)."""
    return subprocess.run(
        [sys.executable, "-m", "guichet", *args],
        env=dict(env),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Child:
    """A long-running child process in its own process group, with its output in a log file."""

    def __init__(self, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=REPO_ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @classmethod
    def guichet(cls, *args: str, env: Mapping[str, str], log: Path) -> Child:
        return cls([sys.executable, "-m", "guichet", *args], env, log)

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        """Send `sig` to the process alone and wait; kill the whole group if it does not exit."""
        if self.alive():
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        finally:
            self._log_file.close()

    def kill_group(self) -> None:
        """Last-resort cleanup: nothing this child started may outlive the test."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if not self._log_file.closed:
            self._log_file.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, child: Child | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if child is not None and not child.alive():
            raise AssertionError(f"{what}: the process exited early:\n{child.output()[-4000:]}")
        time.sleep(0.1)
    detail = f"\n{child.output()[-4000:]}" if child is not None else ""
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}{detail}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
