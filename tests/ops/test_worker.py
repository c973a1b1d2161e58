"""The background worker for real: `guichet worker` processes run django.tasks tasks enqueued by
another process, on the SQLite task storage and on Redis, against the database of the current pass
(bin/test runs the suite on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ops.procs import Child, child_env, guichet

pytestmark = pytest.mark.slow


def _database_url(request, tmp_path) -> str:
    # The worker gets a database of the same kind as the current pass.
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return request.getfixturevalue("postgres_database")
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def worker_env(request, tmp_path) -> dict[str, str]:
    storage = request.param
    overrides = {"GUICHET_TASKS": storage, "DATABASE_URL": _database_url(request, tmp_path)}
    if storage == "redis":
        overrides["GUICHET_TASKS_NAME"] = request.getfixturevalue("redis_queue_name")
    else:
        overrides["GUICHET_TASKS_FILE"] = str(tmp_path / "tasks.sqlite3")
    return child_env(tmp_path, **overrides)


PingOutcome = tuple[int, list[dict], str | None, str]


def _ping(env: dict[str, str], count: int, timeout: float, *flags: str) -> PingOutcome:
    """Run `guichet ping`: exit status, one dict per task, the scheduler heartbeat, stderr."""
    argv = ["ping", "--count", str(count), "--timeout", str(timeout), *flags]
    done = guichet(*argv, env=env, timeout=timeout + 60)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    tasks = [line for line in lines if "id" in line]
    heartbeat = next((line["scheduler_heartbeat"] for line in lines if "scheduler_heartbeat" in line), None)
    return done.returncode, tasks, heartbeat, done.stderr


def test_workers_share_the_queue_and_run_each_task_once(worker_env, tmp_path):
    # The scale-out layout: one worker runs the scheduler, the others run --no-periodic.
    scheduler = Child.guichet("worker", "--threads", "2", env=worker_env, log=tmp_path / "worker-1.log")
    other = Child.guichet("worker", "--no-periodic", env=worker_env, log=tmp_path / "worker-2.log")
    workers = [scheduler, other]
    try:
        returncode, tasks, heartbeat, stderr = _ping(worker_env, 40, 60, "--require-heartbeat")
        logs = {worker: worker.output() for worker in workers}
        assert returncode == 0, f"{stderr}\n{logs}"
        assert len(tasks) == 40
        assert len({task["args"][0] for task in tasks}) == 40
        expected_vendor = "postgresql" if worker_env["DATABASE_URL"].startswith("postgres") else "sqlite"
        pids = {str(worker.process.pid) for worker in workers}
        all_logs = "\n".join(logs.values())
        for task in tasks:
            assert task["status"] == "SUCCESSFUL"
            value = task["return_value"]
            assert value["token"] == task["args"][0]
            assert value["task_storage"] == worker_env["GUICHET_TASKS"]
            assert value["database"] == expected_vendor
            # Run by one of the workers, not inline by the process that enqueued it ...
            assert value["worker"].rsplit(".", 1)[1] in pids
            # ... and by exactly one of them.
            assert all_logs.count(f"{task['id']} executed in") == 1, task["id"]
        # Only the first worker runs the scheduler, which ticks the heartbeat job at start-up.
        assert heartbeat is not None
        assert "Periodic tasks are enabled" in logs[scheduler]
        assert "Periodic tasks are disabled" in logs[other]
        for worker in workers:
            assert worker.stop(signal.SIGINT) == 0  # graceful: finishes running tasks, exits 0
    finally:
        for worker in workers:
            worker.kill_group()


def test_nothing_runs_without_a_worker(tmp_path):
    env = child_env(tmp_path, GUICHET_TASKS_FILE=str(tmp_path / "tasks.sqlite3"))
    returncode, tasks, heartbeat, stderr = _ping(env, 1, 1)
    assert returncode != 0
    assert [task["status"] for task in tasks] == ["READY"]
    assert heartbeat is None
    assert "is a worker running" in stderr


def test_worker_refuses_bad_options(settings):
    settings.TASK_STORAGE = "sqlite"
    with pytest.raises(CommandError, match="--threads must be at least 1"):
        call_command("worker", threads=0)
    settings.TASK_STORAGE = "immediate"
    with pytest.raises(CommandError, match="a worker has nothing to do"):
        call_command("worker")
