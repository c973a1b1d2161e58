"""Work scheduled for an exact instant: a django.tasks task enqueued with `run_after`, once the
current transaction commits, from the process's background thread (guichet/background.py: a slow
or absent queue never holds a request). Best effort by design: the workers' one-second timer poll
(guichet/ops/poller.py) and the minute sweep find whatever the queue lost, and every timed job is
idempotent (exactly once comes from the ledger's dedup keys and the callers' own unique keys, not
from the queue).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.tasks import Task
from django.utils import timezone

from guichet import background
from guichet.background import tasks_run_inline

log = logging.getLogger(__name__)

#: Fire a little after the instant: a breach is recorded only strictly after its due instant.
MARGIN = dt.timedelta(milliseconds=20)


def enqueue_at(task: Task[Any, Any], args: tuple[Any, ...], at: dt.datetime) -> None:
    try:
        when = at + MARGIN
        (task.using(run_after=when) if when > timezone.now() else task).enqueue(*args)
    except Exception as exc:  # the queue is down: the poll fires it
        log.warning("timers: could not schedule %s%s at %s (%s); the poll will", task.name, args, at, exc)


def at_instant(task: Task[Any, Any], *args: Any, at: dt.datetime | None) -> None:
    """Run ``task(*args)`` at ``at`` (nothing when ``at`` is None), once this transaction commits."""
    if at is None or tasks_run_inline():
        return
    background.after_commit(partial(enqueue_at, task, args, at))
