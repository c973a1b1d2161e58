"""Background work: the scheduled tasks call the sweeps; notifications reach the right people."""

from __future__ import annotations

from django.core import mail

from guichet.mail.notifications import send_sla_alert
from guichet.tickets import tasks
from guichet.tickets.models import SlaState, Ticket
from tests.factories import open_for, paris


def test_scheduled_sweep_runs_the_real_sweep(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    counts = tasks.sweep_sla_task.call()
    assert counts["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert tasks.deliver_held_messages_task.call() == 0


def test_sla_alert_goes_to_the_assignee_in_their_language(db, agent, premium_customer, lead):
    from guichet.tickets import services

    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.assign(actor=lead, ticket=ticket, assignee=agent, at=paris(2, 10, 1))
    mail.outbox.clear()
    assert send_sla_alert.call(ticket.pk, "breached") == 1
    assert mail.outbox[0].to == [agent.email] and "missed" in mail.outbox[0].body
    assert send_sla_alert.call(Ticket.objects.order_by("-pk").first().pk + 1, "breached") == 0
