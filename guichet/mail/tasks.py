"""Background work of the e-mail channel.

Every minute (the scheduler's table is guichet/ops/schedule.py) the worker
polls every configured IMAP mailbox and retries stored messages whose processing failed earlier and
whose backoff has passed. Outbound mail the SMTP server refused is retried by the outbox.
`process_inbound_task` processes one stored message (the SMTP ingress hands its messages to it).
"""

from __future__ import annotations

import logging

from django.tasks import task

from guichet.mail.imap import poll_all
from guichet.mail.ingest import process_due, process_inbound

logger = logging.getLogger(__name__)


@task()
def process_inbound_task(inbound_id: int) -> str:

    return process_inbound(inbound_id).status


def poll_and_retry() -> dict[str, object]:
    """One round: poll the mailboxes, then retry what is due.

    Safe to run twice at once: each mailbox is leased to one poller (ImapCursor.leased_until), each
    stored message is claimed under a row lock, each outbound mail is recorded once.
    """

    results = poll_all()
    retried = process_due()
    summary = {
        "mailboxes": [
            {"mailbox": r.mailbox, "stored": r.stored, "duplicates": r.duplicates, "errors": r.errors}
            for r in results
        ],
        "retried": retried,
    }
    if retried or any(r.stored or r.errors for r in results):
        logger.info("Mail round: %s", summary)
    return summary


@task()
def poll_mailboxes_task() -> dict[str, object]:
    return poll_and_retry()
