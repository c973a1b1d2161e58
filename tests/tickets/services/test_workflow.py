"""Statuses and assignment (guichet/tickets/services/workflow.py): pauses, solving and reopening,
who may do what."""

from __future__ import annotations

import pytest

from guichet.contracts.models import Plan
from guichet.tickets import services
from guichet.tickets.models import AuditEntry, SlaState, Status
from guichet.tickets.services import ServiceError
from tests.factories import event_kinds, make_org, make_person, open_for, paris

# --- Statuses and pauses ------------------------------------------------------------------------


def test_waiting_pauses_only_when_contract_says_so(db, agent):
    pausing = make_org("Pausing", Plan.BASIC, pause_when_waiting=True)
    plain = make_org("Plain", Plan.BASIC)
    for org, expect_pause in ((pausing, True), (plain, False)):
        customer = make_person(f"c-{org.pk}", org=org)
        ticket = open_for(agent, customer, "P3", at=paris(2, 10))
        due = ticket.sla_due_at
        services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_THIRD_PARTY, at=paris(2, 11))
        assert (ticket.sla_state == SlaState.PAUSED) is expect_pause
        services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 13))
        # Two business hours paused move the due time two business hours later.
        assert ticket.sla_due_at == (paris(5, 12) if expect_pause else due)


def test_waiting_on_the_customer_pauses_nothing_before_a_public_reply(db, agent):
    """Report truth (issue 12): a status alone must not stop the clock. Before any public reply
    the customer was asked nothing, so "waiting on customer" leaves the first-response clock
    running even when the contract pauses while waiting; the ledger records no pause."""
    org = make_org("Pausing", Plan.BASIC, pause_when_waiting=True)
    customer = make_person("waiting-c", org=org)
    ticket = open_for(agent, customer, "P3", at=paris(2, 10))
    due = ticket.sla_due_at
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_CUSTOMER, at=paris(2, 11))
    assert ticket.sla_state == SlaState.RUNNING and ticket.sla_due_at == due
    assert not ticket.sla_events.filter(kind="paused").exists()
    services.add_note(actor=agent, ticket=ticket, body="internal: need logs", at=paris(2, 12))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 13))
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_CUSTOMER, at=paris(2, 14))
    assert ticket.sla_state == SlaState.RUNNING and ticket.sla_due_at == due  # a note asks nothing


def test_solving_stops_the_clock_and_reopening_resumes(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 11))
    assert ticket.sla_state == SlaState.PAUSED and ticket.next_sla_event_at is None
    assert ticket.solved_at == paris(2, 11)
    services.change_status(actor=agent, ticket=ticket, status=Status.CLOSED, at=paris(2, 12))
    with pytest.raises(ServiceError):
        services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 12, 30))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 13), reason="again")
    assert ticket.sla_state == SlaState.RUNNING and ticket.solved_at is None
    assert AuditEntry.objects.filter(ticket=ticket, action="ticket.reopened", reason="again").exists()


def test_customer_may_solve_or_reopen_only(basic_customer):
    ticket = services.open_ticket(
        actor=basic_customer, subject="s", body="b", priority="P4", channel="portal"
    )
    with pytest.raises(ServiceError):
        services.change_status(actor=basic_customer, ticket=ticket, status=Status.CLOSED)
    services.change_status(actor=basic_customer, ticket=ticket, status=Status.SOLVED)
    services.add_reply(actor=basic_customer, ticket=ticket, body="It is back")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_pause_after_a_missed_target_records_the_breach_first(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))  # due 10:30, no sweep ran
    services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 11))
    assert [k for k in event_kinds(ticket)] == ["applied", "breached", "paused"]
    assert ticket.sla_breached_at == paris(2, 10, 30) and ticket.sla_state == SlaState.BREACHED


# --- Assignment ---------------------------------------------------------------------------------


def test_assign_only_to_staff(agent, lead, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    services.assign(actor=lead, ticket=ticket, assignee=agent)
    assert ticket.assignee == agent
    with pytest.raises(ServiceError):
        services.assign(actor=lead, ticket=ticket, assignee=basic_customer)
    with pytest.raises(ServiceError):
        services.assign(actor=basic_customer, ticket=ticket, assignee=agent)
