from __future__ import annotations

from django.contrib import admin

from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract, HolidayOverride


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

    # Terms that tickets were measured under: once a ticket uses the contract, a change means a new
    # contract from its effective date (its end date can still be set).
    TERMS = (
        "organisation",
        "reference",
        "plan",
        "hours",
        "region",
        "time_zone",
        "holiday_country",
        "holiday_subdivision",
        "valid_from",
        "target_overrides",
        "pause_when_waiting",
        "downgrade_keeps_miss",
        "closed_unanswered_missed",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.tickets.exists():
            return self.TERMS
        return ()
