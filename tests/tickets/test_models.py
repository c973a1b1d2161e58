"""The ticket models: the SLA ledger and the audit trail are append-only."""

from __future__ import annotations

import pytest

from guichet.tickets.models import AuditEntry, SlaEvent
from tests.factories import open_for


def test_sla_events_and_audit_refuse_update_and_delete(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    event = SlaEvent.objects.filter(ticket=ticket).first()
    entry = AuditEntry.objects.filter(ticket=ticket).first()
    for row in (event, entry):
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
        with pytest.raises(ValueError, match="append-only"):
            type(row).objects.filter(pk=row.pk).update(reason="rewritten")
        with pytest.raises(ValueError, match="append-only"):
            type(row).objects.filter(pk=row.pk).delete()
