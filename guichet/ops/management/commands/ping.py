"""`guichet ping`: check end to end that a worker picks up tasks and reaches the database.

Enqueues `count` ping tasks through django.tasks, waits for their results and prints one JSON line
per task, one with the scheduler's last heartbeat and one with the outbox backlog (pending side
effects, the age of the oldest, failed ones). Exits non-zero if any did not succeed within
the timeout, so it doubles as a deployment health check.
"""

from __future__ import annotations

import json
import secrets
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.tasks import TaskResultStatus
from django.utils.translation import gettext_lazy as _

from guichet.ops.tasks import last_heartbeat, ping
from guichet.outbox import relay


class Command(BaseCommand):
    # argparse needs a real str for --help (a lazy proxy raises TypeError).
    help = str(_("Enqueue ping tasks and wait until a worker has run them."))

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument("--timeout", type=float, default=30.0, help="Seconds to wait for the results.")
        parser.add_argument(
            "--require-heartbeat",
            action="store_true",
            help="Also wait for the scheduler's heartbeat and fail without one (is a scheduler running?).",
        )

    def handle(self, *args, count: int, timeout: float, require_heartbeat: bool, **options):
        if count < 1:
            raise CommandError(_("--count must be at least 1."))
        batch = secrets.token_hex(4)
        results = [ping.enqueue(f"{batch}-{i}") for i in range(count)]
        deadline = time.monotonic() + timeout
        finished = {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED}
        while True:
            for result in results:
                if result.status not in finished:
                    result.refresh()
            done = all(result.status in finished for result in results)
            if (done and (not require_heartbeat or last_heartbeat())) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for result in results:
            line: dict[str, object] = {"id": result.id, "status": result.status.value, "args": result.args}
            if result.status == TaskResultStatus.SUCCESSFUL:
                line["return_value"] = result.return_value
            self.stdout.write(json.dumps(line))
        heartbeat = last_heartbeat()
        self.stdout.write(json.dumps({"scheduler_heartbeat": heartbeat}))
        try:
            backlog = relay.backlog()
        except DatabaseError as exc:  # e.g. a database not migrated yet: the queue check stands
            self.stdout.write(json.dumps({"outbox_error": str(exc)}))
        else:
            self.stdout.write(
                json.dumps(
                    {
                        "outbox_pending": backlog.pending,
                        "outbox_due_now": backlog.due_now,
                        "outbox_oldest_pending_age_seconds": backlog.oldest_age_seconds,
                        "outbox_failed": backlog.failed,
                    }
                )
            )
        failed = [result for result in results if result.status != TaskResultStatus.SUCCESSFUL]
        if failed:
            raise CommandError(
                _(
                    "%(failed)s of %(count)s ping task(s) did not succeed within %(timeout)gs "
                    "(task storage: %(storage)s); is a worker running (`guichet worker`)?"
                )
                % {
                    "failed": len(failed),
                    "count": count,
                    "timeout": timeout,
                    "storage": settings.TASK_STORAGE,
                }
            )
        if require_heartbeat and not heartbeat:
            raise CommandError(
                _("No scheduler heartbeat within %(timeout)gs; is a worker running without --no-periodic?")
                % {"timeout": timeout}
            )
