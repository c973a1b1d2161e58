"""Mail about tickets that nobody typed: public messages and acknowledgements to customers, SLA
alerts to agents.

The tickets layer publishes what happened (`guichet.tickets.events`); this module subscribes (see
`MailConfig.ready`) and, inside the write's transaction, records each mail it owes in the outbox
(`guichet.outbox`) with an idempotency key. The outbox relay then calls the handlers below, which
send through the one outbound path (`guichet.mail.outbound.send_ticket_mail`: a recorded row with
its Message-ID, loop headers). A mail whose sending fails is retried by the outbox with the same
Message-ID. Every mail is in the recipient's language, instants in the recipient's time zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Person, Role
from guichet.mail import conf
from guichet.mail.models import InboundMessage, InboundStatus, OutboundKind
from guichet.mail.outbound import AUTO_GENERATED, AUTO_REPLIED, send_ticket_mail, ticket_subject
from guichet.outbox import relay
from guichet.outbox.models import Delivery
from guichet.outbox.services import enqueue
from guichet.tickets.events import MessagePublished, SlaBreached, SlaWarned, TicketOpened
from guichet.tickets.models import Channel, Message, MessageKind, Ticket

log = logging.getLogger(__name__)

__all__ = [
    "alert_recipients",
    "local_time",
    "on_message_published",
    "on_sla_alert",
    "on_ticket_opened",
    "owe_acknowledgement",
    "send_acknowledgement",
    "send_message_mail",
    "send_sla_alert",
]

MESSAGE, ALERT, ACK, OPENED = "mail.message", "mail.alert", "mail.ack", "mail.opened"


def local_time(instant: dt.datetime, person: Person) -> str:
    """An instant as the person reads it: their zone, their language's date format, the zone named."""
    try:
        zone = zoneinfo.ZoneInfo(person.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = instant.astimezone(zone)
    # Translators: date and time format (PHP-style, as Django's date filter) in notification mails.
    return f"{formats.date_format(local, _('D j M Y, H:i'))} {local.tzname()} ({zone.key})"


def alert_recipients(ticket: Ticket) -> list[Person]:
    """The assignee, or without one the active team leads."""
    assignee = ticket.assignee
    if assignee is not None and assignee.email and assignee.is_active:
        return [assignee]
    return list(Person.objects.filter(role=Role.LEAD, is_active=True).exclude(email=""))


# --- What is owed (subscribers, in the write's transaction) -------------------------------------------


def on_message_published(event: MessagePublished) -> None:
    enqueue(
        MESSAGE, f"{MESSAGE}|{event.message_id}", {"message_id": event.message_id}, ticket_id=event.ticket_id
    )


def on_sla_alert(event: SlaWarned | SlaBreached) -> None:
    """One alert per recipient and due instant (a raise that moves the due time alerts again)."""
    kind = "breached" if isinstance(event, SlaBreached) else "warned"
    ticket = Ticket.objects.select_related("assignee").filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    due = event.due_at.astimezone(dt.UTC).isoformat()
    for person in alert_recipients(ticket):
        enqueue(
            ALERT,
            f"{ALERT}|{kind}|{ticket.pk}|{due}|{person.pk}",
            {"ticket_id": ticket.pk, "kind": kind, "due": due, "person_id": person.pk},
            ticket_id=ticket.pk,
        )


def on_ticket_opened(event: TicketOpened) -> None:
    """A ticket opened on the portal, through the API or by phone is acknowledged by mail too, with
    its number and due time (a mail ticket gets the ingress's threaded acknowledgement instead)."""
    if event.channel != Channel.EMAIL:
        enqueue(
            OPENED, f"{OPENED}|{event.ticket_id}", {"ticket_id": event.ticket_id}, ticket_id=event.ticket_id
        )


def owe_acknowledgement(inbound: InboundMessage) -> None:
    """Called inside the processing transaction of a mail that opened a ticket."""
    if conf.ack_enabled():
        enqueue(ACK, f"{ACK}|{inbound.pk}", {"inbound_id": inbound.pk}, ticket_id=inbound.ticket_id)


# --- Delivering it (outbox handlers) ---------------------------------------------------------------------


def send_message_mail(message_id: int) -> bool:
    """Mail a public reply (or a customer-facing notice) to the ticket's requester once delivered.
    False when there is nothing to send (no address, the author is the requester)."""
    message = Message.objects.select_related("ticket__requester", "author").filter(pk=message_id).first()
    if message is None:
        raise relay.Permanent(f"no message {message_id}")
    if message.delivered_at is None or not message.is_public:
        return False  # still held (it is owed again when released) or internal
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


def send_sla_alert(ticket_id: int, kind: str, due: str, person_id: int) -> bool:
    """Tell one agent or lead that a first-response target is close ("warned") or missed."""
    ticket = Ticket.objects.select_related("organisation").filter(pk=ticket_id).first()
    person = Person.objects.filter(pk=person_id).first()
    if ticket is None or person is None:
        raise relay.Permanent("the ticket or the recipient no longer exists")
    if not person.email or not person.is_active:
        return False
    due_at = dt.datetime.fromisoformat(due)
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
            "due": local_time(due_at, person),
        }
        send_ticket_mail(
            ticket=ticket,
            to=person.email,
            subject=ticket_subject(ticket),
            body=body,
            kind=OutboundKind.ALERT,
            key=f"alert|{kind}|{ticket.pk}|{due}|{person.pk}",
            auto=AUTO_GENERATED,
        )
    return True


