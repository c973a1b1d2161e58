"""Background work: the scheduled tasks call the sweeps (the SLA alerts they cause: tests/mail)."""

from __future__ import annotations

from guichet.tickets import tasks
from guichet.tickets.models import SlaState
from tests.factories import open_for, paris


def test_scheduled_sweep_runs_the_real_sweep(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    counts = tasks.sweep_sla_task.call()
    assert counts["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert tasks.deliver_held_messages_task.call() == 0
