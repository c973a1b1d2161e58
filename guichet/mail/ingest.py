"""The ingestion pipeline every transport shares: store the raw bytes, then process them once.

1. `store_raw` commits the raw bytes (unique SHA-256 and Message-ID) before any transport
   acknowledges the message; a duplicate delivery returns the row already stored.
2. `process_inbound` claims the row (one committed attempt counted *before* the work, so a message
   that crashes the process is still counted), then in one transaction parses it, sorts out
   machine mail, identifies the sender from From, threads it and calls the ticket services.
   Failures are retried with backoff, then quarantined with their reason; nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Person, Role
from guichet.mail import conf
from guichet.mail.models import InboundMessage, InboundStatus, OutboundMail, OutboundStatus
from guichet.mail.notifications import owe_acknowledgement
from guichet.mail.parsing import ParsedMail, clean_subject, header_message_id, parse, parse_bytes, sha256
from guichet.tickets import services
from guichet.tickets.models import Channel, Ticket
from guichet.tickets.services import ServiceError

logger = logging.getLogger(__name__)


class MessageTooLarge(ValueError):
    """The message exceeds GUICHET_MAIL_MAX_BYTES: refused before it is stored."""


class Ignore(Exception):
    """Processing decided the mail creates nothing; the reason is kept on the row."""

    status = InboundStatus.IGNORED

    def __init__(self, reason: str, ticket=None):
        super().__init__(reason)
        self.reason = reason
        self.ticket = ticket


class Hold(Ignore):
    """Processing stopped for an admin to decide (e.g. a storm from one sender): quarantined."""

    status = InboundStatus.QUARANTINED


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool


def store_raw(
    raw: bytes,
    *,
    source: str,
    mailbox: str = "",
    uid: int | None = None,
    uidvalidity: int | None = None,
) -> Stored:
    """Commit the raw bytes; return the existing row when this message was already stored."""
    if not isinstance(raw, bytes | bytearray) or not raw:
        raise ValueError("An inbound message is a non-empty bytes object.")
    if len(raw) > conf.max_bytes():
        raise MessageTooLarge(f"{len(raw)} bytes exceeds the limit of {conf.max_bytes()} bytes.")
    raw = bytes(raw)
    digest = sha256(raw)
    message_id = header_message_id(parse_bytes(raw), raw)
    existing = InboundMessage.objects.filter(Q(sha256=digest) | Q(message_id=message_id)).first()
    if existing is not None:
        return Stored(existing, False)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                raw=raw,
                sha256=digest,
                message_id=message_id,
                source=source,
                mailbox=mailbox,
                uid=uid,
                uidvalidity=uidvalidity,
            )
    except IntegrityError:
        # A concurrent delivery of the same message won the race: the effect happens once.
        existing = InboundMessage.objects.filter(Q(sha256=digest) | Q(message_id=message_id)).first()
        if existing is None:
            raise
        return Stored(existing, False)
    return Stored(row, True)


def ingest_raw(
    raw: bytes,
    *,
    source: str,
    mailbox: str = "",
    uid: int | None = None,
    uidvalidity: int | None = None,
) -> InboundMessage:
    """Store then process one message. Raises only if the bytes could not be stored."""
    stored = store_raw(raw, source=source, mailbox=mailbox, uid=uid, uidvalidity=uidvalidity)
    if stored.message.status == InboundStatus.RECEIVED:
        return process_inbound(stored.message.pk)
    return stored.message


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes, capped at an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _claim(pk: int) -> InboundMessage | None:
    """Count one attempt (committed) before working, or quarantine when attempts are used up."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=pk)
        if row.status != InboundStatus.RECEIVED:
            return None
        if row.attempts >= conf.max_attempts():
            row.status = InboundStatus.QUARANTINED
            row.reason = f"Gave up after {row.attempts} attempts. Last error: {row.reason}"[:4000]
            row.next_attempt_at = None
            row.save(update_fields=["status", "reason", "next_attempt_at"])
            logger.error("Inbound mail %s quarantined: %s", row.pk, row.reason)
            return None
        row.attempts += 1
        row.next_attempt_at = timezone.now() + backoff(row.attempts)
        row.save(update_fields=["attempts", "next_attempt_at"])
        return row


