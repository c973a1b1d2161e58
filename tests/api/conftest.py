"""Two customer organisations (A on Basic in Paris, B on Premium in Montréal), their contacts, staff,
real API tokens and tickets opened through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from guichet.accounts.models import ApiToken, Organisation, Person, Role
from guichet.contracts.models import Contract, Plan, Region
from guichet.tickets import services
from guichet.tickets.models import Channel, Ticket
from tests.factories import make_org, make_person

UTC = dt.UTC
# A Tuesday morning in Paris and in Montréal business hours.
SUBMITTED = dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


class Api:
    """The Django test client speaking JSON with one bearer token."""

    def __init__(self, token: str | None, language: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if language:
            self.headers["Accept-Language"] = language

    def get(self, path: str, **params):
        return self.client.get("/api/v1" + path, params, headers=self.headers)

    def post(self, path: str, body=None, raw: str | None = None):
        import json

        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post("/api/v1" + path, data, content_type="application/json", headers=self.headers)


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    contract_a: Contract
    contract_b: Contract
    alice: Person  # customer of A
    anna: Person  # customer of A
    bob: Person  # customer of B
    agent: Person
    admin: Person
    tokens: dict[str, str]
    ticket_a: Ticket
    ticket_b: Ticket

    def api(self, who: str, language: str | None = None) -> Api:
        return Api(self.tokens[who], language)


def api_person(username: str, role: str, org: Organisation | None = None, **extra) -> Person:
    """A person as the API tests know them: no password (the API uses tokens; hashing one costs about
    a second a person), a first name from the username."""
    return make_person(username, role, org, password=None, first_name=username.capitalize(), **extra)


def open_ticket(
    requester: Person, subject: str = "It broke", priority: str = "P3", *, by: Person, **kw
) -> Ticket:
    """Opened by staff on the requester's behalf at a fixed past instant (customers cannot backdate)."""
    return services.open_ticket(
        actor=by,
        requester=requester,
        subject=subject,
        body="Details of the problem.",
        priority=priority,
        channel=kw.pop("channel", Channel.API),
        submitted_at=kw.pop("submitted_at", SUBMITTED),
        **kw,
    )


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    since = dt.date(2026, 1, 1)
    org_a = make_org("Acme", Plan.BASIC, reference="Q-A-1", valid_from=since, email_domain="acme.test")
    org_b = make_org(
        "Beta",
        Plan.PREMIUM,
        reference="Q-B-1",
        region=Region.NORTH_AMERICA,
        tz="America/Toronto",
        country="CA",
        subdivision="ON",
        valid_from=since,
        email_domain="beta.test",
    )
    contract_a, contract_b = org_a.contracts.get(), org_b.contracts.get()
    alice = api_person("alice", Role.CUSTOMER, org_a, time_zone="Europe/Paris")
    anna = api_person("anna", Role.CUSTOMER, org_a, language="fr")
    bob = api_person("bob", Role.CUSTOMER, org_b, time_zone="America/Toronto")
    agent = api_person("agent", Role.AGENT)
    admin = api_person("admin", Role.ADMIN)
    tokens = {p.username: ApiToken.issue(p, "test")[1] for p in (alice, anna, bob, agent, admin)}
    ticket_a = open_ticket(alice, "Acme cannot log in", by=agent)
    ticket_b = open_ticket(bob, "Beta secret outage", priority="P2", impact_confirmed=True, by=agent)
    # Each ticket carries a customer attachment, and B's ticket an agent's internal note.
    for who, ticket in ((alice, ticket_a), (bob, ticket_b)):
        upload = ContentFile(f"secret of {ticket.organisation.name}".encode(), name="logs.txt")
        services.add_reply(actor=who, ticket=ticket, body="Logs attached.", attachments=[upload])
    services.add_note(actor=agent, ticket=ticket_b, body="Internal: Beta owes us money")
    return World(
        org_a, org_b, contract_a, contract_b, alice, anna, bob, agent, admin, tokens, ticket_a, ticket_b
    )
