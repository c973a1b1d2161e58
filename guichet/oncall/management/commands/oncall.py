"""`guichet oncall now|fire|preview`: who is on call, fire due escalation steps, preview a rule."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Command(BaseCommand):
    help = str(
        gettext_lazy("On call: who is on call now and next, fire due escalation steps, preview paging.")
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action")
        now = sub.add_parser("now", help="who is on call now, and the next hand-off (default)")
        now.add_argument("--zone", default="", help="show instants in this zone (default: each schedule's)")
        sub.add_parser("fire", help="fire the escalation steps due now (for cron-only setups)")
        preview = sub.add_parser("preview", help="what a ticket would page")
        preview.add_argument("--plan", required=True, choices=["basic", "premium"])
        preview.add_argument("--priority", required=True, choices=["P1", "P2", "P3", "P4"])
        preview.add_argument("--at", required=True, help="local time, e.g. 2026-03-07T03:00")
        preview.add_argument("--zone", default="Europe/Paris")

    def handle(self, *args: Any, action: str | None = None, **options: Any) -> None:
        if action == "fire":
            from guichet.oncall.delivery import deliver_now
            from guichet.oncall.escalation import fire_due

            keys = fire_due()
            self.stdout.write(
                _("%(n)s page(s) owed, %(d)s delivered.") % {"n": len(keys), "d": deliver_now(keys)}
            )
            return
        if action == "preview":
            from guichet.oncall.rules import preview_sentence
            from guichet.sla.errors import SlaError
            from guichet.sla.zones import get_zone

            try:
                zone = get_zone(options["zone"])
                at = dt.datetime.fromisoformat(options["at"])
            except (SlaError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            at = at if at.tzinfo else at.replace(tzinfo=zone)
            self.stdout.write(preview_sentence(options["plan"], options["priority"], at, zone=zone.key))
            return
        self._now(options.get("zone") or "")

    def _now(self, zone_name: str) -> None:
        import zoneinfo

        from guichet.oncall.views.desk import on_call_now

        rows = on_call_now()
        if not rows:
            self.stdout.write(_("No on-call schedule."))
            return
        for row in rows:
            schedule = row.schedule
            try:
                zone = zoneinfo.ZoneInfo(zone_name or schedule.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise CommandError(_("Unknown time zone %(zone)s.") % {"zone": zone_name}) from exc
            line = _("%(schedule)s: primary %(primary)s, secondary %(secondary)s") % {
                "schedule": schedule.name,
                "primary": row.primary or _("nobody"),
                "secondary": row.secondary or _("nobody"),
            }
            if row.next_at is not None:
                local = row.next_at.astimezone(zone)
                line += "; " + _("next: %(person)s from %(when)s") % {
                    "person": row.next_person or _("nobody"),
                    "when": f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({zone.key})",
                }
            self.stdout.write(line)
        self.stdout.write(
            _("(as of %(now)s)") % {"now": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")}
        )
