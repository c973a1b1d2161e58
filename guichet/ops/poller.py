"""The outbox poll that every worker runs beside Huey's consumer.

The task queue only wakes the outbox relay; this thread is what makes delivery independent of the
queue: every `GUICHET_OUTBOX_POLL_SECONDS` it delivers whatever is due (guichet.outbox.relay), so
rows whose wake-up was lost (Redis down, a worker killed, a task dropped) go out within seconds once
the database answers. Several workers poll at once safely: each row is leased to one of them.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from guichet.outbox import relay

log = logging.getLogger(__name__)


class OutboxPoller(threading.Thread):
    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="guichet-outbox-poller", daemon=True)
        self.interval = float(interval if interval is not None else settings.GUICHET_OUTBOX_POLL_SECONDS)
        self.stopped = threading.Event()
        self.batch = 200
        # As many deliveries at once as the worker runs tasks (GUICHET_WORKER_THREADS).
        self.threads = max(1, int(settings.GUICHET_WORKER_THREADS))

    def run(self) -> None:
        log.info("Outbox poll every %ss", self.interval)
        last_error = ""
        while not self.stopped.wait(self.interval):
            try:
                close_old_connections()
                while True:
                    counts = relay.deliver_due(limit=self.batch, threads=self.threads)
                    done = sum(counts[k] for k in ("delivered", "retry", "failed"))
                    if done:
                        log.info("Outbox poll: %s", counts)
                    # A full batch means more is waiting (a backlog after an outage): go on at once.
                    if done + counts["skipped"] < self.batch or self.stopped.is_set():
                        break
                if last_error:
                    log.info("Outbox poll works again")
                last_error = ""
            except Exception as exc:  # the database is down: try again at the next tick
                error = f"{type(exc).__name__}: {exc}"
                if error != last_error:  # once per outage, not every few seconds
                    log.warning("Outbox poll failed: %s", error)
                last_error = error
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
