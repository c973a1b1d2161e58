"""The customer portal: opening a ticket with the priority definitions and the due preview."""

from __future__ import annotations

import re

from django.urls import reverse

from guichet.contracts import priorities
from guichet.tickets.models import Ticket
from tests.factories import open_ticket


def refused(response) -> bool:
    """A refused form comes back as the page itself (200, so browsers log no error) with the reason shown."""
    html = response.content.decode()
    return response.status_code == 200 and ('class="errors"' in html or 'class="errorlist' in html)


def test_new_ticket_page_shows_every_priority_definition_and_example(client, world):
    client.force_login(world.customer)
    html = client.get(reverse("portal_new")).content.decode()
    for code in ("P1", "P2", "P3", "P4"):
        info = priorities.info(code)
        assert str(info.definition) in html and str(info.example) in html
    assert str(priorities.CONFIRMATION_TEXT) in html
    assert 'hx-get="/portal/new/due/"' in html


def test_due_preview_fragment_for_each_priority(client, world):
    client.force_login(world.customer)
    p1 = client.get(reverse("portal_due") + "?priority=P1").content.decode()
    assert "first response for a P1 ticket is due by" in p1 and "30 min" in p1
    p2 = client.get(reverse("portal_due") + "?priority=P2").content.decode()
    assert "Target: 1 h of support time" in p2
    assert "Choose a priority" in client.get(reverse("portal_due") + "?priority=P9").content.decode()


def test_opening_a_p1_needs_confirmation_then_shows_its_due_time(client, world):
    client.force_login(world.customer)
    data = {
        "subject": "Everything is down",
        "body": "No one can log in.",
        "priority": "P1",
        "contact_phone": "",
    }
    world.customer.phone = ""
    world.customer.save()
    refusal = client.post(reverse("portal_new"), data)
    assert refused(refusal) and not Ticket.objects.exists()
    assert "Everything is down" in refusal.content.decode()  # nothing typed is lost
    data |= {"impact_confirmed": "on", "contact_phone": "+33 6 12 34 56 78"}
    response = client.post(reverse("portal_new"), data)
    ticket = Ticket.objects.get()
    assert response.url == reverse("portal_ticket", args=[ticket.pk])
    page = client.get(response.url).content.decode()
    assert "Our response-time target" in page and "within 30 min" in page
    assert ticket.priority == "P1" and ticket.channel == "portal"


def test_phone_channel_only_for_premium(client, world):
    client.force_login(world.customer)
    assert 'id="phone-channel"' in client.get(reverse("portal_new")).content.decode()
    assert 'id="phone-channel"' in client.get(reverse("portal_plan")).content.decode()
    client.force_login(world.basic_customer)
    assert 'id="phone-channel"' not in client.get(reverse("portal_new")).content.decode()
    plan = client.get(reverse("portal_plan")).content.decode()
    assert 'id="phone-channel"' not in plan and "telephone" not in plan.lower()


def test_plan_page_lists_targets_hours_and_named_holidays(client, world):
    client.force_login(world.basic_customer)
    html = client.get(reverse("portal_plan")).content.decode()
    assert "Basic" in html and "Europe/Paris" in html
    # Basic targets, in hours of business time (never "1 d" for 24 business hours).
    for target in (">2 h</td>", ">12 h</td>", ">24 h</td>"):
        assert target in html
    # French public holidays, named in the reader's language.
    assert "Christmas Day" in html and "Noël" not in html
    world.basic_customer.language = "fr"
    world.basic_customer.save()
    html = client.get(reverse("portal_plan")).content.decode()
    assert "Noël" in html and "Christmas" not in html


def test_portal_in_french(client, world):
    world.customer.language = "fr"
    world.customer.save()
    client.force_login(world.customer)
    html = client.get(reverse("portal_tickets")).content.decode()
    assert '<html lang="fr">' in html


def test_customer_reply_and_list(client, world):
    ticket = open_ticket(world.customer, "P3", subject="Export question")
    client.force_login(world.customer)
    assert "Export question" in client.get(reverse("portal_tickets")).content.decode()
    response = client.post(reverse("portal_reply", args=[ticket.pk]), {"body": "Any news?"})
    assert response.status_code == 302
    assert "Any news?" in client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    # A refused reply comes back on the ticket's own page (not the reply's POST address).
    refusal = client.post(reverse("portal_reply", args=[ticket.pk]), {"body": " "}, follow=True)
    assert refused(refusal) and refusal.request["PATH_INFO"] == reverse("portal_ticket", args=[ticket.pk])


