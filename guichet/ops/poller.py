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


class TimerPoller(threading.Thread):
    """Instants that must not wait for the minute: every `GUICHET_TIMER_POLL_SECONDS` (1 s) each
    worker records the SLA warnings and breaches due, releases held replies, fires the escalation
    steps due and delivers the pages owed (several at once: receivers are slow, not the CPU).

    The queue's `run_after` tasks are the fast path; this poll is what keeps an instant within
    seconds when the queue lost them (Redis restarted without persistence, a killed worker). Every
    job is idempotent, so the poll, the tasks and the minute sweep never do anything twice."""

    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="guichet-timer-poller", daemon=True)
        self.interval = float(interval if interval is not None else settings.GUICHET_TIMER_POLL_SECONDS)
        self.stopped = threading.Event()

    def tick(self) -> dict[str, int]:
        from django.utils import timezone

        from guichet.oncall.delivery import deliver_now
        from guichet.oncall.escalation import fire_due
        from guichet.tickets.services import deliver_held_messages, sweep_sla

        now = timezone.now()
        counts = sweep_sla(now)
        counts["held"] = deliver_held_messages(now)
        keys = fire_due(now, wake=False)  # delivered just below, not through the queue
        fired = set(keys)
        keys += [k for k in relay.due_keys(now=now, limit=1000, kind_prefix="oncall.") if k not in fired]
        counts["pages"] = deliver_now(keys)
        return counts

    def run(self) -> None:
        log.info("Timer poll every %ss", self.interval)
        last_error = ""
        while not self.stopped.wait(self.interval):
            try:
                close_old_connections()
                counts = self.tick()
                if any(counts.get(k) for k in ("warned", "breached", "held", "pages")):
                    log.info("Timer poll: %s", counts)
                last_error = ""
            except Exception as exc:  # the database is down: try again at the next tick
                error = f"{type(exc).__name__}: {exc}"
                if error != last_error:
                    log.warning("Timer poll failed: %s", error)
                last_error = error
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
