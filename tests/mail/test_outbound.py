"""R-CHAN-2 outbound: the mail we send is recorded, threaded and marked, and answers to it thread back."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes

import pytest
from django.utils import timezone

from guichet.mail.ingest import ingest_raw
from guichet.mail.models import InboundStatus, OutboundKind, OutboundMail, OutboundStatus
from guichet.mail.notifications import send_message_mail
from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from guichet.tickets import services
from guichet.tickets.models import Message, MessageKind
from tests.mail.conftest import SUPPORT, mail

pytestmark = pytest.mark.django_db(transaction=True)


def headers(sent) -> dict[str, str]:
    return dict(message_from_bytes(sent.message().as_bytes()).items())


def deliver(message: Message) -> None:
    """Release a reply held for the customer's business hours (R-PRIO-7), as the worker would."""
    message.refresh_from_db()
    if message.is_held:
        services.deliver_held_messages(now=message.deliver_at)


def test_R_CHAN_2_agent_reply_is_mailed_threaded_and_its_answer_threads_back(world, mailoutbox):
    inbound = ingest_raw(
        mail("alice@acme.test", "Sync fails", "Since today.", message_id="<q1@c.test>"), source="t"
    )
    ticket = inbound.ticket
    ack_id = headers(mailoutbox[0])["Message-ID"]
    mailoutbox.clear()  # the acknowledgement (tested with the ingress)

    reply = services.add_reply(actor=world.agent, ticket=ticket, body="Please send the logs.")
    deliver(reply)
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    h = headers(sent)
    assert sent.to == [world.alice.email]
    assert h["Subject"] == f"[#{ticket.pk}] Sync fails"
    assert h["In-Reply-To"] == "<q1@c.test>"
    assert "<q1@c.test>" in h["References"]
    assert h["X-Loop"] == SUPPORT
    assert h["X-Auto-Response-Suppress"] == "All"
    assert "Auto-Submitted" not in h  # a person wrote it
    assert "Please send the logs." in sent.body
    record = OutboundMail.objects.get(ticket_message=reply)
    assert (record.kind, record.status, f"<{record.message_id}>") == (
        OutboundKind.REPLY,
        OutboundStatus.SENT,
        h["Message-ID"],
    )

    # A retried delivery sends nothing twice.
    send_message_mail(reply.pk)
    assert len(mailoutbox) == 1

    # Alice answers from a client that keeps only In-Reply-To, and changes the subject.
    answer = ingest_raw(
        mail(
            "alice@acme.test", "logs attached", "Here.", message_id="<q2@c.test>", in_reply_to=h["Message-ID"]
        ),
        source="t",
    )
    assert (answer.status, answer.ticket) == (InboundStatus.PROCESSED, ticket)
    assert answer.ticket_message.body == "Here."

    # The next reply answers Alice's latest mail and carries the whole thread.
    second = services.add_reply(actor=world.agent, ticket=ticket, body="Thanks, found it.")
    deliver(second)
    h2 = headers(mailoutbox[-1])
    assert h2["In-Reply-To"] == "<q2@c.test>"
    assert h2["References"].split() == ["<q1@c.test>", ack_id, h["Message-ID"], "<q2@c.test>"]


def test_R_CHAN_2_held_reply_is_mailed_only_when_delivered(world, mailoutbox):
    ticket = ingest_raw(
        mail("alice@acme.test", "Question", "How?", message_id="<h1@c.test>"), source="t"
    ).ticket
    mailoutbox.clear()
    # Put the customer's business hours where it is night now, so the reply is held (R-PRIO-7).
    contract = ticket.contract
    now = timezone.now()
    contract.time_zone = next(
        f"Etc/GMT{-o:+d}" if o else "Etc/GMT"
        for o in range(-12, 13)
        if not (8 <= (now + dt.timedelta(hours=o)).hour < 18)
    )
    contract.save()
    reply = services.add_reply(actor=world.agent, ticket=ticket, body="Like this.")
    assert reply.is_held
    assert mailoutbox == []
    assert not OutboundMail.objects.filter(ticket_message=reply).exists()
    services.deliver_held_messages(now=reply.deliver_at)
    assert len(mailoutbox) == 1
    assert OutboundMail.objects.get(ticket_message=reply).status == OutboundStatus.SENT


def test_R_CHAN_2_automatic_notice_is_marked_auto_generated(world, mailoutbox):
    ticket = services.open_ticket(
        actor=world.agent,
        requester=world.alice,
        subject="Outage",
        body="All down",
        priority="P2",
        channel="phone",
        impact_confirmed=True,
    )
    services.record_contact_attempt(actor=world.agent, ticket=ticket, channel="phone", note="no answer")
    services.downgrade_priority(actor=world.agent, ticket=ticket, reason="Unreachable")
    notice = ticket.messages.filter(kind=MessageKind.AUTO, author=None).order_by("-id").first()
    deliver(notice)
    sent = [m for m in mailoutbox if "lowered" in m.body]
    assert len(sent) == 1
    h = headers(sent[0])
    assert h["Auto-Submitted"] == "auto-generated"
    assert h["X-Loop"] == SUPPORT
    assert OutboundMail.objects.get(ticket_message=notice).kind == OutboundKind.NOTICE


def test_R_CHAN_2_acknowledgements_to_one_address_are_rate_limited(world, mailoutbox, settings):
    settings.GUICHET_MAIL_AUTO_LIMIT = 3
    for n in range(5):
        ingest_raw(mail("bob@acme.test", f"Request {n}", "x", message_id=f"<r{n}@c.test>"), source="t")
    acks = OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).order_by("id")
    assert [a.status for a in acks] == ["sent"] * 3 + ["skipped"] * 2
    assert "automatic mails" in acks.last().reason
    assert len(mailoutbox) == 3
    assert all(headers(m)["Auto-Submitted"] == "auto-replied" for m in mailoutbox)


class Sink:
    """A real SMTP server that keeps what it receives (the customer's side)."""

    def __init__(self):
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"


def test_R_CHAN_2_mail_refused_by_the_smtp_server_is_sent_again_with_the_same_id(world, settings):
    from aiosmtpd.controller import Controller

    from tests.mail.conftest import free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5

    # Nothing listens yet: the acknowledgement cannot leave, the ticket is created all the same.
    inbound = ingest_raw(mail("alice@acme.test", "Down", "x", message_id="<sd@c.test>"), source="t")
    assert inbound.status == InboundStatus.PROCESSED
    record = OutboundMail.objects.get(inbound=inbound)
    assert record.status == OutboundStatus.PENDING and "Connection refused" in record.reason
    owed = Delivery.objects.get(key=f"mail.ack|{inbound.pk}")
    assert (
        owed.status == DeliveryStatus.PENDING
        and owed.attempts == 1
        and "Connection refused" in owed.last_error
    )
    assert relay.deliver_due()["delivered"] == 0  # too early: retried after a backoff

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert relay.deliver_due(now=timezone.now() + dt.timedelta(minutes=3))["delivered"] == 1
    finally:
        controller.stop()
    record.refresh_from_db()
    assert record.status == OutboundStatus.SENT
    assert len(sink.received) == 1
    assert f"Message-ID: <{record.message_id}>".encode() in sink.received[0]
    assert relay.deliver_due(now=timezone.now() + dt.timedelta(minutes=3))["delivered"] == 0
    owed.refresh_from_db()
    assert owed.status == DeliveryStatus.DELIVERED and owed.attempts == 2
