"""R-CHAN-2 through IMAP polling, against a real IMAP server (pymap) on 127.0.0.1.

Each test works in its own folder of the session's server; messages are appended with imap-tools,
as a delivery agent would put them there.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone
from imap_tools import MailBoxUnencrypted

from guichet.mail.imap import parse_url, poll_mailbox
from guichet.mail.ingest import process_due, reprocess
from guichet.mail.models import ImapCursor, InboundMessage, InboundStatus
from guichet.mail.tasks import poll_mailboxes_task
from guichet.tickets import services
from guichet.tickets.models import Ticket
from tests.mail.conftest import mail

pytestmark = pytest.mark.django_db(transaction=True)


class Box:
    """One fresh folder on the test server, filled and inspected as a delivery agent would.

    Each operation uses its own connection: pymap drops a session whose folder another session
    changed (moves, expunges), which is the poller's job here.
    """

    def __init__(self, port: int):
        self.port = port
        self.folder = f"t{uuid.uuid4().hex[:10]}"
        self.create(self.folder)
        self.url = f"imap://demouser:demopass@127.0.0.1:{port}/{self.folder}"

    def _client(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login("demouser", "demopass")

    def create(self, folder: str) -> None:
        with self._client() as client:
            client.folder.create(folder)

    def append(self, raw: bytes) -> None:
        with self._client() as client:
            client.append(raw, self.folder)

    def flags(self, folder: str | None = None) -> dict[int, set[str]]:
        with self._client() as client:
            client.folder.set(folder or self.folder)
            # One FETCH per message: bulk parsing trips over pymap's unsolicited flag updates.
            return {
                int(m.uid): set(m.flags) for m in client.fetch(mark_seen=False, headers_only=True, bulk=False)
            }


@pytest.fixture
def box(imap_server) -> Box:
    return Box(imap_server)


def test_R_CHAN_2_imap_poll_opens_threads_and_repoll_is_idempotent(box, world, mailoutbox):
    first = mail("alice@acme.test", "VPN down", "Cannot connect.", message_id="<v1@c.test>")
    box.append(first)
    box.append(mail("bob@acme.test", "Licence", "Renewal?", message_id="<l1@c.test>"))
    # Alice's colleague's client threads by References to her first mail.
    box.append(
        mail(
            "alice@acme.test",
            "Re: VPN down",
            "Still down.",
            message_id="<v2@c.test>",
            references=["<v1@c.test>"],
        )
    )
    box.append(mail("stranger@nowhere.test", "Spam", "buy", message_id="<s1@c.test>"))

    result = poll_mailbox(box.url)
    assert (result.seen, result.stored, result.duplicates, result.errors) == (4, 4, 0, [])
    assert Ticket.objects.count() == 2
    vpn = InboundMessage.objects.get(message_id="v1@c.test").ticket
    assert InboundMessage.objects.get(message_id="v2@c.test").ticket == vpn
    assert vpn.messages.filter(author=world.alice).count() == 2
    assert InboundMessage.objects.get(message_id="s1@c.test").status == InboundStatus.IGNORED
    assert len(mailoutbox) == 2  # one acknowledgement per new ticket
    # Acknowledged on the server only now that the bytes are stored.
    flags = box.flags()
    assert all("\\Seen" in f for f in flags.values())
    cursor = ImapCursor.objects.get(mailbox=parse_url(box.url).key)
    assert cursor.last_uid == max(flags)

    # Polling again finds nothing new.
    again = poll_mailbox(box.url)
    assert (again.seen, again.stored) == (0, 0)

    # The same message delivered twice into the mailbox: stored once, no new effect.
    box.append(first)
    dup = poll_mailbox(box.url)
    assert (dup.seen, dup.stored, dup.duplicates) == (1, 0, 1)

    # The server renumbers the mailbox (UIDVALIDITY changes): a full rescan changes nothing.
    cursor.refresh_from_db()
    cursor.uidvalidity += 1
    cursor.save()
    rescan = poll_mailbox(box.url)
    assert (rescan.seen, rescan.stored, rescan.duplicates) == (5, 0, 5)
    assert Ticket.objects.count() == 2
    assert InboundMessage.objects.count() == 4
    assert len(mailoutbox) == 2


def test_R_CHAN_2_poison_message_is_quarantined_and_the_next_ones_still_process(
    box, world, settings, monkeypatch
):
    settings.GUICHET_MAIL_MAX_ATTEMPTS = 3
    real_open_ticket = services.open_ticket

    def open_ticket_with_a_bug(**kwargs):
        # A processing bug that only this message triggers (the kind a real poison mail causes).
        if "POISON" in kwargs["subject"]:
            raise RuntimeError("simulated processing bug")
        return real_open_ticket(**kwargs)

    monkeypatch.setattr(services, "open_ticket", open_ticket_with_a_bug)
    box.append(mail("alice@acme.test", "POISON pill", "boom", message_id="<p1@c.test>"))
    box.append(mail("bob@acme.test", "Healthy", "fine", message_id="<h1@c.test>"))

    poll_mailbox(box.url)
    poison = InboundMessage.objects.get(message_id="p1@c.test")
    assert poison.status == InboundStatus.RECEIVED
    assert poison.attempts == 1 and "simulated processing bug" in poison.reason
    assert InboundMessage.objects.get(message_id="h1@c.test").status == InboundStatus.PROCESSED

    # Not retried before its backoff; then retried until the attempts are used up.
    assert process_due(now=timezone.now()) == 0
    later = timezone.now()
    later += dt.timedelta(hours=2)
    assert process_due(now=later) == 1
    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (InboundStatus.RECEIVED, 2)
    later += dt.timedelta(hours=2)
    assert process_due(now=later) == 1
    poison.refresh_from_db()
    assert poison.status == InboundStatus.QUARANTINED
    assert "Gave up after 3 attempts" in poison.reason
    assert b"POISON pill" in poison.raw_bytes  # kept for an admin
    assert process_due(now=later + dt.timedelta(days=1)) == 0  # not retried forever
    assert Ticket.objects.count() == 1

    # Once the bug is fixed an admin reprocesses it: the ticket is created, once.
    monkeypatch.setattr(services, "open_ticket", real_open_ticket)
    assert reprocess(poison.pk).status == InboundStatus.PROCESSED
    assert reprocess(poison.pk).status == InboundStatus.PROCESSED
    assert Ticket.objects.filter(subject="POISON pill").count() == 1


def test_R_CHAN_2_message_not_stored_is_not_acknowledged_and_comes_back(box, world, monkeypatch):
    box.append(mail("alice@acme.test", "Retry me", "x", message_id="<r1@c.test>"))

    def database_down(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("guichet.mail.imap.store_raw", database_down)
    failed = poll_mailbox(box.url)
    assert failed.stored == 0 and "connection refused" in failed.errors[0]
    assert all("\\Seen" not in f for f in box.flags().values())
    assert ImapCursor.objects.get(mailbox=parse_url(box.url).key).last_uid == 0

    monkeypatch.undo()
    ok = poll_mailbox(box.url)
    assert ok.stored == 1
    assert InboundMessage.objects.get(message_id="r1@c.test").status == InboundStatus.PROCESSED


def test_R_CHAN_2_processed_mail_moves_to_the_done_folder(box, world, settings):
    done = f"{box.folder}-done"
    box.create(done)
    settings.GUICHET_IMAP_DONE_FOLDER = done
    box.append(mail("alice@acme.test", "Move me", "x", message_id="<mv@c.test>"))
    assert poll_mailbox(box.url).stored == 1
    assert box.flags() == {}
    assert [("\\Seen" in f) for f in box.flags(done).values()] == [True]


def test_R_CHAN_2_oversized_mail_is_left_on_the_server_and_shown_in_quarantine(box, world, settings):
    settings.GUICHET_MAIL_MAX_BYTES = 3000
    box.append(mail("alice@acme.test", "Huge", "x" * 70 + "\n" * 0 + ("y" * 70 + "\n") * 80))
    box.append(mail("alice@acme.test", "Small", "ok", message_id="<sm@c.test>"))
    result = poll_mailbox(box.url)
    assert (result.oversized, result.stored) == (1, 1)
    big = InboundMessage.objects.get(status=InboundStatus.QUARANTINED)
    assert "exceeds the limit" in big.reason
    flags = box.flags()
    assert ["\\Seen" in flags[uid] for uid in sorted(flags)] == [False, True]
    assert InboundMessage.objects.get(message_id="sm@c.test").status == InboundStatus.PROCESSED


def test_R_CHAN_2_periodic_job_and_fetchmail_command_poll_the_configured_mailbox(
    box, world, settings, capsys
):
    settings.GUICHET_IMAP_URL = box.url
    box.append(mail("alice@acme.test", "From the worker", "x", message_id="<w1@c.test>"))
    summary = poll_mailboxes_task.call()
    assert summary["mailboxes"][0]["stored"] == 1
    assert InboundMessage.objects.get(message_id="w1@c.test").status == InboundStatus.PROCESSED

    box.append(mail("bob@acme.test", "From the command", "x", message_id="<c1@c.test>"))
    call_command("fetchmail")
    assert "1 new, 1 stored" in capsys.readouterr().out
    assert InboundMessage.objects.get(message_id="c1@c.test").ticket.requester == world.bob


def test_R_CHAN_2_fetchmail_reports_an_unreachable_server_and_a_bad_url(world, capsys):
    from django.core.management.base import CommandError

    from tests.mail.conftest import free_port

    with pytest.raises(CommandError, match="stays on the server"):
        call_command("fetchmail", url=[f"imap://u:p@127.0.0.1:{free_port()}/INBOX"])
    assert "ConnectionRefusedError" in capsys.readouterr().err
    with pytest.raises(CommandError, match="unknown scheme"):
        call_command("fetchmail", url=["pop3://u:p@127.0.0.1/INBOX"])


def test_R_CHAN_2_one_poller_per_mailbox_and_a_dead_pollers_lease_expires(box, world):
    box.append(mail("alice@acme.test", "Leased", "x", message_id="<ls@c.test>"))
    poll_mailbox(box.url)  # creates the cursor
    box.append(mail("alice@acme.test", "Second", "x", message_id="<ls2@c.test>"))
    cursor = ImapCursor.objects.get(mailbox=parse_url(box.url).key)
    # Another worker is polling (or died while polling a minute ago).
    cursor.leased_until = timezone.now() + dt.timedelta(minutes=9)
    cursor.save()
    busy = poll_mailbox(box.url)
    assert (busy.seen, busy.errors) == (0, ["another poller is reading this mailbox"])
    assert not InboundMessage.objects.filter(message_id="ls2@c.test").exists()
    # Its lease runs out: the mailbox is polled again.
    cursor.leased_until = timezone.now() - dt.timedelta(seconds=1)
    cursor.save()
    assert poll_mailbox(box.url).stored == 1
    cursor.refresh_from_db()
    assert cursor.leased_until is None