def send_acknowledgement(inbound_id: int) -> str:
    """Tell the customer their mail opened ticket #id (so their answers carry the token)."""
    inbound = InboundMessage.objects.select_related("ticket__requester").filter(pk=inbound_id).first()
    if inbound is None or inbound.ticket is None or inbound.status != InboundStatus.PROCESSED:
        return "nothing to acknowledge"
    ticket = inbound.ticket
    requester = ticket.requester
    if not requester.email:
        return "no address"
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        body = "\n\n".join(
            [
                _("We received your request and opened ticket #%(id)s: “%(subject)s”.")
                % {"id": ticket.pk, "subject": ticket.subject},
                _("Its priority is %(priority)s. Reply to this e-mail to add information.")
                % {"priority": ticket.get_priority_display()},
            ]
        )
        record = send_ticket_mail(
            ticket=ticket,
            to=requester.email,
            subject=ticket_subject(ticket),
            body=body,
            kind=OutboundKind.ACKNOWLEDGEMENT,
            inbound=inbound,
            auto=AUTO_REPLIED,
        )
    return record.status


def send_opened_acknowledgement(ticket_id: int) -> bool:
    """Tell the requester their request was received: its number, priority and when the first
    response is due, in their language and zone. Recorded against the ticket's automatic message."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        raise relay.Permanent(f"no ticket {ticket_id}")
    requester = ticket.requester
    if not requester.email:
        return False
    notice = ticket.messages.filter(kind=MessageKind.AUTO).order_by("created_at", "id").first()
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        lines = [
            _("We received your request and opened ticket #%(id)s: “%(subject)s”.")
            % {"id": ticket.pk, "subject": ticket.subject},
            _("Its priority is %(priority)s.") % {"priority": ticket.get_priority_display()},
        ]
        if ticket.sla_due_at is not None:
            lines.append(
                _("Our first response is due by %(due)s.") % {"due": local_time(ticket.sla_due_at, requester)}
            )
        lines.append(_("Reply to this e-mail or use the portal to add information."))
        send_ticket_mail(
            ticket=ticket,
            to=requester.email,
            subject=ticket_subject(ticket),
            body="\n\n".join(lines),
            kind=OutboundKind.ACKNOWLEDGEMENT,
            ticket_message=notice,
            key="" if notice is not None else f"opened|{ticket.pk}",
            auto=AUTO_REPLIED,
        )
    return True


@relay.handler(MESSAGE)
def _deliver_message(delivery: Delivery) -> None:
    send_message_mail(int(delivery.payload["message_id"]))


@relay.handler(ALERT)
def _deliver_alert(delivery: Delivery) -> None:
    p = delivery.payload
    send_sla_alert(int(p["ticket_id"]), str(p["kind"]), str(p["due"]), int(p["person_id"]))


@relay.handler(ACK)
def _deliver_ack(delivery: Delivery) -> None:
    send_acknowledgement(int(delivery.payload["inbound_id"]))


@relay.handler(OPENED)
def _deliver_opened(delivery: Delivery) -> None:
    send_opened_acknowledgement(int(delivery.payload["ticket_id"]))
