"""`guichet report ...`: SLA attainment from the command line (an operator's tool: every organisation).

guichet report attainment --from 2026-01-01 --to 2026-03-31 [--organisation NAME]
    [--by plan,priority,organisation,month] [--zone Europe/Paris] [--format table|csv|json]
guichet report outcomes --from ... --to ... [--organisation NAME] [--zone ...] [--format csv|json]
guichet report ticket ID [--format text|json]
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.accounts.models import Organisation
from guichet.reports.attainment import attainment as attainment_report
from guichet.reports.exports import TEXT_FIELDS, csv_lines, json_chunks, spreadsheet_text, ticket_outcomes
from guichet.reports.parameters import DIMENSION_LABELS, Period, ReportError, parse_dimensions, parse_zone
from guichet.reports.statements import ticket_sla_statement
from guichet.tickets.models import Ticket
from guichet.tickets.selectors import OPERATOR, get_ticket, visible_organisations

# Machine keys (CSV/JSON) and the table's translated headings.
TABLE_COLUMNS = (
    ("under_sla", gettext_lazy("under SLA")),
    ("met", gettext_lazy("met")),
    ("missed", gettext_lazy("missed")),
    ("missed_answered_late", gettext_lazy("late")),
    ("open_within_target", gettext_lazy("open")),
    ("closed_without_response", gettext_lazy("closed unanswered")),
    ("attainment_percent", gettext_lazy("attainment %")),
    ("response_median_minutes", gettext_lazy("median min")),
    ("response_p90_minutes", gettext_lazy("p90 min")),
    ("no_sla", gettext_lazy("no SLA")),
)


STATEMENT_FIELDS = (
    "contract",
    "plan",
    "priority",
    "original_priority",
    "zone",
    "target_minutes",
    "submitted_at",
    "due_at",
    "first_response_at",
    "breached_at",
    "business_minutes_used",
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from exc


class Command(BaseCommand):
    help = _("SLA attainment reports: attainment by group, per-ticket outcomes, one ticket's statement.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))

        def period_args(p: CommandParser) -> None:
            p.add_argument("--from", dest="date_from", required=True, help="first local day (YYYY-MM-DD)")
            p.add_argument("--to", dest="date_to", required=True, help="last local day, inclusive")
            p.add_argument("--organisation", help="one organisation, by exact name")
            p.add_argument("--zone", default="UTC", help="IANA zone for days and months (default UTC)")

        attainment = sub.add_parser("attainment", help="attainment of first-response targets by group")
        period_args(attainment)
        attainment.add_argument("--by", default="", help="comma-separated: plan,priority,organisation,month")
        attainment.add_argument("--format", choices=("table", "csv", "json"), default="table")
        attainment.add_argument(
            "--no-timings", action="store_true", help="skip the response-time percentiles (faster)"
        )

        outcomes = sub.add_parser("outcomes", help="per-ticket outcomes, streamed")
        period_args(outcomes)
        outcomes.add_argument("--format", choices=("csv", "json"), default="csv")
        outcomes.add_argument(
            "--outcome", help="only this outcome (met, breached, answered_late, open, …, missed)"
        )

        ticket = sub.add_parser("ticket", help="one ticket's SLA statement with its ledger")
        ticket.add_argument("ticket_id", type=int)
        ticket.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "ticket":
                self._ticket(options)
                return
            period = Period(
                _date(options["date_from"]), _date(options["date_to"]), parse_zone(options["zone"])
            )
            organisation = self._organisation(options.get("organisation"))
            if options["action"] == "attainment":
                self._attainment(period, organisation, options)
            else:
                self._outcomes(period, organisation, options["format"], options.get("outcome"))
        except ReportError as exc:
            raise CommandError(str(exc)) from exc

    def _organisation(self, name: str | None) -> Organisation | None:
        if not name:
            return None
        try:
            return visible_organisations(OPERATOR).get(name=name)
        except Organisation.DoesNotExist as exc:
            raise CommandError(_("No organisation is named %(name)s.") % {"name": name}) from exc

    def _attainment(self, period: Period, organisation: Organisation | None, options: dict[str, Any]) -> None:
        report = attainment_report(
            person=OPERATOR,
            period=period,
            organisation=organisation,
            by=parse_dimensions(options["by"]),
            with_timings=not options["no_timings"],
        )
        data = report.as_dict()
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        dims = list(report.dimensions)
        values = [c for c, _label in TABLE_COLUMNS]
        total_dims = ["total", *[""] * (len(dims) - 1)] if dims else []
        body = [[*(_dim(row, d) for d in dims), *(_blank(row[c]) for c in values)] for row in data["rows"]]
        body.append([*total_dims, *(_blank(data["totals"][c]) for c in values)])
        if fmt == "csv":
            # Organisation names are free text: the same spreadsheet-formula guard as the exports.
            text = {i for i, d in enumerate(dims) if d in TEXT_FIELDS}
            writer = csv.writer(self.stdout)
            writer.writerow([*dims, *values])
            for cells in body:
                writer.writerow([spreadsheet_text(c) if i in text else c for i, c in enumerate(cells)])
            return
        # The table is for people: translated headings and words (CSV keeps stable tokens).
        header = [str(DIMENSION_LABELS[d]) for d in dims] + [str(lab) for _c, lab in TABLE_COLUMNS]
        words = {"total": _("Total"), "no plan": _("No plan")}
        body = [[words.get(c, c) if i < len(dims) else c for i, c in enumerate(cells)] for cells in body]
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *body, strict=True)]

        def line(cells: list[Any]) -> str:
            return "  ".join(
                str(cell).ljust(width) if i < len(dims) else str(cell).rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        where = f" – {organisation.name}" if organisation else ""
        self.stdout.write(f"{period.start} – {period.end} ({period.zone.key}){where}")
        self.stdout.write(line(header))
        for cells in body:
            self.stdout.write(line(cells))
        if report.timing_note:
            self.stdout.write(report.timing_note)

    def _outcomes(
        self, period: Period, organisation: Organisation | None, fmt: str, outcome: str | None
    ) -> None:
        rows = ticket_outcomes(person=OPERATOR, period=period, organisation=organisation, outcome=outcome)
        # The web export's writers: the same columns, and the same spreadsheet-formula guard.
        for chunk in json_chunks(rows) if fmt == "json" else csv_lines(rows):
            self.stdout.write(chunk, ending="")

    def _ticket(self, options: dict[str, Any]) -> None:
        try:
            ticket = get_ticket(OPERATOR, options["ticket_id"])
        except Ticket.DoesNotExist as exc:
            raise CommandError(_("No ticket #%(id)s.") % {"id": options["ticket_id"]}) from exc
        statement = ticket_sla_statement(ticket, person=OPERATOR)
        data = statement.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        out = self.stdout.write
        out(f"#{statement.ticket_id} {statement.subject} – {statement.organisation}")
        out(f"{_('Outcome')}: {statement.outcome_label}")
        for key in STATEMENT_FIELDS:
            out(f"  {key}: {_blank(data[key]) or '-'}")
        out(_("Ledger:"))
        for event in data["events"]:
            line = _("%(seq)s %(kind)s at %(at)s, due after it %(due)s, by %(actor)s %(reason)s") % {
                "seq": f"{event['seq']:>3}",
                "kind": event["kind"],
                "at": event["at"],
                "due": event["due_at"] or "-",
                "actor": event["actor"] or _("system"),
                "reason": event["reason"],
            }
            out("  " + line.rstrip())


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _dim(row: dict[str, Any], dimension: str) -> Any:
    return _blank(row[dimension]) if dimension != "plan" else (row["plan"] or "no plan")
