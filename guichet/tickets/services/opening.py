"""Opening a ticket: the contract in force, the first ledger event and the clock it gives, computed
before anything is written; then the ticket and the rows below it, inserted with `guichet.fastsql`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from guichet import fastsql, sla
from guichet.accounts.models import Organisation, Person
from guichet.contracts.models import contract_in_force
from guichet.tickets import ledger
from guichet.tickets.events import TicketOpened
from guichet.tickets.models import (
    AuditEntry,
    Channel,
    Message,
    MessageKind,
    SlaEvent,
    Ticket,
)
from guichet.tickets.services._base import (
    ServiceError,
    _attach,
    _check_actor,
    _check_attachments,
    _check_confirmation,
    _clean_phone,
    _clean_priority,
    _clean_text,
    _effective_at,
    _importing,
    _jsonable,
    _now,
    _profile_phone,
    _publish,
    _schedule_sla_timer,
)

_ACKNOWLEDGEMENT = _("We have received your request #%(id)s. Our support team will answer you soon.")


def open_ticket(
    *,
    actor: Person,
    organisation: Organisation | None = None,
    requester: Person | None = None,
    subject: str,
    body: str,
    priority: str,
    channel: str,
    impact_confirmed: bool = False,
    contact_phone: str = "",
    submitted_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    attachments: Iterable[Any] = (),
    external_id: str = "",
) -> Ticket:
    """Open a ticket for a customer organisation; it takes the contract valid at its submission.

    `submitted_at` is staff recording a past request. `received_at` is the desk's own record of when
    one of its ingresses received the request (e.g. the server time a mail was stored), for a request
    processed later (after a retry): R-PLAN-3 counts from the customer's submission, not from our
    processing. It never comes from the client (a mail's Date header is not used).
    """
    _check_actor(actor)
    if actor.is_customer:
        if organisation is not None and organisation.pk != actor.organisation_id:
            raise ServiceError(_("You can only open requests for your own organisation."), code="forbidden")
        if requester is not None and requester.pk != actor.pk:
            raise ServiceError(_("You can only open requests in your own name."), code="forbidden")
        organisation, requester = actor.organisation, actor
    elif actor.is_agent:
        if requester is None:
            raise ServiceError(_("Choose the customer contact who made the request."), code="requester")
        if not requester.is_customer or not requester.is_active:
            raise ServiceError(_("The requester must be an active customer contact."), code="requester")
        if organisation is None:
            organisation = requester.organisation
        elif requester.organisation_id != organisation.pk:
            raise ServiceError(_("The requester does not belong to this organisation."), code="requester")
    else:
        raise ServiceError(_("This account is not allowed to act."), code="forbidden")
    assert organisation is not None  # a customer contact has one (Person's customer_has_organisation)

    subject = _clean_text(subject, _("Subject"), max_length=250)
    body = _clean_text(body, _("Message"))
    priority = _clean_priority(priority)
    if channel not in Channel.values:
        raise ServiceError(_("Unknown channel."), code="channel")
    contact_phone = _clean_phone(contact_phone) or _profile_phone(requester)
    if _importing.get():
        impact_confirmed = True  # history: the confirmation was the previous desk's business
    else:
        _check_confirmation(priority, impact_confirmed, contact_phone)
    if received_at is not None:
        if submitted_at is not None:
            raise ServiceError(_("Give either the submission or the reception time, not both."), code="order")
        if timezone.is_naive(received_at):
            raise ServiceError(_("The time must include its time zone."), code="naive")
        if received_at > _now() + dt.timedelta(seconds=5):
            raise ServiceError(_("The time cannot be in the future."), code="future")
        at = received_at
    else:
        at = _effective_at(actor, None, submitted_at)
    contract = contract_in_force(organisation, at)
    if channel == Channel.PHONE and (contract is None or not contract.has_phone_support):
        # R-PLAN-2: never silently accepted.
        raise ServiceError(
            _(
                "Phone support is part of the Premium plan only. Please open the request on the portal "
                "or by e-mail instead."
            ),
            code="phone_not_in_plan",
        )
    attachments = list(attachments)
    _check_attachments(attachments)

    # The first ledger event and the clock it gives are computed before anything is written, so
    # the ticket is inserted once with its cached SLA fields (no insert-then-update) and the
    # ledger of a brand-new ticket is not read back: it is exactly this event.
    if contract is None:
        event = sla.Event.no_sla(at, priority)
    else:
        event = sla.Event.applied(at, contract.terms(priority), **contract.terms_facts())
    state = sla.replay([event])
    first = SlaEvent(
        seq=1,
        kind=event.kind.value,
        at=at,
        actor=actor,
        data=_jsonable(event.to_record()),
        due_at=state.due_at,
        recorded_at=_now(),
    )

    with transaction.atomic():
        ticket = Ticket(
            organisation=organisation,
            contract=contract,
            requester=requester,
            subject=subject,
            channel=channel,
            original_priority=priority,
            impact_confirmed=bool(impact_confirmed),
            contact_phone=contact_phone,
            submitted_at=at,
            updated_at=at,
            external_id=external_id,
            **ledger.cached_fields(state),
        )
        # The ticket first: the rows below it take its id when they are built.
        fastsql.insert(ticket)
        first.ticket = ticket
        ledger.seal(first, None)  # the chain's first link (it names the ticket, known only now)
        message = Message(
            ticket=ticket,
            author=requester,
            kind=MessageKind.REPLY,
            channel=channel,
            body=body,
            created_at=at,
            delivered_at=at,
        )
        # An automatic acknowledgement: confirms receipt, never counts as a response (R-PLAN-3).
        # It answers the customer's own action, so it is not held by the contact window. Stored
        # text, so written in the requester's language (not the language of whoever opened it:
        # an agent, the demo loader, an English API client).
        with translation.override(requester.language or settings.LANGUAGE_CODE):
            acknowledgement_text = str(_ACKNOWLEDGEMENT) % {"id": ticket.pk}
        acknowledgement = Message(
            ticket=ticket,
            kind=MessageKind.AUTO,
            channel=channel if channel != Channel.PHONE else Channel.EMAIL,
            body=acknowledgement_text,
            created_at=at,
            delivered_at=at,
        )
        # The rows below the ticket: one round trip on PostgreSQL. The ids come back (the
        # attachments need the message's).
        fastsql.insert_groups(
            (message, acknowledgement),
            (first,),
            (
                AuditEntry(
                    ticket=ticket,
                    actor=actor,
                    at=at,
                    action="ticket.opened",
                    changes=_jsonable(
                        {
                            "priority": priority,
                            "channel": channel,
                            "contract": contract.pk if contract else None,
                            "sla": ticket.sla_state,
                            "due": ticket.sla_due_at,
                        }
                    ),
                    reason="",
                ),
            ),
        )
        _attach(message, attachments)
        _schedule_sla_timer(ticket)
        _publish(
            TicketOpened(
                ticket_id=ticket.pk,
                at=at,
                organisation_id=organisation.pk,
                priority=priority,
                channel=channel,
                by_customer=actor.pk == requester.pk,
            )
        )
    return ticket
