"""What starts and stops paging: the tickets' domain events, handled inside the write's transaction
(`guichet.events`), so a page is recorded with the change that caused it or not at all."""

from __future__ import annotations

from guichet import events
from guichet.oncall import escalation, rules
from guichet.tickets import events as ticket_events
from guichet.tickets.models import Status, Ticket

URGENT = ("P1", "P2")


def _ticket(pk: int) -> Ticket | None:
    return Ticket.objects.select_related("contract").filter(pk=pk).first()


def _start(ticket_id: int, trigger: str, fingerprint: str, priority: str | None = None) -> None:
    if priority is not None and not rules.may_page(priority, trigger):
        return  # a P3 or P4 under the default rules: not even a query
    ticket = _ticket(ticket_id)
    if ticket is None:
        return
    if priority is not None:
        # The service saves the ticket when its change ends: the event says the new priority.
        ticket.priority = priority
    escalation.start(ticket, trigger, fingerprint)


def on_opened(event: ticket_events.TicketOpened) -> None:
    _start(event.ticket_id, "opened", event.at.isoformat(), event.priority)


def on_priority(event: ticket_events.PriorityChanged) -> None:
    if event.raised and event.new in URGENT:
        _start(event.ticket_id, "raised", f"{event.at.isoformat()}|{event.new}", event.new)


def on_customer_reply(event: ticket_events.CustomerReplied) -> None:
    if event.unassigned and event.priority in URGENT:
        _start(event.ticket_id, "customer_reply", str(event.message_id), event.priority)


def on_warned(event: ticket_events.SlaWarned) -> None:
    _start(event.ticket_id, "warned", event.due_at.isoformat())


def on_breached(event: ticket_events.SlaBreached) -> None:
    _start(event.ticket_id, "breached", event.due_at.isoformat())


def on_answered(event: ticket_events.FirstResponseGiven | ticket_events.AgentResponded) -> None:
    agent = event.responder_id if isinstance(event, ticket_events.FirstResponseGiven) else event.agent_id
    escalation.stop_ticket(event.ticket_id, person_id=agent, via="answered", now=None)


def on_assigned(event: ticket_events.TicketAssigned) -> None:
    if event.assignee_id is not None:
        escalation.stop_ticket(event.ticket_id, person_id=event.assignee_id, via="took the ticket")


def on_status(event: ticket_events.StatusChanged) -> None:
    if event.new in (Status.SOLVED, Status.CLOSED):
        escalation.stop_ticket(event.ticket_id, person_id=None, via=event.new)


def connect() -> None:
    events.subscribe(ticket_events.TicketOpened, on_opened)
    events.subscribe(ticket_events.PriorityChanged, on_priority)
    events.subscribe(ticket_events.CustomerReplied, on_customer_reply)
    events.subscribe(ticket_events.SlaWarned, on_warned)
    events.subscribe(ticket_events.SlaBreached, on_breached)
    events.subscribe(ticket_events.FirstResponseGiven, on_answered)
    events.subscribe(ticket_events.AgentResponded, on_answered)
    events.subscribe(ticket_events.TicketAssigned, on_assigned)
    events.subscribe(ticket_events.StatusChanged, on_status)
