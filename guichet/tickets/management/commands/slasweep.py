"""`guichet slasweep [--now ISO]`: run the SLA sweep and the held-message delivery once.

The Huey worker does this every minute; this command is for cron-only setups and for operators.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guichet.tickets.services import deliver_held_messages, sweep_sla


class Command(BaseCommand):
    help = _("Record due SLA warnings and breaches, and release held replies, once.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", default=None, help="ISO 8601 instant with offset (default: now)")

    def handle(self, *args: Any, now: str | None, **options: Any) -> None:
        instant = None
        if now:
            try:
                instant = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(_("%(now)r is not an ISO 8601 instant.") % {"now": now}) from exc
            if instant.tzinfo is None:
                raise CommandError(_("--now needs a UTC offset."))
        counts = sweep_sla(now=instant)
        delivered = deliver_held_messages(now=instant)
        self.stdout.write(
            f"{counts['warned']} warning(s), {counts['breached']} breach(es) recorded; "
            f"{delivered} held message(s) delivered."
        )
