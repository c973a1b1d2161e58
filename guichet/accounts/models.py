"""Who uses the desk: customer organisations, people (customer contacts, agents, team leads and
administrators) and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("%(value)s is not a known IANA time zone."), params={"value": value}) from exc


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer contact")
    AGENT = "agent", _("Agent")
    LEAD = "lead", _("Team lead")
    ADMIN = "admin", _("Administrator")


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")


class Organisation(models.Model):
    """A customer of the vendor. Its contracts (guichet.contracts) say what support it bought."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # The table keeps the name it had when the model lived in guichet.contracts.
        db_table = "contracts_organisation"

    def __str__(self) -> str:
        return self.name


class Person(AbstractUser):
    """Anyone who signs in. Customers belong to exactly one organisation; staff to none."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.EN)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    # A customer contact who receives the organisation's monthly SLA statements (R-PLAN-4); without
    # one, the organisation's main contact (its first active contact with an address) does.
    is_billing_contact = models.BooleanField(_("billing contact"), default=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="customer") | models.Q(organisation__isnull=False),
                name="customer_has_organisation",
                violation_error_message=_("A customer contact belongs to an organisation."),
            ),
            models.CheckConstraint(
                condition=models.Q(role="customer") | models.Q(organisation__isnull=True),
                name="staff_has_no_organisation",
                violation_error_message=_("Agents, leads and administrators belong to no organisation."),
            ),
        ]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_agent(self) -> bool:
        """Vendor staff: agents, team leads and administrators all work tickets."""
        return self.role in {Role.AGENT, Role.LEAD, Role.ADMIN}

    @property
    def is_vendor_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token scoped to one person: the API acts with exactly that person's permissions.

    Only a SHA-256 digest is stored; the clear token is shown once, at creation.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(clear: str) -> str:
        return hashlib.sha256(clear.encode()).hexdigest()

    @classmethod
    def issue(cls, person: Person, name: str, expires_at=None) -> tuple[ApiToken, str]:
        clear = "gch_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            person=person, name=name, digest=cls.hash(clear), prefix=clear[4:12], expires_at=expires_at
        )
        return token, clear

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
