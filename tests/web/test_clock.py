"""What the countdown is given: business seconds left, open now, and the next open/close boundary."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone, translation

from guichet.web.clock import CalendarCache, clock_view
from guichet.web.templatetags.guichet_ui import duration
from tests.factories import PARIS, open_ticket


def test_basic_p2_on_a_saturday_is_paused_until_monday_opening(world):
    ticket = open_ticket(world.basic_customer, "P2")
    saturday = dt.datetime(2026, 11, 21, 12, 0, tzinfo=PARIS)
    # Due Monday 11:00: two business hours from the Monday 09:00 opening.
    ticket.sla_due_at = dt.datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)
    ticket.sla_warn_at = None
    ticket.sla_warned_at = None
    clock = clock_view(ticket, CalendarCache(), saturday)
    assert clock.state == "running"
    assert clock.remaining_seconds == 2 * 3600
    assert clock.open_now is False
    assert clock.boundary == dt.datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def test_issue_11_defect_5_a_clock_outside_its_hours_says_so_in_business_time(world):
    """Not "Running – 1 d 0 h left (paused…)": the state it is in, business hours, when it counts."""
    ticket = open_ticket(world.basic_customer, "P3")  # 24 business hours on 8 × 5
    saturday = dt.datetime(2026, 11, 21, 12, 0, tzinfo=PARIS)
    ticket.sla_due_at = dt.datetime(2026, 11, 25, 17, 0, tzinfo=PARIS)  # Mon–Wed: 3 × 8 h
    ticket.sla_warn_at = ticket.sla_warned_at = None
    with translation.override("en"), timezone.override(PARIS):
        clock = clock_view(ticket, CalendarCache(), saturday)
        assert clock.idle and "clock-idle" in clock.css
        assert clock.label == "Outside support hours"
        assert clock.text == "24 h 00 min left"
        assert clock.note == "counting from Mon 23 Nov, 09:00 CET"
        assert "paused" not in clock.text and " d " not in clock.text
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
    with translation.override("en"):
        open_clock = clock_view(ticket, CalendarCache(), monday)
        assert open_clock.label == "Running" and not open_clock.idle and open_clock.note == ""


def test_open_calendar_counts_down_to_its_closing(world):
    ticket = open_ticket(world.basic_customer, "P2")
    monday_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
    ticket.sla_due_at = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)  # 7 h Monday + 1 h Tuesday
    ticket.sla_warn_at = ticket.sla_warned_at = None
    clock = clock_view(ticket, CalendarCache(), monday_10)
    assert clock.remaining_seconds == 8 * 3600
    assert clock.open_now is True
    assert clock.boundary == dt.datetime(2026, 11, 23, 17, 0, tzinfo=PARIS)


def test_warning_and_breach_states(world):
    ticket = open_ticket(world.customer, "P1")  # Premium 24x7
    now = ticket.submitted_at + dt.timedelta(minutes=25)
    assert clock_view(ticket, CalendarCache(), now).state == "warning"  # past the warning instant
    late = clock_view(ticket, CalendarCache(), ticket.submitted_at + dt.timedelta(minutes=40))
    assert late.state == "breached" and late.remaining_seconds == -600
    assert late.label == "Breached" and "overdue by 10 min" in late.text
    early = clock_view(ticket, CalendarCache(), ticket.submitted_at + dt.timedelta(minutes=1))
    assert early.state == "running" and early.remaining_seconds == 29 * 60


def test_answered_ticket_does_not_tick(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    client.post(reverse("desk_reply", args=[ticket.pk]), {"body": "On it"})
    ticket.refresh_from_db()
    clock = clock_view(ticket, CalendarCache())
    assert clock.state == "fulfilled" and not clock.ticking and clock.label == "Met"


def test_duration_texts():
    assert duration(59) == "59 s"
    assert duration(3 * 60) == "3 min"
    assert duration(3600 + 5 * 60) == "1 h 05 min"
    # Business time is counted in hours: 24 business hours are three days of 8 × 5, not "1 d".
    assert duration(24 * 3600) == "24 h 00 min"
    assert duration(2 * 86400 + 3 * 3600) == "51 h 00 min"
    assert duration(dt.timedelta(minutes=-10)) == "10 min"


def test_paused_clock_shows_the_time_kept_and_does_not_tick(world):
    ticket = open_ticket(world.customer, "P2")
    ticket.sla_state, ticket.sla_due_at, ticket.sla_remaining_seconds = "paused", None, 1800
    clock = clock_view(ticket, CalendarCache())
    assert not clock.ticking and clock.label == "Paused"
    assert clock.text == "30 min left when the clock resumes"
