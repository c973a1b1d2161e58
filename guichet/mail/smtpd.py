"""SMTP/LMTP ingress (aiosmtpd): accepts mail for the support address, behind Postfix or alone.

The 250 reply is given only once the raw bytes are committed; any storage failure answers
451 4.3.0 so the sending MTA keeps the message and retries (G1/G2). Processing happens after the
acknowledgement, in the task worker (or inline when tasks run immediately); a message whose
processing fails stays stored and is retried by the periodic job.
"""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from guichet.mail import conf
from guichet.mail.ingest import MessageTooLarge, store_raw
from guichet.mail.models import InboundStatus
from guichet.mail.tasks import process_inbound_task

logger = logging.getLogger(__name__)


def accepts(address: str) -> bool:
    """The support address itself, or its plus-addressed forms (support+anything@domain)."""
    local, _at, domain = address.strip().lower().rpartition("@")
    support_local, _at, support_domain = conf.support_address().rpartition("@")
    return bool(local) and domain == support_domain and local.split("+", 1)[0] == support_local


def _store(raw: bytes, mail_from: str | None, source: str) -> tuple[int, str]:
    close_old_connections()
    try:
        # What a final-delivery MTA adds (RFC 5321 §4.4): keeps the envelope sender, so bounces
        # (null sender) are recognised as machine mail.
        envelope = f"Return-Path: <{(mail_from or '').strip('<>')}>\r\n".encode()
        stored = store_raw(envelope + raw, source=source)
        return stored.message.pk, stored.message.status
    finally:
        close_old_connections()


def _process(pk: int) -> None:

    close_old_connections()
    try:
        process_inbound_task.enqueue(pk)
    except Exception:
        # The bytes are stored: the periodic retry (process_due) will pick the message up.
        logger.exception("Could not enqueue processing of inbound mail %s", pk)
    finally:
        close_old_connections()


class IngressHandler:
    def __init__(self, *, source: str = "smtp"):
        self.source = source

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepts(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        try:
            pk, status = await sync_to_async(_store, thread_sensitive=True)(
                raw, envelope.mail_from, self.source
            )
        except MessageTooLarge:
            return "552 5.3.4 Message too big"
        except ValueError as exc:
            return f"554 5.6.0 Unreadable message: {exc}"
        except Exception:
            logger.exception("Inbound mail from %s not stored: answering 451", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        if status == InboundStatus.RECEIVED:
            # Hands the message to the task worker (inline when tasks run immediately); whatever
            # happens there, the bytes are committed and the answer is 250.
            await sync_to_async(_process, thread_sensitive=True)(pk)
        return "250 2.0.0 Message accepted"


class IngressController(Controller):
    def __init__(self, *, hostname: str = "127.0.0.1", port: int = 2525, lmtp: bool = False):
        self.lmtp = lmtp
        super().__init__(
            IngressHandler(source="lmtp" if lmtp else "smtp"),
            hostname=hostname,
            port=port,
            data_size_limit=conf.max_bytes(),
            decode_data=False,
        )

    def factory(self) -> SMTP:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)
