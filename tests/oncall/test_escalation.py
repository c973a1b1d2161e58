"""Paging end to end through real receivers: a Premium P1 pages the primary at once by every contact
method, escalates level by level until acknowledged, exactly once per step; taking or answering the
ticket stops it; Basic P1 waits for the contract's hours; P3 never pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guichet.oncall import escalation
from guichet.oncall.delivery import LinkError, use_ack_link
from guichet.oncall.models import ContactKind, Escalation, EscalationState, PageKind, PageRecord
from guichet.outbox.webhooks import verify
from guichet.tickets import services
from tests.factories import open_ticket
from tests.oncall.conftest import method


def kinds(ticket) -> list[str]:
    return list(PageRecord.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


def paged(ticket) -> list[tuple[str, int]]:
    return list(
        PageRecord.objects.filter(ticket=ticket, kind=PageKind.PAGED)
        .order_by("id")
        .values_list("person__username", "level")
    )


def test_premium_p1_pages_the_primary_at_once_by_every_method(world, http_receiver, smtp_receiver):
    hook = method(world.alice, ContactKind.WEBHOOK, f"{http_receiver.url}/hook")
    method(world.alice, ContactKind.APPRISE, f"json://127.0.0.1:{http_receiver.port}/apprise")
    method(world.alice, ContactKind.EMAIL, "alice@pager.test")
    method(world.alice, ContactKind.BROWSER)
    ticket = open_ticket(world.premium_customer, "P1", subject="Production down")

    hits = http_receiver.wait_for(2)
    by_path = {h.path: h for h in hits}
    webhook = by_path["/hook"]
    assert verify(
        hook.secret,
        webhook.headers["x-guichet-timestamp"],
        webhook.body,
        webhook.headers["x-guichet-signature"],
    )
    assert webhook.headers["x-guichet-event"] == "oncall.page"
    data = webhook.json()
    assert data["data"]["ticket"] == ticket.pk and "/oncall/ack/" in data["ack_url"]
    # Alice reads French: the page speaks French, times in Paris.
    assert "Vous êtes appelé" in data["body"] or "niveau" in data["body"], data["body"]
    apprise = by_path["/apprise"].json()
    assert "[P1]" in apprise["title"] and "Production down" in apprise["title"]
    mail = smtp_receiver.wait_for(1)[0]
    assert mail["To"] == "alice@pager.test" and mail["Auto-Submitted"] == "auto-generated"
    assert "/oncall/ack/" in mail.get_payload(decode=True).decode()
    assert paged(ticket) == [("alice", 1)]
    assert kinds(ticket).count(PageKind.SENT) == 4  # webhook, Apprise, mail, browser


def test_escalates_level_by_level_exactly_once_until_acknowledged(world, http_receiver):
    for person in (world.alice, world.bob, world.carol):
        method(person, ContactKind.WEBHOOK, f"{http_receiver.url}/{person.username}")
    ticket = open_ticket(world.premium_customer, "P1")
    esc = Escalation.objects.get(ticket=ticket)
    assert esc.next_step_at == esc.created_at + dt.timedelta(minutes=5)
    # As if paged an hour ago: the pages of later steps are due (and delivered) now.
    start = esc.created_at - dt.timedelta(hours=1)
    Escalation.objects.filter(pk=esc.pk).update(next_step_at=start + dt.timedelta(minutes=5))
    assert escalation.fire_due(start + dt.timedelta(minutes=4, seconds=59)) == []
    escalation.fire_due(start + dt.timedelta(minutes=5))
    escalation.fire_due(start + dt.timedelta(minutes=5))  # the poll and the task both come: once
    assert escalation.fire_one(esc.pk, now=start + dt.timedelta(minutes=5, seconds=2)) == []
    assert paged(ticket) == [("alice", 1), ("bob", 2)]
    escalation.fire_due(start + dt.timedelta(minutes=15))
    assert paged(ticket) == [("alice", 1), ("bob", 2), ("carol", 3)]
    assert [h.path for h in http_receiver.wait_for(3)] == ["/alice", "/bob", "/carol"]
    # Carol acknowledges from the link in her page: the escalation stops, the link is used up.
    link = http_receiver.hits[2].json()["ack_url"]
    signed = link.rstrip("/").rsplit("/", 1)[-1]
    got, person, done = use_ack_link(signed)
    assert (got.pk, person, done) == (esc.pk, world.carol, True)
    with pytest.raises(LinkError, match="already used"):
        use_ack_link(signed)
    with pytest.raises(LinkError, match="not valid"):
        use_ack_link(signed[:-2] + "xx")
    escalation.fire_due(start + dt.timedelta(hours=2))
    esc.refresh_from_db()
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by == world.carol
    assert paged(ticket) == [("alice", 1), ("bob", 2), ("carol", 3)]
    ack = PageRecord.objects.get(ticket=ticket, kind=PageKind.ACKNOWLEDGED)
    assert ack.detail["via"] == "link"
    # Alice and Bob hear that Carol has it (an ordinary notification).
    notices = [h for h in http_receiver.wait_for(5) if h.headers["x-guichet-event"] == "oncall.notice"]
    assert sorted(h.path for h in notices) == ["/alice", "/bob"]


def test_repeats_then_gives_up_when_nobody_answers(world):
    ticket = open_ticket(world.premium_customer, "P2")
    esc = Escalation.objects.get(ticket=ticket)
    escalation.fire_due(esc.created_at + dt.timedelta(hours=3))
    # Two rounds (repeat=1) of three levels, then the record that nobody acknowledged.
    assert [lv for _who, lv in paged(ticket)] == [1, 2, 3, 1, 2, 3]
    esc.refresh_from_db()
    assert esc.state == EscalationState.EXHAUSTED and kinds(ticket)[-1] == PageKind.EXHAUSTED


@pytest.mark.parametrize("how", ["assign", "reply", "call", "solve"])
def test_taking_or_answering_the_ticket_stops_the_escalation(world, how):
    ticket = open_ticket(world.premium_customer, "P1")
    if how == "assign":
        services.assign(actor=world.bob, ticket=ticket, assignee=world.bob)
    elif how == "reply":
        services.add_reply(actor=world.bob, ticket=ticket, body="On it.")
    elif how == "call":
        services.log_call(
            actor=world.bob,
            ticket=ticket,
            caller="Pat",
            phone_number="+33 1 23 45 67 89",
            duration_seconds=60,
            summary="Called back",
        )
    else:
        services.change_status(actor=world.bob, ticket=ticket, status="solved")
    esc = Escalation.objects.get(ticket=ticket)
    expected = EscalationState.STOPPED if how == "solve" else EscalationState.ACKNOWLEDGED
    assert esc.state == expected and esc.next_step_at is None
    escalation.fire_due(timezone.now() + dt.timedelta(hours=1))
    assert paged(ticket) == [("alice", 1)]


def test_second_trigger_while_escalating_is_recorded_not_paged_again(world):
    ticket = open_ticket(world.premium_customer, "P1")
    services.add_reply(actor=world.premium_customer, ticket=ticket, body="Still down!")
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert PageKind.DEDUPLICATED in kinds(ticket)


def test_basic_p1_outside_hours_pages_at_the_next_opening(world):
    saturday_3am = dt.datetime(2026, 3, 7, 3, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    ticket = services.open_ticket(
        actor=world.alice,
        requester=world.basic_customer,
        subject="Down",
        body="x",
        priority="P1",
        channel="portal",
        impact_confirmed=True,
        submitted_at=saturday_3am - dt.timedelta(minutes=1),
    )
    # The trigger fired at the real "now"; start again as of Saturday 03:00 (the rule is the same).
    Escalation.objects.filter(ticket=ticket).update(state=EscalationState.STOPPED)
    esc = escalation.start(ticket, "opened", "replay", now=saturday_3am)
    assert esc is not None and esc.state == EscalationState.WAITING
    monday_9am = dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC)
    assert esc.next_step_at == monday_9am
    assert escalation.fire_due(monday_9am - dt.timedelta(seconds=1)) == []
    escalation.fire_due(monday_9am)
    assert paged(ticket)[-1] == ("alice", 1)


def test_p3_never_pages(world):
    ticket = open_ticket(world.premium_customer, "P3")
    assert not Escalation.objects.filter(ticket=ticket).exists()


def test_paging_history_is_append_only(world):
    ticket = open_ticket(world.premium_customer, "P1")
    record = PageRecord.objects.filter(ticket=ticket).first()
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    with pytest.raises(ValueError, match="append-only"):
        record.delete()
    with pytest.raises(ValueError, match="append-only"):
        PageRecord.objects.filter(ticket=ticket).update(kind="sent")
    with pytest.raises(ValueError, match="append-only"):
        PageRecord.objects.filter(ticket=ticket).delete()
