"""Worker wiring: a health-check task and the periodic schedule.

Huey's `run_huey` imports every installed app's `tasks` module, so importing this one registers the
periodic jobs of guichet/ops/schedule.py with the consumer's scheduler.
"""

from __future__ import annotations

import logging
import os
import socket

from django.conf import settings
from django.db import connection
from django.tasks import Task, task
from django.utils import timezone
from django.utils.module_loading import import_string
from huey.contrib.djhuey import HUEY, close_db

from guichet.ops.schedule import PERIODIC_JOBS, PeriodicJob

logger = logging.getLogger(__name__)


@task()
def ping(token: str) -> dict[str, object]:
    """Prove a worker is alive and reaches the database: answer who ran it, where and when."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "token": token,
        "database": connection.vendor if one == 1 else "unreachable",
        "task_storage": settings.TASK_STORAGE,
        "worker": f"{socket.gethostname()}.{os.getpid()}",
        "ran_at": timezone.now().isoformat(),
    }


HEARTBEAT_KEY = "guichet.scheduler.heartbeat"


@task()
def heartbeat() -> str:
    """Record that the scheduler ticked (a periodic job), so operators can see it is alive."""
    now = timezone.now().isoformat()
    HUEY.put(HEARTBEAT_KEY, now)
    return now


def last_heartbeat() -> str | None:
    """When the scheduler last ticked (ISO 8601, UTC), or None if it never did on this storage."""
    return HUEY.get(HEARTBEAT_KEY, peek=True)


def resolve_job(job: PeriodicJob) -> Task:
    """The django.tasks task a periodic job enqueues; raises ImportError with the job's name."""
    try:
        target = import_string(job.task_path)
    except ImportError as exc:
        raise ImportError(f"Periodic job {job.name!r}: cannot import {job.task_path}: {exc}") from exc
    if not isinstance(target, Task):
        raise ImportError(f"Periodic job {job.name!r}: {job.task_path} is not a django.tasks task.")
    return target


def _register(job: PeriodicJob) -> None:
    def tick() -> None:
        # Enqueue rather than run inline so the job goes through the same backend, priorities and
        # result records as any other task, and any worker can pick it up.
        result = resolve_job(job).enqueue()
        logger.info("Periodic job %s enqueued as task %s", job.name, result.id)

    tick.__name__ = tick.__qualname__ = f"periodic_{job.name.replace('-', '_')}"
    HUEY.periodic_task(job.schedule, name=f"guichet.periodic.{job.name}")(close_db(tick))


def register_periodic_jobs() -> list[str]:
    """Register every job of the schedule whose task exists; log the others loudly."""
    registered = []
    for job in PERIODIC_JOBS:
        try:
            resolve_job(job)
        except ImportError as exc:
            logger.error("Not registered: %s", exc)
            continue
        _register(job)
        registered.append(job.name)
    return registered


REGISTERED_PERIODIC_JOBS = register_periodic_jobs()
