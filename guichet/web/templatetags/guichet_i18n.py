"""Translated labels for codes that are stored as data but shown to people (the audit trail)."""

from __future__ import annotations

import contextlib
import re

from django import template
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _

from guichet import sla
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
    country, subdivision = spec.get("country"), spec.get("subdivision")
    if country:
        # Ledgers written before contracts were normalised may hold "on" for Ontario.
        with contextlib.suppress(sla.SlaError):
            country, subdivision = sla.normalise_country(country, subdivision)
    place = "-".join(filter(None, [country, subdivision]))
    return str(_("%(region)s, %(place)s public holidays excluded") % {"region": region, "place": place})


# "de" and "que" before a vowel, once a name has been put into a French sentence.
_ELIDABLE = re.compile(r"\b([Dd]e|[Qq]ue) (?=[aeiouàâäéèêëîïôöûüœæAEIOUÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ])")


@register.filter
def elide(text: str) -> str:
    """French elision where a name was filled in: "Tickets de Atelier" → "Tickets d'Atelier",
    "de Érable" → "d'Érable" (a translator cannot elide before a name they do not know). Other
    languages are unchanged. Only an apostrophe is inserted: safe text stays safe."""
    if not (translation.get_language() or "").startswith("fr"):
        return text
    result = _ELIDABLE.sub(lambda m: m.group(1)[:-1] + "'", str(text))
    return mark_safe(result) if isinstance(text, SafeData) else result  # only an apostrophe was added
