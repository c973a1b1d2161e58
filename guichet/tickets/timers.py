"""Work scheduled for an exact instant: a django.tasks task enqueued with `run_after`, once the
current transaction commits, from a background thread (a slow or absent queue never holds a
request). Best effort by design: the workers' one-second timer poll (guichet/ops/poller.py) and the
minute sweep find whatever the queue lost, and every timed job is idempotent (exactly once comes
from the ledger's dedup keys and the callers' own unique keys, not from the queue).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
from functools import partial
from typing import Any

from django.db import transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, Task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

log = logging.getLogger(__name__)

#: Fire a little after the instant: a breach is recorded only strictly after its due instant.
MARGIN = dt.timedelta(milliseconds=20)


def queue_runs_inline() -> bool:
    """Inline tasks (the tests' settings) cannot wait for an instant: the poll and sweeps do it."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, ImmediateBackend):
        return True
    from huey.contrib.djhuey import HUEY

    return bool(getattr(HUEY, "immediate", False))


class _Enqueuer:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Task[Any, Any], tuple[Any, ...], dt.datetime]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._pending = 0
        self._idle = threading.Condition()
        # A short-lived process (a command, a script) hands what it scheduled to the queue before it
        # exits: its daemon thread dies with it, and the instant would wait for the poll.
        atexit.register(self.drain)

    def put(self, task: Task[Any, Any], args: tuple[Any, ...], at: dt.datetime) -> None:
        with self._lock:
            # A forked process (gunicorn --preload) has no copy of its parent's thread.
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._pending = 0
                self._thread = threading.Thread(target=self._run, name="guichet-timers", daemon=True)
                self._thread.start()
        with self._idle:
            self._pending += 1
        self._queue.put((task, args, at))

    def _run(self) -> None:
        while True:
            task, args, at = self._queue.get()
            try:
                enqueue_at(task, args, at)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` seconds) until everything put was handed to the queue."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending <= 0, timeout=timeout)


_ENQUEUER = _Enqueuer()


def enqueue_at(task: Task[Any, Any], args: tuple[Any, ...], at: dt.datetime) -> None:
    try:
        when = at + MARGIN
        (task.using(run_after=when) if when > timezone.now() else task).enqueue(*args)
    except Exception as exc:  # the queue is down: the poll fires it
        log.warning("timers: could not schedule %s%s at %s (%s); the poll will", task.name, args, at, exc)


def at_instant(task: Task[Any, Any], *args: Any, at: dt.datetime | None) -> None:
    """Run ``task(*args)`` at ``at`` (nothing when ``at`` is None), once this transaction commits."""
    if at is None or queue_runs_inline():
        return
    transaction.on_commit(partial(_ENQUEUER.put, task, args, at))
