"""Django admin for the e-mail channel: the quarantine (with "process again") and the sent mail.

Read-only: the raw bytes are evidence; the only action is to run the pipeline again.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.mail.ingest import reprocess
from guichet.mail.models import ImapCursor, InboundMessage, InboundStatus, OutboundMail


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnly):
    list_display = ("created_at", "status", "from_address", "subject", "ticket", "attempts", "source")
    list_filter = ("status", "source")
    search_fields = ("message_id", "from_address", "subject")
    exclude = ("raw",)
    readonly_fields = ("raw_text",)
    actions = ["process_again"]

    @admin.display(description=_("raw message"))
    def raw_text(self, obj: InboundMessage) -> str:
        return obj.raw_bytes[:200_000].decode("utf-8", "replace")

    @admin.action(description=_("Process again (quarantined or ignored mail)"))
    def process_again(self, request, queryset) -> None:
        done = 0
        for row in queryset.exclude(status=InboundStatus.PROCESSED):
            if reprocess(row.pk).status == InboundStatus.PROCESSED:
                done += 1
        self.message_user(
            request,
            ngettext("%(n)d e-mail processed.", "%(n)d e-mails processed.", done) % {"n": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for the action; the fields themselves stay read-only.
        return request.user.is_superuser or getattr(request.user, "is_vendor_admin", False)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "raw"] + ["raw_text"]


@admin.register(OutboundMail)
class OutboundMailAdmin(ReadOnly):
    list_display = ("created_at", "kind", "status", "to_address", "subject", "ticket")
    list_filter = ("kind", "status")
    search_fields = ("message_id", "to_address", "subject")


@admin.register(ImapCursor)
class ImapCursorAdmin(ReadOnly):
    list_display = ("mailbox", "uidvalidity", "last_uid", "updated_at")
