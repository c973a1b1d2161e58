"""R-CHAN-2 ingestion rules that need no server: bounces, storms, the pipe command, LMTP, the admin."""

from __future__ import annotations

import smtplib

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from guichet.mail.ingest import ingest_raw
from guichet.mail.models import InboundMessage, InboundStatus, OutboundKind, OutboundMail, OutboundStatus
from guichet.mail.smtpd import IngressController
from guichet.tickets.models import Ticket
from tests.mail.conftest import SUPPORT, free_port, mail

pytestmark = pytest.mark.django_db(transaction=True)


def bounce_for(message_id: str) -> bytes:
    return (
        b"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
        b"To: support@guichet.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-" + message_id.encode() + b">\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThe mailbox alice@acme.test is full.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n\r\n"
        b"Final-Recipient: rfc822; alice@acme.test\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@guichet.test\r\n"
        b"Message-ID: <" + message_id.encode() + b">\r\nSubject: [#1] x\r\n\r\n--B--\r\n"
    )


def test_R_CHAN_2_bounce_marks_our_mail_bounced_and_triggers_nothing(world, mailoutbox):
    ticket = ingest_raw(mail("alice@acme.test", "Hello", "x", message_id="<b0@c.test>"), source="t").ticket
    ack = OutboundMail.objects.get(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert len(mailoutbox) == 1
    row = ingest_raw(bounce_for(ack.message_id), source="t")
    assert row.status == InboundStatus.IGNORED and "report" in row.reason
    ack.refresh_from_db()
    assert ack.status == OutboundStatus.BOUNCED
    assert "mailbox alice@acme.test is full" in ack.reason
    assert Ticket.objects.count() == 1
    assert len(mailoutbox) == 1


def test_R_CHAN_2_a_storm_from_one_sender_is_bounded(world, mailoutbox, settings):
    settings.GUICHET_MAIL_SENDER_LIMIT = 4
    settings.GUICHET_MAIL_AUTO_LIMIT = 2
    rows = [
        ingest_raw(mail("bob@acme.test", f"Storm {n}", "again", message_id=f"<st{n}@c.test>"), source="t")
        for n in range(10)
    ]
    assert [r.status for r in rows] == ["processed"] * 4 + ["quarantined"] * 6
    assert "held for review" in rows[-1].reason
    assert Ticket.objects.count() == 4
    assert len(mailoutbox) == 2
    # Another sender is not affected.
    assert ingest_raw(mail("alice@acme.test", "Me too", "x"), source="t").status == "processed"


def test_R_CHAN_2_pipe_command_stores_or_asks_the_mta_to_retry(world, tmp_path, monkeypatch):
    path = tmp_path / "msg.eml"
    path.write_bytes(mail("alice@acme.test", "Piped", "via the MTA", message_id="<pipe@c.test>"))
    call_command("ingestmail", file=str(path))
    assert InboundMessage.objects.get(message_id="pipe@c.test").status == InboundStatus.PROCESSED

    def database_down(*args, **kwargs):
        raise DatabaseError("no database")

    monkeypatch.setattr("guichet.mail.management.commands.ingestmail.ingest_raw", database_down)
    with pytest.raises(SystemExit) as exited:
        call_command("ingestmail", file=str(path))
    assert exited.value.code == 75  # EX_TEMPFAIL: the MTA keeps the message


def test_R_CHAN_2_lmtp_ingress_accepts_mail_for_the_support_address(world, settings):
    port = free_port()
    controller = IngressController(hostname="127.0.0.1", port=port, lmtp=True)
    controller.start()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            refused = client.sendmail(
                "alice@acme.test",
                [SUPPORT],
                mail("alice@acme.test", "By LMTP", "x", message_id="<lm@c.test>"),
            )
        assert refused == {}
    finally:
        controller.stop()
    row = InboundMessage.objects.get(message_id="lm@c.test")
    assert (row.source, row.status) == ("lmtp", InboundStatus.PROCESSED)


def test_R_CHAN_2_admin_processes_a_quarantined_mail_again(world, client, settings):
    settings.GUICHET_MAIL_SENDER_LIMIT = 0
    row = ingest_raw(mail("alice@acme.test", "Held", "x", message_id="<adm@c.test>"), source="t")
    assert row.status == InboundStatus.QUARANTINED
    admin = world.agent
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    listing = client.get(reverse("admin:mail_inboundmessage_changelist"))
    assert listing.status_code == 200
    assert b"alice@acme.test" in listing.content
    response = client.post(
        reverse("admin:mail_inboundmessage_changelist"),
        {"action": "process_again", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == InboundStatus.PROCESSED and row.ticket is not None


@pytest.mark.postgres_only
def test_R_CHAN_2_concurrent_deliveries_of_one_message_have_one_effect(world, mailoutbox):
    """Eight deliveries of the same mail at the same instant (MTA retries racing the poller)."""
    import threading

    from django.db import connections

    raw = mail("alice@acme.test", "Race", "same mail", message_id="<race@c.test>")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            ingest_raw(raw, source="t")
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert InboundMessage.objects.count() == 1
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1
    assert OutboundMail.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (
            ["mx.guichet.test; spf=pass smtp.mailfrom=acme.test; dmarc=pass header.from=acme.test"],
            "processed",
        ),
        (["mx.guichet.test; dmarc=fail (p=reject) header.from=acme.test"], "quarantined"),
        # Forged by the sender: another server's verdict does not count.
        (["mx.evil.test; dmarc=pass header.from=acme.test"], "quarantined"),
        ([], "quarantined"),
    ],
)
def test_R_CHAN_2_with_an_authserv_id_only_dmarc_aligned_mail_reaches_tickets(
    world, settings, results, expected
):
    settings.GUICHET_MAIL_AUTHSERV_ID = "mx.guichet.test"
    raw = mail("alice@acme.test", "Signed?", "x", message_id="<dm@c.test>")
    for value in results:
        raw = f"Authentication-Results: {value}\r\n".encode() + raw
    row = ingest_raw(raw, source="t")
    assert row.status == expected, row.reason
    if expected == "quarantined":
        assert "not authenticated" in row.reason
        assert Ticket.objects.count() == 0
        # An admin who knows the customer lets it through.
        from guichet.mail.ingest import reprocess

        assert reprocess(row.pk).status == InboundStatus.PROCESSED


def test_R_PLAN_3_a_mail_processed_late_counts_from_its_reception(world):
    import datetime as dt

    from guichet.mail.ingest import process_inbound, store_raw

    stored = store_raw(mail("alice@acme.test", "Slow path", "x", message_id="<late@c.test>"), source="t")
    # Processing ran 20 minutes after the ingress stored the mail (e.g. after a retry).
    received = stored.message.created_at - dt.timedelta(minutes=20)
    InboundMessage.objects.filter(pk=stored.message.pk).update(created_at=received)
    ticket = process_inbound(stored.message.pk).ticket
    assert ticket.submitted_at == received
    assert ticket.sla_events.get(kind="applied").at == received
