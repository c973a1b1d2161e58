from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running the desk: the `serve` and `worker` commands, the periodic schedule, health tasks."""

    name = "guichet.ops"
    verbose_name = _("Operations")
