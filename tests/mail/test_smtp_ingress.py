"""R-CHAN-2 through the SMTP ingress: a real aiosmtpd server on 127.0.0.1, mail sent with smtplib.

The server stores each message before answering 250 and processes it afterwards, in its own
threads, so these tests use committed transactions (`transactional_db`) and wait for the outcome.
"""

from __future__ import annotations

import smtplib
import time
from email import message_from_bytes

import pytest
from django.db import DatabaseError

from guichet.mail.models import InboundMessage, InboundStatus, OutboundMail
from guichet.mail.smtpd import IngressController
from guichet.tickets import services
from guichet.tickets.models import Channel, Message, Ticket
from tests.mail.conftest import SUPPORT, free_port, mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_port(world, settings) -> int:
    settings.GUICHET_MAIL_MAX_BYTES = 200_000
    port = free_port()
    controller = IngressController(hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def send(port: int, raw: bytes, *, sender: str = "client@client.test", to: str = SUPPORT) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [to], raw)


def settled(message_id: str, timeout: float = 15) -> InboundMessage:
    """The stored message once processing is over (the server processes after its 250)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = InboundMessage.objects.filter(message_id=message_id).first()
        if row is not None and row.status != InboundStatus.RECEIVED:
            return row
        time.sleep(0.05)
    raise AssertionError(f"{message_id} not processed in {timeout}s: {row and row.reason}")


def wait_until(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_R_CHAN_2_mail_opens_a_ticket_and_a_reply_continues_it(smtp_port, world, mailoutbox):
    send(smtp_port, mail("Alice <alice@acme.test>", "Printer on fire", "It burns.", message_id="<m1@c.test>"))
    first = settled("m1@c.test")
    assert first.status == InboundStatus.PROCESSED, first.reason
    ticket = first.ticket
    assert (ticket.organisation, ticket.requester) == (world.acme, world.alice)
    assert (ticket.channel, ticket.priority, ticket.subject) == (Channel.EMAIL, "P3", "Printer on fire")
    assert first.ticket_message.body == "It burns."

    # The acknowledgement: auto-replied, threaded to the customer's mail, Message-ID recorded.
    wait_until(lambda: len(mailoutbox) >= 1)
    assert len(mailoutbox) == 1
    ack = message_from_bytes(mailoutbox[0].message().as_bytes())
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Loop"] == SUPPORT
    assert ack["In-Reply-To"] == "<m1@c.test>"
    assert ack["Subject"].startswith(f"[#{ticket.pk}]")
    recorded = OutboundMail.objects.get(ticket=ticket)
    assert ack["Message-ID"] == f"<{recorded.message_id}>"

    # The customer answers the acknowledgement: no token in the subject, threaded by In-Reply-To.
    quoted = (
        "Also smoking.\n\nOn Fri, Nov 27, 2026 at 10:00 AM Support <support@guichet.test> wrote:\n> ack\n"
    )
    send(
        smtp_port,
        mail("alice@acme.test", "Re: fire", quoted, message_id="<m2@c.test>", in_reply_to=ack["Message-ID"]),
    )
    second = settled("m2@c.test")
    assert second.status == InboundStatus.PROCESSED, second.reason
    assert second.ticket == ticket
    assert second.ticket_message.body == "Also smoking."
    assert Ticket.objects.count() == 1
    assert len(mailoutbox) == 1  # a reply is not acknowledged again


def test_R_CHAN_2_duplicate_delivery_creates_nothing_new(smtp_port, world, mailoutbox):
    raw = mail("alice@acme.test", "Once", "only once", message_id="<dup@c.test>")
    send(smtp_port, raw)
    settled("dup@c.test")
    wait_until(lambda: len(mailoutbox) >= 1)
    # The same bytes again (MTA retry), then the same Message-ID by another route (new headers).
    send(smtp_port, raw)
    send(smtp_port, b"Received: from mx2.acme.test by mx.guichet.test\r\n" + raw)
    time.sleep(0.3)
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(author=world.alice).count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("headers", "sender", "envelope_sender"),
    [
        ({"Auto-Submitted": "auto-replied", "Subject-Note": "ooo"}, "alice@acme.test", "alice@acme.test"),
        ({"X-Auto-Response-Suppress": "All"}, "alice@acme.test", "alice@acme.test"),
        ({"Precedence": "bulk"}, "alice@acme.test", "alice@acme.test"),
        ({"List-Id": "<list.acme.test>"}, "alice@acme.test", "alice@acme.test"),
        ({"X-Loop": SUPPORT}, "alice@acme.test", "alice@acme.test"),
        ({}, "MAILER-DAEMON@mx.acme.test", ""),  # a bounce: null envelope sender
        ({}, "alice@acme.test", ""),  # null reverse-path alone marks a bounce
    ],
)
def test_R_CHAN_2_machine_mail_creates_no_ticket_and_sends_no_mail(
    smtp_port, world, mailoutbox, headers, sender, envelope_sender
):
    send(
        smtp_port,
        mail(sender, "Automatic reply", "I am away", message_id="<auto@c.test>", headers=headers),
        sender=envelope_sender,
    )
    row = settled("auto@c.test")
    assert row.status == InboundStatus.IGNORED
    assert row.reason.startswith("Machine mail")
    assert row.raw_bytes  # stored all the same
    assert Ticket.objects.count() == 0
    assert mailoutbox == []


def test_R_CHAN_2_auto_reply_to_our_mail_neither_reopens_nor_answers(smtp_port, world, mailoutbox):
    send(smtp_port, mail("alice@acme.test", "Help", "please", message_id="<h1@c.test>"))
    ticket = settled("h1@c.test").ticket
    wait_until(lambda: OutboundMail.objects.filter(ticket=ticket, status="sent").exists())
    ack_id = OutboundMail.objects.get(ticket=ticket).message_id
    services.change_status(actor=world.agent, ticket=ticket, status="solved")
    before = ticket.messages.count()
    send(
        smtp_port,
        mail(
            "alice@acme.test",
            "Out of office",
            "away",
            message_id="<ooo@c.test>",
            in_reply_to=f"<{ack_id}>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    row = settled("ooo@c.test")
    assert row.status == InboundStatus.IGNORED
    assert row.ticket == ticket  # shown against the ticket it answers
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.messages.count() == before
    assert len(mailoutbox) == 1  # only the first acknowledgement


def test_R_CHAN_2_sender_of_another_org_cannot_reach_a_ticket_by_token_or_headers(
    smtp_port, world, mailoutbox
):
    send(smtp_port, mail("alice@acme.test", "Acme secret", "confidential", message_id="<a1@c.test>"))
    acme_ticket = settled("a1@c.test").ticket
    wait_until(lambda: OutboundMail.objects.filter(ticket=acme_ticket, status="sent").exists())
    ack_id = OutboundMail.objects.get(ticket=acme_ticket).message_id

    # Eve (Globex) names Acme's ticket in the subject and answers Acme's acknowledgement.
    send(
        smtp_port,
        mail(
            "eve@globex.test",
            f"Re: [#{acme_ticket.pk}] Acme secret",
            "let me in",
            message_id="<e1@c.test>",
            in_reply_to=f"<{ack_id}>",
            references=["<a1@c.test>"],
        ),
    )
    row = settled("e1@c.test")
    assert row.status == InboundStatus.PROCESSED
    assert row.ticket != acme_ticket
    assert row.ticket.organisation == world.globex
    assert acme_ticket.messages.filter(author=world.eve).count() == 0

    # A colleague of the same organisation may continue it by its token.
    send(smtp_port, mail("bob@acme.test", f"[#{acme_ticket.pk}] more", "details", message_id="<b1@c.test>"))
    assert settled("b1@c.test").ticket == acme_ticket


def test_R_CHAN_2_unknown_and_staff_senders_are_stored_and_ignored(smtp_port, world, mailoutbox):
    send(smtp_port, mail("stranger@nowhere.test", "Hello", "hi", message_id="<u1@c.test>"))
    send(smtp_port, mail("agent@guichet.test", "Hello", "hi", message_id="<s1@c.test>"))
    unknown, staff = settled("u1@c.test"), settled("s1@c.test")
    assert unknown.status == staff.status == InboundStatus.IGNORED
    assert "Unknown sender" in unknown.reason
    assert "staff" in staff.reason
    assert Ticket.objects.count() == 0
    assert mailoutbox == []


def test_R_CHAN_2_attachments_reach_the_ticket_and_oversized_ones_are_named(smtp_port, world, settings):
    settings.GUICHET_MAX_ATTACHMENT_BYTES = 1000
    raw = mail(
        "alice@acme.test",
        "Logs",
        "attached",
        message_id="<att@c.test>",
        attachments=[
            ("small.log", "text/plain", b"ok\n"),
            ("big.bin", "application/octet-stream", b"x" * 5000),
        ],
    )
    send(smtp_port, raw)
    row = settled("att@c.test")
    assert row.status == InboundStatus.PROCESSED, row.reason
    message = row.ticket_message
    assert [(a.filename, a.size) for a in message.attachments.all()] == [("small.log", 3)]
    assert message.attachments.get().file.read() == b"ok\n"
    assert "big.bin" in message.body and "too large" in message.body


def test_R_CHAN_2_storage_failure_answers_451_and_keeps_nothing(smtp_port, world, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("guichet.mail.smtpd.store_raw", broken)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port, mail("alice@acme.test", "Lost?", "no", message_id="<f1@c.test>"))
    assert refused.value.smtp_code == 451
    assert InboundMessage.objects.count() == 0


def test_R_CHAN_2_other_recipients_and_oversized_mail_are_refused(smtp_port, world):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_port, mail("alice@acme.test", "x", "y"), to="someone@else.test")
    assert refused.value.recipients["someone@else.test"][0] == 550
    send(
        smtp_port,
        mail("alice@acme.test", "plus", "y", message_id="<p1@c.test>"),
        to="support+acme@guichet.test",
    )
    assert settled("p1@c.test").status == InboundStatus.PROCESSED
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)):
        send(smtp_port, mail("alice@acme.test", "huge", "z\n" * 150_000))
    assert InboundMessage.objects.count() == 1
