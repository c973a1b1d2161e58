"""The contracts (from their quotes) that fix each customer organisation's support plan."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from typing import cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet import fastsql, sla
from guichet.accounts.models import Organisation, validate_time_zone

# The words of the SLA core (one definition each, in guichet.sla) with their translated labels.


class Plan(models.TextChoices):
    BASIC = sla.Plan.BASIC.value, _("Basic")
    PREMIUM = sla.Plan.PREMIUM.value, _("Premium")


class HoursOption(models.TextChoices):
    PLAN_DEFAULT = sla.HoursOption.PLAN_DEFAULT.value, _("Plan default (Basic 8 × 5, Premium 24 × 7)")
    H24X5 = sla.HoursOption.H24X5.value, _("24 × 5 (Monday 00:01 to Friday 23:59)")


class Region(models.TextChoices):
    WORLDWIDE = sla.Region.WORLDWIDE.value, _("Worldwide (Monday–Friday 09:00–17:00)")
    NORTH_AMERICA = sla.Region.NORTH_AMERICA.value, _("North America (Monday–Friday 08:00–17:00)")


class Priority(models.TextChoices):
    P1 = sla.Priority.P1.value, _("P1 – critical")
    P2 = sla.Priority.P2.value, _("P2 – moderate")
    P3 = sla.Priority.P3.value, _("P3 – minimal")
    P4 = sla.Priority.P4.value, _("P4 – no immediate impact")


def same_words(choices: type[models.TextChoices], core: type[enum.StrEnum]) -> None:
    """Fail at import if a Django choice list and the core's enum ever differ."""
    if {str(v) for v in choices.values} != {m.value for m in core}:
        raise ImproperlyConfigured(f"{choices.__name__} differs from guichet.sla.{core.__name__}")


for _choices, _core in (
    (Plan, sla.Plan),
    (HoursOption, sla.HoursOption),
    (Region, sla.Region),
    (Priority, sla.Priority),
):
    same_words(_choices, _core)


