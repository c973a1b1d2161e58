"""What the e-mail channel keeps: every inbound message's raw bytes, our outbound Message-IDs, and
the IMAP cursors.

The raw bytes are stored (and committed) before anything else happens, so an acknowledged message
can always be reprocessed; the unique keys make redelivery harmless (see docs/mail.md).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundMessage(models.Model):
    """One inbound e-mail exactly as it arrived, and what became of it."""

    # Set (not stored) by processing when this mail opened a ticket: its acknowledgement is owed.
    opened_ticket: bool = False

    raw = models.BinaryField(_("raw message"))
    sha256 = models.CharField(_("SHA-256 of the raw bytes"), max_length=64, unique=True)
    # Normalised (no angle brackets, no spaces); a synthetic one when the header is missing.
    message_id = models.CharField(_("Message-ID"), max_length=998)
    source = models.CharField(_("source"), max_length=16)  # "imap", "smtp", "lmtp", "cli"
    mailbox = models.CharField(_("mailbox"), max_length=300, blank=True)
    uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True)
    uidvalidity = models.BigIntegerField(_("IMAP UIDVALIDITY"), null=True, blank=True)
    from_address = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    # Why it was ignored or quarantined, or the last processing error (kept for the admins).
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_mail",
    )
    ticket_message = models.OneToOneField(
        "tickets.Message",
        verbose_name=_("ticket message"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_mail",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["created_at", "id"]
        constraints = [
            # Exactly-once effect: a second delivery of the same message (re-poll, MTA retry, the same
            # mail fetched from two mailboxes) meets this constraint and creates nothing.
            models.UniqueConstraint(fields=["message_id"], name="inbound_message_id_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="inbound_pending"),
            models.Index(fields=["from_address", "processed_at"], name="inbound_sender_rate"),
        ]

    def __str__(self) -> str:
        return f"<{self.message_id}> {self.get_status_display()}"

    @property
    def raw_bytes(self) -> bytes:
        # BinaryField reads back as memoryview on PostgreSQL and bytes on SQLite.
        return bytes(self.raw)


class OutboundKind(models.TextChoices):
    ACKNOWLEDGEMENT = "ack", _("Acknowledgement of a new ticket")
    REPLY = "reply", _("Agent reply")
    NOTICE = "notice", _("Automatic notice")
    ALERT = "alert", _("SLA alert to an agent")
    STATEMENT = "statement", _("Monthly SLA statement")


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboundMail(models.Model):
    """An e-mail we send, about a ticket or not (a monthly statement). Its Message-ID threads the
    customer's answer back."""

    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_mail",
    )
    # The agent reply this mail carries (kind "reply").
    ticket_message = models.ForeignKey(
        "tickets.Message",
        verbose_name=_("ticket message"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_mail",
    )
    # The inbound mail this acknowledges (kind "ack").
    inbound = models.ForeignKey(
        InboundMessage,
        verbose_name=_("inbound e-mail"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_mail",
    )
    to_address = models.CharField(_("recipient"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300)
    # Mail that carries neither a ticket message nor an inbound mail (an SLA alert) is sent once per
    # key: a retried task finds the row it recorded.
    dedup_key = models.CharField(_("idempotency key"), max_length=200, blank=True, default="")
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        ordering = ["created_at", "id"]
        constraints = [
            # A retried task or a re-ingested message never sends a second mail for the same thing.
            models.UniqueConstraint(
                fields=["ticket_message", "kind"],
                condition=models.Q(ticket_message__isnull=False),
                name="outbound_once_per_message",
            ),
            models.UniqueConstraint(
                fields=["inbound", "kind"],
                condition=models.Q(inbound__isnull=False),
                name="outbound_once_per_inbound",
            ),
            models.UniqueConstraint(
                fields=["dedup_key"], condition=~models.Q(dedup_key=""), name="outbound_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["to_address", "kind", "created_at"], name="outbound_rate")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} <{self.message_id}>"


class ImapCursor(models.Model):
    """How far a mailbox has been read: the last UID seen, valid only under its UIDVALIDITY."""

    mailbox = models.CharField(_("mailbox"), max_length=300, unique=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    last_uid = models.BigIntegerField(_("last UID"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # One poller per mailbox at a time; a lease rather than a lock, so a crashed worker's claim
    # expires by itself.
    leased_until = models.DateTimeField(_("being polled until"), null=True, blank=True)

    class Meta:
        verbose_name = _("IMAP cursor")
        verbose_name_plural = _("IMAP cursors")

    def __str__(self) -> str:
        return f"{self.mailbox} {self.uidvalidity}:{self.last_uid}"
