"""Every write that changes a ticket. One function per action.

Each function is keyword-only, runs in one transaction with the ticket row locked, writes an
`AuditEntry` (who, when, what, why), appends `SlaEvent` rows when the clock is affected and
refreshes the ticket's cached SLA fields from the replay of its ledger. A bad request raises
`ServiceError` (a translated `ValidationError`) and changes nothing.

`at=` (on most functions) lets staff record something that happened earlier (the demo loader,
imports, a call logged after hanging up). It can never be in the future, nor before the ticket's
last SLA event, so the ledger stays in order; customers cannot use it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet import fastsql
from guichet.accounts.models import Person
from guichet.contracts import priorities
from guichet.contracts.models import Organisation, Plan, Priority
from guichet.tickets import sla
from guichet.tickets.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Attachment,
    AuditEntry,
    Channel,
    ContactAttempt,
    Message,
    MessageKind,
    SlaEvent,
    SlaEventKind,
    Status,
    Ticket,
)

log = logging.getLogger(__name__)

# Set while importing historical tickets: no notifications, no submission-time checks (R-PRIO-5).
_importing: contextvars.ContextVar[bool] = contextvars.ContextVar("guichet_importing", default=False)


class ServiceError(ValidationError):
    """A refused request, with a translated message; nothing was changed."""


# --- Helpers --------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _check_actor(actor: Person) -> None:
    if actor is None or not actor.is_active:
        raise ServiceError(_("This account is not allowed to act."), code="forbidden")


def _require_staff(actor: Person) -> None:
    _check_actor(actor)
    if not actor.is_agent:
        raise ServiceError(_("Only support staff can do this."), code="forbidden")


def _check_ticket_access(actor: Person, ticket: Ticket) -> None:
    _check_actor(actor)
    if actor.is_agent:
        return
    if not (actor.is_customer and actor.organisation_id and actor.organisation_id == ticket.organisation_id):
        # Same answer as for a ticket that does not exist: no existence leak.
        raise ServiceError(_("No such ticket."), code="not_found")


def _effective_at(actor: Person, ticket: Ticket | None, at: dt.datetime | None) -> dt.datetime:
    now = _now()
    if at is None:
        instant = now
    else:
        if not actor.is_agent:
            raise ServiceError(_("Only support staff can record past events."), code="forbidden")
        if timezone.is_naive(at):
            raise ServiceError(_("The time must include its time zone."), code="naive")
        if at > now + dt.timedelta(seconds=5):
            raise ServiceError(_("The time cannot be in the future."), code="future")
        instant = at
    if ticket is not None and ticket.pk:
        last = ticket.sla_events.aggregate(last=Max("at"))["last"]
        if last is not None and instant < last and at is not None:
            raise ServiceError(
                _("The time cannot be before the ticket's last recorded change."), code="order"
            )
        if instant < ticket.submitted_at:
            raise ServiceError(_("The time cannot be before the ticket was submitted."), code="order")
    return instant


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("contract", "organisation")
        .get(pk=ticket.pk)
    )


def _copy_back(target: Ticket, source: Ticket) -> Ticket:
    """Services return the fresh ticket; the caller's instance is refreshed too."""
    if target is not source:
        for f in Ticket._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))
    return source


