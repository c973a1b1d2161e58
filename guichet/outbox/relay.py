"""Delivering the outbox: a handler per kind, a lease per row, retries with backoff.

`deliver(pk)` claims one row (a conditional UPDATE that commits at once: a lease and a claim
token), runs the kind's handler outside any transaction, then marks the row delivered — or, on an
error, due again after a backoff. `deliver_due()` is the poll that every worker runs every few
seconds (and the periodic schedule once a minute): it delivers whatever is due, whether or not the
queue ever woke anyone. A worker killed mid-delivery only delays the row until its lease expires;
the handler's own idempotency (its key; a mail's recorded Message-ID) keeps the effect single.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.tasks import task
from django.utils import timezone

from guichet import background
from guichet.background import tasks_run_inline
from guichet.outbox.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

Handler = Callable[[Delivery], object]
ErrorHook = Callable[[Delivery, Exception], object]
#: Delivers many rows of one kind at once; returns, per row key, None (delivered) or the error.
BatchHandler = Callable[[list[Delivery]], dict[str, Exception | None]]
_handlers: dict[str, Handler] = {}
_error_hooks: dict[str, ErrorHook] = {}
_batch_handlers: dict[str, BatchHandler] = {}


class Permanent(Exception):
    """Raised by a handler when retrying cannot help (no such message, no address): fail at once."""


def batch_handler(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register how to deliver many rows of `kind` at once (`deliver_many`): a burst of pages must
    not cost a claim, a handler call and a mark per row. The one-row handler stays the reference."""

    def register(func: BatchHandler) -> BatchHandler:
        _batch_handlers[kind] = func
        return func

    return register


def handler(kind: str, *, on_error: ErrorHook | None = None) -> Callable[[Handler], Handler]:
    """Register the function that delivers one `kind` of row (it raises to ask for a retry).

    `on_error(delivery, exc)` runs after a failed attempt, outside the attempt's own savepoint, so
    what it records (e.g. a failure in a ticket's history) stays even when the attempt is undone."""

    def register(func: Handler) -> Handler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not func:
            raise ValueError(f"outbox kind {kind!r} already has a handler: {existing!r}")
        _handlers[kind] = func
        if on_error is not None:
            _error_hooks[kind] = on_error
        return func

    return register


def known_kind(kind: str) -> bool:
    return kind in _handlers


def kinds() -> list[str]:
    return sorted(_handlers)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "GUICHET_OUTBOX_LEASE_SECONDS", 120)))


def max_attempts() -> int:
    return int(getattr(settings, "GUICHET_OUTBOX_MAX_ATTEMPTS", 15))


