"""Delivery of the monthly statements: the scheduled job on the 1st, the bulk command (progress,
resume), the mail to the billing or main contact with the PDF attached, through the outbox, recorded
with a Message-ID although it is about no ticket."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.models import Organisation
from guichet.contracts.models import Plan
from guichet.mail.models import OutboundKind, OutboundMail, OutboundStatus
from guichet.ops.schedule import PERIODIC_JOBS
from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from guichet.sla.verify import verify
from guichet.statements import builder, production
from guichet.statements.builder import StatementError, produce, recipients
from guichet.statements.models import Statement
from tests.factories import make_org, make_person
from tests.mail.conftest import free_port

from .conftest import AS_OF, MONTH


class Sink:
    """A real SMTP server: the customer's side."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"


def test_the_statement_is_mailed_to_the_billing_contact_with_its_pdf_through_the_outbox(world, settings):
    from aiosmtpd.controller import Controller

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert recipients(world.acme) == [world.billing]

    statement, _ = produce(world.acme, MONTH, as_of=AS_OF)
    owed = Delivery.objects.get(key=f"statement.mail|{statement.pk}|{world.billing.pk}")
    assert owed.status == DeliveryStatus.PENDING and owed.ticket_id is None
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert relay.deliver(owed.key) == "delivered"
        assert relay.deliver(owed.key) != "delivered"  # once
    finally:
        controller.stop()
    record = OutboundMail.objects.get(kind=OutboundKind.STATEMENT)
    assert record.ticket_id is None and record.status == OutboundStatus.SENT
    assert record.to_address == world.billing.email and len(sink.received) == 1
    message = email.message_from_bytes(sink.received[0], policy=email.policy.default)
    assert message["Message-ID"].strip() == f"<{record.message_id}>"
    assert message["Auto-Submitted"] == "auto-generated" and message["X-Loop"]
    assert "Relevé SLA 2026-03" in message["Subject"]  # the billing contact reads French
    parts = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert parts["sla-statement-2026-03.pdf"].startswith(b"%PDF")
    attached = parts["sla-statement-2026-03.json"]
    assert verify(json.loads(attached)) is None


def test_without_a_billing_contact_the_main_contact_gets_it(world):
    world.billing.is_billing_contact = False
    world.billing.save()
    assert recipients(world.acme) == [world.other_contact]  # the first active contact with an address
    lonely = make_org("Lonely", Plan.BASIC)
    assert recipients(lonely) == []
    statement, _ = produce(lonely, MONTH, as_of=AS_OF)  # still produced and listed, mailed to no one
    assert statement.tickets == 0 and not Delivery.objects.filter(
        key__startswith=f"statement.mail|{statement.pk}|"
    )


def test_a_month_not_over_is_not_kept(world):
    with pytest.raises(StatementError, match="not over"):
        produce(world.acme, MONTH, as_of=dt.datetime(2026, 3, 31, 21, tzinfo=dt.UTC))
    with pytest.raises(StatementError, match="not a month"):
        produce(world.acme, "2026-13", as_of=AS_OF)
    assert not Statement.objects.exists()


def test_the_schedule_produces_last_month_on_the_first(world):
    job = next(j for j in PERIODIC_JOBS if j.name == "statements")
    assert job.task_path == "guichet.statements.tasks.produce_monthly_statements_task"
    # Huey evaluates the crontab on naive UTC datetimes.
    assert job.schedule(dt.datetime(2026, 4, 1, 14, 0)) and job.schedule(dt.datetime(2026, 4, 1, 23, 0))
    assert not job.schedule(dt.datetime(2026, 4, 1, 13, 0)) and not job.schedule(
        dt.datetime(2026, 4, 2, 14, 0)
    )
    assert production.previous_month(dt.datetime(2026, 4, 1, 14, tzinfo=dt.UTC)) == "2026-03"
    assert production.previous_month(dt.datetime(2026, 1, 1, 14, tzinfo=dt.UTC)) == "2025-12"
    from guichet.statements.tasks import produce_monthly_statements_task

    counts = produce_monthly_statements_task.call()
    # The task states the month before the real today; whatever it is, every organisation is done.
    assert counts["organisations"] == Organisation.objects.count() == counts["produced"] + counts["skipped"]


def test_many_organisations_in_one_command_with_progress_and_resume(world, monkeypatch):
    for i in range(4):
        make_person(f"c{i}", org=make_org(f"Org {i}", Plan.PREMIUM), password=None)
    real = builder.produce
    calls = []

    def flaky(organisation, month, **kw):
        calls.append(organisation.name)
        if organisation.name == "Org 2" and calls.count("Org 2") == 1:
            raise RuntimeError("disk full")
        return real(organisation, month, **kw)

    monkeypatch.setattr(production, "produce", flaky)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 statement"):
        call_command("statements", "--month", MONTH, stdout=io.StringIO(), stderr=err)
    assert "5/5 organisations (100 %)" in err.getvalue()
    assert Statement.objects.filter(month=MONTH).count() == 4
    out = io.StringIO()
    call_command("statements", "--month", MONTH, stdout=out, stderr=io.StringIO())  # resumes
    assert "1 produced, 4 already there, 0 failed" in out.getvalue()
    assert Statement.objects.filter(month=MONTH).count() == 5
    assert calls.count("Acme") == 1  # never produced twice
