"""SLA attainment reports (R-PLAN-4): per ticket, was the first-response target met; per group, how often.

Everything starts from `guichet.tickets.selectors.visible_tickets(person)`, so a customer only ever
counts their own organisation's tickets. Counts are aggregated by the database (COUNT ... FILTER,
grouped by plan, priority, organisation and month of submission in a chosen zone); no report loads
every ticket into Python. The outcome of a ticket is read from the SLA cache the services keep
(`Ticket.sla_state`, `sla_due_at`), which is the replay of the append-only `SlaEvent` ledger.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.contracts.models import Organisation, Plan, Priority
from guichet.tickets.models import SlaEvent, SlaEventKind, SlaState, Status, Ticket


class ReportError(ValueError):
    """A report was asked with bad parameters; the message is translated and safe to show."""


class NotVisible(LookupError):
    """The person asked for an organisation or ticket they may not see (shown as 404)."""


# --- Outcomes -------------------------------------------------------------------------------------

MET = "met"
MISSED_UNANSWERED = "breached"
MISSED_LATE = "answered_late"
OPEN = "open"
CLOSED_UNANSWERED = "closed_unanswered"
NO_SLA = "no_sla"

OUTCOME_LABELS = {
    MET: _("Met"),
    MISSED_UNANSWERED: _("Missed (not answered in time)"),
    MISSED_LATE: _("Missed (answered late)"),
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
        # ticket is reopened. Neither met nor missed, and not "open" either.
        When(sla_state=SlaState.PAUSED, status__in=CLOSED_STATUSES, then=Value(CLOSED_UNANSWERED)),
        default=Value(OPEN),
        output_field=CharField(),
    )


# --- Parameters -----------------------------------------------------------------------------------

DIMENSIONS = ("plan", "priority", "organisation", "month")
DIMENSION_LABELS = {
    "plan": _("Plan"),
    "priority": _("Priority"),
    "organisation": _("Organisation"),
    "month": _("Month"),
}
# Periods longer than this are refused: they are almost always a typo in the year.
MAX_PERIOD_DAYS = 3 * 366


def parse_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError(_("%(zone)s is not a known IANA time zone.") % {"zone": name}) from exc


def parse_dimensions(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """'plan,month' -> ('plan', 'month'), in the canonical order, refusing unknown names."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    names = {item.strip() for item in items if item and item.strip()}
    unknown = sorted(names - set(DIMENSIONS))
    if unknown:
        raise ReportError(
            _("Unknown grouping %(names)s; use any of %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(DIMENSIONS)}
        )
    return tuple(d for d in DIMENSIONS if d in names)


@dataclasses.dataclass(frozen=True)
class Period:
    """Local calendar days [start, end], both included, in `zone`."""

    start: dt.date
    end: dt.date
    zone: zoneinfo.ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportError(_("The period ends before it starts."))
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ReportError(_("A report covers at most three years."))

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone).astimezone(dt.UTC)

    @property
    def ends_before(self) -> dt.datetime:
        following = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(following, dt.time.min, tzinfo=self.zone).astimezone(dt.UTC)


# --- Tenancy --------------------------------------------------------------------------------------


def reportable_tickets(person: Any | None, organisation: Organisation | None = None) -> QuerySet[Ticket]:
    """The tickets `person` may count, optionally for one organisation.

    `person=None` is the operator's command line (all organisations). A customer asking for another
    organisation gets `NotVisible`, never an empty report that would look like "no tickets".
    """
    if person is None:
        qs = Ticket.objects.all()
    else:
        # The tenancy rule lives once, in the tickets selectors.
        from guichet.tickets.selectors import visible_tickets

        qs = visible_tickets(person)
        is_customer = getattr(person, "is_customer", False)
        if is_customer and organisation is not None and organisation.pk != person.organisation_id:
            raise NotVisible(organisation.pk)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs


def organisations_for(person: Any | None) -> QuerySet[Organisation]:
    """Organisations the person may pick in a report filter."""
    if person is None or not getattr(person, "is_customer", False):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=person.organisation_id)


# --- Attainment -----------------------------------------------------------------------------------


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
        return self.breached + self.answered_late

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

    def key(self) -> tuple:
        return (self.plan, self.priority, self.organisation_id, self.month)

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


def _period_tickets(
    person: Any | None, period: Period, organisation: Organisation | None
) -> QuerySet[Ticket]:
    return reportable_tickets(person, organisation).filter(
        submitted_at__gte=period.starts_at, submitted_at__lt=period.ends_before
    )


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
        open=values["n_open"],
        closed_unanswered=values["n_closed"],
    )


