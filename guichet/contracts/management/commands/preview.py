"""`guichet preview --organisation NAME [--at ISO]`: when the first response would be due, per priority."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.contracts import priorities
from guichet.contracts.management.commands.contract import find_organisation
from guichet.contracts.models import contract_in_force


class Command(BaseCommand):
    help = _(
        "Preview the first-response due times of an organisation's contract, in the customer's local time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True)
        parser.add_argument(
            "--at", default=None, help="Submission instant, ISO 8601 with offset (default: now)"
        )

    def handle(self, *args, organisation: str, at: str | None, **options):
        org = find_organisation(organisation)
        if at:
            try:
                submitted = dt.datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(_("%(at)r is not an ISO 8601 instant.") % {"at": at}) from exc
            if submitted.tzinfo is None:
                raise CommandError(_("--at needs a UTC offset (e.g. 2026-03-02T10:00:00+01:00)."))
        else:
            submitted = timezone.now()
        contract = contract_in_force(org, submitted)
        if contract is None:
            raise CommandError(
                _("%(org)s has no valid contract at %(at)s: tickets get no SLA.")
                % {"org": org.name, "at": submitted.isoformat()}
            )
        zone = contract.zone
        self.stdout.write(
            f"{org.name} — contract {contract.reference}: {contract.get_plan_display()}, "
            f"{contract.get_hours_display()}, {contract.get_region_display()}, {contract.time_zone}"
        )
        self.stdout.write(
            f"Submitted {submitted.astimezone(zone):%a %Y-%m-%d %H:%M %Z} (customer local time)"
        )
        for code, info in priorities.PRIORITIES.items():
            terms = contract.terms(code)
            target = terms.target
            due = terms.calendar.calendar().add(submitted, target)
            hours = int(target.total_seconds() // 3600)
            minutes = int(target.total_seconds() % 3600 // 60)
            self.stdout.write(
                f"  {code}  target {hours:>2}h{minutes:02d} on {terms.calendar.hours:<5} → due "
                f"{due.astimezone(zone):%a %Y-%m-%d %H:%M %Z}   ({info.label})"
            )
