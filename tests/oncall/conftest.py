"""The on-call world: a Paris/Montréal team on one schedule, a three-level escalation policy, and
contact methods pointing at real receivers started here (HTTP on 127.0.0.1, an aiosmtpd server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from guichet.accounts.models import Person, Role
from guichet.contracts.models import Plan
from guichet.oncall.models import (
    ContactKind,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    LevelTarget,
    Rotation,
    Schedule,
)
from tests.factories import make_org, make_person
from tests.oncall.receivers import HttpReceiver, SmtpReceiver


@pytest.fixture(autouse=True)
def _oncall_settings(settings, desk_settings) -> None:
    settings.GUICHET_BASE_URL = "http://desk.test"
    settings.GUICHET_WEBHOOK_TIMEOUT = 1
    settings.DEFAULT_FROM_EMAIL = "support@guichet.test"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp_receiver(settings) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", receiver.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield receiver
    receiver.close()


@dataclass
class World:
    premium_customer: Person
    basic_customer: Person
    alice: Person  # primary, Paris, French
    bob: Person  # secondary, Montréal
    carol: Person  # team lead
    schedule: Schedule
    policy: EscalationPolicy


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    premium = make_org("Premium Co", Plan.PREMIUM)
    basic = make_org("Basic Co", Plan.BASIC)
    alice = make_person("alice", Role.AGENT, language="fr", time_zone="Europe/Paris", first_name="Alice")
    bob = make_person("bob", Role.AGENT, time_zone="America/Montreal", first_name="Bob")
    carol = make_person("carol", Role.LEAD, time_zone="Europe/Paris", first_name="Carol")
    schedule = Schedule.objects.create(name="Support", time_zone="Europe/Paris")
    for tier, who in (("primary", alice), ("secondary", bob)):
        Rotation.objects.create(
            schedule=schedule,
            name=tier,
            tier=tier,
            time_zone="Europe/Paris",
            start_date=dt.date(2020, 1, 6),
            members=[who.pk],
        )
    policy = EscalationPolicy.objects.create(name="Default", schedule=schedule, repeat=1)
    for i, (target, minutes) in enumerate(
        [(LevelTarget.PRIMARY, 5), (LevelTarget.SECONDARY, 10), (LevelTarget.LEADS, 10)], start=1
    ):
        EscalationLevel.objects.create(policy=policy, position=i, target=target, timeout_seconds=minutes * 60)
    return World(
        premium_customer=make_person("pc", org=premium, phone="+33 1 23 45 67 89"),
        basic_customer=make_person("bc", org=basic, phone="+33 1 23 45 67 89"),
        alice=alice,
        bob=bob,
        carol=carol,
        schedule=schedule,
        policy=policy,
    )


def method(person: Person, kind: str, target: str = "", **extra) -> ContactMethod:
    m = ContactMethod(person=person, kind=kind, target=target, **extra)
    m.full_clean()
    m.save()
    return m


__all__ = ["ContactKind", "World", "method"]
