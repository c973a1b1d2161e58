"""Alerts the mail channel sends for the SLA (guichet.mail.notifications): to the right people, in
their language and time zone, once."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.mail.notifications import send_sla_alert
from guichet.outbox.relay import Permanent
from guichet.tickets import services, tasks
from guichet.tickets.models import Ticket
from tests.factories import open_for, paris

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
