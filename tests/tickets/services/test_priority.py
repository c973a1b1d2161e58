"""Priority changes (guichet/tickets/services/priority.py): downgrades need a reason and unanswered
contact attempts (R-PRIO-6); a raise starts a new target, never a later one."""

from __future__ import annotations

import pytest

from guichet.tickets import ledger, selectors, services
from guichet.tickets.models import AuditEntry, MessageKind, SlaState
from guichet.tickets.services import ServiceError
from tests.factories import event_kinds, open_for, paris

# --- R-PRIO-6: downgrade ------------------------------------------------------------------------


def test_R_PRIO_6_downgrade_needs_reason_and_unanswered_attempts(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    with pytest.raises(ServiceError, match="attempt"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable", at=paris(2, 10, 10))
    with pytest.raises(ServiceError):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="  ", at=paris(2, 10, 10))
    with pytest.raises(ServiceError):
        services.downgrade_priority(actor=premium_customer, ticket=ticket, reason="x")
    services.record_contact_attempt(
        actor=agent, ticket=ticket, channel="phone", note="voicemail", at=paris(2, 10, 5)
    )
    services.downgrade_priority(
        actor=agent, ticket=ticket, reason="No answer on the phone", at=paris(2, 10, 10)
    )
    assert ticket.priority == "P2" and ticket.original_priority == "P1"
    event = ticket.sla_events.get(kind="downgraded")
    assert event.reason == "No answer on the phone" and event.actor == agent
    assert [a["note"] for a in event.data["attempts"]] == ["voicemail"]
    # Recomputed from the original submission with P2's target (Premium: 1 h on 24x7).
    assert ticket.sla_due_at == paris(2, 11)
    # Shown to the customer.
    notice = selectors.visible_messages(premium_customer, ticket).filter(kind=MessageKind.AUTO).last()
    assert "P1" in notice.body and "P2" in notice.body and "No answer" in notice.body
    assert AuditEntry.objects.filter(ticket=ticket, action="ticket.priority_downgraded").exists()


def test_R_PRIO_6_p2_to_p3_switches_to_business_hours_and_p3_stops(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="email", at=paris(2, 10, 15))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="silent", at=paris(2, 10, 30))
    # P3 Premium: 4 h on the region's 8x5 from the submission.
    assert ticket.priority == "P3" and ticket.sla_due_at == paris(2, 14)
    assert ticket.sla_events.get(kind="downgraded").data["calendar"]["hours"] == "8x5"
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="email", at=paris(2, 10, 40))
    with pytest.raises(ServiceError, match="P1"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="again", at=paris(2, 10, 45))


def test_R_PRIO_6_customer_reply_resets_the_evidence(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 5))
    services.add_reply(actor=premium_customer, ticket=ticket, body="I am here")
    with pytest.raises(ServiceError, match="attempt"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable")


def test_R_PRIO_6_downgrade_keeps_a_missed_target(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 20))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="late", at=paris(2, 10, 45))
    assert ticket.sla_breached_at == paris(2, 10, 30)
    assert ticket.sla_state == SlaState.BREACHED


# --- Raise --------------------------------------------------------------------------------------


def test_raise_starts_new_target_at_the_raise(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(2, 10))
    assert ticket.sla_due_at == paris(5, 10)  # 24 business hours: Thursday 10:00
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P1", reason="outage", impact_confirmed=True, at=paris(2, 11)
    )
    assert ticket.priority == "P1" and ticket.sla_due_at == paris(2, 13)
    event = ticket.sla_events.get(kind="raised")
    # The P1 clock binds: it starts at the raise (the P4 one keeps running beside it).
    assert ticket.sla_clock_started_at == paris(2, 11) and event.reason == "outage"
    assert event.data["previous_due"] == ledger.iso(paris(5, 10))


def test_raise_never_moves_due_later(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P3", at=paris(2, 10))
    assert ticket.sla_due_at == paris(2, 14)
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P2", reason="worse", impact_confirmed=True, at=paris(2, 13, 30)
    )
    assert ticket.priority == "P2" and ticket.sla_due_at == paris(2, 14)
    assert ticket.sla_clock_started_at == paris(2, 10)  # the P3 clock still binds
    with pytest.raises(ServiceError, match="more urgent"):
        services.raise_priority(actor=agent, ticket=ticket, priority="P3", reason="x", at=paris(2, 13, 40))


def test_raise_to_p1_needs_confirmation(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    with pytest.raises(ServiceError, match="confirm"):
        services.raise_priority(actor=agent, ticket=ticket, priority="P1", reason="x", at=paris(2, 10, 30))
    ticket.refresh_from_db()
    assert ticket.priority == "P3" and "raised" not in event_kinds(ticket)


def test_R_PRIO_7_raise_to_p2_releases_held_replies(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(6, 16))
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(6, 19))
    assert reply.is_held
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P2", reason="worse", impact_confirmed=True, at=paris(6, 20)
    )
    reply.refresh_from_db()
    assert reply.delivered_at == paris(6, 20)
    assert reply in selectors.visible_messages(basic_customer, ticket)


def test_the_downgrade_notice_is_written_in_the_requesters_language(agent, premium_customer):
    """Stored text the customer reads: their language, whatever the agent's (like the acknowledgement)."""
    from django.utils import translation

    premium_customer.language = "fr"
    premium_customer.save()
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 5))
    with translation.override("en"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="injoignable", at=paris(2, 10, 10))
    notice = ticket.messages.filter(kind=MessageKind.AUTO).order_by("-created_at", "-id").first()
    assert notice.body.startswith("La priorité de votre demande a été rétrogradée de P1 à P2")
