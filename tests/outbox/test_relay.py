"""The outbox relay: idempotent records, claims and leases, retries with backoff, failures, the poll."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.utils import timezone

from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from guichet.outbox.services import enqueue, retry

calls: list[str] = []
outcomes: dict[str, list[Exception | None]] = {}


@relay.handler("test.probe")
def probe(delivery: Delivery) -> None:
    calls.append(delivery.key)
    planned = outcomes.get(delivery.key)
    if planned:
        error = planned.pop(0)
        if error is not None:
            raise error


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    calls.clear()
    outcomes.clear()
    yield


@pytest.fixture
def queued(settings) -> None:
    """Tasks wait for a worker (as in production): only the relay or the poll deliver."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_a_key_is_recorded_once(db, queued) -> None:
    enqueue("test.probe", "k1", {"n": 1})
    enqueue("test.probe", "k1", {"n": 2})  # a retried write or a replayed event
    (row,) = Delivery.objects.all()
    assert (row.kind, row.payload, row.status, row.attempts) == ("test.probe", {"n": 1}, "pending", 0)


def test_unknown_kinds_and_bad_keys_are_refused(db, queued) -> None:
    with pytest.raises(ValueError, match="handler"):
        enqueue("nobody.handles.this", "k", {})
    with pytest.raises(ValueError, match="key"):
        enqueue("test.probe", "", {})
    with pytest.raises(ValueError, match="key"):
        enqueue("test.probe", "x" * 201, {})
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_write_that_rolls_back_owes_nothing(queued) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("test.probe", "rolled-back", {})
        raise RuntimeError("the write fails")
    assert not Delivery.objects.exists()


def test_delivered_once_then_skipped(db, queued) -> None:
    enqueue("test.probe", "k", {})
    assert relay.deliver("k") == "delivered"
    assert relay.deliver("k") == "skipped"
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1 and row.delivered_at
    assert calls == ["k"]


def test_an_error_is_retried_after_a_growing_backoff_then_delivered(db, queued) -> None:
    outcomes["k"] = [ConnectionError("refused"), ConnectionError("refused again"), None]
    enqueue("test.probe", "k", {})
    start = timezone.now()
    assert relay.deliver("k", now=start) == "retry"
    row = Delivery.objects.get()
    assert row.status == "pending" and row.attempts == 1 and "refused" in row.last_error
    first_wait = row.due_at - start
    assert dt.timedelta(seconds=9) < first_wait <= dt.timedelta(seconds=11)
    assert relay.deliver("k", now=start) == "skipped"  # not due yet
    assert relay.deliver("k", now=row.due_at) == "retry"
    row.refresh_from_db()
    assert row.due_at - timezone.now() > dt.timedelta(seconds=19)  # doubled
    assert relay.deliver("k", now=row.due_at) == "delivered"
    row.refresh_from_db()
    assert row.status == "delivered" and row.attempts == 3 and row.last_error == ""


def test_permanent_errors_and_exhausted_attempts_fail_and_can_be_retried(db, queued, settings) -> None:
    outcomes["gone"] = [relay.Permanent("no such message")]
    enqueue("test.probe", "gone", {})
    assert relay.deliver("gone") == "failed"
    settings.GUICHET_OUTBOX_MAX_ATTEMPTS = 2
    outcomes["flaky"] = [OSError("1"), OSError("2"), None]
    enqueue("test.probe", "flaky", {})
    assert relay.deliver("flaky") == "retry"
    row = Delivery.objects.get(key="flaky")
    assert relay.deliver("flaky", now=row.due_at) == "failed"
    assert set(Delivery.objects.filter(status="failed").values_list("key", flat=True)) == {"gone", "flaky"}
    assert relay.backlog().failed == 2
    # An operator puts them back; the next attempt delivers.
    assert retry(Delivery.objects.filter(status="failed")) == 2
    outcomes["gone"] = [None]
    assert relay.deliver_due()["delivered"] == 2
    assert relay.backlog().failed == 0


def test_a_claimed_row_is_skipped_until_its_lease_expires(db, queued, settings) -> None:
    enqueue("test.probe", "k", {})
    now = timezone.now()
    # A worker claimed it, then died before finishing: the lease keeps others away…
    Delivery.objects.filter(key="k").update(claimed_until=now + dt.timedelta(seconds=60), claim="dead")
    assert relay.deliver("k", now=now) == "skipped"
    assert relay.deliver_due(now=now)["delivered"] == 0
    # …until it expires: then the row is delivered again.
    assert relay.deliver_due(now=now + dt.timedelta(seconds=61))["delivered"] == 1
    assert calls == ["k"]


@pytest.mark.django_db(transaction=True)
def test_a_late_finisher_cannot_overwrite_the_new_holder(queued) -> None:
    """A worker whose lease expired mid-delivery finds its claim gone: its outcome is not recorded
    over the outcome of the worker that took the row over."""
    enqueue("test.probe", "k", {})

    @relay.handler("test.slow")
    def slow(delivery: Delivery) -> None:
        # Meanwhile another worker took the row over (new claim token) and delivered it.
        Delivery.objects.filter(key=delivery.key).update(
            claim="other", status=DeliveryStatus.DELIVERED, attempts=2
        )
        raise ConnectionError("too late anyway")

    enqueue("test.slow", "s", {})
    assert relay.deliver("s") == "retry"
    row = Delivery.objects.get(key="s")
    assert row.status == DeliveryStatus.DELIVERED and row.last_error == ""


def test_the_poll_delivers_what_is_due_oldest_first(db, queued) -> None:
    now = timezone.now()
    enqueue("test.probe", "later", {}, due_at=now + dt.timedelta(minutes=5))
    enqueue("test.probe", "b", {}, due_at=now - dt.timedelta(seconds=1))
    enqueue("test.probe", "a", {}, due_at=now - dt.timedelta(seconds=2))
    counts = relay.deliver_due(now=now)
    assert counts == {"delivered": 2, "retry": 0, "failed": 0, "skipped": 0}
    assert calls == ["a", "b"]
    backlog = relay.backlog(now=now)
    assert (backlog.pending, backlog.due_now) == (1, 0)


def test_inline_tasks_deliver_at_once(db) -> None:
    """With the test settings (inline tasks) a recorded side effect is delivered at once."""
    enqueue("test.probe", "now", {})
    assert calls == ["now"] and Delivery.objects.get().status == "delivered"


@pytest.mark.django_db(transaction=True)
def test_a_queue_outage_never_fails_the_committed_write(settings, caplog) -> None:
    """The wake-up goes through a background thread after the commit; a broken queue is logged."""
    settings.TASKS = {"default": {"BACKEND": "tests.outbox.test_relay.BrokenBackend"}}
    with transaction.atomic():
        enqueue("test.probe", "k", {})
    relay.enqueue_wake(["k"], None)  # what the waker thread runs after the commit
    assert "could not wake the relay" in caplog.text
    assert Delivery.objects.get().status == "pending"  # waits for the poll
    assert relay.deliver_due()["delivered"] == 1


from django.tasks.backends.base import BaseTaskBackend  # noqa: E402


class BrokenBackend(BaseTaskBackend):
    """A task backend whose queue is unreachable."""

    supports_defer = True

    def enqueue(self, task, args, kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("Redis is down")
