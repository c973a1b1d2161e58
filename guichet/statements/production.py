"""Producing the statements of many organisations: one call, progress, resumable."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.utils import timezone

from guichet.accounts.models import Organisation
from guichet.statements.builder import StatementError, produce
from guichet.statements.models import Statement

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, int, int], None]  # done, total, produced, failed


def previous_month(now: dt.datetime | None = None) -> str:
    """The month before `now`'s (UTC): what the run on the 1st states."""
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def produce_all(
    month: str, *, progress: Progress | None = None, as_of: dt.datetime | None = None
) -> dict[str, int]:
    """The statement of every organisation for `month`, skipping those already produced (a resumed
    run does only what is left). Each is produced and its mail owed in its own transaction; one
    that fails is logged and counted, the others go on."""
    done_ids = set(Statement.objects.filter(month=month).values_list("organisation_id", flat=True))
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    counts = {"organisations": len(ids), "skipped": 0, "produced": 0, "failed": 0}
    for i, pk in enumerate(ids, start=1):
        if pk in done_ids:
            counts["skipped"] += 1
        else:
            organisation = Organisation.objects.get(pk=pk)
            try:
                _statement, created = produce(organisation, month, as_of=as_of)
            except StatementError as exc:
                logger.warning("No statement for %s %s: %s", organisation.name, month, exc)
                counts["failed"] += 1
            except Exception:
                logger.exception("Statement of %s for %s failed", organisation.name, month)
                counts["failed"] += 1
            else:
                counts["produced" if created else "skipped"] += 1
        if progress is not None:
            progress(i, len(ids), counts["produced"], counts["failed"])
    return counts
