"""`guichet statements --month YYYY-MM`: produce (and owe the mail of) every organisation's statement
for a finished month, with its progress; run again, it resumes where it stopped."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.statements.builder import StatementError, check_month
from guichet.statements.production import previous_month, produce_all


class Command(BaseCommand):
    help = "Produce every organisation's signed SLA statement for a month (resumable, with progress)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args: Any, **options: Any) -> None:
        month = options.get("month") or previous_month()
        try:
            check_month(month)
        except StatementError as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int, produced: int, failed: int) -> None:
            now = time.monotonic()
            if options["quiet"] or (now - last[0] < 1 and done != total):
                return
            last[0] = now
            rate = done / max(now - started, 1e-6)
            left = (total - done) / rate if rate else 0
            self.stderr.write(
                f"\r{done}/{total} organisations ({100 * done // max(total, 1)} %), {produced} produced,"
                f" {failed} failed, about {left:.0f} s left",
                ending="",
            )

        counts = produce_all(month, progress=progress)
        if not options["quiet"]:
            self.stderr.write("")
        self.stdout.write(
            f"{month}: {counts['produced']} produced, {counts['skipped']} already there,"
            f" {counts['failed']} failed"
            f" ({counts['organisations']} organisations, {time.monotonic() - started:.1f} s)."
        )
        if counts["failed"]:
            raise CommandError(
                f"{counts['failed']} statement(s) failed; run the command again to retry them."
            )
