"""A desk with known SLA outcomes, built through the ticket services.

Two customer organisations on different plans, zones and holiday countries; tickets in March and
April 2026, across both daylight-saving changes (Canada 8 March, Europe 29 March) and across the
end of March, where the month of submission depends on the zone:

| ticket | org      | plan    | prio | submitted (UTC)   | first response (UTC) | outcome            |
|--------|----------|---------|------|-------------------|----------------------|--------------------|
| a1     | Acme     | premium | P1   | 03-10 10:00       | 03-10 10:20          | met (20 of 30 min) |
| a2     | Acme     | premium | P1   | 03-20 10:00       | 03-20 11:00          | answered late      |
| a3     | Acme     | premium | P2   | 03-31 22:30 (*)   | 03-31 23:00          | met                |
| a4     | Acme     | premium | P2   | 04-15 08:00       | never                | missed (breached)  |
| a5     | Acme     | premium | P3   | 03-28 10:00 Sat   | 03-30 10:30 Mon      | met (210 business min) |
| b0     | Borealis | (none)  | P3   | 03-05 15:00       | 03-05 16:00          | no SLA (before contract) |
| b1     | Borealis | basic   | P1   | 03-09 14:00       | 03-09 15:00          | met                |
| b2     | Borealis | basic   | P3   | 03-31 23:30 (*)   | 04-01 14:00          | met (120 business min) |
| b3     | Borealis | basic   | P4   | 04-20 14:00       | 04-30 14:00          | answered late      |
| b4     | Borealis | basic   | P4   | 04-21 14:00       | never, paused        | open within target |

(*) April in Paris, March in UTC and in Toronto.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import translation

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Plan, Region
from guichet.tickets import services
from guichet.tickets.models import Ticket
from tests.factories import make_org, make_person

UTC = dt.UTC


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclasses.dataclass
class Desk:
    acme: Organisation
    borealis: Organisation
    agent: Person
    acme_customer: Person
    borealis_customer: Person
    tickets: dict[str, Ticket]

    def t(self, name: str) -> Ticket:
        return Ticket.objects.get(pk=self.tickets[name].pk)


@pytest.fixture(autouse=True)
def _quiet_tasks(inline_tasks):
    # A request in French leaves French active in this thread; messages are asserted in English.
    with translation.override("en"):
        yield


def desk_person(username: str, role: str, org: Organisation | None = None, **extra) -> Person:
    """No password (tests sign in with force_login; hashing one costs a second a person), no address."""
    return make_person(username, role, org, password=None, email="", **extra)


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def build_desk() -> Desk:
    acme = make_org("Acme", Plan.PREMIUM, reference="Q-ACME", valid_from=dt.date(2025, 1, 1))
    borealis = make_org(
        "Borealis",
        Plan.BASIC,
        reference="Q-BOREALIS",
        region=Region.NORTH_AMERICA,
        tz="America/Toronto",
        country="CA",
        subdivision="ON",
        # b0 is sent the day before: it carries no SLA.
        valid_from=dt.date(2026, 3, 6),
        pause_when_waiting=True,
    )
    agent = desk_person("agent", Role.AGENT)
    acme_customer = desk_person("alice", Role.CUSTOMER, acme, phone="+33142685300", time_zone="Europe/Paris")
    borealis_customer = desk_person(
        "bob", Role.CUSTOMER, borealis, phone="+14165550123", time_zone="America/Toronto"
    )

    def open_(customer: Person, priority: str, when: dt.datetime, subject: str) -> Ticket:
        return services.open_ticket(
            actor=agent,
            requester=customer,
            subject=subject,
            body="Details of " + subject,
            priority=priority,
            channel="email",
            impact_confirmed=priority in ("P1", "P2"),
            submitted_at=when,
        )

    def reply(ticket: Ticket, when: dt.datetime) -> None:
        services.add_reply(actor=agent, ticket=ticket, body="We are on it.", channel="email", at=when)

    tickets: dict[str, Ticket] = {}
    tickets["a1"] = open_(acme_customer, "P1", at(3, 10, 10), "a1 outage")
    reply(tickets["a1"], at(3, 10, 10, 20))
    tickets["a2"] = open_(acme_customer, "P1", at(3, 20, 10), "a2 outage")
    reply(tickets["a2"], at(3, 20, 11))
    tickets["a3"] = open_(acme_customer, "P2", at(3, 31, 22, 30), "a3 slow")
    reply(tickets["a3"], at(3, 31, 23))
    tickets["a4"] = open_(acme_customer, "P2", at(4, 15, 8), "a4 slow")
    tickets["a5"] = open_(acme_customer, "P3", at(3, 28, 10), "a5 one user")
    reply(tickets["a5"], at(3, 30, 10, 30))
    tickets["b0"] = open_(borealis_customer, "P3", at(3, 5, 15), "b0 before contract")
    reply(tickets["b0"], at(3, 5, 16))
    tickets["b1"] = open_(borealis_customer, "P1", at(3, 9, 14), "b1 outage")
    reply(tickets["b1"], at(3, 9, 15))
    tickets["b2"] = open_(borealis_customer, "P3", at(3, 31, 23, 30), "b2 one user")
    reply(tickets["b2"], at(4, 1, 14))
    tickets["b3"] = open_(borealis_customer, "P4", at(4, 20, 14), "b3 question")
    reply(tickets["b3"], at(4, 30, 14))
    tickets["b4"] = open_(borealis_customer, "P4", at(4, 21, 14), "b4 question")
    services.change_status(
        actor=agent,
        ticket=tickets["b4"],
        status="waiting_third_party",
        reason="waiting on the partner",
        at=at(4, 21, 15),
    )
    return Desk(acme, borealis, agent, acme_customer, borealis_customer, tickets)