def test_ticket_page_refreshes_the_conversation_without_the_reply_form(client, world):
    from guichet.tickets import services

    ticket = open_ticket(world.customer, "P2", subject="Slow")
    client.force_login(world.customer)
    services.add_reply(actor=world.agent, ticket=ticket, body="Looking now")
    response = client.get(
        reverse("portal_ticket", args=[ticket.pk]),
        headers={"HX-Request": "true", "HX-Target": "ticket-follow"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-follow"') and "Looking now" in html
    assert "<form" not in html and "Met" in html


def test_issue_11_defect_7_the_plan_page_shows_the_customers_own_hours_zone_holidays_and_address(
    client, world, settings
):
    settings.GUICHET_SUPPORT_ADDRESS = "help@vendor.test"
    client.force_login(world.other_customer)  # Premium, North America, New York, US holidays
    html = client.get(reverse("portal_plan"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Plan default" not in html
    hours = html[html.index('id="business-hours"') :]
    assert "Monday to Friday, 09:00–17:00, America/New_York time, public holidays (US) excluded" in hours
    assert "24 × 7: every hour of every day" in html[html.index('id="support-hours"') :]
    assert 'href="mailto:help@vendor.test"' in html
    assert "Thanksgiving" in html or "Christmas Day" in html  # the country's own holidays, named


def test_issue_11_defect_2_a_held_answer_is_answered_not_met_until_it_is_delivered(client, world):
    import datetime as dt

    from guichet.tickets import services
    from tests.factories import PARIS

    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=PARIS)
    ticket = services.open_ticket(
        actor=world.agent,
        requester=world.customer,
        subject="Export question",
        body="How do I export?",
        priority="P3",
        channel="email",
        submitted_at=saturday,
    )
    services.add_reply(
        actor=world.agent, ticket=ticket, body="Here is how.", at=saturday + dt.timedelta(hours=1)
    )
    world.customer.time_zone = "Europe/Paris"
    world.customer.save()
    client.force_login(world.customer)
    for url in (reverse("portal_tickets"), reverse("portal_ticket", args=[ticket.pk])):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert ">Answered</span> – delivered Mon 23 Nov 2026, 09:00 CET" in html, url
        assert ">Met<" not in html, url
    services.deliver_held_messages(now=dt.datetime(2026, 11, 23, 9, 0, tzinfo=PARIS))
    html = client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    assert ">Met</span>" in html and "Here is how." in html and ">Answered<" not in html


def test_issue_11_defect_9_french_elides_de_before_a_vowel(client, world):
    from django.utils import translation

    from guichet.web.templatetags.guichet_i18n import elide
    from tests.factories import make_org, make_person

    with translation.override("fr"):
        assert elide("Tickets de Atelier Basique") == "Tickets d'Atelier Basique"
        assert elide("Plan de Érable SARL") == "Plan d'Érable SARL"
        assert elide("Tickets de Lumière") == "Tickets de Lumière"
    with translation.override("en"):
        assert elide("Tickets de Atelier") == "Tickets de Atelier"  # French only
    atelier = make_org("Atelier Basique", "basic")
    client.force_login(make_person("claire", org=atelier, language="fr"))
    assert "<h1>Tickets d'Atelier Basique</h1>" in client.get(reverse("portal_tickets")).content.decode()
    assert (
        "<h1>Plan d'assistance d'Atelier Basique</h1>" in client.get(reverse("portal_plan")).content.decode()
    )


def test_issue_11_defect_5_the_due_time_is_said_once(client, world):
    """ "Due … (Due …)": the commitment card named the due time twice."""
    ticket = open_ticket(world.customer, "P2")
    client.force_login(world.customer)
    html = client.get(reverse("portal_ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card = html[html.index('id="commit-title"') :]
    card = re.sub(r"<[^>]+>", " ", card[: card.index("</section>")])
    assert len(re.findall(r"\bDue\b", card)) == 1, card
    assert "Waiting for our first response" in card
