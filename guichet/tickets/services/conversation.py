"""The conversation on a ticket: public replies, internal notes, phone calls, contact attempts; the
first response (R-PLAN-3) and the customer's contact window, which holds replies on P3/P4 (R-PRIO-7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.accounts.models import Person
from guichet.contracts.models import Plan, Priority
from guichet.tickets import timers
from guichet.tickets.events import AgentResponded, CustomerReplied, FirstResponseGiven
from guichet.tickets.models import (
    Channel,
    ContactAttempt,
    Message,
    MessageKind,
    Status,
    Ticket,
)
from guichet.tickets.services._base import (
    ServiceError,
    _append,
    _attach,
    _check_attachments,
    _check_ticket_access,
    _clean_phone,
    _clean_text,
    _importing,
    _now,
    _publish,
    _published,
    _require_staff,
    _sync_pause,
    ticket_change,
)


def _contact_window_opens(ticket: Ticket, at: dt.datetime) -> dt.datetime | None:
    """R-PRIO-7: on P3/P4, the next opening of the customer's business hours if `at` is outside them."""
    if ticket.priority not in (Priority.P3, Priority.P4) or ticket.contract is None:
        return None
    calendar = ticket.contract.business_hours()
    if calendar.is_open(at):
        return None
    return calendar.next_open(at)


def contact_window(ticket: Ticket, at: dt.datetime | None = None) -> dt.datetime | None:
    """When a customer-facing message written now would go out (None: immediately). For the UI."""
    return _contact_window_opens(ticket, at or _now())


def _customer_message(
    ticket: Ticket,
    *,
    author: Person | None,
    kind: str,
    channel: str,
    body: str,
    at: dt.datetime,
    **extra: Any,
) -> Message:
    """A message the customer will see; held until their next opening on P3/P4 (R-PRIO-7)."""
    holdable = kind in (MessageKind.REPLY, MessageKind.AUTO) and not _importing.get()
    hold_until = _contact_window_opens(ticket, at) if holdable else None
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        kind=kind,
        channel=channel,
        body=body,
        created_at=at,
        deliver_at=hold_until,
        delivered_at=None if hold_until else at,
        **extra,
    )
    if hold_until is None:
        _published(message)
    else:
        from guichet.tickets.tasks import deliver_held_messages_task

        timers.at_instant(deliver_held_messages_task, at=hold_until)
    return message


def _record_first_response(ticket: Ticket, *, at: dt.datetime, actor: Person, message: Message) -> None:
    """R-PLAN-3: the first public human response stops the clock. A response after the due instant
    that the sweep has not yet seen is recorded as a breach at the due instant first."""
    if ticket.first_response_at is not None:
        return
    fulfilled = sla.Event.fact(
        sla.EventKind.FULFILLED, at, message_id=message.pk, kind=message.kind, channel=message.channel
    )
    _append(ticket, fulfilled, actor=actor)
    _publish(FirstResponseGiven(ticket_id=ticket.pk, at=at, responder_id=actor.pk))


REPLY_CHANNELS = (Channel.PORTAL, Channel.EMAIL, Channel.API)


def add_reply(
    *,
    actor: Person,
    ticket: Ticket,
    body: str,
    channel: str = "portal",
    attachments: Iterable[Any] = (),
    at: dt.datetime | None = None,
) -> Message:
    """A public reply. An agent's first one is the first response (R-PLAN-3); on P3/P4 outside the
    customer's business hours it is held until their next opening (`deliver_at`, R-PRIO-7) but
    still counts from the moment it was written (the agent did respond)."""
    _check_ticket_access(actor, ticket)
    body = _clean_text(body, _("Message"))
    if channel not in REPLY_CHANNELS:
        raise ServiceError(
            _("Replies go by portal, e-mail or API; log phone conversations as calls."), code="channel"
        )
    attachments = list(attachments)
    _check_attachments(attachments)
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        if actor.is_agent:
            message = _customer_message(
                locked, author=actor, kind=MessageKind.REPLY, channel=channel, body=body, at=when
            )
            _record_first_response(locked, at=when, actor=actor, message=message)
            _publish(AgentResponded(ticket_id=locked.pk, at=when, agent_id=actor.pk, message_id=message.pk))
            if locked.status == Status.NEW:
                locked.status = Status.OPEN
        else:
            message = Message.objects.create(
                ticket=locked,
                author=actor,
                kind=MessageKind.REPLY,
                channel=channel,
                body=body,
                created_at=when,
                delivered_at=when,
            )
            # The customer answered: the ticket is back in the team's hands.
            if locked.status in (Status.WAITING_CUSTOMER, Status.SOLVED, Status.CLOSED):
                locked.status = Status.OPEN
                locked.solved_at = None
                _sync_pause(locked, at=when, actor=actor, reason="customer reply")
            _publish(
                CustomerReplied(
                    ticket_id=locked.pk,
                    at=when,
                    message_id=message.pk,
                    unassigned=locked.assignee_id is None,
                    priority=locked.priority,
                )
            )
        _attach(message, attachments)
        change.audit(
            "message.reply",
            changes={"message": message.pk, "channel": channel, "held_until": message.deliver_at},
        )
    return message


