"""Background work: the SLA sweep (warnings and breaches that fell due), the release of replies held
for the customer's business hours, and the replay of a ticket's ledger.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from guichet import sla
from guichet.tickets import ledger
from guichet.tickets.events import SlaBreached, SlaWarned
from guichet.tickets.models import Message, Ticket
from guichet.tickets.services._base import (
    _append,
    _audit,
    _now,
    _publish,
    _published,
    _replay,
    _schedule_sla_timer,
    log,
)


def sweep_sla(now: dt.datetime | None = None, *, batch_size: int = 500) -> dict[str, int]:
    """Record the warnings and breaches due by `now`. Idempotent and safe with concurrent workers:
    each ticket is claimed with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), re-checked under the
    lock, and a unique key makes a second record of the same warning or breach impossible.
    A breach is recorded at the due instant, whenever the sweep runs, but only strictly after it:
    a response at the due instant itself is met (R-HOURS)."""
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


def sweep_ticket(pk: int, now: dt.datetime | None = None) -> dict[str, int]:
    """One ticket's warning or breach that fell due (the task scheduled for its instant)."""
    return _sweep_one(pk, now or _now())


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
        while (kind := state.pending(now)) is not None:
            due = state.due_at
            assert due is not None  # a pending warning or breach has a due time
            event: SlaWarned | SlaBreached
            try:
                with transaction.atomic():
                    if kind is sla.EventKind.BREACHED:
                        _append(ticket, sla.Event.fact(kind, due), dedup_key=ledger.breach_key(state))
                        event = SlaBreached(ticket_id=ticket.pk, at=due, due_at=due)
                    else:
                        warn_at = state.warn_at
                        assert warn_at is not None
                        _append(
                            ticket, sla.Event.fact(kind, warn_at, due=due), dedup_key=ledger.warn_key(due)
                        )
                        event = SlaWarned(ticket_id=ticket.pk, at=warn_at, due_at=due)
            except IntegrityError:
                # Recorded by a concurrent worker: nothing to do (exactly once).
                done["skipped"] += 1
                break
            done[kind.value] += 1
            _audit(ticket, None, f"sla.{kind.value}", at=now, changes={"due": due})
            _publish(event)
            state = _replay(ticket)
        for name, value in ledger.cached_fields(state).items():
            setattr(ticket, name, value)
        ticket.save(update_fields=[*ledger.CACHED_FIELDS])
        _schedule_sla_timer(ticket)
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
            _published(message)
            delivered += 1
    return delivered


def ticket_sla_state(ticket: Ticket) -> sla.LedgerState:
    """The replay of a ticket's ledger (for explanations and checks; never needed to list tickets)."""
    return _replay(ticket)
