from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.outbox.models import Delivery, WebhookEndpoint
from guichet.outbox.services import retry

if TYPE_CHECKING:
    DeliveryAdminBase = admin.ModelAdmin[Delivery]
    WebhookAdminBase = admin.ModelAdmin[WebhookEndpoint]
else:
    DeliveryAdminBase = WebhookAdminBase = admin.ModelAdmin


@admin.register(Delivery)
class DeliveryAdmin(DeliveryAdminBase):
    """The outbox, read-only but for the retry of failed deliveries."""

    list_display = ("created_at", "kind", "status", "attempts", "due_at", "ticket", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("key",)
    ordering = ("-created_at",)
    actions = ["retry_deliveries"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        n = retry(queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery put back in the queue.", "%(n)d deliveries put back in the queue.", n)
            % {"n": n},
            messages.SUCCESS,
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(WebhookAdminBase):
    list_display = ("name", "url", "active", "created_at")
    list_filter = ("active",)