def process_inbound(pk: int, *, manual: bool = False) -> InboundMessage:
    """Process one stored message if it is still waiting; record any failure on the row.

    `manual` is an admin's decision to process it anyway (it lifts the per-sender rate limit).
    """
    if _claim(pk) is None:
        return InboundMessage.objects.get(pk=pk)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().get(pk=pk)
            if row.status != InboundStatus.RECEIVED:
                return row
            _apply(row, manual=manual)
            row.next_attempt_at = None
            row.processed_at = timezone.now()
            row.save()
            if row.opened_ticket:
                owe_acknowledgement(row)
        return row
    except Exception as exc:
        logger.exception("Inbound mail %s failed (attempt counted)", pk)
        return _record_failure(pk, exc)


def _record_failure(pk: int, exc: Exception) -> InboundMessage:

    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=pk)
        row.reason = f"{type(exc).__name__}: {_error_text(exc)}"[:4000]
        # A refusal by the services is deterministic: retrying gives the same answer, so the
        # message goes straight to the quarantine for an admin to look at.
        if isinstance(exc, ServiceError) or row.attempts >= conf.max_attempts():
            if not isinstance(exc, ServiceError):
                row.reason = f"Gave up after {row.attempts} attempts. Last error: {row.reason}"[:4000]
            row.status = InboundStatus.QUARANTINED
            row.next_attempt_at = None
        row.save(update_fields=["reason", "status", "next_attempt_at"])
        return row


def _error_text(exc: Exception) -> str:
    messages = getattr(exc, "messages", None)
    return "; ".join(str(m) for m in messages) if messages else str(exc)


