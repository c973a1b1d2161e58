"""The background worker for real: `guichet worker` processes run django.tasks tasks enqueued by
another process, on the SQLite task storage and on Redis, against SQLite or PostgreSQL."""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.foundation.procs import Child, child_env, guichet

pytestmark = pytest.mark.slow


def _database_url(request, tmp_path) -> str:
    # Follow the database of the current pass: bin/test runs the suite once on SQLite and once
    # with DATABASE_URL=postgres://...; the worker gets a database of the same kind.
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


def _ping(env: dict[str, str], count: int, timeout: float) -> tuple[int, list[dict], str | None, str]:
    done = guichet("ping", "--count", str(count), "--timeout", str(timeout), env=env, timeout=timeout + 60)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    tasks = [line for line in lines if "id" in line]
    heartbeat = next((line["scheduler_heartbeat"] for line in lines if "scheduler_heartbeat" in line), None)
    return done.returncode, tasks, heartbeat, done.stderr


def test_worker_runs_enqueued_tasks(worker_env, tmp_path):
    worker = Child.guichet("worker", "--threads", "2", env=worker_env, log=tmp_path / "worker.log")
    try:
        returncode, tasks, heartbeat, stderr = _ping(worker_env, count=5, timeout=30)
        assert returncode == 0, f"{stderr}\n{worker.output()}"
        assert len(tasks) == 5
        assert len({task["id"] for task in tasks}) == 5
        expected_vendor = "postgresql" if worker_env["DATABASE_URL"].startswith("postgres") else "sqlite"
        for task in tasks:
            assert task["status"] == "SUCCESSFUL"
            value = task["return_value"]
            assert value["token"] == task["args"][0]
            assert value["task_storage"] == worker_env["GUICHET_TASKS"]
            assert value["database"] == expected_vendor
            # Run by the worker process, not inline by the process that enqueued it.
            assert value["worker"].endswith(f".{worker.process.pid}")
        # The worker started with its scheduler, which ticks the heartbeat job at once.
        assert heartbeat is not None
        assert worker.stop(signal.SIGINT) == 0
    finally:
        worker.kill_group()


def test_nothing_runs_without_a_worker(worker_env):
    returncode, tasks, heartbeat, stderr = _ping(worker_env, count=1, timeout=2)
    assert returncode != 0
    assert [task["status"] for task in tasks] == ["READY"]
    assert heartbeat is None
    assert "is a worker running" in stderr


def test_several_workers_share_the_queue_and_run_each_task_once(worker_env, tmp_path):
    # The scale-out layout: one worker runs the scheduler, the others do not.
    workers = [
        Child.guichet("worker", "--threads", "2", env=worker_env, log=tmp_path / "worker-1.log"),
        Child.guichet("worker", "--no-periodic", env=worker_env, log=tmp_path / "worker-2.log"),
    ]
    try:
        returncode, tasks, _, stderr = _ping(worker_env, count=40, timeout=60)
        assert returncode == 0, stderr
        assert sorted(task["args"][0] for task in tasks) == sorted({task["args"][0] for task in tasks})
        assert all(task["status"] == "SUCCESSFUL" for task in tasks)
        ran_by = {task["return_value"]["worker"].rsplit(".", 1)[1] for task in tasks}
        assert ran_by <= {str(worker.process.pid) for worker in workers}
        # The workers' logs name each task they executed: no task ran twice across workers.
        logs = "\n".join(worker.output() for worker in workers)
        for task in tasks:
            assert logs.count(f"{task['id']} executed in") == 1, task["id"]
        for worker in workers:
            assert worker.stop(signal.SIGINT) == 0
    finally:
        for worker in workers:
            worker.kill_group()


def test_worker_without_scheduler_does_not_tick(worker_env, tmp_path):
    worker = Child.guichet("worker", "--no-periodic", env=worker_env, log=tmp_path / "worker.log")
    try:
        returncode, _, heartbeat, stderr = _ping(worker_env, count=1, timeout=30)
        assert returncode == 0, stderr
        assert heartbeat is None
    finally:
        worker.stop(signal.SIGINT)
        worker.kill_group()


def test_worker_refuses_bad_options(tmp_path):
    env = child_env(tmp_path)
    done = guichet("worker", "--threads", "0", env=env)
    assert done.returncode != 0
    assert "--threads must be at least 1" in done.stderr
    done = guichet("worker", env={**env, "GUICHET_TASKS": "immediate"})
    assert done.returncode != 0
    assert "a worker has nothing to do" in done.stderr
