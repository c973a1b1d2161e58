"""SLA edge cases found end to end (issue 8), each named after the requirement it enforces."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from guichet.contracts.models import Plan
from guichet.tickets import ledger, services
from guichet.tickets.models import SlaState, Ticket
from guichet.tickets.services import ServiceError
from tests.factories import make_org, make_person, open_for, paris

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_R_HOURS_a_sweep_exactly_at_the_due_instant_records_no_breach(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))  # 30 min on 24x7: due 10:30
    assert ticket.sla_due_at == paris(2, 10, 30)
    counts = services.sweep_sla(now=paris(2, 10, 30))
    assert counts["breached"] == 0
    # A reply at that same instant is met: the target is breached only strictly after it.
    services.add_reply(actor=agent, ticket=ticket, body="On it", at=paris(2, 10, 30))
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.FULFILLED and ticket.sla_breached_at is None
    assert not ticket.sla_events.filter(kind="breached").exists()


def test_R_HOURS_a_sweep_one_microsecond_after_the_due_instant_records_the_breach(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    assert services.sweep_sla(now=paris(2, 10, 30) + dt.timedelta(microseconds=1))["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached_at == paris(2, 10, 30)


def test_R_HOURS_checkledger_accepts_a_due_time_in_the_repeated_autumn_hour(agent, db):
    # Premium 24x7 Europe/Berlin P2 submitted at 02:30 (+02:00) the night the clocks go back: the
    # 1 h target ends at 02:30 again, in the repeated hour (+01:00).
    org = make_org("Berlin", Plan.PREMIUM, tz="Europe/Berlin", country="DE")
    customer = make_person("berliner", org=org, phone="+49 30 1234567")
    submitted = dt.datetime.fromisoformat("2026-10-25T02:30:00+02:00")
    ticket = open_for(agent, customer, "P2", at=submitted)
    assert ticket.sla_due_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    assert ticket.sla_due_at.astimezone(BERLIN).utcoffset() == dt.timedelta(hours=1)
    out = io.StringIO()
    call_command("checkledger", "--ticket", str(ticket.pk), stdout=out, stderr=io.StringIO())
    assert "0 differ" in out.getvalue()
    stored = Ticket.objects.get(pk=ticket.pk)
    replayed = ledger.cached_fields(ledger.replay(stored.sla_events.order_by("seq")))
    assert replayed == {name: getattr(stored, name) for name in ledger.CACHED_FIELDS}


def test_R_PRIO_6_each_downgrade_needs_its_own_attempt_after_the_previous_priority_change(
    agent, premium_customer
):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 5))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="no answer", at=paris(2, 10, 10))
    assert ticket.priority == "P2"
    # The attempt that justified P1 → P2 does not justify P2 → P3.
    with pytest.raises(ServiceError, match="attempt") as refused:
        services.downgrade_priority(actor=agent, ticket=ticket, reason="still nothing", at=paris(2, 10, 20))
    assert refused.value.code == "no_attempts"
    ticket.refresh_from_db()
    assert ticket.priority == "P2"
    # A new unanswered attempt after the first downgrade does.
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="email", at=paris(2, 10, 25))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="still nothing", at=paris(2, 10, 30))
    assert ticket.priority == "P3"
    second = ticket.sla_events.filter(kind="downgraded").order_by("seq").last()
    assert second is not None and [a["at"] for a in second.data["attempts"]] == [ledger.iso(paris(2, 10, 25))]


def test_R_PRIO_6_a_raise_also_asks_for_fresh_evidence(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 5))
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P1", reason="worse", impact_confirmed=True, at=paris(2, 10, 6)
    )
    with pytest.raises(ServiceError, match="attempt"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="gone", at=paris(2, 10, 7))
