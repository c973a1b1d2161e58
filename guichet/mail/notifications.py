"""Mail about tickets that nobody typed: public messages to the customer and SLA alerts to agents.

The tickets layer publishes what happened (`guichet.tickets.events`); this module subscribes (see
`MailConfig.ready`) and sends through the one outbound path (`guichet.mail.outbound.send_ticket_mail`:
a recorded row with its Message-ID, loop headers, retry), from django.tasks tasks run by the worker.
Every mail is written in the recipient's language, instants in the recipient's time zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.tasks import task
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Person, Role
from guichet.mail.models import OutboundKind, OutboundMail, OutboundStatus
from guichet.mail.outbound import AUTO_GENERATED, send_acknowledgement, send_ticket_mail, ticket_subject
from guichet.tickets.events import MessagePublished, SlaBreached, SlaWarned
from guichet.tickets.models import Message, Ticket

log = logging.getLogger(__name__)

__all__ = [
    "local_time",
    "on_message_published",
    "on_sla_alert",
    "retry_pending",
    "send_message_notification",
    "send_sla_alert",
]


def local_time(instant, person: Person) -> str:
    """An instant as the person reads it: their zone, their language's date format, the zone named."""
    try:
        zone = zoneinfo.ZoneInfo(person.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = instant.astimezone(zone)
    # Translators: date and time format (PHP-style, as Django's date filter) in notification mails.
    return f"{formats.date_format(local, _('D j M Y, H:i'))} {local.tzname()} ({zone.key})"


@task()
def send_message_notification(message_id: int) -> bool:
    """Mail a public reply (or a customer-facing notice) to the ticket's requester once delivered."""
    message = Message.objects.select_related("ticket__requester", "author").filter(pk=message_id).first()
    if message is None or message.delivered_at is None or not message.is_public:
        return False
    requester = message.ticket.requester
    if not requester.email or requester == message.author:
        return False
    automatic = message.author_id is None
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        body = "\n\n".join(
            [
                _("A new message on your request “%(subject)s”:") % {"subject": message.ticket.subject},
                message.body,
                _("Reply from the portal or by answering this e-mail."),
            ]
        )
        send_ticket_mail(
            ticket=message.ticket,
            to=requester.email,
            subject=ticket_subject(message.ticket),
            body=body,
            kind=OutboundKind.NOTICE if automatic else OutboundKind.REPLY,
            ticket_message=message,
            auto=AUTO_GENERATED if automatic else "",
        )
    return True


def alert_recipients(ticket: Ticket) -> list[Person]:
    """The assignee, or without one the active team leads."""
    assignee = ticket.assignee
    if assignee is not None and assignee.email and assignee.is_active:
        return [assignee]
    return list(Person.objects.filter(role=Role.LEAD, is_active=True).exclude(email=""))


@task()
def send_sla_alert(ticket_id: int, kind: str, due: str = "") -> int:
    """Tell the assignee (or, without one, the team leads) that a first-response target is close
    (`kind` "warned") or was missed ("breached"). One mail per recipient, alert and due instant."""
    ticket = Ticket.objects.select_related("assignee", "organisation").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    due_at = ticket.sla_due_at
    sent = 0
    for person in alert_recipients(ticket):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            if kind == "breached":
                text = _(
                    "The first-response target of ticket #%(id)s (%(priority)s, %(organisation)s) was "
                    "missed: it was due %(due)s."
                )
            else:
                text = _(
                    "The first-response target of ticket #%(id)s (%(priority)s, %(organisation)s) is "
                    "close: due %(due)s."
                )
            body = text % {
                "id": ticket.pk,
                "priority": ticket.priority,
                "organisation": ticket.organisation.name,
                "due": local_time(due_at, person) if due_at else "-",
            }
            record = send_ticket_mail(
                ticket=ticket,
                to=person.email,
                subject=ticket_subject(ticket),
                body=body,
                kind=OutboundKind.ALERT,
                key=f"alert|{kind}|{due or '-'}|{person.pk}",
                auto=AUTO_GENERATED,
            )
            sent += record.status == "sent"
    return sent


def retry_pending(now: dt.datetime | None = None) -> int:
    """Send again the mail whose sending failed (SMTP server down): after 2 minutes, for a day.

    The task that sent it is enqueued again; it rebuilds the mail and reuses the recorded row.
    """
    now = now or timezone.now()
    pending = OutboundMail.objects.filter(status=OutboundStatus.PENDING)
    expired = pending.filter(created_at__lt=now - dt.timedelta(days=1))
    expired.update(status=OutboundStatus.FAILED)
    retried = 0
    for record in pending.filter(created_at__lt=now - dt.timedelta(minutes=2))[:200]:
        if record.kind == OutboundKind.ACKNOWLEDGEMENT and record.inbound_id:
            send_acknowledgement.enqueue(record.inbound_id)
        elif record.ticket_message_id:
            send_message_notification.enqueue(record.ticket_message_id)
        elif record.kind == OutboundKind.ALERT and record.dedup_key.startswith("alert|"):
            _prefix, kind, due, _person = record.dedup_key.split("|", 3)
            send_sla_alert.enqueue(record.ticket_id, kind, "" if due == "-" else due)
        else:
            continue
        retried += 1
    return retried


# --- Subscriptions (MailConfig.ready) --------------------------------------------------------------


def on_message_published(event: MessagePublished) -> None:
    try:
        send_message_notification.enqueue(event.message_id)
    except Exception:  # a mail queue outage must not lose the reply itself
        log.exception("could not enqueue the notification of message %s", event.message_id)


def on_sla_alert(event: SlaWarned | SlaBreached) -> None:
    kind = "breached" if isinstance(event, SlaBreached) else "warned"
    try:
        send_sla_alert.enqueue(event.ticket_id, kind, event.due_at.isoformat())
    except Exception:
        log.exception("could not enqueue the SLA alert for ticket %s", event.ticket_id)
