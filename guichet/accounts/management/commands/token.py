"""`guichet token create --user NAME --name LABEL [--expires-days N]` (prints the token once) and
`guichet token revoke PREFIX` (or `--id N`)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import ApiToken, Person


class Command(BaseCommand):
    help = _("Issue and revoke API tokens.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token; the clear token is printed once.")
        create.add_argument("--user", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--expires-days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (as listed) or id.")
        revoke.add_argument("prefix", nargs="?", default=None)
        revoke.add_argument("--id", type=int, default=None)
        listing = sub.add_parser("list", help="List tokens (never their value).")
        listing.add_argument("--user", default=None)

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, **o):
        try:
            person = Person.objects.get(username=o["user"])
        except Person.DoesNotExist as exc:
            raise CommandError(_("No person with username %(user)r.") % {"user": o["user"]}) from exc
        if not person.is_active:
            raise CommandError(_("%(person_username)s is inactive.") % {"person_username": person.username})
        expires = None
        if o["expires_days"] is not None:
            if o["expires_days"] <= 0:
                raise CommandError(_("--expires-days must be positive."))
            expires = timezone.now() + dt.timedelta(days=o["expires_days"])
        token, clear = ApiToken.issue(person, o["name"], expires_at=expires)
        self.stdout.write(
            f"Token {token.name} ({token.prefix}…) for {person.username}; shown once, store it now:"
        )
        self.stdout.write(clear)

    def handle_revoke(self, **o):
        tokens = ApiToken.objects.filter(revoked_at__isnull=True)
        if o["id"] is not None:
            tokens = tokens.filter(pk=o["id"])
        elif o["prefix"]:
            prefix = o["prefix"].removeprefix("gch_")[:8]
            tokens = tokens.filter(prefix=prefix)
        else:
            raise CommandError(_("Give the token's prefix or --id."))
        matches = list(tokens)
        if not matches:
            raise CommandError(_("No active token matches."))
        if len(matches) > 1:
            raise CommandError(_("Several tokens match that prefix; use --id."))
        token = matches[0]
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        self.stdout.write(f"Revoked token {token.name} ({token.prefix}…) of {token.person.username}.")

    def handle_list(self, **o):
        tokens = ApiToken.objects.select_related("person").order_by("created_at")
        if o["user"]:
            tokens = tokens.filter(person__username=o["user"])
        for t in tokens:
            state = "revoked" if t.revoked_at else ("active" if t.is_active() else "expired")
            self.stdout.write(f"{t.pk:>5}  {t.prefix}…  {t.person.username:<20} {t.name:<24} {state}")
