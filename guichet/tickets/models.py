"""Tickets, their conversation, their SLA clock and its append-only event ledger, and the audit trail.

Models hold data and simple derived facts; every write that changes a ticket goes through
`guichet.tickets.services`, which also writes the audit trail and the SLA events.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.contracts.models import Plan, Priority, same_words


class Channel(models.TextChoices):
    PORTAL = "portal", _("Web portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)
WAITING_STATUSES = (Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)


class SlaState(models.TextChoices):
    """The core's `guichet.sla.ClockState`, with labels."""

    NO_SLA = sla.ClockState.NO_SLA.value, _("No SLA (no valid contract)")
    RUNNING = sla.ClockState.RUNNING.value, _("Running")
    PAUSED = sla.ClockState.PAUSED.value, _("Paused")
    FULFILLED = sla.ClockState.MET.value, _("Met")
    BREACHED = sla.ClockState.BREACHED.value, _("Breached")
    FULFILLED_LATE = sla.ClockState.MISSED.value, _("Answered late")


same_words(SlaState, sla.ClockState)


class Ticket(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # The contract in force at submission; null means "no SLA" (shown, never silently given a plan).
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    subject = models.CharField(_("subject"), max_length=250)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    # The priority chosen at submission; a downgrade recomputes from the submission (R-PRIO-6).
    original_priority = models.CharField(
        _("original priority"), max_length=2, choices=Priority.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.NEW)
    # R-PRIO-5: for P1/P2 the customer confirms the impact and that they stay available.
    impact_confirmed = models.BooleanField(_("impact and availability confirmed"), default=False)
    contact_phone = models.CharField(_("phone number to reach the customer"), max_length=32, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    # --- Current SLA state: a cache of the replay of SlaEvent rows, kept by the services. ---
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, blank=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SlaState.choices, default=SlaState.NO_SLA
    )
    sla_target_minutes = models.PositiveIntegerField(
        _("first-response target (minutes)"), null=True, blank=True
    )
    sla_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    # Start of the current clock: the submission, or the moment of a raise that shortened it.
    sla_clock_started_at = models.DateTimeField(_("clock started"), null=True, blank=True)
    # While the clock is paused there is no due instant; the business time left is kept instead.
    sla_remaining_seconds = models.PositiveIntegerField(
        _("time left when paused (seconds)"), null=True, blank=True
    )
    # The earliest instant at which the SLA sweep has something to do (warning or breach).
    next_sla_event_at = models.DateTimeField(null=True, blank=True)
    # Imported tickets carry their original ids from the previous desk.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue: open tickets by time left.
            models.Index(fields=["sla_due_at", "id"], name="ticket_queue_due"),
            models.Index(fields=["organisation", "sla_due_at", "id"], name="ticket_org_due"),
            models.Index(fields=["status", "sla_due_at", "id"], name="ticket_status_due"),
            models.Index(fields=["assignee", "status", "sla_due_at"], name="ticket_assignee_due"),
            models.Index(fields=["next_sla_event_at"], name="ticket_next_sla_event"),
            models.Index(fields=["organisation", "-submitted_at"], name="ticket_org_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(priority__in=["P1", "P2"]) | models.Q(impact_confirmed=True),
                name="p1_p2_impact_confirmed",
                violation_error_message=_(
                    "P1 and P2 need the customer's confirmation of impact and availability."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sla_is_warning(self) -> bool:
        """Running, and the warning before the due instant has been given."""
        return (
            self.sla_state == SlaState.RUNNING
            and self.sla_warned_at is not None
            and self.sla_warn_at is None
            and self.first_response_at is None
        )


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    AUTO = "auto", _("Automatic message")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    # R-PRIO-7: a reply to a P3/P4 customer written outside their business hours is held until
    # the next opening. Null deliver_at means "deliver now".
    deliver_at = models.DateTimeField(_("held until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Phone calls (Premium only, R-PLAN-2).
    caller = models.CharField(_("caller"), max_length=200, blank=True)
    phone_number = models.CharField(_("number"), max_length=32, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_time"),
            # deliver_held_messages reads only the held replies.
            models.Index(
                fields=["deliver_at"], condition=models.Q(delivered_at__isnull=True), name="message_held"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} on ticket {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind in {MessageKind.REPLY, MessageKind.CALL, MessageKind.AUTO}

    @property
    def is_held(self) -> bool:
        return self.deliver_at is not None and self.delivered_at is None


class ContactAttempt(models.Model):
    """An agent's attempt to reach the customer: the evidence behind a downgrade (R-PRIO-6)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="contact_attempts")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_channel_display()}"


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Bulk updates and deletes are refused too, not only Model.save()/delete() on a stored row."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ValueError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> NoReturn:
        raise ValueError(f"{self.model.__name__} rows are append-only")


class SlaEventKind(models.TextChoices):
    """The core's `guichet.sla.EventKind`, with labels."""

    APPLIED = sla.EventKind.APPLIED.value, _("SLA applied")
    NO_SLA = sla.EventKind.NO_SLA.value, _("No SLA: no valid contract")
    PAUSED = sla.EventKind.PAUSED.value, _("Clock paused")
    RESUMED = sla.EventKind.RESUMED.value, _("Clock resumed")
    RAISED = sla.EventKind.RAISED.value, _("Priority raised")
    DOWNGRADED = sla.EventKind.DOWNGRADED.value, _("Priority downgraded")
    WARNED = sla.EventKind.WARNED.value, _("Warning sent")
    BREACHED = sla.EventKind.BREACHED.value, _("Target missed")
    FULFILLED = sla.EventKind.FULFILLED.value, _("First response given")


same_words(SlaEventKind, sla.EventKind)


class SlaEvent(models.Model):
    """One append-only entry of a ticket's SLA history. Replaying them gives the ticket's SLA state.

    `data` holds what the replay needs (target, calendar specification, contract and policy
    used), so the history stays exact even if the contract or the holiday data later change.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="sla_events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=SlaEventKind.choices)
    at = models.DateTimeField(_("effective at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(_("due after this event"), null=True, blank=True)
    # Warnings and breaches happen at most once per ticket (and per due instant for warnings):
    # the key makes a second concurrent sweep fail on the database, not send twice.
    dedup_key = models.CharField(max_length=64, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["ticket", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "seq"], name="sla_event_seq_unique"),
            models.UniqueConstraint(
                fields=["ticket", "dedup_key"], condition=~models.Q(dedup_key=""), name="sla_event_once"
            ),
        ]
        indexes = [models.Index(fields=["kind", "at"], name="sla_event_kind_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id}.{self.seq} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("SLA events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("SLA events are append-only")


class AuditEntry(models.Model):
    """Who changed what, when and why. Append-only; written by the services in the same transaction."""

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="audit_ticket_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("Audit entries are append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under an opaque name: the client's file name is kept only as data, never as a path.

    return f"attachments/{instance.message.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
