"""The SLA statement of one ticket: the target committed, whether it was met, and the ledger behind
it, for the vendor or for the customer (who sees only the terms and facts of their own clock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from guichet.contracts.models import Plan
from guichet.reports.outcomes import MET, MISSED_OUTCOMES, OUTCOME_LABELS, outcome_of
from guichet.reports.parameters import iso_utc
from guichet.sla import SlaError
from guichet.tickets import ledger
from guichet.tickets.models import SlaEventKind, SlaState, Ticket
from guichet.tickets.selectors import Viewer, visible_sla_events


@dataclasses.dataclass
class StatementEvent:
    seq: int
    kind: str
    label: str
    at: dt.datetime
    recorded_at: dt.datetime
    actor: str
    reason: str
    due_at: dt.datetime | None
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "label": self.label,
            "at": iso_utc(self.at),
            "recorded_at": iso_utc(self.recorded_at),
            "actor": self.actor,
            "reason": self.reason,
            "due_at": iso_utc(self.due_at),
            "data": self.data,
        }


@dataclasses.dataclass
class SlaStatement:
    """What was committed for one ticket and whether it was kept, with the ledger behind it."""

    ticket_id: int
    subject: str
    organisation: str
    contract_reference: str | None
    plan: str | None
    priority: str
    original_priority: str
    submitted_at: dt.datetime
    target_minutes: int | None
    due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    breached_at: dt.datetime | None
    sla_state: str
    outcome: str
    # Business time used on the clock up to the first response (or up to `as_of` while unanswered),
    # from a replay of the ledger: pauses and restarts included.
    business_minutes_used: float | None
    # The customer's zone from the contract: the zone the commitment is expressed in.
    zone: str | None
    events: list[StatementEvent]
    as_of: dt.datetime

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def met(self) -> bool | None:
        """True/False once decided; None while open within target or without SLA."""
        if self.outcome == MET:
            return True
        if self.outcome in MISSED_OUTCOMES:
            return False
        return None

    @property
    def plan_label(self) -> str:
        return str(Plan(self.plan).label) if self.plan in Plan.values else ""

    @property
    def target(self) -> dt.timedelta | None:
        return dt.timedelta(minutes=self.target_minutes) if self.target_minutes is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket_id,
            "subject": self.subject,
            "organisation": self.organisation,
            "contract": self.contract_reference,
            "plan": self.plan,
            "priority": self.priority,
            "original_priority": self.original_priority,
            "zone": self.zone,
            "submitted_at": iso_utc(self.submitted_at),
            "target_minutes": self.target_minutes,
            "due_at": iso_utc(self.due_at),
            "first_response_at": iso_utc(self.first_response_at),
            "breached_at": iso_utc(self.breached_at),
            "sla_state": self.sla_state,
            "outcome": self.outcome,
            "met": self.met,
            "business_minutes_used": self.business_minutes_used,
            "as_of": iso_utc(self.as_of),
            "events": [event.as_dict() for event in self.events],
        }


# What of an event's stored data a customer's statement shows: the terms and facts of their own
# clock. Internal ids, warning thresholds and agents' notes on contact attempts stay with staff.
_CUSTOMER_DATA_KEYS = frozenset(
    {
        "priority",
        "from",
        "plan",
        "contract_reference",
        "target_seconds",
        "calendar",
        "restart",
        "status",
        "due",
        "by",
    }
)


def _data_for(person: Viewer, data: dict[str, Any]) -> dict[str, Any]:
    if not getattr(person, "is_customer", False):
        return data
    shown = {k: v for k, v in data.items() if k in _CUSTOMER_DATA_KEYS}
    if isinstance(data.get("attempts"), list):
        # When and how the team tried to reach them: the evidence behind a downgrade (R-PRIO-6).
        shown["attempts"] = [
            {k: v for k, v in attempt.items() if k in ("at", "channel")}
            for attempt in data["attempts"]
            if isinstance(attempt, dict)
        ]
    return shown


def ticket_sla_statement(ticket: Ticket, *, person: Viewer, as_of: dt.datetime | None = None) -> SlaStatement:
    """The proof, for one ticket, of the target committed and whether it was met, as `person` may
    see it (`OPERATOR` for the command line).

    The caller has already fetched the ticket through the tickets selectors (`get_ticket`). The
    ledger is read through `visible_sla_events`, their rule for what of the SLA history that person
    may see; `person` has no default, so that forgetting it cannot show staff data to a customer.
    """
    as_of = as_of or timezone.now()
    contract = ticket.contract
    rows = list(visible_sla_events(person, ticket).select_related("actor").order_by("seq"))
    events = [
        StatementEvent(
            seq=event.seq,
            kind=event.kind,
            label=str(SlaEventKind(event.kind).label) if event.kind in SlaEventKind.values else event.kind,
            at=event.at,
            recorded_at=event.recorded_at,
            actor=str(event.actor) if event.actor_id else "",
            reason=event.reason,
            due_at=event.due_at,
            data=_data_for(person, event.data or {}),
        )
        for event in rows
    ]
    minutes = None
    if ticket.sla_state != SlaState.NO_SLA and rows:
        try:
            state = ledger.replay(rows)
            used = state.elapsed(ticket.first_response_at or as_of)
            minutes = None if used is None else round(used.total_seconds() / 60, 1)
        except SlaError:  # the statement stands on the ledger rows even if the calendar cannot be rebuilt
            minutes = None
    return SlaStatement(
        ticket_id=ticket.pk,
        subject=ticket.subject,
        organisation=ticket.organisation.name,
        contract_reference=contract.reference if contract else None,
        plan=ticket.plan or None,
        priority=ticket.priority,
        original_priority=ticket.original_priority or ticket.priority,
        submitted_at=ticket.submitted_at,
        target_minutes=ticket.sla_target_minutes,
        due_at=ticket.sla_due_at,
        first_response_at=ticket.first_response_at,
        breached_at=ticket.sla_breached_at,
        sla_state=ticket.sla_state,
        outcome=outcome_of(ticket, as_of),
        business_minutes_used=minutes,
        zone=contract.time_zone if contract else None,
        events=events,
        as_of=as_of,
    )
