"""Outgoing webhooks: ticket events POSTed to a real local HTTP server, signed, retried, deduplicable."""

from __future__ import annotations

import json

import pytest

from guichet.outbox import relay, webhooks
from guichet.outbox.models import Delivery, WebhookEndpoint
from guichet.tickets import services
from tests.factories import open_for, paris
from tests.receivers import http_receiver


@pytest.fixture
def queued(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_a_new_ticket_is_posted_signed_to_the_endpoints_that_want_it(db, agent, premium_customer, queued):
    with http_receiver() as receiver:
        wants = WebhookEndpoint.objects.create(
            name="ops", url=receiver.url + "/hook", events=["ticket.opened"]
        )
        WebhookEndpoint.objects.create(name="other", url=receiver.url + "/no", events=["sla.breached"])
        ticket = open_for(agent, premium_customer, "P2", at=paris(2, 10))
        (row,) = Delivery.objects.filter(kind="webhook")
        assert row.ticket_id == ticket.pk and row.payload["endpoint_id"] == wants.pk
        assert relay.deliver_due()["delivered"] >= 1
    (hit,) = receiver.received
    assert hit.path == "/hook"
    body = json.loads(hit.body)
    assert body["event"] == "ticket.opened" and body["data"]["ticket_id"] == ticket.pk
    assert body["data"]["priority"] == "P2" and body["data"]["at"] == "2026-03-02T09:00:00+00:00"
    headers = {k.lower(): v for k, v in hit.headers.items()}
    assert headers["x-guichet-event"] == "ticket.opened"
    assert webhooks.verify(
        wants.secret, headers["x-guichet-timestamp"], hit.body, headers["x-guichet-signature"]
    )
    assert not webhooks.verify(
        "another secret", headers["x-guichet-timestamp"], hit.body, headers["x-guichet-signature"]
    )
    assert not webhooks.verify(
        wants.secret, headers["x-guichet-timestamp"], hit.body + b" ", headers["x-guichet-signature"]
    )


def test_a_failing_endpoint_is_retried_with_the_same_delivery_id(db, agent, premium_customer, queued):
    with http_receiver(responses=[500, 503]) as receiver:
        WebhookEndpoint.objects.create(name="ops", url=receiver.url, events=["ticket.assigned"])
        ticket = open_for(agent, premium_customer, "P3", at=paris(2, 10))
        services.assign(actor=agent, ticket=ticket, assignee=agent, at=paris(2, 10, 5))
        row = Delivery.objects.get(kind="webhook")
        assert relay.deliver(row.key) == "retry"
        row.refresh_from_db()
        assert relay.deliver(row.key, now=row.due_at) == "retry"
        row.refresh_from_db()
        assert relay.deliver(row.key, now=row.due_at) == "delivered"
    ids = {r.headers["X-Guichet-Delivery"] for r in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # a receiver drops the repeats by this id


def test_a_client_error_fails_at_once_and_a_removed_endpoint_is_not_called(
    db, agent, premium_customer, queued
):
    with http_receiver(default_status=404) as receiver:
        endpoint = WebhookEndpoint.objects.create(name="ops", url=receiver.url)
        open_for(agent, premium_customer, "P3", at=paris(2, 10))
        (row,) = Delivery.objects.filter(kind="webhook", payload__event="ticket.opened")
        assert relay.deliver(row.key) == "failed"
        assert "HTTP 404" in Delivery.objects.get(pk=row.pk).last_error
        endpoint.active = False
        endpoint.save()
        open_for(agent, premium_customer, "P3", at=paris(2, 11))
    # The deactivated endpoint gets no new rows (its cached list was cleared on save).
    assert Delivery.objects.filter(kind="webhook").count() == 1


def test_the_same_fact_is_one_delivery(db, agent, premium_customer, queued):
    with http_receiver() as receiver:
        WebhookEndpoint.objects.create(name="ops", url=receiver.url, events=["ticket.status_changed"])
        ticket = open_for(agent, premium_customer, "P3", at=paris(2, 10))
        event = services.change_status
        event(actor=agent, ticket=ticket, status="waiting_customer", at=paris(2, 10, 1))
        rows = Delivery.objects.filter(kind="webhook")
        # Publishing the same event again (a replay) records nothing more.
        from guichet.tickets.events import StatusChanged

        webhooks.on_ticket_event(
            StatusChanged(ticket_id=ticket.pk, at=paris(2, 10, 1), old="new", new="waiting_customer")
        )
        assert rows.count() == 1
