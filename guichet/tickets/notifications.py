"""Customer and agent e-mail notifications, sent by django.tasks tasks (run by the Huey worker).

Services enqueue them; with `ENQUEUE_ON_COMMIT` they only leave once the change is committed.
Each mail is written in the recipient's language.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _


def _ticket_subject(ticket) -> str:
    return f"[#{ticket.pk}] {ticket.subject}"


@task()
def send_message_notification(message_id: int) -> bool:
    """Mail a public reply (or a customer-facing notice) to the ticket's requester once delivered."""
    from guichet.tickets.models import Message

    message = Message.objects.select_related("ticket__requester", "author").filter(pk=message_id).first()
    if message is None or message.delivered_at is None or not message.is_public:
        return False
    requester = message.ticket.requester
    if not requester.email or requester == message.author:
        return False
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        body = "\n\n".join(
            [
                _("A new message on your request “%(subject)s”:") % {"subject": message.ticket.subject},
                message.body,
                _("Reply from the portal or by answering this e-mail."),
            ]
        )
        # Through the mail channel: its Message-ID is recorded so the customer's answer threads back.
        from guichet.mail.outbound import notify_ticket_message

        notify_ticket_message(message, to=requester.email, subject=_ticket_subject(message.ticket), body=body)
    return True


@task()
def send_sla_alert(ticket_id: int, kind: str) -> int:
    """Tell the assignee (or, without one, the team leads) that a target is about to be or was missed."""
    from guichet.accounts.models import Person, Role
    from guichet.tickets.models import Ticket

    ticket = Ticket.objects.select_related("assignee").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    if ticket.assignee_id and ticket.assignee.email:
        recipients = [ticket.assignee]
    else:
        recipients = list(Person.objects.filter(role=Role.LEAD, is_active=True).exclude(email=""))
    sent = 0
    for person in recipients:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            if kind == "breached":
                text = _("The first-response target of ticket #%(id)s (%(priority)s) was missed.")
            else:
                text = _(
                    "The first-response target of ticket #%(id)s (%(priority)s) is close: due %(due)s UTC."
                )
            body = text % {
                "id": ticket.pk,
                "priority": ticket.priority,
                "due": ticket.sla_due_at.strftime("%Y-%m-%d %H:%M") if ticket.sla_due_at else "-",
            }
            sent += send_mail(_ticket_subject(ticket), body, settings.DEFAULT_FROM_EMAIL, [person.email])
    return sent
