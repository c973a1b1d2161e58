"""The scale-out layout of docs/deployment.md, for real: production settings, several gunicorn web
processes and several workers (one with the scheduler) sharing one PostgreSQL and one Redis."""

from __future__ import annotations

import json
import re
import secrets
import signal
import sys
import urllib.request

import pytest

from tests.ops.procs import Child, child_env, free_port, guichet, port_open, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.standalone]


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode(), {k.lower(): v for k, v in response.headers.items()}


def test_several_web_processes_and_workers_on_postgres_and_redis(
    postgres_database, redis_queue_name, tmp_path
):
    env = child_env(
        tmp_path,
        GUICHET_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # no TLS proxy in front of this test
        DATABASE_URL=postgres_database,
        GUICHET_TASKS="redis",
        GUICHET_TASKS_NAME=redis_queue_name,
        STATIC_ROOT=str(tmp_path / "static"),
    )
    for step in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = guichet(*step, env=env)
        assert done.returncode == 0, f"{step}: {done.stderr}"

    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "guichet.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    children = [
        Child([*gunicorn, "--workers", "2", "--no-control-socket"], env, tmp_path / "gunicorn.log"),
        Child.guichet("worker", "--threads", "2", env=env, log=tmp_path / "worker-scheduler.log"),
        Child.guichet("worker", "--threads", "2", "--no-periodic", env=env, log=tmp_path / "worker-2.log"),
    ]
    web = children[0]
    try:
        wait_for(lambda: port_open(port), 30, "gunicorn", web)
        for _ in range(12):
            status, html, headers = _get(f"http://127.0.0.1:{port}/login/")
            assert status == 200
            assert "content-security-policy" in headers
        # Production static files: hashed names from collectstatic, served by whitenoise for ever.
        stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', html)
        assert stylesheet, "no hashed stylesheet link in the login page"
        status, _, headers = _get(f"http://127.0.0.1:{port}{stylesheet.group(1)}")
        assert status == 200
        assert "immutable" in headers["cache-control"]

        done = guichet(
            "ping", "--count", "20", "--timeout", "60", "--require-heartbeat", env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        tasks = [json.loads(line) for line in done.stdout.splitlines() if '"id"' in line]
        assert len(tasks) == 20
        assert {task["return_value"]["database"] for task in tasks} == {"postgresql"}
        assert {task["return_value"]["task_storage"] for task in tasks} == {"redis"}
        worker_pids = {str(child.process.pid) for child in children[1:]}
        assert {task["return_value"]["worker"].rsplit(".", 1)[1] for task in tasks} <= worker_pids
        summary = {k: v for line in done.stdout.splitlines()[-2:] for k, v in json.loads(line).items()}
        assert summary["scheduler_heartbeat"] is not None
        assert summary["outbox_failed"] == 0 and summary["outbox_pending"] >= 0

        assert web.stop(signal.SIGTERM) == 0
        for worker in children[1:]:
            assert worker.stop(signal.SIGINT) == 0
    finally:
        for child in children:
            child.kill_group()
