"""Background work of the tickets app, as django.tasks tasks.

The scheduler runs the scans every minute (the table is guichet/ops/schedule.py) and every worker's
timer poll every second (guichet/ops/poller.py); the services also schedule one ticket's next SLA
timer and one held reply's release for their exact instant (`guichet.tickets.timers`). All are
idempotent and safe when two run at once.
"""

from __future__ import annotations

import logging

from django.tasks import task

from guichet.tickets.services import deliver_held_messages, sweep_sla, sweep_ticket

log = logging.getLogger(__name__)


@task()
def sweep_sla_task() -> dict[str, int]:
    """Warnings and breaches due by now (each recorded exactly once)."""
    counts = sweep_sla()
    if counts["warned"] or counts["breached"]:
        log.info("SLA sweep: %s", counts)
    return counts


@task()
def sweep_ticket_task(ticket_id: int) -> dict[str, int]:
    """One ticket's warning or breach, at its instant (scheduled by the services)."""
    return sweep_ticket(ticket_id)


@task()
def deliver_held_messages_task() -> int:
    """Replies held outside the customer's business hours go out at the next opening (R-PRIO-7)."""
    delivered = deliver_held_messages()
    if delivered:
        log.info("Delivered %s held message(s)", delivered)
    return delivered
