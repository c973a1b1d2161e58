"""`guichet loaddemo`: idempotent people and organisations, real SLA ledgers, refusal without --force."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.models import Organisation, Person
from guichet.demo.management.commands.loaddemo import DEMO_PASSWORD
from guichet.tickets import ledger
from guichet.tickets.models import Message, MessageKind, SlaEvent, SlaState, Ticket


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def test_loaddemo_builds_a_living_desk(db):
    out = load()
    for login in ("admin", "agent", "agent.fr", "lead", "customer", "client.fr", "basic.customer"):
        assert login in out
        assert Person.objects.get(username=login).check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in out
    assert Person.objects.get(username="client.fr").language == "fr"
    zones = set(Organisation.objects.values_list("contracts__time_zone", flat=True))
    assert {"Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Jerusalem"} <= zones
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("priority", flat=True)) == {"P1", "P2", "P3", "P4"}
    states = set(tickets.values_list("sla_state", flat=True))
    assert {
        SlaState.RUNNING,
        SlaState.BREACHED,
        SlaState.FULFILLED,
        SlaState.PAUSED,
        SlaState.NO_SLA,
    } <= states
    kinds = set(SlaEvent.objects.values_list("kind", flat=True))
    assert {"applied", "warned", "breached", "fulfilled", "paused", "downgraded", "raised", "no_sla"} <= kinds
    # Issue 11, defect 9: French customers' tickets are acknowledged in French, though the loader
    # runs in English.
    french = Message.objects.filter(kind=MessageKind.AUTO, ticket__requester__username="client.fr")
    assert french.exists() and all(m.body.startswith("Nous avons bien reçu") for m in french)
    # The ledger is real: every cache equals its replay.
    for ticket in tickets:
        replay = ledger.replay(ticket.sla_events.order_by("seq"))
        assert ledger.cached_fields(replay) == {name: getattr(ticket, name) for name in ledger.CACHED_FIELDS}


def test_loaddemo_is_idempotent_and_refuses_without_force(db):
    load()
    people, orgs, tickets = Person.objects.count(), Organisation.objects.count(), Ticket.objects.count()
    with pytest.raises(CommandError, match="--force"):
        load()
    assert Ticket.objects.count() == tickets
    load("--force")
    assert Person.objects.count() == people and Organisation.objects.count() == orgs
    assert Ticket.objects.count() == 2 * tickets


def test_loaddemo_has_a_follow_the_sun_on_call_team_that_pages(db):
    from guichet.oncall.models import Escalation, PageKind, PageRecord, Rotation, Schedule

    load()
    schedule = Schedule.objects.get()
    primary = {r.name: r for r in Rotation.objects.filter(schedule=schedule, tier="primary")}
    assert (primary["Paris"].time_zone, primary["Montréal"].time_zone) == ("Europe/Paris", "America/Montreal")
    assert primary["Paris"].restrict_from.hour == 8 and primary["Montréal"].restrict_from.hour == 14
    # Someone is on call from the first minute (the rotations started two weeks ago).
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    rota = schedule.rota()
    assert rota.on_call(timezone.now())["secondary"] is not None
    noon = dt.datetime.combine(timezone.now().date(), dt.time(12), zoneinfo.ZoneInfo("Europe/Paris"))
    assert rota.on_call(noon)["primary"] is not None
    # The demo's open Premium P1s paged the team as they were opened (answered ones stopped).
    assert Escalation.objects.exists()
    assert PageRecord.objects.filter(kind=PageKind.PAGED).exists()
