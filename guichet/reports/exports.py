"""Per-ticket outcomes for a period, streamed from the database, and how they are written: CSV lines
(with the spreadsheet-formula guard) and JSON chunks, the same for the web and the command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from guichet.accounts.models import Organisation
from guichet.reports.outcomes import outcome_expression
from guichet.reports.parameters import Period, iso_utc, parse_outcome, period_tickets
from guichet.tickets.selectors import Viewer

if TYPE_CHECKING:
    from guichet.tickets.models import Ticket

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


def ticket_outcomes(
    *,
    person: Viewer,
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
    qs = period_tickets(person, period, organisation).annotate(sla_outcome=outcome_expression(as_of))
    if outcome:
        qs = qs.filter(sla_outcome__in=parse_outcome(outcome))
    rows = qs.order_by("submitted_at", "id").values_list(*_EXPORT_COLUMNS)
    return _outcome_rows(rows, period.zone, chunk_size)


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


def _outcome_rows(
    qs: QuerySet[Ticket, tuple[Any, ...]], zone: zoneinfo.ZoneInfo, chunk_size: int
) -> Iterator[dict[str, Any]]:
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
            "submitted_at": iso_utc(submitted_at),
            "month": f"{(local := submitted_at.astimezone(zone)).year:04d}-{local.month:02d}",
            "target_minutes": target,
            "due_at": iso_utc(due_at),
            "first_response_at": iso_utc(first_response_at),
            "breached_at": iso_utc(breached_at),
            "sla_state": state,
            "outcome": outcome,
        }


# --- Writing them -----------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, e.g.
# =HYPERLINK(...)); organisation names, external ids and contract references are typed by people.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Only these columns hold free text; the others are codes, numbers and ISO instants.
TEXT_FIELDS = frozenset({"external_id", "organisation", "contract"})


def spreadsheet_text(value: Any) -> Any:
    """A free-text CSV cell a spreadsheet shows as text: prefixed with ' when it would start a
    formula. None is an empty cell."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


def _plain(value: Any) -> Any:
    return "" if value is None else value


def csv_cells(row: dict[str, Any]) -> list[Any]:
    """One export row as CSV cells, in `EXPORT_FIELDS` order, free text guarded."""
    return [spreadsheet_text(row[f]) if f in TEXT_FIELDS else _plain(row[f]) for f in EXPORT_FIELDS]


class _Echo:
    """csv.writer target that hands each line back instead of buffering the whole file."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The CSV export, line by line (header first), for a streaming response or a terminal."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    for row in rows:
        yield writer.writerow(csv_cells(row))


def json_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The JSON export (one array), chunk by chunk."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "\n]\n"
