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
import math
import statistics
import zoneinfo
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guichet import sla
from guichet.contracts.models import Contract
from guichet.tickets.models import SlaState, Ticket

MAX_TIMING_TICKETS = 20_000

# A report group's key, in the order of `AttainmentRow.key()`: (plan, priority, organisation id,
# first day of the month), None for the dimensions the report is not grouped by.
GroupKey = tuple[str | None, str | None, int | None, dt.date | None]


def _nearest_rank(sorted_values: Sequence[float], fraction: float) -> float:
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class _Calendars:
    """Calendars by (contract, priority), built once per report with the ledger glue's own rules."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], sla.Calendar] = {}

    def get(self, contract_id: int, priority: str) -> sla.Calendar:
        key = (contract_id, priority)
        if key not in self._cache:
            contract = Contract.objects.prefetch_related("holiday_overrides").get(pk=contract_id)
            self._cache[key] = contract.calendar(priority)
        return self._cache[key]


def response_business_minutes(
    calendars: _Calendars, contract_id: int | None, priority: str, start: dt.datetime, end: dt.datetime | None
) -> float | None:
    """Business minutes from submission to first response on the ticket's calendar, or None.

    For percentiles only: it uses the contract's calendar for the ticket's final priority and
    ignores pauses. The per-ticket statement replays the ledger instead and is exact.
    """
    if contract_id is None or end is None:
        return None
    calendar = calendars.get(contract_id, priority)
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
    tickets: QuerySet[Ticket], dimensions: Sequence[str], zone: zoneinfo.ZoneInfo
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
    rows = answered.values_list(
        "plan", "priority", "organisation_id", "contract_id", "submitted_at", "first_response_at"
    )
    try:
        for plan, priority, org_id, contract_id, submitted_at, first_response_at in rows.iterator(
            chunk_size=2000
        ):
            minutes = response_business_minutes(
                calendars, contract_id, priority, submitted_at, first_response_at
            )
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
    except Exception as exc:  # a contract the SLA core refuses must not hide the counts
        return ResponseTimings(
            note=str(_("Response-time percentiles are unavailable: %(error)s") % {"error": exc})
        )
    groups = {key: times for key, values in samples.items() if (times := ResponseTimes.of(values))}
    return ResponseTimings(overall=ResponseTimes.of(everything), groups=groups)
