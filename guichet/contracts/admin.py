from __future__ import annotations

from django.contrib import admin

from guichet.contracts.models import Contract, HolidayOverride, Organisation


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = (
        "reference",
        "plan",
        "hours",
        "region",
        "time_zone",
        "holiday_country",
        "valid_from",
        "valid_until",
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "email_domain", "created_at")
    search_fields = ("name", "email_domain")
    inlines = [ContractInline]


class HolidayOverrideInline(admin.TabularInline):
    model = HolidayOverride
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "organisation",
        "reference",
        "plan",
        "hours",
        "region",
        "time_zone",
        "valid_from",
        "valid_until",
    )
    list_filter = ("plan", "hours", "region")
    search_fields = ("organisation__name", "reference")
    inlines = [HolidayOverrideInline]
