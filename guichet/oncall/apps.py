from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OncallConfig(AppConfig):
    """On-call schedules, paging rules and escalation, fed by the tickets' domain events."""

    name = "guichet.oncall"
    label = "oncall"
    verbose_name = _("On call")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guichet.oncall import delivery, triggers

        triggers.connect()
        delivery.register()
