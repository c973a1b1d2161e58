"""The on-call world of the process-level tests and bench/paging.py, built in the database the
environment names (run as a script by tests/oncall/stack.py; prints one JSON line).

    setup <receiver_url> <level_seconds>   a Premium organisation, a customer with an API token,
                                           agents alice/bob and lead carol with webhooks to the
                                           receiver, a schedule, a three-level policy
    tickets <n>                            n Premium P1 tickets through the services
    levels <seconds>                       every level's timeout (escalations started from now on)
    retime <epoch>                         every live escalation's next step at that instant
    report                                 counts of pages per step and person
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")

import django

django.setup()

from guichet.accounts.models import ApiToken, Organisation, Person, Role  # noqa: E402
from guichet.contracts.models import Contract  # noqa: E402
from guichet.oncall.models import (  # noqa: E402
    ContactKind,
    ContactMethod,
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    PageKind,
    PageRecord,
    Rotation,
    Schedule,
)
from guichet.oncall.models.paging import LIVE_STATES  # noqa: E402
from guichet.tickets import services  # noqa: E402


def setup(receiver: str, seconds: int) -> dict:
    org = Organisation.objects.create(name="Stack Premium")
    Contract.objects.create(
        organisation=org,
        reference="Q-STACK",
        plan="premium",
        time_zone="Europe/Paris",
        holiday_country="FR",
        valid_from=dt.date(2020, 1, 1),
    )
    customer = Person.objects.create_user(
        "stack.customer", password=None, role=Role.CUSTOMER, organisation=org, phone="+33 1 23 45 67 89"
    )
    people = {}
    for name, role in (("alice", Role.AGENT), ("bob", Role.AGENT), ("carol", Role.LEAD)):
        people[name] = Person.objects.create_user(
            name, password=None, role=role, first_name=name.title(), time_zone="Europe/Paris"
        )
        ContactMethod.objects.create(
            person=people[name], kind=ContactKind.WEBHOOK, target=f"{receiver}/{name}", secret="stack-secret"
        )
    schedule = Schedule.objects.create(name="Stack", time_zone="Europe/Paris")
    for tier, who in (("primary", "alice"), ("secondary", "bob")):
        Rotation.objects.create(
            schedule=schedule,
            name=tier,
            tier=tier,
            time_zone="Europe/Paris",
            start_date=dt.date(2020, 1, 6),
            members=[people[who].pk],
        )
    policy = EscalationPolicy.objects.create(name="Stack", schedule=schedule, repeat=0)
    for i, target in enumerate(("primary", "secondary", "leads"), start=1):
        EscalationLevel.objects.create(policy=policy, position=i, target=target, timeout_seconds=seconds)
    _token, clear = ApiToken.issue(customer, "bench")
    return {"token": clear, "customer": customer.pk}


def tickets(n: int) -> dict:
    customer = Person.objects.get(username="stack.customer")
    ids = []
    for i in range(n):
        t = services.open_ticket(
            actor=customer,
            subject=f"Storm {i}",
            body="Down",
            priority="P1",
            channel="portal",
            impact_confirmed=True,
        )
        ids.append(t.pk)
    return {"tickets": ids}


def levels(seconds: int) -> dict:
    n = EscalationLevel.objects.update(timeout_seconds=seconds)
    return {"levels": n}


def retime(epoch: float) -> dict:
    at = dt.datetime.fromtimestamp(epoch, dt.UTC)
    n = Escalation.objects.filter(state__in=LIVE_STATES).update(next_step_at=at)
    return {"retimed": n}


def timers(seconds: float) -> dict:
    """A P1 whose warning falls due in `seconds` and its breach 15 s later (a 1-minute target,
    submitted in the past by an agent), and a held reply released in `seconds`."""
    from django.utils import timezone

    from guichet.tickets import timers as ticket_timers
    from guichet.tickets.models import Message, MessageKind
    from guichet.tickets.tasks import deliver_held_messages_task

    Contract.objects.filter(reference="Q-STACK").update(target_overrides={"P1": 1})
    now = timezone.now()
    ticket = services.open_ticket(
        actor=Person.objects.get(username="alice"),
        requester=Person.objects.get(username="stack.customer"),
        subject="Timers",
        body="x",
        priority="P1",
        channel="phone",
        impact_confirmed=True,
        submitted_at=now - dt.timedelta(seconds=45 - seconds),
    )
    held = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.REPLY,
        channel="portal",
        body="Held",
        author=Person.objects.get(username="bob"),
        deliver_at=now + dt.timedelta(seconds=seconds),
    )
    ticket_timers.enqueue_at(deliver_held_messages_task, (), held.deliver_at)
    return {
        "ticket": ticket.pk,
        "warn_at": ticket.sla_warn_at.timestamp(),
        "due_at": ticket.sla_due_at.timestamp(),
        "message": held.pk,
        "deliver_at": held.deliver_at.timestamp(),
    }


def timers_done(ticket_id: int, message_id: int) -> dict:
    from guichet.tickets.models import Message, SlaEvent

    events = {
        e.kind: [e.at.timestamp(), e.recorded_at.timestamp()]
        for e in SlaEvent.objects.filter(ticket_id=ticket_id, kind__in=["warned", "breached"])
    }
    counts = {k: SlaEvent.objects.filter(ticket_id=ticket_id, kind=k).count() for k in ("warned", "breached")}
    message = Message.objects.get(pk=message_id)
    return {
        "events": events,
        "counts": counts,
        "delivered_at": message.delivered_at.timestamp() if message.delivered_at else None,
    }


def report() -> dict:
    rows = PageRecord.objects.filter(kind=PageKind.PAGED).values_list(
        "escalation_id", "level", "person__username"
    )
    counts: dict[str, int] = {}
    for esc, level, who in rows:
        key = f"{esc}|{level}|{who}"
        counts[key] = counts.get(key, 0) + 1
    return {"paged": counts, "states": list(Escalation.objects.values_list("state", flat=True))}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        out = setup(args[0], int(args[1]))
    elif command == "tickets":
        out = tickets(int(args[0]))
    elif command == "levels":
        out = levels(int(args[0]))
    elif command == "timers":
        out = timers(float(args[0]))
    elif command == "timers_done":
        out = timers_done(int(args[0]), int(args[1]))
    elif command == "retime":
        out = retime(float(args[0]))
    else:
        out = report()
    print(json.dumps(out))
