from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "guichet.contracts"
    verbose_name = _("Customers and contracts")
