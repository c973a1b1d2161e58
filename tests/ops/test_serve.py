"""`guichet serve` (what bin/run starts): web server and worker together, stopped cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import urllib.request
from pathlib import Path

import pytest

from tests.ops.procs import Child, child_env, free_port, guichet, port_open, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.standalone]


@pytest.fixture
def desk_env(tmp_path) -> dict[str, str]:
    # The login page, static files and the ping task need no table, so no migration: faster.
    return child_env(tmp_path, GUICHET_TASKS_FILE=str(tmp_path / "tasks.sqlite3"))


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode(), dict(response.headers)


def test_serve_runs_web_and_worker_then_stops_both_on_ctrl_c(desk_env, tmp_path):
    port = free_port()
    desk = Child.guichet(
        "serve", "--port", str(port), "--web-workers", "1", env=desk_env, log=tmp_path / "serve.log"
    )
    try:
        wait_for(lambda: "guichet is running at" in desk.output(), 60, "the serve banner", desk)
        assert f"http://127.0.0.1:{port}/" in desk.output()

        status, html, _ = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', html)
        assert stylesheet, html[:500]
        assert _get(f"http://127.0.0.1:{port}{stylesheet.group(1)}")[0] == 200  # whitenoise

        # The worker started by serve runs tasks enqueued by another process.
        done = guichet("ping", "--timeout", "30", env=desk_env)
        assert done.returncode == 0, done.stderr + desk.output()[-3000:]
        assert json.loads(done.stdout.splitlines()[0])["status"] == "SUCCESSFUL"

        children = _children(desk.process.pid)
        assert len(children) == 2, children  # gunicorn and the worker
        assert desk.stop(signal.SIGINT, timeout=30) == 0
        assert "Stopped." in desk.output()
        assert not port_open(port)
        # Nothing left behind: both children (and gunicorn's own workers) are gone.
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    finally:
        desk.kill_group()


def test_serve_refuses_a_port_in_use(desk_env, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = guichet("serve", "--port", str(port), env=desk_env, timeout=60)
    assert done.returncode != 0
    assert f"127.0.0.1:{port} is already in use" in done.stderr


def _children(pid: int) -> dict[int, str]:
    """Direct children of `pid` and their command lines, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found[int(stat.parent.name)] = cmdline
    return found


def test_serve_stops_the_desk_when_a_child_dies(desk_env, tmp_path):
    # A worker that dies must stop the desk (and say so), not leave a web server running without
    # background work; a supervisor then sees the failure.
    port = free_port()
    desk = Child.guichet(
        "serve", "--port", str(port), "--web-workers", "1", env=desk_env, log=tmp_path / "serve.log"
    )
    try:
        wait_for(lambda: "guichet is running at" in desk.output(), 60, "the serve banner", desk)
        workers = [pid for pid, cmd in _children(desk.process.pid).items() if "guichet worker" in cmd]
        assert len(workers) == 1, _children(desk.process.pid)
        os.kill(workers[0], signal.SIGKILL)
        desk.process.wait(timeout=30)
        assert desk.process.returncode != 0
        assert "worker stopped unexpectedly" in desk.output()
        wait_for(lambda: not port_open(port), 10, "the web server to stop")
    finally:
        desk.kill_group()
