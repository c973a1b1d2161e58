"""`guichet worker`: run the background worker (Huey's consumer) with the desk's defaults.

Huey's `run_huey` plus the outbox poll (guichet/ops/poller.py), which delivers the side effects of
committed writes even when the queue lost their wake-up, and the timer poll, which fires SLA
timers, held replies and escalation steps within a second of their instant. Run exactly one
worker with the scheduler (the default) and any others with `--no-periodic`; every worker polls.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from guichet.ops.poller import OutboxPoller, TimerPoller


class Command(BaseCommand):
    # argparse needs a real str for --help (a lazy proxy raises TypeError).
    help = str(_("Run the background worker that executes tasks and, unless told not to, periodic jobs."))

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Worker threads (default: GUICHET_WORKER_THREADS, else 2).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not run the scheduler; use on every worker but one.",
        )

    def handle(self, *args, threads: int | None, no_periodic: bool, **options):
        if settings.TASK_STORAGE == "immediate":
            raise CommandError(_("GUICHET_TASKS=immediate runs tasks inline; a worker has nothing to do."))
        if threads is not None and threads < 1:
            raise CommandError(_("--threads must be at least 1."))
        kwargs: dict[str, object] = {}
        if threads is not None:
            kwargs["workers"] = threads
        if no_periodic:
            kwargs["periodic"] = False
        # run_huey gives the "huey" logger its own handler; stop it also reaching Django's root
        # handler, which printed every line twice.
        logging.getLogger("huey").propagate = False
        pollers: list[OutboxPoller | TimerPoller] = [OutboxPoller(), TimerPoller()]
        for poller in pollers:
            poller.start()
        try:
            call_command("run_huey", **kwargs)
        finally:
            for poller in pollers:
                poller.stop()
