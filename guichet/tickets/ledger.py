"""The SLA ledger on the Django side: `SlaEvent` rows ↔ the core's `guichet.sla.Event`, and the
ticket fields that cache the replay.

Nothing here computes a clock. The ledger (append-only `SlaEvent` rows) is the truth; `replay`
maps the rows to core events and folds them with `guichet.sla.replay`; the SLA fields on
`Ticket` are a cache of that state (`cached_fields`), kept by the services and checked by
`guichet checkledger`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from guichet import sla
from guichet.sla.chain import GENESIS, ChainError, EventRecord, verify_chain
from guichet.sla.ledger import utc

if TYPE_CHECKING:
    from guichet.tickets.models import SlaEvent, Ticket

__all__ = [
    "CACHED_FIELDS",
    "breach_key",
    "cached_fields",
    "chain_record",
    "check_chain",
    "explain_data",
    "iso",
    "replay",
    "replay_ticket",
    "seal",
    "to_core",
    "warn_key",
]


def iso(instant: dt.datetime) -> str:
    """An instant as stored in the ledger's JSON: ISO 8601 in UTC."""
    return utc(instant).isoformat()


def to_core(row: SlaEvent) -> sla.Event:
    return sla.Event.from_record(row.kind, row.at, row.data)


def replay(rows: Iterable[SlaEvent]) -> sla.LedgerState:
    """The state of a ledger given its rows in order (`seq`)."""
    return sla.replay(to_core(row) for row in rows)


def replay_ticket(ticket: Ticket) -> sla.LedgerState:
    return replay(ticket.sla_events.order_by("seq"))


def breach_key(state: sla.LedgerState) -> str:
    """The dedup key of a breach: once per ticket, except a breach of a downgraded target after the
    contract let the downgrade waive the first miss (one more per due instant then)."""
    return f"breached:{iso(state.due_at)}" if state.waived and state.due_at else "breached"


# --- The hash chain (guichet.sla.chain) -------------------------------------------------------------


def chain_record(row: SlaEvent, prev: str) -> EventRecord:
    """A stored row as the chain encodes it, following the event whose hash is `prev`."""
    return EventRecord.of(
        ticket=row.ticket_id,
        seq=row.seq,
        kind=row.kind,
        at=row.at,
        recorded_at=row.recorded_at,
        due_at=row.due_at,
        reason=row.reason,
        data=row.data or {},
        prev=prev,
    )


def seal(row: SlaEvent, previous: SlaEvent | None) -> SlaEvent:
    """Set a new row's place in its ticket's chain (`prev_hash`, `hash`) before it is inserted.
    Its ticket, seq, instants, reason and data must be final (the data as JSON reads it back)."""
    row.prev_hash = previous.hash if previous is not None else GENESIS
    row.hash = chain_record(row, row.prev_hash).hash()
    return row


def check_chain(rows: Iterable[SlaEvent]) -> ChainError | None:
    """Re-derive a ticket's chain from its stored rows (in seq order): the first break, or None."""
    rows = list(rows)
    records = [chain_record(row, row.prev_hash) for row in rows]
    return verify_chain(records, [row.hash for row in rows])


def warn_key(due_at: dt.datetime | None) -> str:
    """The dedup key of a warning: one per due instant (a raise that moves it warns again)."""
    return f"warned:{iso(due_at)}" if due_at else "warned:-"


# Ticket fields that cache the replay. `cached_fields(state)` gives their values.
CACHED_FIELDS = (
    "plan",
    "priority",
    "sla_state",
    "sla_target_minutes",
    "sla_due_at",
    "sla_warn_at",
    "sla_warned_at",
    "sla_breached_at",
    "sla_clock_started_at",
    "sla_remaining_seconds",
    "next_sla_event_at",
    "first_response_at",
    "sla_closed_missed",
)


def cached_fields(state: sla.LedgerState) -> dict[str, Any]:
    target = state.target
    return {
        "plan": state.plan.value if state.plan else "",
        "priority": state.priority.value if state.priority else "",
        "sla_state": state.status.value,
        "sla_target_minutes": None if target is None else int(target.total_seconds() // 60),
        "sla_due_at": state.due_at,
        "sla_warn_at": state.warn_at,
        "sla_warned_at": state.warned_at,
        "sla_breached_at": state.breached_at,
        "sla_clock_started_at": state.clock_started_at,
        "sla_remaining_seconds": None if state.remaining is None else int(state.remaining.total_seconds()),
        "next_sla_event_at": state.next_event_at,
        "first_response_at": state.first_response_at,
        "sla_closed_missed": bool(state.terms is not None and state.terms.closed_unanswered_missed),
    }


def explain_data(state: sla.LedgerState) -> dict[str, Any] | None:
    """Why the ticket is due when it is, as JSON-ready data (the desk panel and the API)."""
    if state.terms is None or state.clock_started_at is None:
        return None
    data: dict[str, Any] = {
        "priority": state.priority.value if state.priority else "",
        "plan": state.plan.value if state.plan else "",
        "target_minutes": int(state.terms.target.total_seconds() // 60),
        "calendar": state.terms.calendar.to_dict(),
        "clock_started_at": iso(state.clock_started_at),
        "running": [
            {"start": iso(start), "end": iso(end) if end else None} for start, end in state.running_periods()
        ],
        "due_at": iso(state.due_at) if state.due_at else None,
    }
    try:
        explanation = state.explain()
        if explanation is not None:
            data["explanation"] = explanation.to_dict()
    except sla.SlaError as exc:  # an explanation must never break a page
        data["explanation_error"] = str(exc)
    return data
