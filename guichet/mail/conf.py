"""The e-mail channel's settings, with their defaults (documented in docs/mail.md)."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings


def support_address() -> str:
    """The address customers write to, lower-cased (GUICHET_SUPPORT_ADDRESS)."""
    value = getattr(settings, "GUICHET_SUPPORT_ADDRESS", "") or settings.DEFAULT_FROM_EMAIL
    return parseaddr(value)[1].lower()


def loop_id() -> str:
    """The value of our X-Loop header: the support address, as procmail and RT do."""
    return support_address()


def imap_urls() -> list[str]:
    value = getattr(settings, "GUICHET_IMAP_URL", "")
    return [u.strip() for u in value.split(",") if u.strip()] if isinstance(value, str) else list(value)


def default_priority() -> str:
    # R-PRIO-5: P1/P2 need the customer's explicit confirmation, which a mail cannot give.
    value = getattr(settings, "GUICHET_MAIL_PRIORITY", "P3")
    return value if value in {"P3", "P4"} else "P3"


def max_bytes() -> int:
    return int(getattr(settings, "GUICHET_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def max_attempts() -> int:
    return int(getattr(settings, "GUICHET_MAIL_MAX_ATTEMPTS", 5))


def imap_done_folder() -> str:
    """Where processed mail is moved ("" keeps it in place, flagged \\Seen)."""
    return getattr(settings, "GUICHET_IMAP_DONE_FOLDER", "")


def imap_batch() -> int:
    return int(getattr(settings, "GUICHET_IMAP_BATCH", 200))


def ack_enabled() -> bool:
    return bool(getattr(settings, "GUICHET_MAIL_ACK", True))


def ack_limit_per_hour() -> int:
    """Loop breaker (G8): at most this many automatic mails to one address per hour."""
    return int(getattr(settings, "GUICHET_MAIL_AUTO_LIMIT", 10))


def sender_limit_per_hour() -> int:
    """Loop breaker (G8): mails processed per sender per hour before the rest is held for review."""
    return int(getattr(settings, "GUICHET_MAIL_SENDER_LIMIT", 30))


def authserv_id() -> str:
    """GUICHET_MAIL_AUTHSERV_ID: when set, mail must carry an Authentication-Results header from
    this server (our MTA, which removes forged ones, RFC 8601) with dmarc=pass; other mail waits in
    the quarantine. Empty: the From address is trusted as it is (see docs/mail.md)."""
    return (getattr(settings, "GUICHET_MAIL_AUTHSERV_ID", "") or "").strip().lower()
