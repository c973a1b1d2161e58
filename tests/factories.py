"""Test data shared by every folder: organisations under contract, people, tickets opened through the
services (exactly as the portal or an agent does), and the instants the tests speak in.

Plain functions, no fixtures: tests/conftest.py turns the common ones into fixtures (`agent`,
`premium_customer`, ...), and a folder's conftest.py builds its own world from these when it needs
other people (the API's tokens, the mail channel's addresses, the reports' known outcomes).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Contract, HoursOption, Region
from guichet.tickets import services
from guichet.tickets.models import Ticket

UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# The password make_person gives (the browser tests sign in with it).
PASSWORD = "correct horse battery staple"


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """March 2026 in Paris: the 2nd is a Monday, the 6th a Friday; no French holiday that month."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


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
    reference: str | None = None,
    email_domain: str = "",
    **settings,
) -> Organisation:
    """An organisation and its one contract (reference `Q-<name>` unless given)."""
    org = Organisation.objects.create(name=name, email_domain=email_domain)
    Contract.objects.create(
        organisation=org,
        reference=reference or f"Q-{name}",
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
        **settings,  # downgrade_keeps_miss, closed_unanswered_missed
    )
    return org


def make_person(
    username: str,
    role: str = Role.CUSTOMER,
    org: Organisation | None = None,
    *,
    password: str | None = PASSWORD,
    email: str | None = None,
    **extra,
) -> Person:
    """A person with the password PASSWORD and the address <username>@example.test.

    `password=None` leaves the password unusable and skips hashing, which costs about a second a
    person unless the test uses the `fast_passwords` fixture; `email=""` gives no address.
    """
    return Person.objects.create_user(
        username=username,
        password=password,
        role=role,
        organisation=org,
        email=f"{username}@example.test" if email is None else email,
        **extra,
    )


def open_ticket(customer: Person, priority: str = "P3", subject: str = "Cannot log in", **extra) -> Ticket:
    """The customer opens a ticket on the portal, now (P1 and P2 with the impact confirmed)."""
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


def open_for(agent: Person, requester: Person, priority="P3", channel="portal", at=None, **kw) -> Ticket:
    """An agent records the requester's ticket, submitted at `at` (default: Monday 2 March, 10:00 in
    Paris); P1 and P2 with the impact confirmed unless `impact_confirmed` says otherwise."""
    kw.setdefault("impact_confirmed", priority in ("P1", "P2"))
    return services.open_ticket(
        actor=agent,
        requester=requester,
        subject="Cannot log in",
        body="Help",
        priority=priority,
        channel=channel,
        submitted_at=at or paris(2, 10),
        **kw,
    )


def event_kinds(ticket: Ticket) -> list[str]:
    """The kinds of the ticket's SLA events, in ledger order."""
    return list(ticket.sla_events.order_by("seq").values_list("kind", flat=True))


def night_zone() -> str:
    """A time zone where it is night on a weekday now, whatever the hour the suite runs at: for
    tests of what happens outside a customer's business hours (R-PRIO-7) at the real `now`."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"  # POSIX signs are reversed
        local = timezone.now().astimezone(zoneinfo.ZoneInfo(name))
        if local.hour < 7 and local.weekday() < 5:
            return name
    return "Etc/GMT+12"  # no weekday night anywhere: a weekend, closed all the same
