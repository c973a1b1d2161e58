"""The agent's ticket page: actions go through the services; refusals are shown and change nothing."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from guichet.tickets.models import SlaState
from guichet.web.views.desk import delivery_hint
from tests.factories import PARIS, open_ticket


def refused(response) -> bool:
    """A refused form comes back as a page (200, so browsers log no error) with the reason shown."""
    html = response.content.decode()
    return response.status_code == 200 and ('class="errors"' in html or 'class="errorlist' in html)


def refused_on_the_ticket_page(client, url: str, data: dict, ticket):
    """Post an action that is refused: the browser ends on the ticket's own page (never on the
    action's address, where a reload would post again), which shows the form and the reason."""
    response = client.post(url, data, follow=True)
    assert refused(response), response.content.decode()[-2000:]
    assert response.redirect_chain and response.request["PATH_INFO"] == reverse(
        "desk_ticket", args=[ticket.pk]
    )
    return response


def test_reply_is_the_first_response_and_the_clock_shows_met(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    page = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    assert "Why is this due then?" in page and "SLA history" in page
    response = client.post(reverse("desk_reply", args=[ticket.pk]), {"body": "We are on it."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.FULFILLED
    page = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    assert "We are on it." in page and "First response given" in page
    assert "Audit trail" in page


def test_issue_11_defect_8_the_audit_trail_says_what_happened_in_words(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    client.post(reverse("desk_reply", args=[ticket.pk]), {"body": "We are on it."})
    page = client.get(reverse("desk_ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    trail = page[page.index('id="audit-title"') :]
    assert ">Ticket opened</strong>" in trail and ">Reply added</strong>" in trail
    # The raw codes are not what people read.
    assert ">ticket.opened<" not in trail and ">message.reply<" not in trail


def test_empty_reply_is_refused_with_a_message(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    response = refused_on_the_ticket_page(
        client, reverse("desk_reply", args=[ticket.pk]), {"body": ""}, ticket
    )
    assert 'id="reply-body"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.RUNNING


def test_downgrade_needs_a_contact_attempt_then_works_with_a_reason(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    url = reverse("desk_downgrade", args=[ticket.pk])
    # Issue 11, defect 8: the refusal leaves the browser on the ticket's page, not on the POST address.
    refusal = refused_on_the_ticket_page(client, url, {"reason": "Customer unreachable"}, ticket)
    html = refusal.content.decode()
    assert "attempt" in html and "Customer unreachable" in html  # the reason typed is kept
    assert '<details id="downgrade" open>' in html
    # Shown once: a reload shows the page without the refusal.
    assert "Customer unreachable" not in client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    client.post(reverse("desk_contact", args=[ticket.pk]), {"channel": "phone", "note": "No answer"})
    assert ticket.contact_attempts.count() == 1
    refused_on_the_ticket_page(client, url, {"reason": ""}, ticket)  # the reason is required
    response = client.post(url, {"reason": "Customer unreachable"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "P2"
    # The customer sees the downgrade and its reason (R-PRIO-6).
    client.force_login(world.customer)
    page = client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    assert "Customer unreachable" in page


def test_status_assign_raise_and_note(client, world):
    ticket = open_ticket(world.customer, "P3")
    client.force_login(world.agent)
    assert client.post(reverse("desk_status", args=[ticket.pk]), {"status": "open"}).status_code == 302
    assert (
        client.post(reverse("desk_assign", args=[ticket.pk]), {"assignee": world.lead.pk}).status_code == 302
    )
    response = client.post(
        reverse("desk_raise", args=[ticket.pk]),
        {"priority": "P2", "reason": "Spreading", "impact_confirmed": "on"},
    )
    assert response.status_code == 302
    assert client.post(reverse("desk_note", args=[ticket.pk]), {"body": "Looked at logs"}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.priority) == ("open", world.lead, "P2")
    assert ticket.messages.filter(kind="note", body="Looked at logs").exists()


def test_phone_calls_are_for_premium_only(client, world):
    premium = open_ticket(world.customer, "P2")
    basic = open_ticket(world.basic_customer, "P2")
    client.force_login(world.agent)
    assert "Log a phone call" in client.get(reverse("desk_ticket", args=[premium.pk])).content.decode()
    assert "Log a phone call" not in client.get(reverse("desk_ticket", args=[basic.pk])).content.decode()
    call = {
        "caller": "Paul",
        "phone_number": "+33 1 23 45 67 89",
        "duration_minutes": 5,
        "summary": "Fixed",
        "direction": "outbound",
    }
    assert client.post(reverse("desk_call", args=[premium.pk]), call).status_code == 302
    premium.refresh_from_db()
    assert premium.sla_state == SlaState.FULFILLED  # the call was the first response
    refused_on_the_ticket_page(client, reverse("desk_call", args=[basic.pk]), call, basic)
    assert not basic.messages.filter(kind="call").exists()


def test_reply_outside_business_hours_on_p3_is_held_and_shown_so(client, world):
    # Saturday 21 November 2026, 10:00 in Paris: outside the customer's business hours.
    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=PARIS)
    from guichet.tickets import services

    ticket = services.open_ticket(
        actor=world.agent,
        requester=world.customer,
        subject="Question",
        body="How do I export?",
        priority="P3",
        channel="email",
        submitted_at=saturday,
    )
    hint = delivery_hint(ticket, saturday + dt.timedelta(hours=1))
    assert hint == {"now": False, "at": dt.datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)}
    assert delivery_hint(ticket, dt.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)) == {"now": True}
    message = services.add_reply(
        actor=world.agent, ticket=ticket, body="Here is how.", at=saturday + dt.timedelta(hours=1)
    )
    assert message.is_held
    client.force_login(world.agent)
    page = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    # Issue 11, defect 5: a future delivery is not told in the past tense.
    assert "Held: will be delivered to the customer at Mon 23 Nov 2026" in page
    assert "(Mon 23 Nov 2026, 09:00 CET, their time)" in page
    assert "Held: delivered" not in page
    client.force_login(world.customer)
    assert "Here is how." not in client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    services.deliver_held_messages()
    assert "Here is how." in client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    client.force_login(world.agent)
    page = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    assert "held outside business hours" in page


def test_p1_has_no_delivery_hint(world):
    ticket = open_ticket(world.customer, "P1")
    assert delivery_hint(ticket, dt.datetime(2026, 11, 21, 10, 0, tzinfo=PARIS)) is None


def test_sla_panel_fragment_polls(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    html = client.get(reverse("desk_sla_panel", args=[ticket.pk])).content.decode()
    assert html.lstrip().startswith('<section id="sla-panel"')
    assert "data-remaining=" in html and "SLA applied" in html


def test_ticket_page_query_count_does_not_grow_with_messages(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guichet.tickets import services

    ticket = open_ticket(world.customer, "P2")
    client.force_login(world.agent)
    url = reverse("desk_ticket", args=[ticket.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        services.add_note(actor=world.agent, ticket=ticket, body=f"note {i}")
        services.add_reply(actor=world.customer, ticket=ticket, body=f"reply {i}")
    services.record_contact_attempt(actor=world.lead, ticket=ticket, channel="phone")
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert "note 5" in html and "reply 5" in html
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


def test_agent_opens_a_ticket_for_a_customer_and_phone_is_refused_for_basic(client, world):
    from guichet.tickets.models import Ticket

    client.force_login(world.agent)
    data = {
        "requester": "bc",
        "channel": "phone",
        "subject": "Called us",
        "body": "Printer down",
        "priority": "P3",
    }
    refusal = client.post(reverse("desk_new_ticket"), data)
    assert refused(refusal) and not Ticket.objects.filter(subject="Called us").exists()
    assert "Premium" in refusal.content.decode()  # the service's reason is shown
    response = client.post(reverse("desk_new_ticket"), data | {"channel": "email"})
    ticket = Ticket.objects.get(subject="Called us")
    assert response.url == reverse("desk_ticket", args=[ticket.pk]) and ticket.channel == "email"
    response = client.post(reverse("desk_new_ticket"), data | {"requester": "pc", "subject": "Premium call"})
    assert Ticket.objects.get(subject="Premium call").channel == "phone"
    assert refused(client.post(reverse("desk_new_ticket"), data | {"requester": "nobody"}))


def test_paused_clock_explanation_lists_the_running_periods(client, world, settings):
    from guichet.contracts.models import Contract
    from guichet.tickets import services

    Contract.objects.filter(organisation=world.premium).update(pause_when_waiting=True)
    ticket = open_ticket(world.customer, "P2")
    services.change_status(actor=world.agent, ticket=ticket, status="waiting_third_party")
    services.change_status(actor=world.agent, ticket=ticket, status="open")
    client.force_login(world.agent)
    html = client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()
    assert "Why is this due then?" in html
    assert "Clock paused" in html and "Clock resumed" in html
    # Two running periods (before and after the wait) and the pause between them, skipped.
    assert html.count('class="t-open"') == 2 and "Paused from" in html


def test_delivery_hint_fragment(client, world):
    p3 = open_ticket(world.customer, "P3")
    p1 = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    html = client.get(reverse("desk_hint", args=[p3.pk])).content.decode()
    assert 'id="delivery-hint"' in html and 'hx-trigger="every 60s"' in html
    assert ("delivered now" in html) != ("held and delivered at" in html)
    assert client.get(reverse("desk_hint", args=[p1.pk])).content.decode().strip() == ""
    client.force_login(world.customer)
    assert client.get(reverse("desk_hint", args=[p3.pk])).status_code == 404


def test_why_due_names_the_hours_in_the_readers_language(client, world):
    from django.utils import translation

    ticket = open_ticket(world.basic_customer, "P3")
    client.force_login(world.agent)
    url = reverse("desk_ticket", args=[ticket.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Worldwide (Monday–Friday 09:00–17:00), FR public holidays excluded" in html
    # The SLA core's own calendar name (English, for logs and the CLI) is not what people read.
    assert "8x5 worldwide" not in html
    client.cookies["django_language"] = "fr"
    try:
        html = client.get(url).content.decode()
    finally:
        translation.activate("en")
    assert "jours fériés FR exclus" in html and "8x5 worldwide" not in html


def test_issue_11_defect_6_a_call_on_p3_outside_business_hours_warns_and_asks_who_called(client, world):
    from guichet.contracts.models import Plan
    from tests.factories import make_org, make_person, night_zone

    org = make_org("Night Owl", Plan.PREMIUM, tz=night_zone())
    ticket = open_ticket(make_person("owl", org=org), "P3")
    client.force_login(world.agent)
    page = client.get(reverse("desk_ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="call-hint"' in page and "The desk calls them only from" in page
    assert 'value="inbound"' in page and 'value="outbound"' in page and "Who called?" in page
    call = {"caller": "Owl", "phone_number": "+1 555 0100", "duration_minutes": 3, "summary": "Asked"}
    url = reverse("desk_call", args=[ticket.pk])
    refusal = refused_on_the_ticket_page(client, url, call | {"direction": "outbound"}, ticket)
    assert "an outbound call cannot be logged now" in refusal.content.decode()
    refused_on_the_ticket_page(client, url, call, ticket)  # the question must be answered
    assert not ticket.messages.filter(kind="call").exists()
    assert client.post(url, call | {"direction": "inbound"}).status_code == 302
    assert ticket.messages.filter(kind="call").count() == 1
