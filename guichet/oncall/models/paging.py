"""What paging does: escalations (one per trigger that pages a ticket), the append-only paging
history on the ticket, single-use acknowledgement links and the alerts an open desk tab shows."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.oncall.models.setup import ContactMethod, EscalationPolicy, Trigger
from guichet.tickets.models import AppendOnlyQuerySet


class EscalationState(models.TextChoices):
    WAITING = "waiting", _("Waiting for the contract's hours")
    ACTIVE = "active", _("Escalating")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STOPPED = "stopped", _("Stopped")
    EXHAUSTED = "exhausted", _("Nobody acknowledged")


#: States in which steps still fire.
LIVE_STATES = (EscalationState.WAITING, EscalationState.ACTIVE)


class Escalation(models.Model):
    """A ticket being paged: ``step`` is the next step to fire, at ``next_step_at``.

    A step fires exactly once: the poll and the scheduled task both advance ``step`` with a
    compare-and-set on (``step``, ``next_step_at``) in the transaction that records its pages, and
    each page has a unique key."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="escalations")
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="escalations")
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    key = models.CharField(max_length=200, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=EscalationState.choices)
    step = models.PositiveIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The levels when the escalation started ({target, person, seconds}): editing the policy never
    # rewrites an escalation in flight.
    levels = models.JSONField(default=list)
    repeat = models.PositiveSmallIntegerField(default=0)
    schedule_id_at_start = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_step_at", "id"],
                condition=models.Q(state__in=["waiting", "active"]),
                name="oncall_escalation_due",
            ),
            models.Index(fields=["ticket", "state"], name="oncall_escalation_ticket"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.trigger} ({self.state})"

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


class PageKind(models.TextChoices):
    TRIGGERED = "triggered", _("Paging started")
    DEFERRED = "deferred", _("Paging waits for the contract's hours")
    DEDUPLICATED = "deduplicated", _("Already paging: not paged again")
    PAGED = "paged", _("Paged")
    NOBODY = "nobody", _("Nobody to page at this level")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Delivery failed")
    SKIPPED = "skipped", _("Not sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STOPPED = "stopped", _("Paging stopped")
    EXHAUSTED = "exhausted", _("Nobody acknowledged")
    NOTICE = "notice", _("Notice")


class PageRecord(models.Model):
    """One fact of a ticket's paging history: a page, a delivery, a failure, an acknowledgement.
    Append-only, like the audit trail and the SLA ledger (updates and deletes are refused)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="page_records")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    kind = models.CharField(_("what"), max_length=16, choices=PageKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="page_records"
    )
    method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    # A fact recorded at most once (a page per step and person, an acknowledgement per escalation).
    key = models.CharField(max_length=200, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("paging record")
        verbose_name_plural = _("paging records")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="oncall_record_once")
        ]
        indexes = [
            models.Index(fields=["ticket", "at"], name="oncall_record_ticket"),
            models.Index(fields=["kind", "at"], name="oncall_record_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} #{self.ticket_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Paging records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("Paging records are append-only")


class AckToken(models.Model):
    """The stored half of a one-click acknowledgement link: single use, expiring."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="ack_tokens")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("acknowledgement link")
        verbose_name_plural = _("acknowledgement links")

    def __str__(self) -> str:
        return f"ack {self.escalation_id} {self.person_id}"


class BrowserAlert(models.Model):
    """A page waiting to be shown by one of the person's open desk tabs (a notification with sound)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    ack_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "shown_at"], name="oncall_browser_pending")]

    def __str__(self) -> str:
        return self.title
