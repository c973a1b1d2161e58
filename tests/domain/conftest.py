"""Fixtures for the domain tests: organisations on each plan, their contracts, people."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Contract, HoursOption, Plan, Region

UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    # Notifications run inline so their mails land in the locmem outbox.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GUICHET_SLA_WARN_PERCENT = 75
    settings.GUICHET_SLA_WARN_BEFORE_MINUTES = 30
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1
    # Password hashing is deliberately slow; these tests create many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"  # attachments never land in the working tree


def make_org(
    name: str,
    plan: str,
    *,
    tz: str = "Europe/Paris",
    country: str = "FR",
    subdivision: str = "",
    region: str = Region.WORLDWIDE,
    hours: str = HoursOption.PLAN_DEFAULT,
    valid_from: dt.date = dt.date(2020, 1, 1),
    valid_until: dt.date | None = None,
    pause_when_waiting: bool = False,
    target_overrides: dict | None = None,
) -> Organisation:
    org = Organisation.objects.create(name=name)
    Contract.objects.create(
        organisation=org,
        reference=f"Q-{name}",
        plan=plan,
        hours=hours,
        region=region,
        time_zone=tz,
        holiday_country=country,
        holiday_subdivision=subdivision,
        valid_from=valid_from,
        valid_until=valid_until,
        pause_when_waiting=pause_when_waiting,
        target_overrides=target_overrides or {},
    )
    return org


def make_person(username: str, role: str = Role.CUSTOMER, org: Organisation | None = None, **extra) -> Person:
    return Person.objects.create_user(
        username=username,
        password="pw-" + username,
        role=role,
        organisation=org,
        email=f"{username}@example.test",
        **extra,
    )


@pytest.fixture
def premium_org(db):
    return make_org("Premium Co", Plan.PREMIUM)


@pytest.fixture
def basic_org(db):
    return make_org("Basic Co", Plan.BASIC)


@pytest.fixture
def agent(db):
    return make_person("agent", Role.AGENT)


@pytest.fixture
def lead(db):
    return make_person("lead", Role.LEAD)


@pytest.fixture
def premium_customer(premium_org):
    return make_person("pc", org=premium_org, phone="+33 1 23 45 67 89")


@pytest.fixture
def basic_customer(basic_org):
    return make_person("bc", org=basic_org, phone="+33 1 98 76 54 32")
