from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """The e-mail channel (R-CHAN-2): inbound ingestion (IMAP, SMTP/LMTP) and outbound notifications."""

    name = "guichet.mail"
    label = "mail"
    verbose_name = _("E-mail")
