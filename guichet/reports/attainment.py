"""SLA attainment (R-PLAN-4): per group of tickets, how often the first-response target was met.

Counts are aggregated by the database (COUNT ... FILTER, grouped by plan, priority, organisation and
month of submission in a chosen zone); no report loads every ticket into Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Organisation
from guichet.contracts.models import Plan, Priority
from guichet.reports.outcomes import (
    CLOSED_UNANSWERED,
    MET,
    MISSED_CLOSED,
    MISSED_LATE,
    MISSED_UNANSWERED,
    NO_SLA,
    OPEN,
    outcome_expression,
)
from guichet.reports.parameters import Period, ReportError, parse_dimensions, period_tickets
from guichet.reports.timings import GroupKey, ResponseTimes, response_timings
from guichet.tickets.selectors import Viewer


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclasses.dataclass
class AttainmentRow:
    """One group of a report (or the totals when every dimension is None)."""

    plan: str | None = None
    priority: str | None = None
    organisation_id: int | None = None
    organisation: str | None = None
    month: dt.date | None = None
    total: int = 0
    no_sla: int = 0
    met: int = 0
    breached: int = 0
    answered_late: int = 0
    closed_missed: int = 0  # solved or closed without a response, counted missed by the contract
    open: int = 0
    closed_unanswered: int = 0
    # Business time from submission to first response, in minutes (answered tickets under SLA).
    response_median_minutes: float | None = None
    response_p90_minutes: float | None = None
    response_sample: int = 0

    @property
    def under_sla(self) -> int:
        return self.total - self.no_sla

    @property
    def missed(self) -> int:
        return self.breached + self.answered_late + self.closed_missed

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def attainment(self) -> Decimal | None:
        """Met / (met + missed), in percent to one decimal; None while nothing is decided.

        Tickets still open within their target are left out: they can still go either way.
        """
        return _percent(self.met, self.decided)

    @property
    def plan_label(self) -> str:
        if self.plan is None:
            return ""
        return str(Plan(self.plan).label) if self.plan in Plan.values else str(_("No plan"))

    @property
    def priority_label(self) -> str:
        if self.priority is None:
            return ""
        return str(Priority(self.priority).label) if self.priority in Priority.values else self.priority

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m") if self.month else ""

    def key(self) -> GroupKey:
        return (self.plan, self.priority, self.organisation_id, self.month)

    def set_response_times(self, times: ResponseTimes | None) -> None:
        if times is None:
            return
        self.response_sample = times.sample
        self.response_median_minutes = times.median_minutes
        self.response_p90_minutes = times.p90_minutes

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "priority": self.priority,
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "month": self.month_label or None,
            "total": self.total,
            "no_sla": self.no_sla,
            "under_sla": self.under_sla,
            "met": self.met,
            "missed": self.missed,
            "missed_unanswered": self.breached,
            "missed_answered_late": self.answered_late,
            "missed_closed_without_response": self.closed_missed,
            "open_within_target": self.open,
            "closed_without_response": self.closed_unanswered,
            "attainment_percent": None if self.attainment is None else str(self.attainment),
            "response_median_minutes": self.response_median_minutes,
            "response_p90_minutes": self.response_p90_minutes,
            "response_sample": self.response_sample,
        }


@dataclasses.dataclass
class AttainmentReport:
    period: Period
    dimensions: tuple[str, ...]
    organisation: Organisation | None
    as_of: dt.datetime
    rows: list[AttainmentRow]
    totals: AttainmentRow
    # Why the response-time percentiles are missing, when they are (too many tickets, ...).
    timing_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "zone": self.period.zone.key,
            "organisation": self.organisation.name if self.organisation else None,
            "group_by": list(self.dimensions),
            "as_of": self.as_of.astimezone(dt.UTC).isoformat(),
            "rows": [row.as_dict() for row in self.rows],
            "totals": self.totals.as_dict(),
            "timing_note": self.timing_note,
        }


def _group_fields(dimensions: Sequence[str], zone: zoneinfo.ZoneInfo) -> tuple[dict[str, Any], list[str]]:
    annotations: dict[str, Any] = {}
    names: list[str] = []
    for dim in dimensions:
        if dim == "plan":
            annotations["g_plan"] = F("plan")
            names.append("g_plan")
        elif dim == "priority":
            annotations["g_priority"] = F("priority")
            names.append("g_priority")
        elif dim == "organisation":
            annotations["g_org"] = F("organisation_id")
            annotations["g_org_name"] = F("organisation__name")
            names += ["g_org", "g_org_name"]
        elif dim == "month":
            # Truncated in the requested zone by the database (AT TIME ZONE on PostgreSQL,
            # Django's zoneinfo-backed function on SQLite): a ticket sent on 31 March at 23:30
            # UTC counts in April for a Paris report and in March for a UTC one.
            annotations["g_month"] = TruncMonth("submitted_at", tzinfo=zone)
            names.append("g_month")
    return annotations, names


_COUNTS = {
    "n_total": Count("pk"),
    "n_no_sla": Count("pk", filter=Q(sla_outcome=NO_SLA)),
    "n_met": Count("pk", filter=Q(sla_outcome=MET)),
    "n_breached": Count("pk", filter=Q(sla_outcome=MISSED_UNANSWERED)),
    "n_late": Count("pk", filter=Q(sla_outcome=MISSED_LATE)),
    "n_closed_missed": Count("pk", filter=Q(sla_outcome=MISSED_CLOSED)),
    "n_open": Count("pk", filter=Q(sla_outcome=OPEN)),
    "n_closed": Count("pk", filter=Q(sla_outcome=CLOSED_UNANSWERED)),
}


def _row_from(values: dict[str, Any]) -> AttainmentRow:
    month = values.get("g_month")
    return AttainmentRow(
        plan=values.get("g_plan"),
        priority=values.get("g_priority"),
        organisation_id=values.get("g_org"),
        organisation=values.get("g_org_name"),
        # TruncMonth returns local midnight of the 1st, aware in the requested zone.
        month=month.date() if month is not None else None,
        total=values["n_total"],
        no_sla=values["n_no_sla"],
        met=values["n_met"],
        breached=values["n_breached"],
        answered_late=values["n_late"],
        closed_missed=values["n_closed_missed"],
        open=values["n_open"],
        closed_unanswered=values["n_closed"],
    )


def attainment(
    *,
    person: Viewer,
    period: Period,
    organisation: Organisation | None = None,
    by: Sequence[str] = (),
    as_of: dt.datetime | None = None,
    with_timings: bool = True,
) -> AttainmentReport:
    """Attainment of the first-response targets for tickets submitted in `period`.

    `as_of` (default now) only decides whether a running clock is already overdue; the report
    reads the ledger as it stands, it does not rebuild the past.
    One grouped query gives the rows and one ungrouped query the totals; the optional
    response-time percentiles need business time, which only the SLA core can compute (see
    `guichet.reports.timings`).
    """
    as_of = as_of or timezone.now()
    if timezone.is_naive(as_of):
        raise ReportError(_("The report instant must carry a time zone."))
    dimensions = parse_dimensions(by)
    base = period_tickets(person, period, organisation).annotate(sla_outcome=outcome_expression(as_of))
    totals = _row_from(base.aggregate(**_COUNTS))
    rows: list[AttainmentRow] = []
    if dimensions:
        annotations, names = _group_fields(dimensions, period.zone)
        grouped = base.annotate(**annotations).values(*names).annotate(**_COUNTS).order_by(*names)
        rows = [_row_from(values) for values in grouped]
    report = AttainmentReport(
        period=period, dimensions=dimensions, organisation=organisation, as_of=as_of, rows=rows, totals=totals
    )
    if with_timings:
        timings = response_timings(person, base, dimensions, period.zone)
        report.timing_note = timings.note
        report.totals.set_response_times(timings.overall)
        for row in report.rows:
            row.set_response_times(timings.groups.get(row.key()))
    return report
