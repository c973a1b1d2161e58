"""Producing a monthly statement: the organisation's tickets submitted in the month (local to the
customer's zone), each with its ledger events as chained, the figures the SLA core derives from
them, the calendars and the attainment table; signed with the vendor's key.

Every figure comes from `guichet.sla.statement` — the functions the customer's verifier runs on
the printed events — so producing and verifying cannot disagree. Reads go through the tickets
selectors (`OPERATOR` for the desk's own production run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.accounts.models import Organisation, Person, Role
from guichet.contracts.models import Contract
from guichet.sla import statement as core
from guichet.sla.chain import instant
from guichet.statements import keys
from guichet.statements.delivery import owe_mail
from guichet.statements.models import Statement
from guichet.tickets import ledger
from guichet.tickets.models import LedgerChaining
from guichet.tickets.selectors import OPERATOR, Viewer, visible_ledgers, visible_tickets

__all__ = ["Audience", "StatementError", "audience", "build", "canonical", "produce", "recipients"]


class StatementError(ValueError):
    """A statement that cannot be produced (bad month, month not over, no key)."""


@dataclasses.dataclass(frozen=True)
class Audience:
    """Who reads the statement: its language and zone, and whom it is mailed to."""

    zone: str
    language: str
    recipients: tuple[Person, ...]


def recipients(organisation: Organisation) -> list[Person]:
    """The billing contacts with an address, else the main contact (the first active contact with
    an address)."""
    contacts = Person.objects.filter(organisation=organisation, role=Role.CUSTOMER, is_active=True).exclude(
        email=""
    )
    billing = list(contacts.filter(is_billing_contact=True).order_by("pk"))
    if billing:
        return billing
    main = contacts.order_by("pk").first()
    return [main] if main is not None else []


def _contract_for(organisation: Organisation, month: str) -> Contract | None:
    """The contract of the month: the latest one that started before the month ended."""
    year, mon = (int(x) for x in month.split("-"))
    last_day = dt.date(year + mon // 12, mon % 12 + 1, 1) - dt.timedelta(days=1)
    return (
        Contract.objects.filter(organisation=organisation, valid_from__lte=last_day)
        .order_by("-valid_from", "-pk")
        .first()
    )


def audience(organisation: Organisation, month: str) -> Audience:
    """The customer's zone (its contract's) and language (its billing or main contact's)."""
    people = recipients(organisation)
    contract = _contract_for(organisation, month)
    zone = contract.time_zone if contract is not None else (people[0].time_zone if people else "UTC")
    language = people[0].language if people else settings.LANGUAGE_CODE
    return Audience(zone or "UTC", language or "en", tuple(people))


def check_month(month: str) -> None:
    try:
        year, mon = (int(x) for x in month.split("-"))
        if len(month) != 7 or not 1 <= mon <= 12 or year < 2000:
            raise ValueError
    except ValueError as exc:
        raise StatementError(f"not a month: {month!r} (use YYYY-MM)") from exc


def _tickets(person: Viewer, organisation: Organisation, start: dt.datetime, end: dt.datetime) -> list[Any]:
    rows = (
        visible_tickets(person)
        .filter(organisation=organisation, submitted_at__gte=start, submitted_at__lt=end)
        .order_by("submitted_at", "pk")
        .values_list("pk", "subject")
    )
    return list(rows)


def _entries(person: Viewer, ids: list[int]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Each ticket's printed events, read in batches (one query per 500 tickets)."""
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        events: dict[int, list[dict[str, Any]]] = {pk: [] for pk in chunk}
        for row in visible_ledgers(person, chunk):
            events[row.ticket_id].append(core.event_entry(ledger.chain_record(row, row.prev_hash), row.hash))
        for pk in chunk:
            yield pk, events[pk]


def build(
    organisation: Organisation,
    month: str,
    *,
    as_of: dt.datetime | None = None,
    person: Viewer = OPERATOR,
    who: Audience | None = None,
) -> dict[str, Any]:
    """The signed statement of `organisation` for `month` (YYYY-MM, local to its zone)."""
    check_month(month)
    as_of = as_of or timezone.now()
    who = who or audience(organisation, month)
    start, end = core.month_period(month, who.zone)
    rows = _tickets(person, organisation, start, end)
    subjects = dict(rows)
    tickets = []
    for pk, entries in _entries(person, [pk for pk, _subject in rows]):
        if not entries:
            continue  # a ticket without a ledger cannot be stated (never written by the services)
        tickets.append(
            {"ticket": pk, "subject": subjects[pk], **core.derive(entries, as_of), "events": entries}
        )
    chaining = LedgerChaining.began()
    document: dict[str, Any] = {
        "schema": core.SCHEMA,
        "version": core.VERSION,
        "vendor": getattr(settings, "GUICHET_VENDOR_NAME", "guichet"),
        "organisation": organisation.name,
        "month": month,
        "zone": who.zone,
        "language": who.language,
        "period": {"start": instant(start), "end": instant(end)},
        "produced_at": instant(as_of),
        "chaining_began": instant(chaining.began_at) if chaining else None,
        "tickets": tickets,
        "calendars": core.calendars(tickets, month),
        "attainment": core.attainment(tickets),
    }
    return core.sign(document, keys.private_key())


def canonical(document: dict[str, Any]) -> str:
    """The text stored and served: the canonical JSON (what the signature covers, plus it)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def produce(
    organisation: Organisation, month: str, *, as_of: dt.datetime | None = None
) -> tuple[Statement, bool]:
    """Build, sign and keep the statement of a finished month, and owe its mail to each recipient
    (outbox, same transaction). Returns (statement, created); an existing one is returned as is."""
    check_month(month)
    existing = Statement.objects.filter(organisation=organisation, month=month).first()
    if existing is not None:
        return existing, False
    as_of = as_of or timezone.now()
    who = audience(organisation, month)
    _start, end = core.month_period(month, who.zone)
    if end > as_of:
        raise StatementError(f"{month} is not over yet in {who.zone}")
    document = build(organisation, month, as_of=as_of, who=who)
    text = canonical(document)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                organisation=organisation,
                month=month,
                zone=who.zone,
                language=who.language,
                produced_at=as_of,
                document=text,
                sha256=Statement.digest(text),
                key_id=document["signature"]["key_id"],
                tickets=len(document["tickets"]),
                attainment=document["attainment"]["total"]["attainment"] or "",
            )
            owe_mail(statement, who.recipients)
    except IntegrityError:  # produced meanwhile by another run: keep theirs
        return Statement.objects.get(organisation=organisation, month=month), False
    return statement, True