def _audit(
    ticket: Ticket | None,
    actor: Person | None,
    action: str,
    *,
    at: dt.datetime,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        ticket=ticket, actor=actor, at=at, action=action, changes=_jsonable(changes or {}), reason=reason
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return sla.iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _replay(ticket: Ticket) -> sla.ClockState:
    return sla.replay(ticket.sla_events.order_by("seq"))


def _append(
    ticket: Ticket,
    kind: str,
    *,
    at: dt.datetime,
    actor: Person | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    dedup_key: str = "",
) -> tuple[SlaEvent, sla.ClockState]:
    """Append one ledger event and refresh the ticket's cache from the replay (ticket is locked).

    If the current clock's due instant passed before `at` and no sweep recorded it yet, the breach
    is recorded first, at the due instant: no later change (a pause, a raise, a downgrade, a late
    response) can hide a missed target."""
    events = list(ticket.sla_events.order_by("seq"))
    if kind != SlaEventKind.BREACHED:
        prior = sla.replay(events)
        if (
            prior.has_sla
            and not (prior.complete or prior.paused or prior.breached_at)
            and prior.due_at is not None
            and prior.due_at < at
        ):
            _append(ticket, SlaEventKind.BREACHED, at=prior.due_at, dedup_key="breached", data={"by": kind})
            _audit(
                ticket, None, "sla.breached", at=at, changes={"due": prior.due_at, "recorded_before": kind}
            )
            _notify_sla(ticket, "breached")
            events = list(ticket.sla_events.order_by("seq"))
    event = SlaEvent(
        ticket=ticket,
        seq=(events[-1].seq + 1) if events else 1,
        kind=kind,
        at=at,
        actor=actor,
        reason=reason,
        data=_jsonable(data or {}),
        dedup_key=dedup_key,
    )
    state = sla.replay([*events, event])
    event.due_at = state.due_at
    event.save()
    for name, value in sla.cached_fields(state).items():
        setattr(ticket, name, value)
    return event, state


def _save(ticket: Ticket, at: dt.datetime) -> None:
    ticket.updated_at = max(ticket.updated_at or at, at)
    ticket.save()


def _clean_text(value: str, label, *, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(_("%(field)s is required.") % {"field": label}, code="required")
    if max_length and len(text) > max_length:
        raise ServiceError(
            _("%(field)s is too long (at most %(n)s characters).") % {"field": label, "n": max_length},
            code="too_long",
        )
    return text


_PHONE = re.compile(r"^\+?[0-9 ().-]{6,31}$")


def _clean_phone(value: str) -> str:
    phone = (value or "").strip()
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ServiceError(_("“%(phone)s” is not a valid phone number.") % {"phone": phone}, code="phone")
    return phone


def _profile_phone(person: Person) -> str:
    """The phone on the person's profile, if it is a usable number (a bad profile blocks nothing)."""
    try:
        return _clean_phone(person.phone)
    except ServiceError:
        return ""


def _clean_priority(priority: str) -> str:
    if priority not in Priority.values:
        raise ServiceError(_("Choose a priority from P1 to P4."), code="priority")
    return str(priority)


def _check_confirmation(priority: str, impact_confirmed: bool, contact_phone: str) -> None:
    info = priorities.info(priority)
    if info.needs_confirmation and not impact_confirmed:
        raise ServiceError(
            _(
                "Choosing %(priority)s requires confirming its impact and that you stay available "
                "until the request is resolved."
            )
            % {"priority": priority},
            code="confirmation",
        )
    if info.needs_phone and not contact_phone:
        raise ServiceError(
            _("A P1 request needs a phone number where the support team can reach you."), code="phone"
        )


def _contact_window_opens(ticket: Ticket, at: dt.datetime) -> dt.datetime | None:
    """R-PRIO-7: on P3/P4, the next opening of the customer's business hours if `at` is outside them."""
    if ticket.priority not in (Priority.P3, Priority.P4) or ticket.contract is None:
        return None
    calendar = sla.calendar_from_spec(sla.business_hours_spec(ticket.contract))
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
        _notify_message(message)
    return message


def _notify_message(message: Message) -> None:
    from guichet.tickets.notifications import send_message_notification

    if _importing.get():
        return

    try:
        send_message_notification.enqueue(message.pk)
    except Exception:  # a mail queue outage must not lose the reply itself
        log.exception("could not enqueue the notification of message %s", message.pk)


def _notify_sla(ticket: Ticket, kind: str) -> None:
    from guichet.tickets.notifications import send_sla_alert

    if _importing.get():
        return

    try:
        send_sla_alert.enqueue(ticket.pk, kind)
    except Exception:
        log.exception("could not enqueue the SLA alert for ticket %s", ticket.pk)


def _record_first_response(ticket: Ticket, *, at: dt.datetime, actor: Person, message: Message) -> None:
    """R-PLAN-3: the first public human response stops the clock. A response after the due instant
    that the sweep has not yet seen is recorded as a breach at the due instant first."""
    if ticket.first_response_at is not None:
        return
    _append(
        ticket,
        SlaEventKind.FULFILLED,
        at=at,
        actor=actor,
        data={"message_id": message.pk, "kind": message.kind, "channel": message.channel},
    )


def _sync_pause(ticket: Ticket, *, at: dt.datetime, actor: Person | None, reason: str = "") -> None:
    """Pause the clock while the ticket is solved or closed, or waiting when the contract says so;
    resume it otherwise."""
    state = _replay(ticket)
    if not state.has_sla or state.complete:
        return
    should_pause = ticket.status in (Status.SOLVED, Status.CLOSED) or (
        ticket.status in WAITING_STATUSES and state.pause_when_waiting
    )
    if should_pause and not state.paused:
        _append(
            ticket, SlaEventKind.PAUSED, at=at, actor=actor, reason=reason, data={"status": ticket.status}
        )
    elif not should_pause and state.paused:
        _append(
            ticket, SlaEventKind.RESUMED, at=at, actor=actor, reason=reason, data={"status": ticket.status}
        )


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _check_attachments(attachments: list[Any]) -> None:
    """Refuse oversized files before anything is written."""
    limit = int(getattr(settings, "GUICHET_MAX_ATTACHMENT_BYTES", MAX_ATTACHMENT_BYTES))
    for upload in attachments:
        if (getattr(upload, "size", None) or 0) > limit:
            raise ServiceError(
                _("“%(name)s” is too large (at most %(n)s bytes).") % {"name": upload.name, "n": limit},
                code="too_large",
            )


def _attach(message: Message, attachments: Iterable[Any]) -> list[Attachment]:
    rows = []
    for upload in attachments:
        size = getattr(upload, "size", None) or 0
        name = (getattr(upload, "name", "") or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255]
        row = Attachment(
            message=message,
            filename=name or "attachment",
            content_type=getattr(upload, "content_type", None) or "application/octet-stream",
            size=size,
        )
        row.file.save(name or "attachment", upload, save=False)
        row.save()
        rows.append(row)
    return rows


# --- Opening a ticket -----------------------------------------------------------------------------

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
    contract = organisation.contract_at(at)
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
        first = SlaEvent(kind=SlaEventKind.NO_SLA, data=_jsonable({"priority": priority}))
    else:
        first = SlaEvent(kind=SlaEventKind.APPLIED, data=_jsonable(sla.terms_data(contract, priority)))
    first.seq, first.at, first.actor, first.reason, first.dedup_key = 1, at, actor, "", ""
    state = sla.replay([first])
    first.due_at = state.due_at

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
            **sla.cached_fields(state),
        )
        # The ticket first: the rows below it take its id when they are built.
        fastsql.insert(ticket)
        first.ticket = ticket
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
        # It answers the customer's own action, so it is not held by the contact window.
        acknowledgement = Message(
            ticket=ticket,
            kind=MessageKind.AUTO,
            channel=channel if channel != Channel.PHONE else Channel.EMAIL,
            body=str(_ACKNOWLEDGEMENT) % {"id": ticket.pk},
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
    return ticket


# --- Conversation ---------------------------------------------------------------------------------

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
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        if actor.is_agent:
            message = _customer_message(
                locked, author=actor, kind=MessageKind.REPLY, channel=channel, body=body, at=when
            )
            _record_first_response(locked, at=when, actor=actor, message=message)
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
        _attach(message, attachments)
        _audit(
            locked,
            actor,
            "message.reply",
            at=when,
            changes={"message": message.pk, "channel": channel, "held_until": message.deliver_at},
        )
        _save(locked, when)
    _copy_back(ticket, locked)
    return message


def add_note(*, actor: Person, ticket: Ticket, body: str, at: dt.datetime | None = None) -> Message:
    """An internal note: agents only, never shown to customers, never a response."""
    _require_staff(actor)
    body = _clean_text(body, _("Note"))
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        message = Message.objects.create(
            ticket=locked,
            author=actor,
            kind=MessageKind.NOTE,
            channel=Channel.PORTAL,
            body=body,
            created_at=when,
            delivered_at=when,
        )
        _audit(locked, actor, "message.note", at=when, changes={"message": message.pk})
        _save(locked, when)
    _copy_back(ticket, locked)
    return message


def log_call(
    *,
    actor: Person,
    ticket: Ticket,
    caller: str,
    phone_number: str,
    duration_seconds: int,
    summary: str,
    at: dt.datetime | None = None,
) -> Message:
    """A phone conversation (Premium only, R-PLAN-2). For Premium it counts as a response."""
    _require_staff(actor)
    caller = _clean_text(caller, _("Caller"), max_length=200)
    summary = _clean_text(summary, _("Summary"))
    phone_number = _clean_phone(phone_number)
    if not phone_number:
        raise ServiceError(_("The phone number is required."), code="phone")
    if not isinstance(duration_seconds, int) or duration_seconds < 0 or duration_seconds > 24 * 3600:
        raise ServiceError(_("The duration must be between 0 and 86400 seconds."), code="duration")
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.contract is None or locked.contract.plan != Plan.PREMIUM:
            raise ServiceError(
                _(
                    "Phone support is part of the Premium plan only; "
                    "answer this customer by portal or e-mail."
                ),
                code="phone_not_in_plan",
            )
        when = _effective_at(actor, locked, at)
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
        if locked.status == Status.NEW:
            locked.status = Status.OPEN
        _audit(
            locked,
            actor,
            "message.call",
            at=when,
            changes={"message": message.pk, "seconds": duration_seconds},
        )
        _save(locked, when)
    _copy_back(ticket, locked)
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
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        if not answered and _contact_window_opens(locked, when) is not None:
            raise ServiceError(
                _("On P3 and P4 tickets the customer is contacted only during their business hours."),
                code="outside_hours",
            )
        attempt = ContactAttempt.objects.create(
            ticket=locked, agent=actor, at=when, channel=channel, note=note.strip(), answered=answered
        )
        _audit(
            locked,
            actor,
            "contact.attempt",
            at=when,
            changes={"attempt": attempt.pk, "channel": channel, "answered": answered},
        )
        _save(locked, when)
    _copy_back(ticket, locked)
    return attempt


# --- Status, assignment, priority -----------------------------------------------------------------

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
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
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
        _audit(locked, actor, action, at=when, changes={"status": [old, status]}, reason=reason.strip())
        _save(locked, when)
    return _copy_back(ticket, locked)


def assign(
    *, actor: Person, ticket: Ticket, assignee: Person | None, at: dt.datetime | None = None
) -> Ticket:
    _require_staff(actor)
    if assignee is not None and (not assignee.is_agent or not assignee.is_active):
        raise ServiceError(_("Tickets can only be assigned to active support staff."), code="assignee")
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        old = locked.assignee_id
        locked.assignee = assignee
        _audit(
            locked,
            actor,
            "ticket.assigned",
            at=when,
            changes={"assignee": [old, assignee.pk if assignee else None]},
        )
        _save(locked, when)
    return _copy_back(ticket, locked)


def raise_priority(
    *,
    actor: Person,
    ticket: Ticket,
    priority: str,
    reason: str,
    impact_confirmed: bool = False,
    contact_phone: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    """Make a ticket more urgent. The new target starts at the raise but never moves the due later."""
    _check_ticket_access(actor, ticket)
    priority = _clean_priority(priority)
    reason = _clean_text(reason, _("Reason"))
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        if not locked.is_open:
            raise ServiceError(_("Reopen the ticket before changing its priority."), code="closed")
        old = locked.priority
        if priorities.rank(priority) >= priorities.rank(old):
            raise ServiceError(
                _("%(new)s is not more urgent than %(old)s.") % {"new": priority, "old": old},
                code="not_raise",
            )
        phone = _clean_phone(contact_phone) or locked.contact_phone or _profile_phone(locked.requester)
        confirmed = impact_confirmed or locked.impact_confirmed
        _check_confirmation(priority, confirmed, phone)
        locked.impact_confirmed = confirmed
        locked.contact_phone = phone
        data: dict[str, Any] = {"priority": priority, "from": old}
        state = _replay(locked)
        if locked.contract is not None and state.has_sla:
            terms = sla.terms_data(locked.contract, priority)
            calendar = sla.calendar_from_spec(terms["calendar"])
            target = dt.timedelta(seconds=terms["target_seconds"])
            restart = False
            if not state.complete and state.breached_at is None:
                if state.paused:
                    restart = state.remaining is None or target < state.remaining
                else:
                    candidate = calendar.add(when, target)
                    restart = state.due_at is None or candidate < state.due_at
            data.update(terms, restart=restart, previous_due=state.due_at)
        _append(locked, SlaEventKind.RAISED, at=when, actor=actor, reason=reason, data=data)
        if priority in (Priority.P1, Priority.P2):
            # The contact window no longer applies: replies held for business hours go out now.
            for held in locked.messages.filter(delivered_at__isnull=True, deliver_at__isnull=False):
                held.delivered_at = when
                held.save(update_fields=["delivered_at"])
                _notify_message(held)
        _audit(
            locked,
            actor,
            "ticket.priority_raised",
            at=when,
            changes={"priority": [old, priority], "due": locked.sla_due_at},
            reason=reason,
        )
        _save(locked, when)
    return _copy_back(ticket, locked)


def downgrade_priority(
    *, actor: Person, ticket: Ticket, reason: str, at: dt.datetime | None = None
) -> Ticket:
    """R-PRIO-6: P1→P2 or P2→P3 when the customer could not be reached; the clock is recomputed from
    the original submission with the new target and calendar. Shown to the customer."""
    _require_staff(actor)
    reason = _clean_text(reason, _("Reason"))
    with transaction.atomic():
        locked = _lock(ticket)
        when = _effective_at(actor, locked, at)
        old = locked.priority
        new = priorities.DOWNGRADES.get(Priority(old))
        if new is None:
            raise ServiceError(
                _("Only P1 (to P2) and P2 (to P3) tickets can be downgraded."), code="not_downgradable"
            )
        if not locked.is_open:
            raise ServiceError(_("Reopen the ticket before changing its priority."), code="closed")
        # Evidence: unanswered attempts since the customer last wrote (a reply shows they respond).
        last_customer = (
            locked.messages.filter(author__role="customer", kind=MessageKind.REPLY).aggregate(
                last=Max("created_at")
            )["last"]
            or locked.submitted_at
        )
        attempts = list(
            locked.contact_attempts.filter(answered=False, at__gte=last_customer, at__lte=when).order_by("at")
        )
        needed = int(getattr(settings, "GUICHET_DOWNGRADE_MIN_ATTEMPTS", 1))
        if len(attempts) < needed:
            raise ServiceError(
                _(
                    "A downgrade needs at least %(n)s unanswered attempt(s) to reach the customer since "
                    "their last message; record them first."
                )
                % {"n": needed},
                code="no_attempts",
            )
        # A missed P1/P2 target is recorded (by _append) before the downgrade and never erased.
        data: dict[str, Any] = {
            "priority": str(new),
            "from": old,
            "attempts": [{"id": a.pk, "at": a.at, "channel": a.channel, "note": a.note} for a in attempts],
        }
        if locked.contract is not None:
            data.update(sla.terms_data(locked.contract, new))
        _append(locked, SlaEventKind.DOWNGRADED, at=when, actor=actor, reason=reason, data=data)
        _customer_message(
            locked,
            author=None,
            kind=MessageKind.AUTO,
            channel=Channel.EMAIL,
            body=str(
                _("The priority of your request was lowered from %(old)s to %(new)s: %(reason)s")
                % {"old": old, "new": new, "reason": reason}
            ),
            at=when,
        )
        _audit(
            locked,
            actor,
            "ticket.priority_downgraded",
            at=when,
            changes={
                "priority": [old, str(new)],
                "due": locked.sla_due_at,
                "attempts": [a.pk for a in attempts],
            },
            reason=reason,
        )
        _save(locked, when)
    return _copy_back(ticket, locked)


# --- Background work ------------------------------------------------------------------------------


def sweep_sla(now: dt.datetime | None = None, *, batch_size: int = 500) -> dict[str, int]:
    """Record the warnings and breaches due by `now`. Idempotent and safe with concurrent workers:
    each ticket is claimed with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), re-checked under the
    lock, and a unique key makes a second record of the same warning or breach impossible.
    A breach is recorded at the due instant, whenever the sweep runs."""
    now = now or _now()
    counts = {"warned": 0, "breached": 0, "skipped": 0, "failed": 0}
    while True:
        ids = list(
            Ticket.objects.filter(next_sla_event_at__lte=now)
            .order_by("next_sla_event_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        progressed = False
        for pk in ids:
            try:
                done = _sweep_one(pk, now)
            except Exception:
                # One broken ticket must not stop the warnings and breaches of all the others.
                log.exception("SLA sweep failed for ticket %s", pk)
                counts["failed"] += 1
                continue
            for key, n in done.items():
                counts[key] += n
            progressed = progressed or any(done[k] for k in ("warned", "breached"))
        if len(ids) < batch_size or not progressed:
            break
    return counts


def _sweep_one(pk: int, now: dt.datetime) -> dict[str, int]:
    done = {"warned": 0, "breached": 0, "skipped": 0}
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, next_sla_event_at__lte=now)
            .select_related("contract")
            .first()
        )
        if ticket is None:
            done["skipped"] = 1  # another worker has it, or it changed meanwhile
            return done
        state = _replay(ticket)
        while state.next_event_at is not None and state.next_event_at <= now:
            try:
                with transaction.atomic():
                    if state.due_at is not None and state.due_at <= now:
                        _append(ticket, SlaEventKind.BREACHED, at=state.due_at, dedup_key="breached")
                        kind = "breached"
                    else:
                        _append(
                            ticket,
                            SlaEventKind.WARNED,
                            at=state.warn_at,
                            data={"due": state.due_at},
                            dedup_key=sla.warn_key(state.due_at),
                        )
                        kind = "warned"
            except IntegrityError:
                # Recorded by a concurrent worker: nothing to do (exactly once).
                done["skipped"] += 1
                break
            done[kind] += 1
            _audit(ticket, None, f"sla.{kind}", at=now, changes={"due": state.due_at})
            _notify_sla(ticket, kind)
            state = _replay(ticket)
        for name, value in sla.cached_fields(state).items():
            setattr(ticket, name, value)
        ticket.save(update_fields=[*sla.CACHED_FIELDS])
    return done


def deliver_held_messages(now: dt.datetime | None = None) -> int:
    """Release the replies held outside the customer's business hours (R-PRIO-7)."""
    now = now or _now()
    delivered = 0
    ids = list(
        Message.objects.filter(delivered_at__isnull=True, deliver_at__lte=now)
        .order_by("deliver_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            message = (
                Message.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, delivered_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            message.delivered_at = now
            message.save(update_fields=["delivered_at"])
            _audit(
                message.ticket,
                None,
                "message.delivered",
                at=now,
                changes={"message": message.pk, "held_until": message.deliver_at},
            )
            _notify_message(message)
            delivered += 1
    return delivered


def ticket_sla_state(ticket: Ticket) -> sla.ClockState:
    """The replay of a ticket's ledger (for explanations and checks; never needed to list tickets)."""
    return _replay(ticket)


def open_statuses() -> tuple[str, ...]:
    return tuple(OPEN_STATUSES)


# --- Import of historical tickets ----------------------------------------------------------------


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
