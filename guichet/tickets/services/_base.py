"""What the ticket services share (private to the package): `ServiceError`, the checks on the actor,
the ticket and the time of a change (`at=`), input cleaning, the audit trail, the SLA ledger
(`_append`, `_replay`, `_sync_pause`), the domain events they publish (`_publish`), attachments, and
`ticket_change`: the scaffold of every change to an existing ticket.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet import events, sla
from guichet.accounts.models import Person
from guichet.contracts import priorities
from guichet.contracts.models import Priority
from guichet.events import DomainEvent
from guichet.tickets import ledger, timers
from guichet.tickets.events import MessagePublished, SlaBreached
from guichet.tickets.models import (
    WAITING_STATUSES,
    Attachment,
    AuditEntry,
    Message,
    MessageKind,
    SlaEvent,
    Status,
    Ticket,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The package's name, as when the services were one module: log configuration and filters still match.
log = logging.getLogger("guichet.tickets.services")


# Set while importing historical tickets: no domain events (so no mail), no submission-time checks
# (R-PRIO-5). import_ticket (importing.py) sets it; `_publish` reads it.
_importing: contextvars.ContextVar[bool] = contextvars.ContextVar("guichet_importing", default=False)


class ServiceError(ValidationError):
    """A refused request, with a translated message; nothing was changed."""


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
        return ledger.iso(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _replay(ticket: Ticket) -> sla.LedgerState:
    return ledger.replay_ticket(ticket)


def _publish(event: DomainEvent) -> None:
    """Tell the layers above (mail, on-call...) what this write did; nothing for historical imports."""
    if not _importing.get():
        events.publish(event)


def _append(
    ticket: Ticket,
    event: sla.Event,
    *,
    actor: Person | None = None,
    reason: str = "",
    dedup_key: str = "",
) -> tuple[SlaEvent, sla.LedgerState]:
    """Append one ledger event and refresh the ticket's cache from the replay (ticket is locked).

    If the current clock's due instant passed strictly before the event and no sweep recorded it
    yet, the breach is recorded first, at the due instant: no later change (a pause, a raise, a
    downgrade, a late response) can hide a missed target."""
    rows = list(ticket.sla_events.order_by("seq"))
    if event.kind is not sla.EventKind.BREACHED:
        prior = ledger.replay(rows)
        if prior.overdue_at(event.at) and prior.due_at is not None:
            due = prior.due_at
            _append(
                ticket,
                sla.Event.fact(sla.EventKind.BREACHED, due, by=event.kind.value),
                dedup_key=ledger.breach_key(prior),
            )
            _audit(
                ticket, None, "sla.breached", at=event.at, changes={"due": due, "recorded_before": event.kind}
            )
            _publish(SlaBreached(ticket_id=ticket.pk, at=due, due_at=due))
            rows = list(ticket.sla_events.order_by("seq"))
    state = sla.replay([*(ledger.to_core(row) for row in rows), event])
    row = SlaEvent(
        ticket=ticket,
        seq=(rows[-1].seq + 1) if rows else 1,
        kind=event.kind.value,
        at=event.at,
        actor=actor,
        reason=reason,
        data=_jsonable(event.to_record()),
        dedup_key=dedup_key,
        due_at=state.due_at,
        recorded_at=_now(),
    )
    ledger.seal(row, rows[-1] if rows else None)
    row.save()
    for name, value in ledger.cached_fields(state).items():
        setattr(ticket, name, value)
    return row, state


def _save(ticket: Ticket, at: dt.datetime) -> None:
    ticket.updated_at = max(ticket.updated_at or at, at)
    ticket.save()
    _schedule_sla_timer(ticket)


def _schedule_sla_timer(ticket: Ticket) -> None:
    """The ticket's next warning or breach, scheduled for its instant once this write commits (the
    timer poll and the minute sweep are the safety net)."""
    from guichet.tickets.tasks import sweep_ticket_task

    timers.at_instant(sweep_ticket_task, ticket.pk, at=ticket.next_sla_event_at)


def _clean_text(value: str, label: StrOrPromise, *, max_length: int | None = None) -> str:
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


def _published(message: Message) -> None:
    """A public message reached the customer (now, or released from its hold)."""
    _publish(
        MessagePublished(
            ticket_id=message.ticket_id,
            at=message.delivered_at or message.created_at,
            message_id=message.pk,
            automatic=message.author_id is None,
        )
    )


def _asked_customer(ticket: Ticket) -> bool:
    """Whether the team has written to the customer: a public reply or a logged call by staff."""
    return (
        ticket.messages.filter(kind__in=(MessageKind.REPLY, MessageKind.CALL), author__isnull=False)
        .exclude(author__role="customer")
        .exists()
    )


def _sync_pause(ticket: Ticket, *, at: dt.datetime, actor: Person | None, reason: str = "") -> None:
    """Pause the clock while the ticket is solved or closed, or waiting when the contract says so;
    resume it otherwise. "Waiting on the customer" pauses only once the team has asked the
    customer something in public: a status alone must not stop the clock."""
    state = _replay(ticket)
    if state.terms is None or state.complete:
        return
    waiting = ticket.status in WAITING_STATUSES and state.terms.pause_when_waiting
    if waiting and ticket.status == Status.WAITING_CUSTOMER:
        waiting = _asked_customer(ticket)
    should_pause = ticket.status in (Status.SOLVED, Status.CLOSED) or waiting
    if should_pause != state.paused:
        kind = sla.EventKind.PAUSED if should_pause else sla.EventKind.RESUMED
        _append(ticket, sla.Event.fact(kind, at, status=ticket.status), actor=actor, reason=reason)


def max_attachment_bytes() -> int:
    """The largest attachment accepted: `GUICHET_MAX_ATTACHMENT_BYTES`, defined once in the settings."""
    return int(settings.GUICHET_MAX_ATTACHMENT_BYTES)


def _check_attachments(attachments: list[Any]) -> None:
    """Refuse oversized files before anything is written."""
    limit = max_attachment_bytes()
    for upload in attachments:
        if (getattr(upload, "size", None) or 0) > limit:
            # In people's units ("10.0 MB", "10,0 Mo"), never "10485760 bytes".
            raise ServiceError(
                _("“%(name)s” is too large (at most %(size)s).")
                % {"name": upload.name, "size": filesizeformat(limit)},
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


# --- The scaffold of a change to one ticket --------------------------------------------------------


class TicketChange:
    """A change to one ticket in progress, given by `ticket_change`: `.ticket` is the locked, fresh
    row to change; `.at` the instant of the change; `.actor` who makes it."""

    __slots__ = ("_audited", "actor", "at", "ticket")

    def __init__(self, actor: Person, ticket: Ticket, at: dt.datetime) -> None:
        self.actor, self.ticket, self.at = actor, ticket, at
        self._audited = False

    def audit(self, action: str, *, changes: dict[str, Any] | None = None, reason: str = "") -> AuditEntry:
        """The change's audit entry: on the ticket, by the actor, at the change's instant."""
        self._audited = True
        return _audit(self.ticket, self.actor, action, at=self.at, changes=changes, reason=reason)


@contextlib.contextmanager
def ticket_change(
    *,
    actor: Person,
    ticket: Ticket,
    at: dt.datetime | None,
    check: Callable[[Ticket], None] | None = None,
) -> Iterator[TicketChange]:
    """What every change to an existing ticket does around its own work.

    In one transaction: lock and re-read the ticket; `check(locked)` if given (refusals that must
    come before the time's); the instant of the change from `at` (`_effective_at`: staff only, not
    in the future, not before the ledger's last event). Then the body runs and calls `.audit(…)`.
    On a normal exit the ticket is saved with its `updated_at`, and once committed the caller's
    instance gets the saved values. A refusal raised in the body rolls everything back and leaves
    the caller's instance as it was."""
    with transaction.atomic():
        locked = _lock(ticket)
        if check is not None:
            check(locked)
        change = TicketChange(actor, locked, _effective_at(actor, locked, at))
        yield change
        if not change._audited:
            # A programming error, not a refusal: every change to a ticket is audited.
            raise RuntimeError("a ticket change must write its audit entry (TicketChange.audit)")
        _save(locked, change.at)
    _copy_back(ticket, locked)
