"""Background work of the tickets app.

Huey runs the periodic scans every minute (one consumer should run with periodic tasks enabled;
the scans are idempotent and safe when two run at once anyway). Notifications are django.tasks
tasks (guichet.tickets.notifications), enqueued by the services.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import periodic_task

log = logging.getLogger(__name__)


@periodic_task(crontab(minute="*"))
def sweep_sla_every_minute() -> dict[str, int]:
    """Warnings and breaches due by now (each recorded exactly once)."""
    from guichet.tickets.services import sweep_sla

    counts = sweep_sla()
    if counts["warned"] or counts["breached"]:
        log.info("SLA sweep: %s", counts)
    return counts


@periodic_task(crontab(minute="*"))
def deliver_held_messages_every_minute() -> int:
    """Replies held outside the customer's business hours go out at the next opening (R-PRIO-7)."""
    from guichet.tickets.services import deliver_held_messages

    delivered = deliver_held_messages()
    if delivered:
        log.info("Delivered %s held message(s)", delivered)
    return delivered
