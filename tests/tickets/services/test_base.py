"""What every service shares (guichet/tickets/services/_base.py): the audit trail, refusals that
change nothing, and the scaffold of every change to a ticket (ticket_change)."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet.tickets import ledger, services
from guichet.tickets.models import AuditEntry, Message, SlaEvent, Status, Ticket
from guichet.tickets.services import ServiceError
from tests.factories import open_for, paris

# --- Audit trail and refusals -------------------------------------------------------------------


def test_every_service_writes_the_audit_trail(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.add_note(actor=agent, ticket=ticket, body="n", at=paris(2, 10, 1))
    services.assign(actor=agent, ticket=ticket, assignee=agent, at=paris(2, 10, 1))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 2))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="r", at=paris(2, 10, 3))
    services.add_reply(actor=agent, ticket=ticket, body="hi", at=paris(2, 10, 4))
    services.change_status(
        actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 10, 5), reason="done"
    )
    actions = list(AuditEntry.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == [
        "ticket.opened",
        "message.note",
        "ticket.assigned",
        "contact.attempt",
        "ticket.priority_downgraded",
        "message.reply",
        "ticket.status",
    ]
    assert all(entry.actor == agent for entry in AuditEntry.objects.filter(ticket=ticket))


def test_bad_input_changes_nothing(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    before = (Message.objects.count(), AuditEntry.objects.count(), SlaEvent.objects.count())
    for call in (
        lambda: services.add_reply(actor=agent, ticket=ticket, body="   "),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", channel="phone"),
        lambda: services.change_status(actor=agent, ticket=ticket, status="nope"),
        lambda: services.add_note(actor=basic_customer, ticket=ticket, body="x"),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", at=paris(1, 10)),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", at=dt.datetime(2026, 3, 2, 12)),
    ):
        with pytest.raises(ServiceError):
            call()
    assert (Message.objects.count(), AuditEntry.objects.count(), SlaEvent.objects.count()) == before


# --- The scaffold every change to a ticket shares (services._base.ticket_change) ----------------


def test_log_call_checks_the_plan_before_the_time(agent, basic_customer):
    """The check order of the scaffold: the plan (on the locked ticket), then the instant given."""
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    with pytest.raises(ServiceError) as exc:
        services.log_call(
            actor=agent,
            ticket=ticket,
            caller="x",
            phone_number="+331234567",
            duration_seconds=1,
            summary="s",
            at=paris(1, 10),  # before the submission: refused too, but second
        )
    assert exc.value.code == "phone_not_in_plan"


def test_ticket_change_saves_audits_and_refreshes_the_callers_instance(agent, basic_customer):
    from guichet.tickets.services._base import ticket_change

    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    with ticket_change(actor=agent, ticket=ticket, at=paris(2, 11)) as change:
        assert change.ticket is not ticket and change.at == paris(2, 11) and change.actor == agent
        change.ticket.subject = "Renamed"
        entry = change.audit("test.change", changes={"when": paris(2, 11)}, reason="why")
    assert ticket.subject == "Renamed" and ticket.updated_at == paris(2, 11)
    assert Ticket.objects.get(pk=ticket.pk).subject == "Renamed"
    assert (entry.ticket_id, entry.actor, entry.at, entry.reason) == (ticket.pk, agent, paris(2, 11), "why")
    assert entry.changes == {"when": ledger.iso(paris(2, 11))}  # made JSON as every audit entry


def test_ticket_change_refused_or_unaudited_changes_nothing(agent, basic_customer):
    from guichet.tickets.services._base import ticket_change

    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    audits = AuditEntry.objects.count()
    with pytest.raises(ServiceError), ticket_change(actor=agent, ticket=ticket, at=paris(2, 11)) as change:
        change.ticket.subject = "Renamed"
        change.audit("test.change")
        raise ServiceError("refused", code="test")
    # A change that forgets its audit entry is a bug: refused, rolled back.
    with (
        pytest.raises(RuntimeError, match="audit"),
        ticket_change(actor=agent, ticket=ticket, at=None) as change,
    ):
        change.ticket.subject = "Renamed"
    assert ticket.subject == "Cannot log in" and ticket.updated_at == paris(2, 10)
    assert Ticket.objects.get(pk=ticket.pk).subject == "Cannot log in"
    assert AuditEntry.objects.count() == audits


def test_an_oversized_attachment_is_refused_in_peoples_units(agent, premium_customer, settings):
    """Issue 11, defect 8: "at most 10485760 bytes" is not how people read a size."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    ticket = open_for(agent, premium_customer, "P3", at=paris(2, 10))
    big = SimpleUploadedFile("dump.bin", b"x" * (10 * 1024 * 1024 + 1))
    for language, size in (("en", "10.0\xa0MB"), ("fr", "10,0\xa0Mio")):
        with translation.override(language), pytest.raises(ServiceError) as refusal:
            services.add_reply(actor=agent, ticket=ticket, body="logs", attachments=[big])
        assert size in refusal.value.messages[0] and "10485760" not in refusal.value.messages[0]
