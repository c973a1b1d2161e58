"""Import of historical tickets (`guichet importtickets`), through the same services, with no
notification and no submission-time check while `_importing` is set.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Organisation, Person
from guichet.tickets.models import (
    Channel,
    Status,
    Ticket,
)
from guichet.tickets.services._base import ServiceError, _audit, _importing, _now, _require_staff
from guichet.tickets.services.conversation import add_reply, log_call
from guichet.tickets.services.opening import open_ticket
from guichet.tickets.services.sweep import _sweep_one
from guichet.tickets.services.workflow import change_status


def import_ticket(
    *,
    actor: Person,
    organisation: Organisation,
    requester: Person,
    subject: str,
    body: str,
    priority: str,
    channel: str,
    submitted_at: dt.datetime,
    first_response_at: dt.datetime | None = None,
    first_response_channel: str = Channel.EMAIL,
    responder: Person | None = None,
    status: str = "",
    solved_at: dt.datetime | None = None,
    external_id: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """One historical ticket with its original submission and first response; its SLA outcome is
    recomputed under the contract valid at its submission. No notification is sent. All or nothing."""
    _require_staff(actor)
    responder = responder or actor
    if first_response_at is not None:
        if timezone.is_naive(first_response_at):
            raise ServiceError(_("The time must include its time zone."), code="naive")
        if first_response_at < submitted_at:
            raise ServiceError(_("The first response cannot precede the submission."), code="order")
    if solved_at is not None and solved_at < submitted_at:
        raise ServiceError(_("The ticket cannot be solved before it was submitted."), code="order")
    if status and status not in Status.values:
        raise ServiceError(_("Unknown status."), code="status")
    if external_id and Ticket.objects.filter(organisation=organisation, external_id=external_id).exists():
        raise ServiceError(_("A ticket with this external id was already imported."), code="duplicate")
    token = _importing.set(True)
    try:
        with transaction.atomic():
            ticket = open_ticket(
                actor=actor,
                organisation=organisation,
                requester=requester,
                subject=subject,
                body=body,
                priority=priority,
                channel=channel,
                submitted_at=submitted_at,
                external_id=external_id,
            )
            if first_response_at is not None:
                if first_response_channel == Channel.PHONE:
                    log_call(
                        actor=responder,
                        ticket=ticket,
                        caller=str(requester),
                        phone_number=ticket.contact_phone or "+000000",
                        duration_seconds=0,
                        summary=str(_("Imported phone response")),
                        at=first_response_at,
                    )
                else:
                    add_reply(
                        actor=responder,
                        ticket=ticket,
                        body=str(_("Imported first response")),
                        channel=first_response_channel,
                        at=first_response_at,
                    )
                ticket.refresh_from_db()
            # Misses that happened before the import are recorded now, at their due instant.
            _sweep_one(ticket.pk, now or _now())
            ticket.refresh_from_db()
            final = status or (Status.SOLVED if solved_at else "")
            if final and final != ticket.status:
                last = ticket.sla_events.aggregate(last=Max("at"))["last"]
                when = max(x for x in (solved_at, first_response_at, submitted_at, last) if x is not None)
                change_status(actor=actor, ticket=ticket, status=final, reason="import", at=when)
            ticket.refresh_from_db()
            _audit(ticket, actor, "ticket.imported", at=_now(), changes={"external_id": external_id})
    finally:
        _importing.reset(token)
    return ticket
