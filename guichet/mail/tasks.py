"""Background work of the e-mail channel, as django.tasks tasks (run by the Huey worker).

`poll_mailboxes` is the periodic job (every minute, see guichet/ops/schedule.py): it polls every
configured IMAP mailbox, then retries stored messages whose processing failed earlier.
"""

from __future__ import annotations

import logging

from django.tasks import task
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

logger = logging.getLogger(__name__)


@task()
def process_inbound_task(inbound_id: int) -> str:
    from guichet.mail.ingest import process_inbound

    return process_inbound(inbound_id).status


@task()
def poll_mailboxes() -> dict[str, object]:
    from guichet.mail.imap import poll_all
    from guichet.mail.ingest import process_due

    try:
        # One poll at a time across all workers: two would only race to store the same mail.
        with HUEY.lock_task("guichet-mail-poll"):
            results = poll_all()
            retried = process_due()
    except TaskLockedException:
        logger.info("Mailbox poll already running; skipped")
        return {"skipped": True}
    return {
        "mailboxes": [
            {"mailbox": r.mailbox, "stored": r.stored, "duplicates": r.duplicates, "errors": r.errors}
            for r in results
        ],
        "retried": retried,
    }
