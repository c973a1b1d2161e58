"""Django admin for tickets. The SLA ledger and the audit trail are read-only there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from guichet.tickets.models import Attachment, AuditEntry, ContactAttempt, Message, SlaEvent, Ticket

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

    # Generic in django-stubs only: Django's classes take no [...] at run time.
    _ModelAdmin = admin.ModelAdmin[Model]  # ReadOnlyAdmin serves several models
    _TicketModelAdmin = admin.ModelAdmin[Ticket]
    _MessageInline = admin.TabularInline[Message, Ticket]
    _SlaEventInline = admin.TabularInline[SlaEvent, Ticket]
else:
    _ModelAdmin = _TicketModelAdmin = admin.ModelAdmin
    _MessageInline = _SlaEventInline = admin.TabularInline


class ReadOnlyAdmin(_ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MessageInline(_MessageInline):
    model = Message
    extra = 0
    fields = ("created_at", "kind", "channel", "author", "deliver_at", "delivered_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


class SlaEventInline(_SlaEventInline):
    model = SlaEvent
    extra = 0
    fields = ("seq", "kind", "at", "due_at", "actor", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(_TicketModelAdmin):
    """Viewing only: ticket changes go through the desk (the services), which audit them."""

    list_display = ("id", "subject", "organisation", "priority", "status", "sla_state", "sla_due_at")
    list_filter = ("status", "priority", "sla_state", "plan")
    search_fields = ("subject", "organisation__name", "external_id")
    inlines = [MessageInline, SlaEventInline]

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "seq", "kind", "at", "due_at", "actor")
    list_filter = ("kind",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "ticket", "actor", "action")
    list_filter = ("action",)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "ticket", "kind", "channel", "author", "created_at", "deliver_at", "delivered_at")
    list_filter = ("kind", "channel")


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "agent", "at", "channel", "answered")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "message", "content_type", "size")
