"""What a report is asked for: the period, its zone, the groupings, the outcome filter, the two
errors a request can meet (bad parameters, an organisation not visible), and the tickets these
select (`period_tickets`, on top of the tickets selectors' tenancy rule).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Organisation
from guichet.reports.outcomes import MISSED_OUTCOMES, OUTCOME_LABELS
from guichet.tickets.models import Ticket
from guichet.tickets.selectors import Viewer, visible_organisations, visible_tickets


class ReportError(ValueError):
    """A report was asked with bad parameters; the message is translated and safe to show."""


class NotVisible(LookupError):
    """The person asked for an organisation they may not see (shown as 404)."""


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


MISSED = "missed"


def parse_outcome(value: str) -> tuple[str, ...]:
    """An export's outcome filter: one of the outcomes, or "missed" (not answered in time or late)."""
    if value == MISSED:
        return MISSED_OUTCOMES
    if value in OUTCOME_LABELS:
        return (value,)
    raise ReportError(
        _("Unknown outcome %(value)s; use one of %(allowed)s.")
        % {"value": value, "allowed": ", ".join([*OUTCOME_LABELS, MISSED])}
    )


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


def iso_utc(value: dt.datetime | None) -> str | None:
    """Instants in exports and statements: ISO 8601 in UTC (exact and comparable)."""
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def period_tickets(person: Viewer, period: Period, organisation: Organisation | None) -> QuerySet[Ticket]:
    """The tickets a report counts: those `person` sees, submitted in `period`, of `organisation`
    when one is asked for.

    Who sees what is the tickets selectors' rule, not the report's. An organisation the person may
    not see raises `NotVisible`, never an empty report that would look like "no tickets".
    """
    tickets = visible_tickets(person)
    if organisation is not None:
        if not visible_organisations(person).filter(pk=organisation.pk).exists():
            raise NotVisible(organisation.pk)
        tickets = tickets.filter(organisation=organisation)
    return tickets.filter(submitted_at__gte=period.starts_at, submitted_at__lt=period.ends_before)
