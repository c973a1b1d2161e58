"""A month of tickets whose statement is known: Acme (Basic, Paris, French billing contact) in
March 2026.

- met: P3 Monday 2nd 10:00, answered 11:00 → met
- downgrade: P1 Monday 9th 09:00 (due 11:00), nobody reached, → P2 at 11:30, answered 12:00 →
  answered late (the P1 target missed)
- closed: P4 Tuesday 10th 10:00, solved without a reply at 10:30 → closed unanswered
- raised: P4 Wednesday 11th 10:00, raised to P2 at 11:00, answered 11:30 → met
- late: P2 Thursday 12th 09:00, never answered (swept on the 16th) → breached
- april: P3 1 April 09:00: not in March
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Plan
from guichet.statements import keys
from guichet.tickets import services
from guichet.tickets.models import Status, Ticket
from tests.factories import make_org, make_person, open_for, paris

MONTH = "2026-03"
AS_OF = dt.datetime(2026, 4, 1, 14, tzinfo=dt.UTC)


@dataclasses.dataclass
class World:
    acme: Organisation
    billing: Person
    other_contact: Person
    agent: Person
    tickets: dict[str, Ticket]


@pytest.fixture(autouse=True)
def statement_key(settings, tmp_path):
    """A signing key of the test's own (a file under a temporary GUICHET_VAR_DIR)."""
    settings.GUICHET_STATEMENT_KEY = ""
    settings.GUICHET_STATEMENT_KEY_FILE = ""
    settings.VAR_DIR = tmp_path
    keys.private_key.cache_clear()
    yield
    keys.private_key.cache_clear()


def pem_key() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode("ascii")


def build_world() -> World:
    agent = make_person("agent", Role.AGENT, password=None)
    acme = make_org("Acme", Plan.BASIC)
    other_contact = make_person("first", org=acme, password=None, language="en", phone="+33142685300")
    billing = make_person(
        "compta", org=acme, password=None, language="fr", time_zone="Europe/Paris", is_billing_contact=True
    )
    t: dict[str, Ticket] = {}
    t["met"] = open_for(agent, other_contact, "P3", at=paris(2, 10))
    services.add_reply(actor=agent, ticket=t["met"], body="Answer", at=paris(2, 11))
    t["downgrade"] = open_for(agent, other_contact, "P1", at=paris(9, 9))
    services.record_contact_attempt(actor=agent, ticket=t["downgrade"], channel="phone", at=paris(9, 11, 20))
    services.downgrade_priority(actor=agent, ticket=t["downgrade"], reason="unreachable", at=paris(9, 11, 30))
    services.add_reply(actor=agent, ticket=t["downgrade"], body="Fixed", at=paris(9, 12))
    t["closed"] = open_for(agent, other_contact, "P4", at=paris(10, 10))
    services.change_status(actor=agent, ticket=t["closed"], status=Status.SOLVED, at=paris(10, 10, 30))
    t["raised"] = open_for(agent, other_contact, "P4", at=paris(11, 10))
    services.raise_priority(
        actor=agent,
        ticket=t["raised"],
        priority="P2",
        reason="worse",
        impact_confirmed=True,
        at=paris(11, 11),
    )
    services.add_reply(actor=agent, ticket=t["raised"], body="Looking", at=paris(11, 11, 30))
    t["late"] = open_for(agent, other_contact, "P2", at=paris(12, 9))
    services.sweep_sla(now=paris(16, 9))
    t["april"] = open_for(agent, other_contact, "P3", at=paris(1, 9, month=4))
    return World(acme, billing, other_contact, agent, t)


@pytest.fixture
def world(db) -> World:
    return build_world()
