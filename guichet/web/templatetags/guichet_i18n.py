"""Translated labels for codes that are stored as data but shown to people (the audit trail)."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.contracts.models import Region

register = template.Library()

# Every action the ticket services write to the audit trail (tests/i18n checks none is missing).
AUDIT_ACTIONS: dict[str, Promise] = {
    "ticket.opened": _("Ticket opened"),
    "ticket.imported": _("Ticket imported"),
    "ticket.status": _("Status changed"),
    "ticket.reopened": _("Ticket reopened"),
    "ticket.assigned": _("Assignee changed"),
    "ticket.priority_raised": _("Priority raised"),
    "ticket.priority_downgraded": _("Priority downgraded"),
    "message.reply": _("Reply added"),
    "message.note": _("Internal note added"),
    "message.call": _("Phone call logged"),
    "message.delivered": _("Held reply delivered"),
    "contact.attempt": _("Contact attempt logged"),
    "sla.warned": _("First-response warning sent"),
    "sla.breached": _("First-response target missed"),
}


@register.filter
def audit_action(code: str) -> str:
    """The label of an audit action in the active language; empty for an unknown code."""
    label = AUDIT_ACTIONS.get(code)
    return str(label) if label is not None else ""


HOURS_LABELS: dict[str, Promise] = {
    "24x7": _("24 × 7 (always open)"),
    "24x5": _("24 × 5 (Monday 00:01 to Friday 23:59)"),
}


@register.filter
def calendar_label(spec: dict | None) -> str:
    """The hours a clock ran on, in the reader's language, from the calendar specification the SLA
    ledger stored (the core's own calendar name is English, for logs and the CLI)."""
    if not spec:
        return ""

    hours = spec.get("hours")
    if hours in HOURS_LABELS:
        return str(HOURS_LABELS[hours])
    region = Region(spec["region"]).label if spec.get("region") in Region.values else spec.get("region", "")
    place = "-".join(filter(None, [spec.get("country"), spec.get("subdivision")]))
    return str(_("%(region)s, %(place)s public holidays excluded") % {"region": region, "place": place})
