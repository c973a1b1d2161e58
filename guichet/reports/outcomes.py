"""What became of each ticket's first-response target: met, missed (two ways), open, closed
unanswered, or no SLA.

One rule, written twice on purpose: as an SQL CASE (`outcome_expression`) for the aggregates and
the exports, and in Python (`outcome_of`) for a ticket already in memory (the statement). The
outcome is read from the SLA cache the ticket services keep (`Ticket.sla_state`, `sla_due_at`),
which is the replay of the append-only `SlaEvent` ledger.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.sla.outcome import Outcome
from guichet.tickets.models import SlaState, Status, Ticket

# The core's words (guichet.sla.outcome, the statements' rule): the same values everywhere.
MET = Outcome.MET.value
MISSED_UNANSWERED = Outcome.BREACHED.value
MISSED_LATE = Outcome.ANSWERED_LATE.value
MISSED_CLOSED = Outcome.CLOSED_MISSED.value
OPEN = Outcome.OPEN.value
CLOSED_UNANSWERED = Outcome.CLOSED_UNANSWERED.value
NO_SLA = Outcome.NO_SLA.value
MISSED_OUTCOMES = (MISSED_UNANSWERED, MISSED_LATE, MISSED_CLOSED)

OUTCOME_LABELS = {
    MET: _("Met"),
    MISSED_UNANSWERED: _("Missed (not answered in time)"),
    MISSED_LATE: _("Missed (answered late)"),
    MISSED_CLOSED: _("Missed (solved or closed without a response)"),
    OPEN: _("Open, within target"),
    CLOSED_UNANSWERED: _("Solved or closed before any response was due"),
    NO_SLA: _("No SLA"),
}


CLOSED_STATUSES = (Status.SOLVED, Status.CLOSED)


def outcome_expression(as_of: dt.datetime) -> Case:
    """The outcome of each ticket as an SQL CASE, shared by the aggregates and the per-ticket export.

    A running clock whose due instant is already past counts as missed even if the SLA sweep has
    not yet recorded the breach: the report must not look better because a worker was late.
    """
    return Case(
        When(sla_state=SlaState.NO_SLA, then=Value(NO_SLA)),
        When(sla_state=SlaState.FULFILLED, then=Value(MET)),
        When(sla_state=SlaState.FULFILLED_LATE, then=Value(MISSED_LATE)),
        When(sla_state=SlaState.BREACHED, then=Value(MISSED_UNANSWERED)),
        When(sla_state=SlaState.RUNNING, sla_due_at__lt=as_of, then=Value(MISSED_UNANSWERED)),
        # Solving or closing pauses the clock: no response was given, and none is owed unless the
        # ticket is reopened. Neither met nor missed, and not "open" either — unless the contract
        # (its terms frozen in the ledger) counts it as missed.
        When(
            sla_state=SlaState.PAUSED,
            status__in=CLOSED_STATUSES,
            sla_closed_missed=True,
            then=Value(MISSED_CLOSED),
        ),
        When(sla_state=SlaState.PAUSED, status__in=CLOSED_STATUSES, then=Value(CLOSED_UNANSWERED)),
        default=Value(OPEN),
        output_field=CharField(),
    )


def outcome_of(ticket: Ticket, as_of: dt.datetime | None = None) -> str:
    """The same outcome as `outcome_expression`, for one ticket already in memory."""
    as_of = as_of or timezone.now()
    state = ticket.sla_state
    if state == SlaState.NO_SLA:
        return NO_SLA
    if state == SlaState.FULFILLED:
        return MET
    if state == SlaState.FULFILLED_LATE:
        return MISSED_LATE
    if state == SlaState.BREACHED:
        return MISSED_UNANSWERED
    if state == SlaState.RUNNING and ticket.sla_due_at is not None and ticket.sla_due_at < as_of:
        return MISSED_UNANSWERED
    if state == SlaState.PAUSED and ticket.status in CLOSED_STATUSES:
        return MISSED_CLOSED if ticket.sla_closed_missed else CLOSED_UNANSWERED
    return OPEN
