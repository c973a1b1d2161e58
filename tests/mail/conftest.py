"""Fixtures for the e-mail channel: two customer organisations, their contacts, an agent, raw mail
builders, and real servers on 127.0.0.1 (an aiosmtpd ingress in-process, a pymap IMAP server in a
subprocess)."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from tests.factories import make_org, make_person

SUPPORT = "support@guichet.test"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _mail_settings(settings, inline_tasks, fast_passwords):
    settings.DEFAULT_FROM_EMAIL = f"Guichet Support <{SUPPORT}>"
    settings.GUICHET_SUPPORT_ADDRESS = SUPPORT
    settings.GUICHET_IMAP_URL = ""
    settings.GUICHET_IMAP_DONE_FOLDER = ""
    settings.GUICHET_MAIL_PRIORITY = "P3"
    settings.GUICHET_MAIL_AUTHSERV_ID = ""


class World:
    """Two Premium organisations known by their mail domains (24 × 7 Premium, so nothing here depends
    on the hour the suite runs at), their contacts and an agent."""

    def __init__(self) -> None:
        self.acme = make_org("Acme", Plan.PREMIUM, email_domain="acme.test")
        self.globex = make_org("Globex", Plan.PREMIUM, email_domain="globex.test")
        self.alice = make_person("alice", org=self.acme, email="Alice@Acme.test")
        self.bob = make_person("bob", org=self.acme, email="bob@acme.test")
        self.eve = make_person("eve", org=self.globex, email="eve@globex.test")
        self.agent = make_person("agent", Role.AGENT, email="agent@guichet.test")


@pytest.fixture
def world(db) -> World:
    """Transactional in the modules marked `django_db(transaction=True)` (the servers' threads must
    see the committed rows): pytest-django follows the mark whichever database fixture is asked for."""
    return World()


def mail(
    sender: str,
    subject: str,
    body: str,
    *,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    to: str = SUPPORT,
) -> bytes:
    """A raw RFC 5322 message as a mail client would write it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime(2026, 11, 27, 10, 0, next(_counter) % 60, tzinfo=dt.UTC))
    msg["Message-ID"] = message_id or make_msgid(idstring=f"t{next(_counter)}", domain="client.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[int]:
    """pymap (pure-Python IMAP server, dev dependency) in memory on a free port; yields the port."""
    exe = Path(sys.executable).with_name("pymap")
    command = [str(exe)] if exe.exists() else [shutil.which("pymap") or "pymap"]
    port = free_port()
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict", "--demo-data"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
