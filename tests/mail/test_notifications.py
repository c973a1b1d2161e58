"""Alerts the mail channel sends for the SLA (guichet.mail.notifications): to the right people, in
their language and time zone, once."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.mail.models import OutboundKind, OutboundMail
from guichet.mail.notifications import send_sla_alert
from guichet.outbox.models import Delivery
from guichet.outbox.relay import Permanent
from guichet.tickets import services, tasks
from guichet.tickets.models import Ticket
from tests.factories import open_for, open_ticket, paris

# Besides this folder's mail settings, the desk's settings of tests/tickets (fixed SLA thresholds, ...).
pytestmark = pytest.mark.usefixtures("desk_settings")


def test_sla_alert_goes_to_the_assignee_in_their_zone(db, agent, premium_customer, lead):
    agent.time_zone = "America/Montreal"
    agent.save()
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.assign(actor=lead, ticket=ticket, assignee=agent, at=paris(2, 10, 1))
    mail.outbox.clear()
    # The sweep records the breach; the alert owed goes to the assignee only, once.
    assert tasks.sweep_sla_task.call()["breached"] == 1
    assert [m.to for m in mail.outbox] == [[agent.email]]
    body = mail.outbox[0].body
    assert "missed" in body and "America/Montreal" in body and "04:30" in body  # 10:30 Paris
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"
    due = ticket.sla_events.get(kind="breached").at.isoformat()
    assert send_sla_alert(ticket.pk, "breached", due, agent.pk) is True  # a retry: nothing sent twice
    assert len(mail.outbox) == 1
    with pytest.raises(Permanent):
        send_sla_alert(Ticket.objects.order_by("-pk").first().pk + 1, "breached", due, agent.pk)


def test_without_an_assignee_every_active_lead_is_alerted_in_their_language(
    db, agent, premium_customer, lead
):
    from tests.factories import make_person

    other = make_person("lead.fr", role="lead", language="fr")
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    mail.outbox.clear()
    assert tasks.sweep_sla_task.call()["breached"] == 1
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert set(by_address) == {lead.email, other.email}
    assert "missed" in by_address[lead.email] and "pas été tenu" in by_address[other.email]
    assert f"n° {ticket.pk} " in by_address[other.email]


# --- Acknowledgements of tickets opened elsewhere than by mail (issue 11, defect 10) -------------------


def _acknowledgements(ticket) -> list:
    return [m for m in mail.outbox if m.to == [ticket.requester.email] and f"#{ticket.pk}" in m.subject]


def test_a_ticket_opened_on_the_portal_is_acknowledged_by_mail_with_its_due_time(
    db, premium_customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(premium_customer, "P1", subject="Nobody can log in")
    [ack] = _acknowledgements(ticket)
    assert f"opened ticket #{ticket.pk}" in ack.body and "Nobody can log in" in ack.body
    assert "Our first response is due by" in ack.body and premium_customer.time_zone in ack.body
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    # The automatic message on the ticket is the one the mail was recorded against.
    record = OutboundMail.objects.get(to_address=premium_customer.email, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert record.ticket_id == ticket.pk and record.ticket_message.kind == "auto"


def test_a_ticket_opened_through_the_api_is_acknowledged_in_the_requesters_language(
    db, premium_org, django_capture_on_commit_callbacks
):
    from django.test import Client

    from guichet.accounts.models import ApiToken
    from tests.factories import make_person

    marie = make_person("marie", org=premium_org, language="fr", time_zone="Europe/Paris")
    _token, secret = ApiToken.issue(marie, "tests")
    body = {"subject": "Export impossible", "body": "Le bouton ne répond plus.", "priority": "P3"}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/tickets",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"},
        )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    [ack] = _acknowledgements(ticket)
    assert f"n° {ticket.pk}" in ack.body and "Export impossible" in ack.body
    assert "We received" not in ack.body  # hers is French, whatever language the client asked for


def test_a_mail_ticket_gets_only_the_ingress_acknowledgement(db, agent, premium_customer):
    """The mail channel's own threaded acknowledgement answers mail; none is added on opening."""
    open_for(agent, premium_customer, "P3", channel="email", at=paris(2, 10))
    assert not Delivery.objects.filter(kind="mail.opened").exists()
