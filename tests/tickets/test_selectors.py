"""The tenancy rule, on every read path of guichet.tickets.selectors (and the services' own check)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from guichet.tickets import selectors, services
from guichet.tickets.models import Ticket
from guichet.tickets.services import ServiceError
from tests.factories import make_org, make_person, open_for, paris

CANARY = "zebra-canary-7731"


@pytest.fixture
def world(db):
    """Organisations whose names and ids look alike (AC-05), each with a ticket; a canary in B."""
    agent = make_person("agent", Role.AGENT)
    orgs = [make_org(name, Plan.BASIC) for name in ("1", "12", "acme", "acme-eu")]
    people = [make_person(f"cust-{org.name}", org=org) for org in orgs]
    tickets = []
    for person in people:
        ticket = open_for(
            agent, person, "P3", at=paris(2, 10), attachments=[SimpleUploadedFile("a.txt", b"x")]
        )
        services.add_reply(
            actor=agent, ticket=ticket, body=f"public answer for {person.username}.", at=paris(2, 11)
        )
        services.add_note(
            actor=agent, ticket=ticket, body=f"internal {CANARY} {person.username}", at=paris(2, 12)
        )
        tickets.append(ticket)
    return agent, orgs, people, tickets


def test_visible_tickets_is_exactly_own_org(world):
    agent, _orgs, people, tickets = world
    for person, ticket in zip(people, tickets, strict=True):
        assert list(selectors.visible_tickets(person)) == [ticket]
        assert selectors.get_ticket(person, ticket.pk) == ticket
        for other in tickets:
            if other != ticket:
                with pytest.raises(Ticket.DoesNotExist):
                    selectors.get_ticket(person, other.pk)
    assert set(selectors.visible_tickets(agent)) == set(tickets)


def test_nobody_else_sees_anything(world):
    _agent, _orgs, people, _tickets = world
    inactive = people[0]
    inactive.is_active = False
    inactive.save()
    for who in (None, AnonymousUser(), inactive):
        assert not selectors.visible_tickets(who).exists()
        assert not selectors.visible_messages(who).exists()
        assert not selectors.visible_attachments(who).exists()
        assert not selectors.search_tickets(who, "answer").exists()


def test_customers_never_see_internal_notes(world):
    agent, _orgs, people, tickets = world
    for person, ticket in zip(people, tickets, strict=True):
        bodies = [m.body for m in selectors.visible_messages(person, ticket)]
        assert not any(CANARY in b for b in bodies)
        assert any("public answer" in b for b in bodies)
        # Asking for another organisation's ticket yields nothing, not its messages.
        other = tickets[(tickets.index(ticket) + 1) % len(tickets)]
        assert not selectors.visible_messages(person, other).exists()
    assert any(CANARY in m.body for m in selectors.visible_messages(agent, tickets[0]))


def test_attachments_follow_the_rule(world):
    agent, _orgs, people, tickets = world
    for person, ticket in zip(people, tickets, strict=True):
        attachments = list(selectors.visible_attachments(person))
        assert len(attachments) == 1 and attachments[0].message.ticket_id == ticket.pk
        assert selectors.get_attachment(person, attachments[0].pk) == attachments[0]
        for other in tickets:
            if other != ticket:
                foreign = selectors.visible_attachments(agent, other).get()
                with pytest.raises(type(foreign).DoesNotExist):
                    selectors.get_attachment(person, foreign.pk)


def test_search_never_leaks_notes_or_other_orgs(world):
    agent, _orgs, people, tickets = world
    for person in people:
        # The canary is only in internal notes: no ticket, no message, no count.
        assert selectors.search_tickets(person, CANARY).count() == 0
        assert selectors.search_messages(person, CANARY).count() == 0
        # A public word of another organisation is not found either.
        for other in people:
            hits = selectors.search_tickets(person, f"public answer for {other.username}.")
            assert hits.count() == (1 if other == person else 0)
    assert selectors.search_tickets(agent, CANARY).count() == len(tickets)
    assert selectors.search_tickets(people[0], f"#{tickets[1].pk}").count() == 0
    assert list(selectors.search_tickets(people[0], f"#{tickets[0].pk}")) == [tickets[0]]


def test_sla_history_audit_and_attempts(world):
    agent, _orgs, people, tickets = world
    customer, ticket, other = people[0], tickets[0], tickets[1]
    assert selectors.visible_sla_events(customer, ticket).exists()
    assert not selectors.visible_sla_events(customer, other).exists()
    assert not selectors.visible_audit(customer, ticket).exists()
    assert selectors.visible_audit(agent, ticket).exists()
    services.record_contact_attempt(actor=agent, ticket=other, channel="email", at=paris(2, 13))
    assert not selectors.visible_contact_attempts(customer, other).exists()
    assert selectors.visible_contact_attempts(agent, other).count() == 1


def test_queue_orders_by_time_left(world):
    agent, _orgs, people, tickets = world
    fresh = open_for(agent, people[0], "P3", at=paris(3, 10))
    early = open_for(agent, people[0], "P3", at=paris(2, 9))
    queue = list(selectors.queue(agent))
    assert queue.index(early) < queue.index(fresh)
    # Answered tickets (first response given) come after the running clocks.
    assert list(selectors.queue(people[0])) == [early, fresh, tickets[0]]


def test_services_refuse_other_orgs_tickets(world):
    _agent, _orgs, people, tickets = world
    intruder, target = people[0], tickets[1]
    before = target.messages.count()
    with pytest.raises(ServiceError):
        services.add_reply(actor=intruder, ticket=target, body="hi")
    with pytest.raises(ServiceError):
        services.change_status(actor=intruder, ticket=target, status="solved")
    with pytest.raises(ServiceError):
        services.raise_priority(
            actor=intruder, ticket=target, priority="P1", reason="x", impact_confirmed=True
        )
    assert target.messages.count() == before


def test_organisations_contracts_and_people_follow_the_rule(world):
    agent, orgs, people, _tickets = world
    for org, person in zip(orgs, people, strict=True):
        assert list(selectors.visible_organisations(person)) == [org]
        assert {c.organisation_id for c in selectors.visible_contracts(person)} == {org.pk}
        assert set(selectors.visible_people(person)) == {person}
    assert set(selectors.visible_organisations(agent)) == set(orgs)
    assert set(selectors.visible_people(agent)) >= {agent, *people}
    assert not selectors.visible_people(None).exists() and not selectors.visible_contracts(None).exists()


def test_the_operator_sees_everything_and_nobody_else_by_default(world):
    _agent, orgs, _people, tickets = world
    operator = selectors.OPERATOR
    assert set(selectors.visible_tickets(operator)) == set(tickets)
    assert selectors.get_ticket(operator, tickets[1].pk) == tickets[1]
    assert set(selectors.visible_organisations(operator)) == set(orgs)
    assert any(CANARY in m.body for m in selectors.visible_messages(operator, tickets[0]))
    assert selectors.visible_sla_events(operator, tickets[0]).exists()
    # No person is not the operator: None still sees nothing (the command line names the operator).
    assert not selectors.visible_tickets(None).exists()
    assert not selectors.visible_organisations(None).exists()
    assert not selectors.visible_sla_events(None, tickets[0]).exists()
