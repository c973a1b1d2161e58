"""`guichet checkledger [--ticket ID]`: re-derive every ticket's SLA ledger hash chain, replay the
ledger and compare with the stored state.

Exit status 1 if any ticket's chain is broken (an event changed, removed or inserted after it was
written: the ticket and the event's seq are named) or its cached SLA fields differ from the replay
of its events (a sign that something changed a ticket outside the services). Read-only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guichet.tickets import ledger
from guichet.tickets.models import SlaEvent, Ticket


class Command(BaseCommand):
    help = _("Check every ticket's SLA ledger: its hash chain, and that its SLA state equals its replay.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ticket", type=int, default=None)

    def handle(self, *args: Any, ticket: int | None, **options: Any) -> None:
        tickets = Ticket.objects.order_by("pk")
        if ticket is not None:
            tickets = tickets.filter(pk=ticket)
        checked = 0
        bad: list[str] = []
        for row in tickets.iterator(chunk_size=500):
            events = list(SlaEvent.objects.filter(ticket_id=row.pk).order_by("seq"))
            broken = ledger.check_chain(events)
            if broken is not None:
                checked += 1
                bad.append(
                    f"#{row.pk}: "
                    + _("hash chain broken at seq %(seq)s: %(problem)s")
                    % {
                        "seq": broken.seq,
                        "problem": broken.problem,
                    }
                )
                continue
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
        self.stdout.write(
            f"{checked} ticket(s) checked (hash chains and replay), {len(bad)} differ from their ledger."
        )
        if bad:
            raise CommandError(
                _("%(n)s ticket(s) differ from their SLA ledger.") % {"n": len(bad)}, returncode=1
            )
