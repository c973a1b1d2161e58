"""`guichet statement --organisation NAME --month YYYY-MM --format json|html|pdf [--output FILE]`:
one organisation's signed monthly SLA statement. A finished month's statement is produced once and
kept (the same file every time after, the one mailed); the current month's is provisional and not
kept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from guichet.accounts.models import Organisation
from guichet.sla.statement import month_period
from guichet.statements import render
from guichet.statements.builder import StatementError, audience, build, canonical, check_month, produce
from guichet.statements.keys import KeyError_
from guichet.statements.models import Statement


class Command(BaseCommand):
    help = "Print or write an organisation's signed monthly SLA statement (JSON, HTML or PDF)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="the organisation's exact name")
        parser.add_argument("--month", required=True, help="YYYY-MM, in the customer's time zone")
        parser.add_argument("--format", choices=["json", "html", "pdf"], default="json")
        parser.add_argument("--output", help="write to this file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(name=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation named {options['organisation']!r}.")
        month = options["month"]
        try:
            check_month(month)
            who = audience(organisation, month)
            start, end = month_period(month, who.zone)
            now = timezone.now()
            if start > now:
                raise StatementError(f"{month} has not begun yet in {who.zone}")
            if end <= now:
                statement, _created = produce(organisation, month, as_of=now)
            else:  # the month so far: provisional, not kept
                text = canonical(build(organisation, month, as_of=now, who=who))
                statement = Statement(
                    organisation=organisation,
                    month=month,
                    zone=who.zone,
                    language=who.language,
                    document=text,
                    sha256=Statement.digest(text),
                )
        except (StatementError, KeyError_) as exc:
            raise CommandError(str(exc)) from exc
        fmt = options["format"]
        if fmt == "json":
            text = statement.document + "\n"
        elif fmt == "html":
            text = render.html(statement)
        if options.get("output"):
            path = Path(options["output"])
            if fmt == "pdf":
                path.write_bytes(render.pdf_bytes(statement))
            else:
                path.write_text(text, encoding="utf-8")
            total = statement.data["attainment"]["total"]
            self.stderr.write(
                f"{path}: {total['tickets']} request(s), attainment {total['attainment'] or '-'} %,"
                f" sha256 {statement.sha256}"
            )
        elif fmt == "pdf":
            sys.stdout.buffer.write(render.pdf_bytes(statement))
            sys.stdout.buffer.flush()
        else:
            self.stdout.write(text, ending="")
