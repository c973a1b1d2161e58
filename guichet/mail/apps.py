from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """The e-mail channel (R-CHAN-2): inbound ingestion (IMAP, SMTP/LMTP) and outbound notifications."""

    name = "guichet.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from guichet import events
        from guichet.mail import notifications
        from guichet.tickets.events import MessagePublished, SlaBreached, SlaWarned, TicketOpened

        # Inside the write's transaction: the mail owed is an outbox row that commits (or rolls
        # back) with the reply, the breach or the notice itself (guichet.outbox).
        events.subscribe(TicketOpened, notifications.on_ticket_opened)
        events.subscribe(MessagePublished, notifications.on_message_published)
        events.subscribe(SlaWarned, notifications.on_sla_alert)
        events.subscribe(SlaBreached, notifications.on_sla_alert)
