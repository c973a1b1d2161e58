"""`guichet outbox [list|retry]`: the backlog of side effects, and putting failed ones back."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from guichet.outbox.services import retry


class Command(BaseCommand):
    help = str(gettext_lazy("Show the outbox backlog and failed deliveries, or retry failed ones."))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action")
        listing = sub.add_parser("list", help="the backlog and the failed deliveries (default)")
        listing.add_argument("--limit", type=int, default=50)
        again = sub.add_parser("retry", help="put failed deliveries back in the queue")
        again.add_argument("keys", nargs="*", help="keys of the deliveries to retry")
        again.add_argument("--failed", action="store_true", help="retry every failed delivery")

    def handle(self, *args: Any, action: str | None = None, **options: Any) -> None:
        if action == "retry":
            self._retry(options["keys"], options["failed"])
            return
        self._list(options.get("limit", 50))

    def _list(self, limit: int) -> None:
        backlog = relay.backlog()
        self.stdout.write(
            json.dumps(
                {
                    "pending": backlog.pending,
                    "due_now": backlog.due_now,
                    "oldest_pending_age_seconds": backlog.oldest_age_seconds,
                    "failed": backlog.failed,
                }
            )
        )
        for row in Delivery.objects.filter(status=DeliveryStatus.FAILED).order_by("-created_at")[:limit]:
            self.stdout.write(
                json.dumps(
                    {
                        "key": row.key,
                        "kind": row.kind,
                        "attempts": row.attempts,
                        "created_at": row.created_at.isoformat(),
                        "last_error": row.last_error,
                    }
                )
            )

    def _retry(self, keys: list[str], failed: bool) -> None:
        if not keys and not failed:
            raise CommandError(_("Name the deliveries to retry, or give --failed."))
        rows = Delivery.objects.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.CANCELLED])
        if keys:
            rows = rows.filter(key__in=keys)
        n = retry(list(rows))
        self.stdout.write(_("%(n)d delivery(ies) put back in the queue.") % {"n": n})
