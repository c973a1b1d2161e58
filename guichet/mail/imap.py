"""IMAP polling by UID (never by sequence number), acknowledging each message only after its raw
bytes are committed.

Per mailbox an `ImapCursor` keeps (UIDVALIDITY, last UID). Each poll reads the UIDs above the cursor
in order; for each one: download the exact bytes, commit them (`store_raw`), then mark the message
\\Seen (and move it to GUICHET_IMAP_DONE_FOLDER when set), then advance the cursor. A crash between
two steps only repeats work that the unique keys make harmless. When the server changes
UIDVALIDITY the cursor restarts from 0; already-stored messages are recognised and not re-applied.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from guichet.mail import conf
from guichet.mail.ingest import process_inbound, store_raw
from guichet.mail.models import ImapCursor, InboundMessage, InboundStatus
from guichet.mail.parsing import sha256

logger = logging.getLogger(__name__)

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class ImapConfigError(ValueError):
    """A mailbox URL that cannot be used (bad scheme, missing user or folder)."""


@dataclass(frozen=True)
class ImapAccount:
    scheme: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str

    @property
    def key(self) -> str:
        """Identifies the mailbox in the database (no password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_url(url: str) -> ImapAccount:
    """imap://user:pass@host:port/FOLDER (plain), imap+starttls://… or imaps://… (TLS)."""
    parts = urlsplit(url)
    defaults = {"imap": 143, "imap+starttls": 143, "imaps": 993}
    if parts.scheme not in defaults:
        raise ImapConfigError(
            f"GUICHET_IMAP_URL: unknown scheme {parts.scheme!r} (imap, imap+starttls, imaps)."
        )
    if not parts.hostname or not parts.username:
        raise ImapConfigError("GUICHET_IMAP_URL needs a user and a host: imap://user:password@host/INBOX.")
    return ImapAccount(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or defaults[parts.scheme],
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def connect(account: ImapAccount, timeout: float = 30) -> BaseMailBox:
    if account.scheme == "imaps":
        box: BaseMailBox = MailBox(
            account.host, account.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    elif account.scheme == "imap+starttls":
        box = MailBoxStartTls(
            account.host, account.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        box = MailBoxUnencrypted(account.host, account.port, timeout=timeout)
    return box.login(account.user, account.password, initial_folder=account.folder)


@dataclass
class PollResult:
    mailbox: str
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    oversized: int = 0
    errors: list[str] = field(default_factory=list)


def _fetch(box: BaseMailBox, uid: int | str, what: str) -> list:
    status, data = box.client.uid("FETCH", str(uid), what)
    if status != "OK":
        raise OSError(f"UID FETCH {uid} {what} failed: {status} {data!r}")
    return data


def _sizes(box: BaseMailBox, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE of each UID, in one round trip (so oversized mail is never downloaded)."""
    if not uids:
        return {}
    sizes: dict[int, int] = {}
    for item in _fetch(box, ",".join(str(u) for u in uids), "(UID RFC822.SIZE)"):
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (m := _UID.search(line)) and (size := _SIZE.search(line)):
            sizes[int(m.group(1))] = int(size.group(1))
    return sizes


def _raw(box: BaseMailBox, uid: int) -> bytes | None:
    """The exact bytes on the server, or None when the UID no longer exists.

    Servers put the UID before or after the literal; unsolicited FETCH responses (flag updates of
    other messages) carry no body, so the one body in the answer is this UID's.
    """
    bodies = [
        item[1]
        for item in _fetch(box, uid, "(UID BODY.PEEK[])")
        if isinstance(item, tuple) and b"BODY[]" in item[0]
    ]
    if len(bodies) > 1:
        raise OSError(f"UID FETCH {uid} returned {len(bodies)} bodies")
    return bodies[0] if bodies else None


def _acknowledge(box: BaseMailBox, uid: int) -> None:
    box.flag(str(uid), "\\Seen", True)
    done = conf.imap_done_folder()
    if done:
        box.move(str(uid), done)


def _new_uids(box: BaseMailBox, after: int) -> list[int]:
    # "UID n:*" always matches the highest UID, even below n: filter again.
    return sorted(u for u in (int(x) for x in box.uids(f"UID {after + 1}:*")) if u > after)


def _uidvalidity(box: BaseMailBox, folder: str) -> int:
    return int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])


def _cursor(key: str, uidvalidity: int) -> ImapCursor:
    cursor, _created = ImapCursor.objects.get_or_create(mailbox=key, defaults={"uidvalidity": uidvalidity})
    if cursor.uidvalidity != uidvalidity:
        logger.warning(
            "Mailbox %s: UIDVALIDITY changed %s → %s; rescanning (stored mail is recognised)",
            key,
            cursor.uidvalidity,
            uidvalidity,
        )
        cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
        cursor.updated_at = timezone.now()
        cursor.save(update_fields=["uidvalidity", "last_uid", "updated_at"])
    return cursor


LEASE = dt.timedelta(minutes=10)


def _take_lease(cursor: ImapCursor) -> bool:
    """One atomic UPDATE: true if no other poller holds this mailbox (or its lease expired)."""
    now = timezone.now()
    return bool(
        ImapCursor.objects.filter(pk=cursor.pk)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + LEASE)
    )


def _release_lease(cursor: ImapCursor) -> None:
    ImapCursor.objects.filter(pk=cursor.pk).update(leased_until=None)


def _advance(cursor: ImapCursor, uid: int) -> None:
    cursor.last_uid = uid
    cursor.updated_at = timezone.now()
    cursor.save(update_fields=["last_uid", "updated_at"])


def _record_oversized(account: ImapAccount, uidvalidity: int, uid: int, size: int) -> None:
    """Too big to download: left untouched on the server, and made visible in the quarantine."""
    marker = f"oversized {account.key} {uidvalidity}:{uid}".encode()
    with transaction.atomic():
        InboundMessage.objects.get_or_create(
            sha256=sha256(marker),
            defaults={
                "raw": b"",
                "message_id": f"{sha256(marker)[:40]}@oversized.guichet",
                "source": "imap",
                "mailbox": account.key,
                "uid": uid,
                "uidvalidity": uidvalidity,
                "status": InboundStatus.QUARANTINED,
                "reason": (
                    f"{size} bytes exceeds the limit of {conf.max_bytes()} bytes: "
                    "left unread in the mailbox, not downloaded."
                ),
            },
        )


def poll_mailbox(url: str, *, limit: int | None = None, process: bool = True) -> PollResult:
    """Fetch, store and acknowledge the new messages of one mailbox; process them when asked."""
    account = parse_url(url)
    result = PollResult(mailbox=account.key)
    limit = limit or conf.imap_batch()
    stored_pks: list[int] = []
    box = connect(account)
    try:
        uidvalidity = _uidvalidity(box, account.folder)
        cursor = _cursor(account.key, uidvalidity)
        if not _take_lease(cursor):
            result.errors.append("another poller is reading this mailbox")
            return result
        try:
            _read_new(box, account, cursor, uidvalidity, limit, result, stored_pks)
        finally:
            _release_lease(cursor)
    finally:
        try:
            box.logout()
        except Exception:  # the connection may already be gone; the work is committed
            logger.debug("IMAP logout failed", exc_info=True)
    if process:
        for pk in stored_pks:
            if process_inbound(pk).status != InboundStatus.RECEIVED:
                result.processed += 1
    return result


def _read_new(
    box: BaseMailBox,
    account: ImapAccount,
    cursor: ImapCursor,
    uidvalidity: int,
    limit: int,
    result: PollResult,
    stored_pks: list[int],
) -> None:
    """Store, acknowledge and pass each new message, in UID order; stop at the first store failure."""
    uids = _new_uids(box, cursor.last_uid)[:limit]
    sizes = _sizes(box, uids)
    for uid in uids:
        result.seen += 1
        size = sizes.get(uid)
        if size is not None and size > conf.max_bytes():
            _record_oversized(account, uidvalidity, uid, size)
            result.oversized += 1
            _advance(cursor, uid)
            continue
        raw = _raw(box, uid)
        if raw is None:
            # Expunged by someone else between SEARCH and FETCH: nothing to keep.
            result.errors.append(f"UID {uid}: vanished before it could be read")
            _advance(cursor, uid)
            continue
        try:
            stored = store_raw(raw, source="imap", mailbox=account.key, uid=uid, uidvalidity=uidvalidity)
        except Exception as exc:
            # Not stored, so not acknowledged: stop here and retry from this UID next poll (G2).
            logger.exception("Mailbox %s UID %s: could not store; will retry", account.key, uid)
            result.errors.append(f"UID {uid}: not stored: {exc}")
            break
        _acknowledge(box, uid)
        _advance(cursor, uid)
        if stored.created:
            result.stored += 1
        else:
            result.duplicates += 1
        if stored.message.status == InboundStatus.RECEIVED:
            stored_pks.append(stored.message.pk)


def poll_all(*, process: bool = True) -> list[PollResult]:
    results = []
    for url in conf.imap_urls():
        try:
            results.append(poll_mailbox(url, process=process))
        except ImapConfigError:
            raise
        except Exception as exc:
            # One unreachable server must not stop the others; nothing was acknowledged.
            logger.exception("Polling %s failed", parse_url(url).key)
            results.append(PollResult(mailbox=parse_url(url).key, errors=[f"{type(exc).__name__}: {exc}"]))
    return results
