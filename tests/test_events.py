"""guichet.events: publish inside the write's transaction, subscribe from a higher layer."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest
from django.db import transaction

from guichet import events
from guichet.accounts.models import Organisation
from guichet.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class Happened(DomainEvent):
    what: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class HappenedLoudly(Happened):
    volume: int = 11


@pytest.fixture
def seen() -> Iterator[list[tuple[str, DomainEvent]]]:
    got: list[tuple[str, DomainEvent]] = []

    def now(event: DomainEvent) -> None:
        got.append(("now", event))

    def later(event: DomainEvent) -> None:
        got.append(("later", event))

    events.subscribe(Happened, now)
    events.subscribe(Happened, later, after_commit=True)
    events.subscribe(Happened, now)  # a second ready(): still once
    yield got
    events.unsubscribe(Happened, now)
    events.unsubscribe(Happened, later)


@pytest.mark.django_db(transaction=True)
def test_subclasses_reach_subscribers_of_their_base(seen) -> None:
    event = HappenedLoudly(what="x")
    events.publish(event)  # outside a transaction: after-commit handlers run at once
    assert seen == [("now", event), ("later", event)]
    assert [s.after_commit for s in events.subscribers(HappenedLoudly)][-2:] == [False, True]


def test_only_domain_events_can_be_subscribed() -> None:
    with pytest.raises(TypeError):
        events.subscribe(dict, print)  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_after_commit_handlers_wait_for_the_commit_and_skip_a_rollback(seen) -> None:
    with transaction.atomic():
        events.publish(Happened(what="kept"))
        assert [kind for kind, _e in seen] == ["now"]  # not committed yet
    assert [(k, e.what) for k, e in seen] == [("now", "kept"), ("later", "kept")]  # type: ignore[attr-defined]
    seen.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(Happened(what="dropped"))
        raise RuntimeError("the write fails")
    assert [kind for kind, _e in seen] == ["now"]  # the after-commit handler never ran


@pytest.mark.django_db(transaction=True)
def test_an_in_transaction_handler_that_fails_rolls_the_write_back() -> None:
    def refuse(event: DomainEvent) -> None:
        raise ValueError("no")

    events.subscribe(Happened, refuse)
    try:
        with pytest.raises(ValueError), transaction.atomic():
            Organisation.objects.create(name="Written then refused")
            events.publish(Happened(what="x"))
    finally:
        events.unsubscribe(Happened, refuse)
    assert not Organisation.objects.filter(name="Written then refused").exists()


@pytest.mark.django_db(transaction=True)
def test_an_after_commit_failure_is_logged_not_raised(caplog) -> None:
    def broken(event: DomainEvent) -> None:
        raise ConnectionError("queue down")

    events.subscribe(Happened, broken, after_commit=True)
    try:
        with caplog.at_level(logging.ERROR, logger="guichet.events"), transaction.atomic():
            Organisation.objects.create(name="Committed")
            events.publish(Happened(what="x"))
    finally:
        events.unsubscribe(Happened, broken)
    assert Organisation.objects.filter(name="Committed").exists()
    assert "after-commit handler" in caplog.text and "queue down" in caplog.text


def test_capture_collects_what_a_block_published() -> None:
    with events.capture() as published:
        events.publish(Happened(what="a"))
    events.publish(Happened(what="b"))
    assert [e.what for e in published] == ["a"]  # type: ignore[attr-defined]


def test_the_tickets_events_reach_mail() -> None:
    from guichet.mail import notifications
    from guichet.tickets.events import MessagePublished, SlaBreached, SlaWarned

    for event_type, handler in (
        (MessagePublished, notifications.on_message_published),
        (SlaWarned, notifications.on_sla_alert),
        (SlaBreached, notifications.on_sla_alert),
    ):
        assert handler in [s.handler for s in events.subscribers(event_type)]
