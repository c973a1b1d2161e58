"""Response times of a report: median and 90th percentile (nearest rank) of the business minutes
from submission to first response.

Business time needs each customer's calendar (hours, zone, holidays), which lives in the pure-Python
SLA core, not in SQL. Percentiles are therefore computed from a bounded query: at most
`MAX_TIMING_TICKETS` answered tickets, read as narrow tuples with iterator(); beyond it they are
left out and said so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import statistics
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.tickets.models import SlaState, Ticket
from guichet.tickets.selectors import Viewer, visible_ledgers

MAX_TIMING_TICKETS = 20_000
_CHUNK = 500  # tickets whose frozen calendars are read in one query

# A report group's key, in the order of `AttainmentRow.key()`: (plan, priority, organisation id,
# first day of the month), None for the dimensions the report is not grouped by.
GroupKey = tuple[str | None, str | None, int | None, dt.date | None]


def _nearest_rank(sorted_values: Sequence[float], fraction: float) -> float:
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class _Calendars:
    """Each answered ticket's calendar as frozen in its ledger: the calendar of the terms in force
    at its first response (the last `applied`, `raised` or `downgraded` event at or before it).
    A contract's later changes (holiday overrides, zone) never reach a ticket already submitted."""

    _KINDS = (sla.EventKind.APPLIED.value, sla.EventKind.RAISED.value, sla.EventKind.DOWNGRADED.value)

    def __init__(self) -> None:
        self._specs: dict[str, sla.Calendar] = {}
        self._by_ticket: dict[int, list[tuple[dt.datetime, dict[str, Any]]]] = {}

    def load(self, person: Viewer, ticket_ids: Sequence[int]) -> None:
        """Read the terms-bearing events of a batch of tickets (one query)."""
        self._by_ticket = {pk: [] for pk in ticket_ids}
        rows = (
            visible_ledgers(person, ticket_ids)
            .filter(kind__in=self._KINDS)
            .values_list("ticket_id", "at", "data")
        )
        for ticket_id, at, data in rows:
            if isinstance(data, dict) and isinstance(data.get("calendar"), dict):
                self._by_ticket[ticket_id].append((at, data["calendar"]))

    def get(self, ticket_id: int, responded: dt.datetime) -> sla.Calendar | None:
        frozen = [cal for at, cal in self._by_ticket.get(ticket_id, ()) if at <= responded]
        if not frozen:
            return None
        spec = frozen[-1]
        key = json.dumps(spec, sort_keys=True)
        if key not in self._specs:
            self._specs[key] = sla.CalendarSpec.from_dict(spec).calendar()
        return self._specs[key]


def response_business_minutes(
    calendar: sla.Calendar | None, start: dt.datetime, end: dt.datetime | None
) -> float | None:
    """Business minutes from submission to first response on the ticket's frozen calendar, or None.

    For percentiles: it ignores pauses (the per-ticket and monthly statements replay the ledger
    and give the business time the clock actually used)."""
    if calendar is None or end is None:
        return None
    return calendar.between(start, max(start, end)).total_seconds() / 60


@dataclasses.dataclass(frozen=True)
class ResponseTimes:
    """The response times of one group (or of the whole report), in business minutes."""

    sample: int
    median_minutes: float
    p90_minutes: float

    @classmethod
    def of(cls, values: list[float]) -> ResponseTimes | None:
        if not values:
            return None
        values = sorted(values)
        return cls(
            sample=len(values),
            median_minutes=round(statistics.median(values), 1),
            p90_minutes=round(_nearest_rank(values, 0.9), 1),
        )


@dataclasses.dataclass
class ResponseTimings:
    """Response times for a report: overall, per group, or why they are missing (`note`)."""

    overall: ResponseTimes | None = None
    groups: dict[GroupKey, ResponseTimes] = dataclasses.field(default_factory=dict)
    note: str = ""


def response_timings(
    person: Viewer, tickets: QuerySet[Ticket], dimensions: Sequence[str], zone: zoneinfo.ZoneInfo
) -> ResponseTimings:
    """Response times of the answered tickets under SLA among `tickets`, grouped like the report."""
    answered = tickets.filter(first_response_at__isnull=False, contract__isnull=False).exclude(
        sla_state=SlaState.NO_SLA
    )
    count = answered.count()
    if count == 0:
        return ResponseTimings()
    if count > MAX_TIMING_TICKETS:
        return ResponseTimings(
            note=str(
                _(
                    "Response-time percentiles are computed for at most %(max)s answered tickets;"
                    " narrow the period."
                )
                % {"max": MAX_TIMING_TICKETS}
            )
        )
    samples: dict[GroupKey, list[float]] = {}
    everything: list[float] = []
    calendars = _Calendars()
    rows = list(
        answered.values_list("pk", "plan", "priority", "organisation_id", "submitted_at", "first_response_at")
    )
    try:
        for chunk_start in range(0, len(rows), _CHUNK):
            chunk = rows[chunk_start : chunk_start + _CHUNK]
            calendars.load(person, [row[0] for row in chunk])
            for pk, plan, priority, org_id, submitted_at, first_response_at in chunk:
                calendar = calendars.get(pk, first_response_at) if first_response_at else None
                minutes = response_business_minutes(calendar, submitted_at, first_response_at)
                if minutes is None:
                    continue
                everything.append(minutes)
                if dimensions:
                    local = submitted_at.astimezone(zone)
                    key = (
                        plan if "plan" in dimensions else None,
                        priority if "priority" in dimensions else None,
                        org_id if "organisation" in dimensions else None,
                        local.date().replace(day=1) if "month" in dimensions else None,
                    )
                    samples.setdefault(key, []).append(minutes)
    except Exception as exc:  # a calendar the SLA core refuses must not hide the counts
        return ResponseTimings(
            note=str(_("Response-time percentiles are unavailable: %(error)s") % {"error": exc})
        )
    groups = {key: times for key, values in samples.items() if (times := ResponseTimes.of(values))}
    return ResponseTimings(overall=ResponseTimes.of(everything), groups=groups)
