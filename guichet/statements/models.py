"""A produced monthly statement, kept exactly as signed and sent."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Statement(models.Model):
    """One organisation's signed SLA statement for one month (its canonical JSON, byte for byte).

    Kept once produced: what the customer received is what the portal lists. Produced again for
    the same month, it is the same row (the unique constraint makes a resumed run skip it)."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM, in the statement's zone
    zone = models.CharField(_("time zone"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    produced_at = models.DateTimeField(_("produced"), default=timezone.now)
    document = models.TextField(_("signed document (JSON)"))
    sha256 = models.CharField(_("SHA-256 of the document"), max_length=64)
    key_id = models.CharField(_("signing key"), max_length=16)
    tickets = models.PositiveIntegerField(_("tickets"), default=0)
    attainment = models.CharField(_("attainment (%)"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("SLA statement")
        verbose_name_plural = _("SLA statements")
        ordering = ["-month", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="statement_once_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month}"

    @property
    def data(self) -> dict[str, Any]:
        value = json.loads(self.document)
        assert isinstance(value, dict)
        return value

    @staticmethod
    def digest(document: str) -> str:
        return hashlib.sha256(document.encode("utf-8")).hexdigest()
