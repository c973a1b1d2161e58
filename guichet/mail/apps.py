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
        from guichet.tickets.events import MessagePublished, SlaBreached, SlaWarned

        # Enqueued inside the write's transaction: the task backend holds it until the commit
        # (TASKS ENQUEUE_ON_COMMIT), so a rolled-back reply is never mailed.
        events.subscribe(MessagePublished, notifications.on_message_published)
        events.subscribe(SlaWarned, notifications.on_sla_alert)
        events.subscribe(SlaBreached, notifications.on_sla_alert)
