"""Data for the web tests (unit and browser): organisations on each plan, people, tickets.

Tickets are opened through the services, exactly as the portal does.
"""

from __future__ import annotations

import datetime as dt

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Contract, HoursOption, Plan, Region
from guichet.tickets import services

PASSWORD = "correct horse battery staple"


def make_org(
    name: str,
    plan: str,
    *,
    tz: str = "Europe/Paris",
    country: str = "FR",
    region: str = Region.WORLDWIDE,
    hours: str = HoursOption.PLAN_DEFAULT,
) -> Organisation:
    org = Organisation.objects.create(name=name)
    Contract.objects.create(
        organisation=org,
        reference=f"Q-{name[:20]}",
        plan=plan,
        hours=hours,
        region=region,
        time_zone=tz,
        holiday_country=country,
        valid_from=dt.date(2020, 1, 1),
    )
    return org


def make_person(username: str, role: str = Role.CUSTOMER, org: Organisation | None = None, **extra) -> Person:
    extra.setdefault("phone", "+33 1 23 45 67 89" if role == Role.CUSTOMER else "")
    return Person.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        organisation=org,
        email=f"{username}@example.test",
        **extra,
    )


def open_ticket(customer: Person, priority: str = "P3", subject: str = "Cannot log in", **extra):
    needs_confirmation = priority in ("P1", "P2")
    return services.open_ticket(
        actor=customer,
        subject=subject,
        body=extra.pop("body", "Since this morning nobody can log in."),
        priority=priority,
        channel="portal",
        impact_confirmed=needs_confirmation,
        contact_phone=customer.phone,
        **extra,
    )


class World:
    """Two Premium and one Basic organisation, an agent, a lead, an administrator, customers."""

    def __init__(self) -> None:
        self.premium = make_org("Premium Co", Plan.PREMIUM)
        self.other = make_org("Other Premium", Plan.PREMIUM, tz="America/New_York", country="US")
        self.basic = make_org("Basic Co", Plan.BASIC)
        self.agent = make_person("agent", Role.AGENT, first_name="Alice", last_name="Agent")
        self.lead = make_person("lead", Role.LEAD)
        self.admin = make_person("boss", Role.ADMIN)
        self.customer = make_person("pc", org=self.premium, first_name="Paul", last_name="Client")
        self.other_customer = make_person("oc", org=self.other, time_zone="America/New_York")
        self.basic_customer = make_person("bc", org=self.basic)
