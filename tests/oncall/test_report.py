"""The on-call report (time to acknowledge per level, person and month; pages outside working
hours) and quiet hours (ordinary notifications wait, pages never do)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guichet.oncall import escalation
from guichet.oncall.delivery import notice_due
from guichet.oncall.models import ContactKind, Escalation, OncallProfile
from guichet.oncall.report import build, percentile
from guichet.outbox.models import Delivery
from tests.factories import open_ticket
from tests.oncall.conftest import method

UTC = dt.UTC


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(x) for x in range(1, 11)], 90) == 9.0


def _paged_then_acked(world, start: dt.datetime, minutes: int, by, levels_fired: int) -> None:
    ticket = open_ticket(world.premium_customer, "P3")
    ticket.priority = "P1"
    esc = escalation.start(ticket, "opened", f"report-{start.isoformat()}", now=start)
    escalation.fire_due(start + dt.timedelta(minutes=5 * (levels_fired - 1)))
    escalation.acknowledge(
        Escalation.objects.get(pk=esc.pk), by, via="desk", now=start + dt.timedelta(minutes=minutes)
    )


def test_time_to_acknowledge_and_pages_outside_working_hours(world):
    # Alice works 09:00–17:00 Paris on weekdays (the default); Bob likewise in Montréal.
    OncallProfile.objects.create(person=world.alice)
    monday_10 = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)  # 10:00 Paris: working hours
    saturday_3 = dt.datetime(2026, 3, 7, 2, tzinfo=UTC)  # 03:00 Paris: outside
    _paged_then_acked(world, monday_10, 2, world.alice, 1)
    _paged_then_acked(world, saturday_3, 4, world.alice, 1)
    _paged_then_acked(world, dt.datetime(2026, 4, 1, 12, tzinfo=UTC), 7, world.bob, 2)  # Bob, level 2
    report = build(dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 5, 1, tzinfo=UTC), "Europe/Paris")
    by_level = {r.key: (r.count, r.median_s, r.p90_s) for r in report.by_level}
    assert by_level == {"1": (2, 120.0, 240.0), "2": (1, 420.0, 420.0)}
    assert {r.key: r.count for r in report.by_person} == {"Alice": 2, "Bob": 1}
    assert {r.key: r.count for r in report.by_month} == {"2026-03": 2, "2026-04": 1}
    load = {r.person: (r.pages, r.outside) for r in report.load}
    # Alice: three pages (one per escalation's first level), one at 03:00 on a Saturday; Bob paged
    # at 14:00 Paris = 08:00 Montréal, before his working day.
    assert load == {"Alice": (3, 1), "Bob": (1, 1)}
    assert report.unacknowledged == 0


def test_quiet_hours_hold_notices_never_pages(world, http_receiver):
    now = timezone.now()
    local = now.astimezone(world.bob.zone)
    # Bob's quiet hours cover now: from an hour ago to two hours ahead, his time.
    OncallProfile.objects.create(
        person=world.bob,
        quiet_from=(local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_to=(local + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )
    world.bob.refresh_from_db()
    due = notice_due(world.bob, now)
    assert dt.timedelta(hours=1, minutes=58) < due - now <= dt.timedelta(hours=2)
    assert notice_due(world.alice, now) == now
    # A page to Bob goes at once despite his quiet hours; the notice that Alice acknowledged waits.
    method(world.bob, ContactKind.WEBHOOK, f"{http_receiver.url}/bob")
    ticket = open_ticket(world.premium_customer, "P1")
    esc = Escalation.objects.get(ticket=ticket)
    Escalation.objects.filter(pk=esc.pk).update(next_step_at=now - dt.timedelta(seconds=1))
    escalation.fire_due()
    assert [h.path for h in http_receiver.wait_for(1)] == ["/bob"]
    escalation.acknowledge(Escalation.objects.get(pk=esc.pk), world.alice, via="desk")
    notice = Delivery.objects.get(kind="oncall.notice")
    assert notice.status == "pending" and notice.due_at - now > dt.timedelta(hours=1, minutes=58)
    assert len(http_receiver.hits) == 1
