"""`guichet importtickets FILE --format csv|json --organisation NAME [--actor USERNAME] [--dry-run]`

Imports historical tickets with their original submission and first-response times and recomputes
their SLA outcome under the contract valid at each submission. Columns (CSV header / JSON keys):

    external_id, subject, body, priority (P1–P4), channel (portal|email|phone),
    requester (username or e-mail of a contact of the organisation),
    submitted_at (ISO 8601 with offset), first_response_at (optional, ISO 8601 with offset),
    first_response_channel (optional: portal|email|phone, default email),
    status (optional), solved_at (optional)

Each row is imported in its own transaction: a bad row is reported (with its line/index and the
reason) and leaves nothing behind; the good rows are kept. Re-running skips rows already imported
(same external_id). Exit status 1 if any row failed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal, overload

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guichet.accounts.models import Organisation, Person, Role
from guichet.tickets.models import Ticket
from guichet.tickets.services import import_ticket

REQUIRED = ("subject", "priority", "channel", "requester", "submitted_at")


class RowError(Exception):
    """One row of the export cannot be imported; the message names the row and the field."""


@overload
def _instant(row: dict[str, Any], key: str, *, required: Literal[True]) -> dt.datetime: ...
@overload
def _instant(row: dict[str, Any], key: str, *, required: bool = False) -> dt.datetime | None: ...
def _instant(row: dict[str, Any], key: str, *, required: bool = False) -> dt.datetime | None:
    value = (row.get(key) or "").strip() if isinstance(row.get(key), str | type(None)) else row.get(key)
    if not value:
        if required:
            raise RowError(_("%(key)s is required") % {"key": key})
        return None
    try:
        instant = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowError(
            _("%(key)s: %(value)r is not an ISO 8601 instant") % {"key": key, "value": value}
        ) from exc
    if instant.tzinfo is None:
        raise RowError(_("%(key)s: %(value)r has no UTC offset") % {"key": key, "value": value})
    return instant


def read_rows(path: Path, fmt: str) -> list[tuple[str, dict[str, Any]]]:
    """(location, row) pairs; the location is what errors cite (CSV line or JSON index)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(_("Cannot read %(path)s: %(exc)s") % {"path": path, "exc": exc}) from exc
    if fmt == "csv":
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(
                _("The CSV header lacks: %(join_missing)s") % {"join_missing": ", ".join(missing)}
            )
        return [(f"line {i}", dict(row)) for i, row in enumerate(reader, start=2)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(_("%(path)s is not valid JSON: %(exc)s") % {"path": path, "exc": exc}) from exc
    if isinstance(data, dict):
        data = data.get("tickets")
    if not isinstance(data, list):
        raise CommandError(_("The JSON must be a list of tickets (or an object with a 'tickets' list)."))
    return [(f"item {i}", row if isinstance(row, dict) else {"_invalid": row}) for i, row in enumerate(data)]


class Command(BaseCommand):
    help = _("Import historical tickets (CSV or JSON) and recompute their SLA outcome.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", required=True, choices=["csv", "json"])
        parser.add_argument("--organisation", required=True)
        parser.add_argument(
            "--actor", default=None, help="Staff username recorded as importer (default: an admin)"
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row, import nothing")

    def handle(
        self,
        *args: Any,
        file: str,
        format: str,
        organisation: str,
        actor: str | None,
        dry_run: bool,
        **o: Any,
    ) -> None:
        try:
            org = Organisation.objects.get(name=organisation)
        except Organisation.DoesNotExist as exc:
            raise CommandError(
                _("No organisation named %(organisation)r.") % {"organisation": organisation}
            ) from exc
        importer = self._actor(actor)
        rows = read_rows(Path(file), format)
        imported = skipped = 0
        errors: list[str] = []
        for where, row in rows:
            try:
                with transaction.atomic():
                    outcome = self._import_row(org, importer, row)
                    if dry_run:
                        transaction.set_rollback(True)
                if outcome is None:
                    skipped += 1
                else:
                    imported += 1
                    if not dry_run:
                        self.stdout.write(
                            f"{where}: #{outcome.pk} {outcome.external_id or ''} {outcome.priority} "
                            f"{outcome.sla_state} (due {outcome.sla_due_at:%Y-%m-%d %H:%M} UTC)"
                            if outcome.sla_due_at
                            else f"{where}: #{outcome.pk} {outcome.priority} {outcome.sla_state}"
                        )
            except RowError as exc:
                errors.append(f"{where}: {exc}")
            except ValidationError as exc:
                errors.append(f"{where}: {'; '.join(str(m) for m in exc.messages)}")
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{verb} {imported}, skipped {skipped} already imported, {len(errors)} error(s).")
        for line in errors:
            self.stderr.write(line)
        if errors:
            raise CommandError(
                _("%(len_errors)s row(s) were not imported; the others were.") % {"len_errors": len(errors)},
                returncode=1,
            )

    def _actor(self, username: str | None) -> Person:
        staff = Person.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.LEAD, Role.AGENT])
        if username:
            person = staff.filter(username=username).first()
            if person is None:
                raise CommandError(_("No active staff member %(username)r.") % {"username": username})
            return person
        person = staff.filter(role=Role.ADMIN).order_by("pk").first()
        if person is None:
            raise CommandError(_("No administrator to record as importer: pass --actor."))
        return person

    def _import_row(self, org: Organisation, actor: Person, row: dict[str, Any]) -> Ticket | None:
        if "_invalid" in row:
            raise RowError(_("not an object"))
        for key in REQUIRED:
            if not str(row.get(key) or "").strip():
                raise RowError(_("%(key)s is required") % {"key": key})
        external_id = str(row.get("external_id") or "").strip()
        if external_id and Ticket.objects.filter(organisation=org, external_id=external_id).exists():
            return None
        who = str(row["requester"]).strip()
        requester = (
            Person.objects.filter(organisation=org).filter(Q(username=who) | Q(email__iexact=who)).first()
        )
        if requester is None:
            raise RowError(_("requester %(who)r is not a contact of %(org)s") % {"who": who, "org": org.name})
        return import_ticket(
            actor=actor,
            organisation=org,
            requester=requester,
            subject=str(row["subject"]),
            body=str(row.get("body") or row["subject"]),
            priority=str(row["priority"]).strip().upper(),
            channel=str(row["channel"]).strip().lower(),
            submitted_at=_instant(row, "submitted_at", required=True),
            first_response_at=_instant(row, "first_response_at"),
            first_response_channel=str(row.get("first_response_channel") or "email").strip().lower(),
            status=str(row.get("status") or "").strip().lower(),
            solved_at=_instant(row, "solved_at"),
            external_id=external_id,
        )
