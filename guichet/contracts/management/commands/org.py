"""`guichet org create NAME [--email-domain DOMAIN]` and `guichet org list`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import Organisation
from guichet.contracts.models import contract_in_force


class Command(BaseCommand):
    help = _("Create and list customer organisations.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an organisation.")
        create.add_argument("name")
        create.add_argument("--email-domain", default="", help="Mail from this domain belongs to it.")
        sub.add_parser("list", help="List organisations with the contract in force today.")

    def handle(self, *args, action: str, **options):
        if action == "create":
            name = options["name"].strip()
            org = Organisation(name=name, email_domain=options["email_domain"].strip().lower())
            try:
                org.full_clean()
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            org.save()
            self.stdout.write(f"Created organisation {org.name} (id {org.pk}).")
            return
        now = timezone.now()
        for org in Organisation.objects.order_by("name"):
            contract = contract_in_force(org, now)
            plan = f"{contract.plan} ({contract.reference})" if contract else "no valid contract (no SLA)"
            self.stdout.write(f"{org.pk:>5}  {org.name:<30} {plan}")
