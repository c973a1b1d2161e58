"""Replies, notes, calls and contact attempts (guichet/tickets/services/conversation.py): what
counts as a first response (R-PLAN-3, R-PLAN-4), calls for Premium only (R-PLAN-2), the outbound
contact window (R-PRIO-7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from guichet.contracts.models import Plan
from guichet.tickets import selectors, services
from guichet.tickets.models import MessageKind, SlaState, Status
from guichet.tickets.services import ServiceError
from tests.factories import event_kinds, make_org, make_person, open_for, paris

# --- R-PLAN-2: calls for Premium only -----------------------------------------------------------


def test_R_PLAN_2_premium_phone_accepted_and_call_logged(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P3", channel="phone")
    assert ticket.channel == "phone"
    call = services.log_call(
        actor=agent,
        ticket=ticket,
        caller="Pat",
        phone_number="+33 1 23 45 67 89",
        duration_seconds=300,
        summary="Walked them through it",
        at=paris(2, 10, 20),
    )
    assert call.kind == MessageKind.CALL
    assert ticket.first_response_at == paris(2, 10, 20) and ticket.sla_state == SlaState.FULFILLED


def _call(agent, ticket, at, **kw):
    return services.log_call(
        actor=agent,
        ticket=ticket,
        caller="Pat",
        phone_number="+33 1 23 45 67 89",
        duration_seconds=60,
        summary="Talked it through",
        at=at,
        **kw,
    )


def test_R_PRIO_7_an_outbound_call_outside_business_hours_on_p3_is_refused_an_inbound_one_logged(
    agent, premium_customer
):
    """Issue 11, defect 6: such a call used to pass without a word."""
    saturday = paris(7, 10)
    ticket = open_for(agent, premium_customer, "P3", at=saturday)
    with pytest.raises(ServiceError, match="business hours") as refusal:
        _call(agent, ticket, saturday + dt.timedelta(hours=1))  # outbound unless said otherwise
    assert refusal.value.code == "outside_hours"
    assert not ticket.messages.filter(kind=MessageKind.CALL).exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    # The customer called us: allowed at any time, recorded as such, and it is a response.
    call = _call(agent, ticket, saturday + dt.timedelta(hours=1), inbound=True)
    assert call.kind == MessageKind.CALL and ticket.sla_state == SlaState.FULFILLED
    assert ticket.audit.get(action="message.call").changes["inbound"] is True


def test_R_PRIO_7_outbound_calls_are_fine_in_business_hours_and_on_p1(agent, premium_customer):
    p3 = open_for(agent, premium_customer, "P3", at=paris(2, 10))
    assert _call(agent, p3, paris(2, 11)).kind == MessageKind.CALL  # Monday 11:00: open
    p1 = open_for(agent, premium_customer, "P1", at=paris(7, 10))
    assert _call(agent, p1, paris(7, 10, 5)).kind == MessageKind.CALL  # P1: no contact window


def test_R_PLAN_2_basic_call_log_refused(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    with pytest.raises(ServiceError, match="Premium"):
        services.log_call(
            actor=agent, ticket=ticket, caller="x", phone_number="+331234567", duration_seconds=1, summary="s"
        )
    assert not ticket.messages.filter(kind=MessageKind.CALL).exists()
    assert ticket.first_response_at is None


# --- R-PLAN-3, R-PLAN-4: what counts as a first response, met or late ---------------------------


def test_R_PLAN_3_only_a_human_public_response_counts(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    assert ticket.messages.filter(kind=MessageKind.AUTO).count() == 1  # the acknowledgement
    services.add_note(actor=agent, ticket=ticket, body="internal", at=paris(2, 10, 5))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 10, 6))
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_THIRD_PARTY, at=paris(2, 10, 7))
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.sla_state == SlaState.RUNNING
    assert "fulfilled" not in event_kinds(ticket)
    services.add_reply(actor=agent, ticket=ticket, body="Here is the fix", at=paris(2, 11))
    assert ticket.first_response_at == paris(2, 11)
    assert event_kinds(ticket)[-1] == "fulfilled"
    assert ticket.next_sla_event_at is None


def test_R_PLAN_3_customer_reply_is_not_a_response(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    services.add_reply(actor=basic_customer, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_R_PLAN_3_held_reply_counts_when_written(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(6, 16))
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(7, 11))  # Saturday
    assert reply.is_held and reply.deliver_at == paris(9, 9)
    assert ticket.first_response_at == paris(7, 11)


def test_R_PLAN_4_met_and_late_are_measured(agent, premium_customer):
    met = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.add_reply(actor=agent, ticket=met, body="ok", at=paris(2, 10, 59))
    late = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.add_reply(actor=agent, ticket=late, body="sorry", at=paris(2, 11, 1))
    assert met.sla_state == SlaState.FULFILLED
    assert late.sla_state == SlaState.FULFILLED_LATE
    assert late.sla_breached_at == paris(2, 11)
    assert event_kinds(late)[-2:] == ["breached", "fulfilled"]


# --- R-PRIO-7: outbound contact window ----------------------------------------------------------


def test_R_PRIO_7_p3_reply_outside_hours_is_held_until_opening(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(6, 16))
    mail.outbox.clear()
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(6, 19))
    assert reply.deliver_at == paris(9, 9) and reply.delivered_at is None
    assert services.contact_window(ticket, paris(6, 19)) == paris(9, 9)
    assert not mail.outbox
    assert reply not in selectors.visible_messages(basic_customer, ticket)
    assert reply in selectors.visible_messages(agent, ticket)  # the agent sees when it will go out
    assert services.deliver_held_messages(now=paris(9, 8, 59)) == 0
    assert services.deliver_held_messages(now=paris(9, 9)) == 1
    assert services.deliver_held_messages(now=paris(9, 9, 1)) == 0  # once
    reply.refresh_from_db()
    assert reply.delivered_at == paris(9, 9)
    assert reply in selectors.visible_messages(basic_customer, ticket)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [basic_customer.email]
    assert "Answer" in mail.outbox[0].body


def test_R_PRIO_7_p1_reply_goes_out_at_night(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P1", at=paris(6, 16))
    mail.outbox.clear()
    reply = services.add_reply(actor=agent, ticket=ticket, body="Working on it", at=paris(6, 22))
    assert reply.deliver_at is None and reply.delivered_at == paris(6, 22)
    assert len(mail.outbox) == 1


def test_R_PRIO_7_no_contact_attempt_outside_hours_on_p4(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(6, 16))
    with pytest.raises(ServiceError, match="business hours"):
        services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(7, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(9, 10))


def test_reply_mail_in_customer_language(agent, db):
    org = make_org("Fr", Plan.BASIC)
    client = make_person("client", org=org, language="fr")
    ticket = open_for(agent, client, "P1", at=paris(2, 10), contact_phone="+33 1 11 11 11 11")
    mail.outbox.clear()
    services.add_reply(actor=agent, ticket=ticket, body="Bonjour", at=paris(2, 10, 30))
    assert len(mail.outbox) == 1 and "Bonjour" in mail.outbox[0].body
