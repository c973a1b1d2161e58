"""What the tickets layer tells the layers above it (`guichet.events`): facts about committed changes.

The services publish them inside the write's transaction; mail, on-call and the others subscribe in
their `AppConfig.ready()`. Fields are ids and plain values; a handler reads what it needs. Imports
of historical tickets publish nothing (no mail, no page for the past).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from guichet.events import DomainEvent

__all__ = [
    "AgentResponded",
    "CustomerReplied",
    "FirstResponseGiven",
    "MessagePublished",
    "PriorityChanged",
    "SlaBreached",
    "SlaWarned",
    "StatusChanged",
    "TicketAssigned",
    "TicketEvent",
    "TicketOpened",
]


@dataclass(frozen=True, kw_only=True)
class TicketEvent(DomainEvent):
    """Something happened to a ticket at `at` (its effective instant)."""

    ticket_id: int
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class TicketOpened(TicketEvent):
    organisation_id: int
    priority: str
    channel: str
    #: The customer opened it themselves (portal, API, mail), not an agent on their behalf.
    by_customer: bool


@dataclass(frozen=True, kw_only=True)
class MessagePublished(TicketEvent):
    """A public message reached the customer: an agent's reply or call summary, or an automatic
    notice, delivered now or released at the opening of their business hours (R-PRIO-7)."""

    message_id: int
    automatic: bool


@dataclass(frozen=True, kw_only=True)
class CustomerReplied(TicketEvent):
    message_id: int
    #: Nobody owns the ticket: the reply waits in the queue.
    unassigned: bool
    priority: str


@dataclass(frozen=True, kw_only=True)
class FirstResponseGiven(TicketEvent):
    """The first human response (R-PLAN-3): the first-response clock stopped."""

    responder_id: int


@dataclass(frozen=True, kw_only=True)
class AgentResponded(TicketEvent):
    """An agent answered the customer (a public reply or a logged call), first response or not:
    someone is working the ticket (on-call stops escalating it)."""

    agent_id: int
    message_id: int


@dataclass(frozen=True, kw_only=True)
class PriorityChanged(TicketEvent):
    old: str
    new: str
    #: True for a raise (more urgent), False for a vendor downgrade (R-PRIO-6).
    raised: bool


@dataclass(frozen=True, kw_only=True)
class StatusChanged(TicketEvent):
    old: str
    new: str


@dataclass(frozen=True, kw_only=True)
class TicketAssigned(TicketEvent):
    assignee_id: int | None
    actor_id: int


@dataclass(frozen=True, kw_only=True)
class SlaWarned(TicketEvent):
    """The warning before the first-response target was recorded (`at` is its instant)."""

    due_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class SlaBreached(TicketEvent):
    """A first-response target was missed (`at` is the due instant that passed)."""

    due_at: dt.datetime
