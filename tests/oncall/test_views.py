"""The on-call screens through Django's test client: the week view, the top bar, the manage screens
(schedules, rotations, overrides, policies, rules and the preview), contact methods with "send a
test", the private calendar feed, the acknowledgement link, the desk's alerts and the ticket's
paging history; and who may see them (404 outside one's role)."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.oncall.models import (
    ContactKind,
    ContactMethod,
    Escalation,
    EscalationState,
    Override,
    PagingRule,
    Rotation,
)
from tests.factories import PASSWORD, make_person, open_ticket
from tests.oncall.conftest import method


@pytest.fixture
def admin(db):
    return make_person("root", Role.ADMIN, time_zone="Europe/Paris")


def login(client, person):
    assert client.login(username=person.username, password=PASSWORD)
    return client


def test_week_view_and_top_bar_show_who_is_on_call(client, world):
    login(client, world.bob)
    page = client.get(reverse("oncall_week")).content.decode()
    assert 'data-testid="oncall-week"' in page
    assert "Alice" in page and "Bob" in page
    assert 'data-testid="oncall-now"' in page  # the top bar of every desk page
    queue = client.get(reverse("desk_queue")).content.decode()
    assert 'data-testid="oncall-now"' in queue and reverse("oncall_now") in queue
    now = client.get(reverse("oncall_now")).content.decode()
    assert "Alice" in now and "Bob" in now


def test_customers_and_agents_do_not_reach_what_is_not_theirs(client, world):
    login(client, world.premium_customer)
    assert client.get(reverse("oncall_week")).status_code == 404
    assert client.get(reverse("oncall_alerts")).status_code == 404
    client.logout()
    login(client, world.bob)
    assert client.get(reverse("oncall_manage")).status_code == 404
    other = method(world.alice, ContactKind.BROWSER)
    assert client.post(reverse("oncall_method_delete", args=[other.pk])).status_code == 404


def test_manage_builds_a_follow_the_sun_schedule_and_previews_paging(client, world, admin):
    login(client, admin)
    r = client.post(reverse("oncall_manage_schedule_new"), {"name": "Sun", "time_zone": "Europe/Paris"})
    assert r.status_code == 302
    schedule = world.schedule.__class__.objects.get(name="Sun")
    r = client.post(
        reverse("oncall_manage_rotation_new", args=[schedule.pk]),
        {
            "name": "Paris",
            "tier": "primary",
            "time_zone": "Europe/Paris",
            "hand_off": "08:00",
            "length_days": 7,
            "start_date": "2026-01-05",
            "restrict_from": "08:00",
            "restrict_to": "20:00",
            "position": 0,
            "people": [world.alice.pk],
            "days": list(range(7)),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    r = client.post(
        reverse("oncall_manage_rotation_new", args=[schedule.pk]),
        {
            "name": "Montréal",
            "tier": "primary",
            "time_zone": "America/Montreal",
            "hand_off": "14:00",
            "length_days": 7,
            "start_date": "2026-01-05",
            "restrict_from": "14:00",
            "restrict_to": "02:00",
            "position": 1,
            "people": [world.bob.pk],
            "days": list(range(7)),
        },
    )
    assert r.status_code == 302
    assert Rotation.objects.get(schedule=schedule, name="Montréal").restrictions()
    # A refused rotation says why and stores nothing.
    r = client.post(
        reverse("oncall_manage_rotation_new", args=[schedule.pk]),
        {
            "name": "Bad",
            "tier": "primary",
            "time_zone": "Mars/Olympus",
            "hand_off": "08:00",
            "length_days": 0,
            "start_date": "2026-01-05",
            "position": 2,
            "people": [world.alice.pk],
        },
    )
    assert r.status_code == 200 and "Mars/Olympus" in r.content.decode()
    assert not Rotation.objects.filter(name="Bad").exists()
    r = client.post(
        reverse("oncall_manage_override_add", args=[schedule.pk]),
        {
            "tier": "primary",
            "person": world.carol.pk,
            "start": "2026-03-10T08:00",
            "end": "2026-03-11T08:00",
            "reason": "Alice is ill",
        },
    )
    assert Override.objects.get(schedule=schedule).start == dt.datetime(2026, 3, 10, 7, tzinfo=dt.UTC)
    # The week of 2 March 2026 in Paris: Paris by day, Montréal by night, end to end.
    week = {"schedule": schedule.pk, "week": "2026-03-02", "zone": "Europe/Paris"}
    page = client.get(reverse("oncall_week"), week).content.decode()
    assert "08:00–20:00</span> Alice" in page and "20:00–24:00</span> Bob" in page
    assert "00:00–08:00</span> Bob" in page and "07:00–08:00</span> nobody" not in page
    # The week of 9 March: Montréal has changed its clocks, Paris not yet: Montréal takes over at
    # 19:00 and leaves at 07:00 Paris time, an hour with nobody on call; Carol's override shows.
    page = client.get(reverse("oncall_week"), {**week, "week": "2026-03-09"}).content.decode()
    assert "08:00–19:00</span> Alice" in page and "07:00–08:00</span> nobody" in page
    assert "08:00–24:00</span> Carol" in page
    # Rules: Basic P2 pages in hours from now on, with a preview sentence.
    policy_url = reverse("oncall_manage_policy", args=[world.policy.pk])
    assert client.get(policy_url).status_code == 200
    r = client.post(
        reverse("oncall_manage_rule", args=["basic", "P2"]),
        {"mode": "business_hours", "triggers": ["opened", "breached"], "policy": world.policy.pk},
    )
    assert r.status_code == 302
    assert PagingRule.objects.get(plan="basic", priority="P2").triggers == ["opened", "breached"]
    r = client.get(
        reverse("oncall_manage_preview"),
        {"plan": "premium", "priority": "P1", "day": "2026-03-07", "time": "03:00", "zone": "Europe/Paris"},
    )
    sentence = r.content.decode()
    assert "A Premium P1 at Saturday 03:00 Paris time pages: at once Alice (primary)" in sentence
    assert "after 5 min Bob (secondary)" in sentence and "after 15 min Carol (team leads)" in sentence
    r = client.get(
        reverse("oncall_manage_preview"),
        {"plan": "basic", "priority": "P1", "day": "2026-03-07", "time": "03:00", "zone": "Europe/Paris"},
    )
    assert "at Monday 09:00 Alice (primary)" in r.content.decode()
    assert (
        "never pages"
        in client.get(
            reverse("oncall_manage_preview"),
            {
                "plan": "premium",
                "priority": "P4",
                "day": "2026-03-07",
                "time": "03:00",
                "zone": "Europe/Paris",
            },
        ).content.decode()
    )
    assert client.get(reverse("oncall_manage")).status_code == 200
    assert client.get(reverse("oncall_report")).status_code == 200


def test_contact_methods_send_a_test_through_the_outbox(client, world, http_receiver):
    login(client, world.bob)
    r = client.post(
        reverse("oncall_me"),
        {
            "method-kind": "apprise",
            "method-target": "nonsense",
            "method-delay_minutes": 0,
            "method-position": 0,
            "method-active": "on",
        },
    )
    assert r.status_code == 200 and "Apprise" in r.content.decode()
    assert not ContactMethod.objects.filter(person=world.bob).exists()
    r = client.post(
        reverse("oncall_me"),
        {
            "method-kind": "apprise",
            "method-target": f"ntfy://127.0.0.1:{http_receiver.port}/bob-pages",
            "method-delay_minutes": 2,
            "method-position": 1,
            "method-active": "on",
        },
    )
    assert r.status_code == 302
    m = ContactMethod.objects.get(person=world.bob)
    client.post(reverse("oncall_method_test", args=[m.pk]))
    hit = http_receiver.wait_for(1)[0]
    assert hit.path.startswith("/bob-pages") or hit.json().get("topic") == "bob-pages"
    m.refresh_from_db()
    assert m.last_test_result.startswith("OK")
    page = client.get(reverse("oncall_me")).content.decode()
    assert "OK" in page and "ntfy://127.0.0.1" in page


def test_private_calendar_feed_lists_the_persons_shifts(client, world):
    login(client, world.alice)
    page = client.get(reverse("oncall_me")).content.decode()
    url = page.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    path = url.replace("http://desk.test", "")
    client.logout()
    r = client.get(path)
    assert r["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = [c for c in cal.walk("VEVENT")]
    assert events and all("Support" in str(e["summary"]) for e in events)
    login(client, world.alice)
    client.post(reverse("oncall_feed_reset"))
    client.logout()
    assert client.get(path).status_code == 404  # the old address no longer works
    assert client.get(path[:-8] + "xx.ics").status_code == 404


def test_ack_link_desk_button_alerts_and_history(client, world):
    method(world.alice, ContactKind.BROWSER)
    ticket = open_ticket(world.premium_customer, "P1")
    login(client, world.alice)
    alerts = client.get(reverse("oncall_alerts")).json()["alerts"]
    assert len(alerts) == 1 and alerts[0]["title"].startswith("[P1]")
    assert client.get(reverse("oncall_alerts")).json()["alerts"] == []  # shown once
    page = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="paging-history"' in page and "oncall_ack" not in page
    client.logout()
    ack_path = alerts[0]["ack_url"].replace("http://desk.test", "")
    assert client.head(ack_path).status_code == 200  # a link preview changes nothing
    assert Escalation.objects.get(ticket=ticket).state == EscalationState.ACTIVE
    r = client.get(ack_path)
    assert r.status_code == 200 and "is yours" in r.content.decode()
    assert client.get(ack_path).status_code == 410
    # The desk's button on a second escalation.
    other = open_ticket(world.premium_customer, "P2")
    esc = Escalation.objects.get(ticket=other)
    login(client, world.bob)
    client.post(reverse("oncall_ack_desk", args=[esc.pk]))
    esc.refresh_from_db()
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by == world.bob


def test_on_call_pages_have_no_inline_script_or_style(client, world, admin):
    from tests.web.test_csp import check

    ticket = open_ticket(world.premium_customer, "P1")
    login(client, admin)
    urls = [
        reverse("oncall_week"),
        reverse("oncall_me"),
        reverse("oncall_now"),
        reverse("oncall_manage"),
        reverse("oncall_manage_schedule", args=[world.schedule.pk]),
        reverse("oncall_manage_rotation_new", args=[world.schedule.pk]),
        reverse("oncall_manage_policy", args=[world.policy.pk]),
        reverse("oncall_manage_rule", args=["premium", "P1"]),
        reverse("oncall_manage_preview"),
        reverse("oncall_report"),
        reverse("desk_ticket", args=[ticket.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not check(response.content.decode()).problems, url
