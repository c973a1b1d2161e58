from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    """Monthly SLA statements: signed, verifiable by the customer, mailed and listed in the portal."""

    name = "guichet.statements"
    label = "statements"
    verbose_name = _("SLA statements")

    def ready(self) -> None:
        # Registers the outbox handler of statement mail (guichet.outbox.relay.handler).
        from guichet.statements import (
            checks,  # noqa: F401
            delivery,  # noqa: F401
        )
