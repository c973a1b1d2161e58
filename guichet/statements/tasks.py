"""The monthly run: on the 1st (guichet/ops/schedule.py), the previous month's statements of every
organisation, each mailed to its billing or main contact through the outbox. Resumable: an
organisation whose statement exists is skipped, so a run cut short finishes on the next call."""

from __future__ import annotations

import logging

from django.tasks import task

logger = logging.getLogger(__name__)


@task()
def produce_monthly_statements_task() -> dict[str, int]:
    from guichet.statements.production import previous_month, produce_all

    counts = produce_all(previous_month())
    logger.info("Monthly statements: %s", counts)
    return counts
