"""Sending one message through one contact method: e-mail (the outbound mail path), any Apprise URL,
an HMAC-signed webhook, or a browser notification waiting for the person's open desk tab.

Called only by the outbox handlers (guichet/oncall/delivery.py), never from a request. Each raises
to ask the outbox for a retry (a receiver that answers 500 or hangs), `relay.Permanent` when a
retry cannot help (a malformed URL).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from guichet.mail.models import OutboundKind
from guichet.mail.outbound import AUTO_GENERATED, send_ticket_mail
from guichet.oncall.models import BrowserAlert, ContactKind, ContactMethod, Escalation
from guichet.outbox import relay
from guichet.outbox.webhooks import post_signed
from guichet.tickets.models import Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """What a page or notice says, already in the recipient's language and time zone."""

    title: str
    body: str
    url: str = ""
    ack_url: str = ""
    event: str = "oncall.page"
    data: dict[str, object] | None = None


def check_apprise_url(url: str) -> None:
    """A clear error for a URL Apprise cannot use (at save time, not at 3 a.m.)."""
    import apprise

    if not url or apprise.Apprise.instantiate(url) is None:
        raise ValidationError(
            _("Apprise does not understand this URL (e.g. ntfys://ntfy.sh/topic or slack://T/B/C).")
        )


def send(
    method: ContactMethod,
    message: Message,
    *,
    key: str,
    ticket: Ticket | None = None,
    escalation: Escalation | None = None,
) -> str:
    """Deliver ``message`` by ``method``; returns a short description for the history."""
    if method.kind == ContactKind.EMAIL:
        return _email(method, message, key=key, ticket=ticket)
    if method.kind == ContactKind.APPRISE:
        return _apprise(method.target, message)
    if method.kind == ContactKind.WEBHOOK:
        return _webhook(method, message, key=key)
    if method.kind == ContactKind.BROWSER:
        BrowserAlert.objects.get_or_create(
            key=key,
            defaults={
                "person_id": method.person_id,
                "escalation": escalation,
                "title": message.title[:300],
                "body": message.body,
                "url": message.url[:300],
                "ack_url": message.ack_url[:500],
            },
        )
        return "waiting for an open desk tab"
    raise relay.Permanent(f"unknown contact method kind {method.kind!r}")


def _email(method: ContactMethod, message: Message, *, key: str, ticket: Ticket | None) -> str:
    body = message.body + (f"\n\n{message.url}" if message.url else "")
    if ticket is not None:
        # The outbound mail path: a recorded row with its Message-ID, loop headers, never twice.
        send_ticket_mail(
            ticket=ticket,
            to=method.target,
            subject=message.title,
            body=body,
            kind=OutboundKind.ALERT,
            key=key[:200],
            auto=AUTO_GENERATED,
        )
    else:  # a test message is about no ticket
        EmailMessage(
            subject=message.title,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[method.target],
            headers={"Auto-Submitted": AUTO_GENERATED, "X-Auto-Response-Suppress": "All"},
        ).send()
    return f"mail to {method.target}"


def _apprise(url: str, message: Message) -> str:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise relay.Permanent("Apprise does not understand this URL")
    with apprise.LogCapture(level=logging.WARNING) as output:
        ok = notifier.notify(
            body=message.body + (f"\n{message.url}" if message.url else ""), title=message.title
        )
        errors = output.getvalue().strip() if hasattr(output, "getvalue") else ""
    if not ok:
        raise RuntimeError(f"Apprise could not deliver: {errors[-300:] or 'no detail'}")
    return f"Apprise {notifier[0].service_name}"


def _webhook(method: ContactMethod, message: Message, *, key: str) -> str:
    import hashlib

    delivery_id = hashlib.sha256(key.encode()).hexdigest()[:32]
    body = json.dumps(
        {
            "id": delivery_id,
            "event": message.event,
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "ack_url": message.ack_url,
            "data": message.data or {},
        },
        sort_keys=True,
    ).encode()
    status = post_signed(method.target, method.secret, body, delivery_id=delivery_id, event=message.event)
    return f"webhook HTTP {status}"
