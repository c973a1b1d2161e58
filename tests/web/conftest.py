"""The web tests' world: two Premium and one Basic organisation, staff, customers (from
tests/factories.py); tasks inline, fast hashing, attachments under tmp_path."""

from __future__ import annotations

import pytest

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from tests.factories import make_org, make_person

CUSTOMER_PHONE = "+33 1 23 45 67 89"


class World:
    """Two Premium and one Basic organisation, an agent, a lead, an administrator, customers."""

    def __init__(self) -> None:
        self.premium = make_org("Premium Co", Plan.PREMIUM)
        self.other = make_org("Other Premium", Plan.PREMIUM, tz="America/New_York", country="US")
        self.basic = make_org("Basic Co", Plan.BASIC)
        self.agent = make_person("agent", Role.AGENT, first_name="Alice", last_name="Agent")
        self.lead = make_person("lead", Role.LEAD)
        self.admin = make_person("boss", Role.ADMIN)
        self.customer = make_person(
            "pc", org=self.premium, phone=CUSTOMER_PHONE, first_name="Paul", last_name="Client"
        )
        self.other_customer = make_person(
            "oc", org=self.other, phone=CUSTOMER_PHONE, time_zone="America/New_York"
        )
        self.basic_customer = make_person("bc", org=self.basic, phone=CUSTOMER_PHONE)


@pytest.fixture(autouse=True)
def _inline_work(settings, tmp_path, inline_tasks, fast_passwords):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1


@pytest.fixture
def world(db) -> World:
    return World()
