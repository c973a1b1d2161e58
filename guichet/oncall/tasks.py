"""Background work of on-call: an escalation step at its exact instant (django.tasks `run_after`),
and the sweep of every step due (the workers' timer poll and the minute schedule)."""

from __future__ import annotations

import datetime as dt
import logging

from django.tasks import task

from guichet.tickets.timers import at_instant

log = logging.getLogger(__name__)


@task()
def escalate_at_task(instant: str) -> int:
    """Fire the steps due at an instant (enqueued for that instant: one task for every escalation
    whose next step falls then, so a storm of a thousand tickets is one task, not a thousand)."""
    from guichet.oncall.delivery import deliver_now
    from guichet.oncall.escalation import fire_due

    keys = fire_due(wake=False)
    deliver_now(keys)
    return len(keys)


@task()
def escalate_due_task() -> int:
    """Every step due by now (the safety net of the scheduled tasks)."""
    from guichet.oncall.escalation import fire_due

    keys = fire_due()
    if keys:
        log.info("On-call: %s page(s) owed by due escalation steps", len(keys))
    return len(keys)


def schedule_instants(instants: set[dt.datetime]) -> None:
    """One task per distinct instant at which steps fall due (run_after that instant)."""
    for at in sorted(instants):
        at_instant(escalate_at_task, at.isoformat(), at=at)