def backoff(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s … doubling, at most an hour between tries."""
    return dt.timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def _claimable(now: dt.datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, due_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def deliver(key: str, *, now: dt.datetime | None = None) -> str:
    """Deliver one row (by its key) if it is due and nobody holds it. Returns what happened, for
    logs and tests: "delivered", "retry", "failed", or "skipped" (not due, done, or held elsewhere)."""
    now = now or timezone.now()
    claim = secrets.token_hex(8)
    # The attempt is counted when claimed: a row that kills its worker every time still ends failed.
    claimed = Delivery.objects.filter(_claimable(now), key=key).update(
        claim=claim, claimed_until=now + lease(), attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.get(key=key)
    func = _handlers.get(delivery.kind)
    mine = Delivery.objects.filter(pk=delivery.pk, claim=claim)
    try:
        if func is None:
            raise Permanent(f"no handler for {delivery.kind!r}")
        # Inline (tests), the row lives in the caller's transaction: a savepoint keeps a failing
        # handler from breaking it. Otherwise no transaction: a handler commits its own records
        # (a mail's Message-ID) before it sends.
        scope = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with scope:
            func(delivery)
    except Exception as exc:
        return _failed(delivery, mine, exc)
    mine.update(
        status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), claimed_until=None, last_error=""
    )
    return "delivered"


def _failed(delivery: Delivery, mine: QuerySet[Delivery], exc: Exception) -> str:
    """After a failed attempt: the kind's error hook, then a retry after the backoff, or failed."""
    key, attempts = delivery.key, delivery.attempts
    error = f"{type(exc).__name__}: {exc}"[:2000]
    hook = _error_hooks.get(delivery.kind)
    if hook is not None:
        try:
            hook(delivery, exc)
        except Exception:
            log.exception("outbox: the error hook of %s failed", key)
    if isinstance(exc, Permanent) or attempts >= max_attempts():
        mine.update(status=DeliveryStatus.FAILED, last_error=error, claimed_until=None)
        log.error("outbox: %s failed for good after %s attempt(s): %s", key, attempts, error)
        return "failed"
    retry_at = timezone.now() + backoff(attempts)
    mine.update(last_error=error, due_at=retry_at, claimed_until=None, claim="")
    log.warning("outbox: %s attempt %s failed (%s); next try at %s", key, attempts, error, retry_at)
    wake([key], at=retry_at)
    return "retry"


def deliver_many(keys: list[str], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Deliver many rows at once: one claim for all, each kind's batch handler (else its one-row
    handler, row by row), one mark for everything delivered. Same leases and retries as `deliver`."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    if not keys:
        return counts
    claim = secrets.token_hex(8)
    claimed = 0
    for i in range(0, len(keys), 500):
        claimed += Delivery.objects.filter(_claimable(now), key__in=keys[i : i + 500]).update(
            claim=claim, claimed_until=now + lease(), attempts=F("attempts") + 1
        )
    counts["skipped"] = len(keys) - claimed
    rows = list(Delivery.objects.filter(claim=claim, key__in=keys)) if claimed else []
    by_kind: dict[str, list[Delivery]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    done: list[int] = []
    for kind, group in by_kind.items():
        batch = _batch_handlers.get(kind)
        if batch is None:
            for row in group:
                mine = Delivery.objects.filter(pk=row.pk, claim=claim)
                try:
                    func = _handlers.get(kind)
                    if func is None:
                        raise Permanent(f"no handler for {kind!r}")
                    func(row)
                except Exception as exc:
                    counts[_failed(row, mine, exc)] += 1
                else:
                    done.append(row.pk)
            continue
        try:
            results = batch(group)
        except Exception as exc:  # the whole batch broke: each row is retried as usual
            results = {row.key: exc for row in group}
        for row in group:
            error = results.get(row.key)
            if error is None:
                done.append(row.pk)
            else:
                counts[_failed(row, Delivery.objects.filter(pk=row.pk, claim=claim), error)] += 1
    for i in range(0, len(done), 500):
        Delivery.objects.filter(pk__in=done[i : i + 500], claim=claim).update(
            status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), claimed_until=None, last_error=""
        )
    counts["delivered"] = len(done)
    return counts


def wake(keys: Iterable[str], *, at: dt.datetime | None = None) -> None:
    """Ask a worker to deliver these rows now (or at `at`), once the current transaction commits.

    Best effort, off the request's path: a background thread of this process enqueues the wake-up
    task, and a queue outage is only logged — the write already committed, and the workers' poll
    delivers the rows anyway. With inline tasks (the test settings) the rows are delivered on commit
    by this process (at once inside a test case's transaction, which never commits)."""
    wanted = list(keys)
    if not wanted:
        return
    if tasks_run_inline():
        if _inside_test_transaction():
            _deliver_all(wanted)
        else:
            transaction.on_commit(partial(_deliver_all, wanted))
        return
    background.after_commit(partial(enqueue_wake, wanted, at))


def _deliver_all(keys: list[str]) -> None:
    for key in keys:
        deliver(key)


def _inside_test_transaction() -> bool:
    """Whether the current transaction is a test case's (it will be rolled back, never committed)."""
    return any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def enqueue_wake(keys: list[str], at: dt.datetime | None) -> None:
    try:
        later = at is not None and at > timezone.now()
        task = deliver_task.using(run_after=at) if later else deliver_task
        for key in keys:
            task.enqueue(key)
    except Exception as exc:  # the queue is down: the poll will deliver them
        log.warning("outbox: could not wake the relay for %s (%s); the poll will deliver it", keys, exc)


@task()
def deliver_task(key: str) -> str:
    """Deliver one outbox row (enqueued once its write committed, or at its retry time)."""
    return deliver(key)


def due_keys(*, now: dt.datetime | None = None, limit: int = 200, kind_prefix: str = "") -> list[str]:
    """Keys of the rows due and unclaimed, oldest first (of the kinds starting with `kind_prefix`)."""
    rows = Delivery.objects.filter(_claimable(now or timezone.now()))
    if kind_prefix:
        rows = rows.filter(kind__startswith=kind_prefix)
    return list(rows.order_by("due_at", "id").values_list("key", flat=True)[:limit])


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200, threads: int = 1) -> dict[str, int]:
    """The poll: deliver every row that is due and unclaimed (oldest first), up to `limit`, on
    `threads` threads (deliveries wait on mail and web servers; each row is claimed by one)."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    keys = due_keys(now=now, limit=limit)
    if threads > 1 and len(keys) > 1:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="guichet-outbox") as pool:
            for outcome in pool.map(partial(_deliver_in_thread, now=now), keys):
                counts[outcome] += 1
        return counts
    for key in keys:
        counts[_deliver_logged(key, now)] += 1
    return counts


def _deliver_logged(key: str, now: dt.datetime) -> str:
    try:
        return deliver(key, now=now)
    except Exception:  # a broken row must not stop the others
        log.exception("outbox: delivery %s could not be processed", key)
        return "skipped"


def _deliver_in_thread(key: str, *, now: dt.datetime) -> str:
    try:
        return _deliver_logged(key, now)
    finally:
        connection.close()  # this pool thread's own connection


@dataclass(frozen=True)
class Backlog:
    """What operators see (`guichet ping`, the health page)."""

    pending: int
    oldest_pending_at: dt.datetime | None
    failed: int
    due_now: int

    @property
    def oldest_age_seconds(self) -> float | None:
        if self.oldest_pending_at is None:
            return None
        return max(0.0, (timezone.now() - self.oldest_pending_at).total_seconds())


def backlog(now: dt.datetime | None = None) -> Backlog:
    now = now or timezone.now()
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        n=Count("id"), oldest=Min("created_at"), due=Count("id", filter=Q(due_at__lte=now))
    )
    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
    return Backlog(pending["n"], pending["oldest"], failed, pending["due"])
