"""Mail we send: every one is recorded (OutboundMail) with its Message-ID, so the customer's answer
threads back (In-Reply-To/References), and marked so that auto-responders and our own ingestion
never answer it with more machine mail (X-Loop, Auto-Submitted, X-Auto-Response-Suppress; RFC 3834).

`send_ticket_mail` is the one way to send mail about a ticket — acknowledgements, replies, notices
and agent alerts alike (guichet.mail.notifications); `send_recorded_mail` the one way to send mail
about no ticket (a monthly statement, with its attachments). Never `send_mail`, or the mail has no
record, no loop headers and no retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.mail import conf
from guichet.mail.models import InboundMessage, InboundStatus, OutboundKind, OutboundMail, OutboundStatus
from guichet.mail.parsing import LOOP_HEADER, normalise_message_id

logger = logging.getLogger(__name__)

# RFC 3834 values: "auto-replied" for an answer to a message (our acknowledgement),
# "auto-generated" for mail nobody wrote (SLA alerts and other notices).
AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"


def new_message_id() -> str:
    domain = conf.support_address().rpartition("@")[2] or "guichet.localhost"
    return normalise_message_id(make_msgid(idstring="guichet", domain=domain))


def ticket_subject(ticket) -> str:
    """The subject token `[#id]` lets a reply find its ticket even when the headers are lost."""
    return f"[#{ticket.pk}] {ticket.subject}"[:300]


def thread_headers(ticket) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a new mail on `ticket`.

    It answers the customer's latest mail when there is one (else our latest), and references the
    thread in order, so every client files it with the conversation.
    """
    inbound = list(
        InboundMessage.objects.filter(ticket=ticket, status=InboundStatus.PROCESSED).values_list(
            "created_at", "message_id"
        )
    )
    outbound = list(
        OutboundMail.objects.filter(ticket=ticket, status=OutboundStatus.SENT).values_list(
            "created_at", "message_id"
        )
    )
    ids = [mid for _at, mid in sorted(inbound + outbound)][-20:]
    latest_inbound = max(inbound)[1] if inbound else ""
    return (latest_inbound or (ids[-1] if ids else "")), ids


def build_message(
    record: OutboundMail,
    body: str,
    *,
    references: Sequence[str] = (),
    auto: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    headers = {
        "Message-ID": f"<{record.message_id}>",
        LOOP_HEADER: conf.loop_id(),
        # Ask Exchange and friends not to answer with out-of-office or read receipts.
        "X-Auto-Response-Suppress": "All",
    }
    if auto:
        headers["Auto-Submitted"] = auto
        headers["Precedence"] = "auto_reply" if auto == AUTO_REPLIED else "bulk"
    if record.in_reply_to:
        headers["In-Reply-To"] = f"<{record.in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{mid}>" for mid in references)
    message = EmailMessage(
        subject=record.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[record.to_address],
        reply_to=[conf.support_address()],
        headers=headers,
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_ticket_mail(
    *,
    ticket,
    to: str,
    subject: str,
    body: str,
    kind: str,
    ticket_message=None,
    inbound: InboundMessage | None = None,
    auto: str = "",
    key: str = "",
) -> OutboundMail:
    """Record then send one mail about `ticket`; at most once per (ticket message or inbound, kind),
    or per `key` (an idempotency key, e.g. one SLA alert per recipient and due instant).

    The row is committed before sending: a retry after a crash resends with the *same* Message-ID,
    which mail clients show once. Alerts to agents are not threaded with the customer's mail.
    """
    in_reply_to, references = thread_headers(ticket) if kind != OutboundKind.ALERT else ("", [])
    if inbound is not None:
        in_reply_to = inbound.message_id
        references = [*(m for m in references if m != inbound.message_id), inbound.message_id][-20:]
    lookup: dict[str, object] = {"kind": kind}
    if key:
        lookup["dedup_key"] = key
    elif ticket_message is not None:
        lookup["ticket_message"] = ticket_message
    elif inbound is not None:
        lookup["inbound"] = inbound
    record = OutboundMail.objects.filter(**lookup).first() if len(lookup) > 1 else None
    if record is None:
        try:
            with transaction.atomic():
                record = OutboundMail.objects.create(
                    message_id=new_message_id(),
                    kind=kind,
                    ticket=ticket,
                    ticket_message=ticket_message,
                    inbound=inbound,
                    to_address=to,
                    subject=subject[:300],
                    in_reply_to=in_reply_to,
                    dedup_key=key,
                )
        except IntegrityError:
            record = OutboundMail.objects.get(**lookup)
    return _send(record, body, references=references, auto=auto)


def send_recorded_mail(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    key: str,
    auto: str = AUTO_GENERATED,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> OutboundMail:
    """Record then send one mail about no ticket (a monthly statement), at most once per `key`;
    `attachments` are (filename, bytes, MIME type). Same guarantees as `send_ticket_mail`: the row
    and its Message-ID are committed first, a retry resends with the same Message-ID, the loop
    headers say no one should answer it automatically."""
    record = OutboundMail.objects.filter(dedup_key=key).first()
    if record is None:
        try:
            with transaction.atomic():
                record = OutboundMail.objects.create(
                    message_id=new_message_id(),
                    kind=kind,
                    to_address=to,
                    subject=subject[:300],
                    dedup_key=key,
                )
        except IntegrityError:
            record = OutboundMail.objects.get(dedup_key=key)
    # Not rate-limited: the limit stops acknowledgement loops; a statement answers no one.
    return _send(record, body, auto=auto, attachments=attachments, rate_limited=False)


def _send(
    record: OutboundMail,
    body: str,
    *,
    references: Sequence[str] = (),
    auto: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    rate_limited: bool = True,
) -> OutboundMail:
    to = record.to_address
    if record.status != OutboundStatus.PENDING:
        return record  # already sent (or deliberately skipped): never twice
    if auto and rate_limited and _over_limit(to):
        record.status = OutboundStatus.SKIPPED
        record.reason = f"More than {conf.ack_limit_per_hour()} automatic mails to {to} in an hour."
        record.save(update_fields=["status", "reason"])
        logger.warning("Automatic mail to %s not sent: rate limit", to)
        return record
    try:
        build_message(record, body, references=references, auto=auto, attachments=attachments).send()
    except Exception as exc:
        # Stays pending: the outbox retries the delivery, which finds this row (same Message-ID).
        record.reason = f"{type(exc).__name__}: {exc}"[:2000]
        record.save(update_fields=["reason"])
        raise
    record.status = OutboundStatus.SENT
    record.sent_at = timezone.now()
    record.reason = ""
    record.save(update_fields=["status", "sent_at", "reason"])
    return record


def _over_limit(to: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    recent = OutboundMail.objects.filter(
        to_address__iexact=to,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        status=OutboundStatus.SENT,
        sent_at__gte=since,
    ).count()
    return recent >= conf.ack_limit_per_hour()
