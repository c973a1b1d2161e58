"""Faults while paging, in-process with explicit instants: a receiver that answers 500 or hangs is
retried with backoff while the escalation goes on; a DST change and a hand-off inside an escalation
page whoever is on call at each step's exact instant. (The worker killed between two steps is
tests/oncall/test_worker_faults.py, with real processes.)"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guichet.oncall import escalation
from guichet.oncall.models import ContactKind, Escalation, PageKind, PageRecord, Rotation
from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from tests.factories import make_person, open_ticket
from tests.oncall.conftest import method

UTC = dt.UTC


def _page_delivery(ticket, person) -> Delivery:
    return Delivery.objects.get(ticket=ticket, kind="oncall.page", payload__person=person.pk)


def test_receiver_answering_500_is_retried_with_backoff_while_escalation_goes_on(world, http_receiver):
    http_receiver.status = 500
    method(world.alice, ContactKind.WEBHOOK, f"{http_receiver.url}/alice")
    method(world.bob, ContactKind.APPRISE, f"json://127.0.0.1:{http_receiver.port}/bob")
    ticket = open_ticket(world.premium_customer, "P1")
    row = _page_delivery(ticket, world.alice)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    first_retry = row.due_at - timezone.now()
    assert dt.timedelta(seconds=8) < first_retry <= dt.timedelta(seconds=10)
    # The second attempt, when due, fails again and waits twice as long.
    assert relay.deliver(row.key, now=row.due_at) == "retry"
    row.refresh_from_db()
    assert row.attempts == 2 and dt.timedelta(seconds=18) < row.due_at - timezone.now() <= dt.timedelta(
        seconds=20
    )
    failures = PageRecord.objects.filter(ticket=ticket, kind=PageKind.FAILED)
    assert [f.detail["attempt"] for f in failures] == [1, 2] and "500" in failures[0].detail["error"]
    # Meanwhile the escalation does not wait for the broken receiver: Bob is paged at 5 minutes.
    esc = Escalation.objects.get(ticket=ticket)
    Escalation.objects.filter(pk=esc.pk).update(next_step_at=timezone.now() - dt.timedelta(seconds=1))
    http_receiver.status = 200
    escalation.fire_due()
    assert [h.path for h in http_receiver.wait_for(3)][-1] == "/bob"
    # The receiver is back: the next retry delivers Alice's page, recorded once.
    assert relay.deliver(row.key, now=row.due_at) == "delivered"
    assert PageRecord.objects.filter(ticket=ticket, kind=PageKind.SENT, person=world.alice).count() == 1


def test_hanging_receiver_times_out_and_is_retried(world, http_receiver, settings):
    settings.GUICHET_WEBHOOK_TIMEOUT = 0.5
    http_receiver.hang = 2
    method(world.alice, ContactKind.WEBHOOK, f"{http_receiver.url}/alice")
    started = timezone.now()
    ticket = open_ticket(world.premium_customer, "P1")
    assert timezone.now() - started < dt.timedelta(seconds=2)  # the page never waits for the hang
    row = _page_delivery(ticket, world.alice)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    failure = PageRecord.objects.get(ticket=ticket, kind=PageKind.FAILED)
    assert "timed out" in failure.detail["error"].lower()


def test_dst_change_and_hand_off_inside_an_escalation(world):
    """Paris, 29 March 2026: the clocks jump from 02:00 to 03:00. The primary rotation hands off
    daily at 02:30 — a time that does not exist that night, so at the jump (01:00 UTC). An
    escalation starting at 01:55 CET pages Alice, then Bob (secondary) 5 real minutes later — at
    03:00 CEST — then, second round, the new primary Dave 10 minutes after that."""
    dave = make_person("dave", "agent", time_zone="Europe/Paris", first_name="Dave")
    Rotation.objects.filter(schedule=world.schedule, tier="primary").update(
        members=[world.alice.pk, dave.pk],
        hand_off=dt.time(2, 30),
        length_days=1,
        start_date=dt.date(2026, 3, 28),
    )
    ticket = open_ticket(world.premium_customer, "P3")  # no page of its own
    ticket.priority = "P1"
    start = dt.datetime(2026, 3, 29, 0, 55, tzinfo=UTC)  # 01:55 CET
    esc = escalation.start(ticket, "opened", "dst", now=start)
    escalation.fire_due(dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC))
    pages = list(
        PageRecord.objects.filter(escalation=esc, kind=PageKind.PAGED)
        .order_by("id")
        .values_list("at", "person__username", "level", "round")
    )
    assert pages[:4] == [
        (start, "alice", 1, 0),
        (dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "bob", 2, 0),  # 03:00 CEST: five real minutes
        (dt.datetime(2026, 3, 29, 1, 10, tzinfo=UTC), "carol", 3, 0),
        (dt.datetime(2026, 3, 29, 1, 20, tzinfo=UTC), "dave", 1, 1),  # after the hand-off: Dave
    ]
