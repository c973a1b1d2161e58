from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from guichet.accounts.models import ApiToken, Person


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ("username", "email", "role", "organisation", "language", "time_zone", "is_active")
    list_filter = ("role", "language", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Guichet", {"fields": ("role", "organisation", "language", "time_zone", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `guichet token create` (the clear token is shown once); here they can
    be looked at and revoked, never read back."""

    list_display = ("name", "person", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("person", "name", "digest", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False
