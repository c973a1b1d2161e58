from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Side effects owed by committed writes, delivered at least once (docs/outbox.md)."""

    name = "guichet.outbox"
    label = "outbox"
    verbose_name = _("Outbox")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guichet.outbox import webhooks

        webhooks.connect()
