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
        from django.db.models import signals

        from guichet.accounts.models import Person
        from guichet.oncall.models import Override, Rotation, Schedule
        from guichet.oncall.templatetags.oncall_ui import forget_topbar

        # The top bar caches "on call now" for a few seconds; an edit in this process shows at once.
        for model in (Schedule, Rotation, Override, Person):
            for signal in (signals.post_save, signals.post_delete):
                signal.connect(forget_topbar, sender=model, dispatch_uid=f"oncall.topbar.{model.__name__}")
        from guichet.oncall.models import EscalationPolicy, PagingRule
        from guichet.oncall.rules import forget_rules

        for rules_model in (PagingRule, EscalationPolicy):
            for signal in (signals.post_save, signals.post_delete):
                signal.connect(
                    forget_rules, sender=rules_model, dispatch_uid=f"oncall.rules.{rules_model.__name__}"
                )
