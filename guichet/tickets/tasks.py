"""Background work of the tickets app, as django.tasks tasks.

The scheduler runs them every minute (the table is guichet/ops/schedule.py). Both scans are
idempotent and safe when two run at once. Notifications are tasks of guichet.tickets.notifications,
enqueued by the services.
"""

from __future__ import annotations

import logging

from django.tasks import task

from guichet.tickets.services import deliver_held_messages, sweep_sla

log = logging.getLogger(__name__)


@task()
def sweep_sla_task() -> dict[str, int]:
    """Warnings and breaches due by now (each recorded exactly once)."""

    counts = sweep_sla()
    if counts["warned"] or counts["breached"]:
        log.info("SLA sweep: %s", counts)
    return counts


@task()
def deliver_held_messages_task() -> int:
    """Replies held outside the customer's business hours go out at the next opening (R-PRIO-7)."""

    delivered = deliver_held_messages()
    if delivered:
        log.info("Delivered %s held message(s)", delivered)
    return delivered
