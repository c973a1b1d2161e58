"""`guichet checkledger [--ticket ID]`: replay every ticket's SLA ledger and compare with the stored state.

Exit status 1 if any ticket's cached SLA fields differ from the replay of its events (a sign that
something changed a ticket outside the services). Read-only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guichet.tickets import ledger
from guichet.tickets.models import SlaEvent, Ticket


class Command(BaseCommand):
    help = _("Check that every ticket's SLA state equals the replay of its ledger.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ticket", type=int, default=None)

    def handle(self, *args: Any, ticket: int | None, **options: Any) -> None:
        tickets = Ticket.objects.order_by("pk")
        if ticket is not None:
            tickets = tickets.filter(pk=ticket)
        checked = 0
        bad: list[str] = []
        for row in tickets.iterator(chunk_size=500):
            events = SlaEvent.objects.filter(ticket_id=row.pk).order_by("seq")
            expected = ledger.cached_fields(ledger.replay(events))
            diff = {k: (getattr(row, k), v) for k, v in expected.items() if getattr(row, k) != v}
            checked += 1
            if diff:
                bad.append(
                    f"#{row.pk}: "
                    + ", ".join(f"{k} stored {a!r}, replay {b!r}" for k, (a, b) in diff.items())
                )
        for line in bad:
            self.stderr.write(line)
        self.stdout.write(f"{checked} ticket(s) checked, {len(bad)} differ from their ledger.")
        if bad:
            raise CommandError(
                _("%(n)s ticket(s) differ from their SLA ledger.") % {"n": len(bad)}, returncode=1
            )
