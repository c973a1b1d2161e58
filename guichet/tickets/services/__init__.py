"""Every write that changes a ticket. One function per action.

Each function is keyword-only, runs in one transaction with the ticket row locked, writes an
`AuditEntry` (who, when, what, why), appends `SlaEvent` rows when the clock is affected and
refreshes the ticket's cached SLA fields from the replay of its ledger. A bad request raises
`ServiceError` (a translated `ValidationError`) and changes nothing.

`at=` (on most functions) lets staff record something that happened earlier (the demo loader,
imports, a call logged after hanging up). It can never be in the future, nor before the ticket's
last SLA event, so the ledger stays in order; customers cannot use it.

The functions live in modules by topic (`opening`, `conversation`, `workflow`, `priority`,
`sweep`, `importing`; what they share in `_base`); callers use this package: `services.add_reply(…)`.
"""

from __future__ import annotations

from guichet.tickets.services._base import ServiceError, max_attachment_bytes
from guichet.tickets.services.conversation import (
    REPLY_CHANNELS,
    add_note,
    add_reply,
    contact_window,
    log_call,
    record_contact_attempt,
)
from guichet.tickets.services.importing import import_ticket
from guichet.tickets.services.opening import open_ticket
from guichet.tickets.services.priority import downgrade_priority, raise_priority
from guichet.tickets.services.sweep import deliver_held_messages, sweep_sla, ticket_sla_state
from guichet.tickets.services.workflow import CUSTOMER_STATUSES, assign, change_status, open_statuses

__all__ = [
    "CUSTOMER_STATUSES",
    "REPLY_CHANNELS",
    "ServiceError",
    "add_note",
    "add_reply",
    "assign",
    "change_status",
    "contact_window",
    "deliver_held_messages",
    "downgrade_priority",
    "import_ticket",
    "log_call",
    "max_attachment_bytes",
    "open_statuses",
    "open_ticket",
    "raise_priority",
    "record_contact_attempt",
    "sweep_sla",
    "ticket_sla_state",
]
