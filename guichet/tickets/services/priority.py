"""Priority changes: a raise (a new target from the raise, never a later due instant) and the
downgrade of a P1/P2 whose customer cannot be reached (R-PRIO-6).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.accounts.models import Person
from guichet.contracts import priorities
from guichet.contracts.models import Priority
from guichet.tickets.events import PriorityChanged
from guichet.tickets.models import (
    Channel,
    MessageKind,
    SlaEventKind,
    Ticket,
)
from guichet.tickets.services._base import (
    ServiceError,
    _append,
    _check_confirmation,
    _check_ticket_access,
    _clean_phone,
    _clean_priority,
    _clean_text,
    _profile_phone,
    _publish,
    _published,
    _replay,
    _require_staff,
    ticket_change,
)
from guichet.tickets.services.conversation import _customer_message


def raise_priority(
    *,
    actor: Person,
    ticket: Ticket,
    priority: str,
    reason: str,
    impact_confirmed: bool = False,
    contact_phone: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    """Make a ticket more urgent. The new target starts at the raise but never moves the due later."""
    _check_ticket_access(actor, ticket)
    priority = _clean_priority(priority)
    reason = _clean_text(reason, _("Reason"))
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        if not locked.is_open:
            raise ServiceError(_("Reopen the ticket before changing its priority."), code="closed")
        old = locked.priority
        if priorities.rank(priority) >= priorities.rank(old):
            raise ServiceError(
                _("%(new)s is not more urgent than %(old)s.") % {"new": priority, "old": old},
                code="not_raise",
            )
        phone = _clean_phone(contact_phone) or locked.contact_phone or _profile_phone(locked.requester)
        confirmed = impact_confirmed or locked.impact_confirmed
        _check_confirmation(priority, confirmed, phone)
        locked.impact_confirmed = confirmed
        locked.contact_phone = phone
        state = _replay(locked)
        # The new terms start a clock beside the current one; the earlier due time binds (guichet.sla).
        terms = locked.contract.terms(priority) if locked.contract is not None and state.has_sla else None
        facts: dict[str, Any] = {"from": old, "previous_due": state.due_at}
        if terms is not None and locked.contract is not None:
            facts.update(locked.contract.terms_facts())
        event = sla.Event.priority_change(sla.EventKind.RAISED, when, priority, terms, **facts)
        _append(locked, event, actor=actor, reason=reason)
        if priority in (Priority.P1, Priority.P2):
            # The contact window no longer applies: replies held for business hours go out now.
            for held in locked.messages.filter(delivered_at__isnull=True, deliver_at__isnull=False):
                held.delivered_at = when
                held.save(update_fields=["delivered_at"])
                _published(held)
        _publish(PriorityChanged(ticket_id=locked.pk, at=when, old=old, new=priority, raised=True))
        change.audit(
            "ticket.priority_raised",
            changes={"priority": [old, priority], "due": locked.sla_due_at},
            reason=reason,
        )
    return locked


def downgrade_priority(
    *, actor: Person, ticket: Ticket, reason: str, at: dt.datetime | None = None
) -> Ticket:
    """R-PRIO-6: P1→P2 or P2→P3 when the customer could not be reached; the clock is recomputed from
    the original submission with the new target and calendar. Shown to the customer."""
    _require_staff(actor)
    reason = _clean_text(reason, _("Reason"))
    with ticket_change(actor=actor, ticket=ticket, at=at) as change:
        locked, when = change.ticket, change.at
        old = locked.priority
        new = priorities.DOWNGRADES.get(Priority(old))
        if new is None:
            raise ServiceError(
                _("Only P1 (to P2) and P2 (to P3) tickets can be downgraded."), code="not_downgradable"
            )
        if not locked.is_open:
            raise ServiceError(_("Reopen the ticket before changing its priority."), code="closed")
        # Evidence: unanswered attempts since the customer last wrote (a reply shows they respond),
        # and made after the previous priority change: each downgrade needs its own (R-PRIO-6).
        last_customer = (
            locked.messages.filter(author__role="customer", kind=MessageKind.REPLY).aggregate(
                last=Max("created_at")
            )["last"]
            or locked.submitted_at
        )
        last_change = locked.sla_events.filter(
            kind__in=(SlaEventKind.RAISED, SlaEventKind.DOWNGRADED)
        ).aggregate(last=Max("at"))["last"]
        candidates = locked.contact_attempts.filter(answered=False, at__gte=last_customer, at__lte=when)
        if last_change is not None:
            candidates = candidates.filter(at__gt=last_change)
        attempts = list(candidates.order_by("at"))
        needed = int(getattr(settings, "GUICHET_DOWNGRADE_MIN_ATTEMPTS", 1))
        if len(attempts) < needed:
            raise ServiceError(
                _(
                    "A downgrade needs at least %(n)s unanswered attempt(s) to reach the customer since "
                    "their last message and the last priority change; record them first."
                )
                % {"n": needed},
                code="no_attempts",
            )
        # A missed P1/P2 target is recorded (by _append) before the downgrade and never erased.
        facts: dict[str, Any] = {
            "from": old,
            "attempts": [{"id": a.pk, "at": a.at, "channel": a.channel, "note": a.note} for a in attempts],
        }
        state = _replay(locked)
        terms = locked.contract.terms(new) if locked.contract is not None and state.has_sla else None
        if terms is not None and locked.contract is not None:
            facts.update(locked.contract.terms_facts())
        event = sla.Event.priority_change(sla.EventKind.DOWNGRADED, when, new, terms, **facts)
        _append(locked, event, actor=actor, reason=reason)
        _publish(PriorityChanged(ticket_id=locked.pk, at=when, old=old, new=str(new), raised=False))
        # Stored text for the customer: in the requester's language, not the agent's.
        with translation.override(locked.requester.language or settings.LANGUAGE_CODE):
            notice = str(
                _("The priority of your request was lowered from %(old)s to %(new)s: %(reason)s")
                % {"old": old, "new": new, "reason": reason}
            )
        _customer_message(
            locked, author=None, kind=MessageKind.AUTO, channel=Channel.EMAIL, body=notice, at=when
        )
        change.audit(
            "ticket.priority_downgraded",
            changes={
                "priority": [old, str(new)],
                "due": locked.sla_due_at,
                "attempts": [a.pk for a in attempts],
            },
            reason=reason,
        )
    return locked
