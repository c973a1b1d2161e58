"""Writing to the outbox: `enqueue` (inside the write's transaction), and the operator's actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus

__all__ = ["enqueue", "enqueue_many", "retry"]


def enqueue(
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    ticket_id: int | None = None,
    due_at: dt.datetime | None = None,
    wake_relay: bool = True,
) -> str:
    """Record a side effect owed by the current write; call it inside the write's transaction.

    Idempotent by `key` (one INSERT that ignores a row already there): a second call — a retried
    task, a replayed event — records nothing more. Once the transaction commits, the relay is woken
    through the task queue (`wake_relay`); if the queue is down, nothing is lost: every worker
    polls the table (`relay.deliver_due`). Returns the key."""
    if not relay.known_kind(kind):
        raise ValueError(f"no outbox handler for {kind!r}")
    if not key or len(key) > 200:
        raise ValueError("an outbox key has 1 to 200 characters")
    row = Delivery(kind=kind, key=key, payload=payload, ticket_id=ticket_id, due_at=due_at or timezone.now())
    Delivery.objects.bulk_create([row], ignore_conflicts=True)
    if wake_relay:
        relay.wake([key], at=due_at)
    return key


def enqueue_many(
    rows: Iterable[tuple[str, str, dict[str, Any], int | None, dt.datetime | None]],
    *,
    wake_relay: bool = True,
) -> list[str]:
    """`enqueue` for many side effects at once: (kind, key, payload, ticket_id, due_at) each, one
    INSERT (a burst of pages for a thousand tickets must not cost a thousand round trips)."""
    batch = []
    for kind, key, payload, ticket_id, due_at in rows:
        if not relay.known_kind(kind):
            raise ValueError(f"no outbox handler for {kind!r}")
        if not key or len(key) > 200:
            raise ValueError("an outbox key has 1 to 200 characters")
        batch.append(
            Delivery(
                kind=kind, key=key, payload=payload, ticket_id=ticket_id, due_at=due_at or timezone.now()
            )
        )
    Delivery.objects.bulk_create(batch, ignore_conflicts=True, batch_size=500)
    keys = [row.key for row in batch]
    if wake_relay:
        now = timezone.now()
        relay.wake([row.key for row in batch if row.due_at <= now])
        for row in batch:
            if row.due_at > now:
                relay.wake([row.key], at=row.due_at)
    return keys


def retry(deliveries: Iterable[Delivery]) -> int:
    """Put failed (or cancelled) deliveries back in the queue, due now; returns how many."""
    keys = [d.key for d in deliveries if d.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)]
    n = Delivery.objects.filter(key__in=keys).update(
        status=DeliveryStatus.PENDING, due_at=timezone.now(), claimed_until=None, claim="", attempts=0
    )
    relay.wake(keys)
    return n
