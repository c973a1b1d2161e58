"""Handing work to the task queue without holding a request: one daemon thread per process.

A committed write often asks the queue for something (wake the outbox relay, schedule an SLA timer
for its instant). Talking to Redis (or Huey's SQLite file) inside the request would make the queue
part of every write's path: slow when it is slow, a 500 when it is down although the write
committed. So `after_commit(fn)` runs `fn` once the transaction commits, on this process's
background thread; its errors are logged, never raised. Whatever it fails to hand over is found by
the workers' polls (guichet/ops/poller.py), which is why nothing that matters depends on it.

Also `tasks_run_inline()`: whether the task backend runs tasks at enqueue (the test settings).
This module imports nothing from guichet's apps, so every layer may use it.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.backends.immediate import ImmediateBackend

__all__ = ["after_commit", "drain", "tasks_run_inline"]

log = logging.getLogger(__name__)


def tasks_run_inline() -> bool:
    """Whether tasks run at enqueue: Django's immediate backend, or Huey in immediate mode."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, ImmediateBackend):
        return True
    from huey.contrib.djhuey import HUEY  # Huey's Django glue reads the settings when imported

    return type(backend).__name__ == "HueyBackend" and bool(getattr(HUEY, "immediate", False))


class _Worker:
    """One daemon thread per process that runs the callables it is given, in order."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._pid = 0
        # A short-lived process (a command, a script) hands over what it asked for before it
        # exits: its daemon thread dies with it.
        atexit.register(self.drain)

    def put(self, fn: Callable[[], object]) -> None:
        with self._lock:
            # A forked process (gunicorn --preload) has no copy of its parent's thread.
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                with self._idle:
                    self._pending = 0
                self._thread = threading.Thread(target=self._run, name="guichet-background", daemon=True)
                self._thread.start()
        with self._idle:
            self._pending += 1
        self._queue.put(fn)

    def _run(self) -> None:
        while True:
            fn = self._queue.get()
            try:
                fn()
            except Exception:
                log.exception("background: %r failed", fn)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait (at most `timeout` seconds) until everything put has run."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending <= 0, timeout=timeout)


_WORKER = _Worker()


def after_commit(fn: Callable[[], object]) -> None:
    """Run `fn` on this process's background thread once the current transaction commits (at once
    outside a transaction); never for a write that rolled back."""
    transaction.on_commit(partial(_WORKER.put, fn))


def drain(timeout: float = 5.0) -> bool:
    """Wait until the background thread has run everything given so far (tests, process exit)."""
    return _WORKER.drain(timeout)
