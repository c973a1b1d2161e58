"""Domain events: how a lower layer causes work in a higher one without importing it.

The layers point one way (``sla`` ← ``accounts`` ← ``contracts`` ← ``tickets`` ← mail, reports, on-call,
api, web, ops; ``docs/architecture.md``). When a ticket change must cause work above it (mail the
customer, alert or page an agent), the tickets layer *publishes* an event it defines — a frozen
dataclass in ``guichet/tickets/events.py`` — and the higher layer *subscribes* to it, in its
``AppConfig.ready()``::

    events.subscribe(MessagePublished, record_notification)                  # in the transaction
    events.subscribe(TicketOpened, wake_the_pager, after_commit=True)         # once it commits

- An **in-transaction** handler runs at ``publish()``, inside the write's transaction: what it
  writes (an outbox row, say) commits or rolls back with the change itself. If it raises, the
  write fails as a whole — nothing is half done.
- An **after-commit** handler runs once the transaction commits (at once outside a transaction),
  never for a write that rolled back. Its errors are logged, never raised: the write already
  happened and its answer must tell the truth.

A subscription to a base class receives its subclasses too. Handlers run in subscription order.
This module imports nothing from guichet's apps, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

__all__ = ["DomainEvent", "capture", "publish", "subscribe", "subscribers", "unsubscribe"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every domain event: immutable facts about a change that committed with it.

    Subclasses are frozen dataclasses named in the past tense (``TicketOpened``); their fields are
    ids and plain values (never model instances: a handler reads what it needs, fresh)."""

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({fields})"


Handler = Callable[[Any], object]


@dataclass(frozen=True)
class Subscription:
    event_type: type[DomainEvent]
    handler: Handler
    after_commit: bool

    @property
    def name(self) -> str:
        module = getattr(self.handler, "__module__", "?")
        return f"{module}.{getattr(self.handler, '__qualname__', self.handler)}"


_subscriptions: list[Subscription] = []
_captured: list[list[DomainEvent]] = []


def subscribe[E: DomainEvent](
    event_type: type[E], handler: Callable[[E], object], *, after_commit: bool = False
) -> None:
    """Call ``handler(event)`` for every published ``event_type`` (or subclass). Idempotent: the
    same handler subscribed twice (a second ``ready()``) runs once."""
    if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
        raise TypeError(f"{event_type!r} is not a DomainEvent subclass")
    sub = Subscription(event_type, handler, after_commit)
    if sub not in _subscriptions:
        _subscriptions.append(sub)


def unsubscribe(event_type: type[DomainEvent], handler: Handler) -> None:
    """Remove a subscription (tests)."""
    _subscriptions[:] = [
        s for s in _subscriptions if not (s.event_type is event_type and s.handler == handler)
    ]


def subscribers(event_type: type[DomainEvent]) -> list[Subscription]:
    """Who receives ``event_type``, in order (for docs and tests)."""
    return [s for s in _subscriptions if issubclass(event_type, s.event_type)]


def publish(event: DomainEvent, *, using: str | None = None) -> None:
    """Deliver ``event`` to its subscribers (in-transaction handlers now, the others on commit)."""
    for bucket in _captured:
        bucket.append(event)
    for sub in subscribers(type(event)):
        if sub.after_commit:
            transaction.on_commit(partial(_run_after_commit, sub, event), using=using)
        else:
            sub.handler(event)


def _run_after_commit(sub: Subscription, event: DomainEvent) -> None:
    try:
        sub.handler(event)
    except Exception:
        log.exception("after-commit handler %s failed on %s", sub.name, event.describe())


@contextlib.contextmanager
def capture() -> Iterator[list[DomainEvent]]:
    """Collect the events published inside the block (tests, debugging)."""
    bucket: list[DomainEvent] = []
    _captured.append(bucket)
    try:
        yield bucket
    finally:
        _captured.remove(bucket)
