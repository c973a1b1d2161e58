"""Reading one raw e-mail: identity, threading keys, machine-mail detection, text body, attachments.

Pure functions over the standard library's `email` package (policy.default): no database here, so
each rule is tested on bytes alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

from django.conf import settings

from guichet.mail import conf

# Our own header: every mail we send carries it, and inbound mail that carries it is our own mail
# coming back (a loop), whatever else it says.
LOOP_HEADER = "X-Loop"
MACHINE_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}
)
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
TICKET_TOKEN = re.compile(r"\[#(\d{1,12})\]")
MESSAGE_ID_TOKEN = re.compile(r"<([^<>\s]+)>")
MAX_BODY_CHARS = 100_000
MAX_HTML_CHARS = 2_000_000
MAX_PARTS = 200


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_addresses: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[MailAttachment] = field(default_factory=list)
    # Why this is machine mail (an auto-reply, a bounce, a list, our own mail), or "" for a person.
    machine_reason: str = ""
    # Parts we could not keep (too many parts, undecodable): reported on the ticket, never silent.
    dropped: list[str] = field(default_factory=list)
    # For a delivery report: the Message-IDs of the returned message (which of our mails bounced).
    returned_ids: list[str] = field(default_factory=list)
    # DMARC results stated by each server in Authentication-Results: [(authserv-id, result)].
    dmarc: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sender(self) -> str | None:
        """The one sender address from From (never Reply-To), lower-cased; None when ambiguous."""
        return self.from_addresses[0] if len(self.from_addresses) == 1 else None

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, most direct first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen

    @property
    def ticket_tokens(self) -> list[int]:
        return [int(n) for n in TICKET_TOKEN.findall(self.subject)]


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def normalise_message_id(value: str) -> str:
    """`<Abc@Host>` → `Abc@Host`: brackets and folding whitespace go, case stays (it is significant)."""
    value = "".join(value.split())
    match = MESSAGE_ID_TOKEN.search(value)
    return (match.group(1) if match else value.strip("<>"))[:998]


def message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = MESSAGE_ID_TOKEN.findall(str(value))
    return [m[:998] for m in found] if found else ([normalise_message_id(value)] if value.strip() else [])


def parse_bytes(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def synthetic_message_id(raw: bytes) -> str:
    """An id for mail without a Message-ID, stable across redelivery.

    MTAs prepend Received/Return-Path headers on every hop, so hashing the whole message would
    give a new id each time; hash the headers the author wrote and the body instead.
    """
    head, _sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    msg = parse_bytes(head + b"\n\n")
    digest = hashlib.sha256()
    for name in ("from", "to", "cc", "date", "subject"):
        digest.update(name.encode() + b":" + str(msg.get(name, "")).encode("utf-8", "replace") + b"\n")
    digest.update(body)
    return f"{digest.hexdigest()[:40]}@synthetic.guichet"


def header_message_id(msg: EmailMessage, raw: bytes) -> str:
    try:
        value = msg.get("Message-ID")
    except Exception:  # a malformed header must not stop ingestion: fall back to the synthetic id
        value = None
    mid = normalise_message_id(str(value)) if value else ""
    return mid or synthetic_message_id(raw)


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    try:
        header = msg.get(name)
    except Exception:
        return []
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses is None:
        return []
    found = []
    for address in addresses:
        spec = (address.addr_spec or "").strip().lower()
        # Reject anything that could smuggle a second address or a header (CVE-2023-27043 class).
        if spec and spec.count("@") == 1 and not any(c in spec for c in "\r\n,;<> \t"):
            found.append(spec)
    return found


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:
        return ""
    return str(value).strip() if value is not None else ""


def our_addresses() -> set[str]:

    return {conf.support_address(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()} - {""}


def machine_reason(msg: EmailMessage, from_addresses: list[str]) -> str:
    """Why this mail was written by a machine (RFC 3834, RFC 3464, list and vendor headers), or ""."""
    loop = _header(msg, LOOP_HEADER)
    if loop and loop.lower() == conf.loop_id():
        return "loop: carries our own X-Loop header"
    auto_submitted = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-submitted: {auto_submitted}"
    content_type = msg.get_content_type()
    if content_type == "multipart/report":
        return f"report: {msg.get_param('report-type', '') or 'unknown'}"
    if _header(msg, "X-Auto-Response-Suppress"):
        return "x-auto-response-suppress"
    precedence = _header(msg, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"precedence: {precedence}"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing list"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return "x-autoreply"
    if _header(msg, "Return-Path") == "<>":
        return "null return path"
    for address in from_addresses:
        if address.split("@")[0] in MACHINE_LOCAL_PARTS:
            return f"machine sender: {address}"
        if address in our_addresses():
            return "loop: sent from our own address"
    return ""


class _TextExtractor(HTMLParser):
    """HTML to plain text in one linear pass (no regex over hostile markup)."""

    SKIP = frozenset({"script", "style", "head", "title", "template"})
    BREAKS = frozenset(
        {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup[:MAX_HTML_CHARS])
    extractor.close()
    text = "".join(extractor.parts)
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded_payload(part: Message) -> bytes | None:
    """A leaf part's content, transfer-decoded (None for a container such as multipart/*)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else None


