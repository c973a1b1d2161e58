"""What became of a ticket's first-response target, judged from its ledger state at an instant.

One rule, used by the statements and their verifier (the reports' SQL is its twin over the cached
fields, `guichet.reports.outcomes`):

- ``met``: the first response came at or before the due instant;
- ``answered_late``: it came after, or after a recorded breach;
- ``breached``: no response and the due instant has passed (recorded or not: a late sweep must
  not make a ticket look better);
- ``closed_unanswered``: solved or closed before any response and before the due instant (no
  response is owed unless it is reopened); left out of attainment, unless the terms say
  ``closed_unanswered_missed``: then it is ``closed_missed``, a miss;
- ``open``: still running within its target, or paused;
- ``no_sla``: no contract in force at submission.

>>> from datetime import datetime, UTC
>>> from guichet.sla.ledger import Event, replay
>>> from guichet.sla.terms import terms_for
>>> t = terms_for("premium", "P1", timezone="Europe/Paris", country="FR")
>>> s = replay([Event.applied(datetime(2026, 3, 2, 9, tzinfo=UTC), t)])
>>> [outcome(s, datetime(2026, 3, 2, 9, m, tzinfo=UTC)).value for m in (30, 31)]
['open', 'breached']
"""

from __future__ import annotations

import enum
from datetime import datetime

from guichet.sla.clock import ClockState
from guichet.sla.ledger import LedgerState, utc

__all__ = ["DECIDED", "MISSED", "Outcome", "attainment_percent", "outcome"]


class Outcome(enum.StrEnum):
    MET = "met"
    BREACHED = "breached"
    ANSWERED_LATE = "answered_late"
    CLOSED_MISSED = "closed_missed"
    OPEN = "open"
    CLOSED_UNANSWERED = "closed_unanswered"
    NO_SLA = "no_sla"


MISSED = frozenset({Outcome.BREACHED, Outcome.ANSWERED_LATE, Outcome.CLOSED_MISSED})
DECIDED = MISSED | {Outcome.MET}


def outcome(state: LedgerState, as_of: datetime) -> Outcome:
    """The outcome of ``state`` as of ``as_of`` (see the module docstring)."""
    if state.clock is None:
        return Outcome.NO_SLA
    status = state.status
    if status is ClockState.MET:
        return Outcome.MET
    if status is ClockState.MISSED:
        return Outcome.ANSWERED_LATE
    if status is ClockState.BREACHED:
        return Outcome.BREACHED
    if status is ClockState.RUNNING and state.due_at is not None and state.due_at < utc(as_of):
        return Outcome.BREACHED
    if state.closed_unanswered:
        missed = state.terms is not None and state.terms.closed_unanswered_missed
        return Outcome.CLOSED_MISSED if missed else Outcome.CLOSED_UNANSWERED
    return Outcome.OPEN


def attainment_percent(met: int, missed: int) -> str | None:
    """met ÷ (met + missed) in percent, rounded half-up to one decimal, as text; None if nothing
    is decided. Integer arithmetic: the same figure everywhere, no float rounding.

    >>> attainment_percent(2, 1), attainment_percent(1, 7), attainment_percent(0, 0)
    ('66.7', '12.5', None)
    """
    decided = met + missed
    if decided == 0:
        return None
    tenths = (met * 2000 + decided) // (2 * decided)  # round(met * 1000 / decided), half up
    return f"{tenths // 10}.{tenths % 10}"
