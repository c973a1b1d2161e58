"""Translated labels for codes that are stored as data but shown to people (the audit trail)."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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
