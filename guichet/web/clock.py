"""What the desk shows about a ticket's SLA clock, read from the ticket's cached SLA fields.

The due instant is the domain's (``Ticket.sla_due_at``, kept by the services); here we only
measure the business time left until it, with the calendar the SLA core gives for the ticket's
contract and priority, and find the next instant the calendar opens or closes so the browser's
countdown can stop ticking while the customer's hours are closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.tickets.models import SlaState, Ticket
from guichet.web.timefmt import duration_text, short_datetime_text

# How far ahead to look for the next open/close boundary. The list is re-rendered every 30 s.
BOUNDARY_HORIZON = dt.timedelta(days=14)


@dataclass(frozen=True)
class ClockView:
    state: str  # one of SlaState, plus "warning" for a running clock past its warning instant
    due_at: dt.datetime | None
    remaining_seconds: int | None  # business seconds; negative when overdue
    open_now: bool | None  # whether the ticket's calendar is open now
    boundary: dt.datetime | None  # next instant the calendar opens or closes (None: not within horizon)

    @property
    def ticking(self) -> bool:
        return self.remaining_seconds is not None and self.state in {"running", "warning", "breached"}

    @property
    def idle(self) -> bool:
        """Running, but the ticket's support hours are closed now: no business time passes."""
        return self.ticking and self.open_now is False and (self.remaining_seconds or 0) > 0

    @property
    def css(self) -> str:
        return f"clock-{self.state}" + (" clock-idle" if self.idle else "")

    # Texts computed here rather than in the template: the queue shows fifty of them per refresh.
    # They say which state the clock is in and count business time (hours and minutes, never
    # days): "Outside support hours · 24 h 00 min left · counting from Mon 09:00", never
    # "Running – 1 d 0 h left (paused…)".
    @cached_property
    def label(self) -> str:
        if self.idle and self.state == SlaState.RUNNING:
            return str(gettext_lazy("Outside support hours"))
        labels = {
            "warning": gettext_lazy("Warning"),
            SlaState.BREACHED: gettext_lazy("Breached"),
            SlaState.RUNNING: gettext_lazy("Running"),
            SlaState.PAUSED: gettext_lazy("Paused"),
            SlaState.FULFILLED: gettext_lazy("Met"),
            SlaState.FULFILLED_LATE: gettext_lazy("Answered late"),
        }
        return str(labels.get(self.state, gettext_lazy("No SLA")))

    @cached_property
    def text(self) -> str:
        remaining = self.remaining_seconds
        if remaining is None:
            return ""
        if self.state == SlaState.PAUSED:
            return _("%s left when the clock resumes") % duration_text(remaining)
        if not self.ticking:
            return ""
        if remaining >= 0:
            return _("%s left") % duration_text(remaining)
        return _("overdue by %s") % duration_text(remaining)

    @cached_property
    def note(self) -> str:
        """When a clock outside its support hours starts counting again."""
        if not self.idle or self.boundary is None:
            return ""
        return _("counting from %s") % short_datetime_text(self.boundary)

    @cached_property
    def due_text(self) -> str:
        if self.due_at is None or self.state in {SlaState.FULFILLED, SlaState.FULFILLED_LATE}:
            return ""
        return _("due %s") % short_datetime_text(self.due_at)


class CalendarCache:
    """One calendar per (contract, priority) per request: building one reads holiday data."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], object] = {}

    def for_ticket(self, ticket: Ticket, priority: str | None = None):
        priority = priority or ticket.priority
        if ticket.contract_id is None:
            return None
        key = (ticket.contract_id, priority)
        if key not in self._cache:
            contract = ticket.contract
            assert contract is not None  # contract_id is set
            # The domain's own calendar (same spec the ledger stores, cached across requests).
            self._cache[key] = contract.calendar(priority)
        return self._cache[key]

    def business_hours(self, ticket: Ticket):
        """The customer's own business hours: the R-PRIO-7 contact window."""
        if ticket.contract_id is None:
            return None
        key = (ticket.contract_id, "business-hours")
        if key not in self._cache:
            contract = ticket.contract
            assert contract is not None  # contract_id is set
            self._cache[key] = contract.business_hours()
        return self._cache[key]


def next_boundary(calendar, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    """(open now?, the next instant the calendar changes between open and closed)."""
    for start, end in calendar.open_intervals(now, now + BOUNDARY_HORIZON):
        if start <= now < end:
            return True, (end if end < now + BOUNDARY_HORIZON else None)
        if start > now:
            return False, start
    return False, None


def clock_view(ticket: Ticket, calendars: CalendarCache, now: dt.datetime | None = None) -> ClockView:
    now = now or timezone.now()
    state = ticket.sla_state
    if state == SlaState.PAUSED:
        # No due instant while paused; the business time left is kept by the domain.
        return ClockView(state, None, ticket.sla_remaining_seconds, None, None)
    if state not in {SlaState.RUNNING, SlaState.BREACHED} or ticket.sla_due_at is None:
        return ClockView(state, ticket.sla_due_at, None, None, None)
    calendar = calendars.for_ticket(ticket)
    if calendar is None:
        return ClockView(SlaState.NO_SLA, None, None, None, None)
    due = ticket.sla_due_at
    if due >= now:
        remaining = int(calendar.between(now, due).total_seconds())
    else:
        remaining = -int(calendar.between(due, now).total_seconds())
    open_now, boundary = next_boundary(calendar, now)
    shown = state
    if remaining <= 0:
        shown = SlaState.BREACHED
    elif _warned(ticket) or (ticket.sla_warn_at is not None and ticket.sla_warn_at <= now):
        # Warned already (the sweep clears sla_warn_at), or past the warning instant before the sweep.
        shown = "warning"
    return ClockView(shown, due, remaining, open_now, boundary)


def _warned(ticket: Ticket) -> bool:
    """A warning was sent for the current clock (a raise restarts the clock and its warning)."""
    warned, started = ticket.sla_warned_at, ticket.sla_clock_started_at
    return warned is not None and (started is None or warned >= started)
