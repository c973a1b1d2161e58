"""`guichet contract create|list|end`: contracts from customer quotes (R-PLAN-1).

    guichet contract create --organisation Acme --plan premium --timezone Europe/Paris --country FR \\
        --from 2026-01-01 [--until 2026-12-31] [--hours 24x5] [--region north-america] \\
        [--subdivision 57] [--target P1=20] [--pause-when-waiting] [--reference Q-2026-001] \\
        [--downgrade-waives-miss] [--closed-unanswered-missed]
    guichet contract list [--organisation Acme]
    guichet contract end --reference Q-2026-001 --on 2026-06-30
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract, HoursOption, Plan, Priority, Region


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(value)r is not a date (YYYY-MM-DD).") % {"value": value}) from exc


def parse_targets(values: list[str]) -> dict[str, int]:
    targets: dict[str, int] = {}
    for item in values:
        key, _sep, minutes = item.partition("=")
        key = key.strip().upper()
        if key not in Priority.values or not minutes.strip().isdigit():
            raise CommandError(_("--target expects P1..P4=MINUTES, not %(item)r.") % {"item": item})
        targets[key] = int(minutes)
    return targets


def find_organisation(name: str) -> Organisation:
    try:
        return Organisation.objects.get(name=name)
    except Organisation.DoesNotExist as exc:
        raise CommandError(
            _("No organisation named %(name)r (see `guichet org list`).") % {"name": name}
        ) from exc


class Command(BaseCommand):
    help = _("Create, list and end support contracts.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Record a contract from a customer's quote.")
        create.add_argument("--organisation", required=True)
        create.add_argument("--plan", required=True, choices=Plan.values)
        create.add_argument("--hours", default=HoursOption.PLAN_DEFAULT, choices=HoursOption.values)
        create.add_argument("--region", default=Region.WORLDWIDE, choices=Region.values)
        create.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Paris")
        create.add_argument("--country", required=True, help="Holiday country, e.g. FR")
        create.add_argument("--subdivision", default="", help="Holiday subdivision, e.g. NY or 57")
        create.add_argument("--from", dest="valid_from", required=True, help="First day (YYYY-MM-DD, local)")
        create.add_argument("--until", dest="valid_until", default=None, help="Last day (inclusive)")
        create.add_argument("--reference", default="", help="Quote reference (default: generated)")
        create.add_argument("--target", action="append", default=[], help="Override, e.g. P1=20 (minutes)")
        create.add_argument("--pause-when-waiting", action="store_true")
        create.add_argument(
            "--downgrade-waives-miss",
            action="store_true",
            help="a downgrade after a missed target judges the downgraded target (default: the miss stays)",
        )
        create.add_argument(
            "--closed-unanswered-missed",
            action="store_true",
            help="a ticket solved or closed without a response counts as missed (default: left out)",
        )
        listing = sub.add_parser("list", help="List contracts.")
        listing.add_argument("--organisation", default=None)
        end = sub.add_parser("end", help="End a contract on a date (its last valid day).")
        end.add_argument("--reference", required=True)
        end.add_argument("--on", required=True, help="Last valid day (YYYY-MM-DD)")

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, **o):
        org = find_organisation(o["organisation"])
        valid_from = parse_date(o["valid_from"])
        contract = Contract(
            organisation=org,
            reference=o["reference"] or f"{org.name[:20]}-{valid_from:%Y%m%d}",
            plan=o["plan"],
            hours=o["hours"],
            region=o["region"],
            time_zone=o["timezone"],
            holiday_country=o["country"].upper(),
            holiday_subdivision=o["subdivision"],
            valid_from=valid_from,
            valid_until=parse_date(o["valid_until"]) if o["valid_until"] else None,
            target_overrides=parse_targets(o["target"]),
            pause_when_waiting=o["pause_when_waiting"],
            downgrade_keeps_miss=not o["downgrade_waives_miss"],
            closed_unanswered_missed=o["closed_unanswered_missed"],
        )
        try:
            contract.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        contract.save()
        self.stdout.write(
            f"Created contract {contract.reference} for {org.name}: {contract.plan}, {contract.hours}, "
            f"{contract.region}, {contract.time_zone}, holidays {contract.holiday_country}"
            f"{'-' + contract.holiday_subdivision if contract.holiday_subdivision else ''}, "
            f"from {contract.valid_from} until {contract.valid_until or 'further notice'}."
        )
        self.stdout.write(
            "Tickets submitted from that date take this contract; existing tickets keep theirs."
        )

    def handle_list(self, **o):
        contracts = Contract.objects.select_related("organisation").order_by(
            "organisation__name", "valid_from"
        )
        if o["organisation"]:
            contracts = contracts.filter(organisation=find_organisation(o["organisation"]))
        for c in contracts:
            overrides = ",".join(f"{k}={v}" for k, v in sorted((c.target_overrides or {}).items()))
            country = c.holiday_country + (f"-{c.holiday_subdivision}" if c.holiday_subdivision else "")
            self.stdout.write(
                f"{c.reference:<24} {c.organisation.name:<24} {c.plan:<8} {c.hours:<8} {c.region:<14} "
                f"{c.time_zone:<22} {country}"
                f"  {c.valid_from} → {c.valid_until or '…'}{'  targets ' + overrides if overrides else ''}"
            )

    def handle_end(self, **o):
        last_day = parse_date(o["on"])
        with transaction.atomic():
            try:
                contract = Contract.objects.select_for_update().get(reference=o["reference"])
            except Contract.DoesNotExist as exc:
                raise CommandError(
                    _("No contract with reference %(reference)r.") % {"reference": o["reference"]}
                ) from exc
            except Contract.MultipleObjectsReturned as exc:
                raise CommandError(
                    _("Several contracts have reference %(reference)r.") % {"reference": o["reference"]}
                ) from exc
            if last_day < contract.valid_from:
                raise CommandError(
                    _("A contract cannot end before it starts (%(contract_valid_from)s).")
                    % {"contract_valid_from": contract.valid_from}
                )
            contract.valid_until = last_day
            contract.save(update_fields=["valid_until"])
        self.stdout.write(f"Contract {contract.reference} now ends on {last_day} (inclusive).")
