"""The demo's on-call team: a follow-the-sun schedule (Paris by day, Montréal by night, each in its
own zone), a lead as secondary, a three-level escalation policy, and contact methods (e-mail — the
development mail backend prints it in `bin/run`'s log — and the desk's browser notifications)."""

from __future__ import annotations

import datetime as dt

from guichet.accounts.models import Person
from guichet.oncall.models import (
    ContactKind,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    LevelTarget,
    OncallProfile,
    Rotation,
    Schedule,
)


def load_oncall(staff: dict[str, Person], today: dt.date) -> Schedule:
    # Started two weeks ago: every rotation has someone on call from the first minute of the demo.
    monday = today - dt.timedelta(days=today.weekday() + 14)
    schedule, _created = Schedule.objects.get_or_create(
        name="Support follow-the-sun",
        defaults={
            "time_zone": "Europe/Paris",
            "description": "Paris 08:00–20:00 Paris time, Montréal 14:00–02:00 Montréal time.",
        },
    )
    rotations = [
        # name, tier, zone, members, from, to, layer
        ("Paris", "primary", "Europe/Paris", ["agent.fr", "lead"], dt.time(8), dt.time(20), 0),
        ("Montréal", "primary", "America/Montreal", ["agent.ca", "agent"], dt.time(14), dt.time(2), 1),
        ("Leads", "secondary", "Europe/Paris", ["lead", "admin"], None, None, 0),
    ]
    for name, tier, zone, members, start, end, layer in rotations:
        Rotation.objects.update_or_create(
            schedule=schedule,
            name=name,
            defaults={
                "tier": tier,
                "time_zone": zone,
                "hand_off": start or dt.time(9),
                "length_days": 7,
                "start_date": monday,
                "members": [staff[m].pk for m in members],
                "restrict_from": start,
                "restrict_to": end,
                "position": layer,
            },
        )
    policy, created = EscalationPolicy.objects.get_or_create(
        name="Premium 24×7", defaults={"schedule": schedule, "repeat": 1}
    )
    if created:
        for i, (target, minutes) in enumerate(
            [(LevelTarget.PRIMARY, 5), (LevelTarget.SECONDARY, 10), (LevelTarget.LEADS, 10)], start=1
        ):
            EscalationLevel.objects.create(
                policy=policy, position=i, target=target, timeout_seconds=minutes * 60
            )
    for person in staff.values():
        OncallProfile.objects.get_or_create(
            person=person, defaults={"quiet_from": dt.time(22), "quiet_to": dt.time(7)}
        )
        for position, kind in enumerate((ContactKind.BROWSER, ContactKind.EMAIL)):
            ContactMethod.objects.get_or_create(
                person=person,
                kind=kind,
                defaults={"target": person.email if kind == ContactKind.EMAIL else "", "position": position},
            )
    return schedule
