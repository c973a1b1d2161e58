"""What the outbox stores: deliveries owed, and the webhook endpoints the vendor configured."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")  # gave up: an operator may retry it
    CANCELLED = "cancelled", _("Cancelled")  # nothing to deliver any more (e.g. the ticket is gone)


class Delivery(models.Model):
    """One side effect a committed write owes: written in the write's transaction, delivered after.

    `key` is the idempotency key: one row per side effect, whatever retries the write or the relay
    make. `due_at` is when the relay may (re)try; `claimed_until`/`claim` lease the row to one
    worker at a time, so a worker killed mid-delivery only delays it until the lease expires.
    """

    kind = models.CharField(_("kind"), max_length=64)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["created_at", "id"]
        indexes = [
            # The relay's poll: pending rows by due time (a partial index: delivered rows pile up).
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="pending"),
                name="outbox_pending_due",
            ),
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL the vendor wants told about ticket events, each POST signed with HMAC-SHA256."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    # Event names (e.g. "ticket.opened"); empty: every event.
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_name: str) -> bool:
        return self.active and (not self.events or event_name in self.events)