def process_due(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Retry the stored messages whose backoff has passed (and any never tried). Returns how many."""
    now = now or timezone.now()
    pks = list(
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pks:
        process_inbound(pk)
    return len(pks)


def reprocess(pk: int) -> InboundMessage:
    """An admin's "try again" on a quarantined or ignored message: fresh attempts, same bytes."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=pk)
        if row.status == InboundStatus.PROCESSED:
            return row
        row.status = InboundStatus.RECEIVED
        row.attempts = 0
        row.next_attempt_at = None
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
    return process_inbound(pk, manual=True)


# --- The work itself --------------------------------------------------------------------------------


def _apply(row: InboundMessage, *, manual: bool = False) -> None:
    parsed = parse(row.raw_bytes)
    row.from_address = ", ".join(parsed.from_addresses)[:320]
    row.subject = parsed.subject[:300]
    try:
        person = _sender(parsed)
        ticket = _thread(parsed, person)
        if parsed.machine_reason:
            _record_bounce(parsed)
            raise Ignore(_("Machine mail (%(reason)s).") % {"reason": parsed.machine_reason}, ticket)
        if not manual:
            _check_authenticated(parsed)
            assert parsed.sender is not None  # _sender() refused mail without exactly one sender
            _check_rate(row, parsed.sender)
        # Notes added to the message (parts not kept) are in the customer's language.
        with translation.override(person.language or None):
            _deliver(row, parsed, person, ticket)
    except Ignore as ignored:
        row.status = ignored.status
        row.reason = ignored.reason
        row.ticket = ignored.ticket
        logger.info("Inbound mail %s %s: %s", row.pk, ignored.status, ignored.reason)


def _check_authenticated(parsed: ParsedMail) -> None:
    """With GUICHET_MAIL_AUTHSERV_ID set, only mail our MTA found DMARC-aligned reaches a ticket."""
    authserv = conf.authserv_id()
    if authserv and (authserv, "pass") not in parsed.dmarc:
        raise Hold(
            _("The sender %(address)s is not authenticated (no DMARC pass from %(server)s): held for review.")
            % {"address": parsed.sender, "server": authserv}
        )


def _check_rate(row: InboundMessage, address: str) -> None:
    """G8: a storm from one address (a loop with a robot we did not recognise, or abuse) stops
    creating tickets after GUICHET_MAIL_SENDER_LIMIT processed mails in an hour; the rest waits in
    the quarantine for an admin."""
    limit = conf.sender_limit_per_hour()
    since = timezone.now() - dt.timedelta(hours=1)
    recent = (
        InboundMessage.objects.filter(
            from_address=address, status=InboundStatus.PROCESSED, processed_at__gte=since
        )
        .exclude(pk=row.pk)
        .count()
    )
    if recent >= limit:
        raise Hold(
            _("More than %(n)s e-mails from %(address)s in an hour: held for review.")
            % {"n": limit, "address": address}
        )


def _record_bounce(parsed: ParsedMail) -> None:
    """A delivery report about one of our mails marks that mail bounced (shown to agents)."""
    ids = [*parsed.returned_ids, *parsed.thread_ids][:50]
    if not ids or not parsed.machine_reason.startswith(("report", "machine sender", "null return")):
        return
    OutboundMail.objects.filter(message_id__in=ids, status=OutboundStatus.SENT).update(
        status=OutboundStatus.BOUNCED, reason=(parsed.text or parsed.machine_reason)[:2000]
    )


def _sender(parsed: ParsedMail):
    """The customer contact in the From header (never Reply-To, which anyone may set)."""

    if parsed.machine_reason:
        return None
    address = parsed.sender
    if address is None:
        raise Ignore(_("The From header does not name exactly one valid address."))
    people = list(Person.objects.filter(email__iexact=address, is_active=True)[:2])
    if not people:
        raise Ignore(
            _("Unknown sender %(address)s: no active contact has this address.") % {"address": address}
        )
    if len(people) > 1:
        raise Ignore(_("Several people share the address %(address)s.") % {"address": address})
    person = people[0]
    if person.role != Role.CUSTOMER or person.organisation_id is None:
        raise Ignore(_("%(address)s is vendor staff: staff answer from the desk.") % {"address": address})
    return person


def _thread(parsed: ParsedMail, person):
    """The ticket this mail continues, if any, always within the sender's own organisation.

    First the Message-IDs it answers (our outbound mail, then earlier inbound mail), then a
    `[#123]` subject token. Without a sender (machine mail) only our own Message-IDs count.
    """

    ids = parsed.thread_ids[:50]
    candidates: list[int] = []
    if ids:
        ours = dict(OutboundMail.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
        theirs = dict(
            InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
        for mid in ids:
            if mid in ours:
                candidates.append(ours[mid])
            elif mid in theirs and person is not None:
                candidates.append(theirs[mid])
    if person is not None:
        candidates.extend(parsed.ticket_tokens)
    if not candidates:
        return None
    tickets = Ticket.objects.in_bulk(candidates)
    for pk in candidates:
        ticket = tickets.get(pk)
        if ticket is None:
            continue
        # Tenancy: a sender only ever reaches their own organisation's tickets, whatever the
        # headers or the subject claim.
        if person is None or ticket.organisation_id == person.organisation_id:
            return ticket
        logger.warning(
            "Mail from %s names ticket %s of another organisation; not threaded", parsed.sender, pk
        )
    return None


def _deliver(row: InboundMessage, parsed: ParsedMail, person, ticket) -> None:

    files, too_large = _uploads(parsed)
    dropped = [*parsed.dropped, *too_large]
    body = parsed.text or (_("(No text: see the attachments.)") if files else _("(The e-mail had no text.)"))
    if dropped:
        # G11: nothing disappears silently; the note travels with the message.
        body += "\n\n" + _("Parts of this e-mail could not be kept: %(parts)s") % {
            "parts": "; ".join(dropped)
        }
    if ticket is not None:
        # The service reopens a solved or closed ticket on a customer reply, as on the portal.
        message = services.add_reply(
            actor=person, ticket=ticket, body=body, channel=Channel.EMAIL, attachments=files
        )
        row.ticket, row.ticket_message = ticket, message
        row.status = InboundStatus.PROCESSED
        row.reason = ""
        return
    new_ticket = services.open_ticket(
        actor=person,
        organisation=person.organisation,
        requester=person,
        subject=clean_subject(parsed.subject) or _("(no subject)"),
        body=body,
        priority=conf.default_priority(),
        channel=Channel.EMAIL,
        # The clock starts when our ingress stored the mail, even if processing ran later.
        received_at=row.created_at,
        attachments=files,
    )
    first = new_ticket.messages.filter(author=person).order_by("created_at", "id").first()
    row.ticket, row.ticket_message = new_ticket, first
    row.status = InboundStatus.PROCESSED
    row.reason = ""
    row.opened_ticket = True  # process_inbound owes the acknowledgement once the row is saved


def _uploads(parsed: ParsedMail) -> tuple[list, list[str]]:
    """Attachments as uploads for the services, and the ones over the size limit (named, not kept)."""

    limit = services.max_attachment_bytes()
    files, too_large = [], []
    for a in parsed.attachments:
        if len(a.content) > limit:
            too_large.append(
                _("%(name)s: too large (%(size)s bytes, at most %(limit)s)")
                % {"name": a.filename, "size": len(a.content), "limit": limit}
            )
            continue
        files.append(SimpleUploadedFile(a.filename, a.content, content_type=a.content_type))
    return files, too_large
