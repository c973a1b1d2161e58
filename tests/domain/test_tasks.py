"""Background work: the scheduled tasks call the sweeps; notifications reach the right people."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.mail.notifications import send_sla_alert
from guichet.outbox.relay import Permanent
from guichet.tickets import tasks
from guichet.tickets.models import SlaState, Ticket

from .test_services import open_, paris


def test_scheduled_sweep_runs_the_real_sweep(agent, premium_customer):
    ticket = open_(agent, premium_customer, "P1", at=paris(2, 10))
    counts = tasks.sweep_sla_task.call()
    assert counts["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert tasks.deliver_held_messages_task.call() == 0


def test_sla_alert_goes_to_the_assignee_in_their_zone(db, agent, premium_customer, lead):
    from guichet.tickets import services

    agent.time_zone = "America/Montreal"
    agent.save()
    ticket = open_(agent, premium_customer, "P1", at=paris(2, 10))
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