def attainment(
    *,
    person: Any | None,
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
    `_response_timings`).
    """
    as_of = as_of or timezone.now()
    if timezone.is_naive(as_of):
        raise ReportError(_("The report instant must carry a time zone."))
    dimensions = parse_dimensions(by)
    base = _period_tickets(person, period, organisation).annotate(sla_outcome=outcome_expression(as_of))
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
        _response_timings(report, base)
    return report


# --- Response-time percentiles ----------------------------------------------------------------------

# Business time needs each customer's calendar (hours, zone, holidays), which lives in the pure-Python
# SLA core, not in SQL. Percentiles are therefore computed from a bounded query: at most this many
# answered tickets, read as narrow tuples with iterator(); beyond it they are left out and said so.
MAX_TIMING_TICKETS = 20_000


def _nearest_rank(sorted_values: Sequence[float], fraction: float) -> float:
    import math

    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class _Calendars:
    """Calendars by (contract, priority), built once per report with the ledger glue's own rules."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], Any] = {}

    def get(self, contract_id: int, priority: str):
        key = (contract_id, priority)
        if key not in self._cache:
            from guichet.contracts.models import Contract
            from guichet.tickets.sla import calendar_from_spec, calendar_spec

            contract = Contract.objects.prefetch_related("holiday_overrides").get(pk=contract_id)
            self._cache[key] = calendar_from_spec(calendar_spec(contract, priority))
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


def _response_timings(report: AttainmentReport, base: QuerySet[Ticket]) -> None:
    answered = base.filter(first_response_at__isnull=False, contract__isnull=False).exclude(
        sla_state=SlaState.NO_SLA
    )
    count = answered.count()
    if count == 0:
        return
    if count > MAX_TIMING_TICKETS:
        report.timing_note = str(
            _(
                "Response-time percentiles are computed for at most %(max)s answered tickets;"
                " narrow the period."
            )
            % {"max": MAX_TIMING_TICKETS}
        )
        return
    zone = report.period.zone
    dims = report.dimensions
    samples: dict[tuple, list[float]] = {}
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
            if dims:
                local = submitted_at.astimezone(zone)
                key = (
                    plan if "plan" in dims else None,
                    priority if "priority" in dims else None,
                    org_id if "organisation" in dims else None,
                    local.date().replace(day=1) if "month" in dims else None,
                )
                samples.setdefault(key, []).append(minutes)
    except Exception as exc:  # a contract the SLA core refuses must not hide the counts
        report.timing_note = str(_("Response-time percentiles are unavailable: %(error)s") % {"error": exc})
        return

    def fill(row: AttainmentRow, values: list[float]) -> None:
        if not values:
            return
        values.sort()
        row.response_sample = len(values)
        row.response_median_minutes = round(statistics.median(values), 1)
        row.response_p90_minutes = round(_nearest_rank(values, 0.9), 1)

    fill(report.totals, everything)
    for row in report.rows:
        fill(row, samples.get(row.key(), []))


# --- Per-ticket outcomes (exports) ------------------------------------------------------------------

EXPORT_FIELDS = (
    "ticket",
    "external_id",
    "organisation",
    "contract",
    "plan",
    "priority",
    "original_priority",
    "channel",
    "status",
    "submitted_at",
    "month",
    "target_minutes",
    "due_at",
    "first_response_at",
    "breached_at",
    "sla_state",
    "outcome",
)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def ticket_outcomes(
    *,
    person: Any | None,
    period: Period,
    organisation: Organisation | None = None,
    as_of: dt.datetime | None = None,
    outcome: str | None = None,
    chunk_size: int = 2000,
) -> Iterator[dict[str, Any]]:
    """Per-ticket outcomes for `period`, streamed from the database in submission order.

    Instants are ISO 8601 in UTC (exact, comparable); `month` is the month of submission in the
    report's zone, the same grouping as `attainment`. The tenancy check runs now, not at the first
    row, so a refusal is raised before any response starts streaming. `outcome` keeps one outcome
    only, or "missed" for both kinds of miss.
    """
    as_of = as_of or timezone.now()
    qs = _period_tickets(person, period, organisation).annotate(sla_outcome=outcome_expression(as_of))
    if outcome:
        qs = qs.filter(sla_outcome__in=parse_outcome(outcome))
    qs = qs.order_by("submitted_at", "id").values_list(*_EXPORT_COLUMNS)
    return _outcome_rows(qs, period.zone, chunk_size)