def add_note(*, actor: Person, ticket: Ticket, body: str, at: dt.datetime | None = None) -> Message:
    """An internal note: agents only, never shown to customers, never a response."""
    _require_staff(actor)
    body = _clean_text(body, _("Note"))
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        message = Message.objects.create(
            ticket=locked,
            author=actor,
            kind=MessageKind.NOTE,
            channel=Channel.PORTAL,
            body=body,
            created_at=when,
            delivered_at=when,
        )
        change.audit("message.note", changes={"message": message.pk})
    return message


def _check_phone_support(ticket: Ticket) -> None:
    """R-PLAN-2, checked on the locked ticket before the time of the call."""
    if ticket.contract is None or ticket.contract.plan != Plan.PREMIUM:
        raise ServiceError(
            _("Phone support is part of the Premium plan only; answer this customer by portal or e-mail."),
            code="phone_not_in_plan",
        )


def log_call(
    *,
    actor: Person,
    ticket: Ticket,
    caller: str,
    phone_number: str,
    duration_seconds: int,
    summary: str,
    inbound: bool = False,
    at: dt.datetime | None = None,
) -> Message:
    """A phone conversation (Premium only, R-PLAN-2). For Premium it counts as a response.

    R-PRIO-7: on P3/P4 the team calls the customer only during the customer's business hours, so an
    outbound call (`inbound=False`, the default: the desk's own call) outside them is refused; a
    call the customer made (`inbound=True`) is always recorded."""
    _require_staff(actor)
    caller = _clean_text(caller, _("Caller"), max_length=200)
    summary = _clean_text(summary, _("Summary"))
    phone_number = _clean_phone(phone_number)
    if not phone_number:
        raise ServiceError(_("The phone number is required."), code="phone")
    if not isinstance(duration_seconds, int) or duration_seconds < 0 or duration_seconds > 24 * 3600:
        raise ServiceError(_("The duration must be between 0 and 86400 seconds."), code="duration")
    with ticket_change(actor=actor, ticket=ticket, at=at, check=_check_phone_support) as change:
        locked, when = change.ticket, change.at
        if not inbound and _contact_window_opens(locked, when) is not None:
            raise ServiceError(
                _(
                    "On P3 and P4 tickets the customer is called only during their business hours "
                    "(R-PRIO-7): an outbound call cannot be logged now. If the customer called you, "
                    "log it as an inbound call."
                ),
                code="outside_hours",
            )
        message = Message.objects.create(
            ticket=locked,
            author=actor,
            kind=MessageKind.CALL,
            channel=Channel.PHONE,
            body=summary,
            created_at=when,
            delivered_at=when,
            caller=caller,
            phone_number=phone_number,
            duration_seconds=duration_seconds,
        )
        _record_first_response(locked, at=when, actor=actor, message=message)
        _publish(AgentResponded(ticket_id=locked.pk, at=when, agent_id=actor.pk, message_id=message.pk))
        if locked.status == Status.NEW:
            locked.status = Status.OPEN
        change.audit(
            "message.call",
            changes={"message": message.pk, "seconds": duration_seconds, "inbound": bool(inbound)},
        )
    return message


def record_contact_attempt(
    *,
    actor: Person,
    ticket: Ticket,
    channel: str,
    note: str = "",
    at: dt.datetime | None = None,
    answered: bool = False,
) -> ContactAttempt:
    """An attempt to reach the customer (the evidence a downgrade needs, R-PRIO-6)."""
    _require_staff(actor)
    if channel not in Channel.values or channel == Channel.API:
        raise ServiceError(_("Unknown channel."), code="channel")
    if len(note) > 500:
        raise ServiceError(_("The note is too long (at most 500 characters)."), code="too_long")
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        if not answered and _contact_window_opens(locked, when) is not None:
            raise ServiceError(
                _("On P3 and P4 tickets the customer is contacted only during their business hours."),
                code="outside_hours",
            )
        attempt = ContactAttempt.objects.create(
            ticket=locked, agent=actor, at=when, channel=channel, note=note.strip(), answered=answered
        )
        change.audit(
            "contact.attempt", changes={"attempt": attempt.pk, "channel": channel, "answered": answered}
        )
    return attempt
