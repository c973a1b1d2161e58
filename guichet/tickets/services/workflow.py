"""A ticket's status (new → open → waiting → solved → closed, or reopened; the clock pauses and
resumes with it) and its assignee.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Person
from guichet.tickets.models import (
    OPEN_STATUSES,
    Status,
    Ticket,
)
from guichet.tickets.services._base import (
    ServiceError,
    _check_ticket_access,
    _require_staff,
    _sync_pause,
    ticket_change,
)

CUSTOMER_STATUSES = (Status.SOLVED, Status.OPEN)


def change_status(
    *, actor: Person, ticket: Ticket, status: str, reason: str = "", at: dt.datetime | None = None
) -> Ticket:
    """Move a ticket through new → open → waiting → solved → closed, or reopen it. Never a response."""
    _check_ticket_access(actor, ticket)
    if status not in Status.values:
        raise ServiceError(_("Unknown status."), code="status")
    if actor.is_customer and status not in CUSTOMER_STATUSES:
        raise ServiceError(_("You can mark your request solved or reopen it."), code="forbidden")
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        old = locked.status
        if old == status:
            raise ServiceError(_("The ticket already has this status."), code="unchanged")
        if old == Status.CLOSED and status != Status.OPEN:
            raise ServiceError(_("A closed ticket can only be reopened."), code="closed")
        if status == Status.NEW:
            raise ServiceError(_("A ticket cannot go back to New."), code="status")
        locked.status = status
        if status in (Status.SOLVED, Status.CLOSED):
            locked.solved_at = locked.solved_at or when
        else:
            locked.solved_at = None
        _sync_pause(locked, at=when, actor=actor, reason=reason)
        action = "ticket.reopened" if old in (Status.SOLVED, Status.CLOSED) else "ticket.status"
        change.audit(action, changes={"status": [old, status]}, reason=reason.strip())
    return locked


def assign(
    *, actor: Person, ticket: Ticket, assignee: Person | None, at: dt.datetime | None = None
) -> Ticket:
    _require_staff(actor)
    if assignee is not None and (not assignee.is_agent or not assignee.is_active):
        raise ServiceError(_("Tickets can only be assigned to active support staff."), code="assignee")
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked = change.ticket
        old = locked.assignee_id
        locked.assignee = assignee
        change.audit("ticket.assigned", changes={"assignee": [old, assignee.pk if assignee else None]})
    return locked


def open_statuses() -> tuple[str, ...]:
    return tuple(OPEN_STATUSES)