def _first_subpart(part: Message) -> Message | None:
    """The first message inside a container part (message/rfc822 holds exactly one)."""
    payloads = part.get_payload() if part.is_multipart() else None
    inner = payloads[0] if isinstance(payloads, list) and payloads else None
    return inner if isinstance(inner, Message) else None


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        content = (_decoded_payload(part) or b"").decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = _html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history ("Le … a écrit :", "On … wrote:", "> …") removed."""
    if not text:
        return text
    from mailparser_reply import EmailReplyParser

    try:
        reply = EmailReplyParser(languages=["fr", "en"]).parse_reply(text=text)
    except Exception:  # the stripper is a heuristic: on any failure keep the whole text
        return text
    # A mail that is only a quote (or a top-posted empty answer) keeps its full text: losing the
    # customer's words is worse than showing a quote.
    return reply.strip() or text


def attachments(msg: EmailMessage) -> tuple[list[MailAttachment], list[str]]:
    kept: list[MailAttachment] = []
    dropped: list[str] = []
    for index, part in enumerate(msg.iter_attachments()):
        filename = part.get_filename() or f"attachment-{index + 1}"
        if index >= MAX_PARTS:
            dropped.append(f"{filename}: too many parts")
            continue
        content: bytes | None
        try:
            content = _decoded_payload(part)
        except Exception:
            content = None
        if content is None:
            # message/rfc822 and similar containers: keep them as their serialised bytes.
            try:
                inner = _first_subpart(part)
                content = inner.as_bytes() if inner is not None else None
            except Exception:
                content = None
        if content is None:
            dropped.append(f"{filename}: could not be decoded")
            continue
        kept.append(
            MailAttachment(filename=filename[:255], content_type=part.get_content_type(), content=content)
        )
    return kept, dropped


def returned_message_ids(msg: EmailMessage) -> list[str]:
    """The Message-ID(s) of the original message inside an RFC 3464 report (or a plain bounce)."""
    found: list[str] = []
    for index, part in enumerate(msg.walk()):
        if index > MAX_PARTS:
            break
        content_type = part.get_content_type()
        try:
            if content_type == "message/rfc822" and (inner := _first_subpart(part)) is not None:
                found += message_ids(str(inner.get("Message-ID", "")))
            elif content_type == "text/rfc822-headers":
                headers = parse_bytes(_decoded_payload(part) or b"")
                found += message_ids(str(headers.get("Message-ID", "")))
        except Exception:  # a malformed report only loses the bounce link, never the message
            continue
    return found


_DMARC = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)", re.IGNORECASE)


def dmarc_results(msg: EmailMessage) -> list[tuple[str, str]]:
    """(authserv-id, dmarc result) for each Authentication-Results header (RFC 8601)."""
    found = []
    try:
        values = msg.get_all("Authentication-Results") or []
    except Exception:
        return []
    for value in values[:20]:
        text = " ".join(str(value).split())
        authserv = text.split(";", 1)[0].strip().split(" ")[0].lower()
        for result in _DMARC.findall(text):
            found.append((authserv, result.lower()))
    return found


def parse(raw: bytes) -> ParsedMail:
    msg = parse_bytes(raw)
    from_addresses = _addresses(msg, "From")
    subject = " ".join(_header(msg, "Subject").split())
    text = body_text(msg)
    files, dropped = attachments(msg) if msg.is_multipart() else ([], [])
    if len(text) > MAX_BODY_CHARS:
        # The whole mail stays in the stored raw bytes; the ticket says where the text was cut.
        text = text[:MAX_BODY_CHARS]
        dropped.append(f"the text after {MAX_BODY_CHARS} characters (kept in the original e-mail)")
    stripped = strip_quoted(text)
    reason = machine_reason(msg, from_addresses)
    return ParsedMail(
        message_id=header_message_id(msg, raw),
        from_addresses=from_addresses,
        subject=subject,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        text=stripped,
        attachments=files,
        machine_reason=reason,
        dropped=dropped,
        returned_ids=returned_message_ids(msg) if reason else [],
        dmarc=dmarc_results(msg),
    )


def clean_subject(subject: str) -> str:
    """A ticket subject from a mail subject: reply/forward prefixes and our token removed."""
    subject = TICKET_TOKEN.sub("", subject)
    prefix = re.compile(r"^\s*(re|fw|fwd|tr|réf|ref|aw|wg)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)
    while prefix.match(subject):
        subject = prefix.sub("", subject, count=1)
    return " ".join(subject.split())[:250]
