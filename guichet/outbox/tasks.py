"""The outbox's periodic safety net (the per-row wake-up task is `relay.deliver_task`)."""

from __future__ import annotations

import logging

from django.tasks import task

from guichet.outbox import relay

log = logging.getLogger(__name__)


@task()
def deliver_due_task() -> dict[str, int]:
    """Deliver whatever is due (the schedule runs it every minute, beside the workers' poll)."""
    counts = relay.deliver_due()
    if any(counts[k] for k in ("delivered", "retry", "failed")):
        log.info("Outbox: %s", counts)
    return counts