class Contract(models.Model):
    """A support contract from the customer's quote (R-PLAN-1).

    Validity dates are local dates in the contract's own time zone. A ticket takes the contract in
    force at its submission; later contracts never rewrite tickets already under another one.
    """

    # Set only on contracts loaded by contract_in_force (which already knows the answer).
    holiday_overrides_exist: bool

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="contracts"
    )
    reference = models.CharField(_("quote reference"), max_length=64)
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices)
    hours = models.CharField(
        _("support hours"), max_length=16, choices=HoursOption.choices, default=HoursOption.PLAN_DEFAULT
    )
    region = models.CharField(_("region"), max_length=16, choices=Region.choices, default=Region.WORLDWIDE)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    holiday_country = models.CharField(_("holiday country"), max_length=2)
    holiday_subdivision = models.CharField(_("holiday subdivision"), max_length=16, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Minutes per priority, e.g. {"P1": 20}: overrides the plan's default targets for this customer.
    target_overrides = models.JSONField(_("target overrides (minutes)"), default=dict, blank=True)
    # The vendor may stop the clock while a ticket waits on the customer or a third party.
    # First response is not paused by default (a waiting ticket has normally been answered already).
    pause_when_waiting = models.BooleanField(_("pause the clock while waiting"), default=False)
    # How outcomes are judged (frozen into each ticket's ledger, stated in the monthly statements):
    # a downgrade after a missed target keeps the miss unless this is off (spec: R-PRIO-6).
    downgrade_keeps_miss = models.BooleanField(_("a downgrade after a miss keeps the miss"), default=True)
    # A ticket solved or closed before any response is left out of attainment unless this is on.
    closed_unanswered_missed = models.BooleanField(
        _("a ticket closed without a response counts as missed"), default=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["organisation__name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="contract_dates_ordered",
                violation_error_message=_("A contract cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.get_plan_display()} ({self.reference})"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def has_phone_support(self) -> bool:
        """R-PLAN-2: phone support is for Premium customers only."""
        return self.plan == Plan.PREMIUM

    def is_valid_at(self, instant: dt.datetime) -> bool:
        if timezone.is_naive(instant):
            raise ValueError("is_valid_at needs an aware datetime")
        local_day = instant.astimezone(self.zone).date()
        return self.valid_from <= local_day and (self.valid_until is None or local_day <= self.valid_until)

    def holiday_changes(self) -> tuple[tuple[tuple[dt.date, str], ...], tuple[dt.date, ...]]:
        """(extra closed days with their names, library holidays this customer works on)."""
        if getattr(self, "holiday_overrides_exist", None) is False:
            return (), ()  # known from the query that loaded this contract (contract_in_force)
        extra: list[tuple[dt.date, str]] = []
        removed: list[dt.date] = []
        for row in self.holiday_overrides.all():
            if row.closed:
                extra.append((row.date, row.name))
            else:
                removed.append(row.date)
        return tuple(extra), tuple(removed)

    def terms(self, priority: str) -> sla.Terms:
        """The first-response terms of `priority` under this contract (the SLA core's policy, this
        contract's hours, zone, holidays and target overrides, the desk's warning settings): what
        a ticket's ledger freezes when its clock starts or its priority changes."""
        extra, removed = self.holiday_changes()
        return sla.terms_for(
            self.plan,
            priority,
            hours=self.hours,
            region=self.region,
            timezone=self.time_zone,
            country=self.holiday_country,
            subdivision=self.holiday_subdivision or None,
            target_overrides=self.target_overrides or None,
            extra_holidays=extra,
            removed_holidays=removed,
            pause_when_waiting=self.pause_when_waiting,
            downgrade_keeps_miss=self.downgrade_keeps_miss,
            closed_unanswered_missed=self.closed_unanswered_missed,
            warn_percent=int(getattr(settings, "GUICHET_SLA_WARN_PERCENT", 75)),
            warn_before_minutes=int(getattr(settings, "GUICHET_SLA_WARN_BEFORE_MINUTES", 30)),
        )

    def terms_facts(self) -> dict[str, object]:
        """What a ledger event records about the contract beside its terms (staff-only data)."""
        return {"contract_id": self.pk, "contract_reference": self.reference, "policy": "guichet.sla.terms"}

    def calendar(self, priority: str) -> sla.Calendar:
        """The calendar a `priority` ticket's clock runs on."""
        return self.terms(priority).calendar.calendar()

    def business_hours(self) -> sla.Calendar:
        """The customer's own business hours (its region's 8 × 5 in its zone): the R-PRIO-7
        contact window for P3/P4 tickets, on every plan."""
        return self.calendar(sla.Priority.P4)

    def hours_for(self, priority: str) -> sla.Hours:
        """Which support hours a `priority` ticket's clock runs on (R-HOURS, R-PRIO-7)."""
        return sla.DEFAULT_POLICY.hours_for(self.plan, priority, self.hours)

    def clean(self) -> None:
        try:
            sla.calendar_for(
                "8x5", self.region, self.time_zone, self.holiday_country, self.holiday_subdivision or None
            )
            # Stored as the holidays library spells them ("on" is Ontario, "ON"): what the screens
            # and the SLA ledger show.
            country, subdivision = sla.normalise_country(
                self.holiday_country, self.holiday_subdivision or None
            )
        except sla.SlaError as exc:
            raise ValidationError(str(exc)) from exc
        self.holiday_country, self.holiday_subdivision = country, subdivision or ""
        for key, minutes in (self.target_overrides or {}).items():
            if key not in Priority.values or not isinstance(minutes, int) or not 0 < minutes <= 60 * 24 * 365:
                raise ValidationError(
                    _("Target overrides map P1–P4 to a whole number of minutes between 1 and 525600.")
                )


class HolidayOverride(models.Model):
    """A day this customer is closed beyond its country's holidays, or works despite one."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="holiday_overrides")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    closed = models.BooleanField(_("closed"), default=True)

    class Meta:
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")
        unique_together = [("contract", "date")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


def contract_in_force(organisation: Organisation, instant: dt.datetime) -> Contract | None:
    """The organisation's contract in force at `instant` (aware), or None: tickets then carry no SLA.

    One query. Validity dates are local to each contract's zone, which is at most a day away
    from UTC: the database narrows to the candidates, `is_valid_at` decides. The query also
    says whether the contract has holiday overrides, so `holiday_changes` skips reading them
    when there are none (the usual case)."""
    if timezone.is_naive(instant):
        raise ValueError("contract_in_force needs an aware datetime")
    day = instant.astimezone(dt.UTC).date()
    one_day = dt.timedelta(days=1)
    # Hand-written SQL: this runs on every ticket opened, and building the equivalent queryset
    # (filters, an Exists annotation) cost the ORM more CPU than the rest of the lookup.
    alias = router.db_for_read(Contract)
    n = len(Contract._meta.concrete_fields)
    with fastsql.cursor(alias) as cursor:
        cursor.execute(
            f"SELECT {fastsql.select_list(Contract, alias, 'c')},"
            f" EXISTS (SELECT 1 FROM {HolidayOverride._meta.db_table} h WHERE h.contract_id = c.id)"
            f" FROM {Contract._meta.db_table} c"
            " WHERE c.organisation_id = %s AND c.valid_from <= %s"
            " AND (c.valid_until IS NULL OR c.valid_until >= %s)"
            " ORDER BY c.valid_from DESC, c.id DESC",
            [organisation.pk, day + one_day, day - one_day],
        )
        rows = cursor.fetchall()
    for row in rows:
        contract = cast(Contract, fastsql.instance(Contract, alias, "c", row[:n]))
        if contract.is_valid_at(instant):
            contract.holiday_overrides_exist = bool(row[n])
            contract.organisation = organisation  # the caller's instance: no second read
            return contract
    return None
