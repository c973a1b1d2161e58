"""Report truth (issue 12), end to end through the services: how a missed target survives a
downgrade, and how a ticket closed without a response is judged — each a contract setting frozen
into the ledger, so the report, the statement and the verifier agree."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet.contracts.models import Plan
from guichet.reports.outcomes import outcome_of
from guichet.sla import outcome as core_outcome
from guichet.tickets import ledger, services
from guichet.tickets.models import SlaState, Status
from tests.factories import make_org, make_person, open_for, paris

UTC = dt.UTC


def downgraded_after_miss(agent, **settings):
    """A Basic P1 submitted Monday 09:00 Paris (due 11:00), nobody reached, downgraded to P2 at
    11:30 after the miss, answered at 12:00: within the P2 target (12 business hours)."""
    org = make_org("Acme", Plan.BASIC, **settings)
    customer = make_person("c", org=org, phone="+33142685300")
    ticket = open_for(agent, customer, "P1", at=paris(2, 9))
    assert ticket.sla_due_at == paris(2, 11)
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 11, 20))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable", at=paris(2, 11, 30))
    services.add_reply(actor=agent, ticket=ticket, body="Here is the fix.", at=paris(2, 12))
    return ticket


def test_a_downgrade_after_a_miss_keeps_the_miss_by_default_and_names_the_missed_target(agent):
    ticket = downgraded_after_miss(agent)
    state = ledger.replay_ticket(ticket)
    # The due time shown is the P2 one, after the answer; the outcome is still the P1 miss.
    assert ticket.priority == "P2" and ticket.sla_due_at > paris(2, 12)
    assert ticket.sla_state == SlaState.FULFILLED_LATE and outcome_of(ticket) == "answered_late"
    assert state.breach is not None
    assert (state.breach.priority.value, state.breach.target, state.breach.at) == (
        "P1",
        dt.timedelta(hours=2),
        paris(2, 11).astimezone(UTC),
    )
    assert state.terms is not None and state.terms.downgrade_keeps_miss is True


def test_a_contract_may_let_a_downgrade_waive_the_miss(agent):
    ticket = downgraded_after_miss(agent, downgrade_keeps_miss=False)
    state = ledger.replay_ticket(ticket)
    # Judged on the downgraded target: met. The waived miss is still named by the ledger.
    assert ticket.sla_state == SlaState.FULFILLED and outcome_of(ticket) == "met"
    assert state.breach is None and [(b.priority.value, b.at) for b in state.waived] == [
        ("P1", paris(2, 11).astimezone(UTC))
    ]
    assert ticket.sla_events.filter(kind="breached").count() == 1  # the fact stays in the ledger


def test_a_second_miss_after_a_waived_one_is_recorded_once(agent):
    org = make_org("Acme", Plan.BASIC, downgrade_keeps_miss=False)
    customer = make_person("c", org=org, phone="+33142685300")
    ticket = open_for(agent, customer, "P1", at=paris(2, 9))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 11, 20))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable", at=paris(2, 11, 30))
    # P2: 12 business hours on 8x5 from Monday 09:00: due Tuesday 13:00.
    assert ticket.sla_due_at == paris(3, 13)
    for _ in range(2):
        services.sweep_sla(now=paris(3, 14))
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED and ticket.sla_breached_at == paris(3, 13)
    assert ticket.sla_events.filter(kind="breached").count() == 2
    assert ticket.next_sla_event_at is None


@pytest.mark.parametrize("counts_as_missed", [False, True])
def test_a_ticket_closed_without_a_response_is_judged_by_the_contract(agent, counts_as_missed):
    org = make_org("Acme", Plan.BASIC, closed_unanswered_missed=counts_as_missed)
    customer = make_person("c", org=org)
    ticket = open_for(agent, customer, "P3", at=paris(2, 9))
    services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 10), reason="dup")
    state = ledger.replay_ticket(ticket)
    assert state.closed_unanswered and ticket.sla_closed_missed is counts_as_missed
    expected = "closed_missed" if counts_as_missed else "closed_unanswered"
    assert outcome_of(ticket) == expected
    assert core_outcome.outcome(state, paris(30, 9)).value == expected
    # Reopened and answered in time, it is met whatever the setting.
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 11))
    services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(2, 12))
    assert outcome_of(ticket) == "met"
