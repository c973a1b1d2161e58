"""What the vendor configures: schedules and their rotations and overrides, escalation policies,
paging rules per plan × priority, and each person's contact methods, quiet and working hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.accounts.models import validate_time_zone
from guichet.contracts.models import Plan, Priority
from guichet.oncall import rota

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
WEEKDAYS = [0, 1, 2, 3, 4]


class Tier(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


if tuple(Tier.values) != rota.TIERS:  # one list of tiers: the pure model's
    raise RuntimeError("Tier differs from guichet.oncall.rota.TIERS")


def _days(value: Any) -> list[int]:
    if not isinstance(value, list) or not value or any(d not in ALL_DAYS for d in value):
        raise ValidationError(_("Choose at least one day of the week."))
    return sorted(set(value))


class Schedule(models.Model):
    """A team's on-call schedule: rotations per tier, overrides on top (guichet.oncall.rota)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("on-call schedule")
        verbose_name_plural = _("on-call schedules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rota(self, start: dt.datetime | None = None, end: dt.datetime | None = None) -> rota.Schedule:
        """The pure schedule, with the overrides that touch ``[start, end)`` (all when not given)."""
        overrides = self.overrides.all()
        if start is not None:
            overrides = overrides.filter(end__gt=start)
        if end is not None:
            overrides = overrides.filter(start__lt=end)
        return rota.Schedule(
            self.time_zone,
            tuple(r.to_rota() for r in self.rotations.all() if r.members),
            tuple(
                rota.Override(o.tier, o.person_id, o.start, o.end)
                for o in overrides.order_by("created_at", "id")
            ),
        )


class Rotation(models.Model):
    """Members take turns on one tier, handing off at a local time of the rotation's zone."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.PRIMARY)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    hand_off = models.TimeField(_("hand-off time (local)"), default=dt.time(9))
    length_days = models.PositiveSmallIntegerField(
        _("shift length (days)"), default=7, help_text=_("1 for a daily hand-off, 7 for a weekly one.")
    )
    start_date = models.DateField(_("first shift starts"))
    # Ordered person ids: members[0] takes the first shift.
    members = models.JSONField(_("members, in order"), default=list)
    # Follow the sun: on call only between these local times (none: all day), on these days.
    restrict_from = models.TimeField(_("on call from (local)"), null=True, blank=True)
    restrict_to = models.TimeField(_("on call until (local)"), null=True, blank=True)
    restrict_days = models.JSONField(_("on call on"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("layer"), default=0)

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["schedule", "position", "id"]

    def __str__(self) -> str:
        return f"{self.schedule} – {self.name}"

    def restrictions(self) -> tuple[sla.Window, ...]:
        if self.restrict_from is None or self.restrict_to is None:
            if self.restrict_days and sorted(self.restrict_days) != ALL_DAYS:
                return sla.Window.daily(self.restrict_days, dt.time(0), dt.time(0))
            return ()
        return sla.Window.daily(self.restrict_days or ALL_DAYS, self.restrict_from, self.restrict_to)

    def to_rota(self) -> rota.Rotation:
        return rota.Rotation(
            self.tier,
            self.time_zone,
            tuple(int(m) for m in self.members),
            self.hand_off,
            self.start_date,
            self.length_days,
            self.restrictions(),
            self.name,
        )

    def clean(self) -> None:
        if not 1 <= (self.length_days or 0) <= 366:
            raise ValidationError(_("A shift lasts 1 to 366 days."))
        if (self.restrict_from is None) != (self.restrict_to is None):
            raise ValidationError(_("Give both ends of the on-call hours, or neither."))
        if self.restrict_days:
            self.restrict_days = _days(self.restrict_days)
        if not isinstance(self.members, list) or not all(isinstance(m, int) for m in self.members):
            raise ValidationError(_("Members are a list of people."))


class Override(models.Model):
    """One person takes a tier for a while (a swap, a holiday, an illness)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.PRIMARY)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="oncall_override_ordered",
                violation_error_message=_("An override ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.tier} {self.start:%Y-%m-%d %H:%M}"


class LevelTarget(models.TextChoices):
    PRIMARY = "primary", _("Whoever is primary on call")
    SECONDARY = "secondary", _("Whoever is secondary on call")
    LEADS = "leads", _("The team leads")
    PERSON = "person", _("One person")


class EscalationPolicy(models.Model):
    """Ordered levels, each paged after the previous one stayed unacknowledged for its timeout."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    schedule = models.ForeignKey(
        Schedule,
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    repeat = models.PositiveSmallIntegerField(
        _("repeat"), default=1, help_text=_("How many more times the levels run when nobody acknowledges.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(_("level"), default=1)
    target = models.CharField(_("who"), max_length=16, choices=LevelTarget.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Seconds (the screens speak minutes): the benchmark and the fault tests escalate in seconds.
    timeout_seconds = models.PositiveIntegerField(_("wait before the next level (seconds)"), default=300)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "position", "id"]

    def __str__(self) -> str:
        return f"{self.policy} #{self.position}"

    def clean(self) -> None:
        if self.target == LevelTarget.PERSON and self.person_id is None:
            raise ValidationError(_("Choose the person this level pages."))
        if not 60 <= (self.timeout_seconds or 0) <= 1440 * 60:
            raise ValidationError(_("A level waits 1 to 1440 minutes."))

    @property
    def timeout_minutes(self) -> int:
        return self.timeout_seconds // 60


class Trigger(models.TextChoices):
    OPENED = "opened", _("A new ticket")
    RAISED = "raised", _("A raise to P1 or P2")
    CUSTOMER_REPLY = "customer_reply", _("A customer reply on an unassigned P1 or P2")
    WARNED = "warned", _("The warning before the target")
    BREACHED = "breached", _("The breach of the target")


class PagingMode(models.TextChoices):
    ALWAYS = "always", _("Page at once, at any hour")
    BUSINESS_HOURS = "business_hours", _("Page within the contract's hours, else at their next opening")
    NEVER = "never", _("Never page")


#: The defaults of the issue: Premium P1/P2 at once at any hour, Basic P1 within the contract's
#: hours, everything else never.
DEFAULT_MODES: dict[tuple[str, str], str] = {
    (Plan.PREMIUM, Priority.P1): PagingMode.ALWAYS,
    (Plan.PREMIUM, Priority.P2): PagingMode.ALWAYS,
    (Plan.BASIC, Priority.P1): PagingMode.BUSINESS_HOURS,
}


class PagingRule(models.Model):
    """Whether, when and through which policy a ticket of one plan × priority pages."""

    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    mode = models.CharField(_("paging"), max_length=16, choices=PagingMode.choices)
    triggers = models.JSONField(_("triggers"), default=list, blank=True)
    policy = models.ForeignKey(
        EscalationPolicy,
        verbose_name=_("escalation policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("paging rule")
        verbose_name_plural = _("paging rules")
        ordering = ["plan", "priority"]
        constraints = [models.UniqueConstraint(fields=["plan", "priority"], name="oncall_rule_once")]

    def __str__(self) -> str:
        return f"{self.plan} {self.priority}: {self.mode}"

    @classmethod
    def default(cls, plan: str, priority: str) -> PagingRule:
        mode = DEFAULT_MODES.get((plan, priority), PagingMode.NEVER)
        triggers = list(Trigger.values) if mode != PagingMode.NEVER else []
        return cls(plan=plan, priority=priority, mode=mode, triggers=triggers)

    def clean(self) -> None:
        if not isinstance(self.triggers, list) or any(t not in Trigger.values for t in self.triggers):
            raise ValidationError(_("Unknown trigger."))


class ContactKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    APPRISE = "apprise", _("Apprise URL (Slack, Teams, ntfy, Telegram, SMS…)")
    BROWSER = "browser", _("Browser notification on an open desk tab")
    WEBHOOK = "webhook", _("Webhook signed with HMAC")


class ContactMethod(models.Model):
    """One way to reach a person, tried ``delay_minutes`` after the page (in ``position`` order)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    target = models.CharField(_("address or URL"), max_length=500, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, blank=True)
    delay_minutes = models.PositiveSmallIntegerField(_("minutes after the page"), default=0)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    last_test_at = models.DateTimeField(_("last test"), null=True, blank=True)
    last_test_result = models.CharField(_("last test result"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contact method")
        verbose_name_plural = _("contact methods")
        ordering = ["person", "position", "delay_minutes", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_target}"

    @property
    def display_target(self) -> str:
        """The target without its secrets (an Apprise URL carries tokens)."""
        if self.kind in (ContactKind.APPRISE, ContactKind.WEBHOOK):
            scheme, _sep, rest = self.target.partition("://")
            host = rest.split("@")[-1].split("/")[0].split("?")[0]
            return f"{scheme}://{host}/…" if rest else self.target
        return self.target

    def clean(self) -> None:
        from django.core.validators import validate_email

        if self.delay_minutes > 120:
            raise ValidationError(_("A contact method waits at most 120 minutes."))
        if self.kind == ContactKind.EMAIL:
            validate_email(self.target)
        elif self.kind == ContactKind.WEBHOOK:
            if not self.target.startswith(("http://", "https://")):
                raise ValidationError(_("A webhook is an http:// or https:// URL."))
            if not self.secret:
                from guichet.outbox.models import new_secret

                self.secret = new_secret()
        elif self.kind == ContactKind.APPRISE:
            from guichet.oncall.channels import check_apprise_url

            check_apprise_url(self.target)
        elif self.kind == ContactKind.BROWSER:
            self.target = ""


class OncallProfile(models.Model):
    """A person's quiet hours (ordinary notifications wait; pages never do) and working hours
    (the report counts pages outside them), in the person's own zone."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall")
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_to = models.TimeField(_("quiet until"), null=True, blank=True)
    work_days = models.JSONField(_("working days"), default=list, blank=True)
    work_from = models.TimeField(_("working from"), default=dt.time(9))
    work_to = models.TimeField(_("working until"), default=dt.time(17))
    # Bumped to revoke the private calendar feed's address.
    feed_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("on-call profile")
        verbose_name_plural = _("on-call profiles")

    def __str__(self) -> str:
        return str(self.person)

    def working_hours(self) -> sla.Calendar:
        return sla.Calendar(
            self.person.time_zone, sla.Window.daily(self.work_days or WEEKDAYS, self.work_from, self.work_to)
        )

    def quiet_hours(self) -> sla.Calendar | None:
        if self.quiet_from is None or self.quiet_to is None or self.quiet_from == self.quiet_to:
            return None
        return sla.Calendar(self.person.time_zone, sla.Window.daily(range(7), self.quiet_from, self.quiet_to))