MISSED = "missed"


def parse_outcome(value: str) -> tuple[str, ...]:
    """An export's outcome filter: one of the outcomes, or "missed" (not answered in time or late)."""
    if value == MISSED:
        return (MISSED_UNANSWERED, MISSED_LATE)
    if value in OUTCOME_LABELS:
        return (value,)
    raise ReportError(
        _("Unknown outcome %(value)s; use one of %(allowed)s.")
        % {"value": value, "allowed": ", ".join([*OUTCOME_LABELS, MISSED])}
    )


_EXPORT_COLUMNS = (
    "id",
    "external_id",
    "organisation__name",
    "contract__reference",
    "plan",
    "priority",
    "original_priority",
    "channel",
    "status",
    "submitted_at",
    "sla_target_minutes",
    "sla_due_at",
    "first_response_at",
    "sla_breached_at",
    "sla_state",
    "sla_outcome",
)


def _outcome_rows(qs: QuerySet, zone: zoneinfo.ZoneInfo, chunk_size: int) -> Iterator[dict[str, Any]]:
    for (
        pk,
        external_id,
        org_name,
        reference,
        plan,
        priority,
        original_priority,
        channel,
        status,
        submitted_at,
        target,
        due_at,
        first_response_at,
        breached_at,
        state,
        outcome,
    ) in qs.iterator(chunk_size=chunk_size):
        yield {
            "ticket": pk,
            "external_id": external_id,
            "organisation": org_name,
            "contract": reference,
            "plan": plan or None,
            "priority": priority,
            "original_priority": original_priority or priority,
            "channel": channel,
            "status": status,
            "submitted_at": _iso(submitted_at),
            "month": f"{(local := submitted_at.astimezone(zone)).year:04d}-{local.month:02d}",
            "target_minutes": target,
            "due_at": _iso(due_at),
            "first_response_at": _iso(first_response_at),
            "breached_at": _iso(breached_at),
            "sla_state": state,
            "outcome": outcome,
        }


# --- Per-ticket proof ---------------------------------------------------------------------------------


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
        return CLOSED_UNANSWERED
    return OPEN


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
            "at": _iso(self.at),
            "recorded_at": _iso(self.recorded_at),
            "actor": self.actor,
            "reason": self.reason,
            "due_at": _iso(self.due_at),
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
        if self.outcome in (MISSED_LATE, MISSED_UNANSWERED):
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
            "submitted_at": _iso(self.submitted_at),
            "target_minutes": self.target_minutes,
            "due_at": _iso(self.due_at),
            "first_response_at": _iso(self.first_response_at),
            "breached_at": _iso(self.breached_at),
            "sla_state": self.sla_state,
            "outcome": self.outcome,
            "met": self.met,
            "business_minutes_used": self.business_minutes_used,
            "as_of": _iso(self.as_of),
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


def _data_for(person: Any | None, data: dict[str, Any]) -> dict[str, Any]:
    if person is None or not getattr(person, "is_customer", False):
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


def ticket_sla_statement(
    ticket: Ticket, *, as_of: dt.datetime | None = None, person: Any | None = None
) -> SlaStatement:
    """The proof, for one ticket, of the target committed and whether it was met.

    The caller has already checked the ticket is visible (fetch it through `visible_tickets`).
    With `person`, the ledger is read through `visible_sla_events`, the tickets selectors' rule for
    what of the SLA history that person may see.
    """
    as_of = as_of or timezone.now()
    contract = ticket.contract
    if person is None:
        events_qs = SlaEvent.objects.filter(ticket=ticket)
    else:
        from guichet.tickets.selectors import visible_sla_events

        events_qs = visible_sla_events(person, ticket)
    rows = list(events_qs.select_related("actor").order_by("seq"))
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
        from guichet.tickets import sla as ledger

        try:
            state = ledger.replay(rows)
            used = ledger.elapsed(state, ticket.first_response_at or as_of)
            minutes = None if used is None else round(used.total_seconds() / 60, 1)
        except Exception:  # the statement stands on the ledger rows even if the calendar cannot be rebuilt
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


def visible_ticket(person: Any | None, pk: int) -> Ticket:
    """One ticket through the tenancy rule, or NotVisible."""
    try:
        return reportable_tickets(person).select_related("organisation", "contract").get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise NotVisible(pk) from exc
