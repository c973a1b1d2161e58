"""The on-call app's models: what is configured (`setup.py`: schedules, rotations, overrides,
escalation policies, paging rules, contact methods, people's on-call profiles) and what happens
(`paging.py`: escalations, the append-only paging history of a ticket, acknowledgement links,
alerts waiting for an open desk tab)."""

from guichet.oncall.models.paging import (
    AckToken,
    BrowserAlert,
    Escalation,
    EscalationState,
    PageKind,
    PageRecord,
)
from guichet.oncall.models.setup import (
    ContactKind,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    LevelTarget,
    OncallProfile,
    Override,
    PagingMode,
    PagingRule,
    Rotation,
    Schedule,
    Tier,
    Trigger,
)

__all__ = [
    "AckToken",
    "BrowserAlert",
    "ContactKind",
    "ContactMethod",
    "Escalation",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationState",
    "LevelTarget",
    "OncallProfile",
    "Override",
    "PageKind",
    "PageRecord",
    "PagingMode",
    "PagingRule",
    "Rotation",
    "Schedule",
    "Tier",
    "Trigger",
]
