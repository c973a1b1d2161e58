"""Alerts the mail channel sends for the SLA (guichet.mail.notifications): to the right people, in
their language."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.mail.notifications import send_sla_alert
from guichet.tickets import services
from guichet.tickets.models import Ticket
from tests.factories import open_for, paris

# Besides this folder's mail settings, the desk's settings of tests/tickets (fixed SLA thresholds, ...).
pytestmark = pytest.mark.usefixtures("desk_settings")


def test_sla_alert_goes_to_the_assignee_in_their_language(db, agent, premium_customer, lead):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.assign(actor=lead, ticket=ticket, assignee=agent, at=paris(2, 10, 1))
    mail.outbox.clear()
    assert send_sla_alert.call(ticket.pk, "breached") == 1
    assert mail.outbox[0].to == [agent.email] and "missed" in mail.outbox[0].body
    assert send_sla_alert.call(Ticket.objects.order_by("-pk").first().pk + 1, "breached") == 0
