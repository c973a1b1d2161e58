"""The agent queue: order by due time, filters, saved views, HTMX refresh, and a constant query count."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.tickets import services
from guichet.web.models import SavedView
from tests.factories import open_ticket


def ticket_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-ticket-id="(\d+)"', html)]


def test_queue_lists_open_tickets_by_due_time(client, world):
    p4 = open_ticket(world.customer, "P4", subject="Question")
    p1 = open_ticket(world.customer, "P1", subject="Down")
    p2 = open_ticket(world.customer, "P2", subject="Slow")
    closed = open_ticket(world.customer, "P3", subject="Old")
    services.change_status(actor=world.agent, ticket=closed, status="solved")
    client.force_login(world.agent)
    html = client.get(reverse("desk_queue")).content.decode()
    ids = ticket_ids(html)
    assert closed.pk not in ids
    # Premium: P1 due in 30 min, P2 in 1 h (24x7); P4 counts in business hours, later.
    assert ids.index(p1.pk) < ids.index(p2.pk) < ids.index(p4.pk)
    # Badges carry text, not only colour.
    assert ">P1</span>" in html and "Premium" in html


def test_filters(client, world):
    p1 = open_ticket(world.customer, "P1")
    basic = open_ticket(world.basic_customer, "P3")
    mine = open_ticket(world.other_customer, "P2")
    services.assign(actor=world.agent, ticket=mine, assignee=world.agent)
    client.force_login(world.agent)
    url = reverse("desk_queue")
    assert ticket_ids(client.get(url + "?priority=P1").content.decode()) == [p1.pk]
    assert ticket_ids(client.get(url + "?plan=basic").content.decode()) == [basic.pk]
    assert ticket_ids(client.get(url + f"?organisation={world.other.pk}").content.decode()) == [mine.pk]
    assert ticket_ids(client.get(url + "?scope=mine").content.decode()) == [mine.pk]
    assert mine.pk not in ticket_ids(client.get(url + "?assignee=none").content.decode())
    assert ticket_ids(client.get(url + f"?assignee={world.agent.pk}").content.decode()) == [mine.pk]
    # Premium P1 is due within 30 minutes; the others are not.
    assert p1.pk in ticket_ids(client.get(url + "?due_within=31").content.decode())
    assert basic.pk not in ticket_ids(client.get(url + "?due_within=31").content.decode())
    assert ticket_ids(client.get(url + "?breached=1").content.decode()) == []
    # A bad filter is reported and ignored, the page still works.
    response = client.get(url + "?due_within=-5")
    assert response.status_code == 200 and "not valid" in response.content.decode()


def test_htmx_refresh_returns_only_the_rows(client, world):
    open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    response = client.get(reverse("desk_queue"), headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-rows"')
    assert "<html" not in html and 'hx-trigger="every 30s"' in html


def test_queue_query_count_does_not_grow_with_tickets(client, world):
    client.force_login(world.agent)
    for _ in range(2):
        open_ticket(world.customer, "P2")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("desk_queue"))
    for i in range(12):
        customer = [world.customer, world.other_customer, world.basic_customer][i % 3]
        ticket = open_ticket(customer, ["P1", "P2", "P3", "P4"][i % 4])
        if i % 2:
            services.assign(actor=world.agent, ticket=ticket, assignee=world.lead)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("desk_queue")).content.decode()
    assert len(ticket_ids(html)) == 14
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


def test_saved_views(client, world):
    p1 = open_ticket(world.customer, "P1")
    open_ticket(world.customer, "P3")
    client.force_login(world.agent)
    response = client.post(reverse("desk_save_view"), {"name": "Urgent", "priority": "P1", "shared": "on"})
    view = SavedView.objects.get(owner=world.agent, name="Urgent")
    assert view.filters == {"priority": "P1"} and view.shared
    assert response.url == reverse("desk_queue") + f"?view={view.pk}"
    assert ticket_ids(client.get(response.url).content.decode()) == [p1.pk]
    # Another agent sees the shared view in the list.
    client.force_login(world.lead)
    assert "Urgent" in client.get(reverse("desk_queue")).content.decode()
    client.force_login(world.agent)
    client.post(reverse("desk_delete_view", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saving_a_view_without_a_name_is_refused(client, world):
    client.force_login(world.agent)
    client.post(reverse("desk_save_view"), {"name": "", "priority": "P1"})
    assert not SavedView.objects.exists()


def test_search_finds_subjects_and_messages(client, world):
    hit = open_ticket(world.customer, "P3", subject="Printer on fire", body="smoke everywhere")
    open_ticket(world.customer, "P3", subject="Something else")
    client.force_login(world.agent)
    assert ticket_ids(client.get(reverse("desk_search") + "?q=smoke").content.decode()) == [hit.pk]
    assert ticket_ids(client.get(reverse("desk_search") + "?q=printer").content.decode()) == [hit.pk]
    page = client.get(reverse("desk_search") + "?q=smoke").content.decode()
    assert "Matching messages" in page and "smoke everywhere" in page


def test_issue_11_defect_5_the_customers_office_hours_are_not_a_clock_state(client, world):
    """An "Outside business hours" badge on a Premium P1 whose 24 × 7 clock runs contradicted the
    clock: the customer's office hours are told as such, and only matter for P3/P4 (held replies)."""
    from guichet.contracts.models import Plan
    from tests.factories import make_org, make_person, night_zone

    org = make_org("Night Owl", Plan.PREMIUM, tz=night_zone())
    owl = make_person("owl", org=org, phone="+1 555 0100")
    p1 = open_ticket(owl, "P1", subject="Down at night")
    p3 = open_ticket(owl, "P3", subject="Question at night")
    client.force_login(world.agent)
    html = client.get(reverse("desk_queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = {t.pk: html[html.index(f'data-ticket-id="{t.pk}"') :].split("</tr>")[0] for t in (p1, p3)}
    assert "Outside business hours" not in html
    assert (
        ">Running</span>" in row[p1.pk] and "office closed" in row[p1.pk] and "Replies held" not in row[p1.pk]
    )
    assert "Replies held" in row[p3.pk] and ">Outside support hours</span>" in row[p3.pk]
