"""R-PLAN-4: the per-ticket proof: target committed, due instant, met or not, and the ledger."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from guichet.reports import outcomes
from guichet.reports.statements import ticket_sla_statement
from guichet.tickets import services
from guichet.tickets.models import Ticket
from guichet.tickets.selectors import OPERATOR, get_ticket

from .conftest import at


def test_R_PLAN_4_statement_of_a_met_ticket_across_the_dst_change(desk):
    statement = ticket_sla_statement(desk.t("a5"), person=OPERATOR)
    # P3 on Acme's Paris business hours: sent Saturday 28 March, clocks go forward on Sunday 29;
    # four business hours from Monday 09:00 CEST end at 13:00 CEST = 11:00 UTC.
    assert statement.target_minutes == 240
    assert statement.due_at == at(3, 30, 11)
    assert statement.first_response_at == at(3, 30, 10, 30)
    assert statement.outcome == outcomes.MET and statement.met is True
    assert statement.business_minutes_used == 210.0
    assert statement.zone == "Europe/Paris"
    assert statement.contract_reference == "Q-ACME"
    assert [e.kind for e in statement.events] == ["applied", "fulfilled"]
    assert statement.events[0].due_at == at(3, 30, 11)
    assert statement.events[0].data["target_seconds"] == 240 * 60


def test_R_PLAN_4_statement_of_a_late_answer_keeps_the_breach(desk):
    statement = ticket_sla_statement(desk.t("a2"), person=OPERATOR)
    assert statement.outcome == outcomes.MISSED_LATE and statement.met is False
    assert statement.due_at == at(3, 20, 10, 30)
    assert statement.breached_at == at(3, 20, 10, 30)
    assert [e.kind for e in statement.events] == ["applied", "breached", "fulfilled"]
    assert statement.business_minutes_used == 60.0
    data = statement.as_dict()
    assert data["met"] is False
    assert data["due_at"] == "2026-03-20T10:30:00+00:00"
    assert json.loads(json.dumps(data)) == data


def test_R_PLAN_4_statement_of_a_downgrade_shows_the_recomputed_target(desk):
    ticket = desk.t("a4")
    services.record_contact_attempt(
        actor=desk.agent, ticket=ticket, channel="phone", note="no answer", at=at(4, 15, 8, 10)
    )
    services.downgrade_priority(
        actor=desk.agent, ticket=ticket, reason="customer unreachable", at=at(4, 15, 8, 20)
    )
    statement = ticket_sla_statement(desk.t("a4"), person=OPERATOR, as_of=at(4, 15, 8, 30))
    # P2 → P3: recomputed from the submission with 4 business hours on Paris office hours
    # (Wednesday 15 April 10:00 CEST → 14:00 CEST = 12:00 UTC).
    assert (statement.original_priority, statement.priority) == ("P2", "P3")
    assert statement.target_minutes == 240
    assert statement.due_at == at(4, 15, 12)
    assert statement.outcome == outcomes.OPEN and statement.met is None
    downgrade = statement.events[-1]
    assert downgrade.kind == "downgraded"
    assert downgrade.reason == "customer unreachable"
    assert downgrade.actor == str(desk.agent)


def test_R_PLAN_4_statement_without_sla(desk):
    statement = ticket_sla_statement(desk.t("b0"), person=OPERATOR)
    assert statement.outcome == outcomes.NO_SLA
    assert statement.met is None
    assert statement.target_minutes is None and statement.due_at is None
    assert statement.business_minutes_used is None
    assert [e.kind for e in statement.events] == ["no_sla", "fulfilled"]


def test_R_PLAN_4_statement_only_for_visible_tickets(desk):
    # Statements fetch their ticket through the tickets selectors' tenancy rule.
    assert get_ticket(desk.acme_customer, desk.tickets["a1"].pk).pk == desk.tickets["a1"].pk
    with pytest.raises(Ticket.DoesNotExist):
        get_ticket(desk.acme_customer, desk.tickets["b1"].pk)
    assert get_ticket(desk.agent, desk.tickets["b1"].pk).pk == desk.tickets["b1"].pk
    assert get_ticket(OPERATOR, desk.tickets["b1"].pk).pk == desk.tickets["b1"].pk


def test_R_PLAN_4_cli_ticket_statement(desk, capsys):
    call_command("report", "ticket", str(desk.tickets["a5"].pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "met"
    assert data["due_at"] == "2026-03-30T11:00:00+00:00"
    call_command("report", "ticket", str(desk.tickets["a2"].pk))
    text = capsys.readouterr().out
    assert "Missed (answered late)" in text
    assert "breached" in text and "2026-03-20T10:30:00+00:00" in text


def test_R_PLAN_4_statement_time_is_utc_in_json(desk):
    data = ticket_sla_statement(desk.t("b1"), person=OPERATOR).as_dict()
    for key in ("submitted_at", "due_at", "first_response_at"):
        assert dt.datetime.fromisoformat(data[key]).utcoffset() == dt.timedelta(0)


def test_R_PLAN_4_customer_statement_hides_internal_event_data(desk):
    ticket = desk.t("a4")
    services.record_contact_attempt(
        actor=desk.agent,
        ticket=ticket,
        channel="phone",
        note="internal: CTO said ignore",
        at=at(4, 15, 8, 10),
    )
    services.downgrade_priority(
        actor=desk.agent, ticket=ticket, reason="customer unreachable", at=at(4, 15, 8, 20)
    )
    staff = ticket_sla_statement(desk.t("a4"), person=desk.agent).events[-1].data
    customer = ticket_sla_statement(desk.t("a4"), person=desk.acme_customer).events[-1].data
    assert staff["attempts"][0]["note"] == "internal: CTO said ignore"
    assert "contract_id" in staff
    assert customer["attempts"] == [{"at": staff["attempts"][0]["at"], "channel": "phone"}]
    assert "contract_id" not in customer and "policy" not in customer
    assert customer["target_seconds"] == 240 * 60 and customer["priority"] == "P3"
    assert "internal" not in json.dumps(ticket_sla_statement(ticket, person=desk.acme_customer).as_dict())
