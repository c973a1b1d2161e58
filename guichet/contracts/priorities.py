"""The four priorities, their definitions and examples (R-PRIO-1 to R-PRIO-4), in one place.

The portal shows them when a customer chooses a priority (R-PRIO-5); the API and the CLI print the
same text. Every string is translatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.contracts.models import Priority


@dataclass(frozen=True)
class PriorityInfo:
    code: str
    label: Promise
    definition: Promise
    example: Promise
    # R-PRIO-5: choosing it confirms the impact and that the customer stays available.
    needs_confirmation: bool
    # A phone number to reach the customer is required (P1: immediate attention).
    needs_phone: bool
    # R-PRIO-7: outbound contact only inside the customer's business hours.
    business_hours_contact_only: bool


PRIORITIES: dict[str, PriorityInfo] = {
    Priority.P1: PriorityInfo(
        "P1",
        _("P1 – critical"),
        _(
            "Critical business impact: significant loss or degradation of service that needs "
            "immediate attention."
        ),
        _("The product is unreachable and no user can log in to their machine after MFA."),
        needs_confirmation=True,
        needs_phone=True,
        business_hours_contact_only=False,
    ),
    Priority.P2: PriorityInfo(
        "P2",
        _("P2 – moderate"),
        _("Moderate impact: moderate loss or degradation of service; work can go on in a reduced way."),
        _("Degraded performance affecting several users at peak hours."),
        needs_confirmation=True,
        needs_phone=False,
        business_hours_contact_only=False,
    ),
    Priority.P3: PriorityInfo(
        "P3",
        _("P3 – minimal"),
        _("Minimal impact: minor disruption of service."),
        _("One user cannot log in after MFA, or cannot enrol their card or another MFA factor."),
        needs_confirmation=False,
        needs_phone=False,
        business_hours_contact_only=True,
    ),
    Priority.P4: PriorityInfo(
        "P4",
        _("P4 – no immediate impact"),
        _("No immediate impact: a feature request, a question about a feature or a use-case enquiry."),
        _("Information on upcoming releases, general usage questions."),
        needs_confirmation=False,
        needs_phone=False,
        business_hours_contact_only=True,
    ),
}

CONFIRMATION_TEXT = _(
    "I confirm the impact described by this priority, and that I will stay available to work with "
    "the support team from submission until resolution."
)

# R-PRIO-6: the only downgrades the vendor may make.
DOWNGRADES = {Priority.P1: Priority.P2, Priority.P2: Priority.P3}


def info(priority: str) -> PriorityInfo:
    return PRIORITIES[Priority(priority)]


def rank(priority: str) -> int:
    """1 for P1 (most urgent) to 4 for P4."""
    return int(Priority(priority).value[1])
