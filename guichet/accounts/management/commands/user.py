"""`guichet user create|list`: customer contacts, agents, team leads and administrators.

    guichet user create alice --role customer --organisation Acme --language fr --timezone Europe/Paris \\
        [--email alice@acme.test] [--phone "+33 1 23 45 67 89"] [--password PW | (generated and printed)]
    guichet user list [--organisation Acme] [--role agent]
"""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from guichet.accounts.models import Language, Organisation, Person, Role


class Command(BaseCommand):
    help = _("Create and list people.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a person.")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--organisation", default=None, help="Required for customers, refused for staff")
        create.add_argument("--language", default=Language.EN, choices=Language.values)
        create.add_argument("--timezone", default="UTC")
        create.add_argument("--email", default="")
        create.add_argument("--phone", default="")
        create.add_argument(
            "--billing",
            action="store_true",
            help="a customer contact who receives the monthly SLA statements",
        )
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--password", default=None, help="Default: a generated one, printed once")
        listing = sub.add_parser("list", help="List people.")
        listing.add_argument("--organisation", default=None)
        listing.add_argument("--role", default=None, choices=Role.values)

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, **o):
        org = None
        if o["organisation"]:
            try:
                org = Organisation.objects.get(name=o["organisation"])
            except Organisation.DoesNotExist as exc:
                raise CommandError(
                    _("No organisation named %(organisation)r.") % {"organisation": o["organisation"]}
                ) from exc
        if o["role"] == Role.CUSTOMER and org is None:
            raise CommandError(_("A customer contact needs --organisation."))
        if o["role"] != Role.CUSTOMER and org is not None:
            raise CommandError(_("Agents, leads and administrators belong to no organisation."))
        person = Person(
            username=o["username"],
            role=o["role"],
            organisation=org,
            language=o["language"],
            time_zone=o["timezone"],
            email=o["email"],
            phone=o["phone"],
            is_billing_contact=o["billing"],
            first_name=o["first_name"],
            last_name=o["last_name"],
            is_staff=o["role"] == Role.ADMIN,
            is_superuser=o["role"] == Role.ADMIN,
        )
        generated = o["password"] is None
        password = secrets.token_urlsafe(12) if generated else o["password"]
        try:
            validate_password(password, person)
            person.set_password(password)
            person.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        with transaction.atomic():
            person.save()
        self.stdout.write(f"Created {person.get_role_display().lower()} {person.username} (id {person.pk}).")
        if generated:
            self.stdout.write(f"Password (shown once): {password}")

    def handle_list(self, **o):
        people = Person.objects.select_related("organisation").order_by("role", "username")
        if o["organisation"]:
            people = people.filter(organisation__name=o["organisation"])
        if o["role"]:
            people = people.filter(role=o["role"])
        for p in people:
            org = p.organisation.name if p.organisation else "-"
            active = "" if p.is_active else "  (inactive)"
            self.stdout.write(f"{p.username:<20} {p.role:<9} {org:<24} {p.language}  {p.time_zone}{active}")
